"""One entry point for any track file: detect ADS-B or AIS and the layout from the content."""

from __future__ import annotations

import gzip
from pathlib import Path

from sitewatch.errors import InputError
from sitewatch.tracks.adsb import read_adsb
from sitewatch.tracks.ais_csv import read_ais_csv
from sitewatch.tracks.nmea import read_nmea
from sitewatch.tracks.schema import ReadResult

__all__ = ["is_nmea", "read_track_file"]

_NOT_TRACKS = (".md", ".txt.license", ".pdf", ".png", ".jpg")


def _head(path: Path, n: int = 8192) -> bytes:
    with path.open("rb") as fh:
        data = fh.read(n)
    if data[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as gz:
            data = gz.read(n)
    return data


def is_nmea(head: bytes) -> bool:
    """Whether the first bytes of a file look like an AIS NMEA log.

    Examples
    --------
    >>> is_nmea(b"# comment\\n!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\\n")
    True
    >>> is_nmea(b"MMSI,BaseDateTime,LAT,LON\\n")
    False
    """
    return b"!AIVDM" in head or b"!AIVDO" in head or b"VDM," in head


def read_track_file(path: Path) -> ReadResult:
    """Read an ADS-B or AIS file into the normalised tables.

    Raises
    ------
    InputError
        With the reason when the file is not a track file sitewatch reads.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "notes.md"
    >>> _ = p.write_text("# hello")
    >>> read_track_file(p)
    Traceback (most recent call last):
    ...
    sitewatch.errors.InputError: notes.md: not a track file (expected ADS-B or AIS data)
    >>> q = Path(tempfile.mkdtemp()) / "broken.json"
    >>> _ = q.write_text('[{"timestamp": 1, "latitude": 1')
    >>> read_track_file(q)
    Traceback (most recent call last):
    ...
    sitewatch.errors.InputError: broken.json: not valid JSON
    """
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    name = path.name.lower()
    if name.endswith(_NOT_TRACKS) or name.startswith("license") or "readme" in name:
        raise InputError("not a track file", path=path.name, expected="ADS-B or AIS data")
    try:
        head = _head(path)
        if is_nmea(head):
            return read_nmea(path)
        first = head.split(b"\n", 1)[0].decode("utf-8-sig", "replace")
        if "," in first and not first.lstrip().startswith(("{", "[")):
            cols = {c.strip().strip('"').lower() for c in first.split(",")}
            if "mmsi" in cols or ("id" in cols and ({"longitude", "lon"} & cols)):
                return read_ais_csv(path)
        return read_adsb(path)
    except InputError:
        raise
    except Exception as exc:
        # a file no reader anticipated is rejected with what went wrong, never a traceback
        raise InputError(f"unreadable ({type(exc).__name__}: {exc})", path=path.name) from exc
