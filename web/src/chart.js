// A small SVG line chart: counts per class over passes, with the baseline pass marked.
import { svg, el, classColour } from "./dom.js";

export function countsChart(series, { width = 640, height = 220, by = "by_class" } = {}) {
  const points = series.points || [];
  if (!points.length) return null;
  const classes = [...new Set(points.flatMap((p) => Object.keys(p[by] || {})))].sort();
  if (!classes.length) return null;
  const max = Math.max(1, ...points.map((p) => p.total));
  const pad = { l: 36, r: 48, t: 12, b: 46 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const x = (i) => pad.l + (points.length === 1 ? w / 2 : (i * w) / (points.length - 1));
  const y = (v) => pad.t + h - (v * h) / max;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": "counts per pass" });
  for (let t = 0; t <= 4; t++) {
    const v = Math.round((max * t) / 4);
    root.append(svg("line", { x1: pad.l, x2: width - pad.r, y1: y(v), y2: y(v), class: "grid" }));
    root.append(svg("text", { x: pad.l - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, v));
  }
  const baseIdx = points.findIndex((p) => p.pass_id === series.baseline_pass_id);
  if (baseIdx >= 0) {
    const bv = points[baseIdx].total;
    root.append(svg("line", { x1: pad.l, x2: width - pad.r, y1: y(bv), y2: y(bv), class: "baseline" }));
    root.append(svg("text", { x: width - pad.r, y: y(bv) - 4, "text-anchor": "end", class: "tick" }, `baseline ${bv}`));
  }
  const lines = [["total", (p) => p.total, "#222"], ...classes.map((c) => [c, (p) => (p[by] || {})[c] || 0, classColour(c)])];
  for (const [name, val, colour] of lines) {
    const d = points.map((p, i) => `${i ? "L" : "M"}${x(i)},${y(val(p))}`).join(" ");
    root.append(svg("path", { d, fill: "none", stroke: colour, "stroke-width": name === "total" ? 2.5 : 1.5 }));
    points.forEach((p, i) => root.append(svg("circle", { cx: x(i), cy: y(val(p)), r: 3, fill: colour }, svg("title", {}, `${name}: ${val(p)} (${p.time_text})`))));
  }
  points.forEach((p, i) => {
    root.append(svg("text", { x: x(i), y: height - pad.b + 16, "text-anchor": "middle", class: "tick" }, `pass ${p.pass_id}`));
    root.append(svg("text", { x: x(i), y: height - pad.b + 30, "text-anchor": "middle", class: "tick" }, p.acquired_at ? p.acquired_at.slice(0, 10) : "undated"));
  });
  const legend = el("div", { class: "legend" }, ...lines.map(([name, , colour]) => el("span", {}, el("i", { style: { background: colour } }), name)));
  return el("div", { class: "chart-wrap" }, root, legend);
}
