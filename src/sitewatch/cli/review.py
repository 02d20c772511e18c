"""``sitewatch review``: confirm, reject, relabel, type, state and notes on detections."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from sitewatch.cli.common import open_workspace, settings
from sitewatch.cli.options import JsonOpt, WorkspaceOpt
from sitewatch.cli.output import console, print_json, print_table
from sitewatch.review import DetectionRecord, ReviewAction
from sitewatch.store import detections_repo

__all__ = ["detection_json", "register", "review_app"]

review_app = typer.Typer(
    help="Analyst review of detections; every action is kept with who and when.",
    no_args_is_help=True,
)

DetArg = Annotated[int, typer.Argument(help="Detection id.")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why (kept in the trail).")]


def detection_json(d: DetectionRecord) -> dict[str, Any]:
    """A reviewed detection as plain data."""
    out = asdict(d)
    out["status"] = d.status.value
    out["effective_class"] = d.effective_class
    out["trail"] = [
        {
            "action": e.action.value,
            "value": e.value,
            "user": e.user,
            "at": e.at.isoformat(),
            "note": e.note,
        }
        for e in d.trail
    ]
    return out


def _act(
    workspace: str | None,
    det: int,
    action: ReviewAction,
    value: Any,
    note: str | None,
    as_json: bool,
) -> None:
    user = settings(workspace).user
    with open_workspace(workspace) as ws:
        d = detections_repo.review(ws, det, action, value, user=user, note=note)
    if as_json:
        print_json(detection_json(d))
    else:
        console.print(
            f"detection {d.id}: {d.status.value}, class {d.effective_class}"
            + (f", type {d.type_name}" if d.type_name else "")
            + (f", state {d.state}" if d.state else "")
            + f" ({action.value} by {user})",
            highlight=False,
        )


@review_app.command("list")
def list_(
    pass_id: Annotated[int, typer.Argument(help="Pass id.")],
    include_rejected: Annotated[bool, typer.Option(help="Show rejected ones too.")] = False,
    min_score: Annotated[float, typer.Option(help="Hide model detections below.")] = 0.0,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Detections of a pass with their review status."""
    with open_workspace(workspace) as ws:
        dets = detections_repo.list_detections(
            ws, pass_id, include_rejected=include_rejected, min_score=min_score
        )
    if as_json:
        print_json([detection_json(d) for d in dets])
        return
    print_table(
        f"detections of pass {pass_id} ({len(dets)})",
        ["id", "class", "score", "centre px", "length m", "type", "state", "status"],
        [
            [
                d.id,
                d.effective_class,
                f"{d.score:.2f}",
                f"{d.cx:.0f},{d.cy:.0f}",
                d.measurement.get("length_m", ""),
                d.type_name or "",
                d.state or "",
                d.status.value,
            ]
            for d in dets
        ],
    )


@review_app.command("show")
def show(det: DetArg, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """One detection with its measurements and full review trail."""
    with open_workspace(workspace) as ws:
        d = detections_repo.get_detection(ws, det)
    data = detection_json(d)
    if as_json:
        print_json(data)
        return
    for k, v in data.items():
        if k != "trail" and v not in (None, "", [], {}, ()):
            console.print(f"[bold]{k}[/]: {v}", highlight=False)
    for e in data["trail"]:
        console.print(
            f"  {e['at'][:16]} {e['user']}: {e['action']} {e['value'] or ''} "
            f"{('— ' + e['note']) if e['note'] else ''}",
            highlight=False,
        )


@review_app.command("confirm")
def confirm(
    det: DetArg, note: NoteOpt = None, workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """Confirm a detection."""
    _act(workspace, det, ReviewAction.CONFIRM, None, note, as_json)


@review_app.command("reject")
def reject(
    det: DetArg, note: NoteOpt = None, workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """Reject a detection: it drops out of every count."""
    _act(workspace, det, ReviewAction.REJECT, None, note, as_json)


@review_app.command("reopen")
def reopen(
    det: DetArg, note: NoteOpt = None, workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """Undo a confirm or reject (the trail keeps both)."""
    _act(workspace, det, ReviewAction.REOPEN, None, note, as_json)


@review_app.command("relabel")
def relabel(
    det: DetArg,
    cls: Annotated[str, typer.Argument(metavar="CLASS")],
    note: NoteOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a detection's class (aircraft, helicopter, ship, vehicle…)."""
    _act(workspace, det, ReviewAction.RELABEL_CLASS, cls, note, as_json)


@review_app.command("type")
def set_type(
    det: DetArg,
    type_name: Annotated[str, typer.Argument(metavar="TYPE")],
    note: NoteOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the equipment type (e.g. An-124)."""
    _act(workspace, det, ReviewAction.SET_TYPE, type_name, note, as_json)


@review_app.command("state")
def set_state(
    det: DetArg,
    state: Annotated[str, typer.Argument(metavar="STATE")],
    note: NoteOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set posture/state (e.g. nose_door_open, rotor_removed, at_berth)."""
    _act(workspace, det, ReviewAction.SET_STATE, state, note, as_json)


@review_app.command("note")
def note_(
    det: DetArg,
    text: Annotated[str, typer.Argument(metavar="TEXT")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a note to a detection."""
    _act(workspace, det, ReviewAction.NOTE, text, None, as_json)


def register(app: typer.Typer) -> None:
    """Add the ``review`` group to the main CLI."""
    app.add_typer(review_app, name="review")
