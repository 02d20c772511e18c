"""Imagery: passes (raster + time + sensor + GSD + footprint + frame), readers, ingest."""

from sitewatch.imagery.ingest import inspect_pass, parse_when, read_sidecar
from sitewatch.imagery.model import Frame, Pass
from sitewatch.imagery.reader import RasterReader, Window, sha256_file

__all__ = [
    "Frame",
    "Pass",
    "RasterReader",
    "Window",
    "inspect_pass",
    "parse_when",
    "read_sidecar",
    "sha256_file",
]
