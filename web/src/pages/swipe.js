// Before/after swipe between two passes of a site: pass A fills the map, pass B is drawn
// on top and clipped at a divider the analyst drags. Change events are drawn on top:
// "before" positions (in A's frame) as hollow rings, "after" positions (B's frame) as dots.
import L from "leaflet";
import { get } from "../api.js";
import { el, clear, emptyNote } from "../dom.js";
import { createPassMap, passLayer } from "../passmap.js";

const EVENT_COLOUR = {
  arrived: "#1a7f37", appeared: "#1a7f37", departed: "#cf222e", disappeared: "#cf222e",
  moved: "#bf8700", changed: "#8250df", stayed: "#6e7781", out_of_view: "#afb8c1",
};

export async function swipePage(root, slug, query) {
  const site = await get(`/api/sites/${encodeURIComponent(slug)}`);
  const passes = site.passes;
  if (passes.length < 2) {
    clear(root).append(el("h1", {}, `${site.name}: before / after`), emptyNote("A swipe needs two passes of this site."));
    return () => {};
  }
  let a = Number(query.get("a")) || passes[0].id;
  let b = Number(query.get("b")) || passes[passes.length - 1].id;
  const pick = (name, value) => el("select", { id: `swipe-${name}`, onchange: (e) => { if (name === "a") a = Number(e.target.value); else b = Number(e.target.value); location.hash = `#/site/${encodeURIComponent(slug)}/swipe?a=${a}&b=${b}`; } },
    ...passes.map((p) => el("option", { value: p.id, selected: p.id === value }, `pass ${p.id} · ${p.time_text}`)));
  const mapBox = el("div", { id: "swipe-map", class: "map tall swipe" });
  const regBox = el("p", { class: "small muted", id: "registration" });
  const evBox = el("div", { id: "events" });
  clear(root).append(
    el("p", {}, el("a", { href: `#/site/${encodeURIComponent(slug)}` }, `← ${site.name}`)),
    el("h1", {}, "Before / after"),
    el("p", {}, "Before ", pick("a", a), "  ·  after ", pick("b", b), el("span", { class: "muted small" }, "  — drag the handle; the after pass is on the right of it.")),
    regBox,
    el("section", { class: "split wide-left" }, el("div", { class: "pane" }, mapBox), el("div", { class: "pane card" }, el("h2", {}, "Change events"), evBox)),
  );

  const [infoA, infoB, regs, events] = await Promise.all([
    get(`/api/passes/${a}/tileinfo`), get(`/api/passes/${b}/tileinfo`),
    get("/api/change/registrations", { pass_a: a, pass_b: b }),
    get("/api/change/events", { pass_a: a, pass_b: b }),
  ]);
  const reg = regs[regs.length - 1];
  const view = createPassMap(mapBox, infoA);
  const map = view.map;
  map.createPane("before").style.zIndex = 200;
  map.createPane("after").style.zIndex = 210;
  passLayer(a, infoA, view.bounds, { pane: "before" }).addTo(map);
  // With a registration, B is warped into A's frame by the server; else drawn in its own.
  const warp = Boolean(reg) && infoA.frame === "pixel" && infoB.frame === "pixel";
  let toA = (x, y) => [x, y];
  if (warp) {
    const inv = invert3(reg.matrix.length === 2 ? [...reg.matrix, [0, 0, 1]] : reg.matrix);
    toA = (x, y) => {
      const w = inv[2][0] * x + inv[2][1] * y + inv[2][2];
      return [(inv[0][0] * x + inv[0][1] * y + inv[0][2]) / w, (inv[1][0] * x + inv[1][1] * y + inv[1][2]) / w];
    };
    L.tileLayer(`/api/passes/${b}/tiles/{z}/{x}/{y}.png?in_frame_of=${a}`, {
      tileSize: infoA.tile_size, noWrap: true, bounds: view.bounds, minZoom: 0,
      maxNativeZoom: infoA.max_native_zoom, maxZoom: infoA.max_zoom, pane: "after", keepBuffer: 1,
    }).addTo(map);
  } else {
    let boundsB = view.bounds;
    if (infoB.frame !== infoA.frame) {
      regBox.textContent = "The two passes are in different frames (pixel vs map); the after pass is drawn in its own frame.";
    }
    if (infoB.frame === "pixel" && view.pixel) {
      boundsB = L.latLngBounds(view.toLatLng(0, infoB.height), view.toLatLng(infoB.width, 0));
    }
    passLayer(b, infoB, boundsB, { pane: "after" }).addTo(map);
  }

  // The divider.
  const handle = el("div", { class: "swipe-divider", id: "swipe-divider", role: "slider", "aria-label": "swipe position", "aria-valuemin": 0, "aria-valuemax": 100 }, el("span", { class: "grip" }, "⇔"));
  map.getContainer().append(handle);
  let frac = 0.5;
  function clip() {
    const size = map.getSize();
    const nw = map.containerPointToLayerPoint([0, 0]);
    const se = map.containerPointToLayerPoint(size);
    const cut = nw.x + size.x * frac;
    map.getPane("after").style.clip = `rect(${nw.y}px, ${se.x}px, ${se.y}px, ${cut}px)`;
    handle.style.left = `${size.x * frac}px`;
    handle.setAttribute("aria-valuenow", Math.round(frac * 100));
    mapBox.dataset.swipe = frac.toFixed(3);
  }
  let dragging = false;
  handle.addEventListener("pointerdown", (e) => { dragging = true; handle.setPointerCapture(e.pointerId); map.dragging.disable(); e.preventDefault(); e.stopPropagation(); });
  handle.addEventListener("pointermove", (e) => {
    if (!dragging) return;
    const r = map.getContainer().getBoundingClientRect();
    frac = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
    clip();
  });
  const stop = (e) => { if (dragging) { dragging = false; map.dragging.enable(); try { handle.releasePointerCapture(e.pointerId); } catch (_) { /* released */ } } };
  handle.addEventListener("pointerup", stop);
  handle.addEventListener("pointercancel", stop);
  handle.addEventListener("keydown", (e) => {
    if (e.key === "ArrowLeft") frac = Math.max(0, frac - 0.05);
    else if (e.key === "ArrowRight") frac = Math.min(1, frac + 0.05);
    else return;
    clip();
  });
  L.DomEvent.disableClickPropagation(handle);
  map.on("move zoom resize viewreset", clip);
  clip();

  // Registration and change events.
  if (reg) {
    const m = reg.matrix || [];
    const shift = m.length ? Math.hypot(m[0][2], m[1][2]).toFixed(1) : "?";
    regBox.textContent = `Registration ${reg.id}: ${reg.method} (${reg.model}), ${reg.inliers} inliers, RMS ${reg.rms_px?.toFixed?.(2) ?? reg.rms_px} px${reg.rms_m ? ` (${reg.rms_m.toFixed(2)} m)` : ""}, overlap ${Math.round((reg.overlap || 0) * 100)}%, offset ≈ ${shift} px. ${warp ? "The after pass is warped into the before pass's frame" : "Each pass is drawn in its own frame"}; rings mark where an object was before, dots where it is after.`;
  } else if (!regBox.textContent) {
    regBox.textContent = "No registration stored for this pair: the passes are shown unaligned, each in its own pixel frame. Run `sitewatch compare` to co-register them and find change events.";
  }
  const marks = L.featureGroup().addTo(map);
  if (view.pixel) {
    for (const e of events) {
      const colour = EVENT_COLOUR[e.kind] || "#0969da";
      const tip = `${e.kind} · ${e.class}${e.type ? " · " + e.type : ""}${e.distance_m ? ` · ${e.distance_m.toFixed(1)} m` : ""}`;
      if (e.before) L.circleMarker(view.toLatLng(e.before[0], e.before[1]), { radius: 10, color: colour, weight: 2, fill: false, pane: "markerPane" }).bindTooltip(`before: ${tip}`).addTo(marks);
      const after = e.after ? toA(e.after[0], e.after[1]) : null;
      if (after) L.circleMarker(view.toLatLng(after[0], after[1]), { radius: 7, color: "#fff", weight: 1, fillColor: colour, fillOpacity: 0.9, pane: "markerPane" }).bindTooltip(`after: ${tip}`).addTo(marks);
      if (e.before && after) L.polyline([view.toLatLng(...e.before), view.toLatLng(...after)], { color: colour, weight: 1, dashArray: "3 3" }).addTo(marks);
    }
  }
  const byKind = {};
  for (const e of events) byKind[e.kind] = (byKind[e.kind] || 0) + 1;
  clear(evBox).append(events.length
    ? el("div", {},
      el("p", {}, ...Object.entries(byKind).map(([k, n]) => el("span", { class: "pill", style: { background: EVENT_COLOUR[k] || "#0969da", color: "#fff" } }, `${k} ${n}`))),
      el("table", { class: "grid small" }, el("thead", {}, el("tr", {}, ...["#", "Kind", "Class", "Type", "Moved (m)", "Object"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...events.map((e) => el("tr", {}, el("td", {}, e.id), el("td", {}, e.kind), el("td", {}, e.class), el("td", {}, e.type || "—"), el("td", { class: "num" }, e.distance_m?.toFixed?.(1) ?? "—"), el("td", {}, e.object_id ?? "—"))))))
    : emptyNote("No change events stored for this pair yet."));
  return () => map.remove();
}

function invert3(m) {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
