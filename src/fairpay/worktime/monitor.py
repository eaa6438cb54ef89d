"""Watch production: re-forecast the share below the bar from the growing log, say when to raise.

Why: a pilot cannot see how production will differ from it (other workers, other hours, workers
holding more tasks), so the honest answer to drift is to look at production as it runs. The
monitor reads the production log so far with the audit's presets, measures each worker's
worked time exactly as ``fairpay audit`` will (:func:`fairpay.worktime.durations.audited_time`),
re-runs the forecast on those workers (with the smaller drift measured from part of production to
all of it, :data:`fairpay.worktime.forecast.MONITOR_DRIFT`), and says whether to raise the
per-task rate and to what. Whatever the forecast still misses is paid at the end: the monitor
reports the top-ups owed so far on the same definition, and hands over to ``fairpay audit``, whose
top-ups are the binding ones (pay currency, exchange rates and the bar where each worker lives).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any, Literal

from fairpay.errors import InvalidInputError
from fairpay.worktime.forecast import MONITOR_DRIFT, CoverageForecast, Drift, _finite, forecast_coverage

__all__ = ["MonitorReport", "monitor"]

Action = Literal["continue", "raise", "wait", "top up"]


@dataclass(frozen=True)
class MonitorReport:
    """What the monitor saw and what to do now.

    ``action``: ``"continue"`` (the forecast is within the target), ``"raise"`` (raise the
    per-task rate to ``raise_to`` now), ``"wait"`` (too few paid workers to forecast yet: keep
    watching, no all-clear), ``"top up"`` (the batch is complete and workers are below the bar:
    run the audit and pay its top-ups). ``needs_action`` is true for all but ``"continue"``.
    ``share_below_so_far``: share of workers so far below the bar on their work so far (measured);
    ``forecast``: the share of production workers below when the batch ends (interval at
    ``forecast.level``). ``top_ups_so_far``: what workers below the bar are owed now at this rate
    and bar, rounded up per worker to ``step`` (same currency as the rate).
    """

    action: Action
    rate: Decimal
    bar: Decimal
    target: float
    tasks_done: int
    planned_tasks: int | None
    workers: int
    share_below_so_far: float
    forecast: CoverageForecast
    raise_to: Decimal | None
    raise_to_upper: Decimal | None
    top_ups_so_far: Decimal
    workers_owed: int
    held_tasks: str | None
    messages: list[str]

    @property
    def needs_action(self) -> bool:
        """True when the requester must act (raise, pay top-ups) or cannot yet be told all is well."""
        return self.action != "continue"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict: money as strings, fractions as floats, no Infinity or NaN."""
        return {
            "action": self.action,
            "needs_action": self.needs_action,
            "basis": self.forecast.basis,
            "rate": str(self.rate),
            "bar": str(self.bar),
            "target": self.target,
            "tasks_done": self.tasks_done,
            "planned_tasks": self.planned_tasks,
            "workers": self.workers,
            "share_below_so_far": _finite(self.share_below_so_far),
            "forecast": self.forecast.to_dict(),
            "raise_to": None if self.raise_to is None else str(self.raise_to),
            "raise_to_upper": None if self.raise_to_upper is None else str(self.raise_to_upper),
            "top_ups_so_far": str(self.top_ups_so_far),
            "workers_owed": self.workers_owed,
            "held_tasks": self.held_tasks,
            "messages": list(self.messages),
        }


def _money(value: Any, name: str) -> Decimal:
    """A positive finite Decimal from a number or text ("0.40"), exactly as written."""
    if isinstance(value, bool):
        raise InvalidInputError(f"{name} {value!r}: expected a positive amount such as 0.40")
    try:
        d = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise InvalidInputError(f"{name} {value!r}: expected a positive amount such as 0.40") from None
    if not d.is_finite() or d <= 0:
        raise InvalidInputError(f"{name} {value!r}: expected a positive, finite amount")
    return d


def monitor(
    log: Any,
    rate: Any,
    bar: Any,
    *,
    preset: Any = "generic",
    columns: Any = None,
    defaults: Any = None,
    pending: str = "paid",
    merge_gap_seconds: float = 0,
    target: float = 0.1,
    planned_tasks: int | None = None,
    level: float = 0.9,
    drift: Drift | None = MONITOR_DRIFT,
    step: Decimal | str = "0.01",
    seed: int = 0,
) -> MonitorReport:
    """Re-forecast, from the production log so far, the share of workers below the bar at ``rate``.

    ``log``: the production log so far (DataFrame or CSV/Parquet path), read with ``preset``
    (generic, mturk, prolific; ``columns``/``defaults`` as in :func:`fairpay.audit`); ``pending`` and
    ``merge_gap_seconds`` as in the audit. ``rate``: pay per task; ``bar``: hourly bar, same
    currency. ``target``: the acceptable share below the bar. ``planned_tasks``: the batch's
    assignments in total; when the log has that many the batch is complete and the monitor hands
    over to the audit. ``step``: the currency's minor unit for ``raise_to`` and top-ups (rounded up).
    """
    from fairpay.worktime.durations import AUDIT_BASIS, audited_time, held_tasks_note, read_log

    rate_d = _money(rate, "rate")
    bar_d = _money(bar, "bar")
    step_d = _money(step, "step")
    try:
        target_f = float(target)
    except (TypeError, ValueError):
        raise InvalidInputError(f"target {target!r}: expected a share in (0, 1), e.g. 0.1") from None
    if not (0.0 < target_f < 1.0):
        raise InvalidInputError(f"target {target!r}: expected a share in (0, 1), e.g. 0.1")
    if planned_tasks is not None and (
        isinstance(planned_tasks, bool) or int(planned_tasks) != planned_tasks or planned_tasks < 1
    ):
        raise InvalidInputError(f"planned_tasks {planned_tasks!r}: expected a positive whole number")
    rows = read_log(log, preset=preset, columns=columns, defaults=defaults)
    times = audited_time(rows, pending=pending, merge_gap_seconds=merge_gap_seconds)
    import warnings

    from fairpay.worktime.forecast import ForecastWarning, break_even_seconds

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)  # the notes are in fc.warnings
        fc = forecast_coverage(
            times, float(rate_d), float(bar_d), level=level, drift=drift, seed=seed, basis=AUDIT_BASIS
        )
    threshold = break_even_seconds(float(rate_d), float(bar_d))
    paid = times["paid_tasks"].to_numpy()
    worked = times["worked_seconds"].to_numpy()
    below_now = (paid == 0) | (worked > paid * threshold * (1 + 1e-9))
    share_now = float(below_now.mean())
    owed, n_owed = _top_ups(times, rate_d, bar_d, step_d)
    done = len(rows)
    complete = planned_tasks is not None and done >= planned_tasks
    messages = list(fc.warnings)
    held = held_tasks_note(times)
    raise_to = raise_upper = None
    if complete:
        action: Action = "top up" if n_owed else "continue"
        messages.append(
            f"the batch is complete ({done} of {planned_tasks} tasks): "
            + (
                f"{n_owed} worker(s) are below the bar; run `fairpay audit` on this log with the same preset "
                "and pay its top-ups (they use each worker's place, pay currency and exchange rate)"
                if n_owed
                else "nobody is below the bar on worked time; `fairpay audit` with the place's bar confirms it"
            )
        )
    elif fc.degenerate:
        action = "wait"
        messages.append(
            "too few paid workers to forecast yet: keep the batch small or paused and run the monitor again"
        )
    else:
        assert fc.share_below is not None
        try:
            raise_to = fc.rate_for_share(target_f, step=step_d)
        except InvalidInputError as exc:
            messages.append(str(exc))
        try:
            raise_upper = fc.rate_for_share(target_f, bound="upper", step=step_d)
        except InvalidInputError:
            raise_upper = None
        if fc.share_below > target_f:
            action = "raise"
            if raise_to is not None and raise_to > rate_d:
                messages.append(
                    f"raise the rate to {raise_to} per task now: at {rate_d} the forecast is "
                    f"{fc.share_below:.0%} of workers below the bar (target {target_f:.0%})"
                )
        else:
            action = "continue"
            if fc.interval[1] > target_f and raise_upper is not None:
                messages.append(
                    f"the forecast is within the target, but its upper end ({fc.interval[1]:.0%}) is not; "
                    f"{raise_upper} per task would keep the upper end at {target_f:.0%}"
                )
    if not complete:
        messages.append(
            "whatever the forecast misses is paid at the end: `fairpay audit` on the final log computes "
            "the top-ups on the same worked time"
        )
    return MonitorReport(
        action=action,
        rate=rate_d,
        bar=bar_d,
        target=target_f,
        tasks_done=done,
        planned_tasks=None if planned_tasks is None else int(planned_tasks),
        workers=len(times),
        share_below_so_far=share_now,
        forecast=fc,
        raise_to=raise_to,
        raise_to_upper=raise_upper,
        top_ups_so_far=owed,
        workers_owed=n_owed,
        held_tasks=held,
        messages=messages,
    )


def _top_ups(times: Any, rate: Decimal, bar: Decimal, step: Decimal) -> tuple[Decimal, int]:
    """Sum over workers of ``bar x worked hours - rate x paid tasks`` where positive, each rounded up.

    Exact: worked time enters as whole microseconds, money as Decimal.
    """
    total = Decimal(0)
    n = 0
    for worked_s, paid in zip(
        times["worked_seconds"].to_numpy(), times["paid_tasks"].to_numpy(), strict=True
    ):
        owed = bar * Decimal(round(float(worked_s) * 1_000_000)) / Decimal(3_600_000_000) - rate * int(paid)
        if owed > 0:
            total += (owed / step).to_integral_value(rounding=ROUND_CEILING) * step
            n += 1
    return total, n
