"""The one CSV writer: hostile text parsed back by csv and pandas stays in its cell, never live."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairpay.tables.csvsafe import frame_to_safe_csv, quoted_csv_cell, safe_csv_cell, write_safe_csv

HOSTILE = [
    "\r=cmd|' /C calc'!A0",
    "=cmd|' /C calc'!A0",
    "+1+cmd",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\n=1+1",
    "  =1+1",
    "\uff1dSUM(A1)",
    'a "quoted", b',
    "line one\nline two",
    "cr\rinside",
    "crlf\r\ninside",
    "trailing space ",
    "plain",
    "W\u202eevil",
    "",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _live(cell: str) -> bool:
    """Would a spreadsheet run this parsed cell as a formula?"""
    return cell.lstrip(" \u00a0\u3000").startswith(TRIGGERS)


def test_bare_carriage_return_is_quoted_and_neutralised() -> None:
    # the exact bytes: apostrophe inside quotes, the CR kept inside the quoted cell
    assert safe_csv_cell("\r=cmd|' /C calc'!A0") == "'\r=cmd|' /C calc'!A0"
    assert quoted_csv_cell("\r=cmd|' /C calc'!A0") == "\"'\r=cmd|' /C calc'!A0\""
    assert write_safe_csv([["\r=x", "1"]]) == '"\'\r=x",1\n'


def test_numbers_stay_numbers() -> None:
    assert safe_csv_cell(Decimal("-5.20")) == "-5.20"
    assert safe_csv_cell(-3) == "-3"
    assert safe_csv_cell(np.int64(-7)) == "-7"
    assert safe_csv_cell(0.5) == "0.5"
    assert safe_csv_cell("-0.50") == "'-0.50"  # text is text: money leaves as Decimal, not str
    assert safe_csv_cell(float("nan")) == ""
    assert safe_csv_cell(None) == ""
    assert safe_csv_cell(pd.NA) == ""
    assert safe_csv_cell(True) == "True"


@pytest.mark.parametrize("engine", ["csv", "pandas"])
def test_hostile_cells_round_trip_one_row_each(tmp_path: Path, engine: str) -> None:
    rows = [[i, text, Decimal("1.50")] for i, text in enumerate(HOSTILE)]
    path = tmp_path / "h.csv"
    write_safe_csv(rows, path, header=["n", "worker", "amount"])
    if engine == "csv":
        with path.open(newline="", encoding="utf-8") as fh:
            parsed = list(csv.reader(fh))
        header, body = parsed[0], parsed[1:]
        assert header == ["n", "worker", "amount"]
        got = [(int(r[0]), r[1], r[2]) for r in body]
    else:
        df = pd.read_csv(path, dtype={"worker": str}, keep_default_na=False)
        assert list(df.columns) == ["n", "worker", "amount"]
        assert df["amount"].dtype.kind == "f"  # numbers stay numbers
        got = [(int(n), w, f"{a:.2f}") for n, w, a in df.itertuples(index=False, name=None)]
    assert len(got) == len(HOSTILE)  # no row was split
    for i, ((n, cell, amount), original) in enumerate(zip(got, HOSTILE)):
        assert n == i
        assert amount == "1.50"
        assert not _live(cell), repr(cell)
        # the text is kept, with at most one apostrophe in front
        assert cell in (original, "'" + original)
        assert (cell != original) == _live(original)


def test_frame_export_parses_back_with_hostile_header_and_index(tmp_path: Path) -> None:
    df = pd.DataFrame({"=col": ["@a", "b"], "amount": [Decimal("0.54"), Decimal("48.02")]})
    text = frame_to_safe_csv(df)
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed == [["'=col", "amount"], ["'@a", "0.54"], ["b", "48.02"]]


def test_single_empty_cell_is_not_a_blank_line() -> None:
    text = write_safe_csv([[None], ["x"]], header=["worker"])
    assert list(csv.reader(io.StringIO(text))) == [["worker"], [""], ["x"]]
