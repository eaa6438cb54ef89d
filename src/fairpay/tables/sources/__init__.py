"""Refresh the bundled tables from their open sources; import a user's own benchmark table.

Why a package of small modules: each source (World Bank API v2, ILOSTAT rplumber, ECB reference
rates) has its own format; each module turns it into exactly the columns of the bundled table it
refreshes, with provenance (source, URL, vintage, retrieved-at). This module ties them to
``fairpay.tables.store``: fetch outside the lock (the network is slow), then, holding the lock, build the
new table, validate it *as the file that will be loaded*, and only then replace the old one.
Any failure (network, parse, validation) leaves the stored data exactly as it was.

Importing this package is light: ``httpx`` loads only with the source modules, in :func:`update`.
Each source's base URL is configurable (argument, or ``FAIRPAY_<SOURCE>_URL``), so tests point
them at a local server.
"""

from __future__ import annotations

import datetime
import importlib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fairpay.errors import FairpayError, InvalidDataError, SourceError
from fairpay.tables import guard, store as cache
from fairpay.units.iso import legal_tender

__all__ = [
    "SOURCES",
    "IMPORTABLE",
    "Fetched",
    "Outcome",
    "base_url",
    "update",
    "import_user_table",
    "reset",
    "status",
]

# source name -> (module under fairpay.tables.sources, default base URL, tables it refreshes)
SOURCES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "worldbank": ("worldbank", "https://api.worldbank.org", ("exchange_rates", "cpi", "ppp")),
    "ilostat": ("ilostat", "https://rplumber.ilo.org", ("minimum_wages_ilostat",)),
    "ecb": ("ecb", "https://www.ecb.europa.eu", ("exchange_rates",)),
}
# Benchmark tables a user may import; their rows go ahead of the bundled ones (see data.user_rows).
IMPORTABLE: tuple[str, ...] = ("living_wages", "minimum_wages")
# A benchmark row whose reference year is older than this many years is flagged as stale.
STALE_BENCHMARK_YEARS = 3
# A sourced table whose vintage is older than this many days is flagged as due for an update.
STALE_VINTAGE_DAYS = 400


@dataclass
class Fetched:
    """A source's new version of one table, before it is validated and stored.

    ``build(current_rows)`` returns the full new table in the bundled columns; it receives the
    table as currently loaded (cache or bundled) so a partial source (ECB) can merge into it.
    """

    kind: str
    provenance: cache.Provenance
    build: Callable[[Sequence[Mapping[str, Any]]], list[dict[str, Any]]]
    notes: list[str] = field(default_factory=list)  # e.g. "skipped 49 aggregate rows"
    changes: list[str] = field(default_factory=list)  # moves the source itself shows (ECB days)


@dataclass
class Outcome:
    """What an update or import did to one table (or why it did nothing)."""

    source: str
    kind: str
    ok: bool
    message: str
    meta: dict[str, Any] = field(default_factory=dict)


def base_url(source: str, override: str | None = None) -> str:
    """The base URL for ``source``: explicit override, else ``FAIRPAY_<SOURCE>_URL``, else default."""
    if source not in SOURCES:
        raise FairpayError(f"unknown source {source!r}; expected one of: {', '.join(SOURCES)}")
    url = override or os.environ.get(f"FAIRPAY_{source.upper()}_URL") or SOURCES[source][1]
    return url.rstrip("/")


# --------------------------------------------------------------------------- shared helpers
def is_country_alpha3(code: str) -> bool:
    """True for ISO 3166-1 alpha-3 codes and the World Bank's XKX/CHI; False for aggregates."""
    from fairpay.units.iso import country_alpha3

    return code in country_alpha3()


def alpha2_of(alpha3: str) -> str | None:
    """The alpha-2 code for an alpha-3 (Kosovo: XK), for CLDR territory look-ups."""
    from fairpay.units.iso import alpha3_to_alpha2

    return alpha3_to_alpha2().get(alpha3)


ReferenceUnits = Mapping[str, Mapping[int, tuple[str, str]]]


def reference_units(
    rows: Iterable[Mapping[str, Any]], currency_col: str, note_col: str
) -> dict[str, dict[int, tuple[str, str]]]:
    """country_iso3 -> year -> (currency, note) from a bundled table: the reference for new rows."""
    out: dict[str, dict[int, tuple[str, str]]] = {}
    for row in rows:
        out.setdefault(str(row["country_iso3"]), {})[int(row["year"])] = (
            str(row.get(currency_col) or ""),
            str(row.get(note_col) or ""),
        )
    return out


def resolve_currency(iso3: str, year: int, reference: ReferenceUnits) -> tuple[str, str]:
    """(currency, note) for a source row that gives a value but no unit (World Bank LCU).

    Why this order: the bundled table's curated unit for the same country and year is the best
    evidence; for a new year the country's nearest bundled year is kept only if CLDR agrees it
    is still legal tender; a new country takes its single CLDR currency. Whenever the unit is
    uncertain the currency is left empty and the note says why (validation requires the note),
    so nothing is converted through a guessed currency.
    """
    years = reference.get(iso3)
    if years and year in years:
        return years[year]
    tender = legal_tender(alpha2_of(iso3), year)
    if years:
        earlier = [y for y in years if y <= year]
        ref_year = max(earlier) if earlier else min(years)
        currency, note = years[ref_year]
        if currency and (not tender or tender[0] == currency):
            carried = f"; note on the {ref_year} row: {note}" if note else ""
            return currency, f"currency as in the bundled {ref_year} row{carried}" if carried else ""
        return "", (
            f"unit ambiguous: the bundled {ref_year} row is in {currency or 'an unknown unit'} but "
            f"CLDR gives {tender[0] if tender else 'no currency'} as legal tender on {year}-07-01 "
            "(currency change?); check the source's unit before use"
        )
    if len(tender) == 1:
        return tender[0], f"currency from CLDR territory data for {year}-07-01 (the source gives no unit)"
    if tender:
        return "", (
            f"unit ambiguous: several legal tenders per CLDR on {year}-07-01 ({', '.join(tender)}) "
            "and the source gives no unit"
        )
    return "", "unit unknown: the source gives none and CLDR lists no currency for this territory"


def year_of(text: str) -> int | None:
    """A leading YYYY in a vintage string, else None."""
    match = re.match(r"(\d{4})", text or "")
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------- storing
def _current_rows(kind: str) -> tuple[Any, ...]:
    """The ``kind`` table as loading sees it now (cache if valid, else bundled)."""
    from fairpay.tables import load as data

    data.load.cache_clear()
    return data.load(kind).rows


def _bundled_rows(kind: str) -> tuple[Any, ...]:
    from fairpay.tables import load as data

    return data.read_rows(kind, data.bundled_dir() / f"{kind}.csv", origin="bundled").rows


def store(
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    provenance: cache.Provenance,
    name: str,
    origin: str,
) -> dict[str, Any]:
    """Write ``rows`` (bundled columns first, extras after) as a new version of stored table
    ``name`` once they validate. The caller holds :func:`cache.lock`."""
    from fairpay.tables import load as data

    columns = list(data.COLUMNS[kind])
    for row in rows:
        columns += [c for c in row if c not in columns]
    payload = cache.rows_to_csv(rows, columns)
    countries = sorted({str(r.get("country_iso3") or r.get("country") or "") for r in rows} - {""})
    prov = cache.Provenance(
        provenance.source,
        provenance.url,
        provenance.vintage,
        provenance.retrieved_at,
        {**dict(provenance.extra), "kind": kind, "origin": origin, "countries": len(countries)},
    )
    meta = cache.write_version(
        name, kind, payload, prov, validate=lambda tmp: data.read_rows(kind, tmp, origin=origin)
    )
    _forget_loaded()
    return meta


def _forget_loaded() -> None:
    """Drop per-process caches of loaded tables and what is built from them (benchmark collection,
    exchange rates, the estimate), so this process sees the new data at once."""
    cache.forget_cached()


def _current_meta(kind: str) -> dict[str, Any]:
    """The provenance of the stored ``kind`` table loading uses now ({} for the bundled one)."""
    from fairpay.tables import load as data

    table = data.load(kind)
    return (cache.read_meta(Path(table.location)) or {}) if table.origin == "cache" else {}


def _current_vintage(kind: str, name: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """The vintage ``name`` last gave ``kind``: from the stored provenance, else the rows' own."""
    meta = _current_meta(kind)
    if meta:
        vintages = meta.get("vintages")
        if isinstance(vintages, dict) and name in vintages:
            return guard.vintage_date(str(vintages[name]))
        if meta.get("updater") == name:
            return guard.vintage_date(str(meta.get("vintage", "")))
    prefix = _SOURCE_TEXT_PREFIX[name]
    dates = {
        guard.vintage_date(str(r.get("source_vintage") or ""))
        for r in rows
        if str(r.get("source") or "").startswith(prefix)
    }
    dates.discard("")
    return max(dates) if dates else ""


# how each updater's rows name their source (bundled rows included), to find its last vintage
_SOURCE_TEXT_PREFIX = {"worldbank": "World Bank", "ilostat": "ILOSTAT", "ecb": "ECB "}


def _listed(what: str, items: Sequence[str], limit: int = 5) -> str:
    more = f" (and {len(items) - limit} more)" if len(items) > limit else ""
    return f"{len(items)} {what}: " + "; ".join(items[:limit]) + more


def _refusal(
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    current: Sequence[Mapping[str, Any]],
    fetched: Fetched,
    name: str,
    flags: Mapping[str, bool],
) -> str | None:
    """Why ``rows`` may not replace ``current`` under ``flags`` (see ``fairpay.tables.guard``), or None."""
    rates: Sequence[Mapping[str, Any]] = ()
    if kind == "minimum_wages_ilostat":
        from fairpay.tables import load as data

        rates = data.load("exchange_rates").rows
    found = guard.review(kind, current, rows, rates)
    if found.implausible:
        return _listed("implausible value(s), refused", found.implausible)
    old, new = _current_vintage(kind, name, current), guard.vintage_date(fetched.provenance.vintage)
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    if new > tomorrow:
        return f"vintage {new} is in the future; refused (a later update could never replace it)"
    problems: list[str] = []
    needed: list[str] = []
    if old and new and new < old and not flags.get("allow_older"):
        problems.append(f"vintage {new} is older than the current {old}")
        needed.append("--allow-older")
    if found.losses and not flags.get("allow_removals"):
        problems += found.losses
        needed.append("--allow-removals")
    listed = fetched.changes + found.changes
    if listed and not flags.get("accept_changes"):
        problems.append(_listed("change(s) beyond the documented thresholds", listed))
        needed.append("--accept-changes")
    if problems:
        return "; ".join(problems) + f"; check, then rerun with {' '.join(needed)} to store it"
    return None


def _run_source(
    name: str, url: str, policy: Any, kinds: Sequence[str] | None, flags: Mapping[str, bool]
) -> list[Outcome]:
    from fairpay.tables.sources.http import Unreachable

    module = importlib.import_module(f"fairpay.tables.sources.{SOURCES[name][0]}")
    outcomes: list[Outcome] = []
    wanted = [k for k in SOURCES[name][2] if kinds is None or k in kinds]
    unreachable = ""
    for kind in wanted:
        fetched: Fetched | None = None
        if unreachable:  # one stalled source must not cost one deadline per table
            outcomes.append(
                Outcome(
                    name,
                    kind,
                    False,
                    f"{kind}: {name}: not tried, the source did not answer for {unreachable}; kept the previous data",
                )
            )
            continue
        try:
            fetched = module.fetch(kind, base_url=url, policy=policy)
            with cache.lock():
                current = _current_rows(kind)
                rows = fetched.build(current)
                if not rows:
                    raise SourceError(f"{name}: {fetched.provenance.url}: no rows for {kind}")
                refusal = _refusal(kind, rows, current, fetched, name, flags)
                if refusal:
                    raise SourceError(f"{name}: {fetched.provenance.url}: {refusal}")
                vintages = dict(_current_meta(kind).get("vintages") or {})
                vintages[name] = fetched.provenance.vintage
                prov = cache.Provenance(
                    fetched.provenance.source,
                    fetched.provenance.url,
                    fetched.provenance.vintage,
                    fetched.provenance.retrieved_at,
                    {
                        **dict(fetched.provenance.extra),
                        "updater": name,
                        "vintages": vintages,
                        "accepted": {k: v for k, v in flags.items() if v},
                    },
                )
                meta = store(kind, rows, prov, kind, "cache")
        except SourceError as exc:
            if isinstance(exc, Unreachable):
                unreachable = kind
            outcomes.append(Outcome(name, kind, False, f"{kind}: {exc}; kept the previous data"))
            continue
        except InvalidDataError as exc:
            # The failures name rows of the rejected new table, not of a file the user has.
            shown = "; ".join(exc.failures[:5]) + (
                f" (and {len(exc.failures) - 5} more)" if len(exc.failures) > 5 else ""
            )
            outcomes.append(
                Outcome(
                    name,
                    kind,
                    False,
                    f"{kind}: {name}: {fetched.provenance.url if fetched else url}: the new table failed validation "
                    f"({len(exc.failures)} problem(s)): {shown}; kept the previous data",
                )
            )
            continue
        extra = f" ({'; '.join(fetched.notes)})" if fetched.notes else ""
        outcomes.append(
            Outcome(
                name,
                kind,
                True,
                f"{kind}: {meta.get('rows')} rows, {meta.get('countries')} countries, vintage "
                f"{meta['vintage']} from {meta['url']}{extra}",
                meta,
            )
        )
    return outcomes


def update(
    sources: Sequence[str] | None = None,
    *,
    base_urls: Mapping[str, str] | None = None,
    policy: Any = None,
    kinds: Sequence[str] | None = None,
    accept_changes: bool = False,
    allow_removals: bool = False,
    allow_older: bool = False,
) -> list[Outcome]:
    """Refresh tables from ``sources`` (default: all, World Bank before ECB); one Outcome per table.

    Failures do not raise: each becomes an Outcome with ``ok=False`` and a one-line message,
    and that table keeps its previous data. ``policy`` is a ``sources.http.Policy``. A new table
    with implausible values is always refused; one with changes beyond the thresholds of
    ``fairpay.tables.guard``, fewer countries or country-years, or an older vintage is refused
    unless ``accept_changes``, ``allow_removals`` or ``allow_older`` says so.
    """
    flags = {"accept_changes": accept_changes, "allow_removals": allow_removals, "allow_older": allow_older}
    from fairpay.tables.sources import http

    names = list(sources) if sources else list(SOURCES)
    for name in names:
        base_url(name)  # unknown names fail before any network traffic
    outcomes: list[Outcome] = []
    for name in names:
        url = base_url(name, (base_urls or {}).get(name))
        outcomes += _run_source(name, url, policy or http.DEFAULT_POLICY, kinds, flags)
    return outcomes


def import_user_table(kind: str, file: str | os.PathLike[str]) -> dict[str, Any]:
    """Validate a user's table (bundled column layout, CSV) once and store it ahead of bundled rows.

    The rows are stored per country in a typed form (see ``load.pack_user_rows``) so later
    commands neither re-validate them nor read countries they do not need. The returned
    provenance carries ``warnings``: plausibility notes (a currency that is not the country's,
    an amount far from the country's other figures) that do not stop the import.
    """
    from collections import Counter

    from fairpay.tables import load as data

    if kind not in IMPORTABLE:
        raise InvalidDataError(
            str(file), [f"cannot import a {kind!r} table; importable kinds: {', '.join(IMPORTABLE)}"]
        )
    path = Path(file)
    if path.suffix.lower() not in {".csv", ".txt"}:
        raise InvalidDataError(
            str(path),
            [
                f"unsupported file type {path.suffix or '(none)'!r}: save the sheet as CSV (UTF-8) "
                f"with the columns of the bundled {kind} table: {', '.join(data.COLUMNS[kind])}"
            ],
        )
    table = data.read_rows(kind, path, origin="user")
    refused = guard.import_refusals(kind, table.rows)
    if refused:
        raise InvalidDataError(str(path), refused)
    notes = guard.import_warnings(kind, table.rows, _bundled_rows(kind), data.load("exchange_rates").rows)
    stat = path.stat()
    years = sorted({int(r["reference_year"]) for r in table.rows})
    countries = sorted({str(r["country"]) for r in table.rows})
    provenance = cache.Provenance(
        source=f"user import of {path.name}",
        url=str(path.resolve()),
        vintage=f"reference years {years[0]}-{years[-1]}" if years else "",
        retrieved_at=cache.now_utc(),
        extra={
            "file_modified": datetime.datetime.fromtimestamp(stat.st_mtime, datetime.UTC)
            .replace(microsecond=0)
            .isoformat(),
            "kind": kind,
            "origin": "user",
            "countries": len(countries),
            "reference_years": {
                str(y): n for y, n in sorted(Counter(int(r["reference_year"]) for r in table.rows).items())
            },
            "warnings": notes,
        },
    )
    parts = data.pack_user_rows(kind, table.rows)
    expected = len(table.rows)

    def check(csv_path: Path) -> Any:
        import json

        index = json.loads((csv_path.parent / data.USER_INDEX).read_text(encoding="utf-8"))
        stored = sum(int(c["rows"]) for c in index["countries"].values())
        if stored != expected:
            raise InvalidDataError(str(csv_path), [f"stored {stored} rows of {expected}"])
        return table

    with cache.lock():
        meta = cache.write_version(
            cache.user_name(kind),
            kind,
            path,  # the user's own bytes, as cited; later loads read the typed parts
            provenance,
            validate=check,
            extra_files=parts,
            verify_on_read=[f"{kind}.csv", *(n for n in parts if n != data.USER_INDEX)],
        )
    _forget_loaded()
    return meta


def reset(kinds: Sequence[str] | None = None, *, user: bool = False) -> list[str]:
    """Remove refreshed tables (and imported ones only if ``user``); bundled data applies again.

    Why imports stay by default: a licensed living-wage table may not be downloadable again,
    whereas a refresh is one ``fairpay data update`` away. Returns the stored names removed.
    """
    from fairpay.tables import load as data

    targets = list(kinds) if kinds else list(data.TABLES)
    names = list(targets)
    if user:
        names += [cache.user_name(k) for k in targets]
    with cache.lock():
        removed = cache.remove(names)
    _forget_loaded()
    return removed


# --------------------------------------------------------------------------- status
def _vintage_of(rows: Sequence[Mapping[str, Any]]) -> str:
    vintages = {str(r.get("source_vintage") or "") for r in rows} - {""}
    if vintages:
        return max(vintages)
    years = {int(r["reference_year"]) for r in rows if r.get("reference_year")}
    return f"reference years {min(years)}-{max(years)}" if years else "unknown"


def _age_days(vintage: str, today: datetime.date) -> int | None:
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", vintage)
    if not match:
        return None
    return (today - datetime.date(*map(int, match.groups()))).days


def status(today: datetime.date | None = None) -> list[dict[str, Any]]:
    """One entry per table (and per imported user table): origin, source, vintage, age, size, staleness."""
    import warnings

    from fairpay.tables import load as data

    today = today or datetime.date.today()
    cache.tidy()
    entries: list[dict[str, Any]] = []
    for kind in data.TABLES:
        cache.forget_cached()  # so this look re-states every problem it meets
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = data.load(kind)
            # an import is described from its provenance: no need to read a million rows to count them
            user = data.user_rows(kind, countries=()) if kind in IMPORTABLE else None
        tables = [table] + ([user] if user is not None else [])
        for t in tables:
            meta = cache.read_meta(Path(t.location)) if t.origin != "bundled" else None
            rows = t.rows
            vintage = str(meta["vintage"]) if meta else _vintage_of(rows)
            countries = {str(r.get("country_iso3") or r.get("country") or "") for r in rows} - {""}
            years: dict[int, int] = {}
            if t.origin == "user" and meta:
                years = {int(y): int(n) for y, n in dict(meta.get("reference_years") or {}).items()}
                n_rows, n_countries = int(meta.get("rows") or 0), int(meta.get("countries") or 0)
            else:
                if rows and "reference_year" in rows[0]:
                    for r in rows:
                        years[int(r["reference_year"])] = years.get(int(r["reference_year"]), 0) + 1
                n_rows, n_countries = len(rows), len(countries)
            entry: dict[str, Any] = {
                "kind": kind,
                "origin": t.origin,
                "location": t.location,
                "source": str(meta["source"]) if meta else data.TABLE_SOURCE_URLS.get(kind, "cited per row"),
                "url": str(meta["url"]) if meta else data.TABLE_SOURCE_URLS.get(kind, ""),
                "vintage": vintage,
                "retrieved_at": str(meta.get("retrieved_at", "")) if meta else "",
                "age_days": _age_days(vintage, today),
                "rows": n_rows,
                "countries": n_countries,
                "stale": "",
                "warnings": [str(w.message) for w in caught],
            }
            if years and kind != "standard_weeks":
                old = sum(n for y, n in years.items() if y < today.year - STALE_BENCHMARK_YEARS)
                if old:
                    entry["stale"] = (
                        f"{old} of {n_rows} rows have a reference year before "
                        f"{today.year - STALE_BENCHMARK_YEARS}"
                    )
            elif entry["age_days"] is not None and entry["age_days"] > STALE_VINTAGE_DAYS:
                entry["stale"] = f"vintage is {entry['age_days']} days old; run 'fairpay data update'"
            entries.append(entry)
    return entries
