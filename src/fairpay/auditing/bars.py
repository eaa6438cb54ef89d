"""The bar and the exchange rates for each place of a log, computed once per place from the
benchmark collection and the rates passed in (or the bundled ones), with their provenance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fairpay.auditing.settings import AuditSettings
from fairpay.auditing.validation import Scan, normalize_groups
from fairpay.errors import (
    InvalidInputError,
    MissingExchangeRateError,
    NoBenchmarkError,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def bars_fx_benchmarks(
    scan: Scan, settings: AuditSettings, benchmarks: Any, rates: Any
) -> tuple[pd.DataFrame, pd.DataFrame, dict[Any, Any]]:
    """(bars, fx, place -> benchmark used): one bar per distinct raw place, one rate per currency pair."""
    import datetime as dt

    import pandas as pd

    from fairpay.units.money import minor_units

    places, currencies, _ = normalize_groups(scan)
    year = settings.year
    if year is None:
        if scan.last_submitted_us is None:
            raise InvalidInputError("the log has no rows; nothing to audit")
        year = dt.datetime.fromtimestamp(scan.last_submitted_us / 1e6, tz=dt.UTC).year
    if benchmarks is None:
        from fairpay.wages import benchmarks as _bundled_benchmarks

        benchmarks = _bundled_benchmarks()
    if rates is None:
        from fairpay.tables.rates import bundled_rates

        rates = bundled_rates()
    by_place: dict[Any, Any] = {}
    missing: list[str] = []
    for pl in sorted(set(places.values()), key=lambda p: (p.country, p.subdivision or "")):
        try:
            by_place[pl] = benchmarks.bar(
                pl,
                kind=settings.kind,
                household=settings.household,
                locality=settings.locality,
                year=year,
                inflate=settings.inflate,
                missing_living=settings.missing_living,
                method=settings.method,
                estimate_bound=settings.estimate_bound,
                prefer_gross=settings.prefer_gross,
                rates=rates,
            )
        except NoBenchmarkError as exc:
            missing.append(f"{pl}: {exc}")
    if missing:
        raise NoBenchmarkError(
            f"no {settings.kind} benchmark for {len(missing)} place(s): {'; '.join(missing)}"
        )
    bar_rows = []
    for (c, sub), pl in places.items():
        b = by_place[pl]
        bar_rows.append(
            {
                "country_raw": c,
                "sub_key": sub,
                "country": pl.country,
                "subdivision": pl.subdivision,
                "bar_local": float(b.hourly),
                "bar_exact": str(b.hourly),
                "local_currency": b.currency,
                "bar_year": int(b.year),
                "bar_kind": b.kind,
                "bar_method": b.method,
                "bar_source": b.source,
                "bar_url": b.url,
                "bar_notes": "; ".join([*b.adjustments, *b.fallbacks]),
                "bar_reference_year": int(b.reference_year),
                "bar_gross_net": b.gross_net,
                "bar_hours_per_week": f"{b.hours_per_week.normalize():f}",
                "bar_hours_basis": b.hours_basis,
                "bar_adjustments": "; ".join(b.adjustments),
                "bar_fallbacks": "; ".join(b.fallbacks),
            }
        )
    bars = pd.DataFrame(bar_rows)
    locals_ = sorted({b.currency for b in by_place.values()})
    pays = sorted(set(currencies.values()))
    fx_rows = []
    fx_missing: list[str] = []
    for a in pays:
        for b in locals_:
            for src, dst in ((a, b), (b, a)):
                try:
                    rate, used = rates.rate(src, dst, year, fallback=settings.fx_fallback)
                except MissingExchangeRateError as exc:
                    fx_missing.append(str(exc))
                    continue
                fx_rows.append(
                    {
                        "from_ccy": src,
                        "to_ccy": dst,
                        "rate": float(rate),
                        "rate_exact": str(rate),
                        "fx_year": int(used),
                    }
                )
    if fx_missing:
        raise MissingExchangeRateError("; ".join(sorted(set(fx_missing))))
    fx = pd.DataFrame(
        fx_rows, columns=["from_ccy", "to_ccy", "rate", "rate_exact", "fx_year"]
    ).drop_duplicates(["from_ccy", "to_ccy"])
    fx["to_minor"] = [minor_units(c) for c in fx["to_ccy"]]
    return bars, fx, dict(sorted(by_place.items(), key=lambda kv: (kv[0].country, kv[0].subdivision or "")))
