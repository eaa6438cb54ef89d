"""Tests for fairpay.units.periods: per-period amounts to hourly with an explicit hours basis.

Divisors are computed by hand: a year is 52 weeks, a month a twelfth of it, a day a fifth (or
1/days_per_week) of the week. Expected values are Fractions, so they are exact and independent of
the Decimal arithmetic under test.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from fairpay.errors import InvalidInputError
from fairpay.units.periods import PERIODS, hours_basis, to_hourly


def close(actual: Decimal, expected: Fraction) -> bool:
    """Decimal (28 significant digits) equal to an exact Fraction within 1e-20 relative."""
    return abs(Fraction(actual) - expected) <= abs(expected) * Fraction(1, 10**20)


@pytest.mark.parametrize(
    ("period", "hours_per_week", "days", "divisor"),
    [
        ("hour", 40, 5, Fraction(1)),
        ("day", 40, 5, Fraction(40, 5)),  # 8 h
        ("day", 48, 6, Fraction(48, 6)),  # 8 h
        ("day", 37.5, 5, Fraction(75, 10)),  # 7.5 h
        ("week", 40, 5, Fraction(40)),
        ("week", 37.5, 5, Fraction(75, 2)),
        ("month", 40, 5, Fraction(40 * 52, 12)),  # 173.33... h
        ("month", 45, 5, Fraction(45 * 52, 12)),  # 195 h
        ("month", 38, 5, Fraction(38 * 52, 12)),
        ("year", 40, 5, Fraction(40 * 52)),  # 2080 h
        ("year", 35, 5, Fraction(35 * 52)),
    ],
)
def test_hours_basis_divisors(period: str, hours_per_week: float, days: int, divisor: Fraction) -> None:
    basis = hours_basis(period, hours_per_week, days)
    assert basis.period == period
    assert close(basis.hours_per_period, divisor)
    assert basis.hours_per_week == Decimal(str(hours_per_week))
    assert basis.days_per_week == Decimal(days)


@pytest.mark.parametrize(
    ("amount", "period", "hours_per_week", "expected"),
    [
        ("35518", "month", 40, Fraction(35518) / Fraction(40 * 52, 12)),  # Kenya anker urban 2023
        ("8240", "month", 45, Fraction(8240) / Fraction(45 * 52, 12)),  # ZA, 45 h national week
        ("1197", "day", 40, Fraction(1197, 8)),  # PH NCR, 8 h day
        ("948.00", "week", 38, Fraction(948, 38)),  # AU weekly minimum on its 38 h week
        ("52000", "year", 40, Fraction(52000, 2080)),
        ("25.02", "hour", 40, Fraction(2502, 100)),
    ],
)
def test_to_hourly(amount: str, period: str, hours_per_week: int, expected: Fraction) -> None:
    assert close(to_hourly(Decimal(amount), hours_basis(period, hours_per_week)), expected)


def test_au_weekly_minimum_is_exactly_its_hourly_rate() -> None:
    # Fair Work 2025: $948.00/week for a 38-hour week = $24.95/hour (948 / 38 = 24.947... -> the
    # published hourly is rounded); the division itself must be exact to the digit.
    hourly = to_hourly(Decimal("948.00"), hours_basis("week", 38))
    assert Decimal("24.947") < hourly < Decimal("24.948")


def test_describe_states_the_basis() -> None:
    assert hours_basis("hour", 40).describe() == "hourly figure (no conversion)"
    assert hours_basis("day", 40).describe() == "8 h/day (40 h/week over 5 days)"
    assert hours_basis("week", 37.5).describe() == "37.5 h/week"
    assert hours_basis("month", 40).describe() == "173.33 h/month (40 h/week x 52 / 12)"
    assert hours_basis("year", 40).describe() == "2080 h/year (40 h/week x 52)"


def test_periods_constant() -> None:
    assert PERIODS == ("hour", "day", "week", "month", "year")


@pytest.mark.parametrize("period", ["fortnight", "months", "Month", "", "hourly"])
def test_bad_period(period: str) -> None:
    with pytest.raises(InvalidInputError, match="period"):
        hours_basis(period, 40)


@pytest.mark.parametrize("hours", [0, -1, Decimal("-0.5"), 168.01, 169, 1000])
def test_hours_out_of_range(hours: object) -> None:
    with pytest.raises(InvalidInputError, match="hours_per_week"):
        hours_basis("month", hours)  # type: ignore[arg-type]


@pytest.mark.parametrize("hours", ["abc", "", float("nan"), float("inf"), None, True])
def test_hours_not_a_number(hours: object) -> None:
    # used to escape as decimal.InvalidOperation (a traceback in the CLI)
    with pytest.raises(InvalidInputError, match="hours_per_week"):
        hours_basis("month", hours)  # type: ignore[arg-type]


def test_hours_at_bounds() -> None:
    assert hours_basis("week", 168).hours_per_period == 168
    assert hours_basis("week", "0.5").hours_per_period == Decimal("0.5")


@pytest.mark.parametrize("days", [0, -1, 8, "x", float("nan")])
def test_bad_days_per_week(days: object) -> None:
    with pytest.raises(InvalidInputError, match="days_per_week"):
        hours_basis("day", 40, days)  # type: ignore[arg-type]


def test_month_to_hour_is_exact_when_the_hand_result_is() -> None:
    # 130 per month at 40 h/week: 130 x 12 / (40 x 52) = 1560 / 2080 = 0.75 exactly
    assert to_hourly(Decimal(130), hours_basis("month", 40)) == Decimal("0.75")
    # 600 per day, 48 h over 6 days: 600 x 6 / 48 = 75 exactly
    assert to_hourly(Decimal(600), hours_basis("day", 48, 6)) == Decimal(75)
