// A Leaflet map showing one or two passes: CRS.Simple for pixel-frame passes, Web Mercator
// for georeferenced ones. Tiles come from /api/passes/{id}/tiles/{z}/{x}/{y}.png.
import L from "leaflet";

export function createPassMap(container, info, extra = {}) {
  const pixel = info.frame === "pixel";
  const map = L.map(container, {
    crs: pixel ? L.CRS.Simple : L.CRS.EPSG3857,
    minZoom: pixel ? 0 : Math.max(0, info.min_zoom - 2),
    maxZoom: info.max_zoom,
    zoomSnap: 0.25,
    attributionControl: true,
    ...extra,
  });
  map.attributionControl.setPrefix("Leaflet");
  const z = info.max_native_zoom;
  const toLatLng = pixel
    ? (x, y) => map.unproject([x, y], z)
    : null; // map passes use lon/lat from the API
  const bounds = pixel
    ? L.latLngBounds(toLatLng(0, info.height), toLatLng(info.width, 0))
    : L.latLngBounds([info.bounds[1], info.bounds[0]], [info.bounds[3], info.bounds[2]]);
  map.fitBounds(bounds);
  map.setMaxBounds(bounds.pad(0.5));
  return { map, bounds, pixel, toLatLng };
}

export function passLayer(passId, info, bounds, options = {}) {
  return L.tileLayer(`/api/passes/${passId}/tiles/{z}/{x}/{y}.png`, {
    tileSize: info.tile_size,
    noWrap: true,
    bounds,
    minZoom: 0,
    maxNativeZoom: info.max_native_zoom,
    maxZoom: info.max_zoom,
    keepBuffer: 1,
    ...options,
  });
}

// Detections as oriented boxes: colour by class, line style by review state.
export function detectionLayer(view, detections, styleFor, onClick) {
  const group = L.featureGroup();
  for (const d of detections) {
    let pts = null;
    if (view.pixel && d.polygon_px && d.polygon_px.length) {
      pts = d.polygon_px.map(([x, y]) => view.toLatLng(x, y));
    } else if (d.polygon_lonlat) {
      pts = d.polygon_lonlat.map(([lon, lat]) => L.latLng(lat, lon));
    }
    if (!pts) continue;
    const poly = L.polygon(pts, styleFor(d));
    poly.bindTooltip(`${d.effective_class}${d.type_name ? " · " + d.type_name : ""} · ${d.status} · ${(d.score ?? 0).toFixed(2)}`);
    poly.on("click", () => onClick(d, poly));
    poly.detectionId = d.id;
    group.addLayer(poly);
  }
  return group;
}
