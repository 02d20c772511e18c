// Talking to the sitewatch API. Writes carry the token when the server has one.

const TOKEN_KEY = "sitewatch.token";

export function captureToken() {
  // `sitewatch serve` prints http://HOST:PORT/#token=...; keep it for this tab only.
  const m = location.hash.match(/^#token=([A-Za-z0-9_\-]+)/);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, "", location.pathname + "#/");
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
  }
}

async function handle(res) {
  if (res.ok) return res.json();
  let detail = res.statusText;
  try {
    const body = await res.json();
    detail = body.detail ?? detail;
  } catch (_) {
    /* not JSON */
  }
  throw new ApiError(res.status, detail);
}

export async function get(path, params) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  return handle(await fetch(url, { headers: { Accept: "application/json" } }));
}

export async function send(method, path, body) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const res = await fetch(path, { method, headers, body: JSON.stringify(body ?? {}) });
  if (res.status === 401) {
    const given = window.prompt("This server needs its token for changes (printed by `sitewatch serve`):");
    if (given) {
      setToken(given.trim());
      return send(method, path, body);
    }
  }
  return handle(res);
}
