"""``sitewatch catalogue`` (list, show) and ``sitewatch identify``: types and type candidates."""

from __future__ import annotations

from typing import Annotated

import typer

from sitewatch.cli.options import JsonOpt
from sitewatch.cli.output import console, print_json, print_table
from sitewatch.errors import InputError

__all__ = ["catalogue_app", "identify", "register"]

catalogue_app = typer.Typer(
    help="Equipment catalogue: types, dimensions and the source of every figure.",
    no_args_is_help=True,
)

_CLASSES = ("aircraft", "helicopter", "ship", "vehicle")


def _check_class(class_name: str | None) -> None:
    if class_name is not None and class_name not in _CLASSES:
        raise InputError(
            f"unknown class {class_name!r}", field="--class", expected=" | ".join(_CLASSES)
        )


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


@catalogue_app.command("list")
def list_(
    class_name: Annotated[
        str | None, typer.Option("--class", help="aircraft | helicopter | ship | vehicle")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List catalogue types with their dimensions and verification status."""
    from sitewatch.measure.catalogue import load_catalogue

    _check_class(class_name)
    types = load_catalogue().of_class(class_name)
    if as_json:
        print_json([t.as_dict() for t in types])
        return
    print_table(
        f"Catalogue ({len(types)} types)",
        ["name", "class", "family", "length m", "span m", "span is", "status L/S/H"],
        [
            (
                t.name,
                t.class_name,
                t.family,
                _fmt(t.length_m),
                _fmt(t.span_m),
                t.span_kind,
                "/".join(t.status.get(d) or "-" for d in ("length", "span", "height")),
            )
            for t in types
        ],
    )


@catalogue_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Type name or alias, e.g. 'An-124'.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one type: every figure with its source and status."""
    from sitewatch.measure.catalogue import load_catalogue

    try:
        t = load_catalogue().get(name)
    except KeyError:
        raise InputError(
            f"no catalogue type named {name!r}", expected="a name from `sitewatch catalogue list`"
        ) from None
    if as_json:
        print_json(t.as_dict())
        return
    console.print(f"[bold]{t.name}[/]  ({t.class_name}, {t.category}; family {t.family})")
    if t.aliases:
        console.print(f"aliases: {'; '.join(t.aliases)}", highlight=False)
    if t.nato_name:
        console.print(f"NATO name: {t.nato_name}", highlight=False)
    rows = []
    for dim, label in (("length", "length"), ("span", t.span_kind or "span"), ("height", "height")):
        v = getattr(t, f"{dim}_m")
        rows.append((label, _fmt(v), t.status.get(dim) or "", t.sources.get(dim) or ""))
    print_table("Dimensions (m)", ["dimension", "value", "status", "source"], rows)
    if t.features:
        console.print(f"seen from above: {t.features}", highlight=False)
    if t.notes:
        console.print(f"notes: {t.notes}", highlight=False)


def identify(
    class_name: Annotated[
        str, typer.Option("--class", help="Detected class: aircraft | helicopter | ship | vehicle")
    ],
    length: Annotated[float, typer.Option("--length", help="Measured length, metres.")],
    length_sd: Annotated[
        float, typer.Option("--length-sd", help="One-sigma uncertainty of the length, metres.")
    ] = 2.0,
    span: Annotated[
        float | None,
        typer.Option("--span", help="Measured span / beam / width, metres."),
    ] = None,
    span_sd: Annotated[
        float | None, typer.Option("--span-sd", help="Uncertainty of the span (default: length's).")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="How many candidates to show.")] = 8,
    unordered: Annotated[
        bool,
        typer.Option(
            "--unordered", help="Aircraft: the long side may be the wingspan (nose not known)."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Rank catalogue types for a measured object, with an 'unknown / not in catalogue' option."""
    from sitewatch.measure.identify import rank_families, rank_types

    _check_class(class_name)
    if length <= 0 or length_sd <= 0 or (span_sd is not None and span_sd <= 0):
        raise InputError("lengths and uncertainties must be positive", field="--length/--length-sd")
    cands = rank_types(class_name, length, length_sd, span, span_sd, ordered=not unordered, top=top)
    fams = rank_families(
        rank_types(class_name, length, length_sd, span, span_sd, ordered=not unordered), top=5
    )
    if as_json:
        print_json(
            {
                "input": {
                    "class": class_name,
                    "length_m": length,
                    "length_sd_m": length_sd,
                    "span_m": span,
                    "span_sd_m": span_sd if span_sd is not None else (length_sd if span else None),
                    "ordered": not unordered,
                },
                "candidates": [c.as_dict() for c in cands],
                "families": [
                    {"family": f.family, "probability": round(f.probability, 4)} for f in fams
                ],
            }
        )
        return
    print_table(
        f"Type candidates for a {class_name} of {length:g} ± {length_sd:g} m"
        + (f", span {span:g} m" if span is not None else ""),
        ["rank", "type", "p", "z length", "z span", "length m", "span m"],
        [
            (
                i + 1,
                c.name,
                f"{c.probability:.3f}",
                "" if c.z_length is None else f"{c.z_length:+.1f}",
                "" if c.z_span is None else f"{c.z_span:+.1f}",
                "" if c.type is None else _fmt(c.type.length_m),
                "" if c.type is None else _fmt(c.type.span_m),
            )
            for i, c in enumerate(cands)
        ],
    )
    console.print(
        "families: " + ", ".join(f"{f.family} {f.probability:.2f}" for f in fams), highlight=False
    )


def register(app: typer.Typer) -> None:
    """Add ``catalogue`` and ``identify`` to the main CLI."""
    app.add_typer(catalogue_app, name="catalogue")
    app.command("identify")(identify)
