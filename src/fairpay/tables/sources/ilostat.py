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
from fairpay.tables.sources import Fetched, _bundled_rows, alpha2_of, is_country_alpha3
from fairpay.tables.sources.http import DEFAULT_POLICY, Policy, fetch as http_fetch
from fairpay.units.iso import legal_tender

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


def _t30_currencies(bundled: Sequence[Mapping[str, Any]]) -> dict[str, set[str]]:
    """T30 note code -> the currencies the bundled table gives it.

    Why: ILOSTAT names a row's currency only through this note, so the curated pairs are the
    first evidence for a row the bundled table does not have (used only if they agree).
    """
    t30_currency: dict[str, set[str]] = defaultdict(set)
    for r in bundled:
        code = _t30(str(r.get("note_indicator") or ""))
        if code:
            t30_currency[code].add(str(r.get("currency_inferred") or ""))
    return t30_currency


def _latest_flags(bundled: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, str]]:
    """country_iso3 -> (year, flags) of its latest flagged bundled row.

    Why: a curated flag (a caveat about a country's series) may still apply to a new row; it is
    carried forward, labelled with the year it was written for.
    """
    latest_flag: dict[str, tuple[int, str]] = {}
    for r in bundled:
        if r.get("flags"):
            iso3, year = str(r["country_iso3"]), int(r["year"])
            if iso3 not in latest_flag or year > latest_flag[iso3][0]:
                latest_flag[iso3] = (year, str(r["flags"]))
    return latest_flag


def _skip_reason(line: int, row: Mapping[str, str], url: str, first_year: int) -> str | None:
    """Which count of skipped rows a CSV row adds to (None: it is kept); SourceError if it cannot
    belong to the series asked for.

    Why one place, in this order: a row outside the table (another currency type, an aggregate,
    an early year, no value) is only counted, but a row ILOSTAT should never send is an error
    that names the first thing wrong with the line.
    """
    if row["indicator"] != INDICATOR:
        raise SourceError(
            f"{NAME}: {url}: line {line} is indicator {row['indicator']!r}, asked for {INDICATOR}"
        )
    if row["classif1"] != "CUR_TYPE_LCU":
        return "other currency types"
    if row.get("sex") not in (None, "", "SEX_T"):
        raise SourceError(f"{NAME}: {url}: line {line}: unexpected sex breakdown {row['sex']!r}")
    if not is_country_alpha3(row["ref_area"]):
        return "aggregates"
    if not re.fullmatch(r"\d{4}", row["time"]):
        raise SourceError(f"{NAME}: {url}: line {line}: time {row['time']!r} is not a year")
    if int(row["time"]) < first_year:
        return "years before"
    value = row["obs_value"]
    if not value:
        return "empty values"
    if not _NUMBER.fullmatch(value):
        raise SourceError(f"{NAME}: {url}: line {line}: obs_value {value!r} is not a number")
    return None


def _curated_unit(old: Mapping[str, Any], value: str) -> dict[str, Any]:
    """Currency, period and flags of the bundled row for the same country-year and notes.

    Why: same notes as the curated row, so its unit, period and flags still describe the value;
    its monthly equivalent is kept only while the value itself is unchanged.
    """
    unit: dict[str, Any] = {
        "currency_inferred": old.get("currency_inferred") or "",
        "period": old["period"],
        "flags": old.get("flags") or "",
    }
    if str(old["monthly_minimum_wage_lcu"]) == value:
        unit["ilostat_cur_lcu_monthly_equivalent"] = old.get("ilostat_cur_lcu_monthly_equivalent") or ""
    return unit


def _currency_from_note(
    iso3: str, year: int, code: str | None, t30_currency: Mapping[str, set[str]]
) -> tuple[str, str]:
    """(currency, flag) for a row the bundled table does not describe: the bundled table's own
    currency for the row's T30 note, else the single CLDR legal tender, else unknown.

    Why a flag each time: the currency is inferred, never published, so the row says how.
    """
    known = t30_currency.get(code or "", set())
    if len(known) == 1 and "" not in known:
        return next(iter(known)), f"currency from ILOSTAT note {code} (as in the bundled table)"
    tender = legal_tender(alpha2_of(iso3), year)
    if len(tender) == 1:
        return tender[0], (
            f"currency from CLDR territory data ({tender[0]}); ILOSTAT note {code or 'none'} "
            "not in the bundled table"
        )
    return "", (
        f"unit unknown: ILOSTAT note {code or 'none'} not in the bundled table and CLDR "
        f"gives {', '.join(tender) or 'no currency'}"
    )


def _inferred_unit(
    iso3: str,
    year: int,
    note_indicator: str,
    t30_currency: Mapping[str, set[str]],
    latest_flag: Mapping[str, tuple[int, str]],
) -> dict[str, Any]:
    """Currency, period and flags of a row whose notes no bundled row for its country-year has.

    Why: the unit is then inferred from the notes (currency, period), and the flags say how and
    carry the country's latest curated flag forward, labelled, for a human to check.
    """
    currency, currency_flag = _currency_from_note(iso3, year, _t30(note_indicator), t30_currency)
    flags = [currency_flag]
    period, period_flag = _period(note_indicator)
    if period_flag:
        flags.append(period_flag)
    if iso3 in latest_flag:
        ref_year, text = latest_flag[iso3]
        flags.append(f"flag on the bundled {ref_year} row (check it still applies): {text}")
    return {"currency_inferred": currency, "period": period, "flags": "; ".join(flags)}


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
    t30_currency = _t30_currencies(bundled)
    latest_flag = _latest_flags(bundled)

    out: list[dict[str, Any]] = []
    skipped = {"other currency types": 0, "aggregates": 0, "empty values": 0, "years before": 0}
    for line, row in enumerate(csv_rows, start=2):
        reason = _skip_reason(line, row, url, first_year)
        if reason is not None:
            skipped[reason] += 1
            continue
        iso3, year, value = row["ref_area"], int(row["time"]), row["obs_value"]
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
            new.update(_curated_unit(old, value))
        else:
            new.update(_inferred_unit(iso3, year, note_indicator, t30_currency, latest_flag))
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
