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


def plain_json(obj: Any) -> str:
    """JSON without ``Infinity``/``NaN`` (they become null): what ``time``, ``monitor`` and ``forecast`` write
    with --format json (a forecast or an estimate can be infinite; strict JSON has no such number)."""
    import json
    import math

    def clean(x: Any) -> Any:
        if isinstance(x, float):
            return x if math.isfinite(x) else None
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        if hasattr(x, "item") and not isinstance(x, (str, bytes)):  # numpy scalars
            return clean(x.item())
        return x

    return json.dumps(clean(obj), indent=2, allow_nan=False, default=str)


def log_hint(df: Any) -> list[str]:
    """A line when a per-task file is really a platform export that the audit would read by preset."""
    from fairpay.auditing.presets import PRESETS

    columns = set(map(str, df.columns))
    for p in PRESETS.values():
        needed = {p.columns[c] for c in ("worker", "started", "submitted") if c in p.columns}
        if p.name != "generic" and needed <= columns:
            return [
                f"this looks like an export from {p.name}: pass --preset {p.name} to use worked time as `fairpay audit` "
                "measures it (per-assignment durations overstate it when workers hold several tasks at once)"
            ]
    return []
