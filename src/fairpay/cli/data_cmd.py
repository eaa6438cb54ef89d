"""``fairpay data status|update|import|reset``: see, refresh and extend the benchmark tables.

Thin by design: every decision (precedence, validation, atomic writes) lives in
``fairpay.tables.sources`` and ``fairpay.tables.store``; this module parses arguments and prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fairpay.cli import output

data_app = typer.Typer(
    name="data",
    help="Where the benchmark tables come from; refresh them; import your own living-wage table.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add the ``data`` sub-commands to the app."""
    app.add_typer(data_app, name="data")


@data_app.command("status")
def status_command(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Each table: origin (user/cache/bundled), source, vintage, age, rows, countries, staleness."""
    from fairpay.tables import sources, store as cache

    output.check_format(fmt, ("table", "json"))
    entries = sources.status()
    if fmt == "json":
        typer.echo(json.dumps({"data_dir": str(cache.data_dir()), "tables": entries}, indent=2))
        return
    output.table(
        f"fairpay data (user folder: {cache.data_dir()})",
        ["table", "origin", "source", "vintage", "age (days)", "rows", "countries", "stale"],
        [
            [
                e["kind"],
                e["origin"],
                e["url"] or e["source"],
                e["vintage"],
                "" if e["age_days"] is None else e["age_days"],
                e["rows"],
                e["countries"],
                e["stale"],
            ]
            for e in entries
        ],
    )
    for entry in entries:
        for warning in entry["warnings"]:
            typer.echo(f"fairpay: warning: {warning}", err=True)


@data_app.command("update")
def update_command(
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="worldbank, ilostat or ecb (repeatable; default: all)."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Fetch from this base URL instead of the public one (a mirror)."),
    ] = None,
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help="Only this table (repeatable; default: every table of the sources)."),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", help="Deadline per request in seconds, retries and waits included (default 120)."
        ),
    ] = 120.0,
    retries: Annotated[
        int, typer.Option("--retries", help="Retries after a connection error, 429 or 5xx.")
    ] = 3,
    accept_changes: Annotated[
        bool,
        typer.Option(
            "--accept-changes", help="Store changes beyond the documented thresholds (listed first)."
        ),
    ] = False,
    allow_removals: Annotated[
        bool,
        typer.Option(
            "--allow-removals", help="Store a table with fewer countries or years than the current."
        ),
    ] = False,
    allow_older: Annotated[
        bool, typer.Option("--allow-older", help="Store a vintage older than the current one.")
    ] = False,
) -> None:
    """Refresh tables from the open sources; a failure or a refused change keeps the previous data (exit 2)."""
    from fairpay.errors import InvalidInputError
    from fairpay.tables import sources
    from fairpay.tables.sources import http

    if not 0 < timeout <= 3600 or not 0 <= retries <= 10:
        raise InvalidInputError("--timeout must be in (0, 3600] seconds and --retries in 0..10")
    names = source or list(sources.SOURCES)
    for name in names:
        sources.base_url(name)  # unknown source: one-line error before any traffic
    offered = {k for n in names for k in sources.SOURCES[n][2]}
    for kind in table or []:
        if kind not in offered:
            raise InvalidInputError(
                f"--table {kind!r}: not refreshed by {', '.join(names)}; expected one of: {', '.join(sorted(offered))}"
            )
    policy = http.Policy(
        deadline=timeout,
        read_timeout=min(timeout, http.DEFAULT_POLICY.read_timeout),
        connect_timeout=min(timeout, http.DEFAULT_POLICY.connect_timeout),
        retries=retries,
    )
    outcomes = sources.update(
        names,
        base_urls={n: base_url for n in names} if base_url else None,
        policy=policy,
        kinds=table or None,
        accept_changes=accept_changes,
        allow_removals=allow_removals,
        allow_older=allow_older,
    )
    failed = False
    for outcome in outcomes:
        if outcome.ok:
            typer.echo(f"updated {outcome.message}")
        else:
            failed = True
            typer.echo(f"fairpay: error: {outcome.message}", err=True)
    if failed:
        raise typer.Exit(2)


@data_app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help="living_wages or minimum_wages.")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) in the column layout of the bundled table.")],
) -> None:
    """Validate your table and use its rows ahead of the bundled ones (cited as your file)."""
    from fairpay.tables import sources

    meta = sources.import_user_table(kind, file)
    typer.echo(
        f"imported {meta['rows']} {kind} rows for {meta['countries']} countries from {meta['url']} "
        f"({meta['vintage']}); they now come ahead of the bundled rows"
    )
    for warning in meta.get("warnings") or []:
        typer.echo(f"warning: {warning}")


@data_app.command("reset")
def reset_command(
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only this table (repeatable; default: all).")
    ] = None,
    imports: Annotated[
        bool, typer.Option("--imports", help="Also delete your imported tables (kept by default).")
    ] = False,
) -> None:
    """Delete refreshed tables (imports too with --imports): the bundled snapshot applies again."""
    from fairpay.errors import InvalidInputError
    from fairpay.tables import load as data, sources

    for k in kind or []:
        if k not in data.TABLES:
            raise InvalidInputError(f"unknown table {k!r}; expected one of: {', '.join(data.TABLES)}")
    removed = sources.reset(kind, user=imports)
    typer.echo(
        f"removed {len(removed)} stored table(s)"
        + (": " + ", ".join(removed) if removed else "")
        + ("" if imports else "; imported tables kept (add --imports to delete them too)")
    )
