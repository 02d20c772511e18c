// Small DOM helpers. Data from the API is only ever put in the page as text, never as HTML.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "style" && typeof v === "object") Object.assign(node.style, v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function status(text, kind = "") {
  const s = document.getElementById("status");
  if (!s) return;
  s.textContent = text || "";
  s.className = `status ${kind}`;
}

export function fmtTime(iso) {
  if (!iso) return "date not known";
  return iso.replace("T", " ").replace(/\.\d+/, "").replace(/:00\+00:00$|\+00:00$/, "").replace(/ 00:00$/, "") + " UTC";
}

export function fmtDay(iso) {
  return iso ? iso.slice(0, 10) : "—";
}

export function emptyNote(text) {
  return el("p", { class: "empty" }, text);
}

// Colours by class, stable across pages.
const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4", "#469990"];
const assigned = new Map();
export function classColour(name) {
  if (!assigned.has(name)) assigned.set(name, PALETTE[assigned.size % PALETTE.length]);
  return assigned.get(name);
}

export const STATE_STYLE = {
  unreviewed: { dashArray: "6 4", weight: 2, fillOpacity: 0.05 },
  confirmed: { dashArray: null, weight: 3, fillOpacity: 0.2 },
  rejected: { dashArray: "2 4", weight: 1, fillOpacity: 0, opacity: 0.5 },
};
