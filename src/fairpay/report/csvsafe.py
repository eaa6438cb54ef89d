"""CSV cells a spreadsheet will not run as formulas ("CSV injection").

Why: fairpay's CSV exports (bonus files, ledgers, report tables) carry text that came from a
platform export - worker ids, task and project names. Excel, LibreOffice and Google Sheets run a
cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or carriage return, whatever
follows) as a formula, so a task named ``=HYPERLINK(...)`` could exfiltrate data or run a command
on the reader's machine. Following OWASP's "CSV Injection" guidance, such text cells get a leading
apostrophe: spreadsheets show the text, and never evaluate it.

Numbers (``int``, ``float``, ``Decimal``, not ``bool``) are written as numbers: ``-5.2`` is a
negative amount, not a formula, and prefixing it would turn money into text.

Stdlib only, so every layer (ledger exports, reports, the CLI) can use it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV Injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: OWASP: https://owasp.org/www-community/attacks/CSV_Injection
OWASP_URL = "https://owasp.org/www-community/attacks/CSV_Injection"


def safe_csv_cell(value: Any) -> str:
    """The text to write for one CSV cell, neutralised if a spreadsheet would run it as a formula.

    ``None`` and NaN become ``""``; real numbers are written as they are; any other value is
    turned into text and gets a leading ``'`` when it starts with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(float(value))  # np.float64 too
    if isinstance(value, (int, Decimal)):
        return str(value)
    try:  # numpy scalars, pandas NA/NaT, without importing either
        import numbers

        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            f = float(value)
            return "" if math.isnan(f) else str(value)
    except (TypeError, ValueError):  # pragma: no cover - exotic numeric types
        pass
    if type(value).__name__ in ("NAType", "NaTType"):
        return ""
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def safe_csv_row(values: Iterable[Any]) -> list[str]:
    """:func:`safe_csv_cell` applied to every value of a row."""
    return [safe_csv_cell(v) for v in values]


def write_safe_csv(
    rows: Iterable[Iterable[Any]], path: str | Path | None = None, *, header: Iterable[Any] | None = None
) -> str:
    """Write rows (and an optional header) as CSV with every cell neutralised; return the text.

    Quoting is the ``csv`` module's (minimal, ``\\n`` line ends), so the output is byte-stable.
    ``path``: also write the text there (UTF-8).
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if header is not None:
        writer.writerow(safe_csv_row(header))
    for row in rows:
        writer.writerow(safe_csv_row(row))
    text = buf.getvalue()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8", newline="")
    return text


def frame_to_safe_csv(df: pd.DataFrame, path: str | Path | None = None, *, index: bool = False) -> str:
    """A DataFrame as neutralised CSV text (column names too); written to ``path`` when given."""
    header = ([df.index.name or ""] if index else []) + [str(c) for c in df.columns]
    rows = (([i] if index else []) + list(r) for i, r in zip(df.index, df.itertuples(index=False, name=None)))
    return write_safe_csv(rows, path, header=header)
