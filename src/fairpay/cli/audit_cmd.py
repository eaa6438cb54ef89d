"""``fairpay audit LOG``: audit a submission log, write the tables and bonus files, exit 1 if anyone is below."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

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
    method: Annotated[
        str | None, typer.Option("--method", help="Living-wage method(s), comma-separated (e.g. anker,mit).")
    ] = None,
    household: Annotated[
        str | None,
        typer.Option("--household", help="typical_family, blended, standard_family, single_adult."),
    ] = None,
    missing_living: Annotated[
        str,
        typer.Option(
            "--missing-living", help="Where no living wage is cited: estimate (default), minimum, error."
        ),
    ] = "estimate",
    prefer_gross: Annotated[
        bool,
        typer.Option(
            "--prefer-gross/--no-prefer-gross",
            help="Rank gross living wages before unspecified and net ones (default; as a spec's policy).",
        ),
    ] = True,
    fixed_bar: Annotated[
        str | None,
        typer.Option("--bar", help="A fixed hourly bar for every worker (e.g. 15), cited as your own."),
    ] = None,
    bar_currency: Annotated[
        str | None, typer.Option("--bar-currency", help="Currency of --bar (ISO 4217), e.g. USD.")
    ] = None,
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
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding", help="Text encoding of a non-UTF-8 CSV log (e.g. latin-1); default UTF-8."
        ),
    ] = None,
    max_task_hours: Annotated[
        float | None,
        typer.Option(
            "--max-task-hours", help="Longest plausible task, hours (default 24); longer is refused."
        ),
    ] = None,
    implausible: Annotated[
        str,
        typer.Option(
            "--implausible",
            help="error (default) or set_aside: rows with implausible times are listed and left out.",
        ),
    ] = "error",
) -> None:
    """Audit a log: worked time, earnings, wage vs the local bar, top-ups; exit 1 if anyone is below."""

    from fairpay.auditing.engine import audit
    from fairpay.auditing.ledger import EXPORTERS
    from fairpay.auditing.settings import AuditSettings
    from fairpay.cli import fail
    from fairpay.tables.csvsafe import frame_to_safe_csv

    if fmt not in ("csv", "parquet", "json"):
        raise fail(f"--format {fmt!r} is not csv, parquet or json")
    if bonus_format is not None and bonus_format not in EXPORTERS:
        raise fail(f"--bonus-file {bonus_format!r} is not one of {', '.join(EXPORTERS)}")
    if (bonus_format or key_file or previous) and out is None:  # what they change is written there
        raise fail("--bonus-file, --pseudonymize-key-file and --previous-payments need --out DIR")
    key = _key(key_file)  # read (and refused) before the audit's work, like every input file
    _check_targets(out, report)
    bar_source = _bar_source(fixed_bar, bar_currency, method, household)
    where = _where(country, places, encoding)
    paid_before = None
    if previous is not None:  # read (and refused) before the audit's work, not after it
        from fairpay.auditing.ledger import previous_payments_table
        from fairpay.errors import InvalidInputError
        from fairpay.tables.read import read_frame

        frame = read_frame(previous, what="--previous-payments", encoding=encoding)
        try:
            paid_before = previous_payments_table(frame)
        except InvalidInputError as exc:
            raise fail(f"--previous-payments {previous}: {exc}") from None
    settings = AuditSettings(
        preset=preset,
        columns=_pairs(columns, "--columns") or None,
        defaults=_pairs(defaults, "--defaults") or None,
        kind=kind,
        method=tuple(m.strip() for m in method.split(",") if m.strip()) if method else None,
        household=household,
        missing_living=missing_living,
        prefer_gross=prefer_gross,
        year=year,
        fx_fallback=fx_fallback,
        merge_gap_seconds=merge_gap,
        pending=pending,  # type: ignore[arg-type]  # checked by AuditSettings
        encoding=encoding,
        max_task_hours=max_task_hours,
        implausible=implausible,
    )
    result = audit(
        log,
        settings,
        country=where,
        benchmarks=bar_source,
        memory_limit=memory_limit,
        progress=sys.stderr.isatty() if progress is None else progress,
    )
    _echo_warnings(result)
    if result.set_aside is not None and len(result.set_aside) and out is not None:
        out.mkdir(parents=True, exist_ok=True)
        frame_to_safe_csv(result.set_aside, out / "set_aside.csv")
    below = result.workers[result.workers["below"]]
    summary = {k: v for k, v in result.to_dict().items() if k not in ("worker_table",)}
    totals = ", ".join(f"{v} {k}" for k, v in summary["total_top_up"].items()) or "0"
    typer.echo(f"{len(result.workers)} workers, {len(below)} below the bar; top-up needed: {totals}")
    if out is not None:
        _write_tables(result, summary, out, fmt, key, paid_before, bonus_format)
    if report is not None:
        from fairpay.report.document import write_report

        # the same key as the tables: the report's pseudonyms join with them and the ledger
        write_report(result, report, key=key)
        typer.echo(f"report: {report}")
    if not result.ok:
        raise typer.Exit(1)


def _check_targets(out: Path | None, report: Path | None) -> None:
    """Refuse an ``--out`` that is a file and a ``--report`` of unknown format or in a missing
    folder before any work: found after the audit, they printed a verdict line, then an error."""
    from fairpay.cli import fail

    if out is not None and out.exists() and not out.is_dir():
        raise fail(f"--out {out}: a file is there; expected a folder (made when missing)")
    if report is not None:
        from fairpay.report.document import report_format

        report_format(report)
        if not report.parent.is_dir():
            raise fail(f"--report {report}: folder {report.parent} does not exist")


def _key(key_file: Path | None) -> bytes | None:
    """The pseudonymisation key from ``--pseudonymize-key-file`` (surrounding whitespace dropped),
    or None; an unreadable, empty or short key is refused before any work (an empty one would
    otherwise leave the worker ids in the tables)."""
    if key_file is None:
        return None
    from fairpay.auditing.ledger import key_bytes
    from fairpay.cli import fail
    from fairpay.errors import InvalidInputError

    try:
        raw = key_file.read_bytes().strip()
    except OSError as exc:
        raise fail(f"--pseudonymize-key-file {key_file}: cannot be read ({exc.strerror or exc})") from None
    if not raw:
        raise fail(f"--pseudonymize-key-file {key_file}: the file is empty; expected a secret key")
    try:
        return key_bytes(raw)
    except InvalidInputError as exc:
        raise fail(f"--pseudonymize-key-file {key_file}: {exc}") from None


def _bar_source(
    fixed_bar: str | None, currency: str | None, method: str | None, household: str | None
) -> Any:
    """The user's own fixed bar (``--bar``/``--bar-currency``), or None for the cited benchmarks."""
    from fairpay.cli import fail

    if (fixed_bar is None) != (currency is None):
        raise fail("give --bar and --bar-currency together (e.g. --bar 15 --bar-currency USD)")
    if fixed_bar is None:
        return None
    if method or household:
        raise fail("--bar is one fixed bar for everyone: --method and --household do not apply")
    from fairpay.wages import FixedBar

    return FixedBar(fixed_bar, currency or "", source=f"the user's own fixed bar ({fixed_bar} {currency}/h)")


def _where(country: str | None, places: Path | None, encoding: str | None) -> Any:
    """Where the workers live: one ``--country`` for all, the ``--places`` table, or the log's own column."""
    from fairpay.cli import fail

    if places is None:
        return country
    if country is not None:
        raise fail("give --country or --places, not both")
    from fairpay.tables.read import read_frame

    return read_frame(places, what="--places", encoding=encoding).replace("", None)


def _echo_warnings(result: Any) -> None:
    """The audit's warnings and what each bar rests on (estimate, minimum, history, net), on stderr;
    they can quote ids from the log, so control characters are shown, never obeyed."""
    from fairpay.report.safetext import visible
    from fairpay.wages import Benchmark, bar_warnings

    for w in result.warnings:
        typer.echo(f"fairpay: warning: {visible(w)}", err=True)
    for bench in result.benchmarks.values():
        if isinstance(bench, Benchmark):
            for note in bar_warnings(bench):
                typer.echo(f"fairpay: warning: {visible(note)}", err=True)


def _write_tables(
    result: Any,
    summary: dict[str, Any],
    out: Path,
    fmt: str,
    key: bytes | None,
    paid_before: Any,
    bonus_format: str | None,
) -> None:
    """The result tables, the ledger and ``summary.json`` in ``out`` (ids pseudonymised with ``key``),
    and the bonus file when asked for."""
    from fairpay.auditing.ledger import EXPORTERS, pseudonymize_frame
    from fairpay.tables.csvsafe import frame_to_safe_csv
    from fairpay.units.figures import exact_money_frame, json_records

    out.mkdir(parents=True, exist_ok=True)
    pairs = result.worker_projects
    # a pair's local figures are in its worker's local currency: name it beside them (mapped once
    # per worker on the categorical, not once per pair)
    workers = result.workers
    local = pairs["worker"].map(dict(zip(workers["worker"], workers["local_currency"], strict=True)))
    ledger = result.ledger(paid_before)
    tables = {
        "workers": result.workers,
        "worker_projects": pairs.assign(local_currency=local),
        "projects": result.projects,
        "bars": result.bars,
        "ledger": ledger,
    }
    for name, df in tables.items():
        if key and "worker" in df:
            df = pseudonymize_frame(df, key)
        target = out / f"{name}.{fmt}"
        if fmt == "csv":  # money exact (Decimal), ids and reasons neutralised
            frame_to_safe_csv(exact_money_frame(df), target)
        elif fmt == "parquet":
            exact_money_frame(df).to_parquet(target, index=False)
        else:
            target.write_text(
                json.dumps(json_records(df), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
    (out / "summary.json").write_text(
        json.dumps(summary, indent=1, default=str, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    if bonus_format:
        n = EXPORTERS[bonus_format](ledger, out / f"bonus_{bonus_format}.csv")
        typer.echo(f"bonus file: {out / f'bonus_{bonus_format}.csv'} ({n} workers)")
