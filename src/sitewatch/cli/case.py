"""``sitewatch case``: load a case (sites, evidence, grades, links, hypotheses, ratings) and
look at its hypotheses, ratings and indicators."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from sitewatch.assess import builtin_cases, indicator_histories, load_case
from sitewatch.assess.ach import Rating
from sitewatch.assess.indicators import evaluate
from sitewatch.cli.common import open_workspace, parse_day, settings
from sitewatch.cli.options import JsonOpt, WorkspaceOpt
from sitewatch.cli.output import console, print_json, print_table
from sitewatch.errors import InputError
from sitewatch.store import assess_repo, evidence_repo

__all__ = ["case_app", "register"]

case_app = typer.Typer(help="Cases: load, hypotheses, ratings, indicators.", no_args_is_help=True)

CaseArg = Annotated[str, typer.Argument(help="Case slug (e.g. syria-2024) or a case .yaml file.")]


@case_app.command("list")
def list_(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Built-in case files and the cases loaded in the workspace."""
    with open_workspace(workspace) as ws:
        loaded = assess_repo.list_cases(ws)
    data = {"builtin": builtin_cases(), "loaded": loaded}
    if as_json:
        print_json(data)
    else:
        print_table("cases", ["case", "loaded"], [[c, c in loaded] for c in builtin_cases()])


@case_app.command("load")
def load(case: CaseArg, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Load a whole case into the workspace; loading again changes nothing."""
    s = settings(workspace)
    with open_workspace(workspace) as ws:
        report = load_case(ws, case, user=s.user, data=s.data_path)
    if as_json:
        print_json(asdict(report))
    else:
        print_table(
            f"case {report.slug}",
            ["what", "count"],
            [[k, v] for k, v in asdict(report).items() if k != "slug"],
        )


@case_app.command("hypotheses")
def hypotheses(case: CaseArg, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The case's hypotheses and how many items are rated against each."""
    with open_workspace(workspace) as ws:
        data = assess_repo.get_case(ws, case)
    rows = [
        {
            "key": h.key,
            "text": h.text,
            "description": h.description,
            "rated": sum(1 for r in data.ratings.values() if h.key in r),
        }
        for h in data.hypotheses
    ]
    if as_json:
        print_json(rows)
    else:
        console.print(data.question, highlight=False)
        print_table(
            f"hypotheses of {data.slug}",
            ["key", "text", "rated"],
            [[r["key"], r["text"], r["rated"]] for r in rows],
        )


@case_app.command("rate")
def rate(
    case: CaseArg,
    evidence_id: Annotated[int, typer.Argument(help="Evidence id.")],
    hypothesis: Annotated[str, typer.Argument(help="Hypothesis key, e.g. H2.")],
    rating: Annotated[str, typer.Argument(help="CC, C, N, I, II or NA.")],
    why: Annotated[str | None, typer.Option("--why", help="Rationale.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Rate one item against one hypothesis (an unknown hypothesis or rating is refused)."""
    try:
        r = Rating.parse(rating)
    except ValueError as exc:
        raise InputError(str(exc), field="RATING") from None
    user = settings(workspace).user
    with open_workspace(workspace) as ws:
        assess_repo.set_rating(ws, case, evidence_id, hypothesis, r, user=user, rationale=why)
    console.print(f"{case}: E{evidence_id} × {hypothesis} = {r.value}", highlight=False)


@case_app.command("indicators")
def indicators(
    case: CaseArg,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default: all).")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Each indicator's state as of a date and its history of changes."""
    from sitewatch.assess.engine import utc_day_end

    when = parse_day(as_of, "--as-of")
    with open_workspace(workspace) as ws:
        data = assess_repo.get_case(ws, case)
        items = evidence_repo.list_evidence(ws)
        hist = indicator_histories(ws, case, when)
    out: list[dict[str, Any]] = []
    for ind in data.indicators:
        st = (
            evaluate(ind, items, utc_day_end(when))
            if when
            else (hist[ind.key][-1] if hist[ind.key] else None)
        )
        out.append(
            {
                "key": ind.key,
                "name": ind.name,
                "site": ind.site_slug,
                "level": st.level.value if st else "not observed",
                "score": st.score if st else 0.0,
                "evidence_ids": list(st.evidence_ids) if st else [],
                "history": [
                    {
                        "as_of": h.as_of.date().isoformat(),
                        "level": h.level.value,
                        "evidence_ids": list(h.evidence_ids),
                    }
                    for h in hist[ind.key]
                ],
            }
        )
    if as_json:
        print_json(out)
        return
    print_table(
        f"indicators of {case}" + (f" as of {as_of}" if as_of else ""),
        ["indicator", "site", "state", "score", "evidence", "history"],
        [
            [
                o["name"],
                o["site"],
                o["level"],
                f"{o['score']:.2f}",
                ", ".join(f"E{i}" for i in o["evidence_ids"]),
                "; ".join(f"{h['as_of']} {h['level']}" for h in o["history"]),
            ]
            for o in out
        ],
    )


def register(app: typer.Typer) -> None:
    """Add the ``case`` group to the main CLI."""
    app.add_typer(case_app, name="case")
