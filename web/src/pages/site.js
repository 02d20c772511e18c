// One site: passes on a timeline, the imagery with detections as oriented boxes, a panel for
// the clicked detection (measurements, type candidates, trail, review actions), the counts
// chart, and a link to the before/after swipe.
import { get, send } from "../api.js";
import { el, clear, emptyNote, status, fmtTime, classColour, STATE_STYLE } from "../dom.js";
import { createPassMap, passLayer, detectionLayer } from "../passmap.js";
import { timeline } from "../timeline.js";
import { countsChart } from "../chart.js";

function styleFor(d) {
  const s = STATE_STYLE[d.status] || STATE_STYLE.unreviewed;
  return { color: classColour(d.effective_class), fillColor: classColour(d.effective_class), opacity: 1, ...s };
}

function kv(rows) {
  return el("table", { class: "kv" }, el("tbody", {}, ...rows.filter(Boolean).map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v ?? "—")))));
}

function fmtVal(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(2);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export async function sitePage(root, slug, query) {
  const site = await get(`/api/sites/${encodeURIComponent(slug)}`);
  const tl = await get(`/api/sites/${encodeURIComponent(slug)}/timeline`);
  const caps = await get("/api/capabilities");
  const detAvailable = caps.find((c) => c.stage === "detections")?.available;
  const passes = site.passes;
  let current = Number(query.get("pass")) || (passes.length ? passes[passes.length - 1].id : null);
  let cleanup = () => {};

  const head = el("div", { class: "site-head" },
    el("h1", {}, site.name),
    el("p", { class: "muted" }, `${site.kind.replace("_", " ")}${site.country ? " · " + site.country : ""}${site.approximate ? " · coordinates approximate" : ""}`),
    site.properties?.note ? el("p", { class: "note" }, site.properties.note) : null,
    site.source ? el("p", { class: "muted small" }, `Source: ${site.source}`) : null,
    el("p", { id: "site-assessment" }, "Latest assessment: ", site.latest_assessment
      ? el("span", {}, site.latest_assessment.judgment || "", " ", el("a", { href: `#/ach?case=${encodeURIComponent(site.latest_assessment.case)}` }, "ACH matrix →"))
      : el("span", { class: "muted" }, "none yet (no assessment case covers this site)")),
    passes.length >= 2 ? el("a", { class: "button", id: "open-swipe", href: `#/site/${encodeURIComponent(site.slug)}/swipe?a=${passes[0].id}&b=${passes[passes.length - 1].id}` }, "Before / after swipe →") : null,
  );
  const tlBox = el("section", { class: "card" }, el("h2", {}, "Timeline"));
  const viewerBox = el("div", { class: "viewer" });
  const passInfo = el("div", { class: "pass-info" });
  const counts = el("div", { id: "counts" });
  const panel = el("div", { id: "detection-panel", class: "card" }, el("p", { class: "muted" }, "Click a box on the image to see its measurements, type candidates, history and review actions."));
  const chartBox = el("section", { class: "card", id: "series" }, el("h2", {}, "Counts per pass"));
  clear(root).append(head, tlBox,
    el("section", { class: "split wide-left" },
      el("div", { class: "pane" }, passInfo, viewerBox),
      el("div", { class: "pane" }, el("div", { class: "card" }, el("h2", {}, "Detections"), counts), panel)),
    chartBox);

  function drawTimeline() {
    clear(tlBox).append(el("h2", {}, "Timeline"), timeline(tl, { selected: current, onSelect: (id) => { current = id; showPass(); drawTimeline(); } }));
  }

  async function drawChart() {
    const series = await get(`/api/sites/${encodeURIComponent(site.slug)}/series`);
    const chart = countsChart(series);
    const byType = countsChart(series, { by: "by_type" });
    clear(chartBox).append(el("h2", {}, "Counts per pass"),
      ...(byType ? [el("h3", {}, "By type (analyst or measure stage)"), byType, el("h3", {}, "By class")] : []),
      chart || emptyNote(series.available ? "No detections stored for this site's passes yet: run the detector (sitewatch detect) and they appear here, with the baseline pass marked." : "The detection stage is not available in this workspace yet."));
  }

  let layer = null;
  let view = null;
  let selectedId = null;

  async function refreshDetections() {
    const [dets, c] = await Promise.all([
      get(`/api/passes/${current}/detections`, { include_rejected: true }),
      get(`/api/passes/${current}/counts`),
    ]);
    clear(counts).append(
      c.available
        ? el("div", {},
          el("p", { class: "big" }, el("span", { id: "count-total" }, c.total), " counted (rejected excluded)"),
          kv(Object.entries(c.by_class).map(([k, v]) => [el("span", {}, el("i", { class: "sw", style: { background: classColour(k) } }), k), v])),
          Object.keys(c.by_status || {}).length ? el("p", { class: "small muted" }, Object.entries(c.by_status).map(([k, v]) => `${k}: ${v}`).join(" · ")) : null,
          dets.length ? null : emptyNote("No detections stored for this pass yet."))
        : emptyNote("The detection stage is not available in this workspace yet."));
    if (layer) layer.remove();
    layer = detectionLayer(view, dets, styleFor, (d) => showDetection(d.id));
    layer.addTo(view.map);
    if (selectedId) showDetection(selectedId, true);
  }

  async function review(id, action, value) {
    try {
      status("saving…");
      await send("POST", `/api/detections/${id}/review`, { action, value: value || null });
      status(`${action} saved`, "ok");
      await refreshDetections();
      drawChart();
    } catch (e) {
      status(e.message, "error");
    }
  }

  async function showDetection(id, quiet) {
    selectedId = id;
    const d = await get(`/api/detections/${id}`);
    const m = d.measurement || {};
    const input = (name, placeholder, list) => el("input", { name, placeholder, list, maxlength: 120 });
    const relabel = input("relabel", "new class");
    const typ = input("type", "type (e.g. An-124)", "type-candidates");
    const state = input("state", "state (e.g. engines covered)");
    const note = input("note", "note");
    clear(panel).append(
      el("h2", {}, `Detection ${d.id}`),
      kv([
        ["Class", d.reviewed_class ? `${d.reviewed_class} (model: ${d.class_name})` : d.class_name],
        ["Score", fmtVal(d.score)],
        ["Status", el("span", { id: "det-status", class: `pill ${d.status}` }, d.status)],
        ["Type", d.type_name],
        ["State", d.state],
        ["Source", `${d.source}${d.model_version ? " · " + d.model_version : ""}`],
        ["Box (px)", `${fmtVal(d.length_px)} × ${fmtVal(d.width_px)} at ${fmtVal(d.angle_deg)}°`],
      ]),
      el("h3", {}, "Measurements"),
      Object.keys(m).filter((k) => !["candidates", "type_candidates"].includes(k)).length
        ? kv(Object.entries(m).filter(([k]) => !["candidates", "type_candidates"].includes(k)).map(([k, v]) => [k, fmtVal(v)]))
        : emptyNote("No measurements yet (the measure stage writes metres, heading and uncertainty here)."),
      el("h3", {}, "Type candidates"),
      d.type_candidates.length
        ? el("ol", { class: "candidates" }, ...d.type_candidates.map((c) => el("li", {},
          el("button", { class: "link", onclick: () => review(d.id, "set_type", c.type || c.name || String(c)) }, c.type || c.name || JSON.stringify(c)),
          c.score !== undefined ? ` · ${fmtVal(c.score)}` : "", c.why ? ` · ${c.why}` : "")))
        : emptyNote("No type candidates yet."),
      el("datalist", { id: "type-candidates" }, ...d.type_candidates.map((c) => el("option", { value: c.type || c.name || String(c) }))),
      el("h3", {}, "Review"),
      el("div", { class: "actions" },
        el("button", { id: "btn-confirm", class: "ok", onclick: () => review(d.id, "confirm") }, "Confirm"),
        el("button", { id: "btn-reject", class: "bad", onclick: () => review(d.id, "reject") }, "Reject"),
        el("button", { id: "btn-reopen", onclick: () => review(d.id, "reopen") }, "Reopen")),
      el("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); review(d.id, "relabel_class", relabel.value); } }, relabel, el("button", {}, "Relabel")),
      el("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); review(d.id, "set_type", typ.value); } }, typ, el("button", {}, "Set type")),
      el("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); review(d.id, "set_state", state.value); } }, state, el("button", {}, "Set state")),
      el("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); review(d.id, "note", note.value); } }, note, el("button", {}, "Add note")),
      el("h3", {}, "History"),
      d.trail.length
        ? el("table", { class: "grid small" }, el("thead", {}, el("tr", {}, el("th", {}, "When"), el("th", {}, "Who"), el("th", {}, "Action"), el("th", {}, "Value"), el("th", {}, "Note"))),
          el("tbody", {}, ...d.trail.map((t) => el("tr", {}, el("td", {}, fmtTime(t.at)), el("td", {}, t.user), el("td", {}, t.action), el("td", {}, fmtVal(t.value)), el("td", {}, t.note || "")))))
        : emptyNote("Not reviewed yet."),
    );
    if (!quiet && layer) {
      layer.eachLayer((l) => { if (l.detectionId === id) l.setStyle({ weight: 5 }); });
    }
  }

  async function showPass() {
    cleanup();
    cleanup = () => {};
    selectedId = null;
    const p = passes.find((x) => x.id === current);
    if (!p) {
      clear(passInfo).append(emptyNote("No passes for this site yet: add one with `sitewatch passes add`."));
      clear(viewerBox);
      clear(counts).append(emptyNote("No passes, so nothing to count."));
      return;
    }
    clear(passInfo).append(el("p", {},
      el("select", { id: "pass-select", onchange: (e) => { current = Number(e.target.value); showPass(); drawTimeline(); } },
        ...passes.map((x) => el("option", { value: x.id, selected: x.id === current }, `pass ${x.id} · ${x.time_text} · ${x.sensor || "sensor?"}`))),
      " ", el("span", { class: "muted small" }, `${p.width}×${p.height} px · ${p.frame} frame · GSD ${p.gsd_m ?? "?"} m · ${p.file_name}`)),
      ...(p.label ? [el("p", { class: "muted small" }, p.label)] : []));
    const info = await get(`/api/passes/${p.id}/tileinfo`);
    const fresh = el("div", { id: "pass-map", class: "map tall" });
    clear(viewerBox).append(fresh);
    view = createPassMap(fresh, info);
    passLayer(p.id, info, view.bounds).addTo(view.map);
    cleanup = () => view.map.remove();
    if (detAvailable) await refreshDetections();
    else clear(counts).append(emptyNote("The detection stage is not available in this workspace yet."));
  }
  drawTimeline();
  await showPass();
  drawChart();
  return () => cleanup();
}
