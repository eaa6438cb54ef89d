"""ILOSTAT (CC BY 4.0): statutory nominal gross monthly minimum wage, ``EAR_INEE_NOC_NB_A``.

Endpoint: the rplumber API, ``{base}/data/indicator/?id=EAR_INEE_NOC_NB_A&format=.csv``, a CSV
with columns ``ref_area, source, indicator, sex, classif1, time, obs_value, obs_status,
note_classif, note_indicator, note_source`` (codes, not labels). ``classif1`` is the currency
type; only ``CUR_TYPE_LCU`` (local currency) rows are kept, as in the bundled table.

ILOSTAT names the currency only through a note code (``T30:nnn`` in ``note_indicator``) and the
period through ``T7:123`` (daily) / ``T7:124`` (hourly). The currency is taken, in order, from
the bundled row for the same country and year (if its notes are unchanged), from the bundled
table's own T30 -> currency pairs, else from CLDR (babel); every inference other than the first
is written to ``flags``. Curated flags of the bundled table are carried forward and labelled.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from fairpay.errors import SourceError
from fairpay.tables import store as cache
from fairpay.tables.sources import Fetched, _bundled_rows, alpha2_of, cldr_tender, is_country_alpha3
from fairpay.tables.sources.http import DEFAULT_POLICY, Policy, fetch as http_fetch

NAME = "ilostat"
# Media types a CSV download is served as; HTML is always refused.
MEDIA_TYPES = (
    "text/csv",
    "application/csv",
    "text/plain",
    "application/octet-stream",
    "application/vnd.ms-excel",
)
INDICATOR = "EAR_INEE_NOC_NB_A"
REQUIRED = (
    "ref_area",
    "source",
    "indicator",
    "classif1",
    "time",
    "obs_value",
    "note_indicator",
    "note_source",
)
SOURCE_TEXT = "ILOSTAT EAR_INEE_NOC_NB_A (Statutory nominal gross monthly minimum wage, local currency)"
FIRST_YEAR = 2015
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_PERIOD_NOTES = {"T7:123": "day", "T7:124": "hour"}


def parse_csv(body: bytes, url: str) -> list[dict[str, str]]:
    """The CSV body -> rows; SourceError on a changed header, ragged rows or non-UTF-8 text."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{NAME}: {url}: body is not UTF-8 CSV ({exc})") from None
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = next(reader, None)
        if not header:
            raise SourceError(f"{NAME}: {url}: empty response (no CSV header)")
        header = [h.strip() for h in header]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise SourceError(
                f"{NAME}: {url}: schema changed: CSV lacks column(s) {', '.join(missing)} "
                f"(got {', '.join(header)})"
            )
        rows: list[dict[str, str]] = []
        for line, cells in enumerate(reader, start=2):
            if not cells:
                continue
            if len(cells) != len(header):
                raise SourceError(
                    f"{NAME}: {url}: line {line} has {len(cells)} fields, the header has "
                    f"{len(header)} (truncated or malformed CSV)"
                )
            rows.append({h: c.strip() for h, c in zip(header, cells)})
    except csv.Error as exc:
        raise SourceError(f"{NAME}: {url}: malformed CSV ({exc})") from None
    return rows


def _t30(note: str) -> str | None:
    match = re.search(r"(?:^|_)(T30:\d+)", note or "")
    return match.group(1) if match else None


def _period(note: str) -> tuple[str, str]:
    """(period, flag) from the ILOSTAT note codes: the value's period if a T7 note says so."""
    codes = set(re.findall(r"T7:\d+", note or ""))
    for code, period in _PERIOD_NOTES.items():
        if code in codes:
            what = {"day": "DAILY", "hour": "HOURLY"}[period]
            return period, f"value appears to be a {what} rate (note {code}), not monthly"
    other = sorted(codes)
    if other:
        return "month", f"note {', '.join(other)} present: check the period of this value before use"
    return "month", ""


def to_table_rows(
    csv_rows: Sequence[Mapping[str, str]],
    bundled: Sequence[Mapping[str, Any]],
    vintage: str,
    url: str,
    first_year: int = FIRST_YEAR,
) -> tuple[list[dict[str, Any]], list[str]]:
    """CSV rows -> rows in the bundled ``minimum_wages_ilostat`` columns, and notes on what was skipped."""
    same: dict[tuple[str, int], Mapping[str, Any]] = {
        (str(r["country_iso3"]), int(r["year"])): r for r in bundled
    }
    t30_currency: dict[str, set[str]] = defaultdict(set)
    latest_flag: dict[str, tuple[int, str]] = {}
    for r in bundled:
        code = _t30(str(r.get("note_indicator") or ""))
        if code:
            t30_currency[code].add(str(r.get("currency_inferred") or ""))
        if r.get("flags"):
            iso3, year = str(r["country_iso3"]), int(r["year"])
            if iso3 not in latest_flag or year > latest_flag[iso3][0]:
                latest_flag[iso3] = (year, str(r["flags"]))

    out: list[dict[str, Any]] = []
    skipped = {"other currency types": 0, "aggregates": 0, "empty values": 0, "years before": 0}
    for line, row in enumerate(csv_rows, start=2):
        if row["indicator"] != INDICATOR:
            raise SourceError(
                f"{NAME}: {url}: line {line} is indicator {row['indicator']!r}, asked for {INDICATOR}"
            )
        if row["classif1"] != "CUR_TYPE_LCU":
            skipped["other currency types"] += 1
            continue
        if row.get("sex") not in (None, "", "SEX_T"):
            raise SourceError(f"{NAME}: {url}: line {line}: unexpected sex breakdown {row['sex']!r}")
        iso3 = row["ref_area"]
        if not is_country_alpha3(iso3):
            skipped["aggregates"] += 1
            continue
        if not re.fullmatch(r"\d{4}", row["time"]):
            raise SourceError(f"{NAME}: {url}: line {line}: time {row['time']!r} is not a year")
        year = int(row["time"])
        if year < first_year:
            skipped["years before"] += 1
            continue
        value = row["obs_value"]
        if not value:
            skipped["empty values"] += 1
            continue
        if not _NUMBER.fullmatch(value):
            raise SourceError(f"{NAME}: {url}: line {line}: obs_value {value!r} is not a number")
        note_indicator = row.get("note_indicator", "")
        old = same.get((iso3, year))
        new: dict[str, Any] = {
            "country_iso3": iso3,
            "year": year,
            "monthly_minimum_wage_lcu": value,
            "note_indicator": note_indicator,
            "note_source": row.get("note_source", ""),
            "ilostat_source_code": row.get("source", ""),
            "ilostat_cur_lcu_monthly_equivalent": "",
            "source": SOURCE_TEXT,
            "source_vintage": vintage,
        }
        if old is not None and str(old.get("note_indicator") or "") == note_indicator:
            # Same notes as the curated row: its unit, period and flags still describe it.
            new["currency_inferred"] = old.get("currency_inferred") or ""
            new["period"] = old["period"]
            new["flags"] = old.get("flags") or ""
            if str(old["monthly_minimum_wage_lcu"]) == value:
                new["ilostat_cur_lcu_monthly_equivalent"] = (
                    old.get("ilostat_cur_lcu_monthly_equivalent") or ""
                )
        else:
            flags: list[str] = []
            code = _t30(note_indicator)
            known = t30_currency.get(code or "", set())
            if len(known) == 1 and "" not in known:
                currency = next(iter(known))
                flags.append(f"currency from ILOSTAT note {code} (as in the bundled table)")
            else:
                tender = cldr_tender(alpha2_of(iso3), year)
                if len(tender) == 1:
                    currency = tender[0]
                    flags.append(
                        f"currency from CLDR territory data ({currency}); ILOSTAT note {code or 'none'} not in the bundled table"
                    )
                else:
                    currency = ""
                    flags.append(
                        f"unit unknown: ILOSTAT note {code or 'none'} not in the bundled table and CLDR "
                        f"gives {', '.join(tender) or 'no currency'}"
                    )
            period, period_flag = _period(note_indicator)
            if period_flag:
                flags.append(period_flag)
            if iso3 in latest_flag:
                ref_year, text = latest_flag[iso3]
                flags.append(f"flag on the bundled {ref_year} row (check it still applies): {text}")
            new["currency_inferred"] = currency
            new["period"] = period
            new["flags"] = "; ".join(flags)
        status = row.get("obs_status", "")
        if status:
            new["flags"] = "; ".join(x for x in (new["flags"], f"ILOSTAT obs_status {status}") if x)
        out.append(new)
    out.sort(key=lambda r: (r["country_iso3"], r["year"]))
    notes = [
        f"skipped {n} {what}" + (f" {first_year}" if what == "years before" else "")
        for what, n in skipped.items()
        if n
    ]
    return out, notes


def fetch(
    kind: str,
    *,
    base_url: str,
    policy: Policy = DEFAULT_POLICY,
    first_year: int = FIRST_YEAR,
) -> Fetched:
    """Download the ILOSTAT minimum-wage series and return it ready to validate and store."""
    if kind != "minimum_wages_ilostat":
        raise SourceError(f"{NAME}: no ILOSTAT series for table {kind!r}")
    url = f"{base_url}/data/indicator/"
    shown = f"{url}?id={INDICATOR}&format=.csv"
    response = http_fetch(
        NAME, url, params={"id": INDICATOR, "format": ".csv"}, policy=policy, accept=MEDIA_TYPES
    )
    csv_rows = parse_csv(response.content, shown)
    if not csv_rows:
        raise SourceError(f"{NAME}: {shown}: the API returned no rows")
    retrieved = cache.now_utc()
    from urllib.parse import urlsplit

    vintage = f"{retrieved[:10]} (retrieved via {urlsplit(base_url).netloc} API)"
    rows, notes = to_table_rows(csv_rows, _bundled_rows(kind), vintage, shown, first_year)
    provenance = cache.Provenance(
        source=f"ILOSTAT {INDICATOR}",
        url=shown,
        vintage=retrieved[:10],
        retrieved_at=retrieved,
        extra={
            "license": "CC BY 4.0",
            "vintage_note": "ILOSTAT's CSV carries no last-updated date: retrieval date used",
        },
    )
    return Fetched(kind, provenance, build=lambda _current: rows, notes=notes)
