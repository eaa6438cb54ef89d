"""Small shared printing helpers for CLI commands (tables via rich, loaded on first use)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from fairpay.errors import InvalidInputError


def check_format(fmt: str, allowed: Sequence[str]) -> None:
    """Refuse an unknown ``--format`` value with the allowed ones named."""
    if fmt not in allowed:
        raise InvalidInputError(f"--format {fmt!r} is not one of {', '.join(allowed)}")


def table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, show_header: bool = True
) -> None:
    """Print a table to stdout; plain text when stdout is not a terminal (wraps at 200 columns)."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_header=show_header, title_justify="left", expand=False)
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(*[str(v) for v in row])
    Console(width=200 if not _is_tty() else None, soft_wrap=False).print(t)


def _is_tty() -> bool:
    import sys

    return sys.stdout.isatty()


def read_pilot_csv(path: Path) -> Any:
    """A pilot CSV (one row per task) as a DataFrame, or one error line naming the file."""
    import pandas as pd

    if not path.exists():
        raise InvalidInputError(f"{path}: file not found; expected a CSV with one row per task")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read as CSV ({str(exc).splitlines()[0]})") from None
