"""Living- and minimum-wage benchmarks: one deterministic lookup, with provenance and fallbacks.

Why: a verdict is only as credible as the figure behind it. Benchmarks differ in method, household,
region, period, gross/net and vintage, so a lookup returns *one* figure together with everything a
reader needs to trust or challenge it: the original amount and period, the hours basis used and
where it came from, the source and URL, the reference year and every adjustment or fallback taken.

(The module is ``fairpay.wages``, singular, so that it never shadows the public function
``fairpay.benchmarks()``.)

Lookup order (documented in README "How a benchmark is chosen"); candidates are ranked by, in turn:

1. **origin** - rows from a user table (``add``/``fairpay data import``) for the place win over
   bundled rows;
2. **subdivision** - the requested ISO 3166-2 subdivision, else the national rows
   (fallback recorded); rows of *other* subdivisions are never used for a place;
3. **locality** - when a locality is asked for: rows whose locality names it or whose area is it
   (``urban``/``rural``), else the rest (fallback recorded);
4. **household** - the requested household first, then ``typical_family`` -> ``blended`` ->
   ``standard_family`` -> ``single_adult`` -> ``other``;
5. **method** - the requested methods, else ``anker``, then the national living-wage bodies
   (``minimum_income_standard``, ``canadian_framework``, ``budget_standard``,
   ``national_network``, ``mit``), then the archived ``wageindicator`` series; campaign floors and
   other methods only when asked for by name;
6. **area** - national figures before figures for one area (when no locality was asked);
7. **newest reference year**, then the **higher hourly amount** (when unsure, the worker's
   favour, and the result says several figures tied), then confidence.

Hours basis for non-hourly figures: the row's own ``hours_per_week``, else the national standard
week from ``standard_weeks.csv`` (cited), else 40 h - stated in ``adjustments``. Daily figures
assume 5 working days a week (stated).
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

from fairpay.errors import InvalidInputError, NoBenchmarkError
from fairpay.units.periods import hours_basis, to_hourly
from fairpay.units.places import Place, place

Kind = Literal["living", "minimum"]
BarKind = Literal["living", "minimum", "higher"]
KINDS: tuple[str, ...] = ("living", "minimum")
BAR_KINDS: tuple[str, ...] = ("living", "minimum", "higher")

DEFAULT_HOUSEHOLDS: tuple[str, ...] = (
    "typical_family",
    "blended",
    "standard_family",
    "single_adult",
    "other",
)
DEFAULT_METHODS: tuple[str, ...] = (
    "anker",
    "minimum_income_standard",
    "canadian_framework",
    "budget_standard",
    "national_network",
    "mit",
    "wageindicator",
)
#: Hours a week assumed when neither the source nor a cited national standard states it.
DEFAULT_HOURS_PER_WEEK = Decimal(40)
DAYS_PER_WEEK = Decimal(5)
_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2, None: 3}
_MIN_SCOPE_RANK = {
    "regional": 0,  # only when its subdivision matches (see _min_scope_rank)
    "national": 1,
    "federal_sectors": 3,
    "sectoral": 4,
    "national_floor_non_binding": 5,
}
ILOSTAT_URL = "https://rplumber.ilo.org/data/indicator/?id=EAR_INEE_NOC_NB_A&format=.csv"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark figure for a place, expressed per hour in its own currency, with provenance."""

    country: str
    subdivision: str | None
    kind: str  # "living" | "minimum"
    hourly: Decimal  # per hour, in ``currency``, in the prices of ``year``
    currency: str
    year: int  # the price year of ``hourly`` (reference year, or the CPI target year)
    amount: Decimal  # as published, in ``amount_currency``
    period: str  # as published
    hours_per_week: Decimal
    hours_basis: str  # "source" | "national_standard" | "default_40" | "hourly"
    gross_net: str
    household: str | None
    method: str
    locality: str | None
    area: str | None
    source: str
    url: str
    reference_year: int
    age_years: int
    confidence: str | None = None
    origin: str = "bundled"  # "bundled" | "user" | "cache" | "override"
    adjustments: tuple[str, ...] = ()
    fallbacks: tuple[str, ...] = ()
    notes: str | None = None
    amount_currency: str = ""  # the currency ``amount`` is published in (set from ``currency`` if empty)

    def __post_init__(self) -> None:
        if not self.amount_currency:
            object.__setattr__(self, "amount_currency", self.currency)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: Decimals as strings (exact), tuples as lists."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, Decimal):
                out[key] = format(value.normalize() if key != "hourly" else value, "f")
            elif isinstance(value, tuple):
                out[key] = list(value)
        # a bar: shown rounded UP (4 decimals), never below the figure
        out["hourly"] = format(self.hourly.quantize(Decimal("0.0001"), rounding=ROUND_CEILING), "f")
        return out


@dataclass(frozen=True)
class _Row:
    """A candidate figure, normalised across the living, curated-minimum and ILOSTAT tables."""

    kind: str
    country: str
    subdivision: str | None
    area: str | None
    locality: str | None
    household: str | None
    method: str
    amount: Decimal
    currency: str
    period: str
    gross_net: str
    hours_per_week: Decimal | None
    reference_year: int
    confidence: str | None
    source: str
    url: str
    origin: str
    scope: str | None = None
    notes: str | None = None
    table_rank: int = 0


def _fold(text: str | None) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _living_row(r: Mapping[str, Any], origin: str) -> _Row:
    return _Row(
        kind="living",
        country=r["country"],
        subdivision=r.get("subdivision"),
        area=r.get("area"),
        locality=r.get("locality"),
        household=r.get("household"),
        method=r["method"],
        amount=r["amount"],
        currency=r["currency"],
        period=r["period"],
        gross_net=r.get("gross_net") or "unspecified",
        hours_per_week=r.get("hours_per_week"),
        reference_year=int(r["reference_year"]),
        confidence=r.get("confidence"),
        source=r["source_name"],
        url=r["source_url"],
        origin=origin,
        notes=r.get("notes"),
    )


def _minimum_row(r: Mapping[str, Any], origin: str) -> _Row:
    return _Row(
        kind="minimum",
        country=r["country"],
        subdivision=r.get("subdivision"),
        area="national",
        locality=None,
        household=None,
        method="statutory_minimum",
        amount=r["amount"],
        currency=r["currency"],
        period=r["period"],
        gross_net="gross",
        hours_per_week=r.get("hours_per_week"),
        reference_year=int(r["reference_year"]),
        confidence=None,
        source=r["source_name"],
        url=r["source_url"],
        origin=origin,
        scope=r.get("scope"),
        notes=r.get("notes"),
        table_rank=0,
    )


def _ilostat_row(r: Mapping[str, Any], alpha2_of: Mapping[str, str]) -> _Row | None:
    country = alpha2_of.get(r["country_iso3"])
    if country is None or r.get("currency_inferred") is None:
        return None  # XKX, CHI: no ISO alpha-2, so no place can ask for them
    return _Row(
        kind="minimum",
        country=country,
        subdivision=None,
        area="national",
        locality=None,
        household=None,
        method="statutory_minimum",
        amount=r["monthly_minimum_wage_lcu"],
        currency=r["currency_inferred"],
        period=r.get("period") or "month",
        gross_net="gross",
        hours_per_week=None,
        reference_year=int(r["year"]),
        confidence=None,
        source=f"International Labour Organization, ILOSTAT: {r['source']}",
        url=ILOSTAT_URL,
        origin="bundled",
        scope="national",
        notes=r.get("note_indicator"),
        table_rank=1,
    )


def _alpha2_of() -> dict[str, str]:
    from fairpay.units.iso import alpha3_to_alpha2

    return alpha3_to_alpha2()


class Benchmarks:
    """A collection of living and minimum wages with a deterministic lookup.

    ``fairpay.benchmarks()`` returns the bundled collection (plus any table imported with
    ``fairpay data import``). ``add(...)`` returns a new collection whose user rows take precedence.
    """

    def __init__(
        self,
        rows: Iterable[_Row],
        *,
        cpi: Mapping[tuple[str, int], Decimal] | None = None,
        standard_weeks: Mapping[str, Mapping[str, Any]] | None = None,
        current_year: int | None = None,
    ) -> None:
        self._rows = tuple(rows)
        self._by_country: dict[str, list[_Row]] = defaultdict(list)
        for row in self._rows:
            self._by_country[row.country].append(row)
        self._cpi = dict(cpi or {})
        self._weeks = dict(standard_weeks or {})
        self.current_year = current_year or datetime.date.today().year

    # ------------------------------------------------------------------ construction
    @classmethod
    def bundled(cls) -> Benchmarks:
        """The bundled tables, with a user table imported via ``fairpay data import`` first."""
        return _bundled()

    def add(self, table: Any, *, kind: Kind = "living", origin: str = "user") -> Benchmarks:
        """A new collection with a user table (CSV path, file or DataFrame; bundled columns) first.

        The table is validated like the bundled one (every failure listed). Its rows win over
        bundled rows for the places they cover, whatever their method.
        """
        from fairpay.tables import load as data

        if kind not in KINDS:
            raise InvalidInputError(f"kind {kind!r} is not one of {KINDS}")
        parsed = data.read_rows("living_wages" if kind == "living" else "minimum_wages", table, origin=origin)
        make = _living_row if kind == "living" else _minimum_row
        rows = [make(r, origin) for r in parsed.rows]
        return Benchmarks(
            [*rows, *self._rows], cpi=self._cpi, standard_weeks=self._weeks, current_year=self.current_year
        )

    def with_rows(self, rows: Iterable[_Row]) -> Benchmarks:
        """A new collection with already-built rows first (used for spec overrides)."""
        return Benchmarks(
            [*rows, *self._rows], cpi=self._cpi, standard_weeks=self._weeks, current_year=self.current_year
        )

    # ------------------------------------------------------------------ queries
    def countries(self) -> list[str]:
        """Alpha-2 codes of every country with at least one figure."""
        return sorted(self._by_country)

    def coverage(self) -> list[dict[str, Any]]:
        """One row per country and kind: default-method figures, newest year, subdivisions."""
        out = []
        for country in self.countries():
            for kind in KINDS:
                rows = [r for r in self._by_country[country] if r.kind == kind]
                if not rows:
                    continue
                default = [
                    r
                    for r in rows
                    if kind == "minimum" or r.method in DEFAULT_METHODS or r.origin != "bundled"
                ]
                out.append(
                    {
                        "country": country,
                        "kind": kind,
                        "rows": len(rows),
                        "newest_year": max(r.reference_year for r in rows),
                        "default_methods": sorted({r.method for r in default}),
                        "other_methods": sorted({r.method for r in rows} - {r.method for r in default}),
                        "subdivisions": sorted({r.subdivision for r in rows if r.subdivision}),
                    }
                )
        return out

    def lookup(
        self,
        country: str | Place,
        subdivision: str | None = None,
        *,
        kind: Kind = "living",
        locality: str | None = None,
        household: str | None = None,
        method: str | Sequence[str] | None = None,
        year: int | None = None,
        inflate: bool = False,
    ) -> Benchmark:
        """The one benchmark for a place, by the documented order (module docstring).

        ``year`` ignores figures published after it (and is the CPI target when ``inflate``);
        ``inflate`` brings the figure to ``year`` (default: the newest CPI year) with the
        country's CPI, recorded in ``adjustments``.
        """
        where = country if isinstance(country, Place) else place(country, subdivision)
        if kind not in KINDS:
            raise InvalidInputError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        households = self._households(household)
        methods = self._methods(method, kind)
        rows = [r for r in self._by_country.get(where.country, []) if r.kind == kind]
        if year is not None:
            rows = [r for r in rows if r.reference_year <= year]
        fallbacks: list[str] = []
        user = [r for r in rows if r.origin != "bundled" and r.subdivision in (None, where.subdivision)]
        if user:
            rows = user
        in_place = [r for r in rows if r.subdivision == where.subdivision] if where.subdivision else []
        if where.subdivision and not in_place:
            national = [r for r in rows if r.subdivision is None]
            if national:
                fallbacks.append(
                    f"no {kind} wage for {where.subdivision}; used the national figure for {where.country}"
                )
            rows = national
        elif where.subdivision:
            rows = in_place
        else:
            rows = [r for r in rows if r.subdivision is None]
        if kind == "living" and not user:
            rows = [r for r in rows if r.method in methods]
        if not rows:
            raise NoBenchmarkError(self._why_none(where, kind, method, year))

        def key(r: _Row) -> tuple[Any, ...]:
            loc = 0 if locality is None or self._matches(r, locality) else 1
            hh = households.index(r.household) if r.household in households else len(households)
            meth = methods.index(r.method) if r.method in methods else len(methods)
            scope = self._min_scope_rank(r, where) if kind == "minimum" else 0
            area = 0 if r.area == "national" else 1
            return (
                loc,
                hh,
                meth,
                scope,
                area,
                -r.reference_year,
                r.table_rank,
                -self._raw_hourly(r),
                _CONFIDENCE_RANK.get(r.confidence, 3),
            )

        ranked = sorted(rows, key=key)
        best = ranked[0]
        k0 = key(best)
        if locality is not None and k0[0] == 1:
            fallbacks.append(
                f"no {kind} wage for locality {locality!r}; used {best.locality or best.area or 'the national figure'}"
            )
        if household and best.household != household and kind == "living":
            fallbacks.append(f"no {household} figure; used household {best.household}")
        ties = [
            r
            for r in ranked[1:]
            if key(r)[:6] == k0[:6] and (r.locality != best.locality or r.amount != best.amount)
        ]
        if ties:
            names = ", ".join(
                sorted(
                    {f"{r.locality or r.area} ({r.amount} {r.currency}/{r.period})" for r in [best, *ties]}
                )
            )
            fallbacks.append(
                f"several figures fit ({names}); used the highest, in the worker's favour - pass locality= to choose"
            )
        return self._to_benchmark(best, where, fallbacks, year, inflate)

    def bar(
        self,
        country: str | Place,
        subdivision: str | None = None,
        *,
        kind: BarKind = "higher",
        locality: str | None = None,
        household: str | None = None,
        method: str | Sequence[str] | None = None,
        year: int | None = None,
        inflate: bool = False,
        missing_living: Literal["error", "minimum"] = "error",
    ) -> Benchmark:
        """The bar a place's pay must reach: the living wage, the minimum wage, or the higher.

        With ``kind="higher"`` both are looked up (inflated alike) and the higher wins, since a
        living wage below the legal minimum is a stale figure. Without a living wage the result
        is an error, unless ``missing_living="minimum"``, which uses the minimum wage and says so.
        """
        where = country if isinstance(country, Place) else place(country, subdivision)
        if kind not in BAR_KINDS:
            raise InvalidInputError(f"benchmark kind {kind!r} is not one of {', '.join(BAR_KINDS)}")
        if missing_living not in ("error", "minimum"):
            raise InvalidInputError(f"missing_living {missing_living!r} is not 'error' or 'minimum'")
        common = dict(locality=locality, year=year, inflate=inflate)
        if kind == "minimum":
            return self.lookup(where, kind="minimum", **common)
        try:
            living = self.lookup(where, kind="living", household=household, method=method, **common)
        except NoBenchmarkError as exc:
            if missing_living == "error":
                raise
            minimum = self.lookup(where, kind="minimum", **common)
            return replace(
                minimum,
                adjustments=(
                    *minimum.adjustments,
                    f"no living wage for {where}: minimum wage used as the bar ({exc})",
                ),
            )
        if kind == "living":
            return living
        try:
            minimum = self.lookup(where, kind="minimum", **common)
        except NoBenchmarkError:
            return replace(
                living, adjustments=(*living.adjustments, f"no minimum wage for {where} to compare with")
            )
        return self.higher(living, minimum)

    def higher(self, living: Benchmark, minimum: Benchmark) -> Benchmark:
        """The higher of a living and a minimum wage (converted to the living wage's currency)."""
        from fairpay.units.fx import ExchangeRates

        min_hourly = minimum.hourly
        note = ""
        if minimum.currency != living.currency:
            conv = ExchangeRates.bundled().convert(
                min_hourly, minimum.currency, living.currency, minimum.year, fallback="nearest_earlier"
            )
            min_hourly = conv.amount
            note = f" (converted {minimum.currency}->{living.currency} at the {conv.year_used} rate)"
        if min_hourly > living.hourly:
            return replace(
                minimum,
                hourly=min_hourly,
                currency=living.currency,
                amount_currency=minimum.amount_currency,
                adjustments=(
                    *minimum.adjustments,
                    f"minimum wage {min_hourly:.4f} {living.currency}/h{note} is higher than the living wage "
                    f"{living.hourly:.4f} {living.currency}/h ({living.method}, {living.reference_year}), "
                    "so the minimum wage is the bar",
                ),
            )
        return replace(
            living,
            adjustments=(
                *living.adjustments,
                f"higher than the minimum wage {min_hourly:.4f} {living.currency}/h{note} ({minimum.reference_year})",
            ),
        )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _households(household: str | None) -> tuple[str, ...]:
        if household is None:
            return DEFAULT_HOUSEHOLDS
        if household not in DEFAULT_HOUSEHOLDS:
            raise InvalidInputError(f"household {household!r} is not one of {', '.join(DEFAULT_HOUSEHOLDS)}")
        return (household, *[h for h in DEFAULT_HOUSEHOLDS if h != household])

    @staticmethod
    def _methods(method: str | Sequence[str] | None, kind: str) -> tuple[str, ...]:
        if kind == "minimum":
            return ("statutory_minimum",)
        if method is None:
            return DEFAULT_METHODS
        from fairpay.tables.load import METHODS

        chosen = (method,) if isinstance(method, str) else tuple(method)
        bad = [m for m in chosen if m not in METHODS]
        if bad:
            raise InvalidInputError(f"method {bad[0]!r} is not one of {', '.join(sorted(METHODS))}")
        return chosen

    @staticmethod
    def _matches(r: _Row, locality: str) -> bool:
        want = _fold(locality).strip()
        if want in ("urban", "rural", "national"):
            return r.area == want
        # whole words, and never "UK outside London" for "London"
        pattern = rf"(?<!outside )(?<!excl\. )\b{re.escape(want)}\b"
        return bool(want) and re.search(pattern, _fold(r.locality)) is not None

    @staticmethod
    def _min_scope_rank(r: _Row, where: Place) -> int:
        if r.scope == "regional":
            return 0 if r.subdivision and r.subdivision == where.subdivision else 2
        return _MIN_SCOPE_RANK.get(r.scope or "national", 6)

    def _hours(self, r: _Row) -> tuple[Decimal, str, str | None]:
        if r.hours_per_week is not None:
            return r.hours_per_week, "source", None
        week = self._weeks.get(r.country)
        if week is not None:
            return (
                week["hours_per_week"],
                "national_standard",
                f"hours basis {week['hours_per_week']} h/week: national standard week "
                f"({week['source_name']}, {week['reference_year']})",
            )
        return (
            DEFAULT_HOURS_PER_WEEK,
            "default_40",
            "hours basis 40 h/week: the source states none and no cited national standard week is "
            "bundled (a shorter basis would raise the hourly bar; 40 h is the common full-time week)",
        )

    def _raw_hourly(self, r: _Row) -> Decimal:
        if r.period == "hour":
            return r.amount
        hpw, _, _ = self._hours(r)
        return to_hourly(r.amount, hours_basis(r.period, hpw, DAYS_PER_WEEK))

    def _to_benchmark(
        self, r: _Row, where: Place, fallbacks: list[str], year: int | None, inflate: bool
    ) -> Benchmark:
        adjustments: list[str] = []
        if r.period == "hour":
            hpw, basis_kind = r.hours_per_week or DEFAULT_HOURS_PER_WEEK, "hourly"
            hourly = r.amount
        else:
            hpw, basis_kind, note = self._hours(r)
            basis = hours_basis(r.period, hpw, DAYS_PER_WEEK)
            hourly = to_hourly(r.amount, basis)
            if note:
                adjustments.append(note)
            adjustments.append(
                f"{r.amount} {r.currency}/{r.period} / {basis.describe()} = {hourly:.4f} {r.currency}/h"
            )
            if r.period == "day":
                adjustments.append("daily figure: 5 working days a week assumed")
        if r.gross_net != "gross":
            adjustments.append(f"figure is {r.gross_net} (not stated as gross); used as published")
        price_year = r.reference_year
        if inflate:
            hourly, price_year, note = self._inflate(hourly, r, year)
            adjustments.append(note)
        if r.method == "wageindicator":
            adjustments.append(
                "archived WageIndicator 2018-19 series: the publisher marks it as not comparable with recent data"
            )
        return Benchmark(
            country=where.country,
            subdivision=where.subdivision,
            kind=r.kind,
            hourly=hourly,
            currency=r.currency,
            year=price_year,
            amount=r.amount,
            period=r.period,
            hours_per_week=hpw,
            hours_basis=basis_kind,
            gross_net=r.gross_net,
            household=r.household,
            method=r.method,
            locality=r.locality,
            area=r.area,
            source=r.source,
            url=r.url,
            reference_year=r.reference_year,
            age_years=max(0, self.current_year - r.reference_year),
            confidence=r.confidence,
            origin=r.origin,
            adjustments=tuple(adjustments),
            fallbacks=tuple(fallbacks),
            notes=r.notes,
        )

    def _inflate(self, hourly: Decimal, r: _Row, year: int | None) -> tuple[Decimal, int, str]:
        from fairpay.units.places import alpha3

        iso3 = alpha3(r.country)
        years = sorted(y for (c, y) in self._cpi if c == iso3)
        if not years:
            return hourly, r.reference_year, f"not inflated: no CPI for {iso3} in the bundled table"
        target = min(year, years[-1]) if year is not None else years[-1]
        if r.reference_year >= target:
            return (
                hourly,
                r.reference_year,
                (
                    f"not inflated: reference year {r.reference_year} is not older than the CPI target year {target}"
                ),
            )
        base, top = self._cpi.get((iso3, r.reference_year)), self._cpi.get((iso3, target))
        if base is None or top is None:
            missing = r.reference_year if base is None else target
            return hourly, r.reference_year, f"not inflated: no CPI for {iso3} in {missing}"
        factor = top / base
        why = "" if year is None or target == year else f" (newest CPI year; {year} not published)"
        return (
            hourly * factor,
            target,
            (
                f"inflated {r.reference_year}->{target}{why} with CPI {iso3}: x {factor:.4f} "
                f"(World Bank WDI FP.CPI.TOTL)"
            ),
        )

    def _why_none(self, where: Place, kind: str, method: Any, year: int | None) -> str:
        rows = [r for r in self._by_country.get(where.country, []) if r.kind == kind]
        if not rows:
            return f"no {kind} wage for {where.country} in the bundled data" + (
                "; use policy missing_living='minimum' or add your own table" if kind == "living" else ""
            )
        subs = sorted({r.subdivision for r in rows if r.subdivision})
        methods = sorted({r.method for r in rows})
        parts = [
            f"no {kind} wage for {where}"
            + (f" up to {year}" if year else "")
            + (" by the default methods" if method is None and kind == "living" else f" by method {method}")
        ]
        if subs and not where.subdivision:
            parts.append(f"figures exist for subdivisions {', '.join(subs)}: pass one")
        parts.append(f"methods available: {', '.join(methods)} (ask for one by name)")
        return "; ".join(parts)


@functools.cache
def _bundled() -> Benchmarks:
    from fairpay.tables import load as data

    rows: list[_Row] = []
    user = getattr(data, "user_rows", None)
    if user is not None:
        for kind, make in (("living_wages", _living_row), ("minimum_wages", _minimum_row)):
            table = user(kind)
            if table is not None:
                rows.extend(make(r, "user") for r in table.rows)
    rows.extend(_living_row(r, "bundled") for r in data.load("living_wages").rows)
    rows.extend(_minimum_row(r, "bundled") for r in data.load("minimum_wages").rows)
    a2 = _alpha2_of()
    for r in data.load("minimum_wages_ilostat").rows:
        row = _ilostat_row(r, a2)
        if row is not None:
            rows.append(row)
    cpi = {(r["country_iso3"], int(r["year"])): r["cpi_2010_100"] for r in data.load("cpi").rows}
    weeks = {r["country"]: r for r in data.load("standard_weeks").rows}
    return Benchmarks(rows, cpi=cpi, standard_weeks=weeks)


def benchmarks(*tables: Any) -> Benchmarks:
    """The bundled benchmark collection; each extra table (CSV path or DataFrame of living wages,
    in the bundled column layout) is validated and takes precedence for the places it covers."""
    result = Benchmarks.bundled()
    for table in tables:
        result = result.add(table)
    return result


def clear_cache() -> None:
    """Forget the loaded collection (after ``fairpay data update``/``import``)."""
    _bundled.cache_clear()
