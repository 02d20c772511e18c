// The evidence log: filter by kind, grade, date, site and text; open an item to see its
// grade words, links (corroborates / contradicts), history, and to grade or edit it.
import { get, send } from "../api.js";
import { el, clear, emptyNote, status, fmtDay, fmtTime } from "../dom.js";

const GRADES = ["", "A1", "A2", "B1", "B2", "B3", "C2", "C3", "C4", "D4", "E5", "F6"];

export async function evidencePage(root, query) {
  const [kinds, sites] = await Promise.all([get("/api/evidence/kinds"), get("/api/sites")]);
  const f = {
    kind: query.get("kind") || "", min_grade: query.get("min_grade") || "", since: query.get("since") || "",
    until: query.get("until") || "", site: query.get("site") || "", q: query.get("q") || "",
  };
  const field = (name, node) => el("label", {}, name, node);
  const kindSel = el("select", { name: "kind" }, el("option", { value: "" }, "any kind"), ...kinds.map((k) => el("option", { value: k, selected: k === f.kind }, k.replaceAll("_", " "))));
  const gradeSel = el("select", { name: "min_grade" }, ...GRADES.map((g) => el("option", { value: g, selected: g === f.min_grade }, g ? `${g} or better` : "any grade")));
  const siteSel = el("select", { name: "site" }, el("option", { value: "" }, "any site"), ...sites.map((s) => el("option", { value: s.slug, selected: s.slug === f.site }, s.name)));
  const since = el("input", { type: "date", name: "since", value: f.since });
  const until = el("input", { type: "date", name: "until", value: f.until });
  const text = el("input", { type: "search", name: "q", value: f.q, placeholder: "text in claim, source, place", maxlength: 200 });
  const form = el("form", { class: "filters", id: "evidence-filters", onsubmit: (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const [k, node] of Object.entries({ kind: kindSel, min_grade: gradeSel, site: siteSel, since, until, q: text })) if (node.value) p.set(k, node.value);
    location.hash = `#/evidence?${p}`;
  } }, field("Kind", kindSel), field("Grade", gradeSel), field("Site", siteSel), field("From", since), field("To", until), field("Text", text), el("button", {}, "Filter"));
  const list = el("div", { id: "evidence-list" });
  const detail = el("div", { id: "evidence-detail", class: "card" }, el("p", { class: "muted" }, "Open an item to see its grade, links and history."));
  clear(root).append(el("h1", {}, "Evidence log"), form, el("section", { class: "split wide-left" }, el("div", { class: "pane" }, list), el("div", { class: "pane" }, detail)));

  let data;
  try {
    data = await get("/api/evidence", f);
  } catch (e) {
    clear(list).append(el("p", { class: "error" }, e.message));
    return () => {};
  }
  clear(list).append(el("p", { class: "muted small" }, `${data.total} items`),
    data.items.length ? el("table", { class: "grid", id: "evidence-table" },
      el("thead", {}, el("tr", {}, ...["When", "Grade", "Kind", "Site", "Claim", "Source"].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...data.items.map((i) => el("tr", { class: "clickable", dataset: { id: i.id }, onclick: () => open(i.id) },
        el("td", { class: "nowrap" }, fmtDay(i.time_start), i.time_end && i.time_end !== i.time_start ? ` – ${fmtDay(i.time_end)}` : ""),
        el("td", {}, el("span", { class: `grade g-${i.grade[0]}`, title: i.grade_text }, i.grade)),
        el("td", {}, i.kind.replaceAll("_", " ")),
        el("td", {}, i.site_slug || ""),
        el("td", {}, i.claim),
        el("td", {}, i.open_url ? el("a", { href: i.open_url, target: "_blank", rel: "noopener noreferrer", onclick: (e) => e.stopPropagation() }, i.source || "source") : (i.source || ""))))))
      : emptyNote("No evidence matches these filters."));

  async function open(id) {
    const i = await get(`/api/evidence/${id}`);
    const grade = el("select", { name: "grade" }, ...GRADES.filter(Boolean).map((g) => el("option", { value: g, selected: g === i.grade }, g)));
    const why = el("input", { name: "rationale", placeholder: "why this grade", required: true, maxlength: 2000 });
    const claim = el("textarea", { name: "claim", rows: 3, maxlength: 5000 }, i.claim);
    const reason = el("input", { name: "reason", placeholder: "reason for the edit", maxlength: 2000 });
    const linkList = (links) => links.length
      ? links.map((l) => el("div", {}, el("button", { class: "link", onclick: () => open(l.id) }, `#${l.id}`), l.note ? el("span", { class: "small muted" }, ` ${l.note}`) : null))
      : [el("span", { class: "muted" }, "none recorded")];
    const linkTarget = el("input", { type: "number", min: 1, name: "target", placeholder: "item id", style: { width: "6rem" } });
    const linkKind = el("select", { name: "kind" }, el("option", { value: "corroborates" }, "corroborates"), el("option", { value: "contradicts" }, "contradicts"));
    const linkNote = el("input", { name: "note", placeholder: "note", maxlength: 2000 });
    clear(detail).append(
      el("h2", {}, `Evidence #${i.id}`),
      el("p", {}, i.claim),
      el("table", { class: "kv" }, el("tbody", {},
        el("tr", {}, el("th", {}, "Grade"), el("td", {}, `${i.grade} — ${i.grade_text}`)),
        el("tr", {}, el("th", {}, "Rationale"), el("td", {}, i.grade_rationale || "—")),
        el("tr", {}, el("th", {}, "When"), el("td", {}, `${fmtTime(i.time_start)}${i.time_end ? " – " + fmtTime(i.time_end) : ""}`)),
        el("tr", {}, el("th", {}, "Place"), el("td", {}, i.place || "—")),
        el("tr", {}, el("th", {}, "Source"), el("td", {}, i.source || "—", i.source_type ? ` (${i.source_type})` : "")),
        el("tr", {}, el("th", {}, "Open source"), el("td", {}, i.open_url ? el("a", { href: i.open_url, target: "_blank", rel: "noopener noreferrer", id: "open-source" }, i.open_url) : "—")),
        el("tr", {}, el("th", {}, "Corroborates"), el("td", { id: "links-corroborates" }, ...linkList(i.links.corroborates))),
        el("tr", {}, el("th", {}, "Corroborated by"), el("td", {}, ...linkList(i.links.corroborated_by || []))),
        el("tr", {}, el("th", {}, "Contradicts"), el("td", { id: "links-contradicts" }, ...linkList(i.links.contradicts))),
        el("tr", {}, el("th", {}, "Origin"), el("td", { class: "small" }, i.origin || "—")))),
      el("h3", {}, "Grade"),
      el("form", { class: "inline", id: "grade-form", onsubmit: async (e) => {
        e.preventDefault();
        try { await send("POST", `/api/evidence/${i.id}/grade`, { grade: grade.value, rationale: why.value }); status("grade saved", "ok"); open(i.id); } catch (err) { status(err.message, "error"); }
      } }, grade, why, el("button", {}, "Set grade")),
      el("h3", {}, "Link"),
      el("form", { class: "inline", onsubmit: async (e) => {
        e.preventDefault();
        try { await send("POST", "/api/evidence/links", { source_id: i.id, target_id: Number(linkTarget.value), kind: linkKind.value, note: linkNote.value || null }); status("link saved", "ok"); open(i.id); } catch (err) { status(err.message, "error"); }
      } }, el("span", {}, `#${i.id}`), linkKind, linkTarget, linkNote, el("button", {}, "Add link")),
      el("h3", {}, "Edit claim"),
      el("form", { class: "stack", onsubmit: async (e) => {
        e.preventDefault();
        try { await send("PATCH", `/api/evidence/${i.id}`, { claim: claim.value, reason: reason.value || null }); status("saved", "ok"); open(i.id); } catch (err) { status(err.message, "error"); }
      } }, claim, reason, el("button", {}, "Save")),
      el("h3", {}, "History"),
      i.history.length ? el("table", { class: "grid small", id: "evidence-history" },
        el("thead", {}, el("tr", {}, ...["When", "Who", "Field", "Old", "New", "Why"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...i.history.map((h) => el("tr", {}, el("td", {}, fmtTime(h.changed_at)), el("td", {}, h.changed_by), el("td", {}, h.field), el("td", {}, String(h.old_value ?? "—")), el("td", {}, String(h.new_value ?? "—")), el("td", {}, h.reason || "")))))
        : emptyNote("No edits yet."),
    );
  }
  const first = Number(query.get("open"));
  if (first) open(first);
  return () => {};
}
