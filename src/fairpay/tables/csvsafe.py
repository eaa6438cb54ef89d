"""The one CSV writer for every CSV fairpay produces: cells no spreadsheet runs or splits.

Why: fairpay's CSV exports (bonus files, ledgers, audit tables, report tables) carry text that
came from a platform export - worker ids, task and project names - and they are opened in
Excel, LibreOffice or Google Sheets, or uploaded to a payment platform. A spreadsheet runs a cell
that starts with ``=``, ``+``, ``-`` or ``@`` (also after a tab, a carriage return or a line feed,
and the full-width forms ``＝＋－＠`` in East Asian locales) as a formula, so a worker id such as
``\\r=cmd|' /C calc'!A0`` would run a command on the reader's machine; and a bare carriage return
in an unquoted cell ends the row there, corrupting a payment file (Python's ``csv`` module with
``\\n`` line ends leaves a bare ``\\r`` unquoted, which is why fairpay writes CSV itself).

The rules (OWASP "CSV Injection"; RFC 4180 quoting):

- A text cell whose first character that is not white space is a formula trigger gets a leading
  apostrophe (spreadsheets show the text and never evaluate it) and is quoted.
- A text cell holding a comma, a double quote, a CR, an LF or any other line break, a tab, or
  leading/trailing white space is quoted (``"`` doubled), so line breaks stay *inside* the cell.
- Numbers (``int``, ``Decimal``, ``float``; numpy/pandas scalars; not ``bool``) are written as
  numbers, unquoted: ``-5.20`` is a negative amount, not a formula. Text is text: ``"-1"`` given
  as a string is neutralised like any other (pass money as ``Decimal`` to keep it a number).
- ``None``, NaN and pandas' NA are written as an empty cell. Lines end with ``\\n``; the output
  is UTF-8 and byte-stable (no dependence on locale, hash seed or folder).

Money should reach this writer as ``Decimal`` (exact); a binary float is written with ``repr``,
which round-trips but may read ``0.5400000000000001``, so fairpay's own frames never hold money
as floats.

Stdlib only, so every layer (ledger exports, reports, the CLI) can use it.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV Injection),
#: with the full-width forms some locales also accept.
FORMULA_TRIGGERS: tuple[str, ...] = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\n",
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",
)
#: OWASP: https://owasp.org/www-community/attacks/CSV_Injection
OWASP_URL = "https://owasp.org/www-community/attacks/CSV_Injection"

# characters that force quoting: the delimiter, the quote, every line break Python or a
# spreadsheet may split on, and the tab
_NEEDS_QUOTES = re.compile(r'[,"\r\n\t\v\f\x1c\x1d\x1e\x85\u2028\u2029]')


def _number_text(value: Any) -> str | None:
    """The text of a real number, or None when ``value`` is not one (bool is not a number here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return "" if value.is_nan() else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(float(value))
    if isinstance(value, numbers.Real):  # numpy scalars, without importing numpy
        if isinstance(value, numbers.Integral):
            return str(int(value))
        f = float(value)
        return "" if math.isnan(f) else repr(f)
    return None


def _is_missing(value: Any) -> bool:
    return value is None or type(value).__name__ in ("NAType", "NaTType")


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula."""
    stripped = text.lstrip(" \u00a0\u3000")
    if stripped.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def safe_csv_cell(value: Any) -> str:
    """The value of one CSV cell, neutralised (before quoting): what a reader gets back.

    ``None``/NaN/NA -> ``""``; numbers as numbers; any other value as text, with a leading
    ``'`` when a spreadsheet would run it as a formula.
    """
    if _is_missing(value):
        return ""
    as_number = _number_text(value)
    if as_number is not None:
        return as_number
    return neutralise(str(value))


def quoted_csv_cell(value: Any) -> str:
    """The exact characters written for one cell: :func:`safe_csv_cell`, quoted when it holds a
    delimiter, a quote, a line break or a tab, has leading/trailing blanks, or was neutralised."""
    if _is_missing(value):
        return ""
    if _number_text(value) is not None:
        return safe_csv_cell(value)
    text = str(value)
    safe = neutralise(text)
    if safe != text or _NEEDS_QUOTES.search(safe) or safe != safe.strip():
        return '"' + safe.replace('"', '""') + '"'
    return safe


def safe_csv_row(values: Iterable[Any]) -> list[str]:
    """:func:`quoted_csv_cell` applied to every value of a row (cells quoted as needed)."""
    return [quoted_csv_cell(v) for v in values]


def write_safe_csv(
    rows: Iterable[Iterable[Any]], path: str | Path | None = None, *, header: Iterable[Any] | None = None
) -> str:
    """Write rows (and an optional header) as CSV with every cell neutralised; return the text.

    ``path``: also write the text there (UTF-8, ``\\n`` line ends, byte-stable).
    """
    lines: list[str] = []
    if header is not None:
        lines.append(",".join(safe_csv_row(header)) + "\n")
    for row in rows:
        cells = safe_csv_row(row)
        # a lone empty cell would make a blank line, which readers skip: quote it
        lines.append((",".join(cells) if cells != [""] else '""') + "\n")
    text = "".join(lines)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8", newline="")
    return text


def frame_to_safe_csv(df: pd.DataFrame, path: str | Path | None = None, *, index: bool = False) -> str:
    """A DataFrame as neutralised CSV text (column names too); written to ``path`` when given."""
    header = ([df.index.name or ""] if index else []) + [str(c) for c in df.columns]
    rows = (([i] if index else []) + list(r) for i, r in zip(df.index, df.itertuples(index=False, name=None)))
    return write_safe_csv(rows, path, header=header)
