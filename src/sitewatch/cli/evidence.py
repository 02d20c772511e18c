"""``sitewatch evidence``: import, list, show and grade evidence items."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from sitewatch.cli.common import open_workspace, parse_day, settings
from sitewatch.cli.options import JsonOpt, WorkspaceOpt
from sitewatch.cli.output import console, console_err, print_json, print_table
from sitewatch.errors import InputError
from sitewatch.evidence import EvidenceItem, EvidenceKind, Grade, parse_evidence_file
from sitewatch.store import evidence_repo, sites_repo

__all__ = ["evidence_app", "item_json", "register"]

evidence_app = typer.Typer(help="Evidence log: import, list, show, grade.", no_args_is_help=True)


def item_json(item: EvidenceItem) -> dict[str, Any]:
    """An item as plain JSON-ready data."""
    d = asdict(item)
    d["kind"] = item.kind.value
    d["grade"] = str(item.grade)
    d["grade_meaning"] = item.grade.describe()
    for k in ("time_start", "time_end", "reported_at"):
        d[k] = d[k].date().isoformat() if d[k] is not None else None
    d["tags"] = list(item.tags)
    return d


def _when(item: EvidenceItem) -> str:
    if item.time_start is None:
        return ""
    a = item.time_start.date().isoformat()
    return f"{a}/{item.time_end.date().isoformat()}" if item.time_end else a


@evidence_app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="CSV or JSON evidence files.")],
    workspace: WorkspaceOpt = None,
    grade: Annotated[
        list[str] | None,
        typer.Option(help="Override the default grade of a source type: 'news=A2'. Repeatable."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import evidence rows; bad rows are reported with their line and the rest still import."""
    overrides: dict[str, Grade] = {}
    for spec in grade or []:
        key, _, value = spec.partition("=")
        try:
            overrides[key.strip().lower()] = Grade.parse(value)
        except ValueError as exc:
            raise InputError(str(exc), field="--grade", expected="SOURCE_TYPE=B2") from None
    with open_workspace(workspace) as ws:
        sites = sites_repo.list_sites(ws)
        summary = []
        failed = 0
        for f in files:
            result = parse_evidence_file(f, sites=sites, grade_overrides=overrides)
            added = evidence_repo.add_evidence(ws, result.items)
            failed += len(result.errors)
            for err in result.errors:
                console_err.print(f"[yellow]rejected:[/] {err}", highlight=False)
            summary.append(
                {
                    "file": str(f),
                    "rows": result.rows,
                    "added": len(added.added),
                    "already_present": len(added.skipped),
                    "rejected": len(result.errors),
                }
            )
    if as_json:
        print_json(summary)
    else:
        print_table(
            "evidence import",
            ["file", "rows", "added", "already present", "rejected"],
            [list(s.values()) for s in summary],
        )
    if failed:
        raise typer.Exit(1)


@evidence_app.command("list")
def list_(
    workspace: WorkspaceOpt = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. news_report.")] = None,
    site: Annotated[str | None, typer.Option(help="Only items linked to this site.")] = None,
    since: Annotated[str | None, typer.Option("--from", help="From date YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option("--to", help="To date YYYY-MM-DD.")] = None,
    min_grade: Annotated[str | None, typer.Option(help="At least this grade, e.g. B3.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List evidence items in time order."""
    try:
        k = EvidenceKind.parse(kind) if kind else None
        g = Grade.parse(min_grade) if min_grade else None
    except ValueError as exc:
        raise InputError(
            str(exc), field="--kind" if kind and not min_grade else "--min-grade"
        ) from None
    with open_workspace(workspace) as ws:
        slug = sites_repo.get_site(ws, site).slug if site else None
        items = evidence_repo.list_evidence(
            ws,
            kind=k,
            site=slug,
            since=parse_day(since, "--from"),
            until=parse_day(until, "--to"),
            min_grade=g,
        )
    if as_json:
        print_json([item_json(i) for i in items])
        return
    print_table(
        f"evidence ({len(items)})",
        ["id", "when", "kind", "grade", "site", "claim", "source"],
        [
            [i.id, _when(i), i.kind.value, str(i.grade), i.site_slug or i.place, i.claim, i.source]
            for i in items
        ],
    )


@evidence_app.command("show")
def show(
    evidence_id: Annotated[int, typer.Argument(help="Evidence id.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one item with its grade, provenance and edit history."""
    with open_workspace(workspace) as ws:
        item = evidence_repo.get_evidence(ws, evidence_id)
        hist = evidence_repo.history(ws, evidence_id)
    data = item_json(item)
    data["history"] = [asdict(h) for h in hist]
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if key != "history" and value not in (None, "", [], {}):
            console.print(f"[bold]{key}[/]: {value}", highlight=False)
    for h in hist:
        console.print(
            f"  {h.changed_at:%Y-%m-%d %H:%M} {h.changed_by}: {h.field} "
            f"{h.old_value!r} → {h.new_value!r} ({h.reason or ''})",
            highlight=False,
        )


@evidence_app.command("grade")
def grade_(
    evidence_id: Annotated[int, typer.Argument(help="Evidence id.")],
    grade: Annotated[str, typer.Argument(help="Admiralty grade, e.g. B2.")],
    rationale: Annotated[str, typer.Option("--why", help="Why this grade (required).")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set an item's Admiralty grade (A–F × 1–6); the old grade stays in the history."""
    try:
        g = Grade.parse(grade)
    except ValueError as exc:
        raise InputError(str(exc), field="GRADE") from None
    user = settings(workspace).user
    with open_workspace(workspace) as ws:
        item = evidence_repo.grade_evidence(ws, evidence_id, g, rationale=rationale, user=user)
    if as_json:
        print_json(item_json(item))
    else:
        console.print(f"evidence {item.id}: {item.grade} ({item.grade.describe()})")


def register(app: typer.Typer) -> None:
    """Add the ``evidence`` group to the main CLI."""
    app.add_typer(evidence_app, name="evidence")
