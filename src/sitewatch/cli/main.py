"""The ``sitewatch`` command.

Every module in :mod:`sitewatch.cli` that defines ``register(app)`` adds its commands, so
command groups live in their own files and this one never needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from sitewatch.cli.output import console_err
from sitewatch.errors import SitewatchError

__all__ = ["app", "main"]

app = typer.Typer(
    name="sitewatch",
    help="Watch sites over time: passes, detections, change, tracks, evidence, assessments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_SKIP = {"main", "output", "options", "common"}


def _register_all() -> None:
    import sitewatch.cli as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in _SKIP or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"sitewatch.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()


def main() -> None:
    """Run the CLI; a :class:`SitewatchError` becomes a one-line message and exit code 1."""
    try:
        code = app(standalone_mode=False)
        # click returns a typer.Exit's code instead of raising it in non-standalone mode
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except SitewatchError as exc:
        console_err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Abort:
        console_err.print("aborted")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        from click.exceptions import ClickException
        from typer.exceptions import TyperException

        # typer ≥ 0.20 raises its own copy of click's exceptions, which click's do not match
        if isinstance(exc, ClickException | TyperException) and hasattr(exc, "show"):
            exc.show()
            sys.exit(int(getattr(exc, "exit_code", 2)))
        raise


if __name__ == "__main__":
    main()
