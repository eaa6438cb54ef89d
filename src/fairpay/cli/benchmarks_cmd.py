"""``fairpay benchmarks``: show the benchmark fairpay would use for a place, with its provenance."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

import typer

from fairpay.cli import output


def register(app: typer.Typer) -> None:
    """Add the ``benchmarks`` command to the app."""
    app.command("benchmarks")(benchmarks_command)


def benchmarks_command(
    country: Annotated[
        str | None, typer.Argument(help="Country (KE, KEN, 404, Kenya) or subdivision (IN-MP).")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="ISO 3166-2 subdivision code or name.")
    ] = None,
    locality: Annotated[
        str | None, typer.Option("--locality", help="urban, rural, or a city name (e.g. London).")
    ] = None,
    household: Annotated[
        str | None,
        typer.Option("--household", help="typical_family, blended, standard_family, single_adult."),
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="living, minimum, or higher (the higher of both; as check uses).")
    ] = "higher",
    method: Annotated[
        str | None, typer.Option("--method", help="Ask for one method by name (e.g. campaign_floor).")
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="Ignore figures published after this year; with --inflate, the CPI target."
        ),
    ] = None,
    inflate: Annotated[
        bool,
        typer.Option(
            "--inflate/--no-inflate",
            help="Bring old figures to --year (default: newest CPI year) with the country's CPI, as check does.",
        ),
    ] = True,
    missing_living: Annotated[
        str,
        typer.Option(
            "--missing-living", help="Where no living wage is cited: estimate (default), minimum or error."
        ),
    ] = "estimate",
    estimate_bound: Annotated[
        str, typer.Option("--estimate-bound", help="upper (default, the worker's favour) or point.")
    ] = "upper",
    currency: Annotated[
        str | None, typer.Option("--currency", help="Also show the hourly amount in this ISO 4217 currency.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    list_: Annotated[
        bool,
        typer.Option(
            "--list",
            help="Coverage: per country, the bar a default check uses (cited living/estimate/minimum/none).",
        ),
    ] = False,
) -> None:
    """Show the bar for a place, as check applies it: hourly amount, original figure, each adjustment."""
    from fairpay.errors import InvalidInputError
    from fairpay.wages import benchmarks

    output.check_format(fmt, ("table", "json"))
    collection = benchmarks()
    if list_:
        rows = collection.default_bars(
            missing_living=missing_living,
            estimate_bound=estimate_bound,
            inflate=inflate,
            year=year,
        )
        if fmt == "json":
            typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            output.table(
                "The bar a default check uses, per country (living: cited / estimate / minimum / none)",
                ["country", "living", "method", "year", "confidence", "bar", "hourly bar"],
                [
                    [
                        r["country"],
                        r["living_source"],
                        r.get("living_method", "-"),
                        r.get("living_year", "-"),
                        r.get("living_confidence") or "-",
                        r.get("bar_kind") or "-",
                        f"{r['bar_hourly']} {r['bar_currency']} ({r['bar_year']})"
                        if r.get("bar_hourly")
                        else "-",
                    ]
                    for r in rows
                ],
            )
        return
    if country is None:
        raise InvalidInputError("give a COUNTRY (e.g. KE, Kenya, IN-MP) or --list")
    bench = collection.bar(
        country,
        region,
        kind=kind,  # type: ignore[arg-type]
        locality=locality,
        household=household,
        method=method,
        year=year,
        inflate=inflate,
        missing_living=missing_living,  # type: ignore[arg-type]
        estimate_bound=estimate_bound,  # type: ignore[arg-type]
    )
    result: dict[str, Any] = bench.to_dict()
    if currency:
        from fairpay.tables.rates import bundled_rates
        from fairpay.units.money import normalize_currency

        code = normalize_currency(currency)
        conv = bundled_rates().convert(
            bench.hourly, bench.currency, code, bench.year, fallback="nearest_earlier"
        )
        result["converted"] = {
            "hourly": format(conv.amount.quantize(Decimal("0.0001")), "f"),
            "currency": code,
            "rate": format(conv.rate, "f"),
            "rate_year": conv.year_used,
            "adjustments": list(conv.adjustments),
        }
    if fmt == "json":
        from fairpay.tables.store import notices
        from fairpay.wages import bar_warnings

        # the same warnings check's JSON gives for this bar, and any data-folder fallback
        result["warnings"] = list(dict.fromkeys([*bar_warnings(bench), *notices()]))
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    from fairpay.units import figures as fig

    where = bench.subdivision or bench.country
    lines = [
        [
            "hourly",
            f"{fig.text(fig.bar_side(bench.hourly, bench.currency))} {bench.currency} per hour "
            f"({'ESTIMATED living' if bench.method == 'estimate' else bench.kind} wage, prices of "
            f"{bench.year}; rounded up, as in fairpay check)",
        ],
    ]
    if currency:
        conv_d = result["converted"]
        lines.append(
            [
                "converted",
                f"{fig.text(fig.bar_side(Decimal(conv_d['hourly']), conv_d['currency']))} {conv_d['currency']} "
                f"per hour (rate of {conv_d['rate_year']})",
            ]
        )
    lines += [
        ["as published", f"{bench.amount:,} {bench.amount_currency} per {bench.period} ({bench.gross_net})"],
        [
            "hours basis",
            "none needed (published per hour)"
            if bench.hours_basis == "hourly"
            else f"{bench.hours_per_week} h/week ({bench.hours_basis.replace('_', ' ')})",
        ],
        [
            "method",
            f"{bench.method}"
            + (f", household {bench.household}" if bench.household else "")
            + (f", confidence {bench.confidence}" if bench.confidence else ""),
        ],
        ["locality", bench.locality or bench.area or "-"],
        [
            "reference year",
            f"{bench.reference_year} ({bench.age_years} year{'' if bench.age_years == 1 else 's'} old)",
        ],
        ["source", bench.source],
        ["url", bench.url],
    ]
    if bench.estimate is not None:
        est = bench.estimate
        lines.append(
            [
                "ESTIMATE",
                f"not a cited figure: {est['bound_used']} of the 80% interval {est['low']}-{est['high']} "
                f"(point {est['point']}) {est['currency']}/h; leave-one-country-out median abs. error "
                f"{est['model']['loco_median_abs_error']:.1%}, coverage {est['model']['loco_interval_coverage']:.0%}",
            ]
        )
    lines += [["adjustment", a] for a in bench.adjustments]
    lines += [["fallback", f] for f in bench.fallbacks]
    output.table(f"Benchmark for {where}", ["", ""], lines, show_header=False)
