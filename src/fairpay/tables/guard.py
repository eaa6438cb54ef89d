"""Checks a new version of a table must pass before it replaces the current one.

Why: a well-formed answer can still be poison (``1e12`` KES per US$, a CSV cut at a row
boundary, an older vintage). Validation (``fairpay.tables.load``) proves a table is *readable*;
these checks ask whether it is *believable* next to the table it would replace. Three grades:

* **implausible** values are refused outright (no flag accepts them): a value outside the range
  below for its kind, or written with more than :data:`MAX_DIGITS` significant digits;
* **changes** beyond the thresholds below, against the current table's figure for the same
  country and year, or against the new table's previous year, are listed and need
  ``accept_changes`` (CLI ``--accept-changes``);
* **losses** (a country or a country-year the current table has and the new one lacks) need
  ``allow_removals`` (``--allow-removals``); an older vintage needs ``allow_older``.

Thresholds (documented in README.md, "Keeping the data fresh"): plausible ranges are
wide enough for every figure in the bundled tables (2010-2025: exchange rates 0.30-89,500 LCU
per US$, CPI 97-41,281, PPP 0.00019-113,985), yet refuse the absurd. Year-on-year bands contain
all but the hyperinflation/redenomination years of the bundled series (those few years would be
listed, which is the point: a human looks at them). Only rows that are new or changed are
compared, so the bundled history itself never needs accepting. Pure functions over row dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fairpay.units.iso import legal_tender

__all__ = [
    "VALUE_COLUMN",
    "PLAUSIBLE",
    "YEAR_ON_YEAR",
    "REVISION",
    "MAX_DIGITS",
    "ECB_DAY_CHANGE",
    "MONTHLY_USD",
    "Findings",
    "implausible",
    "changes",
    "losses",
    "vintage_date",
    "review",
    "IMPORT_MAX_AMOUNT",
    "IMPORT_FAR",
    "import_refusals",
    "import_warnings",
]

# kind -> the column holding the figure
VALUE_COLUMN: dict[str, str] = {
    "exchange_rates": "lcu_per_usd",
    "cpi": "cpi_2010_100",
    "ppp": "lcu_per_intl_dollar",
    "minimum_wages_ilostat": "monthly_minimum_wage_lcu",
}
# kind -> (lowest, highest) plausible figure, and what the figure is
PLAUSIBLE: dict[str, tuple[Decimal, Decimal, str]] = {
    "exchange_rates": (Decimal("0.01"), Decimal("1e6"), "local currency units per US$"),
    "cpi": (Decimal("10"), Decimal("1e7"), "consumer price index, 2010 = 100"),
    "ppp": (Decimal("1e-5"), Decimal("1e7"), "local currency units per international $"),
    "minimum_wages_ilostat": (Decimal("0.01"), Decimal("1e10"), "local currency units"),
}
# A minimum wage converted to US$ per month (hour x 40 x 52 / 12; day x 5 x 52 / 12) with the
# exchange-rate table's same country-year rate must fall in this range (bundled: 0.78, Sudan 2022, to 4,900).
MONTHLY_USD: tuple[Decimal, Decimal] = (Decimal("0.25"), Decimal("25000"))
_TO_MONTH: dict[str, Decimal] = {
    "month": Decimal(1),
    "hour": Decimal(40 * 52) / 12,
    "day": Decimal(5 * 52) / 12,
    "week": Decimal(52) / 12,
    "year": Decimal(1) / 12,
}
# kind -> (lowest, highest) ratio of a year's figure to the previous year's, same unit
YEAR_ON_YEAR: dict[str, tuple[Decimal, Decimal]] = {
    "exchange_rates": (Decimal("0.5"), Decimal("3")),
    "cpi": (Decimal("0.8"), Decimal("2")),
    "ppp": (Decimal("0.5"), Decimal("3")),
    "minimum_wages_ilostat": (Decimal("0.8"), Decimal("3")),
}
# kind -> largest relative revision of a figure already in the current table (same country-year)
REVISION: dict[str, Decimal] = {
    "exchange_rates": Decimal("0.10"),
    "cpi": Decimal("0.10"),
    "ppp": Decimal("0.25"),
    "minimum_wages_ilostat": Decimal("0.10"),
}
# Largest day-to-day change of one ECB reference rate (per EUR) before it is listed.
ECB_DAY_CHANGE = Decimal("0.25")
MAX_DIGITS = 30


@dataclass
class Findings:
    """What :func:`review` found; empty lists mean the new table may replace the current one."""

    implausible: list[str]
    changes: list[str]
    losses: list[str]


def _unit(kind: str, row: Mapping[str, Any]) -> tuple[str, str]:
    """What must match for two figures to be comparable: currency and period."""
    currency = str(row.get("currency") or row.get("currency_inferred") or "")
    return currency, str(row.get("period") or "")


def _key(row: Mapping[str, Any]) -> tuple[str, int]:
    return str(row["country_iso3"]), int(row["year"])


def _figure(value: Any) -> Decimal | None:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (ArithmeticError, ValueError):
        return None
    return number if number.is_finite() else None


def _fx_index(rates: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int], tuple[str, Decimal]]:
    out: dict[tuple[str, int], tuple[str, Decimal]] = {}
    for row in rates:
        value = _figure(row.get("lcu_per_usd"))
        if value is not None and value > 0 and row.get("currency"):
            out[_key(row)] = (str(row["currency"]), value)
    return out


def implausible(
    kind: str, rows: Sequence[Mapping[str, Any]], rates: Iterable[Mapping[str, Any]] = ()
) -> list[str]:
    """Figures no source could mean: non-finite, out of range, too many digits (never accepted).

    ``rates`` (exchange-rate rows) lets a minimum wage be judged in US$ per month as well.
    """
    column = VALUE_COLUMN.get(kind)
    if column is None:
        return []
    low, high, what = PLAUSIBLE[kind]
    fx = _fx_index(rates) if kind == "minimum_wages_ilostat" else {}
    out: list[str] = []
    for row in rows:
        raw = row.get(column)
        where = f"{row.get('country_iso3')} {row.get('year')}"
        value = _figure(raw)
        text = str(raw)
        if value is None:
            out.append(f"{where}: {column} {text[:40]!r} is not a finite number")
            continue
        if len(value.as_tuple().digits) > MAX_DIGITS:
            out.append(f"{where}: {column} has {len(value.as_tuple().digits)} digits (at most {MAX_DIGITS})")
            continue
        if not low <= value <= high:
            out.append(f"{where}: {column} {value:.6g} is outside the plausible {low:g}..{high:g} {what}")
            continue
        if fx:
            currency, period = _unit(kind, row)
            rate = fx.get(_key(row))
            if rate and currency and rate[0] == currency and period in _TO_MONTH:
                usd = value * _TO_MONTH[period] / rate[1]
                if not MONTHLY_USD[0] <= usd <= MONTHLY_USD[1]:
                    out.append(
                        f"{where}: minimum wage {value:.6g} {currency}/{period} is {usd:.4g} US$ a month at "
                        f"{rate[1]:.6g} {currency}/US$, outside the plausible "
                        f"{MONTHLY_USD[0]:g}..{MONTHLY_USD[1]:g}"
                    )
    return out


def changes(kind: str, current: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[str]:
    """Revisions and year-on-year steps beyond the documented thresholds, for new/changed rows."""
    column = VALUE_COLUMN.get(kind)
    if column is None:
        return []
    old = {_key(r): r for r in current}
    by_key = {_key(r): r for r in new}
    out: list[str] = []
    limit = REVISION[kind]
    low, high = YEAR_ON_YEAR[kind]
    for key, row in sorted(by_key.items()):
        value = _figure(row.get(column))
        if value is None or value <= 0:
            continue
        before = old.get(key)
        before_value = _figure(before.get(column)) if before is not None else None
        if before is not None and before_value == value and _unit(kind, before) == _unit(kind, row):
            continue  # unchanged: the current table already stands behind it
        where = f"{key[0]} {key[1]}"
        if before is not None and before_value and _unit(kind, before) == _unit(kind, row):
            change = abs(value / before_value - 1)
            if change > limit:
                out.append(
                    f"{where}: {column} {before_value:.6g} -> {value:.6g} ({change:.0%} revision; "
                    f"threshold {limit:.0%})"
                )
        previous = by_key.get((key[0], key[1] - 1))
        prev_value = _figure(previous.get(column)) if previous is not None else None
        if previous is not None and prev_value and _unit(kind, previous) == _unit(kind, row):
            ratio = value / prev_value
            if not low <= ratio <= high:
                out.append(
                    f"{where}: {column} {prev_value:.6g} in {key[1] - 1} -> {value:.6g} (x{ratio:.3g} in a "
                    f"year; band x{low:g}..x{high:g})"
                )
    return out


def losses(kind: str, current: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[str]:
    """Countries, then country-years, the current table has and the new one lacks."""
    if kind not in VALUE_COLUMN:
        return []
    old_keys = {_key(r) for r in current}
    new_keys = {_key(r) for r in new}
    gone = old_keys - new_keys
    if not gone:
        return []
    new_countries = {k[0] for k in new_keys}
    countries = sorted({c for c, _ in gone if c not in new_countries})
    years = sorted(k for k in gone if k[0] in new_countries)
    out: list[str] = []
    if countries:
        shown = ", ".join(countries[:12]) + (
            f" and {len(countries) - 12} more" if len(countries) > 12 else ""
        )
        out.append(f"{len(countries)} of {len({k[0] for k in old_keys})} countries would be lost ({shown})")
    if years:
        shown = ", ".join(f"{c} {y}" for c, y in years[:8]) + (
            f" and {len(years) - 8} more" if len(years) > 8 else ""
        )
        out.append(f"{len(years)} country-year(s) would be lost ({shown})")
    return out


def vintage_date(text: str) -> str:
    """The leading YYYY-MM-DD of a vintage text ('' if it has none), comparable as text."""
    head = (text or "")[:10]
    return head if len(head) == 10 and head[4] == "-" and head[7] == "-" and head[:4].isdigit() else ""


def review(
    kind: str,
    current: Sequence[Mapping[str, Any]],
    new: Sequence[Mapping[str, Any]],
    rates: Iterable[Mapping[str, Any]] = (),
) -> Findings:
    """All three checks of ``new`` against ``current`` (see the module docstring)."""
    return Findings(implausible(kind, new, rates), changes(kind, current, new), losses(kind, current, new))


# --------------------------------------------------------------------------- user imports
# An imported benchmark amount above this (in any currency and period) is refused: no wage is
# written with fourteen digits (the largest bundled figure is about 6e9 a year, in rials).
IMPORT_MAX_AMOUNT = Decimal("1e13")
# An imported figure, as an hourly amount, more than this many times above or below the median
# of the country's bundled figures (same kind of table) is flagged.
IMPORT_FAR = 10.0
_HOURS = {"hour": 1.0, "day": 8.0, "week": None, "month": 52 / 12, "year": 52.0}


def import_refusals(kind: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Amounts no benchmark can mean (too many digits, or above :data:`IMPORT_MAX_AMOUNT`)."""
    out: list[str] = []
    for line, row in enumerate(rows, start=2):
        amount = _figure(row.get("amount"))
        if amount is None:
            continue
        if len(amount.as_tuple().digits) > MAX_DIGITS or amount > IMPORT_MAX_AMOUNT:
            out.append(
                f"row {line}, column 'amount': {str(row.get('amount'))[:40]!r} is not a plausible "
                f"{row.get('period')} wage in {row.get('currency')} (at most {MAX_DIGITS} digits and "
                f"{IMPORT_MAX_AMOUNT:g})"
            )
    return out


def _hourly(row: Mapping[str, Any]) -> float | None:
    """A benchmark row's amount per hour, as a float (for plausibility only, never for pay)."""
    try:
        amount = float(row["amount"])
    except (KeyError, TypeError, ValueError):
        return None
    weekly = float(row.get("hours_per_week") or 40)
    factor = _HOURS.get(str(row.get("period")), 1.0)
    hours = (
        weekly if factor is None else factor * (weekly if str(row.get("period")) in ("month", "year") else 1)
    )
    return amount / hours if hours else None


def _usd_per_currency(rates: Iterable[Mapping[str, Any]]) -> dict[str, dict[int, float]]:
    """currency -> year -> LCU per US$ from exchange-rate rows.

    Why by currency, not country: an imported amount is in its own currency, which need not be
    the country's; floats suffice, the conversion only places a figure within a factor of ten.
    """
    fx: dict[str, dict[int, float]] = {}
    for r in rates:
        if r.get("currency") and r.get("lcu_per_usd"):
            fx.setdefault(str(r["currency"]), {})[int(r["year"])] = float(r["lcu_per_usd"])
    return fx


def _usd(fx: Mapping[str, Mapping[int, float]], value: float, currency: str, year: int) -> float | None:
    """``value`` in US$ at the currency's rate for the nearest year, or None without any rate.

    Why the nearest year: a benchmark's reference year may lie outside the rate table's years,
    and a plausibility check needs only the order of magnitude.
    """
    if currency == "USD":
        return value
    years = fx.get(currency)
    if not years:
        return None
    nearest = min(years, key=lambda y: abs(y - year))
    return value / years[nearest]


def _hourly_points(reference: Sequence[Mapping[str, Any]]) -> dict[str, list[tuple[float, str, int]]]:
    """country -> (amount per hour, currency, reference year) of its bundled figures.

    Why: these are what an imported figure is compared with (per hour, whatever its period).
    """
    ref: dict[str, list[tuple[float, str, int]]] = {}
    for r in reference:
        hourly = _hourly(r)
        if hourly:
            ref.setdefault(str(r["country"]), []).append(
                (hourly, str(r["currency"]), int(r["reference_year"]))
            )
    return ref


def _comparable_hourly(
    hourly: float | None,
    currency: str,
    year: int,
    points: Sequence[tuple[float, str, int]] | None,
    fx: Mapping[str, Mapping[int, float]],
) -> tuple[float, list[float], str] | None:
    """(the row's hourly amount, its country's bundled hourly figures, their common unit), or None
    when there is nothing to compare it with.

    Why in US$ only when no bundled figure shares the row's currency: a conversion adds the
    exchange rate's own error, so figures in the same currency are compared directly.
    """
    if not hourly or not points:
        return None
    same = [h for h, c, _ in points if c == currency]
    if same:
        return hourly, same, currency
    mine = _usd(fx, hourly, currency, year)
    theirs = [v for v in (_usd(fx, h, c, y) for h, c, y in points) if v]
    if mine is None or not theirs:
        return None
    return mine, theirs, "US$"


def _import_warning(key: tuple[str, ...], lines: Sequence[int]) -> str:
    """One warning for a group of rows with the same problem, naming its first rows.

    Why grouped: a sheet repeats a mistake on many rows; one line per row would bury the rest.
    """
    shown = ", ".join(map(str, lines[:5])) + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")
    if key[0] == "currency":
        return (
            f"row(s) {shown}: {key[1]} amounts in {key[2]}, but {key[1]}'s legal tender is {key[3]} "
            "(CLDR) and the bundled figures use no such currency; check the currency"
        )
    return (
        f"row(s) {shown}: {key[1]} amount(s) more than {IMPORT_FAR:g}x away from the median of "
        f"{key[1]}'s bundled figures ({key[3]} {key[2]} an hour); check amount, period and currency"
    )


def import_warnings(
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    reference: Sequence[Mapping[str, Any]],
    rates: Iterable[Mapping[str, Any]] = (),
) -> list[str]:
    """Plausibility notes on an imported table: currencies that are not the country's, amounts far
    from the country's bundled figures (compared per hour, converted through US$ when the
    currencies differ). They do not stop the import; each names the rows (header = row 1)."""
    from statistics import median

    fx = _usd_per_currency(rates)
    ref = _hourly_points(reference)
    groups: dict[tuple[str, ...], list[int]] = {}
    for line, row in enumerate(rows, start=2):
        country, currency, year = str(row["country"]), str(row["currency"]), int(row["reference_year"])
        known = {c for _, c, _ in ref.get(country, [])}
        tender = legal_tender(country, year)
        if tender and currency not in tender and currency not in known:
            groups.setdefault(("currency", country, currency, ", ".join(tender)), []).append(line)
        compared = _comparable_hourly(_hourly(row), currency, year, ref.get(country), fx)
        if compared is None:
            continue
        hourly, figures, unit = compared
        typical = median(figures)
        ratio = hourly / typical
        if ratio > IMPORT_FAR or ratio < 1 / IMPORT_FAR:
            groups.setdefault(("far", country, unit, f"{typical:.4g}"), []).append(line)
    return [_import_warning(key, lines) for key, lines in sorted(groups.items(), key=lambda kv: kv[1][0])]
