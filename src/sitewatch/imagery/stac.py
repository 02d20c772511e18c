"""Passes from STAC catalogues: search over a site and dates, then cut the site out of a COG.

Searching uses pystac-client: a STAC API gets one ``/search`` request (paged), a static
catalogue (Maxar Open Data) is walked, skipping every sub-catalogue whose extent misses the
site or the dates. Adding a pass reads **only the window over the site** from the item's
Cloud-Optimised GeoTIFF — GDAL turns it into HTTP range requests for the tiles it needs — and
writes that window to a local GeoTIFF in the workspace's data folder, copying it strip by strip
so memory stays bounded even for a large site at 0.3 m. The item's id, time, platform, GSD,
view angles, cloud cover and asset URL go into the pass metadata, so every later number can be
traced back to the catalogue item.

>>> s = StacScene(item_id="S2B_36SYE_20241213_0_L2A", collection="sentinel-2-l2a",
...               catalog="https://earth-search.aws.element84.com/v1",
...               acquired_at=datetime(2024, 12, 13, 8, 31, tzinfo=UTC), platform="sentinel-2b",
...               gsd_m=10.0, cloud_cover=3.2, asset_key="visual",
...               asset_href="https://example.org/TCI.tif")
>>> s.meta()["item_id"], s.meta()["datetime"], s.meta()["cloud_cover"]
('S2B_36SYE_20241213_0_L2A', '2024-12-13T08:31:00+00:00', 3.2)
>>> scene_file_name(s, "hmeimim")
'S2B_36SYE_20241213_0_L2A-hmeimim.tif'
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.errors import RasterioIOError
from rasterio.windows import Window as RioWindow
from rasterio.windows import from_bounds
from shapely.geometry.base import BaseGeometry

from sitewatch.errors import InputError, SitewatchError
from sitewatch.imagery.ingest import inspect_pass, parse_when
from sitewatch.imagery.profiles import CatalogProfile, get_profile
from sitewatch.sites.model import Site

if TYPE_CHECKING:  # the store imports imagery; import it back only for types
    from sitewatch.store.passes_repo import AddPassResult
    from sitewatch.store.workspace import Workspace

__all__ = [
    "StacScene",
    "add_scene_pass",
    "cut_site_window",
    "find_scenes",
    "gdal_http_options",
    "scene_file_name",
    "scene_from_item",
    "search_passes",
    "workspace_data_dir",
]

#: Rows copied per strip when cutting the site window: 512 rows of a 20,000-px-wide 3-band
#: window is 30 MB, whatever the size of the site.
STRIP_ROWS = 512

_VIEW_KEYS = {
    "off_nadir": ("view:off_nadir", "off_nadir"),
    "view_azimuth": ("view:azimuth",),
    "incidence_angle": ("view:incidence_angle",),
    "sun_elevation": ("view:sun_elevation", "sun_elevation"),
    "sun_azimuth": ("view:sun_azimuth", "sun_azimuth"),
}
_CLOUD_KEYS = ("eo:cloud_cover", "cloud_cover", "tile:clouds_percent")


@dataclass(frozen=True)
class StacScene:
    """One STAC item as a candidate pass: what it is, when, how sharp, and where its pixels are.

    Angles are degrees; ``cloud_cover`` is percent of the item (``None`` when the catalogue
    does not say); ``geometry`` is the item footprint in WGS84.
    """

    item_id: str
    collection: str | None
    catalog: str
    acquired_at: datetime
    platform: str | None
    gsd_m: float | None
    cloud_cover: float | None
    asset_key: str
    asset_href: str
    off_nadir: float | None = None
    view_azimuth: float | None = None
    incidence_angle: float | None = None
    sun_elevation: float | None = None
    sun_azimuth: float | None = None
    item_href: str | None = None
    geometry: BaseGeometry | None = field(default=None, compare=False)

    def meta(self) -> dict[str, Any]:
        """The provenance kept in the pass's metadata (plain JSON values)."""
        out: dict[str, Any] = {
            "item_id": self.item_id,
            "collection": self.collection,
            "catalog": self.catalog,
            "datetime": self.acquired_at.isoformat(),
            "platform": self.platform,
            "gsd_m": self.gsd_m,
            "cloud_cover": self.cloud_cover,
            "off_nadir": self.off_nadir,
            "view_azimuth": self.view_azimuth,
            "incidence_angle": self.incidence_angle,
            "sun_elevation": self.sun_elevation,
            "sun_azimuth": self.sun_azimuth,
            "asset": self.asset_key,
            "asset_href": self.asset_href,
            "item_href": self.item_href,
        }
        return out


def _utc(value: datetime | str, name: str) -> datetime:
    if isinstance(value, str):
        return parse_when(value, field=name)
    if value.tzinfo is None:
        warnings.warn(f"{name}={value.isoformat()} has no time zone; taken as UTC", stacklevel=3)
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _float(props: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    for k in keys:
        v = props.get(k)
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            return float(v)
    return None


def _pick_asset(item: Any, preferred: str) -> tuple[str, str] | None:
    """(key, absolute href) of the RGB COG: the profile's key, else a common one."""
    assets = item.assets
    for key in (preferred, "visual", "image", "data"):
        if key in assets:
            return key, str(assets[key].get_absolute_href() or assets[key].href)
    for key, a in assets.items():
        if "geotiff" in (a.media_type or "") and "data" in (a.roles or ["data"]):
            return key, str(a.get_absolute_href() or a.href)
    return None


def _asset_gsd(item: Any, key: str) -> float | None:
    a = item.assets[key].extra_fields
    if isinstance(a.get("gsd"), int | float):
        return float(a["gsd"])
    for band in a.get("raster:bands") or []:
        if isinstance(band, dict) and isinstance(band.get("spatial_resolution"), int | float):
            return float(band["spatial_resolution"])
    return None


def scene_from_item(item: Any, profile: CatalogProfile) -> StacScene | None:
    """A :class:`StacScene` from a pystac ``Item``, or ``None`` when it has no usable COG.

    Time is ``datetime`` or, for a range, ``start_datetime``; all times are UTC.
    """
    props: dict[str, Any] = dict(item.properties)
    picked = _pick_asset(item, profile.asset)
    when = item.datetime or item.common_metadata.start_datetime
    if picked is None or when is None:
        return None
    key, href = picked
    gsd = _float(props, ("gsd",)) or _asset_gsd(item, key) or profile.gsd_m
    self_href = item.get_self_href()
    views = {name: _float(props, keys) for name, keys in _VIEW_KEYS.items()}
    return StacScene(
        item_id=str(item.id),
        collection=item.collection_id,
        catalog=profile.url,
        acquired_at=_utc(when, "datetime"),
        platform=props.get("platform"),
        gsd_m=gsd,
        cloud_cover=_float(props, _CLOUD_KEYS),
        asset_key=key,
        asset_href=href,
        item_href=str(self_href) if self_href else None,
        geometry=shapely.geometry.shape(item.geometry) if item.geometry else None,
        **views,
    )


def _open_client(url: str) -> Any:
    from pystac_client import Client
    from pystac_client.warnings import PystacClientWarning

    try:
        with warnings.catch_warnings():
            # a static catalogue has no conformance classes; that is expected, not news
            warnings.simplefilter("ignore", PystacClientWarning)
            return Client.open(url)
    except Exception as exc:  # network, HTTP status, not JSON, not STAC
        raise SitewatchError(f"cannot open STAC catalogue {url!r}: {exc}") from None


def _overlaps_extent(obj: Any, area: BaseGeometry, start: datetime, end: datetime) -> bool:
    """False only when a collection's extent clearly misses the site or the dates."""
    extent = getattr(obj, "extent", None)
    if extent is None:
        return True
    bboxes = extent.spatial.bboxes or []
    if bboxes and not any(shapely.box(*b[:2], *b[-2:]).intersects(area) for b in bboxes if b):
        return False
    for lo, hi in extent.temporal.intervals or []:
        if (lo is None or lo <= end) and (hi is None or hi >= start):
            return True
    return not extent.temporal.intervals


def _walk_static(
    cat: Any, area: BaseGeometry, start: datetime, end: datetime, collection: str | None
) -> Iterator[Any]:
    """Items of a static catalogue under ``cat``, skipping children that cannot match: a
    collection other than the one asked for, or an extent that misses the site or dates."""
    for child in cat.get_children():
        is_collection = getattr(child, "extent", None) is not None
        if collection is not None and is_collection and child.id != collection:
            continue
        if not _overlaps_extent(child, area, start, end):
            continue
        yield from _walk_static(child, area, start, end, collection)
    for item in cat.get_items(recursive=False):
        if collection is None or item.collection_id in (None, collection):
            yield item


def _collect(
    client: Any,
    profile: CatalogProfile,
    area: BaseGeometry,
    t0: datetime,
    t1: datetime,
    coll: str | None,
    max_cloud: float | None,
    limit: int,
) -> list[StacScene]:
    """Search an API (one paged request) or walk a static catalogue; filter here as well."""
    from pystac_client import ConformanceClasses

    if client.conforms_to(ConformanceClasses.ITEM_SEARCH):
        kwargs: dict[str, Any] = {
            "intersects": shapely.geometry.mapping(area),
            "datetime": [t0, t1],
            "max_items": limit,
        }
        if client.conforms_to(ConformanceClasses.SORT):
            kwargs["sortby"] = "properties.datetime"
        if coll:
            kwargs["collections"] = [coll]
        if max_cloud is not None and client.conforms_to(ConformanceClasses.QUERY):
            kwargs["query"] = {"eo:cloud_cover": {"lte": max_cloud}}
        items: Iterator[Any] = client.search(**kwargs).items()
    else:
        items = _walk_static(client, area, t0, t1, coll)
    scenes: list[StacScene] = []
    for item in items:
        scene = scene_from_item(item, profile)
        if scene is None or not t0 <= scene.acquired_at <= t1:
            continue
        if scene.geometry is not None and not scene.geometry.intersects(area):
            continue
        if max_cloud is not None and (scene.cloud_cover or 0.0) > max_cloud:
            continue
        scenes.append(scene)
        if len(scenes) >= limit:
            break
    return scenes


def search_passes(
    site: Site,
    start: datetime | str,
    end: datetime | str,
    *,
    catalog: str | None = None,
    collection: str | None = None,
    max_cloud: float | None = None,
    limit: int = 200,
) -> list[StacScene]:
    """STAC items over a site between two times, as :class:`StacScene` objects, oldest first.

    Parameters
    ----------
    site
        The site; its polygon (or point buffered by its radius) is the search area.
    start, end
        UTC interval, inclusive (``datetime`` or ISO text; naive values are taken as UTC with
        a warning).
    catalog
        A profile name (``earth-search``, ``maxar-open-data``), a STAC API URL or a static
        ``catalog.json`` URL/path; default ``earth-search``.
    collection
        Collection id; default: the profile's (Sentinel-2 L2A for Earth Search).
    max_cloud
        Keep items with at most this cloud cover, percent. Sent to the API as a ``query``
        when it supports one, and always checked here (a static catalogue cannot filter).
    limit
        Stop after this many items.

    Examples
    --------
    The offline tests serve recorded Earth Search responses; against the live catalogue::

        scenes = search_passes(site, "2024-12-01", "2024-12-31", max_cloud=20)

    >>> import shapely
    >>> from sitewatch.sites import Site, SiteKind
    >>> search_passes(Site("x", "X", SiteKind.OTHER), "2024-12-01", "2024-12-02")
    Traceback (most recent call last):
    ...
    sitewatch.errors.InputError: field 'site': site 'x' has no coordinates (expected a site \
with a polygon, or a point and a radius)
    """
    area = site.area_polygon()
    if area is None:
        raise InputError(
            f"site {site.slug!r} has no coordinates",
            field="site",
            expected="a site with a polygon, or a point and a radius",
        )
    t0, t1 = _utc(start, "start"), _utc(end, "end")
    if t1 < t0:
        raise InputError(
            f"end {t1.date()} is before start {t0.date()}", field="--to", expected="end ≥ start"
        )
    if max_cloud is not None and not 0 <= max_cloud <= 100:
        raise InputError(f"{max_cloud}", field="--max-cloud", expected="0–100 percent")
    profile = get_profile(catalog)
    coll = collection or profile.collection
    client = _open_client(profile.url)
    from pystac_client.warnings import PystacClientWarning

    try:
        with warnings.catch_warnings():
            # walking a static catalogue is the plan, not a degraded fallback: no warning
            warnings.simplefilter("ignore", PystacClientWarning)
            scenes = _collect(client, profile, area, t0, t1, coll, max_cloud, limit)
    except SitewatchError:
        raise
    except Exception as exc:  # HTTP errors and malformed items from the catalogue
        raise SitewatchError(f"STAC search in {profile.url!r} failed: {exc}") from None
    scenes.sort(key=lambda s: (s.acquired_at, s.item_id))
    return scenes


def find_scenes(
    ids: list[str], *, catalog: str | None = None, collection: str | None = None
) -> list[StacScene]:
    """Items by id from a STAC API (``ids`` search), in the order asked; unknown ids are an
    :class:`InputError` naming them. A static catalogue cannot look ids up: search it over
    the site and dates with :func:`search_passes` instead."""
    profile = get_profile(catalog)
    coll = collection or profile.collection
    client = _open_client(profile.url)
    from pystac_client import ConformanceClasses
    from pystac_client.warnings import PystacClientWarning

    if not client.conforms_to(ConformanceClasses.ITEM_SEARCH):
        raise InputError(
            f"{profile.url} is a static catalogue: items cannot be looked up by id",
            field="--from/--to",
            expected="the dates to search over the site",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PystacClientWarning)
            kwargs: dict[str, Any] = {"ids": list(ids), "max_items": max(len(ids), 1) * 2}
            if coll:
                kwargs["collections"] = [coll]
            found = {}
            for item in client.search(**kwargs).items():
                scene = scene_from_item(item, profile)
                if scene is not None and scene.item_id in ids:
                    found[scene.item_id] = scene
    except Exception as exc:  # HTTP errors and malformed items from the catalogue
        raise SitewatchError(f"STAC lookup in {profile.url!r} failed: {exc}") from None
    missing = [i for i in ids if i not in found]
    if missing:
        raise InputError(
            f"items not found in {profile.url}: {', '.join(missing)}",
            field="ITEMS",
            expected="ids from `sitewatch passes search`",
        )
    return [found[i] for i in ids]


def gdal_http_options() -> dict[str, Any]:
    """GDAL settings for reading COGs over HTTP with few, small range requests.

    Not listing the "directory" of a URL saves one request per open; public buckets need no
    credentials; consecutive tile ranges are merged into one request.

    >>> gdal_http_options()["GDAL_DISABLE_READDIR_ON_OPEN"]
    'EMPTY_DIR'
    """
    return {
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
        "GDAL_HTTP_MAX_RETRY": 3,
        "GDAL_HTTP_RETRY_DELAY": 1,
        "AWS_NO_SIGN_REQUEST": os.environ.get("AWS_NO_SIGN_REQUEST", "YES"),
        "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.TIF,.tiff,.TIFF",
    }


def workspace_data_dir(workspace_url: str) -> Path:
    """Where files a workspace owns live: ``NAME-data/`` beside an SQLite file, else the
    ``SITEWATCH_FILES`` folder or ``./sitewatch-data`` (a PostgreSQL workspace has no folder).

    >>> workspace_data_dir("sqlite:////tmp/x/ws.db").as_posix()
    '/tmp/x/ws-data'
    """
    if workspace_url.startswith("sqlite:///"):
        db = Path(workspace_url.removeprefix("sqlite:///"))
        return db.with_name(db.stem + "-data")
    return Path(os.environ.get("SITEWATCH_FILES", "sitewatch-data")).resolve()


def scene_file_name(scene: StacScene, site_slug: str) -> str:
    """A file name from the item id and site, safe on every file system."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", scene.item_id).strip("._") or "item"
    return f"{safe}-{site_slug}.tif"


def _open_href(href: str) -> Any:
    try:
        return rasterio.open(href)
    except RasterioIOError as exc:
        raise InputError(
            f"cannot open the item's image ({exc})", path=href, expected="a reachable COG"
        ) from None


def cut_site_window(
    href: str, site: Site, out_path: Path, *, tags: dict[str, str] | None = None
) -> tuple[int, int]:
    """Copy the window of a (remote) raster that covers the site into a local GeoTIFF.

    Only the tiles of the window are read (HTTP range requests for a URL); the copy goes
    strip by strip. Writes to a temporary name and renames, so a half-written file is never
    taken for a pass. Returns the window's (width, height).

    Raises :class:`InputError` when the raster has no CRS or does not cover the site.
    """
    area = site.area_polygon()
    if area is None:
        raise InputError(f"site {site.slug!r} has no coordinates", field="site")
    with rasterio.Env(**gdal_http_options()), _open_href(href) as src:
        if src.crs is None:
            raise InputError("the item's image has no CRS", path=href, expected="a GeoTIFF/COG")
        to_src = Transformer.from_crs("EPSG:4326", src.crs.to_wkt(), always_xy=True)
        # densify so the bounds of a round site stay right after reprojection
        x0, y0, x1, y1 = area.bounds
        t = np.linspace(0.0, 1.0, 33)
        lon = np.concatenate(
            [x0 + (x1 - x0) * t, np.full_like(t, x1), x1 - (x1 - x0) * t, np.full_like(t, x0)]
        )
        lat = np.concatenate(
            [np.full_like(t, y0), y0 + (y1 - y0) * t, np.full_like(t, y1), y1 - (y1 - y0) * t]
        )
        xs, ys = to_src.transform(lon, lat)
        win = from_bounds(min(xs), min(ys), max(xs), max(ys), src.transform)
        col0, row0 = max(0, math.floor(win.col_off)), max(0, math.floor(win.row_off))
        col1 = min(src.width, math.ceil(win.col_off + win.width))
        row1 = min(src.height, math.ceil(win.row_off + win.height))
        if col1 <= col0 or row1 <= row0:
            raise InputError(
                f"the item's image does not cover site {site.slug!r}",
                path=href,
                expected="an item whose footprint contains the site",
            )
        width, height = col1 - col0, row1 - row0
        full = RioWindow(col0, row0, width, height)
        profile = {
            "driver": "GTiff",
            "width": width,
            "height": height,
            "count": src.count,
            "dtype": src.dtypes[0],
            "crs": src.crs,
            "transform": src.window_transform(full),
            "nodata": src.nodata,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
            "compress": "deflate",
            "BIGTIFF": "IF_SAFER",
        }
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_name(out_path.name + ".part")
        try:
            with rasterio.open(tmp, "w", **profile) as dst:
                for r in range(0, height, STRIP_ROWS):
                    h = min(STRIP_ROWS, height - r)
                    strip = src.read(window=RioWindow(col0, row0 + r, width, h))
                    dst.write(strip, window=RioWindow(0, r, width, h))
                if tags:
                    dst.update_tags(**tags)
        except RasterioIOError as exc:
            tmp.unlink(missing_ok=True)
            raise InputError(f"reading the item's image failed ({exc})", path=href) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(out_path)
    return width, height


def add_scene_pass(
    ws: Workspace,
    site: Site,
    scene: StacScene,
    *,
    out_dir: str | Path | None = None,
    label: str | None = None,
) -> AddPassResult:
    """Cut the site out of a STAC scene, store it as a pass, and return the store's result.

    Parameters
    ----------
    ws
        An open :class:`~sitewatch.store.Workspace`.
    site
        The site (from ``sites_repo.get_site``).
    scene
        From :func:`search_passes` or :func:`scene_from_item`.
    out_dir
        Folder for the cut-out GeoTIFF; default the workspace's data folder
        (:func:`workspace_data_dir`) ``/stac``.
    label
        Caption; default ``"<platform> <item id>"``.

    Returns
    -------
    sitewatch.store.passes_repo.AddPassResult
        The stored pass (its ``meta["stac"]`` holds :meth:`StacScene.meta`) and whether it
        was new; adding the same item again for the same site is a no-op.
    """
    from sitewatch.store import passes_repo

    folder = Path(out_dir) if out_dir is not None else workspace_data_dir(ws.url) / "stac"
    out = folder / scene_file_name(scene, site.slug)
    if not out.is_file():
        tags = {"ACQUISITION_DATETIME": scene.acquired_at.isoformat(), "STAC_ITEM": scene.item_id}
        if scene.platform:
            tags["SENSOR"] = scene.platform
        cut_site_window(scene.asset_href, site, out, tags=tags)
    p = inspect_pass(
        out,
        site,
        date=scene.acquired_at.isoformat(),
        sensor=scene.platform,
        label=label or f"{scene.platform or scene.collection or 'STAC'} {scene.item_id}",
    )
    p = dataclasses.replace(p, meta={**p.meta, "source": "stac", "stac": scene.meta()})
    return passes_repo.add_pass(ws, p)
