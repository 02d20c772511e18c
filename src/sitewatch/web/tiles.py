"""Raster tiles of passes: a pixel-frame pyramid for plain images, rio-tiler for map passes.

A *pixel-frame* pass (a JPEG/PNG with a stated GSD and no CRS) is shown in Leaflet's
``CRS.Simple``: at the pyramid's top zoom one tile pixel is one image pixel, and every zoom
below halves the resolution. Each tile is one :class:`~sitewatch.imagery.RasterReader`
window resampled to 256×256, so a tile never reads more than its window.

A *map* pass (GeoTIFF/COG with a CRS) is tiled in Web Mercator by rio-tiler.

>>> pyr = PixelPyramid.for_size(2560, 2560)
>>> pyr.max_zoom
4
>>> pyr.window(4, 0, 0)
Window(col=0, row=0, width=256, height=256)
>>> pyr.window(0, 0, 0)
Window(col=0, row=0, width=4096, height=4096)
>>> pyr.window(4, 10, 0) is None  # past the right edge
True
>>> pyr.window(6, 0, 0)  # two levels of over-zoom
Window(col=0, row=0, width=64, height=64)
"""

from __future__ import annotations

import io
import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from sitewatch.errors import InputError, NotFoundError
from sitewatch.imagery import Frame, Pass, RasterReader, Window

__all__ = [
    "OVERZOOM",
    "TILE_SIZE",
    "PixelPyramid",
    "TileCache",
    "Tiler",
    "pixel_to_lonlat",
]

TILE_SIZE = 256
#: Zoom levels past one-image-pixel-per-screen-pixel that a pixel-frame pass serves.
OVERZOOM = 2


@dataclass(frozen=True)
class PixelPyramid:
    """The zoom levels of a pixel-frame image of ``width`` × ``height`` pixels."""

    width: int
    height: int
    max_zoom: int

    @classmethod
    def for_size(cls, width: int, height: int) -> PixelPyramid:
        """The smallest pyramid whose zoom 0 tile holds the whole image."""
        side = max(width, height, 1)
        return cls(width, height, max(0, math.ceil(math.log2(side / TILE_SIZE))))

    def scale(self, z: int) -> float:
        """Image pixels per tile pixel at zoom ``z``."""
        return float(2 ** (self.max_zoom - z))

    def window(self, z: int, x: int, y: int) -> Window | None:
        """The image window a tile covers, or ``None`` when the tile is outside the image."""
        if z < 0 or z > self.max_zoom + OVERZOOM or x < 0 or y < 0:
            return None
        side = round(TILE_SIZE * self.scale(z))
        col, row = x * side, y * side
        if col >= self.width or row >= self.height:
            return None
        return Window(col, row, side, side)

    def info(self) -> dict[str, Any]:
        """What the front-end needs to set up ``CRS.Simple``."""
        return {
            "frame": Frame.PIXEL.value,
            "width": self.width,
            "height": self.height,
            "tile_size": TILE_SIZE,
            "min_zoom": 0,
            "max_native_zoom": self.max_zoom,
            "max_zoom": self.max_zoom + OVERZOOM,
        }


class TileCache:
    """A small thread-safe LRU of encoded tiles.

    >>> c = TileCache(2); c.put("a", b"1"); c.put("b", b"2"); c.put("c", b"3")
    >>> c.get("a") is None, c.get("c")
    (True, b'3')
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._data: OrderedDict[Any, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> bytes | None:
        """The cached bytes for ``key``, marking it recently used."""
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Any, value: bytes) -> None:
        """Store bytes, dropping the least recently used entry when full."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


def _png(rgb: npt.NDArray[np.uint8], alpha: npt.NDArray[np.uint8] | None) -> bytes:
    if alpha is not None:
        arr = np.dstack([rgb, alpha])
        img = Image.fromarray(arr, "RGBA")
    else:
        img = Image.fromarray(rgb, "RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


@contextmanager
def _quiet() -> Iterator[None]:
    """rio-tiler warns that a raster has no overviews; small ones do fine without."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


class _OpenReader:
    def __init__(self, path: str) -> None:
        self.reader = RasterReader(path)
        self.lock = threading.Lock()
        driver = str(getattr(self.reader.dataset, "driver", ""))
        block = self.reader.dataset.block_shapes[0] if self.reader.dataset.block_shapes else (1, 1)
        # JPEG/PNG and striped files decode from the top for any window: read a row of tiles
        # at once and cache them all, instead of decoding the same rows once per tile.
        self.strips = driver in ("JPEG", "PNG", "GIF", "BMP") or block[0] <= 16


def _source_path(p: Pass) -> str:
    """The pass's file, from the workspace record only (never from a request)."""
    path = Path(p.path)
    if not path.is_file():
        raise NotFoundError(f"the image file of pass {p.id} is not at {p.path} any more")
    return str(path)


#: Tiles read together in one row when a format decodes from the top (bounded memory:
#: at most this many 256×256 tiles, about 1.5 MB).
STRIP_TILES = 8


class Tiler:
    """Renders PNG tiles and thumbnails of passes, keeping a few readers open.

    Each pass gets a small pool of readers (reads of one dataset are not thread-safe, reads
    of two are), rendered tiles go to an LRU cache, and concurrent requests for the same
    missing tile wait for one render instead of each doing it.
    """

    def __init__(self, readers: int = 8, cache_tiles: int = 1024, per_pass: int = 2) -> None:
        self._pools: OrderedDict[tuple[int | None, str], list[_OpenReader]] = OrderedDict()
        self._max_pools = readers
        self._per_pass = per_pass
        self._lock = threading.Lock()
        self._inflight: dict[Any, threading.Lock] = {}
        self.cache = TileCache(cache_tiles)
        self._map_stats: dict[str, tuple[float, float] | None] = {}

    @contextmanager
    def _reader(self, p: Pass) -> Iterator[_OpenReader]:
        """A reader of the pass held for the block: a free one, a new one, or wait for one."""
        key = (p.id, p.sha256)
        with self._lock:
            pool = self._pools.setdefault(key, [])
            self._pools.move_to_end(key)
            free = next((r for r in pool if r.lock.acquire(blocking=False)), None)
            grow = free is None and len(pool) < self._per_pass
            stale = []
            while len(self._pools) > self._max_pools:
                stale.append(self._pools.popitem(last=False)[1])
        for old in stale:
            for r in old:
                with r.lock:
                    r.reader.close()
        if free is None and grow:
            free = _OpenReader(_source_path(p))
            free.lock.acquire()
            with self._lock:
                self._pools.setdefault(key, []).append(free)
        if free is None:
            free = pool[0]
            free.lock.acquire()
        try:
            yield free
        finally:
            free.lock.release()

    def info(self, p: Pass) -> dict[str, Any]:
        """Tile layout of a pass for the front-end."""
        if p.frame is Frame.PIXEL:
            return PixelPyramid.for_size(p.width, p.height).info()
        from rio_tiler.io import Reader

        with _quiet(), Reader(_source_path(p)) as src:
            west, south, east, north = src.get_geographic_bounds("EPSG:4326")
            return {
                "frame": Frame.MAP.value,
                "width": p.width,
                "height": p.height,
                "tile_size": TILE_SIZE,
                "bounds": [west, south, east, north],
                "min_zoom": int(src.minzoom),
                "max_native_zoom": int(src.maxzoom),
                "max_zoom": int(src.maxzoom) + OVERZOOM,
            }

    def tile(self, p: Pass, z: int, x: int, y: int) -> bytes:
        """One 256×256 PNG tile (transparent where the image does not reach)."""
        key = (p.id, p.sha256, z, x, y)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        with self._lock:
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            cached = self.cache.get(key)  # rendered while this request waited
            if cached is None:
                if p.frame is Frame.PIXEL:
                    cached = self._pixel_tiles(p, z, x, y)
                else:
                    cached = self._map_tile(p, z, x, y)
                    self.cache.put(key, cached)
        with self._lock:
            self._inflight.pop(key, None)
        return cached

    def _pixel_tiles(self, p: Pass, z: int, x: int, y: int) -> bytes:
        """Render tile (z, x, y), caching it and, for strip formats, its row neighbours."""
        pyr = PixelPyramid.for_size(p.width, p.height)
        win = pyr.window(z, x, y)
        if win is None:
            raise NotFoundError(
                f"tile {z}/{x}/{y} is outside pass {p.id} "
                f"(zoom 0–{pyr.max_zoom + OVERZOOM}, {p.width}×{p.height} pixels)"
            )
        scale = pyr.scale(z)
        with self._reader(p) as opened:
            xs = [x]
            if opened.strips:
                first = (x // STRIP_TILES) * STRIP_TILES
                xs = [
                    t
                    for t in range(first, first + STRIP_TILES)
                    if pyr.window(z, t, y) is not None
                    and self.cache.get((p.id, p.sha256, z, t, y)) is None
                ] or [x]
                if x not in xs:
                    xs.append(x)
            lo, hi = min(xs), max(xs)
            strip = Window(lo * win.width, win.row, (hi - lo + 1) * win.width, win.height)
            rgb = opened.reader.read(strip, out_shape=(TILE_SIZE, TILE_SIZE * (hi - lo + 1)))
        wanted = b""
        for t in xs:
            part = rgb[:, (t - lo) * TILE_SIZE : (t - lo + 1) * TILE_SIZE]
            col = t * win.width
            valid_w = min(TILE_SIZE, math.ceil((p.width - col) / scale))
            valid_h = min(TILE_SIZE, math.ceil((p.height - win.row) / scale))
            alpha = None
            if valid_w < TILE_SIZE or valid_h < TILE_SIZE:
                alpha = np.zeros((TILE_SIZE, TILE_SIZE), np.uint8)
                alpha[:valid_h, :valid_w] = 255
            data = _png(np.ascontiguousarray(part), alpha)
            self.cache.put((p.id, p.sha256, z, t, y), data)
            if t == x:
                wanted = data
        return wanted

    def tile_in_frame(
        self, b: Pass, a: Pass, matrix: Sequence[Sequence[float]], tag: Any, z: int, x: int, y: int
    ) -> bytes:
        """Tile (z, x, y) of pass ``a``'s pixel pyramid, filled from pass ``b`` warped into it.

        ``matrix`` maps A pixels to B pixels (a registration, 3×3 or 2×3); ``tag`` names it in
        the cache. Only the part of B under the tile is read (resampled to about the tile's
        resolution), then warped; where B does not reach, the tile is transparent.
        """
        key = (b.id, b.sha256, "in", a.id, tag, z, x, y)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        pyr = PixelPyramid.for_size(a.width, a.height)
        win = pyr.window(z, x, y)
        if win is None:
            raise NotFoundError(f"tile {z}/{x}/{y} is outside pass {a.id}")
        data = self._warped(b, _homography(matrix), pyr.scale(z), win)
        self.cache.put(key, data)
        return data

    def _warped(self, b: Pass, m: npt.NDArray[np.float64], scale: float, win: Window) -> bytes:
        import cv2

        to_a = np.array([[scale, 0, win.col], [0, scale, win.row], [0, 0, 1]], np.float64)
        tile_to_b = m @ to_a
        corners = np.array(
            [[0, 0, 1], [TILE_SIZE, 0, 1], [0, TILE_SIZE, 1], [TILE_SIZE, TILE_SIZE, 1]]
        )
        pts = (tile_to_b @ corners.T).T
        pts = pts[:, :2] / pts[:, 2:3]
        x0, y0 = max(0, math.floor(pts[:, 0].min())), max(0, math.floor(pts[:, 1].min()))
        x1, y1 = min(b.width, math.ceil(pts[:, 0].max())), min(b.height, math.ceil(pts[:, 1].max()))
        if x1 <= x0 or y1 <= y0:
            empty = np.zeros((TILE_SIZE, TILE_SIZE, 3), np.uint8)
            return _png(empty, np.zeros((TILE_SIZE, TILE_SIZE), np.uint8))
        bw, bh = x1 - x0, y1 - y0
        k = max(1.0, max(bw, bh) / (TILE_SIZE * 1.5))  # read near the tile's resolution
        out_w, out_h = max(1, math.ceil(bw / k)), max(1, math.ceil(bh / k))
        with self._reader(b) as opened:
            src = opened.reader.read(Window(x0, y0, bw, bh), out_shape=(out_h, out_w))
        shrink = np.diag([out_w / bw, out_h / bh, 1.0])
        shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
        tile_to_src = shrink @ shift @ tile_to_b
        flags = cv2.WARP_INVERSE_MAP
        size = (TILE_SIZE, TILE_SIZE)
        rgb = cv2.warpPerspective(src, tile_to_src, size, flags=cv2.INTER_LINEAR | flags)
        ones = np.full((out_h, out_w), 255, np.uint8)
        alpha = cv2.warpPerspective(ones, tile_to_src, size, flags=cv2.INTER_NEAREST | flags)
        return _png(np.ascontiguousarray(rgb, dtype=np.uint8), alpha.astype(np.uint8))

    def _stretch_range(self, path: str, src: Any) -> tuple[float, float] | None:
        if path in self._map_stats:
            return self._map_stats[path]
        rng: tuple[float, float] | None = None
        if str(src.dataset.dtypes[0]) != "uint8":
            preview = src.preview(max_size=512)
            values = preview.array.compressed() if hasattr(preview.array, "compressed") else None
            if values is not None and values.size:
                lo, hi = np.percentile(values, [2, 98])
                rng = (float(lo), float(max(hi, lo + 1e-6)))
        self._map_stats[path] = rng
        return rng

    def _map_tile(self, p: Pass, z: int, x: int, y: int) -> bytes:
        from rio_tiler.errors import TileOutsideBounds
        from rio_tiler.io import Reader

        path = _source_path(p)
        with _quiet(), Reader(path) as src:
            indexes = (1, 2, 3) if src.dataset.count >= 3 else (1,)
            try:
                img = src.tile(x, y, z, tilesize=TILE_SIZE, indexes=indexes)
            except TileOutsideBounds:
                raise NotFoundError(f"tile {z}/{x}/{y} is outside pass {p.id}") from None
            rng = self._stretch_range(path, src)
        if rng is not None:
            img.rescale(in_range=(rng,) * img.count)
        elif str(img.data.dtype) != "uint8":
            raise InputError(f"pass {p.id} has no usable pixel range for display")
        out: bytes = img.render(img_format="PNG")
        return out

    def thumbnail(self, p: Pass, max_side: int = 512) -> bytes:
        """A small whole-pass PNG (decimated read, never the full raster)."""
        key = (p.id, p.sha256, "thumb", max_side)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        with self._reader(p) as opened:
            rgb = opened.reader.thumbnail(max_side)
        data = _png(rgb, None)
        self.cache.put(key, data)
        return data

    def close(self) -> None:
        """Close every open reader."""
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            for opened in pool:
                with opened.lock:
                    opened.reader.close()


def _homography(matrix: Sequence[Sequence[float]]) -> npt.NDArray[np.float64]:
    """A 3×3 matrix from a 3×3 or 2×3 one.

    >>> _homography([[1, 0, 5], [0, 1, 0]]).tolist()
    [[1.0, 0.0, 5.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    m = np.asarray(matrix, np.float64)
    if m.shape == (2, 3):
        m = np.vstack([m, [0.0, 0.0, 1.0]])
    if m.shape != (3, 3):
        raise InputError(f"a registration matrix must be 3×3 or 2×3, not {m.shape}")
    return m


def pixel_to_lonlat(p: Pass, points: list[tuple[float, float]]) -> list[tuple[float, float]] | None:
    """Pixel (col, row) points of a map pass as WGS84 (lon, lat); ``None`` for pixel passes.

    >>> from sitewatch.imagery import Pass, Frame
    >>> mp = Pass("s", "x.tif", "0", 1, 10, 10, 3, Frame.MAP, 1.0, crs="EPSG:4326",
    ...           transform=(0.001, 0.0, 35.0, 0.0, -0.001, 36.0))
    >>> pixel_to_lonlat(mp, [(0, 0), (1000, 1000)])
    [(35.0, 36.0), (36.0, 35.0)]
    """
    if p.frame is not Frame.MAP or p.transform is None or p.crs is None:
        return None
    a, b, c, d, e, f = p.transform[:6]
    xs = [a * col + b * row + c for col, row in points]
    ys = [d * col + e * row + f for col, row in points]
    from pyproj import Transformer

    to_wgs = Transformer.from_crs(p.crs, "EPSG:4326", always_xy=True)
    lons, lats = to_wgs.transform(xs, ys)
    return [(round(float(lo), 9), round(float(la), 9)) for lo, la in zip(lons, lats, strict=True)]
