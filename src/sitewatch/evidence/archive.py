"""Local copies of evidence (a saved post, a video, a PDF): hash and where it lies.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "post.txt"
>>> _ = p.write_bytes(b"hello")
>>> a = archive_record(p)
>>> a.sha256[:12], a.size
('2cf24dba5fb0', 5)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sitewatch.errors import InputError

__all__ = ["ArchiveRecord", "archive_record", "sha256_file"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArchiveRecord:
    """The sha256, absolute path and size of an archived local copy."""

    sha256: str
    path: str
    size: int


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks so a long video never sits in memory whole."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def archive_record(path: str | Path) -> ArchiveRecord:
    """Hash a local copy; a missing or unreadable file is an :class:`InputError`."""
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", path=p, expected="an existing local copy")
    try:
        digest = sha256_file(p)
    except OSError as exc:
        raise InputError(f"unreadable ({exc.strerror})", path=p) from None
    return ArchiveRecord(digest, str(p.resolve()), p.stat().st_size)
