"""``sitewatch compare``: what changed between two passes.

Two forms:

* ``sitewatch compare BEFORE.jpg AFTER.jpg --gsd 0.5 --json OUT.json`` — two image files,
  no workspace. Objects come from the detector when its model file exists, else from
  ``--boxes-before`` / ``--boxes-after`` (GeoJSON or CSV of pixel boxes; a CSV with an
  ``image_id`` column, such as the Airbus ``annotations.csv``, is filtered to each image).
* ``sitewatch compare PASS_A PASS_B`` — two pass ids of the workspace; uses their stored,
  reviewed detections and saves the registration, events and tracked objects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sitewatch.cli.common import open_workspace, settings
from sitewatch.cli.options import ModelOpt, WorkspaceOpt
from sitewatch.cli.output import console, print_table
from sitewatch.errors import InputError

__all__ = ["register"]


def _is_pass_id(text: str) -> bool:
    return text.isdigit() and not Path(text).exists()


def _detect(path: Path, gsd: float, model: Any, threshold: float) -> list[Any]:
    """Run the detector engine on a file (imported here: it loads ONNX Runtime)."""
    from sitewatch.change.boxes import boxes_from_detections
    from sitewatch.detect import detect_raster

    return boxes_from_detections(detect_raster(path, gsd_m=gsd, model=model, threshold=threshold))


def _write_json(data: dict[str, Any], target: str) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if target == "-":
        print(text)
        return
    try:
        Path(target).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write ({exc.strerror})", path=target, field="--json") from None


def _print_result(data: dict[str, Any]) -> None:
    reg = data["registration"]
    console.print(
        f"registration: {reg['model']} via {reg['method']}, {reg['inliers']} inliers, "
        f"residual {reg['rms_px']:.2f} px"
        + (f" ({reg['rms_m']:.2f} m)" if reg.get("rms_m") is not None else "")
        + f", overlap {reg['overlap']:.0%}",
        highlight=False,
    )
    console.print(", ".join(f"{k} {v}" for k, v in data["counts"].items()), highlight=False)
    rows = [
        (
            e["kind"],
            e["class"],
            e["type"] or "",
            e["before"],
            e["after"],
            "" if e["similarity"] is None else f"{e['similarity']:.2f}",
        )
        for e in data["events"]
        if e["kind"] != "stayed" or e["note"]
    ]
    print_table(
        "changes (objects that simply stayed are left out)",
        ["kind", "class", "type", "before", "after", "similarity"],
        rows,
    )


def compare_files(
    before: Path,
    after: Path,
    *,
    gsd: float,
    boxes_before: Path | None,
    boxes_after: Path | None,
    model: Path,
    min_score: float,
    verify: bool,
    homography: bool,
    low_score: float = 0.1,
    crops: Path | None,
) -> dict[str, Any]:
    """The file form: register, get boxes, derive events; returns the JSON document."""
    from sitewatch.change import (
        AnyVerifier,
        BoxVerifier,
        PatchVerifier,
        Verifier,
        detect_changes,
        event_crop_png,
        read_boxes,
        register_files,
    )
    from sitewatch.imagery.reader import RasterReader

    for p, opt in ((before, "BEFORE"), (after, "AFTER")):
        if not p.is_file():
            raise InputError("file not found", path=p, field=opt)
    if gsd <= 0:
        raise InputError(f"GSD must be positive, got {gsd}", field="--gsd")
    if (boxes_before is None) != (boxes_after is None):
        raise InputError("give both box files or neither", field="--boxes-before/--boxes-after")
    low: tuple[list[Any], list[Any]] | None = None
    if boxes_before is not None and boxes_after is not None:
        a = read_boxes(boxes_before, image=before.name)
        b = read_boxes(boxes_after, image=after.name)
        source = "boxes"
    elif model.is_file():
        from sitewatch.detect import load_model

        # One low-threshold run per pass: the score cut gives the objects, and what lies
        # under it serves the second look at a candidate arrival or departure.
        low_cut = min(low_score, min_score)
        det_model = load_model(model)
        la = _detect(before, gsd, det_model, low_cut)
        lb = _detect(after, gsd, det_model, low_cut)
        low = (la, lb)
        a = [x for x in la if x.score >= min_score]
        b = [x for x in lb if x.score >= min_score]
        source = f"detector {model.name}"
    else:
        raise InputError(
            f"no objects to compare: no model at {model} and no box files",
            field="--boxes-before/--boxes-after",
            expected="GeoJSON/CSV pixel boxes for each image, or a detector model (--model)",
        )
    reg = register_files(before, after, gsd_m=gsd, model="homography" if homography else "affine")
    with RasterReader(before) as ra, RasterReader(after) as rb:
        verifier: Verifier | None = None
        if verify:
            patch = PatchVerifier(ra, rb)
            verifier = (
                AnyVerifier([BoxVerifier(low[0], low[1], radius_px=12.5 / gsd), patch])
                if low is not None
                else patch
            )
        result = detect_changes(a, b, reg, gsd_m=gsd, verifier=verifier)
        if crops is not None:
            crops.mkdir(parents=True, exist_ok=True)
            for i, ev in enumerate(e for e in result.events if e.kind.value != "stayed"):
                (crops / f"{i:03d}-{ev.kind.value}.png").write_bytes(
                    event_crop_png(ev, ra, rb, reg)
                )
    data = result.to_dict()
    data["before"] = str(before)
    data["after"] = str(after)
    data["source"] = source
    data["boxes"] = {"before": len(a), "after": len(b)}
    return data


def compare_workspace(
    workspace: str | None,
    pass_a: int,
    pass_b: int,
    *,
    min_score: float,
    verify: bool,
    low_score: float = 0.1,
) -> dict[str, Any]:
    """The workspace form: compare two stored passes and save the result."""
    from sitewatch.change.workspace import compare_passes

    with open_workspace(workspace) as ws:
        cmp = compare_passes(
            ws, pass_a, pass_b, min_score=min_score, low_score=low_score, verify=verify
        )
    data = cmp.result.to_dict()
    data["pass_a"] = pass_a
    data["pass_b"] = pass_b
    data["registration_id"] = cmp.registration_id
    return data


def register(app: typer.Typer) -> None:
    """Add ``compare`` to the CLI."""

    @app.command("compare")
    def compare(
        before: Annotated[str, typer.Argument(help="BEFORE image file, or pass id.")],
        after: Annotated[str, typer.Argument(help="AFTER image file, or pass id.")],
        gsd: Annotated[
            float, typer.Option("--gsd", help="Metres per pixel of BEFORE (file form).")
        ] = 0.5,
        json_out: Annotated[
            str | None,
            typer.Option("--json", help="Write the result as JSON to this file ('-': stdout)."),
        ] = None,
        boxes_before: Annotated[
            Path | None, typer.Option("--boxes-before", help="GeoJSON/CSV boxes of BEFORE.")
        ] = None,
        boxes_after: Annotated[
            Path | None, typer.Option("--boxes-after", help="GeoJSON/CSV boxes of AFTER.")
        ] = None,
        min_score: Annotated[
            float,
            typer.Option(
                "--min-score",
                help="Detections scoring below this are not objects (0.5 scored best on the "
                "Airbus pairs: docs/change-eval.md).",
            ),
        ] = 0.5,
        low_score: Annotated[
            float,
            typer.Option(
                "--low-score",
                help="A detection this confident near an object's registered position in the "
                "other pass means it did not leave or arrive (the second look).",
            ),
        ] = 0.1,
        no_verify: Annotated[
            bool,
            typer.Option("--no-verify", help="Skip the second look at the other pass."),
        ] = False,
        homography: Annotated[
            bool, typer.Option("--homography", help="Fit a homography instead of an affine.")
        ] = False,
        crops: Annotated[
            Path | None,
            typer.Option("--crops", help="Write a before/after PNG per event into this folder."),
        ] = None,
        model: ModelOpt = None,
        workspace: WorkspaceOpt = None,
    ) -> None:
        """Co-register two passes and report what arrived, departed, moved or stayed."""
        if _is_pass_id(before) and _is_pass_id(after):
            data = compare_workspace(
                workspace,
                int(before),
                int(after),
                min_score=min_score,
                low_score=low_score,
                verify=not no_verify,
            )
        else:
            data = compare_files(
                Path(before),
                Path(after),
                gsd=gsd,
                boxes_before=boxes_before,
                boxes_after=boxes_after,
                model=Path(model) if model else settings().model_path,
                min_score=min_score,
                low_score=low_score,
                verify=not no_verify,
                homography=homography,
                crops=crops,
            )
        if json_out is not None:
            _write_json(data, json_out)
        if json_out != "-":
            _print_result(data)
