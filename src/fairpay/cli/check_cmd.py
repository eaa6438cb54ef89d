"""``fairpay check`` (the pre-launch gate) and ``fairpay rate`` (quick planning)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fairpay.cli import output

if TYPE_CHECKING:  # pragma: no cover
    from fairpay.prelaunch.check import CheckResult


def register(app: typer.Typer) -> None:
    """Add the ``check`` and ``rate`` commands."""
    app.command("check")(check_command)
    app.command("rate")(rate_command)


def check_command(
    spec: Annotated[Path, typer.Argument(help="Project spec: .toml, .yaml/.yml or .json.")],
    fmt: Annotated[str, typer.Option("--format", help="table, json or markdown.")] = "table",
    margin: Annotated[
        float | None, typer.Option("--margin", help="Margin above the benchmark, e.g. 0.1 for +10 %.")
    ] = None,
    benchmark: Annotated[str | None, typer.Option("--benchmark", help="living, minimum or higher.")] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write a report: .html, .md or .json.")
    ] = None,
) -> None:
    """Check a project before launch. Exit 0 when every task x place reaches the bar, 1 when any is
    below, 2 for invalid input."""
    from fairpay.prelaunch.check import check

    output.check_format(fmt, ("table", "json", "markdown"))
    policy = {k: v for k, v in (("margin", margin), ("benchmark", benchmark)) if v is not None}
    result = check(spec, policy=policy or None)
    if report is not None:
        from fairpay.report.document import write_report

        write_report(result, report)
    if fmt == "json":
        typer.echo(result.to_json())
    elif fmt == "markdown":
        from fairpay.report.document import check_markdown

        typer.echo(check_markdown(result))
    else:
        _print_table(result)
    raise typer.Exit(0 if result.ok else 1)


def _print_table(result: CheckResult) -> None:
    """The console view: the same figures, rounded by the same rule, as JSON and the reports."""
    from fairpay.report.document import bar_label
    from fairpay.report.safetext import plain
    from fairpay.units import figures as fig

    cur = result.pay_currency
    flags = result.flags
    n = len(result.cells_list)
    if flags:
        verdict = f"FAIL: {len(flags)} of {n} task x place cells pay below the bar"
    else:
        verdict = f"PASS: all {n} task x place cells reach the bar"
    output.echo(f"{plain(result.project)}: {verdict}")
    rows = []
    for c in result.cells_list:
        where = (c.subdivision or c.country) + (f" ({c.locality})" if c.locality else "")
        d = c.to_dict()
        rows.append(
            [
                c.task,
                where,
                f"{d['pay_per_task']} {cur}",
                f"{d['effective_hourly']} {c.local_currency}",
                f"{d['bar_hourly']} {c.local_currency}",
                fig.percent_floor(c.ratio),
                "ok" if c.ok else "BELOW",
                f"{d['required_pay_per_task']} {cur}",
                "" if c.coverage is None else fig.share_text(c.coverage, below=False),
                ""
                if c.forecast is None
                else (
                    (
                        "n/a"
                        if c.forecast["share_below"] is None
                        else fig.share_text(c.forecast["share_below"], below=True)
                    )
                    + f" ({fig.share_text(c.forecast['interval'][0], below=True)}-"
                    f"{fig.share_text(c.forecast['interval'][1], below=True)})"
                ),
                bar_label(c, result.policy.get("margin") or 0),
            ]
        )
    columns = [
        "task",
        "place",
        "pay/task",
        "effective/h",
        "bar/h",
        "ratio",
        "verdict",
        "required/task",
        "pilot workers at bar",
        "forecast below (90%)",
        "bar used",
    ]
    if all(c.coverage is None for c in result.cells_list):  # no pilot data: drop both pilot columns
        columns = columns[:8] + columns[10:]
        rows = [r[:8] + r[10:] for r in rows]
    output.table("Per task and place (effective hourly after deductions and unpaid time)", columns, rows)
    b = result.budget
    output.echo(
        f"Budget ({cur}): current {b['current']}; compliant per place {b['compliant_per_place']} "
        f"(+{b['increase_per_place']}); one uniform rate {b['compliant_uniform']} "
        f"(+{b['increase_uniform']})"
        + (
            f"; requester fee {fig.percent_floor(b['requester_fee'])} on top"
            if Decimal(b["requester_fee"])
            else ""
        )
    )
    for t in result.times:
        if t["source"] != "given":
            output.echo(f"Time for {plain(t['task'])!r}: {t['description']}")
    for w in result.warnings:
        output.echo(f"warning: {w}")
    output.echo(
        "Sources: "
        + "; ".join(
            sorted(
                {
                    f"{c.subdivision or c.country}: {c.benchmark.source} "
                    f"({c.benchmark.reference_year}) {c.benchmark.url}"
                    for c in result.cells_list
                }
            )
        )
    )


def rate_command(
    country: Annotated[str, typer.Option("--country", help="Where the workers live (KE, Kenya, IN-MP).")],
    seconds: Annotated[float, typer.Option("--seconds", help="Seconds per task.")],
    region: Annotated[str | None, typer.Option("--region", help="ISO 3166-2 subdivision.")] = None,
    locality: Annotated[str | None, typer.Option("--locality", help="urban, rural or a city name.")] = None,
    currency: Annotated[str, typer.Option("--currency", help="Pay currency (ISO 4217).")] = "USD",
    benchmark: Annotated[str, typer.Option("--benchmark", help="living, minimum or higher.")] = "higher",
    margin: Annotated[float, typer.Option("--margin", help="Margin above the benchmark.")] = 0.0,
    unpaid_seconds: Annotated[float, typer.Option("--unpaid-seconds", help="Unpaid seconds per task.")] = 0.0,
    rejection_rate: Annotated[float, typer.Option("--rejection-rate", help="Share of work not paid.")] = 0.0,
    platform_fee: Annotated[
        float, typer.Option("--platform-fee", help="Share of pay the platform keeps from the worker.")
    ] = 0.0,
    vendor_margin: Annotated[
        float, typer.Option("--vendor-margin", help="Share an intermediary keeps.")
    ] = 0.0,
    payout_fee: Annotated[float, typer.Option("--payout-fee", help="Share lost on payout.")] = 0.0,
    missing_living: Annotated[
        str,
        typer.Option(
            "--missing-living", help="Where no living wage is cited: estimate (default), minimum, error."
        ),
    ] = "estimate",
    estimate_bound: Annotated[
        str, typer.Option("--estimate-bound", help="upper (default, the worker's favour) or point.")
    ] = "upper",
    household: Annotated[
        str | None, typer.Option("--household", help="e.g. typical_family, single_adult.")
    ] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="Ask for one living-wage method by name.")
    ] = None,
    fx_rate: Annotated[
        str | None,
        typer.Option("--fx-rate", help="Your own cited rate, CUR:YEAR=UNITS_PER_USD (e.g. VES:2024=36.6)."),
    ] = None,
    fx_source: Annotated[
        str | None, typer.Option("--fx-source", help="Where --fx-rate comes from (cited as yours).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """The per-task pay that reaches the bar for one place, for quick planning."""
    import json

    from fairpay.prelaunch.check import check

    output.check_format(fmt, ("table", "json"))
    rates: list[dict[str, str]] = []
    if fx_rate is not None or fx_source is not None:
        import re

        from fairpay.errors import InvalidInputError

        match = re.fullmatch(r"\s*([A-Za-z]{3})\s*:\s*(\d{4})\s*=\s*([0-9.eE+-]+)\s*", fx_rate or "")
        if match is None or not fx_source:
            raise InvalidInputError(
                "--fx-rate needs the form CUR:YEAR=UNITS_PER_USD (e.g. VES:2024=36.6) and --fx-source "
                f"naming where it comes from (got --fx-rate {fx_rate!r}, --fx-source {fx_source!r})"
            )
        rates.append({"currency": match[1], "year": match[2], "lcu_per_usd": match[3], "source": fx_source})
    spec = {
        "name": "rate",
        "exchange_rates": rates,
        "currency": currency,
        "tasks": [{"name": "task", "pay_per_task": "0.000001", "seconds": seconds, "volume": 1}],
        "workforce": [{"country": country, "subdivision": region, "locality": locality}],
        "policy": {
            "benchmark": benchmark,
            "margin": margin,
            "missing_living": missing_living,
            "estimate_bound": estimate_bound,
            "household": household,
            "method": [method] if method else None,
        },
        "deductions": {
            "platform_fee": platform_fee,
            "vendor_margin": vendor_margin,
            "payout_fee": payout_fee,
        },
        "unpaid": {"per_task_seconds": unpaid_seconds, "rejection_rate": rejection_rate},
    }
    result = check(spec)
    cell = result.cells_list[0]
    if fmt == "json":
        d = cell.to_dict()
        shown = {
            k: d[k]
            for k in (
                "country",
                "subdivision",
                "required_pay_per_task",
                "pay_currency",
                "bar_hourly",
                "local_currency",
                "seconds_per_task",
                "unpaid_seconds_per_task",
                "benchmark",
            )
        }
        # the bar's caveats and any data-folder fallback, worded as in check's JSON
        shown["warnings"] = list(result.warnings)
        typer.echo(json.dumps(shown, indent=2))
        return
    b = cell.benchmark
    label = "ESTIMATED living wage" if b.method == "estimate" else f"{b.kind} wage"
    d = cell.to_dict()
    output.echo(
        f"{d['required_pay_per_task']} {cell.pay_currency} per task reaches the bar of "
        f"{d['bar_hourly']} {cell.local_currency}/h in {cell.subdivision or cell.country} "
        f"({label}, {b.method}, {b.reference_year}; {b.source}; {b.url})"
    )
    for note in (*b.fallbacks, *(a for a in cell.adjustments if a.startswith("exchange rate"))):
        typer.echo(f"  note: {note}")
