"""The one rounding rule for every figure fairpay shows: console, JSON, Markdown, HTML, frames.

Why: a reader compares the console with the report and the JSON; if one says 214.11 KES and the
other 214.12, or a row reads "pay 0.45, ratio 100 %, BELOW, required 0.45", nobody trusts any of
them. So every output formats a figure through these functions, and each rounds *against
flattery*, never against the worker:

- what a worker gets (effective hourly, earnings, wage) is rounded **down** to the currency's
  minor unit (:func:`worker_side`);
- a bar, a benchmark, a required pay, a shortfall or a top-up is rounded **up**
  (:func:`bar_side`); a shortfall shown next to a bar and a wage is the difference of the two
  shown figures, so the three always add up;
- a ratio to the bar is floored (4 decimals in data, whole percent on screens): a cell below the
  bar can never read "100%" (:func:`ratio_floor`, :func:`percent_floor`);
- a share of workers *below* the bar is rounded up, a share reaching it rounded down;
- an amount someone typed (pay per task) is shown exactly as given, with at least the currency's
  minor-unit digits (:func:`as_given`).

Figures leave as decimal strings (``"214.11"``), never binary floats, and without thousands
separators, so the same figure is the same string in every format.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from fairpay.units.money import minor_units, round_amount

#: Decimals kept for a ratio to the bar in data outputs (JSON, frames); screens show whole percent.
RATIO_PLACES = 4


def _dec(x: Any) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def worker_side(amount: Any, currency: str) -> Decimal:
    """What a worker gets, rounded down to the currency's minor unit (never shown higher)."""
    return round_amount(_dec(amount), currency, "down")


def bar_side(amount: Any, currency: str) -> Decimal:
    """A bar, a required pay, a shortfall or a top-up, rounded up (never shown lower)."""
    return round_amount(_dec(amount), currency, "up")


def shortfall_shown(effective: Any, bar: Any, currency: str) -> Decimal:
    """The shortfall as shown: the shown bar minus the shown wage, never below zero.

    At least the exact shortfall (the bar is rounded up, the wage down), and it adds up with the
    two figures printed beside it.
    """
    return max(Decimal(0), bar_side(bar, currency) - worker_side(effective, currency))


def as_given(amount: Any, currency: str) -> Decimal:
    """An amount someone typed, exactly, with at least the currency's minor-unit digits."""
    d = _dec(amount)
    digits = max(minor_units(currency), -int(d.normalize().as_tuple().exponent))
    return d.quantize(Decimal(1).scaleb(-digits))


def ratio_floor(ratio: Any) -> Decimal:
    """A ratio to the bar floored to :data:`RATIO_PLACES` decimals (0.99999 -> 0.9999)."""
    return _dec(ratio).quantize(Decimal(1).scaleb(-RATIO_PLACES), rounding=ROUND_FLOOR)


def percent_floor(ratio: Any) -> str:
    """A ratio as a whole percent, floored: 0.99999 -> "99%" (below the bar never reads 100%)."""
    return f"{math.floor(_dec(ratio) * 100)}%"


def share_text(share: Any, *, below: bool, places: int = 0) -> str:
    """A share of workers as a percent: rounded up when it counts people below the bar, down when
    it counts people reaching it, so neither flatters."""
    q = (_dec(share) * 100).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_CEILING if below else ROUND_FLOOR
    )
    return f"{q}%"


def rate(x: Any) -> Decimal:
    """An exchange rate as used, to 8 decimals (half-even), trailing zeros dropped."""
    return _dec(x).quantize(Decimal("1e-8"), rounding=ROUND_HALF_EVEN).normalize()


def text(amount: Decimal) -> str:
    """A Decimal as plain text, no exponent, no thousands separators: the string every format uses."""
    return f"{amount:f}"


# --------------------------------------------------------------------------- frames
#: Money columns of fairpay's result frames: column -> (the column naming its currency, rule).
#: Rules: "minor" - a whole number of minor units held as a float (top-ups: already rounded up,
#: recovered exactly); "micro" - a sum of amounts in micro-units (earnings, recovered exactly);
#: "worker" - rounded down to the minor unit; "bar" - rounded up.
FRAME_MONEY: dict[str, tuple[str, str]] = {
    "top_up": ("pay_currency", "minor"),
    "total_top_up": ("pay_currency", "minor"),
    "earnings": ("pay_currency", "micro"),
    "median_wage": ("pay_currency", "worker"),
    "p10_wage": ("pay_currency", "worker"),
    "earnings_local": ("local_currency", "worker"),
    "wage_local": ("local_currency", "worker"),
    "bar_local": ("local_currency", "bar"),
    "gap_local": ("local_currency", "bar"),
}


def frame_money(value: Any, currency: str, rule: str) -> Decimal | None:
    """One money cell of a result frame as an exact ``Decimal`` by the display rule (None if missing)."""
    if value is None:
        return None
    f = float(value)
    if math.isnan(f):
        return None
    if rule == "minor":
        return as_given(Decimal(repr(round(f, 9))), currency)
    if rule == "micro":
        return as_given(Decimal(repr(round(f, 6))), currency)
    if rule == "worker":
        return worker_side(Decimal(repr(f)), currency)
    return bar_side(Decimal(repr(f)), currency)


def exact_money_frame(df: Any, currencies: dict[str, str] | None = None) -> Any:
    """A copy of a result frame whose money columns (:data:`FRAME_MONEY`) hold exact ``Decimal``
    objects instead of binary floats, rounded by the one display rule; other columns unchanged.

    ``currencies``: currency column -> column to read it from, when a frame names it differently
    (the ``workers`` frame of an audit has both ``pay_currency`` and ``local_currency``).
    A column whose currency column is missing is left as it is.
    """
    out = df.copy()
    for col, (ccy_col, rule) in FRAME_MONEY.items():
        source = (currencies or {}).get(ccy_col, ccy_col)
        if col not in out.columns or source not in out.columns:
            continue
        out[col] = [
            frame_money(v, str(c), rule) for v, c in zip(out[col].tolist(), out[source].tolist(), strict=True)
        ]
        out[col] = out[col].astype(object)
    return out


def json_records(df: Any, currencies: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """A result frame as JSON-ready records: money columns as exact decimal strings (by
    :func:`exact_money_frame`), ``null`` for missing; everything else as pandas writes JSON."""
    import json

    exact = exact_money_frame(df, currencies)
    money = [c for c in exact.columns if c in FRAME_MONEY and exact[c].dtype == object]
    rest = exact.drop(columns=money)
    records: list[dict[str, Any]] = json.loads(rest.to_json(orient="records", date_format="iso"))
    for col in money:
        for rec, v in zip(records, exact[col].tolist(), strict=True):
            rec[col] = None if v is None else text(v)
    order = list(exact.columns)
    return [{k: rec[k] for k in order} for rec in records]


def exact_minor_column(values: Any, minor: Any) -> Any:
    """Amounts that are whole numbers of minor units (top-ups), held as binary floats, as an exact
    pandas column of Arrow ``decimal128(18, s)``, ``s`` the largest minor unit among the rows
    (``minor``: each row's minor units, or just their largest, when the caller knows it).

    Why: a float64 ``top_up`` reads 0.30000000000000004 in a notebook or an export; the decimal
    column holds 0.30 exactly (elements are ``Decimal``), sums exactly, and writes ``"0.30"`` to
    CSV and JSON. Vectorised (no Python object per row), so it costs nothing at audit scale.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    v = np.asarray(values, dtype=np.float64)
    m = np.asarray(minor, dtype=np.int64)
    scale = int(m.max()) if m.size else 2
    # the int128 words written in place, a chunk of floats at a time (a column of millions of
    # pairs: whole-column temporaries and a byte copy took ~0.3 GiB at 7.4M pairs)
    pair = np.empty((len(v), 2), dtype=np.int64)  # little-endian int128: low word, sign word
    for lo in range(0, len(v), 1 << 20):
        t = np.nan_to_num(v[lo : lo + (1 << 20)], nan=0.0)
        t *= 10.0**scale
        pair[lo : lo + len(t), 0] = np.round(t, out=t)
    np.right_shift(pair[:, 0], 63, out=pair[:, 1])  # sign word: -1 for a negative amount, else 0
    valid = None
    if np.isnan(v).any():
        valid = pa.array(~np.isnan(v)).buffers()[1]
    arr = pa.Array.from_buffers(pa.decimal128(18, scale), len(v), [valid, pa.py_buffer(pair)])
    return pd.arrays.ArrowExtensionArray(arr)
