"""``fairpay time PILOT.csv`` and ``fairpay monitor LOG``: task time from a pilot; watching production.

``time``: thin, reads the pilot (a platform log with ``--preset``: seconds per paid task per worker
on the audit's worked time; else one row per task), calls ``fairpay.worktime.estimates``, prints and
says which time basis it used. Exit 0 = estimate printed; exit 1 = with ``--pay`` and ``--bar``,
the pay per task falls short of the bar at the chosen statistic's time; exit 2 = invalid input.

``monitor``: :func:`fairpay.worktime.monitor.monitor` on the production log so far. Exit 0 = keep
going; exit 1 = act now (raise the rate, pay top-ups, or not enough data for an all-clear); exit 2 =
invalid input.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from fairpay.cli import output
from fairpay.errors import InvalidInputError


def _decimal(text: str, option: str) -> Decimal:
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInputError(f"{option}: got {text!r}; expected a plain number such as 0.50") from None
    if not d.is_finite() or d < 0:
        raise InvalidInputError(f"{option}: got {text!r}; expected a finite amount >= 0")
    return d


def _share_of(statistic: str) -> float:
    """Share of workers the statistic is meant to cover (p75 -> 0.75; median -> 0.5; means -> 0.5)."""
    from fairpay.worktime.estimates import parse_statistic

    _, q = parse_statistic(statistic)
    return q / 100 if q is not None else 0.5


def run(
    pilot: Path,
    column: str,
    worker_column: str | None,
    statistic: str,
    confidence: float,
    pay: str | None,
    bar: str | None,
    overhead: float,
    seed: int,
    fmt: str,
    forecast: bool = False,
    preset: str | None = None,
    pending: str = "paid",
    merge_gap: float = 0.0,
) -> tuple[dict[str, Any], int]:
    """Compute everything the command prints; return (result dict, exit code)."""
    import warnings

    from fairpay.worktime import estimates as timing
    from fairpay.worktime.durations import AUDIT_BASIS
    from fairpay.worktime.forecast import DURATION_BASIS

    if fmt not in ("table", "json"):
        raise InvalidInputError(f"--format: got {fmt!r}; expected 'table' or 'json'")
    if (pay is None) != (bar is None):
        raise InvalidInputError(
            "--pay and --bar go together: pay per task and hourly bar in the same currency"
        )
    notes: list[str] = []
    audited: Any = None  # per-worker audited times: the forecast's input with --preset
    try:
        if preset is not None:
            df, basis, notes, audited = _audited_pilot(pilot, preset, pending, merge_gap)
            column, worker_column = "seconds", "worker_id"
        else:
            df = output.read_pilot_csv(pilot)
            notes = output.log_hint(df)
            basis = "per-task seconds as given" + (
                " (per-worker medians)" if worker_column else " (no worker ids: each time counts as a worker)"
            )
        kwargs: dict[str, Any] = {"column": column, "worker_column": worker_column}
        with warnings.catch_warnings(record=True) as caught:  # printed as lines, not raw Python warnings
            warnings.simplefilter("always")
            est = timing.estimate_task_time(
                df, statistic=statistic, confidence=confidence, seed=seed, **kwargs
            )
            advice = timing.pilot_size_needed(
                df, statistic=statistic, confidence=confidence, seed=seed, **kwargs
            )
        notes += sorted({str(w.message) for w in caught})
    except InvalidInputError as exc:
        message = str(exc)
        raise InvalidInputError(
            message if message.startswith(str(pilot)) else f"{pilot}: {message}"
        ) from None
    out: dict[str, Any] = {
        "file": str(pilot),
        "basis": basis,
        "estimate": est.to_dict(),
        "advice": advice.advice,
        "workers_needed": advice.workers_needed,
        "notes": notes,
    }
    code = 0
    if pay is not None and bar is not None:
        p, b = _decimal(pay, "--pay"), _decimal(bar, "--bar")
        if b == 0:
            raise InvalidInputError("--bar: got 0; expected an hourly amount > 0")
        share = _share_of(statistic)
        cov = timing.coverage(df, p, b, overhead_seconds=overhead, **kwargs)
        needed = timing.pay_for_coverage(df, b, share, overhead_seconds=overhead, **kwargs)
        seconds = est.value + overhead
        hourly = float(p) * 3600 / seconds if seconds > 0 else float("inf")
        reaches = p * 3600 >= b * Decimal(seconds)  # exact: the float converts without rounding
        out["pay"] = {
            "pay_per_task": str(p),
            "bar_hourly": str(b),
            "overhead_seconds": overhead,
            "effective_hourly_at_statistic": hourly,
            "reaches_bar_at_statistic": bool(reaches),
            "coverage": cov,
            "target_share": share,
            "pay_for_target_share": needed,
        }
        code = 0 if reaches else 1
        if forecast:
            fc_basis = AUDIT_BASIS if preset is not None else DURATION_BASIS
            if audited is not None:  # every worker, also those paid for nothing (always below)
                out["forecast"] = _forecast(audited, p, b, overhead, column, "worker", fc_basis)
            else:
                out["forecast"] = _forecast(df, p, b, overhead, column, worker_column, fc_basis)
    elif forecast:
        raise InvalidInputError("--forecast needs --pay and --bar")
    return out, code


def _audited_pilot(
    pilot: Path, preset: str, pending: str, merge_gap: float
) -> tuple[Any, str, list[str], Any]:
    """One row per worker: worked seconds per paid task, read and measured as ``fairpay audit`` does."""
    import pandas as pd

    from fairpay.worktime.durations import AUDIT_BASIS, audited_time, held_tasks_note, read_log

    times = audited_time(read_log(pilot, preset=preset), pending=pending, merge_gap_seconds=merge_gap)
    notes = [n for n in (held_tasks_note(times),) if n]
    unpaid = times["paid_tasks"] == 0
    if unpaid.any():
        notes.append(
            f"{int(unpaid.sum())} worker(s) were paid for no task (all rejected/returned): left out of the time "
            "estimate; they earn nothing at any rate"
        )
    paid = times[~unpaid]
    if paid.empty:
        raise InvalidInputError(
            f"{pilot}: no worker was paid for any task; no time per paid task to estimate"
        )
    frame = pd.DataFrame(
        {"worker_id": paid["worker"], "seconds": paid["worked_seconds"] / paid["paid_tasks"]}
    )
    return frame, f"{AUDIT_BASIS}; one value per worker (worked seconds / paid tasks)", notes, times


def _forecast(
    df: Any,
    pay: Decimal,
    bar: Decimal,
    overhead: float,
    column: str,
    worker_column: str | None,
    basis: str,
) -> dict[str, Any]:
    """Production forecast (fairpay.worktime.forecast) of the share below the bar; unpaid seconds enter
    through the break-even time (an equivalent rate with a bar of 1 per hour)."""
    import warnings

    from fairpay.worktime.forecast import break_even_seconds, forecast_coverage

    if worker_column is None:
        raise InvalidInputError("--forecast needs --worker-column: the forecast works per worker")
    threshold = break_even_seconds(pay, bar, overhead)
    if threshold <= 0:
        raise InvalidInputError("--forecast: with this overhead no worker can reach the bar at this pay")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the notes are returned in fc.warnings and printed as lines
        fc = forecast_coverage(
            df, threshold / 3600, 1.0, seconds_column=column, worker_column=worker_column, basis=basis
        )
    return {
        "share_below": fc.share_below,
        "interval": list(fc.interval),
        "level": fc.level,
        "basis": fc.basis,
        "effects": [list(e) for e in fc.effects],
        "warnings": list(fc.warnings),
    }


def _up4(x: float) -> str:
    """A required amount shown with 4 decimals, rounded *up* (display never understates it)."""
    return str(Decimal(x).quantize(Decimal("0.0001"), rounding=ROUND_CEILING))


def _table(out: dict[str, Any]) -> str:
    e = out["estimate"]
    who = (
        f"from {e['n_workers']} workers (per-worker medians)"
        if e["per_worker"]
        else "(no worker ids: each time counts as one worker)"
    )
    units = "pilot workers" if e["per_worker"] else "pilot times"
    lines = [
        f"pilot: {out['file']}  {e['n']} times {who}",
        f"basis: {out['basis']}",
        f"{e['statistic']}: {e['value']:.1f} s   {e['confidence']:.0%} CI {e['ci_low']:.1f} – {e['ci_high']:.1f} s "
        f"(bootstrap, {e['n_boot']} resamples, seed {e['seed']})",
        f"median {e['median']:.1f} s   mean {e['mean']:.1f} s   trimmed mean ({e['trim']:.0%} each end) {e['trimmed_mean']:.1f} s",
    ]
    if "pay" in out:
        p = out["pay"]
        lines.append(
            f"pay {p['pay_per_task']} per task vs bar {p['bar_hourly']}/h: {p['effective_hourly_at_statistic']:.2f}/h "
            f"at the {e['statistic']} time; {p['coverage']:.0%} of {units} reach the bar"
        )
        lines.append(
            f"pay for {p['target_share']:.0%} of workers to reach the bar: {_up4(p['pay_for_target_share'])} per task "
            "(round up to the currency's minor unit)"
        )
        if not p["reaches_bar_at_statistic"]:
            lines.append(f"UNDERPAID at the {e['statistic']} time")
    if "forecast" in out:
        f = out["forecast"]
        share = "no point estimate" if f["share_below"] is None else f"{f['share_below']:.0%}"
        lines.append(
            f"forecast: {share} of production workers below the bar "
            f"({f['level']:.0%} interval {f['interval'][0]:.0%}-{f['interval'][1]:.0%}); effects: "
            + ", ".join(f"{name} {shift:+.1f} pp" for name, shift in f["effects"])
        )
        lines.extend(f"warning: forecast: {w}" for w in f["warnings"])
    lines.append(f"advice: {out['advice']}")
    lines.extend(f"warning: {w}" for w in e["warnings"])
    lines.extend(f"note: {n}" for n in out["notes"])
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add the ``time`` command to the app."""

    @app.command("time")
    def time_command(
        pilot: Path = typer.Argument(..., help="Pilot CSV, one row per task."),
        column: str = typer.Option("seconds", "--column", help="Column with seconds per task."),
        worker_column: str | None = typer.Option(
            None, "--worker-column", help="Column with worker ids (per-worker medians)."
        ),
        statistic: str = typer.Option(
            "p75", "--statistic", help="p75 (default), pNN, median, mean or trimmed_mean."
        ),
        confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the bootstrap CI."),
        pay: str | None = typer.Option(None, "--pay", help="Pay per task (same currency as --bar)."),
        bar: str | None = typer.Option(None, "--bar", help="Hourly bar, e.g. a living wage per hour."),
        overhead: float = typer.Option(
            0.0, "--overhead", help="Unpaid seconds per task to add (instructions, search)."
        ),
        seed: int = typer.Option(0, "--seed", help="Bootstrap seed (results are reproducible)."),
        fmt: str = typer.Option("table", "--format", help="table or json."),
        forecast: bool = typer.Option(
            False,
            "--forecast",
            help="With --pay/--bar: forecast the share of production workers below the bar.",
        ),
        preset: str | None = typer.Option(
            None,
            "--preset",
            help="Log format as in `fairpay audit` (mturk, prolific, generic): time per paid task on worked time.",
        ),
        pending: str = typer.Option(
            "paid", "--pending", help="With --preset: paid or unpaid, as in the audit."
        ),
        merge_gap: float = typer.Option(0.0, "--merge-gap", help="With --preset: seconds, as in the audit."),
    ) -> None:
        """Estimate time per task from a pilot (statistic + CI), coverage of a pay, pilot-size advice."""
        out, code = run(
            pilot,
            column,
            worker_column,
            statistic,
            confidence,
            pay,
            bar,
            overhead,
            seed,
            fmt,
            forecast,
            preset,
            pending,
            merge_gap,
        )
        typer.echo(output.plain_json(out) if fmt == "json" else _table(out))
        if code:
            raise typer.Exit(code)

    app.command("monitor")(monitor_command)


def monitor_command(
    log: Path = typer.Argument(..., help="Production log so far (CSV/Parquet), as exported by the platform."),
    rate: str = typer.Option(..., "--rate", help="Current pay per task."),
    bar: str = typer.Option(..., "--bar", help="Hourly bar, same currency as --rate."),
    preset: str = typer.Option(
        "generic", "--preset", help="mturk, prolific or generic (as in `fairpay audit`)."
    ),
    target: float = typer.Option(0.1, "--target", help="Acceptable share of workers below the bar."),
    planned_tasks: int | None = typer.Option(None, "--planned-tasks", help="Assignments in the whole batch."),
    pending: str = typer.Option("paid", "--pending", help="paid or unpaid, as in the audit."),
    merge_gap: float = typer.Option(0.0, "--merge-gap", help="Seconds, as in the audit."),
    level: float = typer.Option(0.9, "--level", help="Interval coverage."),
    step: str = typer.Option("0.01", "--step", help="Currency minor unit for rates and top-ups."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Watch production: re-forecast the share below the bar, say when to raise the rate and to what."""
    import warnings

    from fairpay.worktime.monitor import monitor

    output.check_format(fmt, ("table", "json"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # every note is in the report's messages
        try:
            report = monitor(
                log,
                rate,
                bar,
                preset=preset,
                pending=pending,
                merge_gap_seconds=merge_gap,
                target=target,
                planned_tasks=planned_tasks,
                level=level,
                step=step,
            )
        except InvalidInputError as exc:
            message = str(exc)
            raise InvalidInputError(
                message if message.startswith(str(log)) else f"{log}: {message}"
            ) from None
    d = report.to_dict()
    if fmt == "json":
        typer.echo(output.plain_json(d))
    else:
        typer.echo(_monitor_table(d))
    if report.needs_action:
        raise typer.Exit(1)


def _monitor_table(d: dict[str, Any]) -> str:
    f = d["forecast"]
    lo, hi = f["interval"]
    share = "no forecast yet" if f["share_below"] is None else f"{f['share_below']:.1%}"
    done = f"{d['tasks_done']}" + (f" of {d['planned_tasks']}" if d["planned_tasks"] else "")
    lines = [
        f"monitor: {d['action'].upper()}",
        f"basis: {d['basis']}",
        f"so far: {done} tasks, {d['workers']} workers; {d['share_below_so_far']:.1%} below the bar at {d['rate']} "
        f"per task (bar {d['bar']}/h)",
        f"forecast at the end: {share} below ({f['level']:.0%} interval {lo:.1%} to {hi:.1%}); "
        f"target {d['target']:.0%}",
    ]
    if d["raise_to"] is not None:
        upper = d["raise_to_upper"] or "n/a"
        lines.append(
            f"rate for <= {d['target']:.0%} below: {d['raise_to']} (forecast), {upper} (upper bound)"
        )
    lines.append(f"top-ups owed so far: {d['top_ups_so_far']} to {d['workers_owed']} worker(s)")
    if d["held_tasks"]:
        lines.append(f"note: {d['held_tasks']}")
    lines += [f"note: {m}" for m in d["messages"]]
    return "\n".join(lines)
