"""Vetting a vendor: from the vendor's disclosed pay and hours to the worker's implied hourly wage,
against the same bar as the pre-launch check, and from the client's price to the share that reaches
the worker.

The arithmetic, per location (all money ``Decimal``; a week is the unit of time):

- weekly gross ``G = rate x paid_hours`` (hourly pay) or ``rate x tasks_per_hour x paid_hours``
  (per-task pay), pay currency; weekly net ``N = G x (1 - payout_fee) - fees_per_week``;
- hours at work ``H = max(typical_hours, paid_hours + unpaid training + breaks + idle)``;
- implied hourly wage ``w = N / H`` (pay currency), ``w x fx`` in the bar's currency, where ``fx``
  converts pay to bar currency at the bar's price year (nearest earlier year if missing, recorded);
- bar ``b = benchmark_hourly x (1 + margin)`` from :meth:`fairpay.wages.Benchmarks.bar` with the
  project's policy (same lookup, labels and overrides as ``fairpay check``); ``ok`` when ``w x fx >= b``;
- pass-through ``p`` = what reaches the worker per unit the client buys (per paid hour, or per task
  = ``N / (tasks_per_hour x paid_hours)``), converted to the client's currency, divided by the
  client's price. The client is taken to be billed for paid hours only;
- break-even price ``P* = price x b / (w x fx)``: at the stated pass-through ``p`` the worker's net
  per unit is ``p x P*``, which makes ``w`` reach ``b``; rounded UP to the client currency;
- required worker rate ``(b / fx x H + fees) / (1 - payout_fee) / paid_hours`` per hour (per task:
  divided again by tasks_per_hour), pay currency, rounded UP.

A missing answer never becomes a number: without pay or paid hours there is no implied wage (the
location's verdict is *unknown*, which is not a pass); without unpaid time, fees or payout fee the
wage is computed from what was disclosed and labelled an upper bound.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

from fairpay.prelaunch.check import merge_policy, override_row, place_bar, task_time
from fairpay.prelaunch.spec import Policy, Project, load_project
from fairpay.units.fx import ExchangeRates
from fairpay.units.money import round_up
from fairpay.vendors.disclosure import (
    Disclosure,
    Gap,
    Location,
    completeness,
    disclosure_gaps,
    load_disclosure,
)
from fairpay.wages import Benchmark, Benchmarks, bar_warnings

_PREC = 50


@dataclass(frozen=True)
class LocationVerdict:
    """Vetting figures for one location. ``ok`` is None when the wage cannot be computed.

    Money: ``*_pay`` in ``pay_currency``, ``*_local``/``bar_hourly`` in ``local_currency`` (the
    bar's), ``client_price``/``break_even_price`` in ``client_currency``.
    """

    location: str
    country: str
    subdivision: str | None
    locality: str | None
    headcount: int | None
    benchmark: Benchmark
    bar_hourly: Decimal
    local_currency: str
    pay_currency: str | None
    client_currency: str
    pay_basis: str | None
    fx_rate: Decimal | None  # pay -> local
    weekly_gross_pay: Decimal | None
    weekly_net_pay: Decimal | None
    hours_at_work: Decimal | None
    implied_hourly_pay: Decimal | None
    implied_hourly_local: Decimal | None
    ratio: Decimal | None
    ok: bool | None
    upper_bound: bool
    client_price: Decimal | None
    client_price_basis: str | None
    pass_through: Decimal | None
    break_even_price: Decimal | None
    required_rate_pay: Decimal | None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: Decimals as strings, what the worker gets rounded down and bars up (6 places);
        the benchmark with its provenance."""
        out: dict[str, Any] = {}
        for key in self.__dataclass_fields__:
            value = getattr(self, key)
            if key == "benchmark":
                value = value.to_dict()
            elif isinstance(value, Decimal):
                value = _fixed(value, up=key in _UP_FIELDS)
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out


@dataclass(frozen=True)
class VendorCheck:
    """The vetting of one disclosure: ``ok`` only when every location's implied wage reaches its bar."""

    vendor: str
    client_currency: str
    locations: tuple[LocationVerdict, ...]
    gaps: tuple[Gap, ...]
    answered: int
    asked: int
    policy: dict[str, Any]
    warnings: tuple[str, ...] = ()
    disclosure: Disclosure | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when every location's wage is known and reaches the bar (unknown is not a pass)."""
        return all(v.ok is True for v in self.locations)

    @property
    def completeness(self) -> Decimal:
        """Share of the questions asked that the disclosure answers."""
        return Decimal(self.answered) / Decimal(self.asked)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (stable key order, no timestamps)."""
        return {
            "ok": self.ok,
            "vendor": self.vendor,
            "client_currency": self.client_currency,
            "policy": self.policy,
            "locations": [v.to_dict() for v in self.locations],
            "gaps": [g.to_dict() for g in self.gaps],
            "completeness": {"answered": self.answered, "asked": self.asked},
            "warnings": list(self.warnings),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


_UP_FIELDS = frozenset({"bar_hourly", "break_even_price", "required_rate_pay", "hours_at_work"})


def _fixed(x: Decimal, *, up: bool, places: int = 6) -> str:
    """Exact decimal text cut to ``places``: bars and requirements up, the worker's pay down."""
    from decimal import ROUND_CEILING, ROUND_FLOOR

    q = x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING if up else ROUND_FLOOR)
    return format(q.normalize() if q == q.to_integral_value() else q, "f")


# ------------------------------------------------------------------------------------ API
def vendor_check(
    disclosure: Disclosure | str | Path,
    project: Project | str | Path | None = None,
    *,
    policy: Policy | Mapping[str, Any] | None = None,
    benchmarks: Benchmarks | None = None,
    rates: ExchangeRates | None = None,
) -> VendorCheck:
    """Vet a vendor disclosure against the bar of each location.

    ``project``: the project the vendor is quoting for; its policy (bar kind, margin, household,
    method) and benchmark overrides are used, exactly as ``fairpay check`` would. Without one the
    default :class:`Policy` applies. ``policy`` replaces or updates it (as in :func:`fairpay.check`).
    """
    disc = disclosure if isinstance(disclosure, Disclosure) else load_disclosure(disclosure)
    proj = _as_project(project)
    pol = merge_policy(proj.policy if proj is not None else Policy(), policy)
    collection = bar_collection(proj, benchmarks)
    from fairpay.tables.rates import bundled_rates

    fx_table = rates if rates is not None else bundled_rates()
    verdicts: list[LocationVerdict] = []
    warnings: list[str] = []
    for loc in disc.locations:
        bench = location_bar(collection, pol, loc, fx_table)
        warnings.extend(bar_warnings(bench))
        verdicts.append(_verdict(loc, bench, pol, disc.vendor.currency, fx_table))
    if disc.vendor.pay_reports == "none":
        warnings.append("the vendor will not report hours and pay per period: pay cannot be monitored")
    if disc.vendor.notice_period_days == 0:
        warnings.append("workers get no notice when the project ends")
    answered, asked = completeness(disc)
    return VendorCheck(
        vendor=disc.vendor.name,
        client_currency=disc.vendor.currency,
        locations=tuple(verdicts),
        gaps=tuple(disclosure_gaps(disc)),
        answered=answered,
        asked=asked,
        policy=pol.model_dump(),
        warnings=tuple(dict.fromkeys(warnings)),
        disclosure=disc,
    )


def bar_collection(project: Project | None, benchmarks: Benchmarks | None) -> Benchmarks:
    """The benchmark collection ``check`` would use for ``project`` (its overrides first)."""
    collection = benchmarks if benchmarks is not None else Benchmarks.bundled()
    if project is not None and project.benchmark_overrides:
        collection = collection.with_rows(
            override_row(o, collection.current_year) for o in project.benchmark_overrides
        )
    return collection


def location_bar(
    collection: Benchmarks, pol: Policy, loc: Location, rates: ExchangeRates | None = None
) -> Benchmark:
    """The benchmark behind a location's bar, looked up exactly as ``fairpay check`` does."""
    return place_bar(collection, loc.country, loc.subdivision, loc.locality, pol, rates)


def _as_project(project: Project | str | Path | None) -> Project | None:
    if project is None or isinstance(project, Project):
        return project
    return load_project(project)


def _verdict(
    loc: Location, bench: Benchmark, pol: Policy, client_cur: str, rates: ExchangeRates
) -> LocationVerdict:
    with localcontext(prec=_PREC):
        bar = bench.hourly * (1 + Decimal(str(pol.margin)))
        notes: list[str] = []
        missing = [
            k
            for k in ("pay_basis", "pay_rate", "pay_currency", "paid_hours_per_week")
            if getattr(loc, k) is None
        ]
        if loc.pay_basis == "per_task" and loc.tasks_per_hour is None:
            missing.append("tasks_per_hour")
        fx = None
        if loc.pay_currency is not None:
            conv = rates.convert(
                Decimal(1), loc.pay_currency, bench.currency, bench.year, fallback="nearest_earlier"
            )
            fx = conv.rate
            notes.extend(conv.adjustments)
        base: dict[str, Any] = dict(
            location=loc.name,
            country=loc.country,
            subdivision=loc.subdivision,
            locality=loc.locality,
            headcount=loc.headcount,
            benchmark=bench,
            bar_hourly=bar,
            local_currency=bench.currency,
            pay_currency=loc.pay_currency,
            client_currency=client_cur,
            pay_basis=loc.pay_basis,
            fx_rate=fx,
            client_price=loc.client_price,
            client_price_basis=loc.client_price_basis,
        )
        if missing:
            notes.insert(0, f"implied wage unknown: not disclosed: {', '.join(missing)}")
            return LocationVerdict(
                **base,
                weekly_gross_pay=None,
                weekly_net_pay=None,
                hours_at_work=None,
                implied_hourly_pay=None,
                implied_hourly_local=None,
                ratio=None,
                ok=None,
                upper_bound=False,
                pass_through=None,
                break_even_price=None,
                required_rate_pay=None,
                notes=tuple(notes),
            )
        assert loc.pay_rate is not None and loc.paid_hours_per_week is not None and fx is not None
        assert loc.pay_currency is not None
        paid = loc.paid_hours_per_week
        units_per_hour = loc.tasks_per_hour if loc.pay_basis == "per_task" else Decimal(1)
        assert units_per_hour is not None
        gross = loc.pay_rate * units_per_hour * paid
        keep = 1 - (loc.payout_fee or Decimal(0))
        fees = loc.fees_per_week or Decimal(0)
        net = gross * keep - fees
        hours = paid + loc.unpaid_hours_given
        if loc.typical_hours_per_week is not None and loc.typical_hours_per_week > hours:
            notes.append(
                f"typical hours at work ({loc.typical_hours_per_week:f} h/week) exceed paid + disclosed unpaid "
                f"hours ({hours:f}); the difference counts as unpaid time"
            )
            hours = loc.typical_hours_per_week
        undisclosed = [
            k
            for k in (
                "unpaid_training_hours_per_week",
                "unpaid_break_hours_per_week",
                "unpaid_idle_hours_per_week",
                "fees_per_week",
                "payout_fee",
            )
            if getattr(loc, k) is None
        ]
        if undisclosed:
            notes.append(f"upper bound: not disclosed, counted as none: {', '.join(undisclosed)}")
        if loc.gross_net == "net" and bench.gross_net == "gross":
            notes.append(
                "pay is disclosed net and compared with a gross bar (the worker's gross pay is higher)"
            )
        elif loc.gross_net == "gross" and bench.gross_net == "net":
            notes.append("pay is gross and the bar is net: taxes may leave the worker below it")
        implied = net / hours
        implied_local = implied * fx
        ok = implied_local >= bar
        required = (bar / fx * hours + fees) / keep / paid / units_per_hour
        pass_through = break_even = None
        if loc.client_price is not None:
            client_fx = rates.convert(
                Decimal(1), loc.pay_currency, client_cur, bench.year, fallback="nearest_earlier"
            )
            notes.extend(a for a in client_fx.adjustments if a not in notes)
            if loc.client_price_basis == "per_task":
                if loc.tasks_per_hour is None:
                    notes.append(
                        "pass-through unknown: the price is per task and tasks_per_hour is not disclosed"
                    )
                    per_unit = None
                else:
                    per_unit = net / (loc.tasks_per_hour * paid)
            else:
                per_unit = net / paid
            if per_unit is not None:
                pass_through = per_unit * client_fx.rate / loc.client_price
                if net > 0:
                    break_even = round_up(loc.client_price * bar / implied_local, client_cur)
                else:
                    notes.append("break-even price undefined: fees take all of the pay")
        return LocationVerdict(
            **base,
            weekly_gross_pay=gross,
            weekly_net_pay=net,
            hours_at_work=hours,
            implied_hourly_pay=implied,
            implied_hourly_local=implied_local,
            ratio=implied_local / bar,
            ok=ok,
            upper_bound=bool(undisclosed),
            pass_through=pass_through,
            break_even_price=break_even,
            required_rate_pay=round_up(required, loc.pay_currency),
            notes=tuple(notes),
        )


# ------------------------------------------------------------------------------------ annex
@dataclass(frozen=True)
class AnnexRow:
    """One contract figure: the minimum a worker in ``location`` is paid, per hour or per task."""

    location: str
    basis: str  # "per hour at work" | "per task: <task name>"
    minimum: Decimal  # rounded up, in ``currency``
    currency: str
    benchmark: Benchmark
    detail: str


@dataclass(frozen=True)
class Annex:
    """A contract annex: minimum worker pay per location, the benchmark behind it and the indexation."""

    vendor: str
    project: str | None
    year: int
    indexation: str
    rows: tuple[AnnexRow, ...]
    policy: dict[str, Any]
    conditions: tuple[str, ...]


DEFAULT_INDEXATION = (
    "Each January, every minimum is raised by the change in the consumer price index of the worker's "
    "country over the previous year (never lowered), or to the newest published benchmark if higher."
)


def contract_annex(
    disclosure: Disclosure | str | Path,
    project: Project | str | Path | None = None,
    *,
    policy: Policy | Mapping[str, Any] | None = None,
    indexation: str | None = None,
    benchmarks: Benchmarks | None = None,
    rates: ExchangeRates | None = None,
) -> Annex:
    """The minimum worker pay per location for a contract: per hour at work (the bar, local currency,
    rounded up) and, with a project, per task for each of its tasks at the measured task time
    (pay currency when disclosed, else the project's), computed as ``fairpay check`` computes required
    pay, with the location's payout fee as the only deduction."""
    from fairpay.prelaunch.check import required_pay_per_task

    disc = disclosure if isinstance(disclosure, Disclosure) else load_disclosure(disclosure)
    proj = _as_project(project)
    pol = merge_policy(proj.policy if proj is not None else Policy(), policy)
    collection = bar_collection(proj, benchmarks)
    from fairpay.tables.rates import bundled_rates

    fx_table = rates if rates is not None else bundled_rates()
    times = {t.name: task_time(t, pol.statistic, proj.base_dir) for t in proj.tasks} if proj else {}
    rows: list[AnnexRow] = []
    years: list[int] = []
    for loc in disc.locations:
        bench = location_bar(collection, pol, loc, fx_table)
        years.append(bench.year)
        bar = bench.hourly * (1 + Decimal(str(pol.margin)))
        margin = f" x (1 + margin {pol.margin:g})" if pol.margin else ""
        rows.append(
            AnnexRow(
                loc.name,
                "per hour at work",
                round_up(bar, bench.currency),
                bench.currency,
                bench,
                f"{bench.kind} benchmark {bench.hourly:.4f} {bench.currency}/h{margin}, prices of {bench.year}",
            )
        )
        if proj is None:
            continue
        pay_cur = loc.pay_currency or proj.currency
        conv = fx_table.convert(Decimal(1), pay_cur, bench.currency, bench.year, fallback="nearest_earlier")
        keep = 1 - (loc.payout_fee or Decimal(0))
        for task in proj.tasks:
            tt = times[task.name]
            o = proj.unpaid.overhead_seconds(task.unpaid_seconds)
            minimum = required_pay_per_task(
                bar,
                tt.seconds,
                unpaid_seconds=o,
                lost_share=proj.unpaid.lost_share,
                keep=keep,
                fx_rate=conv.rate,
                currency=pay_cur,
            )
            rows.append(
                AnnexRow(
                    loc.name,
                    f"per task: {task.name}",
                    minimum,
                    pay_cur,
                    bench,
                    f"{tt.description}; + {o:.1f} s unpaid per task; {proj.unpaid.lost_share:%} of work unpaid; "
                    f"payout fee {1 - keep:%}; {pay_cur}->{bench.currency} {conv.rate:.6f} ({conv.year_used})",
                )
            )
    conditions = (
        "Every hour at work is paid, including training, required breaks at the desk and idle time between tasks.",
        "No fee or deduction for equipment, internet, recruitment or transfer is charged to the worker.",
        "Per-task minimums hold at the task times stated; if measured times rise, the per-task minimum rises with them.",
        "The vendor reports, per location and period, workers, hours paid and gross pay (fairpay vendor monitor).",
    )
    return Annex(
        vendor=disc.vendor.name,
        project=proj.name if proj else None,
        year=max(years),
        indexation=indexation or disc.vendor.wage_indexation or DEFAULT_INDEXATION,
        rows=tuple(rows),
        policy=pol.model_dump(),
        conditions=conditions,
    )
