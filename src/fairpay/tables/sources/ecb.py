"""ECB euro foreign exchange reference rates: recent years the World Bank has not yet published.

Endpoint: ``{base}/stats/eurofxref/eurofxref-hist.xml`` (also ``-hist-90d.xml`` and
``eurofxref-daily.xml``; all share one format)::

    <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                     xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
      <gesmes:subject>Reference rates</gesmes:subject> ...
      <Cube><Cube time="2026-11-27"><Cube currency="USD" rate="1.05"/>...</Cube>...</Cube>
    </gesmes:Envelope>

Rates are units of the currency per 1 EUR. fairpay's table is local currency per US$ as an
annual average, so each day gives ``rate(C) / rate(USD)`` (EUR: ``1 / rate(USD)``) and a year's
figure is the mean over the ECB's fixing days, labelled as such (a mean of daily reference rates
is close to, but not the same as, the IMF period average the World Bank publishes).

Why rows are only *added*: World Bank rows are the reference series; ECB rows fill only years
after a country's latest World Bank year (for countries whose currency the ECB quotes), and are
replaced by the next ECB update. Why strict: a document with a DOCTYPE or entity declaration is
refused before parsing (no entity expansion), and every rate must be a positive decimal.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal, localcontext
from typing import Any

from fairpay.errors import SourceError
from fairpay.tables import store as cache
from fairpay.tables.sources import Fetched
from fairpay.tables.sources.http import DEFAULT_POLICY, Policy, fetch as http_fetch

NAME = "ecb"
MEDIA_TYPES = ("text/xml", "application/xml")
PATH = "/stats/eurofxref/eurofxref-hist.xml"
NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
SOURCE_TEXT = (
    "ECB euro foreign exchange reference rates (LCU per US$ = rate(LCU)/rate(USD) per EUR; "
    "mean of daily reference rates)"
)
_RATE = re.compile(r"\d+(?:\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_xml(body: bytes, url: str) -> dict[str, dict[str, Decimal]]:
    """The XML body -> {date: {currency: units per EUR}}; SourceError on anything unexpected."""
    head = body[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in body.lower():
        raise SourceError(f"{NAME}: {url}: refusing XML with a DOCTYPE/ENTITY declaration")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SourceError(f"{NAME}: {url}: malformed XML ({exc})") from None
    outer = root.find(f"{NS}Cube")
    if not root.tag.endswith("Envelope") or outer is None:
        raise SourceError(f"{NAME}: {url}: schema changed: no <gesmes:Envelope><Cube> element")
    days: dict[str, dict[str, Decimal]] = {}
    for day in outer.findall(f"{NS}Cube"):
        date = day.get("time", "")
        if not _DATE.fullmatch(date):
            raise SourceError(f"{NAME}: {url}: schema changed: <Cube time={date!r}> is not a date")
        rates: dict[str, Decimal] = {}
        for cube in day.findall(f"{NS}Cube"):
            currency, rate = cube.get("currency", ""), cube.get("rate", "")
            if (
                not re.fullmatch(r"[A-Z]{3}", currency)
                or len(rate) > 40
                or not _RATE.fullmatch(rate)
                or Decimal(rate) <= 0
            ):
                raise SourceError(
                    f"{NAME}: {url}: {date}: bad rate entry currency={currency[:10]!r} rate={rate[:40]!r}"
                )
            if currency in rates:
                raise SourceError(f"{NAME}: {url}: {date}: {currency} is quoted twice")
            rates[currency] = Decimal(rate)
        if date in days:
            raise SourceError(f"{NAME}: {url}: date {date} appears twice")
        days[date] = rates
    if not days:
        raise SourceError(f"{NAME}: {url}: the feed has no daily rates")
    return days


def day_jumps(
    days: Mapping[str, Mapping[str, Decimal]], limit: Decimal | None = None
) -> list[tuple[str, int, str]]:
    """Day-to-day moves of one currency's rate beyond ``limit`` (default ``guard.ECB_DAY_CHANGE``),
    as (currency, year, description).

    Why: one absurd fixing barely moves an annual mean, so the mean can look plausible; the day
    itself is where the poison shows. A move counts only if it feeds a row being stored (see
    :func:`fetch`): the feed's history since 1999 has real crises nobody needs to re-accept.
    """
    from fairpay.tables.guard import ECB_DAY_CHANGE

    limit = ECB_DAY_CHANGE if limit is None else limit
    out: list[tuple[str, int, str]] = []
    last: dict[str, tuple[str, Decimal]] = {}
    for date in sorted(days):
        for currency, rate in sorted(days[date].items()):
            if currency in last:
                before_date, before = last[currency]
                change = abs(rate / before - 1)
                if change > limit:
                    out.append(
                        (
                            currency,
                            int(date[:4]),
                            f"ECB {currency} per EUR {before} on {before_date} -> {rate} on {date} "
                            f"({change:.0%} in one fixing; threshold {limit:.0%})",
                        )
                    )
            last[currency] = (date, rate)
    return out


def annual_usd_rates(
    days: Mapping[str, Mapping[str, Decimal]],
) -> dict[tuple[str, int], tuple[Decimal, int, str, str]]:
    """(currency, year) -> (mean LCU per US$, fixing days, first date, last date)."""
    per: dict[tuple[str, int], list[tuple[str, Decimal]]] = defaultdict(list)
    with localcontext() as ctx:
        ctx.prec = 28
        for date, rates in days.items():
            usd = rates.get("USD")
            if usd is None:
                continue  # a day without a USD fixing gives no cross rate
            year = int(date[:4])
            per[("EUR", year)].append((date, Decimal(1) / usd))
            for currency, rate in rates.items():
                if currency != "USD":
                    per[(currency, year)].append((date, rate / usd))
        out: dict[tuple[str, int], tuple[Decimal, int, str, str]] = {}
        for key, values in per.items():
            mean = sum((v for _, v in values), Decimal(0)) / len(values)
            ctx.prec = 12
            out[key] = (+mean, len(values), min(d for d, _ in values), max(d for d, _ in values))
            ctx.prec = 28
    return out


def merge(
    current: Sequence[Mapping[str, Any]],
    annual: Mapping[tuple[str, int], tuple[Decimal, int, str, str]],
    vintage: str,
    first_year: int = 2015,
) -> list[dict[str, Any]]:
    """The current table plus ECB rows for years after each country's latest non-ECB year."""
    kept = [dict(r) for r in current if not str(r.get("source") or "").startswith("ECB ")]
    latest: dict[str, tuple[int, str]] = {}
    for row in kept:
        iso3, year, currency = str(row["country_iso3"]), int(row["year"]), str(row.get("currency") or "")
        if currency and (iso3 not in latest or year > latest[iso3][0]):
            latest[iso3] = (year, currency)
    today = datetime.date.today()
    added: list[dict[str, Any]] = []
    for iso3, (last_year, currency) in sorted(latest.items()):
        for (cur, year), (rate, count, first, last) in sorted(annual.items()):
            if cur != currency or year <= last_year or year < first_year:
                continue
            partial = last < f"{year}-12-31" and (year >= today.year or last < f"{year}-12-20")
            added.append(
                {
                    "country_iso3": iso3,
                    "currency": currency,
                    "year": year,
                    "lcu_per_usd": format(rate, "f"),
                    "lcu_note": (
                        f"ECB reference rates, mean of {count} daily cross rates via EUR, "
                        f"{first} to {last}{' (partial year)' if partial else ''}; not the World "
                        "Bank/IMF period average"
                    ),
                    "source": SOURCE_TEXT,
                    "source_vintage": vintage,
                }
            )
    return sorted(kept + added, key=lambda r: (str(r["country_iso3"]), int(r["year"])))


def fetch(
    kind: str,
    *,
    base_url: str,
    policy: Policy = DEFAULT_POLICY,
    path: str = PATH,
    first_year: int = 2015,
) -> Fetched:
    """Download the ECB reference rates and return a merge into the current exchange-rate table."""
    if kind != "exchange_rates":
        raise SourceError(f"{NAME}: the ECB feed has no data for table {kind!r}")
    url = f"{base_url}{path}"
    response = http_fetch(NAME, url, policy=policy, accept=MEDIA_TYPES)
    days = parse_xml(response.content, url)
    if not any("USD" in rates for rates in days.values()):
        raise SourceError(f"{NAME}: {url}: no USD rate in the feed, so no cross rates")
    vintage = max(days)
    annual = annual_usd_rates(days)
    provenance = cache.Provenance(
        source="ECB euro foreign exchange reference rates (merged into World Bank PA.NUS.FCRF rows)",
        url=url,
        vintage=vintage,
        retrieved_at=cache.now_utc(),
        extra={"license": "ECB reference rates, free reuse with source acknowledged", "days": len(days)},
    )
    jumps = day_jumps(days)
    fetched = Fetched(
        kind, provenance, build=lambda _current: [], notes=[f"{len(days)} ECB fixing days up to {vintage}"]
    )

    def build(current: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        rows = merge(current, annual, vintage, first_year)
        used = {
            (str(r["currency"]), int(r["year"])) for r in rows if str(r.get("source") or "") == SOURCE_TEXT
        }
        years = {year for _, year in used}
        # a USD move feeds every cross rate of its year; another currency's only its own rows
        fetched.changes = [
            text for cur, year, text in jumps if (cur, year) in used or (cur == "USD" and year in years)
        ]
        return rows

    fetched.build = build
    return fetched
