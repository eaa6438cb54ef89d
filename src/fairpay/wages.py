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
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any, Literal

from fairpay.errors import InvalidInputError, MissingExchangeRateError, NoBenchmarkError
from fairpay.tables.store import by_data_version
from fairpay.units.periods import hours_basis, to_hourly
from fairpay.units.places import Place, place

if TYPE_CHECKING:
    from fairpay.estimate import LivingWageModel
    from fairpay.units.fx import ExchangeRates

Kind = Literal["living", "minimum"]
BarKind = Literal["living", "minimum", "higher"]
KINDS: tuple[str, ...] = ("living", "minimum")
BAR_KINDS: tuple[str, ...] = ("living", "minimum", "higher")
MissingLiving = Literal["estimate", "minimum", "error"]
#: What stands in for a living wage where none is cited (see :meth:`Benchmarks.bar`).
MISSING_LIVING: tuple[str, ...] = ("estimate", "minimum", "error")
EstimateBound = Literal["point", "upper"]
ESTIMATE_BOUNDS: tuple[str, ...] = ("point", "upper")
#: Cited methods used only when asked for by name, or as the last resort for a country with
#: nothing else (Italy has neither a default-method living wage nor a statutory minimum).
OTHER_METHODS: tuple[str, ...] = ("campaign_floor", "union_survey", "ngo_estimate", "subjective_survey")
#: A minimum wage unchanged for longer than this is flagged as stale wherever it is the bar
#: (Rwanda's 2,600 RWF/month has not moved in the bundled series; the US federal 7.25 since 2009).
STALE_MINIMUM_YEARS = 10
#: ILOSTAT rows that are not national figures (data/wage_benchmarks/README.md, "Corrections"):
#: Indonesia's 2023 and 2024 values are DKI Jakarta's provincial minimum (UMP), not a national one.
_ILOSTAT_REGIONAL: dict[tuple[str, int], str] = {("IDN", 2023): "ID-JK", ("IDN", 2024): "ID-JK"}

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
_GDP_URL = "https://data.worldbank.org/indicator/NY.GDP.PCAP.PP.KD"


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
    estimate: dict[str, Any] | None = None  # method "estimate": point, interval, inputs, vintages, LOCO

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
class BenchmarkRow:
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
    in_force_since: int | None = None  # minimum wages: first year of the unchanged run (ILOSTAT)


def _fold(text: str | None) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _living_row(r: Mapping[str, Any], origin: str) -> BenchmarkRow:
    return BenchmarkRow(
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


def _minimum_row(r: Mapping[str, Any], origin: str) -> BenchmarkRow:
    return BenchmarkRow(
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


def _ilostat_row(
    r: Mapping[str, Any], alpha2_of: Mapping[str, str], since: int | None = None
) -> BenchmarkRow | None:
    country = alpha2_of.get(r["country_iso3"])
    if country is None or r.get("currency_inferred") is None:
        return None  # XKX, CHI: no ISO alpha-2, so no place can ask for them
    regional = _ILOSTAT_REGIONAL.get((r["country_iso3"], int(r["year"])))
    return BenchmarkRow(
        kind="minimum",
        country=country,
        subdivision=regional,
        area="national" if regional is None else "other",
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
        scope="national" if regional is None else "regional",
        notes=(r.get("note_indicator") or "")
        + (f"; fairpay: this value is {regional}'s minimum, not a national one" if regional else ""),
        table_rank=1,
        in_force_since=since,
    )


def _unchanged_since(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int], int]:
    """(iso3, year) -> the first year of the run of equal ILOSTAT values that ends in that year."""
    by_country: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for r in rows:
        by_country[r["country_iso3"]].append((int(r["year"]), r["monthly_minimum_wage_lcu"]))
    out: dict[tuple[str, int], int] = {}
    for iso3, values in by_country.items():
        start, prev_year, prev = None, None, None
        for year, amount in sorted(values):
            if start is None or amount != prev or year != (prev_year or 0) + 1:
                start = year
            out[(iso3, year)] = start
            prev_year, prev = year, amount
    return out


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
        rows: Iterable[BenchmarkRow],
        *,
        cpi: Mapping[tuple[str, int], Decimal] | None = None,
        standard_weeks: Mapping[str, Mapping[str, Any]] | None = None,
        current_year: int | None = None,
        estimator: Callable[[], LivingWageModel] | None = None,
        rates: ExchangeRates | None = None,
        imported: ImportedRows | None = None,
        ahead: Iterable[BenchmarkRow] = (),
    ) -> None:
        """``estimator`` returns the fitted living-wage estimate (called only when one is needed);
        ``rates`` converts a minimum wage published in another currency (PL/RO in EUR);
        ``imported`` holds a user's imported rows, read per country on first lookup, ranked ahead
        of ``rows``; ``ahead`` are rows added later (``add``/``with_rows``), ahead of both."""
        self._rows = tuple(rows)
        self._ahead = tuple(ahead)
        self._imported = imported
        self._estimator = estimator
        self._rates = rates
        self._eager: dict[str, list[BenchmarkRow]] = defaultdict(list)
        for row in (*self._ahead, *self._rows):
            self._eager[row.country].append(row)
        self._by_country: dict[str, list[BenchmarkRow]] = {}
        self._cpi = dict(cpi or {})
        self._weeks = dict(standard_weeks or {})
        self.current_year = current_year or datetime.date.today().year

    def _rows_of(self, country: str) -> list[BenchmarkRow]:
        """Every row for ``country`` in precedence order: added, then imported, then bundled.

        Why per country: a large import is read only for the countries a command looks up."""
        found = self._by_country.get(country)
        if found is None:
            imported = self._imported.rows(country) if self._imported is not None else ()
            if imported:
                ahead = [r for r in self._ahead if r.country == country]
                rest = [r for r in self._rows if r.country == country]
                found = [*ahead, *imported, *rest]
            else:
                found = self._eager.get(country, [])
            self._by_country[country] = found
        return found

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
        return self._derive(ahead=[*rows, *self._ahead])

    def _derive(self, **changes: Any) -> Benchmarks:
        """A copy with ``changes``; the imported rows (and what was read of them) are shared."""
        kwargs: dict[str, Any] = dict(
            cpi=self._cpi,
            standard_weeks=self._weeks,
            current_year=self.current_year,
            estimator=self._estimator,
            rates=self._rates,
            imported=self._imported,
            ahead=self._ahead,
        )
        kwargs.update(changes)
        return Benchmarks(self._rows, **kwargs)

    def with_model(self, model: LivingWageModel) -> Benchmarks:
        """A new collection whose estimate is ``model`` (e.g. refitted on a user's training table)."""
        return self._derive(estimator=lambda: model)

    def with_rates(self, rates: ExchangeRates) -> Benchmarks:
        """A new collection converting currencies with ``rates`` (passed in, never loaded here)."""
        return self._derive(rates=rates)

    @property
    def model(self) -> LivingWageModel:
        """The living-wage estimate this collection uses (fitted on first use)."""
        if self._estimator is None:
            raise NoBenchmarkError("this benchmark collection has no living-wage estimate attached")
        return self._estimator()

    def with_rows(self, rows: Iterable[BenchmarkRow]) -> Benchmarks:
        """A new collection with already-built rows first (used for spec overrides)."""
        return self._derive(ahead=[*rows, *self._ahead])

    # ------------------------------------------------------------------ queries
    def countries(self) -> list[str]:
        """Alpha-2 codes of every country with at least one figure (imports from their index)."""
        imported = self._imported.countries() if self._imported is not None else set()
        return sorted(set(self._eager) | imported)

    def default_bars(self, countries: Iterable[str] | None = None, **policy: Any) -> list[dict[str, Any]]:
        """Per country (default: every ISO 3166-1 country), the bar a default check uses and its kind.

        ``living_source``: ``cited`` (a cited living wage by the default methods), ``estimate``,
        ``minimum`` (no living wage and no estimate), ``other_cited`` (the last resort: a campaign
        floor or survey), or ``none``; ``bar_kind`` says whether the living or the minimum wage is
        the bar after ``higher``. ``policy``: keyword arguments of :meth:`bar`.
        """
        if countries is None:
            from fairpay.units.iso import country_alpha2

            countries = sorted(country_alpha2())
        out: list[dict[str, Any]] = []
        living_policy = {**policy, "kind": "living"}
        for country in countries:
            row: dict[str, Any] = {"country": country}
            try:
                living = self.bar(country, **living_policy)
                bar = self.bar(country, **policy)
            except (NoBenchmarkError, MissingExchangeRateError) as exc:
                row.update(living_source="none", bar_kind=None, reason=str(exc))
                out.append(row)
                continue
            if living.method == "estimate":
                source = "estimate"
            elif living.kind == "minimum":
                source = "minimum"
            elif living.method in OTHER_METHODS and any(
                f.startswith("last resort") for f in living.fallbacks
            ):
                source = "other_cited"
            else:
                source = "cited"
            row.update(
                living_source=source,
                living_method=living.method,
                living_year=living.reference_year,
                living_confidence=living.confidence,
                living_gross_net=living.gross_net,
                bar_kind=bar.kind,
                bar_method=bar.method,
                bar_hourly=format(bar.hourly.quantize(Decimal("0.0001"), rounding=ROUND_CEILING), "f"),
                bar_currency=bar.currency,
                bar_year=bar.year,
            )
            out.append(row)
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
        prefer_gross: bool = True,
    ) -> Benchmark:
        """The one cited benchmark for a place, by the documented order (module docstring).

        ``year`` ignores figures published after it (and is the CPI target when ``inflate``);
        when the place has no figure up to ``year`` the earliest later one is used, brought back to
        ``year`` with CPI (recorded). ``inflate`` brings the figure to ``year`` (default: the newest
        CPI year) with the country's CPI, recorded in ``adjustments``. ``prefer_gross`` ranks gross
        figures before unspecified and net ones of the same method, household and area.
        """
        where = country if isinstance(country, Place) else place(country, subdivision)
        if kind not in KINDS:
            raise InvalidInputError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        households = self._households(household)
        methods = self._methods(method, kind)
        rows, fallbacks, brought_back = self._eligible(where, kind, methods, year, inflate)
        if not rows:
            raise NoBenchmarkError(self._why_none(where, kind, method, year))
        key = _memo(self._ranking(where, kind, locality, households, methods, prefer_gross))
        ranked = sorted(rows, key=key)
        best = ranked[0]
        if kind == "minimum":
            best = self._as_published(best, ranked, fallbacks)
        fallbacks += self._choice_notes(where, kind, locality, household, best, ranked, key)
        return self._to_benchmark(best, where, fallbacks, year, inflate, brought_back)

    def _eligible(
        self, where: Place, kind: str, methods: tuple[str, ...], year: int | None, inflate: bool
    ) -> tuple[list[BenchmarkRow], list[str], bool]:
        """The candidate rows for ``where`` published up to ``year``, else the earliest later ones.

        Returns (rows, fallbacks so far, whether the rows must be brought back to ``year`` with CPI).
        Why the later figure: a historic log still needs a bar; it is labelled, never silent."""
        every = [r for r in self._rows_of(where.country) if r.kind == kind]
        fallbacks: list[str] = []
        dated = every if year is None else [r for r in every if r.reference_year <= year]
        rows = self._candidates(dated, where, kind, methods, fallbacks)
        if rows or year is None:
            return rows, fallbacks, False
        later_notes: list[str] = []
        later = self._candidates(
            [r for r in every if r.reference_year > year], where, kind, methods, later_notes
        )
        if not later:
            return [], fallbacks, False
        first = min(r.reference_year for r in later)
        note = f"no {kind} wage for {where} up to {year}; used the earliest later figure ({first})" + (
            f" brought back to {year} with CPI" if inflate else " as published (inflate is off)"
        )
        return [r for r in later if r.reference_year == first], [*later_notes, note], inflate

    def _ranking(
        self,
        where: Place,
        kind: str,
        locality: str | None,
        households: tuple[str, ...],
        methods: tuple[str, ...],
        prefer_gross: bool,
    ) -> Callable[[BenchmarkRow], tuple[Any, ...]]:
        """The sort key of the documented order (module docstring): the smallest key is the bar.

        The first eight fields say how well a row fits; rows equal on them are ties (see
        :meth:`_choice_notes`), broken by table, the higher amount and confidence."""
        local = self.local_currency(where.country)

        def key(r: BenchmarkRow) -> tuple[Any, ...]:
            loc = 0 if locality is None or self._matches(r, locality) else 1
            hh = households.index(r.household) if r.household in households else len(households)
            meth = methods.index(r.method) if r.method in methods else len(methods)
            scope = self._min_scope_rank(r, where) if kind == "minimum" else 0
            area = 0 if r.area == "national" else 1
            # prefer_gross: a net figure ranks after gross and unspecified ones of the same method,
            # household and area; a gross one beats an unspecified one of the same year
            net = int(prefer_gross and r.gross_net == "net")
            gross = int(prefer_gross and r.gross_net != "gross")
            return (
                loc,
                hh,
                meth,
                scope,
                area,
                net,
                0 if r.currency == local else 1,
                -r.reference_year,
                gross,
                r.table_rank,
                -self._raw_hourly(r),
                _CONFIDENCE_RANK.get(r.confidence, 3),
            )

        return key

    def _choice_notes(
        self,
        where: Place,
        kind: str,
        locality: str | None,
        household: str | None,
        best: BenchmarkRow,
        ranked: list[BenchmarkRow],
        key: Callable[[BenchmarkRow], tuple[Any, ...]],
    ) -> list[str]:
        """What a reader must know about the choice: a locality or household not found, ties
        settled in the worker's favour, a regional figure standing for the whole country."""
        notes: list[str] = []
        k0 = key(ranked[0])
        if locality is not None and k0[0] == 1:
            notes.append(
                f"no {kind} wage for locality {locality!r}; used {best.locality or best.area or 'the national figure'}"
            )
        if household and best.household != household and kind == "living":
            notes.append(f"no {household} figure; used household {best.household}")
        ties = [
            r
            for r in ranked[1:]
            if key(r)[:8] == k0[:8] and (r.locality != best.locality or r.amount != best.amount)
        ]
        if ties:
            names = ", ".join(
                sorted(
                    {f"{r.locality or r.area} ({r.amount} {r.currency}/{r.period})" for r in [best, *ties]}
                )
            )
            notes.append(
                f"several figures fit ({names}); used the highest, in the worker's favour - pass locality= to choose"
            )
        if best.subdivision and not where.subdivision:
            notes.append(
                f"no national {kind} wage for {where.country}: only regional figures are cited; used the "
                f"one for {best.subdivision} ({best.locality}), ranked by household, method, year and the "
                "higher amount, as the country figure"
            )
        return notes

    def local_currency(self, country: str) -> str | None:
        """The currency most of a country's figures are published in (its own, in the bundled data).

        Why: Eurostat publishes Poland's and Romania's minimum wages in EUR; a figure in a foreign
        currency ranks after one in the national currency and is converted by currency code, never
        compared by its bare number."""
        counts = Counter(r.currency for r in self._rows_of(country))
        return max(sorted(counts), key=lambda c: counts[c]) if counts else None

    def _as_published(
        self, best: BenchmarkRow, ranked: list[BenchmarkRow], fallbacks: list[str]
    ) -> BenchmarkRow:
        """A statutory rate published per hour is used as published: when ILOSTAT's monthly value is
        the same legal rate (within 0.5 % after the hours basis), the cited hourly row is the bar."""
        if best.period == "hour" or best.table_rank != 1:
            return best
        hourly = self._raw_hourly(best)
        for r in ranked:
            if (
                r.period == "hour"
                and r.table_rank == 0
                and r.currency == best.currency
                and r.scope == best.scope
                and r.subdivision == best.subdivision
                and r.reference_year <= best.reference_year
                and abs(r.amount - hourly) <= r.amount * Decimal("0.005")
            ):
                fallbacks.append(
                    f"ILOSTAT's {best.reference_year} value {best.amount} {best.currency}/{best.period} is the "
                    f"same legal rate as the published hourly {r.amount} {r.currency}/h ({r.source}, in force "
                    f"since {r.reference_year}): the hourly rate is used as published"
                )
                return replace(r, in_force_since=r.reference_year, reference_year=best.reference_year)
        return best

    def _candidates(
        self,
        rows: list[BenchmarkRow],
        where: Place,
        kind: str,
        methods: tuple[str, ...],
        fallbacks: list[str],
    ) -> list[BenchmarkRow]:
        """The rows that may stand for ``where``: user rows first, the place's own, else national,
        else (for a plain country) its regional figures; living wages by the allowed methods."""
        user = [r for r in rows if r.origin != "bundled" and r.subdivision in (None, where.subdivision)]
        if user:
            rows = user
        elif kind == "living":
            rows = [r for r in rows if r.method in methods]
        national = [r for r in rows if r.subdivision is None]
        if where.subdivision:
            in_place = [r for r in rows if r.subdivision == where.subdivision]
            if in_place:
                return in_place
            if national:
                fallbacks.append(
                    f"no {kind} wage for {where.subdivision}; used the national figure for {where.country}"
                )
            return national
        if national or kind == "minimum":
            return national
        return rows  # only regional figures: the ranking picks one (recorded by the caller)

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
        inflate: bool = True,
        missing_living: MissingLiving = "estimate",
        estimate_bound: EstimateBound = "upper",
        prefer_gross: bool = True,
        rates: ExchangeRates | None = None,
    ) -> Benchmark:
        """The bar a place's pay must reach: the living wage, the minimum wage, or the higher.

        The defaults are the pre-launch check's (``Policy``), so the same call gives the same figure
        in every command. With ``kind="higher"`` both are looked up (inflated alike) and the higher
        wins, since a living wage below the legal minimum is a stale figure.

        Where no living wage is cited (``missing_living``):

        - ``"estimate"`` (default): fairpay's labelled estimate (:mod:`fairpay.estimate`), at the
          upper end of its 80 % interval by default (``estimate_bound``): the model's uncertainty is
          borne by the requester, not the worker. Outside the income range it was fitted on, or
          without its inputs, the estimate is refused and the minimum wage is used, labelled.
        - ``"minimum"``: the statutory minimum wage, labelled as a legal floor, not a living wage.
        - ``"error"``: :class:`NoBenchmarkError`.

        With neither a living nor a minimum wage (Italy), a cited figure of another method
        (campaign floor, union or NGO survey) is the last resort, labelled. Every substitute is
        recorded in ``fallbacks`` (and so in every warning and report).
        """
        where = country if isinstance(country, Place) else place(country, subdivision)
        if kind not in BAR_KINDS:
            raise InvalidInputError(f"benchmark kind {kind!r} is not one of {', '.join(BAR_KINDS)}")
        if missing_living not in MISSING_LIVING:
            raise InvalidInputError(
                f"missing_living {missing_living!r} is not one of {', '.join(MISSING_LIVING)}"
            )
        if estimate_bound not in ESTIMATE_BOUNDS:
            raise InvalidInputError(
                f"estimate_bound {estimate_bound!r} is not one of {', '.join(ESTIMATE_BOUNDS)}"
            )
        common: dict[str, Any] = dict(locality=locality, year=year, inflate=inflate)
        if kind == "minimum":
            return self.lookup(where, kind="minimum", **common)
        try:
            living = self.lookup(
                where, kind="living", household=household, method=method, prefer_gross=prefer_gross, **common
            )
        except NoBenchmarkError as exc:
            if missing_living == "error":
                raise NoBenchmarkError(
                    f"{exc}; policy missing_living='error' (use 'estimate' or 'minimum' for a labelled substitute)"
                ) from None
            living = self._substitute(where, str(exc), missing_living, estimate_bound, common, rates)
            if living.kind == "minimum":
                return living
        if kind == "living":
            return living
        try:
            minimum = self.lookup(where, kind="minimum", **common)
        except NoBenchmarkError:
            return replace(
                living, adjustments=(*living.adjustments, f"no minimum wage for {where} to compare with")
            )
        return self.higher(living, minimum, rates=rates)

    def _substitute(
        self,
        where: Place,
        why: str,
        missing_living: str,
        bound: str,
        common: Mapping[str, Any],
        rates: ExchangeRates | None,
    ) -> Benchmark:
        """What stands in for a missing living wage, by the policy (see :meth:`bar`)."""
        notes = [f"no cited living wage ({why})"]
        if missing_living == "estimate":
            try:
                return self.estimate(where, year=common["year"], bound=bound, notes=notes)  # type: ignore[arg-type]
            except NoBenchmarkError as exc:
                notes.append(f"no estimate: {exc}")
        try:
            minimum = self.lookup(where, kind="minimum", **common)
        except NoBenchmarkError as exc:
            notes.append(f"no minimum wage: {exc}")
        else:
            return replace(
                minimum,
                fallbacks=(
                    *notes,
                    f"the statutory minimum wage is the bar: a legal floor, not a living wage (policy "
                    f"missing_living={missing_living!r})",
                    *minimum.fallbacks,
                ),
            )
        try:
            other = self.lookup(where, kind="living", method=OTHER_METHODS, **common)
        except NoBenchmarkError as exc:
            raise NoBenchmarkError(f"no bar for {where}: {'; '.join(notes)}; {exc}") from None
        return replace(
            other,
            fallbacks=(
                *notes,
                f"last resort: the only cited figure is a {other.method} one ({other.source}); "
                "it is not an Anker-type living wage and is used because nothing else exists",
                *other.fallbacks,
            ),
        )

    def estimate(
        self,
        country: str | Place,
        *,
        year: int | None = None,
        bound: EstimateBound = "upper",
        notes: Sequence[str] = (),
    ) -> Benchmark:
        """fairpay's estimated living wage for a country as a :class:`Benchmark` (method ``estimate``).

        ``bound``: ``"upper"`` (the upper end of the 80 % prediction interval, in the worker's
        favour) or ``"point"``. A subdivision gets its country's estimate (recorded).
        """
        where = country if isinstance(country, Place) else place(country)
        if bound not in ESTIMATE_BOUNDS:
            raise InvalidInputError(f"estimate bound {bound!r} is not one of {', '.join(ESTIMATE_BOUNDS)}")
        est = self.model.predict(where.country, year)
        hourly = est.high if bound == "upper" else est.point
        model = est.model
        fallbacks = [
            *notes,
            f"no cited living wage for {where.country}: the bar is fairpay's ESTIMATE "
            f"({'upper end of the 80% interval' if bound == 'upper' else 'point estimate'}) "
            f"{hourly:.4f} {est.currency}/h, point {est.point:.4f}, interval {est.low:.4f}-{est.high:.4f} "
            f"(prices of {est.price_year}); leave-one-country-out median absolute error "
            f"{model.loco_median_abs_error:.1%}, interval coverage {model.loco_coverage:.0%}",
        ]
        if where.subdivision:
            fallbacks.append(f"no estimate for {where.subdivision}: the country estimate is used")
        return Benchmark(
            country=where.country,
            subdivision=where.subdivision,
            kind="living",
            hourly=hourly,
            currency=est.currency,
            year=est.price_year,
            amount=hourly,
            period="hour",
            hours_per_week=DEFAULT_HOURS_PER_WEEK,
            hours_basis="hourly",
            gross_net="gross",
            household="typical_family",
            method="estimate",
            locality=None,
            area="national",
            source=(
                "fairpay estimate: log-log fit of cited Anker living wages (2021 PPP $/h) on World Bank "
                f"GDP per capita PPP, constant 2021 int$ (NY.GDP.PCAP.PP.KD, vintage {model.vintages['gdp']}; "
                f"PPP PA.NUS.PRVT.PP {model.vintages['ppp']}; CPI FP.CPI.TOTL {model.vintages['cpi']})"
            ),
            url=_GDP_URL,
            reference_year=est.price_year,
            age_years=max(0, self.current_year - est.price_year),
            confidence="low",
            origin="estimate",
            adjustments=tuple(est.steps()),
            fallbacks=tuple(fallbacks),
            notes="an estimate, not a cited figure: see fairpay.estimate for the method",
            estimate=est.to_dict(bound),
        )

    def higher(
        self, living: Benchmark, minimum: Benchmark, *, rates: ExchangeRates | None = None
    ) -> Benchmark:
        """The higher of a living and a minimum wage, the minimum converted by currency code into
        the living wage's currency with ``rates`` (default: the collection's, else the bundled)."""
        min_hourly = minimum.hourly
        note = ""
        if minimum.currency != living.currency:
            fx = rates or self._rates
            if fx is None:
                from fairpay.tables.rates import bundled_rates

                fx = bundled_rates()
            conv = fx.convert(
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
                fallbacks=(*living.fallbacks, *minimum.fallbacks),
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
    def _matches(r: BenchmarkRow, locality: str) -> bool:
        want = _fold(locality).strip()
        if want in ("urban", "rural", "national"):
            return r.area == want
        # whole words, and never "UK outside London" for "London"
        pattern = rf"(?<!outside )(?<!excl\. )\b{re.escape(want)}\b"
        return bool(want) and re.search(pattern, _fold(r.locality)) is not None

    @staticmethod
    def _min_scope_rank(r: BenchmarkRow, where: Place) -> int:
        if r.scope == "regional":
            return 0 if r.subdivision and r.subdivision == where.subdivision else 2
        return _MIN_SCOPE_RANK.get(r.scope or "national", 6)

    def _hours(self, r: BenchmarkRow) -> tuple[Decimal, str, str | None]:
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

    def _raw_hourly(self, r: BenchmarkRow) -> Decimal:
        if r.period == "hour":
            return r.amount
        hpw, _, _ = self._hours(r)
        return to_hourly(r.amount, _basis(r.period, hpw, DAYS_PER_WEEK))

    def _to_benchmark(
        self,
        r: BenchmarkRow,
        where: Place,
        fallbacks: list[str],
        year: int | None,
        inflate: bool,
        brought_back: bool = False,
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
            adjustments.append(
                f"figure is {r.gross_net} (not stated as gross): used as published, so the bar understates "
                "the gross pay needed (no cited method to gross it up)"
            )
        price_year = r.reference_year
        if inflate:
            hourly, price_year, note = self._inflate(hourly, r, year, brought_back)
            adjustments.append(note)
        since = r.in_force_since if r.in_force_since is not None else r.reference_year
        if r.kind == "minimum" and self.current_year - since > STALE_MINIMUM_YEARS:
            fallbacks = [
                *fallbacks,
                f"stale minimum wage: {r.amount} {r.currency}/{r.period} has not changed since {since}"
                + (" or earlier (the bundled series starts then)" if r.in_force_since == 2015 else "")
                + f", more than {STALE_MINIMUM_YEARS} years: a weak bar",
            ]
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

    def _inflate(
        self, hourly: Decimal, r: BenchmarkRow, year: int | None, brought_back: bool = False
    ) -> tuple[Decimal, int, str]:
        """``hourly`` in the prices of ``year`` (default: the newest CPI year), and a note.

        A figure newer than ``year`` is deflated only when ``brought_back`` (a historic log with no
        earlier figure); otherwise a figure is never lowered."""
        from fairpay.units.places import alpha3

        iso3 = alpha3(r.country)
        years = sorted(y for (c, y) in self._cpi if c == iso3)
        if not years:
            return hourly, r.reference_year, f"not inflated: no CPI for {iso3} in the bundled table"
        target = min(year, years[-1]) if year is not None else years[-1]
        if brought_back and year is not None and r.reference_year > year:
            ref = min(r.reference_year, years[-1])
            base, top = self._cpi.get((iso3, ref)), self._cpi.get((iso3, year))
            if base is None or top is None:
                raise NoBenchmarkError(
                    f"no {r.kind} wage for {where_of(r)} up to {year}, and the {r.reference_year} figure "
                    f"cannot be brought back: no CPI for {iso3} in {year if top is None else ref}"
                )
            factor = top / base
            return (
                hourly * factor,
                year,
                f"brought back {r.reference_year}->{year} with CPI {iso3}: x {factor:.4f} "
                f"(World Bank WDI FP.CPI.TOTL; CPI {ref} used for {r.reference_year})"
                if ref != r.reference_year
                else f"brought back {r.reference_year}->{year} with CPI {iso3}: x {factor:.4f} (World Bank WDI FP.CPI.TOTL)",
            )
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
        rows = [r for r in self._rows_of(where.country) if r.kind == kind]
        if not rows:
            return f"no {kind} wage for {where.country} in the bundled data" + (
                " (add your own cited table with fairpay data import)" if kind == "living" else ""
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


def where_of(r: BenchmarkRow) -> str:
    return r.subdivision or r.country


class ImportedRows:
    """A user's imported benchmark tables (``fairpay data import``), read one country at a time.

    Why: an import may hold a million rows for a few countries; a command about other places
    must not pay for reading them. The store keeps imports per country (``tables.load``), so a
    country's rows are read on its first lookup and kept for this collection's lifetime: the
    collection is rebuilt (``clear_cache``) whenever the data changes, so the cache follows the
    data version rather than being cleared from below.
    """

    KINDS: tuple[tuple[str, Callable[[Mapping[str, Any], str], BenchmarkRow]], ...] = (
        ("living_wages", _living_row),
        ("minimum_wages", _minimum_row),
    )

    def __init__(self, read: Callable[[str, list[str]], Any] | None = None) -> None:
        """``read(kind, countries)`` returns a table of those countries' rows or None
        (default: :func:`fairpay.tables.load.user_rows`)."""
        if read is None:
            from fairpay.tables.load import user_rows

            read = user_rows
        self._read = read
        self._loaded: dict[str, tuple[BenchmarkRow, ...]] = {}

    def rows(self, country: str) -> tuple[BenchmarkRow, ...]:
        """``country``'s imported rows, living wages first (read on first use)."""
        found = self._loaded.get(country)
        if found is None:
            out: list[BenchmarkRow] = []
            for kind, make in self.KINDS:
                table = self._read(kind, [country])
                if table is not None:
                    out.extend(make(r, "user") for r in table.rows)
            found = self._loaded[country] = tuple(out)
        return found

    def countries(self) -> set[str]:
        """Countries any import covers (from the stores' indexes: no rows are read)."""
        from fairpay.tables.load import user_countries

        return {c for kind, _ in self.KINDS for c in user_countries(kind)}

    def loaded(self) -> list[str]:
        """Countries whose rows were read so far (what laziness saved is the rest)."""
        return sorted(self._loaded)


#: :func:`hours_basis` once per (period, hours, days): the ranking converts every candidate row
#: (an imported table can hold 200k rows for one country, nearly all on a few bases).
_basis = functools.lru_cache(maxsize=1024)(hours_basis)


def _memo(key: Callable[[BenchmarkRow], tuple[Any, ...]]) -> Callable[[BenchmarkRow], tuple[Any, ...]]:
    """``key`` computed once per row. Why: the ranking sorts every candidate row and the choice
    notes read the keys again; an imported table can hold 200k rows for one country."""
    seen: dict[int, tuple[Any, ...]] = {}

    def cached(r: BenchmarkRow) -> tuple[Any, ...]:
        k = seen.get(id(r))
        if k is None:
            k = seen[id(r)] = key(r)
        return k

    return cached


@by_data_version
def _bundled() -> Benchmarks:
    from fairpay.tables import load as data

    rows: list[BenchmarkRow] = []
    rows.extend(_living_row(r, "bundled") for r in data.load("living_wages").rows)
    rows.extend(_minimum_row(r, "bundled") for r in data.load("minimum_wages").rows)
    a2 = _alpha2_of()
    ilostat = data.load("minimum_wages_ilostat").rows
    since = _unchanged_since(ilostat)
    for r in ilostat:
        row = _ilostat_row(r, a2, since.get((r["country_iso3"], int(r["year"]))))
        if row is not None:
            rows.append(row)
    cpi = {(r["country_iso3"], int(r["year"])): r["cpi_2010_100"] for r in data.load("cpi").rows}
    weeks = {r["country"]: r for r in data.load("standard_weeks").rows}
    from fairpay.estimate import bundled_model

    return Benchmarks(rows, cpi=cpi, standard_weeks=weeks, estimator=bundled_model, imported=ImportedRows())


def benchmarks(*tables: Any) -> Benchmarks:
    """The bundled benchmark collection; each extra table (CSV path or DataFrame of living wages,
    in the bundled column layout) is validated and takes precedence for the places it covers."""
    result = Benchmarks.bundled()
    for table in tables:
        result = result.add(table)
    return result


def bar_warnings(b: Benchmark, *, stale_years: int = 3) -> list[str]:
    """What a reader must be told about a bar, one line each: every fallback (estimate, minimum,
    history, regional figure), an old or low-confidence figure, and a net or unspecified figure
    compared with gross pay. One wording for ``check`` (and so its reports) and ``fairpay audit``."""
    where = b.subdivision or b.country
    out = [f"{where}: {a}" for a in b.adjustments if a.startswith("no living wage")]
    out += [f"{where}: {f}" for f in b.fallbacks]
    if b.age_years > stale_years:
        out.append(
            f"{where}: benchmark is {b.age_years} years old ({b.method}, {b.reference_year})"
            + (" and was inflated with CPI" if any(a.startswith("inflated") for a in b.adjustments) else "")
        )
    if b.confidence == "low":
        out.append(f"{where}: benchmark confidence is low ({b.source})")
    if b.gross_net in ("net", "unspecified") and b.kind == "living":
        out.append(
            f"{where}: benchmark is {'a net' if b.gross_net == 'net' else 'an unspecified (gross or net not stated)'}"
            f" figure ({b.method}, {b.reference_year}) compared with "
            "gross pay: it understates the bar (gross pay must be higher to leave this much after tax)"
        )
    return out


class FixedBar:
    """One flat hourly bar for every place (Fair Work's $15/h), cited as the user's own.

    Why: some audits must apply an agreed flat wage rather than a local one. It answers
    :meth:`Benchmarks.bar`'s call, so ``audit(..., benchmarks=FixedBar(Decimal(15), "USD"))``
    and ``fairpay audit --bar 15 --bar-currency USD`` use it everywhere a bar appears.
    """

    def __init__(
        self, hourly: Decimal | str | int, currency: str, *, source: str = "the user's own fixed bar"
    ) -> None:
        from fairpay.units.money import normalize_currency, to_decimal

        amount = to_decimal(hourly, "bar")
        if not amount.is_finite() or amount <= 0:
            raise InvalidInputError(f"bar {hourly!r} must be a positive hourly amount")
        self.hourly = amount
        self.currency = normalize_currency(currency)
        self.source = source

    def bar(self, country: str | Place, subdivision: str | None = None, **policy: Any) -> Benchmark:
        """The fixed bar for ``country`` (the policy's kind, method and household do not apply)."""
        where = country if isinstance(country, Place) else place(country, subdivision)
        year = policy.get("year") or datetime.date.today().year
        return Benchmark(
            country=where.country,
            subdivision=where.subdivision,
            kind="fixed",
            hourly=self.hourly,
            currency=self.currency,
            year=int(year),
            amount=self.hourly,
            period="hour",
            hours_per_week=DEFAULT_HOURS_PER_WEEK,
            hours_basis="hourly",
            gross_net="gross",
            household=None,
            method="fixed_bar",
            locality=None,
            area=None,
            source=self.source,
            url="(given by the user)",
            reference_year=int(year),
            age_years=0,
            origin="user",
            adjustments=(
                f"fixed bar given by the user: {self.hourly} {self.currency}/h for every place "
                "(not a local living wage; not inflated)",
            ),
        )
