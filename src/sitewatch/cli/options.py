"""Options shared by many commands, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["JsonOpt", "ModelOpt", "WorkspaceOpt"]

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
