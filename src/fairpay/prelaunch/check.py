"""The pre-launch pay check: for every task and every place, does the pay reach the bar?

Why: this is fairpay's main job. Before a project launches it says, per task x place, the
effective hourly wage *after* deductions and unpaid time, the bar it must reach, by how much it
falls short, what per-task pay would fix it, and what that costs.

The arithmetic, exactly (task t, place k; all money ``Decimal``):

- ``T`` = seconds per task (given, or the policy's statistic of pilot times);
  ``o`` = unpaid seconds per task = onboarding_minutes x 60 / tasks_per_worker
  + per_task_seconds + the task's own unpaid_seconds; ``r`` = rejection_rate + return_rate.
- net pay reaching the worker, pay currency: ``n = pay x (1 - vendor_margin) x (1 - platform_fee)
  x (1 - payout_fee)``.
- ``fx`` = units of the benchmark's currency per unit of pay currency, at the bundled rate of the
  year the bar is expressed in (after CPI inflation), or the nearest earlier year (recorded).
- effective hourly ``w = n x fx x (1 - r) x 3600 / (T + o)``; bar ``b = benchmark_hourly x
  (1 + margin)``; the cell passes when ``w >= b``; shortfall ``max(0, b - w)`` per hour (local
  and pay currency); ratio ``w / b``.
- required pay per task ``b x (T + o) / 3600 / ((1 - r) x (1 - vm) x (1 - pf) x (1 - po)) / fx``,
  **rounded up** to the pay currency's minor unit. A cell passes exactly when pay >= the unrounded
  required pay, so paying the (rounded-up) required rate always passes.
- budget: current ``sum(volume x share x pay)``; compliant per place ``sum(volume x share x
  max(pay, required_k))``; compliant uniform ``sum(volume x max(pay, max_k required_k))``;
  each also with the requester fee on top.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, localcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairpay.errors import InvalidDataError, InvalidInputError, SpecError
from fairpay.prelaunch.spec import (
    BenchmarkOverride,
    ExchangeRateOverride,
    Policy,
    Project,
    RateRequest,
    Task,
    load_project,
    parse_project,
    parse_rate_request,
)
from fairpay.units.fx import Conversion, ExchangeRates
from fairpay.units.money import round_up
from fairpay.units.places import Place
from fairpay.wages import Benchmark, BenchmarkRow, Benchmarks, bar_warnings

if TYPE_CHECKING:
    import pandas as pd

    from fairpay.worktime.estimates import TimeEstimate

_PREC = 50
STALE_YEARS = 3


@dataclass(frozen=True)
class TaskTime:
    """Seconds per task used for a task, and where they came from."""

    seconds: Decimal
    source: str  # "given" | "times" | "pilot"
    description: str
    per_worker: tuple[float, ...] = ()  # the pilot's per-worker times, for coverage
    estimate: TimeEstimate | None = None
    pilot: dict[str, list[Any]] | None = None  # raw times + worker ids, for the production forecast


@dataclass(frozen=True)
class Cell:
    """The verdict for one task x place. Money in ``local_currency`` unless named ``*_pay``."""

    task: str
    country: str
    subdivision: str | None
    locality: str | None
    share: Decimal
    volume: Decimal  # tasks done in this place = task volume x share
    pay_per_task: Decimal
    pay_currency: str
    net_pay_per_task: Decimal  # pay currency, after deductions
    seconds_per_task: Decimal
    unpaid_seconds_per_task: Decimal
    lost_share: Decimal
    local_currency: str
    fx_rate: Decimal
    fx_year: int
    effective_hourly: Decimal
    benchmark_hourly: Decimal
    bar_hourly: Decimal
    ratio: Decimal
    ok: bool
    shortfall_hourly: Decimal
    shortfall_hourly_pay: Decimal
    required_pay_per_task: Decimal
    benchmark: Benchmark
    time_source: str
    coverage: float | None = None  # share of pilot workers reaching the bar at the proposed pay
    adjustments: tuple[str, ...] = ()
    forecast: dict[str, Any] | None = None  # predicted share of production workers below the bar

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``fairpay check --format json``.

        Money and ratios are decimal strings rounded by the one display rule
        (:mod:`fairpay.units.figures`): effective pay down, bars/required/shortfalls up, the ratio
        floored to 4 decimals; amounts given in the spec exactly. The exact values stay on the
        :class:`Cell` attributes.
        """
        from fairpay.units import figures as fig

        b = self.benchmark
        local, pay = self.local_currency, self.pay_currency
        return {
            "task": self.task,
            "country": self.country,
            "subdivision": self.subdivision,
            "locality": self.locality,
            "share": fig.text(self.share),
            "volume": fig.text(self.volume),
            "pay_per_task": fig.text(fig.as_given(self.pay_per_task, pay)),
            "net_pay_per_task": fig.text(fig.as_given(self.net_pay_per_task, pay)),
            "seconds_per_task": _f(self.seconds_per_task, 3),
            "unpaid_seconds_per_task": _f(self.unpaid_seconds_per_task, 3),
            "time_source": self.time_source,
            "effective_hourly": fig.text(fig.worker_side(self.effective_hourly, local)),
            "benchmark_hourly": fig.text(fig.bar_side(self.benchmark_hourly, local)),
            "bar_hourly": fig.text(fig.bar_side(self.bar_hourly, local)),
            "local_currency": local,
            "ratio": fig.text(fig.ratio_floor(self.ratio)),
            "ok": self.ok,
            "shortfall_hourly": fig.text(
                fig.shortfall_shown(self.effective_hourly, self.bar_hourly, local)
                if not self.ok
                else fig.bar_side(Decimal(0), local)
            ),
            "shortfall_hourly_pay": fig.text(fig.bar_side(self.shortfall_hourly_pay, pay)),
            "required_pay_per_task": fig.text(fig.as_given(self.required_pay_per_task, pay)),
            "pay_currency": pay,
            "fx": {
                "rate": fig.text(fig.rate(self.fx_rate)),
                "year": self.fx_year,
                "pair": f"{pay}->{local}",
            },
            "coverage": self.coverage,
            "forecast": self.forecast,
            "benchmark": _benchmark_dict(b, self.adjustments),
        }


def _benchmark_dict(b: Benchmark, adjustments: Sequence[str]) -> dict[str, Any]:
    """The ``benchmark`` object of ``check``/``rate`` JSON; ``adjustments``: the verdict's own (FX, margin)."""
    from fairpay.units import figures as fig

    return {
        "kind": b.kind,
        "method": b.method,
        "household": b.household,
        "locality": b.locality,
        "amount": fig.text(b.amount),
        "currency": b.currency,
        "period": b.period,
        "gross_net": b.gross_net,
        "source": b.source,
        "url": b.url,
        "reference_year": b.reference_year,
        "price_year": b.year,
        "age_years": b.age_years,
        "hours_per_week": fig.text(Decimal(str(b.hours_per_week))),
        "hours_basis": b.hours_basis,
        "confidence": b.confidence,
        "origin": b.origin,
        "adjustments": list(b.adjustments) + list(adjustments),
        "fallbacks": list(b.fallbacks),
        # method "estimate": point, interval, inputs, vintages and LOCO error (else null)
        "estimate": b.estimate,
    }


def _f(x: Decimal, places: int) -> float:
    return float(round(x, places))


#: Columns of :attr:`CheckResult.cells` that hold decimal figures (``Decimal`` objects, exact).
DECIMAL_COLUMNS = (
    "share",
    "volume",
    "pay_per_task",
    "net_pay_per_task",
    "effective_hourly",
    "benchmark_hourly",
    "bar_hourly",
    "ratio",
    "shortfall_hourly",
    "shortfall_hourly_pay",
    "required_pay_per_task",
    "fx_rate",
    "benchmark_amount",
    "benchmark_hours_per_week",
)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of :func:`check`: ``ok`` only when every cell reaches its bar."""

    project: str
    pay_currency: str
    cells_list: tuple[Cell, ...]
    budget: dict[str, Any]
    warnings: tuple[str, ...]
    policy: dict[str, Any] = field(default_factory=dict)
    times: tuple[dict[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        """True when every task x place reaches the bar."""
        return all(c.ok for c in self.cells_list)

    @property
    def flags(self) -> list[Cell]:
        """The cells below the bar."""
        return [c for c in self.cells_list if not c.ok]

    @property
    def cells(self) -> pd.DataFrame:
        """One row per task x place (pandas DataFrame, built on first use).

        The figures of :meth:`to_dict`, with the money and ratio columns (:data:`DECIMAL_COLUMNS`)
        as exact ``Decimal`` objects (object dtype), never binary floats.
        """
        import pandas as pd

        rows = []
        for c in self.cells_list:
            d = c.to_dict()
            bench = d.pop("benchmark")
            fx = d.pop("fx")
            d.update({f"benchmark_{k}": v for k, v in bench.items()})
            d.update({"fx_rate": fx["rate"], "fx_year": fx["year"]})
            for col in DECIMAL_COLUMNS:
                d[col] = Decimal(d[col])
            rows.append(d)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``ok``, ``project``, ``cells``, ``budget``, ``warnings`` (+ policy, times)."""
        return {
            "ok": self.ok,
            "project": self.project,
            "pay_currency": self.pay_currency,
            "policy": self.policy,
            "times": list(self.times),
            "cells": [c.to_dict() for c in self.cells_list],
            "budget": self.budget,
            "warnings": list(self.warnings),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON text (stable key order, no timestamps)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


# ---------------------------------------------------------------------------------------- API
def check(
    project: Project | Mapping[str, Any] | str | Path,
    policy: Policy | Mapping[str, Any] | None = None,
    benchmarks: Benchmarks | None = None,
    rates: ExchangeRates | None = None,
) -> CheckResult:
    """Check a project before launch: every task x place against its local bar.

    ``project``: a :class:`Project`, a spec dict, or a path to a TOML/YAML/JSON spec.
    ``policy``: replaces (a :class:`Policy`) or updates (a dict of fields) the project's policy.
    ``benchmarks``: the collection to use (default: bundled + user tables).
    ``rates``: exchange rates (default: the bundled table).
    """
    proj = _as_project(project)
    pol = merge_policy(proj.policy, policy)
    collection = benchmarks if benchmarks is not None else Benchmarks.bundled()
    if proj.benchmark_overrides:
        collection = collection.with_rows(
            override_row(o, collection.current_year) for o in proj.benchmark_overrides
        )
    rates = _cited_rates(rates, proj.exchange_rates)
    times = {t.name: task_time(t, pol.statistic, proj.base_dir) for t in proj.tasks}
    shares = proj.shares()
    bars: dict[tuple[str, str | None, str | None], Benchmark] = {}
    for w in proj.workforce:
        key = (w.country, w.subdivision, w.locality)
        bars[key] = place_bar(collection, w.country, w.subdivision, w.locality, pol, rates)
    cells: list[Cell] = []
    warnings: list[str] = []
    for task in proj.tasks:
        tt = times[task.name]
        if tt.estimate is not None:
            warnings.extend(f"task {task.name!r}: {w}" for w in tt.estimate.warnings)
        model = _forecast_model(task, tt, warnings)
        for w, share in zip(proj.workforce, shares, strict=True):
            bench = bars[(w.country, w.subdivision, w.locality)]
            cell = _cell(proj, pol, task, tt, w.country, w.subdivision, w.locality, share, bench, rates)
            if model is not None:
                cell = replace(cell, forecast=_forecast_for(model, cell))
            cells.append(cell)
    for bench in bars.values():
        warnings.extend(bar_warnings(bench, stale_years=STALE_YEARS))
    from fairpay.tables.store import notices  # a damaged data folder is stated in every output

    warnings.extend(notices())
    return CheckResult(
        project=proj.name,
        pay_currency=proj.currency,
        cells_list=tuple(cells),
        budget=_budget(proj, cells),
        warnings=tuple(dict.fromkeys(warnings)),
        policy=pol.model_dump(),
        times=tuple(
            {
                "task": name,
                "seconds": float(t.seconds),
                "source": t.source,
                "description": t.description,
                **({"estimate": t.estimate.to_dict()} if t.estimate is not None else {}),
                **({"per_worker": list(t.per_worker)} if t.per_worker else {}),
            }
            for name, t in times.items()
        ),
    )


def required_pay_per_task(
    bar_hourly: Decimal,
    seconds: Decimal,
    *,
    unpaid_seconds: Decimal = Decimal(0),
    lost_share: Decimal = Decimal(0),
    keep: Decimal = Decimal(1),
    fx_rate: Decimal = Decimal(1),
    currency: str,
) -> Decimal:
    """Per-task pay (pay currency, rounded UP to its minor unit) that reaches ``bar_hourly``.

    ``bar_hourly`` is in the local currency; ``fx_rate`` converts pay currency to local;
    ``keep`` is the share of pay left after deductions; ``lost_share`` the unpaid share of work.
    """
    return round_up(_required_exact(bar_hourly, seconds, unpaid_seconds, lost_share, keep, fx_rate), currency)


def _required_exact(b: Decimal, t: Decimal, o: Decimal, r: Decimal, keep: Decimal, fx: Decimal) -> Decimal:
    with localcontext(prec=_PREC):
        return b * (t + o) / 3600 / ((1 - r) * keep) / fx


@dataclass(frozen=True)
class RequiredRate:
    """The per-task pay that reaches one place's bar (``fairpay rate``); exact values, with the
    bar's provenance. ``required_pay_per_task`` is rounded UP to the pay currency's minor unit."""

    country: str
    subdivision: str | None
    locality: str | None
    seconds_per_task: Decimal
    unpaid_seconds_per_task: Decimal
    pay_currency: str
    local_currency: str
    fx_rate: Decimal
    fx_year: int
    bar_hourly: Decimal
    required_pay_per_task: Decimal
    benchmark: Benchmark
    adjustments: tuple[str, ...] = ()
    #: The bar's caveats and any data-folder fallback, worded as in :func:`check`'s warnings.
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``fairpay rate --format json`` (figures shown as ``check`` shows them)."""
        from fairpay.units import figures as fig

        return {
            "country": self.country,
            "subdivision": self.subdivision,
            "required_pay_per_task": fig.text(fig.as_given(self.required_pay_per_task, self.pay_currency)),
            "pay_currency": self.pay_currency,
            "bar_hourly": fig.text(fig.bar_side(self.bar_hourly, self.local_currency)),
            "local_currency": self.local_currency,
            "seconds_per_task": _f(self.seconds_per_task, 3),
            "unpaid_seconds_per_task": _f(self.unpaid_seconds_per_task, 3),
            "benchmark": _benchmark_dict(self.benchmark, self.adjustments),
            "warnings": list(self.warnings),
        }


def required_rate(
    request: RateRequest | Mapping[str, Any],
    benchmarks: Benchmarks | None = None,
    rates: ExchangeRates | None = None,
) -> RequiredRate:
    """The per-task pay that reaches the bar for one place, with no project to judge.

    ``request``: a :class:`~fairpay.prelaunch.spec.RateRequest` or a dict shaped like it
    (``currency``, ``seconds``, ``workforce`` and optional ``policy``, ``deductions``, ``unpaid``,
    ``exchange_rates``). Same bar lookup, conversion and arithmetic as :func:`check`, so paying the
    result passes ``check`` for that place.
    """
    req = request if isinstance(request, RateRequest) else parse_rate_request(dict(request))
    pol = req.policy
    where = req.workforce
    collection = benchmarks if benchmarks is not None else Benchmarks.bundled()
    rates = _cited_rates(rates, req.exchange_rates)
    bench = place_bar(collection, where.country, where.subdivision, where.locality, pol, rates)
    conv = _pay_to_local(rates, req.currency, bench)
    t = Decimal(str(req.seconds))
    o = req.unpaid.overhead_seconds()
    bar = _with_margin(bench, pol)
    from fairpay.tables.store import notices  # a damaged data folder is stated in every output

    return RequiredRate(
        country=where.country,
        subdivision=where.subdivision,
        locality=where.locality,
        seconds_per_task=t,
        unpaid_seconds_per_task=o,
        pay_currency=req.currency,
        local_currency=bench.currency,
        fx_rate=conv.rate,
        fx_year=conv.year_used,
        bar_hourly=bar,
        required_pay_per_task=required_pay_per_task(
            bar,
            t,
            unpaid_seconds=o,
            lost_share=req.unpaid.lost_share,
            keep=req.deductions.keep,
            fx_rate=conv.rate,
            currency=req.currency,
        ),
        benchmark=bench,
        adjustments=conv.adjustments + _margin_note(pol),
        warnings=tuple(dict.fromkeys([*bar_warnings(bench, stale_years=STALE_YEARS), *notices()])),
    )


# ------------------------------------------------------------------------------------ helpers
def _as_project(project: Project | Mapping[str, Any] | str | Path) -> Project:
    if isinstance(project, Project):
        return project
    if isinstance(project, (str, Path)):
        return load_project(project)
    if isinstance(project, Mapping):
        return parse_project(dict(project))
    raise InvalidInputError(f"project must be a Project, a spec dict or a path, not {type(project).__name__}")


def merge_policy(base: Policy, policy: Policy | Mapping[str, Any] | None) -> Policy:
    """``base`` (a project's policy) with the fields of ``policy`` (a Policy or a mapping) over it;
    shared with the vendor checks, so a policy means the same everywhere."""
    if policy is None:
        return base
    if isinstance(policy, Policy):
        return policy
    from pydantic import ValidationError

    from fairpay.prelaunch.spec import describe_errors

    try:
        return Policy.model_validate({**base.model_dump(), **dict(policy)})
    except ValidationError as exc:
        raise SpecError(f"policy: {describe_errors(exc)}") from None


def override_row(o: BenchmarkOverride, current_year: int) -> BenchmarkRow:
    """A project's own benchmark (``benchmarks:`` in the spec) as a benchmark row, cited as the user's."""
    return BenchmarkRow(
        kind=o.kind,
        country=o.country,
        subdivision=o.subdivision,
        area=None,
        locality=o.locality,
        household=None,
        method="user_override",
        amount=o.amount,
        currency=o.currency,
        period=o.period,
        gross_net=o.gross_net,
        hours_per_week=o.hours_per_week,
        reference_year=o.reference_year or current_year,
        confidence=None,
        source=o.source
        + ("" if o.reference_year else f" (no reference year given; taken as {current_year})"),
        url=o.url or "(none given)",
        origin="override",
        scope="national" if o.kind == "minimum" else None,
    )


def task_time(task: Task, statistic: str, base_dir: str | None = None) -> TaskTime:
    """Seconds per task for ``task``: as given, or the ``statistic`` of its times/pilot file."""
    if task.seconds is not None:
        return TaskTime(Decimal(str(task.seconds)), "given", f"{task.seconds:g} s per task (given)")
    from fairpay.worktime.estimates import estimate_task_time, per_worker_medians

    if task.times is not None:
        values, workers, origin = list(task.times), None, "times"
        where = f"{len(values)} inline times"
    else:
        path = Path(task.pilot or "")
        if not path.is_absolute() and base_dir:
            path = Path(base_dir) / path
        try:
            values, workers = read_pilot(path, task.column, task.worker_column, task.encoding)
        except InvalidDataError as exc:  # name the task as well as the file and lines
            raise InvalidDataError(f"task {task.name!r}: {exc.source}", exc.records or exc.failures) from None
        except InvalidInputError as exc:
            raise SpecError(f"task {task.name!r}: {exc}") from None
        origin, where = "pilot", f"pilot {path.name}"
    try:
        est = estimate_task_time(values, worker=workers, statistic=statistic)
    except InvalidInputError as exc:
        field = "times" if task.times is not None else f"pilot {task.pilot}"
        raise SpecError(f"task {task.name!r}: {field}: {exc}") from None
    import numpy as np

    if workers is not None:
        codes = np.unique(np.asarray(workers, dtype=object).astype(str), return_inverse=True)[1]
        per_worker = tuple(float(x) for x in per_worker_medians(np.asarray(values, dtype=float), codes))
    else:
        per_worker = tuple(float(x) for x in values)
    unit = f"{est.n_workers} workers' medians" if est.per_worker else f"{est.n} samples"
    desc = (
        f"{est.value:.1f} s per task: {statistic} of {unit} from {where} "
        f"({int(est.confidence * 100)}% CI {est.ci_low:.1f}-{est.ci_high:.1f} s)"
    )
    pilot: dict[str, list[Any]] | None = (
        {"seconds": list(values), "worker_id": list(workers)} if workers is not None else None
    )
    return TaskTime(Decimal(repr(est.value)), origin, desc, per_worker, est, pilot)


def read_pilot(
    path: Path, column: str, worker_column: str | None, encoding: str | None = None
) -> tuple[list[float], list[str] | None]:
    """Task times and optional worker ids from a pilot file: :func:`fairpay.worktime.estimates.read_pilot`."""
    from fairpay.worktime.estimates import read_pilot as read

    return read(path, column, worker_column, encoding=encoding)


def _forecast_model(task: Task, tt: TaskTime, warnings: list[str]) -> Any:
    """One production forecast per pilot task (fairpay.worktime.forecast), fitted with bar = 1 per hour so
    that each place's bar and unpaid time enter as an equivalent rate (see ``_forecast_for``)."""
    if tt.pilot is None:
        return None
    import warnings as pywarnings

    from fairpay.worktime.forecast import forecast_coverage

    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        model = forecast_coverage(tt.pilot, rate=1.0, bar=1.0)
    warnings.extend(f"task {task.name!r}: forecast: {w.message}" for w in caught)
    warnings.extend(f"task {task.name!r}: forecast: {w}" for w in model.warnings)
    return model


def _forecast_for(model: Any, cell: Cell) -> dict[str, Any]:
    """The forecast for one place: a worker is below the bar when their median time exceeds
    ``n x fx x (1 - r) x 3600 / b - o`` seconds; with the model's bar of 1/h that threshold is the
    equivalent rate x 3600."""
    from fairpay.worktime.forecast import break_even_seconds

    pay_equivalent = cell.net_pay_per_task * cell.fx_rate * (1 - cell.lost_share)
    threshold = (
        break_even_seconds(pay_equivalent, cell.bar_hourly, cell.unpaid_seconds_per_task)
        if pay_equivalent > 0
        else 0.0
    )
    if threshold <= 0:
        share, interval = 1.0, (1.0, 1.0)
    else:
        rate = float(threshold) / 3600
        share, interval = model.share_at(rate), model.interval_at(rate)
    return {
        "share_below": None if share is None else round(float(share), 4),
        "interval": [round(float(interval[0]), 4), round(float(interval[1]), 4)],
        "level": model.level,
        "threshold_seconds": round(float(threshold), 2),
        "method": "fairpay.worktime.forecast: seconds per paid task per worker, smoothed bootstrap, drift",
    }


def _cell(
    proj: Project,
    pol: Policy,
    task: Task,
    tt: TaskTime,
    country: str,
    subdivision: str | None,
    locality: str | None,
    share: Decimal,
    bench: Benchmark,
    rates: ExchangeRates,
) -> Cell:
    with localcontext(prec=_PREC):
        conv = _pay_to_local(rates, proj.currency, bench)
        fx = conv.rate
        keep = proj.deductions.keep
        r = proj.unpaid.lost_share
        t = tt.seconds
        o = proj.unpaid.overhead_seconds(task.unpaid_seconds)
        pay = task.pay_per_task
        n = pay * keep
        w = n * fx * (1 - r) * 3600 / (t + o)
        b = _with_margin(bench, pol)
        exact_required = _required_exact(b, t, o, r, keep, fx)
        ok = pay >= exact_required
        shortfall = max(Decimal(0), b - w) if not ok else Decimal(0)
        cov = None
        if tt.per_worker:
            from fairpay.worktime.estimates import coverage

            cov = coverage(list(tt.per_worker), n * fx * (1 - r), b, overhead_seconds=o)
        return Cell(
            task=task.name,
            country=country,
            subdivision=subdivision,
            locality=locality,
            share=share,
            volume=Decimal(task.volume) * share,
            pay_per_task=pay,
            pay_currency=proj.currency,
            net_pay_per_task=n,
            seconds_per_task=t,
            unpaid_seconds_per_task=o,
            lost_share=r,
            local_currency=bench.currency,
            fx_rate=fx,
            fx_year=conv.year_used,
            effective_hourly=w,
            benchmark_hourly=bench.hourly,
            bar_hourly=b,
            ratio=w / b,
            ok=ok,
            shortfall_hourly=shortfall,
            shortfall_hourly_pay=shortfall / fx,
            required_pay_per_task=round_up(exact_required, proj.currency),
            benchmark=bench,
            time_source=tt.description,
            coverage=cov,
            adjustments=conv.adjustments + _margin_note(pol),
        )


def _cited_rates(rates: ExchangeRates | None, cited: Sequence[ExchangeRateOverride]) -> ExchangeRates:
    """The rates to convert with: the given (else bundled) table, with the user's cited rates on top."""
    if rates is None:
        from fairpay.tables.rates import bundled_rates

        rates = bundled_rates()
    return rates.with_cited(r.model_dump() for r in cited) if cited else rates


def place_bar(
    collection: Benchmarks,
    country: str,
    subdivision: str | None,
    locality: str | None,
    pol: Policy,
    rates: ExchangeRates | None = None,
) -> Benchmark:
    """The benchmark for one place under ``pol``: the one lookup ``check``, ``rate`` and the vendor
    checks share (``rates``: exchange rates for the bar, default the bundled ones)."""
    return collection.bar(
        Place(country, subdivision),
        kind=pol.benchmark,
        locality=locality,
        household=pol.household,
        method=pol.method,
        inflate=pol.inflate,
        missing_living=pol.missing_living,
        estimate_bound=pol.estimate_bound,
        prefer_gross=pol.prefer_gross,
        rates=rates,
    )


def _pay_to_local(rates: ExchangeRates, currency: str, bench: Benchmark) -> Conversion:
    """One unit of pay currency in the bar's currency, at the bar's price year (or nearest earlier)."""
    return rates.convert(Decimal(1), currency, bench.currency, bench.year, fallback="nearest_earlier")


def _with_margin(bench: Benchmark, pol: Policy) -> Decimal:
    """The hourly bar a verdict is held to: the benchmark plus the policy's margin."""
    return bench.hourly * (1 + Decimal(str(pol.margin)))


def _margin_note(pol: Policy) -> tuple[str, ...]:
    return (f"margin above the benchmark: {pol.margin:g}",) if pol.margin else ()


def _budget(proj: Project, cells: Sequence[Cell]) -> dict[str, Any]:
    fee = Decimal(str(proj.deductions.requester_fee))
    cur = proj.currency
    per_task: list[dict[str, Any]] = []
    totals = {"current": Decimal(0), "compliant_per_place": Decimal(0), "compliant_uniform": Decimal(0)}
    for task in proj.tasks:
        mine = [c for c in cells if c.task == task.name]
        uniform = max([task.pay_per_task, *[c.required_pay_per_task for c in mine]])
        current = sum((c.volume * c.pay_per_task for c in mine), Decimal(0))
        per_place = sum((c.volume * max(c.pay_per_task, c.required_pay_per_task) for c in mine), Decimal(0))
        uni = Decimal(task.volume) * uniform
        totals["current"] += current
        totals["compliant_per_place"] += per_place
        totals["compliant_uniform"] += uni
        per_task.append(
            {
                "task": task.name,
                "volume": task.volume,
                "pay_per_task": _money(task.pay_per_task, cur),
                "uniform_rate": _money(uniform, cur),
                "current": _money(round_up(current, cur), cur),
                "compliant_per_place": _money(round_up(per_place, cur), cur),
                "compliant_uniform": _money(round_up(uni, cur), cur),
            }
        )
    out: dict[str, Any] = {"currency": cur, "requester_fee": f"{fee:f}", "tasks": per_task}
    for key, value in totals.items():
        out[key] = _money(round_up(value, cur), cur)
        out[f"{key}_with_fees"] = _money(round_up(value * (1 + fee), cur), cur)
    # increases are differences of the shown (rounded-up) totals, so the figures add up
    out["increase_per_place"] = _money(
        round_up(totals["compliant_per_place"], cur) - round_up(totals["current"], cur), cur
    )
    out["increase_uniform"] = _money(
        round_up(totals["compliant_uniform"], cur) - round_up(totals["current"], cur), cur
    )
    return out


def _money(amount: Decimal, currency: str) -> str:
    """A budget figure as an exact decimal string (amounts already rounded up where required)."""
    from fairpay.units import figures as fig

    return fig.text(fig.as_given(amount, currency))
