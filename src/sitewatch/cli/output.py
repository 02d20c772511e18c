"""Printing helpers shared by every command: tables, JSON and errors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["console", "console_err", "print_json", "print_table"]

console = Console(soft_wrap=True)
console_err = Console(stderr=True, soft_wrap=True)


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (plain, so it pipes into ``jq``)."""
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a rich table with the given columns."""
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)
