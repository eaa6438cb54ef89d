"""Monitoring a vendor: pay reports per period -> who is below the bar, the trend, and the cost.

Why: a disclosure is a promise; pay reports show whether it holds. A vendor reports per period and
location either aggregated groups (``workers``, hours, gross pay: one row per location or per pay
grade) or pseudonymised worker-level rows (a ``worker`` column, one row per worker and period; an
audit of a submission log gives these through the audit's presets, see :func:`audit_rows`).

The arithmetic, per row (a group of ``workers`` people paid alike; a worker-level row is a group of
one): hours ``H = hours_paid + hours_unpaid``; net ``N = gross_pay - deductions`` (pay currency);
hourly ``w = N / H x fx`` in the bar's currency (``fx`` at the bar's price year, nearest earlier if
missing); the row is below when ``w < b`` (``b`` from the same lookup and policy as ``fairpay check``).
Per period: share of workers below = workers in rows below / all workers; share of hours below =
hours in rows below / all hours; shortfall cost = sum over rows below of ``b / fx x H - N``, each row
rounded UP to the pay currency's minor unit (a worker-level row is one worker's top-up).

Weakness, stated in every result: an aggregated row is judged by its average, so workers below the
bar inside a group whose average reaches it are not seen; shares from aggregated rows are lower bounds.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

from fairpay.errors import InvalidDataError, InvalidInputError
from fairpay.prelaunch.check import merge_policy
from fairpay.prelaunch.spec import Policy, Project
from fairpay.units.fx import ExchangeRates
from fairpay.units.money import normalize_currency, round_up, to_decimal
from fairpay.units.places import place
from fairpay.wages import Benchmark, Benchmarks

REQUIRED_COLUMNS: tuple[str, ...] = ("period", "country", "hours_paid", "gross_pay", "currency")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "subdivision",
    "locality",
    "workers",
    "worker",
    "hours_unpaid",
    "deductions",
    "vendor",
)
#: Period labels that sort in time order as text.
ISO_PERIOD = re.compile(r"^\d{4}(-(\d{2}|Q[1-4]|W\d{2}|H[12])(-\d{2})?)?$")
#: Cells above this are typos, and would exceed exact Decimal rounding precision.
MAX_CELL = Decimal("1e15")
AGGREGATE_WARNING = (
    "aggregated rows are judged by their average pay: workers below the bar inside a group whose average "
    "reaches it are not seen, so the shares below are lower bounds; ask for worker-level rows"
)


@dataclass(frozen=True)
class ReportRow:
    """One validated pay-report row (a group of ``workers`` people, or one pseudonymised worker)."""

    period: str
    country: str
    subdivision: str | None
    locality: str | None
    workers: int
    hours_paid: Decimal
    hours_unpaid: Decimal
    gross_pay: Decimal
    deductions: Decimal
    currency: str
    worker_level: bool
    line: int


@dataclass(frozen=True)
class RowVerdict:
    """A row judged against its bar; money in ``currency`` (pay) unless named ``*_local``."""

    row: ReportRow
    location: str
    hours: Decimal
    net_pay: Decimal
    hourly_local: Decimal
    bar_hourly: Decimal
    local_currency: str
    below: bool
    shortfall: Decimal  # pay currency, rounded up; 0 when not below


@dataclass(frozen=True)
class PeriodSummary:
    """One period: workers and hours in all and below the bar, and the shortfall per pay currency."""

    period: str
    workers: int
    workers_below: int
    hours: Decimal
    hours_below: Decimal
    shortfall: dict[str, Decimal]
    locations: tuple[dict[str, Any], ...]

    @property
    def share_workers_below(self) -> Decimal:
        """Workers below the bar / all workers reported in the period."""
        return Decimal(self.workers_below) / Decimal(self.workers)

    @property
    def share_hours_below(self) -> Decimal:
        """Hours (paid + unpaid) of rows below the bar / all hours in the period."""
        return self.hours_below / self.hours

    @property
    def ok(self) -> bool:
        """True when no reported worker is below the bar."""
        return self.workers_below == 0


@dataclass(frozen=True)
class Monitoring:
    """A vendor's pay reports judged period by period (periods sorted by their label)."""

    vendor: str | None
    periods: tuple[PeriodSummary, ...]
    rows: tuple[RowVerdict, ...]
    benchmarks: tuple[Benchmark, ...]
    policy: dict[str, Any]
    warnings: tuple[str, ...] = ()
    source: str = "pay report"
    worker_level: bool = False
    aggregated: bool = field(default=False)

    @property
    def ok(self) -> bool:
        """True when no period has anyone below the bar."""
        return all(p.ok for p in self.periods)

    def trend(self) -> list[dict[str, Any]]:
        """Per period the shares below and their change from the previous period (percentage points)."""
        out: list[dict[str, Any]] = []
        prev: PeriodSummary | None = None
        for p in self.periods:
            item: dict[str, Any] = {
                "period": p.period,
                "share_workers_below": p.share_workers_below,
                "share_hours_below": p.share_hours_below,
            }
            if prev is not None:
                change = p.share_workers_below - prev.share_workers_below
                item["change_workers_below"] = change
                item["direction"] = "worse" if change > 0 else "better" if change < 0 else "same"
            out.append(item)
            prev = p
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: counts as integers, shares and amounts as exact decimal strings."""
        return {
            "ok": self.ok,
            "vendor": self.vendor,
            "source": self.source,
            "policy": self.policy,
            "periods": [
                {
                    "period": p.period,
                    "ok": p.ok,
                    "workers": p.workers,
                    "workers_below": p.workers_below,
                    "share_workers_below": _share(p.share_workers_below),
                    "hours": format(p.hours, "f"),
                    "hours_below": format(p.hours_below, "f"),
                    "share_hours_below": _share(p.share_hours_below),
                    "shortfall": {k: format(v, "f") for k, v in sorted(p.shortfall.items())},
                    "locations": list(p.locations),
                }
                for p in self.periods
            ],
            "trend": [
                {k: (_share(v) if isinstance(v, Decimal) else v) for k, v in t.items()} for t in self.trend()
            ],
            "benchmarks": [b.to_dict() for b in self.benchmarks],
            "warnings": list(self.warnings),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def _share(x: Decimal) -> str:
    """A share below the bar (or its change) to 6 places, rounded up: never shown smaller than it is."""
    from decimal import ROUND_CEILING

    return format(x.quantize(Decimal("0.000001"), rounding=ROUND_CEILING), "f")


# ------------------------------------------------------------------------------------ reading
def read_pay_report(
    report: str | Path | Iterable[Mapping[str, Any]], *, source: str | None = None
) -> list[ReportRow]:
    """Validate a pay report (CSV path, or rows as mappings / a DataFrame's records).

    Every bad row is named (line, column, value, what was expected) in one :class:`InvalidDataError`.
    Either a ``workers`` column (aggregated) or a ``worker`` column (worker-level) is required, not both.
    """
    if isinstance(report, (str, Path)):
        path = Path(report)
        name = source or str(path)
        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                columns = [c.strip() for c in reader.fieldnames or []]
                records = [{(k or "").strip(): v for k, v in r.items()} for r in reader]
        except OSError as exc:
            raise InvalidInputError(f"{name}: cannot open ({exc.strerror or exc})") from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInputError(f"{name}: cannot read as UTF-8 CSV ({exc})") from None
    else:
        name = source or "pay report"
        if hasattr(report, "to_dict") and hasattr(report, "columns"):
            columns = [str(c) for c in report.columns]
            records = report.to_dict("records")
        else:
            records = [dict(r) for r in report]
            columns = list(dict.fromkeys(k for r in records for k in r))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        )
        raise InvalidInputError(
            f"{name}: {'; '.join(parts)} (expected {', '.join(REQUIRED_COLUMNS)}, plus workers or worker)"
        )
    if ("workers" in columns) == ("worker" in columns):
        raise InvalidInputError(
            f"{name}: give a 'workers' column (aggregated rows) or a 'worker' column (one row per worker), not "
            + ("both" if "workers" in columns else "neither")
        )
    worker_level = "worker" in columns
    rows: list[ReportRow] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for line, rec in enumerate(records, start=2):
        row, bad = _parse_row(rec, line, worker_level, seen)
        problems.extend(bad)
        if row is not None:
            rows.append(row)
    if problems:
        raise InvalidDataError(name, problems)
    if not rows:
        raise InvalidInputError(f"{name}: no rows (expected one row per period and location or worker)")
    return rows


def _text(rec: Mapping[str, Any], col: str) -> str | None:
    v = rec.get(col)
    if v is None or (isinstance(v, float) and v != v):
        return None
    text = str(v).strip()
    return text or None


def _number(
    rec: Mapping[str, Any], col: str, line: int, bad: list[str], *, optional: bool = False
) -> Decimal:
    """A non-negative exact number from a cell; a problem naming line and column otherwise."""
    raw = _text(rec, col)
    if raw is None:
        if not optional:
            bad.append(f"line {line}, column {col!r}: empty; expected a number")
        return Decimal(0)
    try:
        value = to_decimal(raw, col)
    except InvalidInputError:
        bad.append(f"line {line}, column {col!r}: {raw!r} is not a number")
        return Decimal(0)
    if value < 0:
        bad.append(f"line {line}, column {col!r}: {raw!r} must be at least 0")
    elif value >= MAX_CELL:
        bad.append(f"line {line}, column {col!r}: {raw!r} is implausibly large (expected below 1e15)")
    return value


def _parse_row(
    rec: Mapping[str, Any], line: int, worker_level: bool, seen: dict[tuple[str, str], int]
) -> tuple[ReportRow | None, list[str]]:
    bad: list[str] = []
    period = _text(rec, "period")
    if period is None:
        bad.append(f"line {line}, column 'period': empty; expected a period label such as 2025-01")
    country, sub = _text(rec, "country"), _text(rec, "subdivision")
    where = None
    try:
        where = place(country or "", sub)
    except InvalidInputError as exc:
        bad.append(f"line {line}, column {'subdivision' if sub and country else 'country'}: {exc}")
    currency = _text(rec, "currency") or ""
    try:
        currency = normalize_currency(currency)
    except InvalidInputError as exc:
        bad.append(f"line {line}, column 'currency': {exc}")
    workers = 1
    if worker_level:
        wid = _text(rec, "worker")
        if wid is None:
            bad.append(f"line {line}, column 'worker': empty worker id")
        elif period is not None:
            if (period, wid) in seen:
                bad.append(
                    f"line {line}, column 'worker': the same worker appears again in period {period!r} "
                    f"(first on line {seen[(period, wid)]}); give one row per worker and period"
                )
            seen.setdefault((period, wid), line)
    else:
        raw = _text(rec, "workers")
        if raw is None or not (raw.isascii() and raw.isdigit()) or int(raw) <= 0:
            bad.append(f"line {line}, column 'workers': {raw!r} is not a whole number above 0")
        else:
            workers = int(raw)
    hours_paid = _number(rec, "hours_paid", line, bad)
    hours_unpaid = _number(rec, "hours_unpaid", line, bad, optional=True)
    gross = _number(rec, "gross_pay", line, bad)
    deductions = _number(rec, "deductions", line, bad, optional=True)
    if not bad and hours_paid + hours_unpaid == 0:
        bad.append(f"line {line}, columns 'hours_paid' + 'hours_unpaid': no hours; a row needs time worked")
    if not bad and deductions > gross:
        bad.append(f"line {line}, column 'deductions': {deductions} is more than gross_pay {gross}")
    if bad or where is None or period is None:
        return None, bad
    row = ReportRow(
        period,
        where.country,
        where.subdivision,
        _text(rec, "locality"),
        workers,
        hours_paid,
        hours_unpaid,
        gross,
        deductions,
        currency,
        worker_level,
        line,
    )
    return row, bad


def audit_rows(result: Any, period: str) -> list[dict[str, Any]]:
    """Worker-level pay-report rows for one period from a :func:`fairpay.audit` result (whose presets read
    the vendor's submission log): hours worked and earnings per worker, ids replaced by ``worker-0001``...
    in id order so no platform id leaves the audit."""
    w = result.workers.sort_values("worker", kind="stable")
    out: list[dict[str, Any]] = []
    for i, r in enumerate(w.itertuples(index=False), start=1):
        sub = r.subdivision if isinstance(r.subdivision, str) and r.subdivision else ""
        out.append(
            {
                "period": period,
                "worker": f"worker-{i:04d}",
                "country": str(r.country),
                "subdivision": sub,
                "hours_paid": format(Decimal(repr(float(r.hours))), "f"),
                "gross_pay": format(Decimal(repr(float(r.earnings))), "f"),
                "currency": str(r.pay_currency),
            }
        )
    return out


# ------------------------------------------------------------------------------------ judging
def monitor_vendor(
    report: str | Path | Iterable[Mapping[str, Any]],
    project: Project | str | Path | None = None,
    *,
    vendor: str | None = None,
    policy: Policy | Mapping[str, Any] | None = None,
    benchmarks: Benchmarks | None = None,
    rates: ExchangeRates | None = None,
) -> Monitoring:
    """Judge a vendor's pay reports period by period against the bar (same lookup and policy as
    ``fairpay check``; ``project`` supplies policy and overrides)."""
    from fairpay.prelaunch.check import place_bar
    from fairpay.vendors.vetting import _as_project, bar_collection
    from fairpay.wages import bar_warnings

    rows = read_pay_report(report)
    proj = _as_project(project)
    pol = merge_policy(proj.policy if proj is not None else Policy(), policy)
    collection = bar_collection(proj, benchmarks)
    from fairpay.tables.rates import bundled_rates

    fx_table = rates if rates is not None else bundled_rates()
    bars: dict[tuple[str, str | None, str | None], Benchmark] = {}
    warnings: list[str] = []
    verdicts: list[RowVerdict] = []
    with localcontext(prec=50):
        margin = 1 + Decimal(str(pol.margin))
        for row in rows:
            key = (row.country, row.subdivision, row.locality)
            if key not in bars:
                bars[key] = place_bar(collection, *key, pol, fx_table)
                warnings.extend(bar_warnings(bars[key]))
            bench = bars[key]
            conv = fx_table.convert(
                Decimal(1), row.currency, bench.currency, bench.year, fallback="nearest_earlier"
            )
            warnings.extend(conv.adjustments)
            bar = bench.hourly * margin
            hours = row.hours_paid + row.hours_unpaid
            net = row.gross_pay - row.deductions
            hourly = net / hours * conv.rate
            below = hourly < bar
            shortfall = round_up(bar / conv.rate * hours - net, row.currency) if below else Decimal(0)
            where = row.subdivision or row.country
            verdicts.append(
                RowVerdict(
                    row,
                    f"{where} ({row.locality})" if row.locality else where,
                    hours,
                    net,
                    hourly,
                    bar,
                    bench.currency,
                    below,
                    shortfall,
                )
            )
    periods = [
        _summary(p, [v for v in verdicts if v.row.period == p]) for p in sorted({r.period for r in rows})
    ]
    odd = sorted({r.period for r in rows if not ISO_PERIOD.match(r.period)})
    if odd:
        warnings.append(
            f"periods are ordered as text and {', '.join(map(repr, odd[:3]))} is not an ISO label "
            "(2025-01, 2025-Q1, 2025-W05, 2025-01-31): the trend may be out of order"
        )
    aggregated = any(not r.worker_level and r.workers > 1 for r in rows)
    if aggregated:
        warnings.append(AGGREGATE_WARNING)
    return Monitoring(
        vendor=vendor,
        periods=tuple(periods),
        rows=tuple(verdicts),
        benchmarks=tuple(bars.values()),
        policy=pol.model_dump(),
        warnings=tuple(dict.fromkeys(warnings)),
        source=str(report) if isinstance(report, (str, Path)) else "pay report",
        worker_level=rows[0].worker_level,
        aggregated=aggregated,
    )


def _summary(period: str, verdicts: list[RowVerdict]) -> PeriodSummary:
    shortfall: dict[str, Decimal] = defaultdict(Decimal)
    by_loc: dict[str, dict[str, Any]] = {}
    for v in verdicts:
        if v.below:
            shortfall[v.row.currency] += v.shortfall
        loc = by_loc.setdefault(
            v.location,
            {
                "location": v.location,
                "workers": 0,
                "workers_below": 0,
                "hours": Decimal(0),
                "hours_below": Decimal(0),
            },
        )
        loc["workers"] += v.row.workers
        loc["hours"] += v.hours
        if v.below:
            loc["workers_below"] += v.row.workers
            loc["hours_below"] += v.hours
    locations = tuple(
        {**d, "hours": format(d["hours"], "f"), "hours_below": format(d["hours_below"], "f")}
        for _, d in sorted(by_loc.items())
    )
    return PeriodSummary(
        period=period,
        workers=sum(v.row.workers for v in verdicts),
        workers_below=sum(v.row.workers for v in verdicts if v.below),
        hours=sum((v.hours for v in verdicts), Decimal(0)),
        hours_below=sum((v.hours for v in verdicts if v.below), Decimal(0)),
        shortfall=dict(shortfall),
        locations=locations,
    )
