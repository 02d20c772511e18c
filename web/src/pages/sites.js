// Sites on a map (no basemap service: land outlines from Natural Earth via world-atlas,
// bundled at build time) and a table with counts and the latest assessment.
import L from "leaflet";
import { feature } from "topojson-client";
import land from "world-atlas/land-50m.json";
import { get } from "../api.js";
import { el, clear, emptyNote } from "../dom.js";

const KIND_COLOUR = {
  air_base: "#d1242f", naval_base: "#1f6feb", port: "#0a7ea4", anchorage: "#54aeff",
  airport: "#bf8700", outpost: "#8250df", air_defence: "#cf222e", other: "#6e7781",
};

function assessmentText(a) {
  if (!a) return "none yet";
  if (a.leader) return `${a.estimative_word} ${a.leader}${a.leader_text ? ": " + a.leader_text : ""} (${a.confidence} confidence, ${a.as_of})`;
  return a.judgment || "assessment";
}

export async function sitesPage(root) {
  const sites = await get("/api/sites");
  const mapBox = el("div", { id: "sites-map", class: "map" });
  const table = el("table", { class: "grid", id: "sites-table" },
    el("thead", {}, el("tr", {}, ...["Site", "Kind", "Passes", "Evidence", "Detections (latest pass)", "Latest assessment"].map((h) => el("th", {}, h)))),
    el("tbody", {}, ...sites.map((s) => el("tr", { dataset: { site: s.slug } },
      el("td", {}, el("a", { href: `#/site/${encodeURIComponent(s.slug)}` }, s.name), s.approximate ? el("span", { class: "tag", title: "coordinates approximate in the source" }, "≈") : null, s.geometry ? null : el("span", { class: "tag", title: "no sourced coordinates" }, "no map position")),
      el("td", {}, s.kind.replace("_", " ")),
      el("td", { class: "num" }, s.counts.passes),
      el("td", { class: "num" }, s.counts.evidence),
      el("td", { class: "num" }, s.counts.detections_latest_pass ?? "—"),
      el("td", { title: s.latest_assessment?.judgment || "" }, s.latest_assessment
        ? el("span", {}, el("strong", {}, s.latest_assessment.leader), ` ${s.latest_assessment.estimative_word}`, el("div", { class: "small muted" }, `${s.latest_assessment.leader_text || ""} · ${s.latest_assessment.confidence} confidence · as of ${s.latest_assessment.as_of}`))
        : el("span", { class: "muted" }, "none yet")),
    ))),
  );
  clear(root).append(
    el("section", { class: "split" },
      el("div", { class: "pane" }, el("h1", {}, "Sites"), mapBox,
        el("p", { class: "muted small" }, "Circles show the analyst-chosen radius around sourced coordinates; ≈ marks coordinates the source calls approximate. Land outlines: Natural Earth 1:50m.")),
      el("div", { class: "pane" }, table),
    ),
  );
  const map = L.map(mapBox, { worldCopyJump: false, zoomSnap: 0.5 }).setView([34.5, 36], 6);
  map.attributionControl.setPrefix("Leaflet · Natural Earth");
  L.geoJSON(feature(land, land.objects.land), { style: { color: "#8c959f", weight: 1, fillColor: "#eaeef2", fillOpacity: 1 }, interactive: false }).addTo(map);
  const marks = L.featureGroup().addTo(map);
  for (const s of sites) {
    if (!s.center) continue;
    const colour = KIND_COLOUR[s.kind] || "#6e7781";
    const [lon, lat] = s.center;
    const popup = el("div", { class: "popup" },
      el("strong", {}, s.name), el("br"),
      `${s.kind.replace("_", " ")} · ${s.counts.passes} passes · ${s.counts.evidence} evidence`, el("br"),
      `detections (latest pass): ${s.counts.detections_latest_pass ?? "—"}`, el("br"),
      `latest assessment: ${assessmentText(s.latest_assessment)}`, el("br"),
      el("a", { href: `#/site/${encodeURIComponent(s.slug)}` }, "open site →"));
    if (s.radius_m) L.circle([lat, lon], { radius: s.radius_m, color: colour, weight: 1, fillOpacity: 0.15 }).addTo(marks);
    const m = L.circleMarker([lat, lon], { radius: 6, color: "#fff", weight: 1.5, fillColor: colour, fillOpacity: 1, className: `site-marker site-${s.slug}` })
      .bindPopup(popup).bindTooltip(s.name, { direction: "top" });
    m.addTo(marks);
  }
  if (marks.getLayers().length) map.fitBounds(marks.getBounds().pad(0.3));
  if (!sites.length) root.append(emptyNote("No sites in this workspace."));
  return () => map.remove();
}
