"""From exact per-key sums to money: pay currency, local earnings, the gap to the bar, the top-up.

Why: the sums (:mod:`fairpay.auditing.kernel`) are exact integers; turning them into wages and
top-ups is per key (worker, or worker x project) arithmetic on small lookup tables (one bar per
place, one rate per currency pair), vectorised in numpy. Float is fast but may land a hair on the
wrong side of a cent: any top-up within 1e-9 (relative) of a minor-unit boundary is recomputed in
``Decimal`` from the integer sums, the ``Decimal`` bar and the ``Decimal`` rates, so rounding is
always up from the exact amount.

Pay currency of a key: the currency of most of its rows; a tie goes to the alphabetically first
ISO code (the order of ``codes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from fairpay.auditing.kernel import Sums

_MICRO = 1_000_000
_US_PER_HOUR = 3_600_000_000


@dataclass
class Lookup:
    """Per place (row of the audit's ``bars``) and per pay currency (``codes``, alphabetical)."""

    codes: list[str]
    bar: Any  # float64 [place]
    bar_exact: list[Decimal]
    local: Any  # int [place] -> index into ``locals_``
    locals_: list[str]
    to_local: Any  # float64 [currency, place]: pay currency -> the place's local currency
    to_pay: Any  # float64 [place, currency]: local currency -> pay currency
    fx_year: Any  # int16 [place, currency] (year of the local -> pay rate)
    minor: Any  # int8 [currency]
    exact: dict[tuple[str, str], Decimal]


def lookup(bars: Any, fx: Any, codes: list[str]) -> Lookup:
    """The lookup arrays from the audit's ``bars`` and ``fx`` tables (see ``bars_fx_benchmarks``)."""
    import numpy as np

    from fairpay.units.money import minor_units

    rate = {(r.from_ccy, r.to_ccy): float(r.rate) for r in fx.itertuples(index=False)}
    exact = {(r.from_ccy, r.to_ccy): Decimal(r.rate_exact) for r in fx.itertuples(index=False)}
    year = {(r.from_ccy, r.to_ccy): int(r.fx_year) for r in fx.itertuples(index=False)}
    locals_ = sorted(set(bars["local_currency"]))
    local_of = list(bars["local_currency"])
    n_places, n_ccy = len(bars), len(codes)
    to_local = np.zeros((n_ccy, n_places))
    to_pay = np.full((n_places, n_ccy), np.nan)
    fx_year = np.zeros((n_places, n_ccy), dtype=np.int16)
    for p, loc in enumerate(local_of):
        for i, c in enumerate(codes):
            to_local[i, p] = rate.get((c, loc), 0.0)
            to_pay[p, i] = rate.get((loc, c), np.nan)
            fx_year[p, i] = year.get((loc, c), 0)
    return Lookup(
        codes=codes,
        bar=bars["bar_local"].to_numpy(dtype=np.float64),
        bar_exact=[Decimal(x) for x in bars["bar_exact"]],
        local=np.array([locals_.index(x) for x in local_of], dtype=np.int16),
        locals_=locals_,
        to_local=to_local,
        to_pay=to_pay,
        fx_year=fx_year,
        minor=np.array([minor_units(c) for c in codes], dtype=np.int8),
        exact=exact,
    )


def pay_index(n: Any) -> Any:
    """Per key, the index of its pay currency: most rows; a tie goes to the first (alphabetical) code."""
    import numpy as np

    return np.argmax(n, axis=0).astype(np.int8)


#: The money columns of the worker table, and the narrow subset of the worker x project table.
WORKER_COLUMNS = (
    "hours",
    "pay_currency",
    "earnings",
    "top_up",
    "earnings_local",
    "wage_local",
    "bar_local",
    "below",
    "gap_local",
    "to_pay_rate",
    "pay_minor",
    "fx_year",
    "n_currencies",
)
PAIR_COLUMNS = ("pay_currency", "hours", "earnings", "earnings_local", "wage_local", "below", "top_up")


def money(s: Sums, place: Any, lk: Lookup, columns: tuple[str, ...] = WORKER_COLUMNS) -> dict[str, Any]:
    """The money ``columns`` for the keys of ``s`` living at ``place`` (row of ``bars`` per key).

    Floats: hours, earnings (pay currency), earnings_local, wage_local (local per hour),
    gap_local, top_up (pay currency, rounded up: exact, see the module doc), to_pay_rate,
    bar_local; ``below``; ``pay_currency`` (index into ``codes``), ``pay_minor``, ``fx_year``,
    ``n_currencies``. Temporaries are reused in place: this runs on millions of keys.
    """
    import numpy as np

    out: dict[str, Any] = {}
    pay = pay_index(s.n)
    hours = s.worked_us / _US_PER_HOUR
    earn = s.m[0] / 1e6 * lk.to_local[0, place]
    for i in range(1, len(lk.codes)):  # fixed currency order, so the float sum is reproducible
        earn += s.m[i] / 1e6 * lk.to_local[i, place]
    rate = lk.to_pay[place, pay]
    minor = lk.minor[pay]
    scale = np.power(10.0, minor)
    bar = lk.bar[place]
    gap = bar * hours
    gap -= earn
    x = gap * rate
    x *= scale
    tol = bar * hours  # 1e-9 of the magnitude (bar*hours + earnings), at least 1e-9 of a minor unit
    tol += earn
    tol *= rate
    tol *= scale
    np.maximum(tol, 1.0, out=tol)
    tol *= 1e-9
    unsure = (x > -tol) & (np.abs(x - np.round(x)) <= tol)
    del tol
    below = x > 0
    np.ceil(x, out=x)
    x[~below] = 0.0
    x /= scale
    top = x
    del scale
    for k in np.flatnonzero(unsure):
        i = int(k)
        g, units = exact_gap(s, int(i), int(place[i]), lk.codes[pay[i]], lk)
        below[i] = g > 0
        top[i] = units / 10.0 ** int(minor[i])
    with np.errstate(divide="ignore", invalid="ignore"):
        wage = earn / hours
    wage[hours <= 0] = np.nan
    cols = {
        "hours": hours,
        "pay_currency": pay,
        "top_up": top,
        "earnings_local": earn,
        "wage_local": wage,
        "bar_local": bar,
        "below": below,
        "gap_local": gap,
        "to_pay_rate": rate,
        "pay_minor": minor,
    }
    for c in columns:
        if c == "earnings":
            out[c] = earn * rate
        elif c == "fx_year":
            out[c] = lk.fx_year[place, pay]
        elif c == "n_currencies":
            out[c] = (s.n > 0).sum(axis=0).astype(np.int8)
        else:
            out[c] = cols[c]
    return out


def exact_gap(s: Sums, i: int, place: int, pay: str, lk: Lookup) -> tuple[Decimal, int]:
    """Exact (gap in local currency, top-up in pay-currency minor units) for key ``i``, in Decimal.

    From the integer micro-unit and microsecond sums, the Decimal bar and the Decimal rates: the
    true amount rounded up (ROUND_CEILING), independent of float error.
    """
    from fairpay.units.money import minor_units, round_up

    local = lk.locals_[int(lk.local[place])]
    with localcontext() as ctx:
        ctx.prec = 60
        earn = sum(
            (
                Decimal(int(s.m[c, i])) / _MICRO * lk.exact[(code, local)]
                for c, code in enumerate(lk.codes)
                if s.m[c, i]
            ),
            Decimal(0),
        )
        gap = lk.bar_exact[place] * Decimal(int(s.worked_us[i])) / _US_PER_HOUR - earn
        if gap <= 0:
            return gap, 0
        # Cross rates are Decimal divisions (28 digits), so 260 KES may come out as 1.6000..0004 GBP;
        # residues below 1e-18 currency units are that noise, not money owed.
        pay_gap = (gap * lk.exact[(local, pay)]).quantize(Decimal("1e-18"))
        return gap, int(round_up(pay_gap, pay).scaleb(minor_units(pay)))
