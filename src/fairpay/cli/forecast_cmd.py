"""``fairpay forecast PILOT --rate R --bar B``: share of production workers below the bar.

Thin: reads the pilot (a platform log with ``--preset``, measured as the audit measures it; or
one row per task with a seconds column), calls :func:`fairpay.worktime.forecast.forecast_coverage`,
prints. Exit 0 = forecast printed (and, with ``--target``, within it); exit 1 = with ``--target``,
the forecast exceeds the target or the pilot is too small to forecast; exit 2 = invalid input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fairpay.cli import output
from fairpay.errors import InvalidInputError


def register(app: typer.Typer) -> None:
    """Add the ``forecast`` command to the app."""
    app.command("forecast")(forecast_command)


def read_pilot_times(
    pilot: Path,
    preset: str | None,
    column: str,
    worker_column: str,
    order_column: str | None,
    pending: str = "paid",
    merge_gap: float = 0.0,
) -> tuple[Any, list[str]]:
    """The pilot as the forecast takes it, and lines to print (basis notes, held tasks).

    With ``preset``: per-worker worked time and paid tasks, read and measured as ``fairpay audit``
    does. Without: the per-task seconds file (``order_column`` is checked, MTurk times accepted,
    but the forecast has no learning step, so order does not change it).
    """
    from fairpay.worktime.durations import audited_time, held_tasks_note, read_log

    notes: list[str] = []
    if preset is not None:
        times = audited_time(read_log(pilot, preset=preset), pending=pending, merge_gap_seconds=merge_gap)
        held = held_tasks_note(times)
        if held:
            notes.append(held)
        return times, notes
    df = output.read_pilot_csv(pilot)
    if order_column is not None:
        _check_order(df, order_column, pilot)
    notes += output.log_hint(df)
    return pilot, notes  # the forecast reads the file with the one pilot reader (bad rows by line)


def _check_order(df: Any, order_column: str, pilot: Path) -> None:
    """An order column must hold numbers, ISO 8601 times or MTurk times (``Wed Jan 16 13:42:47 PST 2019``)."""
    import pandas as pd

    from fairpay.auditing.presets import MTURK

    if order_column not in df.columns:
        raise InvalidInputError(
            f"{pilot}: no order column {order_column!r}; columns: {', '.join(map(str, df.columns))}"
        )
    col = df[order_column]
    if pd.api.types.is_numeric_dtype(col):
        import numpy as np

        bad = pd.Series(~np.isfinite(col.to_numpy(dtype=float, na_value=np.nan)))
    else:
        text = col.astype("string").str.strip()
        iso = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        mturk = text
        for zone, offset in MTURK.time_zones.items():
            mturk = mturk.str.replace(f" {zone} ", f" {offset} ", regex=False)
        mt = pd.to_datetime(mturk, format=MTURK.time_format, errors="coerce", utc=True)
        bad = iso.isna() & mt.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InvalidInputError(
            f"{pilot}: row {i}, column {order_column!r}, value {col.iloc[i]!r}: expected a number, an ISO 8601 "
            "time or an MTurk time such as 'Wed Jan 16 13:42:47 PST 2019'"
        )


def run(
    pilot: Path,
    rate: float,
    bar: float,
    column: str,
    worker_column: str,
    order_column: str | None,
    target: float | None,
    level: float,
    seed: int,
    preset: str | None = None,
    pending: str = "paid",
    merge_gap: float = 0.0,
) -> tuple[dict[str, Any], int]:
    """Compute what the command prints; return (result dict, exit code)."""
    import warnings

    from fairpay.worktime.forecast import forecast_coverage

    try:
        times, notes = read_pilot_times(
            pilot, preset, column, worker_column, order_column, pending, merge_gap
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fc = forecast_coverage(
                times, rate, bar, seconds_column=column, worker_column=worker_column, level=level, seed=seed
            )
        notes += [str(w.message) for w in caught if str(w.message) not in fc.warnings]
        out: dict[str, Any] = {"file": str(pilot), "forecast": fc.to_dict(), "notes": notes}
        code = 0
        if target is not None:
            if not (0.0 < float(target) < 1.0):
                raise InvalidInputError(f"--target {target!r}: expected a share in (0, 1), e.g. 0.1")
            out["target"] = target
            if fc.share_below is None:  # degenerate pilot: no all-clear, no recommended rate
                out["rate_for_target"] = None
                out["rate_for_target_upper"] = None
                code = 1
            else:
                out["rate_for_target"] = _rate_or_none(fc, target, "point")
                out["rate_for_target_upper"] = _rate_or_none(fc, target, "upper")
                code = 1 if fc.share_below > target else 0
    except InvalidInputError as exc:
        message = str(exc)
        raise InvalidInputError(
            message if message.startswith(str(pilot)) else f"{pilot}: {message}"
        ) from None
    return out, code


def _rate_or_none(fc: Any, target: float, bound: str) -> str | None:
    try:
        return str(fc.rate_for_share(target, bound=bound))
    except InvalidInputError:
        return None


def forecast_command(
    pilot: Annotated[Path, typer.Argument(help="Pilot: a platform log (with --preset) or one row per task.")],
    rate: Annotated[float, typer.Option("--rate", help="Pay per task.")],
    bar: Annotated[float, typer.Option("--bar", help="Hourly wage bar, same currency as --rate.")],
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="Log format as in `fairpay audit` (mturk, prolific, generic): audited worked time.",
        ),
    ] = None,
    column: Annotated[
        str, typer.Option("--column", help="Duration column, seconds (without --preset).")
    ] = "seconds",
    worker_column: Annotated[str, typer.Option("--worker-column", help="Worker id column.")] = "worker_id",
    order_column: Annotated[
        str | None,
        typer.Option(
            "--order-column", help="Order/time column (numbers, ISO 8601 or MTurk times); checked only."
        ),
    ] = None,
    target: Annotated[
        float | None,
        typer.Option("--target", help="Acceptable share below the bar, e.g. 0.1; exit 1 if exceeded."),
    ] = None,
    level: Annotated[float, typer.Option("--level", help="Interval coverage.")] = 0.9,
    pending: Annotated[str, typer.Option("--pending", help="paid or unpaid, as in the audit.")] = "paid",
    merge_gap: Annotated[float, typer.Option("--merge-gap", help="Seconds, as in the audit.")] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Forecast the share of production workers whose audited wage will fall below the bar."""

    output.check_format(fmt, ("table", "json"))
    out, code = run(
        pilot, rate, bar, column, worker_column, order_column, target, level, seed, preset, pending, merge_gap
    )
    if fmt == "json":
        typer.echo(output.plain_json(out))
    else:
        typer.echo(_table(out))
    if code:
        raise typer.Exit(code)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _table(out: dict[str, Any]) -> str:
    fc = out["forecast"]
    lo, hi = fc["interval"]
    thr = fc["threshold_seconds"]
    share = (
        f"{fc['share_below']:.1%}  ({fc['level']:.0%} interval {lo:.1%} to {hi:.1%})"
        if fc["share_below"] is not None
        else f"no point estimate (degenerate pilot); interval {lo:.0%} to {hi:.0%}"
    )
    lines = [
        f"forecast for {out['file']}",
        f"share of production workers below the bar: {share}",
        f"basis: {fc['basis']}",
        "break-even: "
        + (f"{thr:.1f} s per paid task" if thr is not None else "beyond any finite time")
        + f" (rate {fc['rate']:g} x 3600 / bar {fc['bar']:g})",
        f"pilot: {fc['n_workers']} workers, {fc['n_tasks']} tasks; naive pooled-task share {_pct(fc['baseline_share'])}",
    ]
    lines += [f"  {name}: {shift:+.1f} pp" for name, shift in fc["effects"] if shift is not None]
    lines.append(
        f"interval includes pilot-to-production drift (t with {fc['drift']['df']} df, scale "
        f"{fc['drift']['scale']:g} x {fc['drift']['unit']}; measured on real batches)"
    )
    if "target" in out:
        if out["rate_for_target"] is None:
            lines.append(f"rate for <= {out['target']:.0%} below: none (no forecast from this pilot)")
        else:
            upper = out["rate_for_target_upper"] or "n/a"
            lines.append(
                f"rate for <= {out['target']:.0%} below: {out['rate_for_target']} (forecast), {upper} (upper bound)"
            )
    lines += [f"warning: {n}" for n in fc["warnings"]]
    lines += [f"note: {n}" for n in out["notes"]]
    return "\n".join(lines)
