"""World Bank API v2 (WDI, CC BY 4.0): exchange rates, consumer prices, PPP factors.

Endpoint: ``{base}/v2/country/all/indicator/{code}?format=json&per_page=N&date=Y1:Y2&page=P``.
Each page is ``[meta, rows]`` with ``meta = {"page", "pages", "per_page", "total", "sourceid",
"lastupdated"}``; an error is ``[{"message": [{"id", "key", "value"}]}]``. Rows carry
``indicator.id``, ``country.id`` (alpha-2), ``countryiso3code``, ``date`` (year) and ``value``
(a JSON number or null). Aggregates (regions, income groups) are mixed in; they are dropped here
because they are not countries (the count is reported).

Why strict: JSON is parsed with ``parse_float=Decimal`` (the figure stays exactly as published)
and non-finite constants are refused; every page must agree on ``lastupdated`` and the pages must
add up to ``total``, so a truncated or shifting download is an error, never a short table.

The World Bank gives no currency for "local currency units": the bundled table's unit for the
same country and year is reused, else resolved by :func:`fairpay.tables.sources.resolve_currency`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from fairpay.errors import SourceError
from fairpay.tables import store as cache
from fairpay.tables.sources import (
    Fetched,
    _bundled_rows,
    is_country_alpha3,
    reference_units,
    resolve_currency,
)
from fairpay.tables.sources.http import DEFAULT_POLICY, Policy, fetch as http_fetch

# kind -> (indicator, value column, first year, source text as in the bundled table)
INDICATORS: dict[str, tuple[str, str, int, str]] = {
    "exchange_rates": (
        "PA.NUS.FCRF",
        "lcu_per_usd",
        2015,
        "World Bank WDI PA.NUS.FCRF (Official exchange rate, LCU per US$, period average; "
        "original source IMF IFS)",
    ),
    "cpi": (
        "FP.CPI.TOTL",
        "cpi_2010_100",
        2010,
        "World Bank WDI FP.CPI.TOTL (Consumer price index, 2010 = 100; original source IMF IFS "
        "and data files)",
    ),
    "ppp": (
        "PA.NUS.PRVT.PP",
        "lcu_per_intl_dollar",
        2015,
        "World Bank WDI PA.NUS.PRVT.PP (PPP conversion factor, private consumption, LCU per "
        "international $; ICP)",
    ),
}
PER_PAGE = 5000
MAX_PAGES = 200  # a guard against a server that never stops paginating
NAME = "worldbank"
# What the API serves for format=json (text/plain only from some mirrors); HTML is always refused.
MEDIA_TYPES = ("application/json", "text/json", "text/plain")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} in JSON")


def parse_page(body: bytes, url: str, indicator: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One API page -> (meta, rows), checking the shape; SourceError names what is wrong."""
    try:
        doc = json.loads(body.decode("utf-8-sig"), parse_float=Decimal, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"{NAME}: {url}: malformed JSON ({exc})") from None
    except RecursionError:
        raise SourceError(f"{NAME}: {url}: malformed JSON (nested too deeply)") from None
    if isinstance(doc, list) and doc and isinstance(doc[0], dict) and "message" in doc[0]:
        messages = doc[0]["message"]
        shown = (
            "; ".join(
                f"{m.get('key', '')}: {m.get('value', '')}".strip(": ")
                for m in messages
                if isinstance(m, dict)
            )
            if isinstance(messages, list)
            else str(messages)
        )
        raise SourceError(f"{NAME}: {url}: API error: {shown or messages}")
    if not (isinstance(doc, list) and len(doc) == 2 and isinstance(doc[0], dict)):
        raise SourceError(f"{NAME}: {url}: unexpected response shape: expected [meta, rows]")
    meta, rows = doc
    for key in ("page", "pages", "total", "lastupdated"):
        if key not in meta:
            raise SourceError(f"{NAME}: {url}: schema changed: page metadata lacks {key!r}")
    try:
        meta["page"], meta["pages"], meta["total"] = int(meta["page"]), int(meta["pages"]), int(meta["total"])
    except (TypeError, ValueError):
        raise SourceError(f"{NAME}: {url}: page metadata page/pages/total are not integers") from None
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise SourceError(f"{NAME}: {url}: unexpected response shape: rows are not a list")
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise SourceError(f"{NAME}: {url}: row {index} is not an object")
        for key in ("indicator", "country", "countryiso3code", "date", "value"):
            if key not in row:
                raise SourceError(f"{NAME}: {url}: schema changed: row {index} lacks {key!r}")
        found = row["indicator"].get("id") if isinstance(row["indicator"], dict) else None
        if found != indicator:
            raise SourceError(f"{NAME}: {url}: row {index} is indicator {found!r}, asked for {indicator!r}")
    return meta, rows


def fetch_indicator(
    indicator: str,
    *,
    base_url: str,
    first_year: int,
    last_year: int,
    policy: Policy = DEFAULT_POLICY,
    per_page: int = PER_PAGE,
) -> tuple[str, str, list[dict[str, Any]]]:
    """All pages of one indicator -> (url, lastupdated, rows); SourceError on any inconsistency."""
    url = f"{base_url}/v2/country/all/indicator/{indicator}"
    params = {"format": "json", "per_page": per_page, "date": f"{first_year}:{last_year}"}
    shown = f"{url}?format=json&per_page={per_page}&date={first_year}:{last_year}"
    rows: list[dict[str, Any]] = []
    page, pages, total, vintage = 1, 1, 0, ""
    while page <= pages:
        response = http_fetch(NAME, url, params={**params, "page": page}, policy=policy, accept=MEDIA_TYPES)
        meta, page_rows = parse_page(response.content, f"{shown}&page={page}", indicator)
        if page == 1:
            pages, total, vintage = meta["pages"], meta["total"], str(meta["lastupdated"])
            if pages > MAX_PAGES:
                raise SourceError(f"{NAME}: {shown}: {pages} pages exceeds the limit of {MAX_PAGES}")
        elif meta["pages"] != pages or meta["total"] != total or str(meta["lastupdated"]) != vintage:
            raise SourceError(f"{NAME}: {shown}: the data changed while paging (page {page}); try again")
        if meta["page"] != page:
            raise SourceError(f"{NAME}: {shown}: asked for page {page}, got page {meta['page']}")
        rows += page_rows
        page += 1
    if total == 0 or not rows:
        raise SourceError(f"{NAME}: {shown}: the API returned no rows")
    if len(rows) != total:
        raise SourceError(f"{NAME}: {shown}: got {len(rows)} rows but the API announced {total}")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", vintage):
        raise SourceError(f"{NAME}: {shown}: lastupdated {vintage!r} is not a YYYY-MM-DD date")
    return shown, vintage, rows


def to_table_rows(
    kind: str, rows: Sequence[Mapping[str, Any]], vintage: str, reference: Any, url: str
) -> tuple[list[dict[str, Any]], int]:
    """API rows -> rows in the bundled columns of ``kind``, and the number of aggregate rows skipped."""
    _indicator, value_col, _first, source_text = INDICATORS[kind]
    out: list[dict[str, Any]] = []
    aggregates = 0
    for index, row in enumerate(rows):
        iso3 = str(row["countryiso3code"] or "")
        if not is_country_alpha3(iso3):
            aggregates += 1
            continue
        value = row["value"]
        if value is None:
            continue  # the API lists every country-year; null means "no observation"
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise SourceError(f"{NAME}: {url}: row {index} ({iso3}): value {value!r} is not a number")
        date = str(row["date"])
        if not re.fullmatch(r"\d{4}", date):
            raise SourceError(f"{NAME}: {url}: row {index} ({iso3}): date {date!r} is not a year")
        year = int(date)
        new: dict[str, Any] = {"country_iso3": iso3}
        if kind != "cpi":
            currency, note = resolve_currency(iso3, year, reference)
            new["currency"] = currency
        new["year"] = year
        new[value_col] = str(value)
        if kind != "cpi":
            new["lcu_note"] = note
        new["source"] = source_text
        new["source_vintage"] = vintage
        out.append(new)
    out.sort(key=lambda r: (r["country_iso3"], r["year"]))
    return out, aggregates


def fetch(
    kind: str,
    *,
    base_url: str,
    policy: Policy = DEFAULT_POLICY,
    first_year: int | None = None,
    last_year: int | None = None,
    per_page: int = PER_PAGE,
) -> Fetched:
    """Download the indicator behind ``kind`` and return it ready to validate and store."""
    import datetime

    if kind not in INDICATORS:
        raise SourceError(f"{NAME}: no World Bank indicator for table {kind!r}")
    indicator, _col, default_first, _src = INDICATORS[kind]
    last = last_year or datetime.date.today().year
    url, vintage, api_rows = fetch_indicator(
        indicator,
        base_url=base_url,
        first_year=first_year or default_first,
        last_year=last,
        policy=policy,
        per_page=per_page,
    )
    reference = reference_units(_bundled_rows(kind), "currency", "lcu_note") if kind != "cpi" else {}
    rows, aggregates = to_table_rows(kind, api_rows, vintage, reference, url)
    provenance = cache.Provenance(
        source=f"World Bank WDI {indicator}",
        url=url,
        vintage=vintage,
        retrieved_at=cache.now_utc(),
        extra={"license": "CC BY 4.0", "api_rows": len(api_rows), "aggregates_skipped": aggregates},
    )
    notes = [f"skipped {aggregates} aggregate (non-country) rows"] if aggregates else []
    return Fetched(kind, provenance, build=lambda current: keep_ecb_rows(rows, current), notes=notes)


def keep_ecb_rows(rows: list[dict[str, Any]], current: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The World Bank rows plus the current ECB rows for country-years the World Bank lacks.

    Why: ECB rows fill the years after the World Bank series (see ``ecb``); a World Bank update
    that does not yet cover them must not drop them (that would be a loss of years), and its
    own figure replaces an ECB one as soon as it exists.
    """
    have = {(str(r["country_iso3"]), int(r["year"])) for r in rows}
    kept = [
        dict(r)
        for r in current
        if str(r.get("source") or "").startswith("ECB ")
        and (str(r["country_iso3"]), int(r["year"])) not in have
    ]
    return sorted(rows + kept, key=lambda r: (str(r["country_iso3"]), int(r["year"])))
