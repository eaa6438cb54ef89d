"""``fairpay forecast PILOT.csv --rate R --bar B``: share of production workers below the bar.

Thin: reads the CSV, calls ``fairpay.worktime.forecast.forecast_coverage``, prints. Exit 0 = forecast
printed; exit 1 = with ``--target``, the forecast share below the bar exceeds the target; exit 2 =
invalid input.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from fairpay.cli import output
from fairpay.errors import InvalidInputError


def register(app: typer.Typer) -> None:
    """Add the ``forecast`` command to the app."""
    app.command("forecast")(forecast_command)


def run(
    pilot: Path,
    rate: float,
    bar: float,
    column: str,
    worker_column: str,
    order_column: str | None,
    target: float | None,
    level: float,
    production_tasks: int | None,
    seed: int,
) -> tuple[dict[str, Any], int]:
    """Compute what the command prints; return (result dict, exit code)."""
    import pandas as pd

    from fairpay.worktime.forecast import ForecastWarning, forecast_coverage

    df = output.read_pilot_csv(pilot)
    if order_column is not None and order_column in df.columns:
        col = df[order_column]
        if not pd.api.types.is_numeric_dtype(col):
            try:
                df[order_column] = pd.to_datetime(col, utc=True, format="ISO8601")
            except (ValueError, TypeError):
                raise InvalidInputError(
                    f"{pilot}: column {order_column!r} value {col.iloc[0]!r}: expected numbers or "
                    "ISO 8601 timestamps"
                ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ForecastWarning)  # the notes are printed below
            fc = forecast_coverage(
                df,
                rate,
                bar,
                seconds_column=column,
                worker_column=worker_column,
                order_column=order_column,
                level=level,
                seed=seed,
                production_tasks=production_tasks,
            )
        out: dict[str, Any] = {"file": str(pilot), "forecast": fc.to_dict()}
        code = 0
        if target is not None:
            needed = fc.rate_for_share(target)
            needed_upper: str | None
            try:
                needed_upper = str(fc.rate_for_share(target, bound="upper"))
            except InvalidInputError:
                needed_upper = None
            out["target"] = target
            out["rate_for_target"] = str(needed)
            out["rate_for_target_upper"] = needed_upper
            code = 1 if fc.share_below > target else 0
    except InvalidInputError as exc:
        raise InvalidInputError(f"{pilot}: {exc}") from None
    return out, code


def forecast_command(
    pilot: Annotated[Path, typer.Argument(help="Pilot CSV, one row per task (assignment).")],
    rate: Annotated[float, typer.Option("--rate", help="Pay per task.")],
    bar: Annotated[float, typer.Option("--bar", help="Hourly wage bar, same currency as --rate.")],
    column: Annotated[str, typer.Option("--column", help="Duration column, seconds.")] = "seconds",
    worker_column: Annotated[str, typer.Option("--worker-column", help="Worker id column.")] = "worker_id",
    order_column: Annotated[
        str | None,
        typer.Option("--order-column", help="Order/time column (numbers or ISO 8601); row order if absent."),
    ] = None,
    target: Annotated[
        float | None,
        typer.Option("--target", help="Acceptable share below the bar, e.g. 0.1; exit 1 if exceeded."),
    ] = None,
    level: Annotated[float, typer.Option("--level", help="Interval coverage.")] = 0.9,
    production_tasks: Annotated[
        int | None,
        typer.Option("--production-tasks", help="Tasks in the production batch (models returning workers)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Forecast the share of production workers whose effective wage will fall below the bar."""
    from fairpay.cli import output

    output.check_format(fmt, ("table", "json"))
    out, code = run(
        pilot, rate, bar, column, worker_column, order_column, target, level, production_tasks, seed
    )
    fc = out["forecast"]
    if fmt == "json":
        typer.echo(json.dumps(out, indent=2))
    else:
        lo, hi = fc["interval"]
        rows = [
            [
                "share below the bar",
                f"{fc['share_below']:.1%}  ({fc['level']:.0%} interval {lo:.1%} to {hi:.1%})",
            ],
            [
                "break-even time",
                f"{fc['threshold_seconds']:.1f} s median per task (rate {fc['rate']:g} x 3600 / bar {fc['bar']:g})",
            ],
            ["pilot", f"{fc['n_workers']} workers, {fc['n_tasks']} tasks"],
            ["naive (pooled tasks)", f"{fc['baseline_share']:.1%}"],
        ]
        rows += [[f"  {name}", f"{shift:+.1f} pp"] for name, shift in fc["effects"]]
        if "target" in out:
            upper = out["rate_for_target_upper"] or "n/a (pilot too small)"
            rows.append(
                [
                    f"rate for <= {out['target']:.0%} below",
                    f"{out['rate_for_target']} (forecast), {upper} (upper bound)",
                ]
            )
        rows += [["note", n] for n in fc["warnings"]]
        output.table(f"Forecast for {out['file']}", ["", "value"], rows, show_header=False)
    if code:
        raise typer.Exit(code)
