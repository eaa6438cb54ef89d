"""``fairpay time PILOT.csv``: task-time estimate, CI, coverage and pilot-size advice.

Thin: reads the CSV, calls ``fairpay.worktime.estimates``, prints. Exit 0 = estimate printed; exit 1 = with
``--pay`` and ``--bar``, the pay per task falls short of the bar at the chosen statistic's time
(workers at that time would earn less than the bar); exit 2 = invalid input.
"""

from __future__ import annotations

import json
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
    order_column: str | None = None,
    production_tasks: int | None = None,
) -> tuple[dict[str, Any], int]:
    """Compute everything the command prints; return (result dict, exit code)."""

    from fairpay.worktime import estimates as timing

    if fmt not in ("table", "json"):
        raise InvalidInputError(f"--format: got {fmt!r}; expected 'table' or 'json'")
    if (pay is None) != (bar is None):
        raise InvalidInputError(
            "--pay and --bar go together: pay per task and hourly bar in the same currency"
        )
    df = output.read_pilot_csv(pilot)
    kwargs: dict[str, Any] = {"column": column, "worker_column": worker_column}
    try:
        est = timing.estimate_task_time(df, statistic=statistic, confidence=confidence, seed=seed, **kwargs)
        advice = timing.pilot_size_needed(df, statistic=statistic, confidence=confidence, seed=seed, **kwargs)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{pilot}: {exc}") from None
    out: dict[str, Any] = {
        "file": str(pilot),
        "estimate": est.to_dict(),
        "advice": advice.advice,
        "workers_needed": advice.workers_needed,
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
            out["forecast"] = _forecast(
                df, p, b, overhead, column, worker_column, order_column, production_tasks
            )
    elif forecast:
        raise InvalidInputError("--forecast needs --pay and --bar")
    return out, code


def _forecast(
    df: Any,
    pay: Decimal,
    bar: Decimal,
    overhead: float,
    column: str,
    worker_column: str | None,
    order_column: str | None,
    production_tasks: int | None,
) -> dict[str, Any]:
    """Production forecast (fairpay.worktime.forecast) of the share below the bar; unpaid seconds enter as
    an equivalent rate: below when median time > pay x 3600 / bar - overhead."""
    from fairpay.worktime.forecast import forecast_coverage

    if worker_column is None:
        raise InvalidInputError("--forecast needs --worker-column: the forecast works on per-worker medians")
    threshold = float(pay) * 3600 / float(bar) - overhead
    if threshold <= 0:
        raise InvalidInputError("--forecast: with this overhead no worker can reach the bar at this pay")
    fc = forecast_coverage(
        df,
        threshold / 3600,
        1.0,
        seconds_column=column,
        worker_column=worker_column,
        order_column=order_column,
        production_tasks=production_tasks,
    )
    return {
        "share_below": fc.share_below,
        "interval": list(fc.interval),
        "level": fc.level,
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
        lines.append(
            f"forecast: {f['share_below']:.0%} of production workers below the bar "
            f"({f['level']:.0%} interval {f['interval'][0]:.0%}-{f['interval'][1]:.0%}); effects: "
            + ", ".join(f"{name} {shift:+.1f} pp" for name, shift in f["effects"])
        )
    lines.append(f"advice: {out['advice']}")
    lines.extend(f"warning: {w}" for w in e["warnings"])
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
        order_column: str | None = typer.Option(
            None, "--order-column", help="Column giving task order (for learning effects)."
        ),
        production_tasks: int | None = typer.Option(
            None, "--production-tasks", help="Tasks in the production batch."
        ),
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
            order_column,
            production_tasks,
        )
        typer.echo(json.dumps(out, indent=2) if fmt == "json" else _table(out))
        if code:
            raise typer.Exit(code)
