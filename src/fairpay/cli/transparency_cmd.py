"""``fairpay transparency FOLDER``: the company transparency report over a folder of project specs,
check and audit results, vendor disclosures, pay reports and payments. Thin: the figures come from
``fairpay.vendors.transparency``. Exit 0 when everything covered reaches the bar, 1 otherwise, 2 for
invalid input (any file that cannot be read or classified)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``transparency`` command."""
    app.command("transparency")(transparency_command)


def transparency_command(
    folder: Annotated[
        Path, typer.Argument(help="Folder of specs, results and vendor files (subfolders too).")
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="The company's name (default: the folder's).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="markdown, html or json.")] = "markdown",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report here: .md, .html or .json.")
    ] = None,
    margin: Annotated[
        float | None,
        typer.Option("--margin", help="Company policy for vendor files: margin above the benchmark."),
    ] = None,
    benchmark: Annotated[
        str | None,
        typer.Option("--benchmark", help="Company policy for vendor files: living, minimum or higher."),
    ] = None,
) -> None:
    """The figures a company would publish about its data-enrichment work: projects and vendors covered,
    workers and hours by country at or above the bar, pay policy and benchmarks, checks passed, top-ups
    proposed and paid, vendor disclosure completeness and gaps. Worker ids are never shown."""
    from fairpay.cli import output
    from fairpay.vendors import documents
    from fairpay.vendors.transparency import load_portfolio

    output.check_format(fmt, ("markdown", "html", "json"))
    policy = {k: v for k, v in (("margin", margin), ("benchmark", benchmark)) if v is not None} or None
    doc = documents.transparency_document(load_portfolio(folder, name=name, policy=policy))
    if out is not None:
        documents.write_document(doc, out)
        typer.echo(f"{doc['verdict']['headline']}; report written to {out}")
    else:
        typer.echo(documents.render_document(doc, fmt), nl=False)
    raise typer.Exit(0 if doc["ok"] else 1)
