"""``sitewatch assess CASE --as-of DATE``: the ACH matrix and the judgment, every sentence cited."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sitewatch.assess import Assessment, assess, evolution, plot_evolution, read_case
from sitewatch.cli.common import open_workspace, parse_day, settings
from sitewatch.cli.options import JsonOpt, WorkspaceOpt
from sitewatch.cli.output import console, print_json, print_table
from sitewatch.errors import InputError
from sitewatch.store import assess_repo

__all__ = ["assess_cmd", "register"]


def _print(a: Assessment) -> None:
    keys = [h.key for h in a.hypotheses]
    console.print(f"[bold]{a.question}[/]", highlight=False)
    for h in a.hypotheses:
        console.print(f"  {h.key}: {h.text}", highlight=False)
    m = a.matrix
    rows = [
        [
            f"E{r.evidence_id}" + (" ·" if r.evidence_id in m.non_diagnostic else ""),
            a.grades.get(r.evidence_id, ""),
            f"{r.weight:.2f}",
            *[a.ach[r.evidence_id][k] for k in keys],
        ]
        for r in m.rows
    ]
    rows.append(["inconsistency", "", "", *[f"{m.inconsistency[k]:.2f}" for k in keys]])
    rows.append(["share", "", "", *[f"{round(m.probabilities[k] * 100)} %" for k in keys]])
    print_table(
        f"ACH matrix as of {a.as_of.date().isoformat()} (· = non-diagnostic)",
        ["evidence", "grade", "weight", *keys],
        rows,
    )
    console.print(f"\n[bold]Bottom line.[/] {a.bluf}", highlight=False)
    console.print("\n[bold]Key judgments[/]")
    for j in a.judgments[1:]:
        console.print(f"  • {j.text}", highlight=False)
    console.print(f"\n[bold]Confidence: {a.confidence}[/]")
    for j in a.confidence_reasons:
        console.print(f"  • {j.text}", highlight=False)
    console.print("\n[bold]What would change this judgment[/]")
    for t in a.would_change:
        console.print(f"  • {t}", highlight=False)


def assess_cmd(
    case: Annotated[str, typer.Argument(help="Loaded case slug, e.g. syria-2024.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge with evidence up to this day (YYYY-MM-DD).")
    ] = None,
    over: Annotated[
        str | None,
        typer.Option(
            "--evolution",
            help="Comma-separated dates, or 'case' for the case file's dates: show how it moved.",
        ),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="With --evolution: save a PNG plot here.")
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Keep this snapshot in the workspace.")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the ACH matrix and the judgment as of a date (default: the case's own date)."""
    when = parse_day(as_of, "--as-of")
    with open_workspace(workspace) as ws:
        if over is not None:
            if over.strip() == "case":
                dates = list(read_case(case).evolution)
            else:
                dates = [
                    d
                    for t in over.split(",")
                    if t.strip()
                    if (d := parse_day(t.strip(), "--evolution"))
                ]
            if not dates:
                raise InputError(
                    "no dates", field="--evolution", expected="YYYY-MM-DD,YYYY-MM-DD or 'case'"
                )
            records = evolution(ws, case, dates)
            if plot is not None:
                plot_evolution(records, plot, title=f"{case}: competing hypotheses over time")
            if as_json:
                print_json(records)
            else:
                keys = sorted({k for r in records for k in r["probabilities"]})
                print_table(
                    f"{case}: evolution",
                    ["as of", "leader", "word", "confidence", *keys],
                    [
                        [
                            r["as_of"],
                            r["leader"],
                            r["estimative_word"],
                            r["confidence"],
                            *[f"{round(r['probabilities'][k] * 100)} %" for k in keys],
                        ]
                        for r in records
                    ],
                )
            return
        if when is None:
            try:
                when = read_case(case).default_as_of
            except InputError:
                raise InputError("give a date", field="--as-of", expected="YYYY-MM-DD") from None
        a = assess(ws, case, when)
        if save:
            assess_repo.save_snapshot(ws, case, a.as_of, a.to_dict(), user=settings(workspace).user)
    if as_json:
        print_json(a.to_dict())
    else:
        _print(a)


def register(app: typer.Typer) -> None:
    """Add ``sitewatch assess`` to the main CLI."""
    app.command("assess")(assess_cmd)
