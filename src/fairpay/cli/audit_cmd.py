"""``fairpay audit LOG``: audit a submission log, write the tables and bonus files, exit 1 if anyone is below."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``audit`` command to the app."""
    app.command("audit")(audit_command)


def _pairs(text: str | None, what: str) -> dict[str, str]:
    from fairpay.errors import InvalidInputError

    out: dict[str, str] = {}
    for item in filter(None, (t.strip() for t in (text or "").split(","))):
        k, sep, v = item.partition("=")
        if not sep or not k.strip() or not v.strip():
            raise InvalidInputError(f"{what} item {item!r} is not NAME=VALUE")
        out[k.strip()] = v.strip()
    return out


def audit_command(
    log: Annotated[Path, typer.Argument(help="Submission log: CSV or Parquet.")],
    preset: Annotated[str, typer.Option("--preset", help="mturk, prolific or generic.")] = "generic",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for workers/worker_projects/projects tables and bonus files."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, parquet or json (tables in --out).")] = "csv",
    columns: Annotated[
        str | None, typer.Option("--columns", help="Canonical=Source pairs, e.g. worker=uid,started=t0.")
    ] = None,
    defaults: Annotated[
        str | None,
        typer.Option(
            "--defaults", help="Constants for missing columns, e.g. currency=GBP,project=study1,reward=2.5."
        ),
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="One country for every worker (MTurk exports have none).")
    ] = None,
    places: Annotated[
        Path | None, typer.Option("--places", help="CSV of worker,country[,subdivision].")
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help="living, minimum or higher.")] = "higher",
    year: Annotated[
        int | None,
        typer.Option("--year", help="Price and exchange-rate year (default: year of the last submission)."),
    ] = None,
    fx_fallback: Annotated[str, typer.Option("--fx-fallback", help="error or nearest_earlier.")] = "error",
    merge_gap: Annotated[
        float, typer.Option("--merge-gap", help="Merge a worker's tasks at most this many seconds apart.")
    ] = 0.0,
    pending: Annotated[
        str, typer.Option("--pending", help="Count submitted-but-unreviewed work as paid or unpaid.")
    ] = "paid",
    previous: Annotated[
        Path | None,
        typer.Option("--previous-payments", help="CSV worker,currency,amount of back-pay already paid."),
    ] = None,
    bonus_format: Annotated[
        str | None, typer.Option("--bonus-file", help="Also write a bonus file: prolific, mturk or generic.")
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--pseudonymize-key-file", help="Pseudonymise worker ids in the tables with this secret key."
        ),
    ] = None,
    memory_limit: Annotated[
        str | None, typer.Option("--memory-limit", help="Engine memory limit, e.g. 1GB.")
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar (default: when stderr is a terminal)."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Also write a shareable report: .html, .md or .json (worker ids pseudonymised)."
        ),
    ] = None,
) -> None:
    """Audit a log: worked time, earnings, wage vs the local bar, top-ups; exit 1 if anyone is below."""
    import pandas as pd

    from fairpay.auditing.engine import AuditSettings, audit
    from fairpay.auditing.ledger import EXPORTERS, pseudonymize_frame
    from fairpay.cli import fail
    from fairpay.report.csvsafe import frame_to_safe_csv

    if fmt not in ("csv", "parquet", "json"):
        raise fail(f"--format {fmt!r} is not csv, parquet or json")
    if bonus_format is not None and bonus_format not in EXPORTERS:
        raise fail(f"--bonus-file {bonus_format!r} is not one of {', '.join(EXPORTERS)}")
    if (bonus_format or key_file) and out is None:
        raise fail("--bonus-file and --pseudonymize-key-file need --out DIR")
    where: object = country
    if places is not None:
        if country is not None:
            raise fail("give --country or --places, not both")
        where = pd.read_csv(places, dtype=str, keep_default_na=False).replace("", None)
    settings = AuditSettings(
        preset=preset,
        columns=_pairs(columns, "--columns") or None,
        defaults=_pairs(defaults, "--defaults") or None,
        kind=kind,
        year=year,
        fx_fallback=fx_fallback,
        merge_gap_seconds=merge_gap,
        pending=pending,  # type: ignore[arg-type]  # checked by AuditSettings
    )
    result = audit(
        log,
        settings,
        country=where,
        memory_limit=memory_limit,
        progress=sys.stderr.isatty() if progress is None else progress,
    )
    for w in result.warnings:
        typer.echo(f"fairpay: warning: {w}", err=True)
    below = result.workers[result.workers["below"]]
    totals = (
        ", ".join(f"{v:,.2f} {k}" for k, v in below.groupby("pay_currency")["top_up"].sum().items()) or "0"
    )
    typer.echo(f"{len(result.workers)} workers, {len(below)} below the bar; top-up needed: {totals}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        key = key_file.read_bytes().strip() if key_file else None
        tables = {
            "workers": result.workers,
            "worker_projects": result.worker_projects,
            "projects": result.projects,
            "bars": result.bars,
        }
        ledger = result.ledger(previous)
        tables["ledger"] = ledger
        for name, df in tables.items():
            if key and "worker" in df:
                df = pseudonymize_frame(df, key)
            target = out / f"{name}.{fmt}"
            if fmt == "csv":
                frame_to_safe_csv(df, target)  # ids and reasons may start with a formula character
            elif fmt == "parquet":
                df.to_parquet(target, index=False)
            else:
                target.write_text(df.to_json(orient="records", indent=1), encoding="utf-8")
        (out / "summary.json").write_text(
            json.dumps(
                {k: v for k, v in result.to_dict().items() if k not in ("worker_table",)},
                indent=1,
                default=str,
            ),
            encoding="utf-8",
        )
        if bonus_format:
            n = EXPORTERS[bonus_format](ledger, out / f"bonus_{bonus_format}.csv")
            typer.echo(f"bonus file: {out / f'bonus_{bonus_format}.csv'} ({n} workers)")
    if report is not None:
        from fairpay.report.document import write_report

        write_report(result, report)
        typer.echo(f"report: {report}")
    if not result.ok:
        raise typer.Exit(1)
