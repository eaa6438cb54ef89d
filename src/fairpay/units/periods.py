"""Pay periods to hourly amounts, with the hours basis always explicit.

Why: benchmarks are published per hour, day, month or year, and a monthly figure means nothing
per hour until you say how many hours a month holds. fairpay never guesses silently: the caller
passes ``hours_per_week`` (and, for daily figures, ``days_per_week``), and the result records the
divisor used.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from fairpay.errors import InvalidInputError
from fairpay.units.money import to_decimal

Period = Literal["hour", "day", "week", "month", "year"]
PERIODS: tuple[str, ...] = ("hour", "day", "week", "month", "year")

#: Weeks in a year and months in a year: 52 weeks is the convention of MIT's living-wage
#: calculator (40 h x 52) and of most national statistics; a month is a twelfth of that year.
WEEKS_PER_YEAR = Decimal(52)
MONTHS_PER_YEAR = Decimal(12)


@dataclass(frozen=True, slots=True)
class HoursBasis:
    """How many hours one period holds, and why: recorded with every hourly figure."""

    period: str
    hours_per_period: Decimal
    hours_per_week: Decimal
    days_per_week: Decimal

    def describe(self) -> str:
        """A short, human-readable statement of the basis (for reports and adjustments)."""
        if self.period == "hour":
            return "hourly figure (no conversion)"
        week = f"{self.hours_per_week.normalize():f} h/week"
        if self.period == "day":
            return f"{self.hours_per_period.normalize():f} h/day ({week} over {self.days_per_week.normalize():f} days)"
        if self.period == "week":
            return f"{week}"
        if self.period == "month":
            return f"{self.hours_per_period:.2f} h/month ({week} x 52 / 12)"
        return f"{self.hours_per_period.normalize():f} h/year ({week} x 52)"


def hours_basis(
    period: str, hours_per_week: Decimal | int | float, days_per_week: Decimal | int = 5
) -> HoursBasis:
    """Hours in one ``period`` for a given working week (52 weeks a year, 12 months)."""
    if period not in PERIODS:
        raise InvalidInputError(f"period {period!r} is not one of {', '.join(PERIODS)}")
    hpw = to_decimal(hours_per_week, "hours_per_week")
    dpw = to_decimal(days_per_week, "days_per_week")
    if not (0 < hpw <= 168):
        raise InvalidInputError(f"hours_per_week {hours_per_week!r} must be in (0, 168]")
    if not (0 < dpw <= 7):
        raise InvalidInputError(f"days_per_week {days_per_week!r} must be in (0, 7]")
    per = {
        "hour": Decimal(1),
        "day": hpw / dpw,
        "week": hpw,
        "month": hpw * WEEKS_PER_YEAR / MONTHS_PER_YEAR,
        "year": hpw * WEEKS_PER_YEAR,
    }[period]
    return HoursBasis(period, per, hpw, dpw)


def to_hourly(amount: Decimal, basis: HoursBasis) -> Decimal:
    """An amount per ``basis.period`` expressed per hour.

    Multiplies before it divides: a month holds hpw x 52 / 12 hours, a repeating decimal, and
    dividing by its 28-digit rounding would make 130 per month at 40 h/week 0.75000...01 per hour,
    which a bar rounded up to the cent then shows as 0.76 instead of 0.75.
    """
    if basis.period == "month":
        return amount * MONTHS_PER_YEAR / (basis.hours_per_week * WEEKS_PER_YEAR)
    if basis.period == "day":
        return amount * basis.days_per_week / basis.hours_per_week
    return amount / basis.hours_per_period
