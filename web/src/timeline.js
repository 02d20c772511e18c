// Passes (and the site's evidence) on a time axis; undated passes are listed beside it.
import { svg, el } from "./dom.js";

export function timeline(data, { selected, onSelect, width = 900 } = {}) {
  const wrap = el("div", { class: "timeline", id: "timeline" });
  const dated = data.passes;
  const ev = data.evidence.filter((e) => e.time_start);
  const times = [...dated.map((p) => Date.parse(p.acquired_at)), ...ev.map((e) => Date.parse(e.time_start))];
  if (times.length) {
    const lo = Math.min(...times), hi = Math.max(...times);
    const span = Math.max(hi - lo, 86400000);
    const pad = 30, h = 70;
    const x = (t) => pad + ((t - lo) * (width - 2 * pad)) / span;
    const root = svg("svg", { viewBox: `0 0 ${width} ${h}`, class: "timeline-svg" });
    root.append(svg("line", { x1: pad, x2: width - pad, y1: 40, y2: 40, class: "axis" }));
    for (const e of ev) {
      const dot = svg("circle", { cx: x(Date.parse(e.time_start)), cy: 52, r: 4, class: "ev-dot", "data-evidence": e.id },
        svg("title", {}, `${e.time_start.slice(0, 10)} · ${e.grade} · ${e.claim}`));
      dot.addEventListener("click", () => { location.hash = `#/evidence?open=${e.id}`; });
      root.append(dot);
    }
    for (const p of dated) {
      const g = svg("g", { class: `pass-tick${p.id === selected ? " selected" : ""}`, "data-pass": p.id, tabindex: 0 },
        svg("rect", { x: x(Date.parse(p.acquired_at)) - 5, y: 22, width: 10, height: 18, rx: 2 }),
        svg("title", {}, `pass ${p.id} · ${p.time_text} · ${p.sensor || ""}`));
      g.addEventListener("click", () => onSelect && onSelect(p.id));
      root.append(g);
    }
    root.append(svg("text", { x: pad, y: 14, class: "tick" }, new Date(lo).toISOString().slice(0, 10)));
    root.append(svg("text", { x: width - pad, y: 14, "text-anchor": "end", class: "tick" }, new Date(hi).toISOString().slice(0, 10)));
    wrap.append(root, el("div", { class: "legend small" }, el("span", {}, el("i", { class: "sq pass" }), "pass"), el("span", {}, el("i", { class: "sq ev" }), "evidence item")));
  }
  if (data.undated_passes.length) {
    wrap.append(el("div", { class: "undated" }, el("span", { class: "muted" }, "Undated passes: "),
      ...data.undated_passes.map((p) => el("button", {
        class: `chip${p.id === selected ? " selected" : ""}`, "data-pass": p.id, title: p.label || "",
        onclick: () => onSelect && onSelect(p.id),
      }, `pass ${p.id} · ${p.meta?.date_note || "date not known"}`))));
  }
  if (!times.length && !data.undated_passes.length) wrap.append(el("p", { class: "empty" }, "No passes or dated evidence for this site yet."));
  return wrap;
}
