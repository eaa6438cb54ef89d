"""``fairpay vendor check|annex|monitor|closeout``: a vendor's disclosure, contract annex, pay
reports and the post-project close-out. Thin: the arithmetic lives in ``fairpay.vendors``.

Exit codes: 0 ok, 1 a location or a period below the bar (or a wage that cannot be computed from the
disclosure: unknown is not a pass), 2 invalid input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fairpay.cli import output

vendor_app = typer.Typer(
    name="vendor",
    help="Vendors: vet a disclosure, write a contract annex, monitor pay reports, close out a project.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_FORMATS = ("table", "json", "markdown", "html")
ProjectOpt = Annotated[
    Path | None,
    typer.Option(
        "--project", help="Project spec: its policy, overrides and task times are used, as in check."
    ),
]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Also write a report: .html, .md or .json.")]
FormatOpt = Annotated[str, typer.Option("--format", help="table, json, markdown or html.")]
MarginOpt = Annotated[
    float | None,
    typer.Option("--margin", help="Margin above the benchmark, e.g. 0.1 for +10 % (as in check)."),
]
BenchmarkOpt = Annotated[
    str | None, typer.Option("--benchmark", help="living, minimum or higher (as in check).")
]


def _policy(margin: float | None, benchmark: str | None) -> dict[str, Any] | None:
    given = {k: v for k, v in (("margin", margin), ("benchmark", benchmark)) if v is not None}
    return given or None


def register(app: typer.Typer) -> None:
    """Add the ``vendor`` sub-commands."""
    app.add_typer(vendor_app, name="vendor")


def _emit(doc: dict[str, Any], fmt: str, json_text: str, report: Path | None) -> None:
    from fairpay.vendors import documents

    if report is not None:
        documents.write_document(doc, report)
    if fmt == "json":
        typer.echo(json_text)
    elif fmt in ("markdown", "html"):
        typer.echo(documents.render_document(doc, fmt), nl=False)
    else:
        typer.echo(doc["verdict"]["headline"])
        for line in doc["verdict"]["detail"]:
            typer.echo(f"  {line}")
        for t in doc["tables"]:
            output.table(t["title"], t["columns"], t["rows"])
        for item in doc.get("transparency", []):
            typer.echo(f"{item['topic']}: {item['answer']}")


@vendor_app.command("check")
def check_command(
    disclosure: Annotated[Path, typer.Argument(help="Vendor disclosure: .toml, .yaml/.yml, .json or .csv.")],
    project: ProjectOpt = None,
    fmt: FormatOpt = "table",
    report: ReportOpt = None,
    margin: MarginOpt = None,
    benchmark: BenchmarkOpt = None,
) -> None:
    """Vet a vendor: per location the implied worker wage vs the bar, the share of the client's price
    that reaches the worker, the break-even price, and the gaps by phase. Exit 1 when a location is
    below the bar or cannot be assessed."""
    from fairpay.vendors.documents import vendor_check_document
    from fairpay.vendors.vetting import vendor_check

    output.check_format(fmt, _FORMATS)
    result = vendor_check(disclosure, project, policy=_policy(margin, benchmark))
    _emit(vendor_check_document(result), fmt, result.to_json(), report)
    raise typer.Exit(0 if result.ok else 1)


@vendor_app.command("annex")
def annex_command(
    disclosure: Annotated[Path, typer.Argument(help="Vendor disclosure: .toml, .yaml/.yml, .json or .csv.")],
    project: ProjectOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the annex to this file: .md, .html, .json or .csv.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="markdown, html, json or csv (stdout).")] = "markdown",
    indexation: Annotated[
        str | None,
        typer.Option("--indexation", help="The indexation rule (default: the vendor's, else CPI yearly)."),
    ] = None,
) -> None:
    """A contract annex: minimum worker pay per location (per hour, and per task for the project's
    task times), with the benchmark, year and indexation rule. Exit 0 (2 for invalid input)."""
    from fairpay.errors import InvalidInputError
    from fairpay.vendors import documents
    from fairpay.vendors.vetting import contract_annex

    output.check_format(fmt, ("markdown", "html", "json", "csv"))
    annex = contract_annex(disclosure, project, indexation=indexation)
    doc = documents.annex_document(annex)
    if out is not None:
        kind = out.suffix.lower().lstrip(".")
        if kind == "csv":
            try:
                documents.annex_csv(annex, out)
            except OSError as exc:
                raise InvalidInputError(f"{out}: cannot write ({exc.strerror or exc})") from None
        else:
            documents.write_document(doc, out)
        typer.echo(f"annex written to {out}")
        return
    typer.echo(documents.annex_csv(annex) if fmt == "csv" else documents.render_document(doc, fmt), nl=False)


@vendor_app.command("monitor")
def monitor_command(
    pay_report: Annotated[
        Path | None,
        typer.Argument(
            help="Pay reports CSV: period, country, workers or worker, hours_paid, gross_pay, currency."
        ),
    ] = None,
    audit_log: Annotated[
        list[str] | None,
        typer.Option(
            "--audit-log",
            help="PERIOD=LOG: a submission log audited with --preset as one period's worker-level rows "
            "(repeat for more periods).",
        ),
    ] = None,
    preset: Annotated[str, typer.Option("--preset", help="Audit preset for --audit-log.")] = "generic",
    project: ProjectOpt = None,
    vendor: Annotated[
        str | None, typer.Option("--vendor", help="The vendor's name, for the report title.")
    ] = None,
    fmt: FormatOpt = "table",
    report: ReportOpt = None,
    margin: MarginOpt = None,
    benchmark: BenchmarkOpt = None,
) -> None:
    """Monitor a vendor's pay reports: per period the share of workers and hours below the bar, the
    trend and the shortfall cost. Exit 1 when any period has workers below the bar."""
    from fairpay.errors import InvalidInputError
    from fairpay.vendors.documents import monitoring_document
    from fairpay.vendors.monitoring import audit_rows, monitor_vendor

    output.check_format(fmt, _FORMATS)
    if (pay_report is None) == (not audit_log):
        raise InvalidInputError(
            "monitor needs a pay report CSV or --audit-log PERIOD=LOG (one or more), not both"
        )
    rows: list[dict[str, Any]] = []
    for item in audit_log or []:
        period, sep, path = item.partition("=")
        if not sep or not period.strip() or not path.strip():
            raise InvalidInputError(f"--audit-log {item!r}: expected PERIOD=LOG, e.g. 2025-01=january.csv")
        from fairpay.auditing.engine import audit

        rows.extend(
            audit_rows(audit(path.strip(), preset=preset, fx_fallback="nearest_earlier"), period.strip())
        )
    source: Any = pay_report if not audit_log else rows
    result = monitor_vendor(source, project, vendor=vendor, policy=_policy(margin, benchmark))
    _emit(monitoring_document(result), fmt, result.to_json(), report)
    raise typer.Exit(0 if result.ok else 1)


@vendor_app.command("closeout")
def closeout_command(
    project: ProjectOpt = None,
    disclosure: Annotated[Path | None, typer.Option("--disclosure", help="The vendor's disclosure.")] = None,
    pay_report: Annotated[
        Path | None, typer.Option("--pay-report", help="The vendor's pay reports CSV.")
    ] = None,
    audit_log: Annotated[
        Path | None, typer.Option("--audit-log", help="A submission log to audit (generic preset columns).")
    ] = None,
    preset: Annotated[
        str, typer.Option("--preset", help="Audit preset for --audit-log: generic, mturk or prolific.")
    ] = "generic",
    fmt: Annotated[str, typer.Option("--format", help="markdown, html or json.")] = "markdown",
    report: ReportOpt = None,
) -> None:
    """Post-project close-out: the pre-launch check, the vendor vetting, the pay reports and an audit
    in one document. Exit 1 when any part finds pay below the bar."""
    from fairpay.errors import InvalidInputError
    from fairpay.vendors import documents

    output.check_format(fmt, ("markdown", "html", "json"))
    if project is None and disclosure is None and pay_report is None and audit_log is None:
        raise InvalidInputError(
            "closeout needs at least one of --project, --disclosure, --pay-report, --audit-log"
        )
    parts: dict[str, Any] = {}
    if project is not None:
        from fairpay.prelaunch.check import check

        parts["check"] = check(project)
    if disclosure is not None:
        from fairpay.vendors.vetting import vendor_check

        parts["vetting"] = vendor_check(disclosure, project)
    if pay_report is not None:
        from fairpay.vendors.monitoring import monitor_vendor

        parts["monitoring"] = monitor_vendor(pay_report, project)
    if audit_log is not None:
        from fairpay.auditing.engine import audit

        parts["audit"] = audit(audit_log, preset=preset, fx_fallback="nearest_earlier")
    doc = documents.closeout_document(**parts)
    if report is not None:
        documents.write_document(doc, report)
    typer.echo(documents.render_document(doc, fmt), nl=False)
    raise typer.Exit(0 if doc["ok"] else 1)
