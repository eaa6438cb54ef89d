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
    """Print a table to stdout; plain text when stdout is not a terminal (wraps at 200 columns).

    Every cell is literal text (:func:`fairpay.report.safetext.console`): ``[b]`` or ``[/bar]`` in
    a name is printed, not read as rich markup; bidi controls are shown, RTL names isolated.
    """
    from rich.console import Console
    from rich.table import Table

    from fairpay.report.safetext import console

    t = Table(title=console(title), show_header=show_header, title_justify="left", expand=False)
    for col in columns:
        t.add_column(console(col), overflow="fold")
    for row in rows:
        t.add_row(*[console(v) for v in row])
    Console(width=200 if not _is_tty() else None, soft_wrap=False).print(t)


def echo(line: Any) -> None:
    """Print one line of user-facing text with bidi controls shown (names cannot reorder it)."""
    import typer

    from fairpay.report.safetext import visible

    typer.echo(visible(line, keep_isolates=True))


def _is_tty() -> bool:
    import sys

    return sys.stdout.isatty()


def read_pilot_csv(path: Path) -> Any:
    """A pilot CSV (one row per task) as a DataFrame, read like every other file
    (:func:`fairpay.tables.read.read_frame`); all-number columns become numbers, blanks missing."""
    import pandas as pd

    from fairpay.tables.read import read_frame

    frame = read_frame(path, what="pilot")
    for c in frame.columns:
        text = frame[c].astype(object).where(frame[c] != "", None)
        try:
            frame[c] = pd.to_numeric(text)
        except (ValueError, TypeError):
            frame[c] = text
    return frame
