"""``sitewatch evidence``: import, list, show, grade, edit, link and archive evidence items."""

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
from sitewatch.evidence.dates import parse_date_span
from sitewatch.evidence.links import LinkKind
from sitewatch.store import evidence_repo, sites_repo

__all__ = ["evidence_app", "item_json", "register"]

evidence_app = typer.Typer(
    help="Evidence log: import, list, show, grade, edit, link, attach, history.",
    no_args_is_help=True,
)


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
        links = evidence_repo.list_links(ws, evidence_id)
    data = item_json(item)
    data["links"] = [f"{lk.source_id} {lk.kind.value} {lk.target_id}" for lk in links]
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


@evidence_app.command("edit")
def edit(
    evidence_id: Annotated[int, typer.Argument(help="Evidence id.")],
    reason: Annotated[str, typer.Option("--why", help="Why the edit (kept in the history).")],
    claim: Annotated[str | None, typer.Option(help="The claim, one sentence.")] = None,
    place: Annotated[str | None, typer.Option(help="Free-text place.")] = None,
    source: Annotated[str | None, typer.Option(help="Outlet / account / provider.")] = None,
    url: Annotated[str | None, typer.Option(help="Source URL.")] = None,
    kind: Annotated[str | None, typer.Option(help="Evidence kind, e.g. news_report.")] = None,
    when: Annotated[
        str | None, typer.Option("--when", help="Time: YYYY-MM-DD or a range A/B.")
    ] = None,
    reported: Annotated[str | None, typer.Option(help="Time of report, YYYY-MM-DD.")] = None,
    tags: Annotated[str | None, typer.Option(help="Tags, ';'-separated (replaces).")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Edit fields of an item; every changed field is kept in its history."""
    changes: dict[str, Any] = {}
    for name, value in (("claim", claim), ("place", place), ("source", source), ("url", url)):
        if value is not None:
            changes[name] = value.strip() or None
    if changes.get("claim", "x") is None:
        raise InputError("empty", field="--claim", expected="one sentence")
    if kind is not None:
        try:
            changes["kind"] = EvidenceKind.parse(kind)
        except ValueError as exc:
            raise InputError(str(exc), field="--kind") from None
    if when is not None:
        try:
            span = parse_date_span(when)
        except ValueError as exc:
            raise InputError(str(exc), field="--when", expected="YYYY-MM-DD or A/B") from None
        changes["time_start"] = span.start
        changes["time_end"] = span.end if span.end != span.start else None
    if reported is not None:
        changes["reported_at"] = parse_day(reported, "--reported")
    if tags is not None:
        changes["tags"] = [t.strip() for t in tags.split(";") if t.strip()]
    if not changes:
        raise InputError("nothing to change", expected="at least one of --claim, --place, ...")
    user = settings(workspace).user
    with open_workspace(workspace) as ws:
        item = evidence_repo.update_evidence(ws, evidence_id, user=user, reason=reason, **changes)
    if as_json:
        print_json(item_json(item))
    else:
        console.print(f"evidence {item.id}: edited {', '.join(sorted(changes))}", highlight=False)


@evidence_app.command("history")
def history_(
    evidence_id: Annotated[int, typer.Argument(help="Evidence id.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every recorded edit of an item, oldest first (grades, fields, links, archive)."""
    with open_workspace(workspace) as ws:
        hist = evidence_repo.history(ws, evidence_id)
    if as_json:
        print_json([asdict(h) for h in hist])
        return
    print_table(
        f"history of evidence {evidence_id}",
        ["when", "by", "field", "old", "new", "why"],
        [
            [
                f"{h.changed_at:%Y-%m-%d %H:%M:%S}",
                h.changed_by,
                h.field,
                h.old_value,
                h.new_value,
                h.reason,
            ]
            for h in hist
        ],
    )


@evidence_app.command("attach")
def attach(
    evidence_id: Annotated[int, typer.Argument(help="Evidence id.")],
    file: Annotated[Path, typer.Argument(help="Local copy of the source (page, video, PDF).")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a local copy of an item's source: its sha256 and path (kept in the history)."""
    user = settings(workspace).user
    with open_workspace(workspace) as ws:
        item = evidence_repo.attach_archive(ws, evidence_id, file, user=user)
    if as_json:
        print_json(item_json(item))
    else:
        console.print(
            f"evidence {item.id}: archived {item.archive_path} sha256 {item.archive_sha256}",
            highlight=False,
        )


@evidence_app.command("link")
def link(
    source_id: Annotated[int, typer.Argument(help="The item that corroborates / contradicts.")],
    kind: Annotated[str, typer.Argument(help="corroborates or contradicts.")],
    target_id: Annotated[int, typer.Argument(help="The item it bears on.")],
    note: Annotated[str | None, typer.Option(help="Why (kept with the link).")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove this link instead.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Link two items: ``evidence link 12 contradicts 17``. Self-links and cycles are refused."""
    try:
        k = LinkKind.parse(kind)
    except ValueError as exc:
        raise InputError(str(exc), field="KIND") from None
    user = settings(workspace).user
    with open_workspace(workspace) as ws:
        if remove:
            evidence_repo.remove_link(
                ws, source_id, target_id, k, user=user, reason=note or "removed"
            )
        else:
            evidence_repo.add_link(ws, source_id, target_id, k, user=user, note=note)
    verb = "removed" if remove else "linked"
    console.print(f"{verb}: {source_id} {k.value} {target_id}", highlight=False)


@evidence_app.command("links")
def links_(
    evidence_id: Annotated[int | None, typer.Argument(help="Only links of this item.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List links between items."""
    with open_workspace(workspace) as ws:
        links = evidence_repo.list_links(ws, evidence_id)
    data = [
        {"source": lk.source_id, "kind": lk.kind.value, "target": lk.target_id, "note": lk.note}
        for lk in links
    ]
    if as_json:
        print_json(data)
    else:
        print_table(
            f"links ({len(data)})",
            ["source", "kind", "target", "note"],
            [list(d.values()) for d in data],
        )


def register(app: typer.Typer) -> None:
    """Add the ``evidence`` group to the main CLI."""
    app.add_typer(evidence_app, name="evidence")
