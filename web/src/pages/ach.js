// The ACH matrix of a case: evidence (rows) × hypotheses (columns), ratings editable, with
// inconsistency, probabilities, the judgment and indicators as of a chosen date. Without a
// case (or the assessment stage) the page says why and lists the evidence that would be rated.
import { get, send } from "../api.js";
import { el, clear, emptyNote, status, fmtDay } from "../dom.js";

const RATINGS = ["CC", "C", "N", "I", "II", "NA"];
const pct = (p) => (p === undefined || p === null ? "—" : `${Math.round(p * 100)} %`);
const num = (v) => (v === undefined || v === null ? "—" : Number(v).toFixed(2));

function cited(text) {
  // Make [E12, E13] citations clickable links into the evidence log.
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/E(\d+)/g)) {
    out.push(text.slice(last, m.index));
    out.push(el("a", { href: `#/evidence?open=${m[1]}` }, m[0]));
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

export async function achPage(root, query) {
  const params = { case: query.get("case") || "", site: query.get("site") || "", as_of: query.get("as_of") || "" };
  const m = await get("/api/ach", params);
  const caseSel = el("select", { name: "case" }, ...(m.cases.length ? m.cases.map((c) => el("option", { value: c, selected: c === m.case }, c)) : [el("option", { value: "" }, "no case loaded")]));
  const date = el("input", { type: "date", name: "as_of", value: params.as_of || m.as_of });
  const form = el("form", { class: "filters", id: "ach-form", onsubmit: (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (caseSel.value) p.set("case", caseSel.value);
    if (date.value) p.set("as_of", date.value);
    location.hash = `#/ach?${p}`;
  } }, el("label", {}, "Case", caseSel), el("label", {}, "As of", date), el("button", {}, "Show"));
  const body = el("div", { id: "ach" });
  clear(root).append(el("h1", {}, "Analysis of competing hypotheses"), form, body);

  const hyps = m.hypotheses || [];
  const rows = new Map((m.matrix || []).map((r) => [r.evidence_id, r]));
  const parts = [];
  if (m.title) parts.push(el("p", {}, el("strong", {}, m.title), m.question ? ` — ${m.question}` : ""));
  if (!m.available) {
    parts.push(el("div", { class: "banner", id: "ach-unavailable" },
      el("strong", {}, "No assessment to show. "), m.reason || "",
      el("div", { class: "small muted" }, "The rows below are the graded evidence up to this date that a case would rate.")));
  }
  parts.push(el("div", { class: "card", id: "ach-judgment" },
    el("h2", {}, `Judgment as of ${m.as_of}`),
    m.judgment ? el("p", { class: "bluf" }, ...cited(m.judgment)) : el("p", { class: "muted" }, "none yet"),
    m.available ? el("p", { class: "small muted" }, `Leader ${m.leader} · ${m.estimative_word} (${pct(m.probability_band?.[0])}–${pct(m.probability_band?.[1])}) · ${m.confidence} confidence · margin ${num(m.margin)}`) : null,
    (m.judgments || []).length ? el("ul", {}, ...m.judgments.map((j) => el("li", {}, ...cited(j.text)))) : null,
    (m.would_change || []).length ? el("details", {}, el("summary", {}, "What would change this"), el("ul", {}, ...m.would_change.map((t) => el("li", {}, ...cited(t))))) : null,
    m.available ? el("button", { id: "save-snapshot", onclick: async () => {
      try { const r = await send("POST", "/api/assessments/snapshot", { case: m.case, as_of: m.as_of }); status(`snapshot ${r.id} saved`, "ok"); } catch (err) { status(err.message, "error"); }
    } }, "Save as snapshot") : null));

  const head = el("tr", {}, el("th", {}, "Item"), el("th", {}, "When"), el("th", {}, "Grade"), el("th", {}, "Evidence"),
    ...(hyps.length ? hyps.map((h) => el("th", { class: "hyp", title: h.description || h.text }, h.key, el("div", { class: "small muted" }, h.text))) : [el("th", { class: "hyp slot" }, "hypotheses appear here")]),
    hyps.length ? el("th", { title: "spread of ratings × weight" }, "Diag.") : null);
  const trs = (m.evidence || []).map((e) => {
    const r = rows.get(e.id);
    return el("tr", { dataset: { evidence: e.id }, class: r && r.non_diagnostic ? "non-diag" : "" },
      el("td", {}, el("a", { href: `#/evidence?open=${e.id}` }, `E${e.id}`)),
      el("td", { class: "nowrap" }, fmtDay(e.time_start)),
      el("td", {}, e.grade),
      el("td", {}, e.claim),
      ...(hyps.length ? hyps.map((h) => {
        const current = r?.ratings?.[h.key] || "NA";
        const why = m.rationales?.[String(e.id)]?.[h.key];
        const sel = el("select", { class: "rating", "data-hyp": h.key, "aria-label": `rating of E${e.id} against ${h.key}`, title: why || "", onchange: async (ev) => {
          try {
            await send("PUT", "/api/ach/ratings", { case: m.case, evidence_id: e.id, hypothesis: h.key, rating: ev.target.value });
            status(`E${e.id} × ${h.key}: ${ev.target.value} saved`, "ok");
            achPage(root, query);
          } catch (err) { status(err.message, "error"); }
        } }, ...RATINGS.map((x) => el("option", { value: x, selected: x === current }, x)));
        return el("td", { class: `cell r-${current}` }, sel);
      }) : [el("td", { class: "slot" }, "")]),
      hyps.length ? el("td", { class: "num" }, r ? num(r.diagnosticity) : "—") : null);
  });
  const foot = m.available ? [
    el("tr", { class: "scores" }, el("th", { colspan: 4 }, "Weighted inconsistency (lower is stronger)"), ...hyps.map((h) => el("td", { class: "num", "data-score": h.key }, num(m.inconsistency?.[h.key]))), el("td")),
    el("tr", { class: "scores" }, el("th", { colspan: 4 }, "Probability"), ...hyps.map((h) => el("td", { class: "num" }, pct(m.probabilities?.[h.key]))), el("td")),
  ] : [];
  parts.push((m.evidence || []).length
    ? el("div", { class: "scroll" }, el("table", { class: "grid ach", id: "ach-matrix" }, el("thead", {}, head), el("tbody", {}, ...trs), foot.length ? el("tfoot", {}, ...foot) : null))
    : emptyNote("No evidence in range."));
  if ((m.indicators || []).length) {
    parts.push(el("div", { class: "card" }, el("h2", {}, "Indicators"),
      el("table", { class: "grid small" }, el("thead", {}, el("tr", {}, ...["Indicator", "Level", "Score", "Evidence"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...m.indicators.map((i) => el("tr", {}, el("td", {}, i.name), el("td", {}, i.level), el("td", { class: "num" }, num(i.score)), el("td", {}, ...cited((i.evidence_ids || []).map((x) => `E${x}`).join(", ")))))))));
  }
  clear(body).append(...parts);
  return () => {};
}
