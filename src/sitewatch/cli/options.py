"""Options shared by many commands, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["JsonOpt", "ModelOpt", "ViewsOpt", "WorkspaceOpt", "ZoomsOpt"]

WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace: SQLite file path or database URL (env SITEWATCH_WORKSPACE).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", help="ONNX model file (env SITEWATCH_MODEL; default: bundled model)."),
]


#: readings per tile the engine offers (``sitewatch.detect.fuse.VIEW_COUNTS``, kept here so
#: that the CLI can refuse a count before importing the engine)
VIEW_CHOICES = (1, 2, 4, 8)


def _views_ok(value: int) -> int:
    if value not in VIEW_CHOICES:
        raise typer.BadParameter(f"{value} is not one of {', '.join(map(str, VIEW_CHOICES))}")
    return value


#: how many times the model reads each tile (``sitewatch.detect.fuse``)
ViewsOpt = Annotated[
    int,
    typer.Option(
        "--views",
        help="Readings per tile: 1 = once; 2 = as it is and mirrored, fused (tighter boxes on "
        "small craft, fewer false alarms; twice the inference); 4 = mirrored both ways and "
        "turned half round too; 8 = those transposed as well.",
        callback=_views_ok,
    ),
]
#: magnifications the raster is read at (``sitewatch.detect.engine``)
ZoomsOpt = Annotated[
    str,
    typer.Option(
        "--zooms",
        metavar="Z,…|small-craft",
        help="Read the raster at these magnifications and fuse the readings: 1.4 makes "
        "objects look 1.4× larger to the model (small craft are found and boxed better; "
        "each zoom costs a run), e.g. 1,1.4; small-craft = 0.85,1,1.18,1.4,1.7.",
    ),
]
