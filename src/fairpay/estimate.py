"""The estimated living wage: an honest, labelled figure where no living wage is cited.

Why: for many countries where data workers live no living wage has been published, and a minimum
wage is a legal floor, not a living wage. In the spirit of the Anker Research Institute's living-wage
*reference values* and other cross-country models, fairpay fits the cited Anker living wages against
national income and predicts, with an interval, for countries that have none.

The model (every step reproducible from the bundled tables, or from a user's training table):

- **Training set**: living-wage rows of method ``anker`` for the ``typical_family`` household
  (the Anker definition: the gross wage one full-time worker needs to support a typical local family
  with its other earners). Anker rows are one method with one definition; other methods (budget
  standards for a single adult, net household budgets, campaign floors about twice the Anker level,
  the archived WageIndicator series the publisher calls not comparable) measure other things and
  would blur the fit. Every confidence level enters (dropping the low-confidence secondary reports
  would leave too few countries to fit); gross and "unspecified" rows enter (Anker figures are gross
  by definition; "unspecified" marks a secondary report of one), net rows do not.
- **Per row**: hourly local amount (the row's hours basis, else the cited national standard week,
  else 40 h; 5 days a week for daily figures: the same rules as the lookup), brought to 2021 prices
  with the country's CPI (World Bank ``FP.CPI.TOTL``), divided by the 2021 PPP conversion factor for
  private consumption (``PA.NUS.PRVT.PP``): constant-2021 PPP $ per hour. Income: GDP per capita, PPP,
  constant 2021 international $ (``NY.GDP.PCAP.PP.KD``, one vintage) of the row's reference year
  (the newest earlier year when that year is not published).
- **Per country**: the geometric mean of its rows (urban and rural figures weigh alike), so a
  country with many figures does not count more than one with one.
- **Fit**: ordinary least squares of ln(living wage) on ln(GDP per capita) over countries; the
  prediction interval is the textbook OLS one (Student t, n - 2 degrees of freedom).
- **Range**: a prediction is refused for a country whose income lies outside the fitted range
  (the cited Anker countries are low- and middle-income): the model says nothing about rich countries.
- **Diagnostics**: leave-one-country-out (LOCO): refit without each country and predict it; the
  median absolute error and the share of left-out countries inside the nominal interval are reported
  with every estimate.

Where it is weak: about 16 countries, several from secondary reports; GDP per capita ignores
inequality and the cost of housing; a 40-hour basis where the source states none.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from fairpay.errors import InvalidInputError, NoBenchmarkError
from fairpay.tables.store import by_data_version
from fairpay.units.periods import hours_basis, to_hourly
from fairpay.units.places import alpha3

#: The price base of the model: GDP in constant 2021 international $, living wages in 2021 PPP $.
PRICE_YEAR = 2021
#: Nominal coverage of the prediction interval.
INTERVAL = 0.80
TRAINING_METHODS: tuple[str, ...] = ("anker",)
TRAINING_HOUSEHOLDS: tuple[str, ...] = ("typical_family",)
TRAINING_GROSS_NET: tuple[str, ...] = ("gross", "unspecified")
DEFAULT_HOURS_PER_WEEK = Decimal(40)
DAYS_PER_WEEK = Decimal(5)
GDP_URL = "https://data.worldbank.org/indicator/NY.GDP.PCAP.PP.KD"


@dataclass(frozen=True)
class TrainingPoint:
    """One country of the training set: geometric means over its rows."""

    country: str
    wage_ppp: float  # constant-2021 PPP $ per hour
    gdp: float  # GDP per capita, constant 2021 international $
    rows: int
    years: tuple[int, ...]


@dataclass(frozen=True)
class LeftOut:
    """One leave-one-country-out prediction: the country refitted out and predicted."""

    country: str
    actual: float
    predicted: float
    low: float
    high: float
    inside_range: bool  # was its income inside the range of the other countries?

    @property
    def error(self) -> float:
        """Relative error of the prediction: predicted / actual - 1."""
        return self.predicted / self.actual - 1

    @property
    def covered(self) -> bool:
        return self.low <= self.actual <= self.high


@dataclass(frozen=True)
class Estimate:
    """A predicted living wage for a country, in PPP $ and local currency, with its provenance."""

    country: str
    gdp: float
    gdp_year: int
    point_ppp: float  # constant-2021 PPP $ per hour
    low_ppp: float
    high_ppp: float
    currency: str
    ppp_2021: Decimal  # local currency per international $, 2021
    price_year: int  # the year of the local prices below (the newest CPI year up to the year asked)
    cpi_factor: Decimal  # CPI[price_year] / CPI[2021] (below 1 for a year before 2021)
    point: Decimal  # local currency per hour, prices of price_year (rounded up to 4 decimals)
    low: Decimal
    high: Decimal
    model: LivingWageModel = field(repr=False)

    def steps(self) -> list[str]:
        """Each step from income to the local hourly figure, in words (for adjustments)."""
        m = self.model
        return [
            f"estimate: ln(wage, 2021 PPP $/h) = {m.intercept:.4f} + {m.slope:.4f} x ln(GDP per capita); "
            f"GDP per capita PPP {self.gdp:,.0f} constant 2021 int$ ({self.gdp_year}, World Bank "
            f"NY.GDP.PCAP.PP.KD vintage {m.vintages.get('gdp', '?')})",
            f"estimate: {self.point_ppp:.4f} 2021 PPP $/h, {int(INTERVAL * 100)}% prediction interval "
            f"{self.low_ppp:.4f}-{self.high_ppp:.4f}",
            f"estimate: x PPP {self.ppp_2021:.4f} {self.currency} per int$ (2021, PA.NUS.PRVT.PP) x CPI "
            f"{PRICE_YEAR}->{self.price_year} {self.cpi_factor:.4f} = {self.point:.4f} {self.currency}/h "
            f"(interval {self.low:.4f}-{self.high:.4f})",
            f"estimate: {m.describe()}",
        ]

    def to_dict(self, bound: str | None = None) -> dict[str, Any]:
        """JSON-ready: money as exact strings."""
        return {
            "method": "estimate",
            "bound_used": bound,
            "point": format(self.point, "f"),
            "low": format(self.low, "f"),
            "high": format(self.high, "f"),
            "currency": self.currency,
            "price_year": self.price_year,
            "point_ppp_2021": round(self.point_ppp, 4),
            "interval_ppp_2021": [round(self.low_ppp, 4), round(self.high_ppp, 4)],
            "interval": INTERVAL,
            "gdp_per_capita_ppp_2021": round(self.gdp, 2),
            "gdp_year": self.gdp_year,
            "model": self.model.to_dict(),
        }


@dataclass(frozen=True)
class LivingWageModel:
    """A fitted log-log model with its training set, diagnostics and the tables it predicts from."""

    intercept: float
    slope: float
    residual_sd: float
    points: tuple[TrainingPoint, ...]
    loco: tuple[LeftOut, ...]
    excluded: tuple[str, ...]  # training rows left out, and why
    vintages: Mapping[str, str]
    gdp: Mapping[tuple[str, int], Decimal] = field(repr=False)
    ppp: Mapping[tuple[str, int], tuple[Decimal, str | None]] = field(repr=False)
    cpi: Mapping[tuple[str, int], Decimal] = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.points)

    @property
    def gdp_range(self) -> tuple[float, float]:
        xs = [p.gdp for p in self.points]
        return min(xs), max(xs)

    @property
    def loco_median_abs_error(self) -> float:
        """Median of |predicted / actual - 1| over left-out countries."""
        return statistics.median(abs(x.error) for x in self.loco) if self.loco else math.nan

    @property
    def loco_coverage(self) -> float:
        """Share of left-out countries inside their nominal interval."""
        return sum(x.covered for x in self.loco) / len(self.loco) if self.loco else math.nan

    def describe(self) -> str:
        lo, hi = self.gdp_range
        return (
            f"fitted on {self.n} countries' cited {'/'.join(TRAINING_METHODS)} living wages "
            f"({', '.join(p.country for p in self.points)}), GDP range {lo:,.0f}-{hi:,.0f} int$; "
            f"leave-one-country-out median absolute error {self.loco_median_abs_error:.1%}, "
            f"{int(INTERVAL * 100)}% interval covered {self.loco_coverage:.0%} of left-out countries"
        )

    def interval_ppp(self, gdp: float) -> tuple[float, float, float]:
        """(point, low, high) in 2021 PPP $/h at an income, no range check (see :meth:`predict`)."""
        return _interval(self.intercept, self.slope, self.residual_sd, [p.gdp for p in self.points], gdp)

    def predict(self, country: str, year: int | None = None) -> Estimate:
        """The estimated hourly living wage for ``country`` (alpha-2) in the prices of ``year``.

        ``year`` (default: the newest CPI year) picks the income year (newest published up to it)
        and the CPI target. Raises :class:`NoBenchmarkError` outside the fitted income range or
        when an input is not published for the country.
        """
        iso3 = alpha3(country)
        gdp_years = sorted(y for (c, y) in self.gdp if c == iso3 and (year is None or y <= year))
        if not gdp_years:
            raise NoBenchmarkError(
                f"cannot estimate a living wage for {country}: no GDP per capita PPP for {iso3}"
                + (f" up to {year}" if year else "")
                + f" in World Bank NY.GDP.PCAP.PP.KD (vintage {self.vintages.get('gdp', '?')})"
            )
        gdp_year = gdp_years[-1]
        gdp = float(self.gdp[(iso3, gdp_year)])
        lo, hi = self.gdp_range
        if not lo <= gdp <= hi:
            raise NoBenchmarkError(
                f"cannot estimate a living wage for {country}: its GDP per capita PPP ({gdp:,.0f} int$, "
                f"{gdp_year}) is outside the range the estimate was fitted on ({lo:,.0f}-{hi:,.0f} int$); "
                "fairpay does not extrapolate"
            )
        ppp = self.ppp.get((iso3, PRICE_YEAR))
        if ppp is None or ppp[1] is None:
            raise NoBenchmarkError(
                f"cannot estimate a living wage for {country}: no {PRICE_YEAR} PPP conversion factor "
                f"for {iso3} with a currency (World Bank PA.NUS.PRVT.PP)"
            )
        newest_ppp = max((y for (c, y) in self.ppp if c == iso3), default=PRICE_YEAR)
        if self.ppp[(iso3, newest_ppp)][1] != ppp[1]:
            raise NoBenchmarkError(
                f"cannot estimate a living wage for {country}: its {PRICE_YEAR} PPP factor is in {ppp[1]} but "
                f"{newest_ppp}'s in {self.ppp[(iso3, newest_ppp)][1]} (a redenomination); fairpay does not "
                "carry an estimate across currencies"
            )
        cpi_years = sorted(y for (c, y) in self.cpi if c == iso3 and (year is None or y <= year))
        base = self.cpi.get((iso3, PRICE_YEAR))
        if base is None or not cpi_years:
            raise NoBenchmarkError(
                f"cannot estimate a living wage for {country}: no CPI for {iso3} in "
                f"{PRICE_YEAR if base is None else f'any year up to {year}'} (World Bank FP.CPI.TOTL)"
            )
        price_year = cpi_years[-1]
        factor = self.cpi[(iso3, price_year)] / base
        point, low, high = self.interval_ppp(gdp)

        def local(v: float) -> Decimal:
            exact = Decimal(repr(v)) * ppp[0] * factor
            return exact.quantize(Decimal("0.0001"), rounding=ROUND_CEILING)

        return Estimate(
            country=country,
            gdp=gdp,
            gdp_year=gdp_year,
            point_ppp=point,
            low_ppp=low,
            high_ppp=high,
            currency=str(ppp[1]),
            ppp_2021=ppp[0],
            price_year=price_year,
            cpi_factor=factor,
            point=local(point),
            low=local(low),
            high=local(high),
            model=self,
        )

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.gdp_range
        return {
            "formula": "ln(living wage, 2021 PPP $/h) = a + b ln(GDP per capita PPP, constant 2021 int$)",
            "intercept": round(self.intercept, 6),
            "slope": round(self.slope, 6),
            "residual_sd": round(self.residual_sd, 6),
            "training": {
                "methods": list(TRAINING_METHODS),
                "households": list(TRAINING_HOUSEHOLDS),
                "gross_net": list(TRAINING_GROSS_NET),
                "countries": [p.country for p in self.points],
            },
            "gdp_range": [round(lo, 2), round(hi, 2)],
            "loco_median_abs_error": round(self.loco_median_abs_error, 4),
            "loco_interval_coverage": round(self.loco_coverage, 4),
            "vintages": dict(self.vintages),
        }


# --------------------------------------------------------------------------- fitting
def fit_living_wage_model(
    training: Any = None,
    *,
    gdp: Any = None,
    ppp: Any = None,
    cpi: Any = None,
    standard_weeks: Any = None,
    leave_out: Iterable[str] = (),
) -> LivingWageModel:
    """Fit the estimate on a training table and return it with its leave-one-country-out diagnostics.

    ``training``: living-wage rows in the bundled layout (a CSV path, a DataFrame, or validated rows;
    default: the bundled ``living_wages`` table); only the rows described in the module docstring
    enter. ``gdp``, ``ppp``, ``cpi``, ``standard_weeks``: the World Bank tables as rows (default:
    bundled). ``leave_out``: countries (alpha-2) not to fit on, e.g. to reproduce a LOCO figure.
    """
    from fairpay.tables import load as data

    rows = _training_rows(training)
    gdp_rows = data.load("gdp_per_capita_ppp_2021").rows if gdp is None else gdp
    ppp_rows = data.load("ppp").rows if ppp is None else ppp
    cpi_rows = data.load("cpi").rows if cpi is None else cpi
    week_rows = data.load("standard_weeks").rows if standard_weeks is None else standard_weeks
    gdp_map = _keyed(gdp_rows, "gdp", "value", lambda r: Decimal(str(r["value"])))
    ppp_map = _keyed(
        ppp_rows,
        "ppp",
        "lcu_per_intl_dollar",
        lambda r: (Decimal(str(r["lcu_per_intl_dollar"])), r.get("currency")),
    )
    cpi_map = _keyed(cpi_rows, "cpi", "cpi_2010_100", lambda r: Decimal(str(r["cpi_2010_100"])))
    weeks = {r["country"]: Decimal(str(r["hours_per_week"])) for r in week_rows}
    vintages = {
        "gdp": _vintage(gdp_rows, "vintage"),
        "ppp": _vintage(ppp_rows, "source_vintage"),
        "cpi": _vintage(cpi_rows, "source_vintage"),
    }
    skip = {c.upper() for c in leave_out}
    points, excluded = _points(rows, gdp_map, ppp_map, cpi_map, weeks, skip)
    if len(points) < 3:
        raise InvalidInputError(
            f"the living-wage estimate needs at least 3 countries with usable {'/'.join(TRAINING_METHODS)} "
            f"figures; the training table gives {len(points)}"
            + (f" ({'; '.join(excluded[:5])})" if excluded else "")
        )
    a, b, s = _ols(points)
    loco = tuple(_leave_one_out(points)) if len(points) >= 4 else ()
    return LivingWageModel(
        intercept=a,
        slope=b,
        residual_sd=s,
        points=tuple(points),
        loco=loco,
        excluded=tuple(excluded),
        vintages=vintages,
        gdp=gdp_map,
        ppp=ppp_map,
        cpi=cpi_map,
    )


def _keyed(
    rows: Iterable[Mapping[str, Any]], table: str, column: str, value: Any
) -> dict[tuple[str, int], Any]:
    """(country_iso3, year) -> value, every row checked: a bad one is named, never skipped."""
    out: dict[tuple[str, int], Any] = {}
    for i, r in enumerate(rows, start=1):
        try:
            key = (str(r["country_iso3"]), int(r["year"]))
            got = value(r)
            number = got[0] if isinstance(got, tuple) else got
            if not number.is_finite() or number <= 0:
                raise ValueError
        except (KeyError, TypeError, ValueError, ArithmeticError):
            raise InvalidInputError(
                f"{table} table, row {i}: needs country_iso3, year and a positive {column} (got {dict(r)!r})"
            ) from None
        out[key] = got
    return out


@by_data_version
def bundled_model() -> LivingWageModel:
    """The estimate fitted on the bundled tables (once per process)."""
    return fit_living_wage_model()


def _training_rows(training: Any) -> Sequence[Mapping[str, Any]]:
    from fairpay.tables import load as data

    if training is None:
        return data.load("living_wages").rows
    if isinstance(training, (list, tuple)) and all(isinstance(r, Mapping) for r in training):
        return data.validate("living_wages", training, "training rows")  # every bad row listed
    return data.read_rows("living_wages", training, origin="user").rows


def _vintage(rows: Iterable[Mapping[str, Any]], column: str) -> str:
    found = sorted({str(r.get(column)) for r in rows if r.get(column)})
    return ", ".join(found) if found else "not stated"


def _points(
    rows: Iterable[Mapping[str, Any]],
    gdp: Mapping[tuple[str, int], Decimal],
    ppp: Mapping[tuple[str, int], tuple[Decimal, str | None]],
    cpi: Mapping[tuple[str, int], Decimal],
    weeks: Mapping[str, Decimal],
    skip: set[str],
) -> tuple[list[TrainingPoint], list[str]]:
    per_country: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    excluded: list[str] = []
    for r in rows:
        if (
            r["method"] not in TRAINING_METHODS
            or r.get("household") not in TRAINING_HOUSEHOLDS
            or (r.get("gross_net") or "unspecified") not in TRAINING_GROSS_NET
            or r["country"] in skip
        ):
            continue
        country, year = r["country"], int(r["reference_year"])
        where = f"{country} {r.get('locality')} ({year})"
        iso3 = alpha3(country)
        hpw = r.get("hours_per_week") or weeks.get(country) or DEFAULT_HOURS_PER_WEEK
        period = r["period"]
        hourly = (
            Decimal(r["amount"])
            if period == "hour"
            else to_hourly(Decimal(r["amount"]), hours_basis(period, Decimal(hpw), DAYS_PER_WEEK))
        )
        # a figure newer than the newest CPI (RW 2025) is priced at the newest CPI year before it
        cpi_years = [y for (c, y) in cpi if c == iso3 and y <= year]
        base = cpi[(iso3, max(cpi_years))] if cpi_years else None
        top = cpi.get((iso3, PRICE_YEAR))
        factor = ppp.get((iso3, PRICE_YEAR))
        gdp_years = [y for (c, y) in gdp if c == iso3 and y <= year]
        if base is None or top is None:
            excluded.append(f"{where}: no CPI for {iso3} up to {year} or in {PRICE_YEAR}")
            continue
        if factor is None or factor[1] != r["currency"]:
            excluded.append(f"{where}: no {PRICE_YEAR} PPP factor for {iso3} in {r['currency']}")
            continue
        if not gdp_years:
            excluded.append(f"{where}: no GDP per capita for {iso3} up to {year}")
            continue
        wage = float(hourly * top / base / factor[0])
        per_country[country].append((wage, float(gdp[(iso3, max(gdp_years))]), year))
    points = [
        TrainingPoint(
            country=c,
            wage_ppp=_geometric_mean([w for w, _, _ in vals]),
            gdp=_geometric_mean([g for _, g, _ in vals]),
            rows=len(vals),
            years=tuple(sorted({y for _, _, y in vals})),
        )
        for c, vals in sorted(per_country.items())
    ]
    return points, excluded


def _geometric_mean(values: Sequence[float]) -> float:
    """exp(mean(ln v)); one value is returned as it is (no float round trip at a range edge)."""
    if len(set(values)) == 1:
        return values[0]
    return math.exp(statistics.fmean(math.log(v) for v in values))


def _ols(points: Sequence[TrainingPoint]) -> tuple[float, float, float]:
    """Intercept, slope and residual standard deviation (n - 2 degrees of freedom) of ln w on ln g."""
    xs = [math.log(p.gdp) for p in points]
    ys = [math.log(p.wage_ppp) for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx <= 0:
        raise InvalidInputError(
            "the living-wage estimate needs countries with at least two different incomes "
            f"(all {len(points)} training countries have GDP per capita {points[0].gdp:,.0f})"
        )
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = my - slope * mx
    resid = [y - intercept - slope * x for x, y in zip(xs, ys, strict=True)]
    sd = math.sqrt(sum(e * e for e in resid) / (len(points) - 2))
    return intercept, slope, sd


def _interval(a: float, b: float, s: float, gdps: Sequence[float], gdp: float) -> tuple[float, float, float]:
    xs = [math.log(g) for g in gdps]
    n, mx = len(xs), statistics.fmean(xs)
    sxx = sum((x - mx) ** 2 for x in xs)
    x0 = math.log(gdp)
    se = s * math.sqrt(1 + 1 / n + (x0 - mx) ** 2 / sxx)
    t = t_quantile(0.5 + INTERVAL / 2, n - 2)
    fit = a + b * x0
    return math.exp(fit), math.exp(fit - t * se), math.exp(fit + t * se)


def _leave_one_out(points: Sequence[TrainingPoint]) -> Iterable[LeftOut]:
    for i, p in enumerate(points):
        rest = [q for j, q in enumerate(points) if j != i]
        try:
            a, b, s = _ols(rest)
        except InvalidInputError:
            continue  # the others share one income: no fit to test this country against
        point, low, high = _interval(a, b, s, [q.gdp for q in rest], p.gdp)
        inside = min(q.gdp for q in rest) <= p.gdp <= max(q.gdp for q in rest)
        yield LeftOut(p.country, p.wage_ppp, point, low, high, inside)


@functools.cache
def t_quantile(p: float, df: int) -> float:
    """Quantile of Student's t distribution (bisection on the CDF; Simpson's rule on the density).

    Why hand-written: fairpay does not depend on scipy for one quantile; accurate to ~1e-9.
    """
    if not 0.5 <= p < 1 or df < 1:
        raise InvalidInputError(f"t quantile needs 0.5 <= p < 1 and df >= 1 (got p={p}, df={df})")
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def density(x: float) -> float:
        return math.exp(log_c - (df + 1) / 2 * math.log1p(x * x / df))

    def cdf(x: float, steps: int = 2000) -> float:
        h = x / steps
        total = density(0) + density(x)
        total += sum((4 if k % 2 else 2) * density(k * h) for k in range(1, steps))
        return 0.5 + total * h / 3

    lo, hi = 0.0, 1.0
    while cdf(hi) < p:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        if cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
