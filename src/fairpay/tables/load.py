"""Bundled wage-benchmark tables: where they live, how they are read, and how they are checked.

Why this module is stdlib-only at import: the CLI has a tight start-up budget and every command
reads at least one table. pandas loads only inside :func:`frame`; babel only when a row carries a
currency code that is not a current ISO 4217 code; and the ISO 3166/4217 code lists are read
straight from pycountry's own JSON databases (importing ``pycountry`` costs ~50 ms because it
pulls in ``importlib.metadata``; the JSON files take a few ms).

Every table is validated before use, and validation collects *every* failure (like pandera), so a
user fixes a table in one pass. Row numbers in messages count the header as row 1, as a
spreadsheet shows them. Amounts are :class:`decimal.Decimal` parsed from the CSV text, never via
float, so a figure is exactly the one published.
"""

from __future__ import annotations

import csv
import datetime
import importlib.resources
import importlib.util
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from fairpay.errors import InvalidDataError
from fairpay.tables.store import by_data_version
from fairpay.units import iso
from fairpay.units.money import NOT_MONEY

__all__ = [
    "TABLES",
    "COLUMNS",
    "TABLE_SOURCE_URLS",
    "Table",
    "bundled_dir",
    "read_rows",
    "validate",
    "load",
    "user_rows",
    "user_countries",
    "pack_user_rows",
    "frame",
]

TABLES: tuple[str, ...] = (
    "living_wages",
    "minimum_wages",
    "minimum_wages_ilostat",
    "exchange_rates",
    "cpi",
    "ppp",
    "standard_weeks",
    "gdp_per_capita_ppp_2021",
)

# The World Bank and ILO tables name their source in a `source` column but carry no URL per row:
# these table-level URLs (documented in data/wage_benchmarks/README.md) stand in for it.
TABLE_SOURCE_URLS: dict[str, str] = {
    "minimum_wages_ilostat": "https://ilostat.ilo.org/data/",
    "exchange_rates": "https://data.worldbank.org/indicator/PA.NUS.FCRF",
    "cpi": "https://data.worldbank.org/indicator/FP.CPI.TOTL",
    "ppp": "https://data.worldbank.org/indicator/PA.NUS.PRVT.PP",
    "gdp_per_capita_ppp_2021": "https://data.worldbank.org/indicator/NY.GDP.PCAP.PP.KD",
}

PERIODS = frozenset({"hour", "day", "week", "month", "year"})
HOUSEHOLDS = frozenset({"single_adult", "typical_family", "standard_family", "blended", "other"})
AREAS = frozenset({"national", "urban", "rural", "other"})
GROSS_NET = frozenset({"gross", "net", "unspecified"})
METHODS = frozenset(
    {
        "anker",
        "wageindicator",
        "campaign_floor",
        "minimum_income_standard",
        "canadian_framework",
        "budget_standard",
        "national_network",
        "mit",
        "union_survey",
        "ngo_estimate",
        "subjective_survey",
    }
)
CONFIDENCE = frozenset({"high", "medium", "low"})
SCOPES = frozenset({"national", "regional", "sectoral", "federal_sectors", "national_floor_non_binding"})
# World Bank codes outside ISO 3166-1: Kosovo and the Channel Islands.
NON_ISO_ALPHA3 = iso.NON_ISO_ALPHA3
# ISO 4217 codes that are not money anyone is paid in (metals, fund units, testing, "no currency").
MIN_YEAR = 1990

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class Table:
    """One validated table; ``origin``/``location`` say where it came from (for provenance)."""

    kind: str
    rows: tuple[dict[str, Any], ...]
    origin: str  # "bundled" | "user" | "cache"
    location: str  # file path or description

    def __len__(self) -> int:
        return len(self.rows)


# --------------------------------------------------------------------------- code lists
_alpha2 = iso.country_alpha2
_alpha3 = iso.country_alpha3
_subdivisions = iso.subdivision_country
_current_currencies = iso.current_currencies
_all_currencies = iso.all_currencies


_THIS_YEAR = [datetime.date.today().year]


def _this_year() -> int:
    """The current year, refreshed once per validation (not per cell: date.today() is slow)."""
    return _THIS_YEAR[0]


# --------------------------------------------------------------------------- cell checkers
class _Bad(Exception):
    """A cell failed a check; the message completes "row N, column 'c': ..."."""


Checker = Callable[[str, Mapping[str, str]], Any]


def _deps(check: Checker) -> tuple[str, ...]:
    """Other columns a checker reads from its row (set as ``check.deps``); most read none."""
    return tuple(getattr(check, "deps", ()))


def _text(value: str, row: Mapping[str, str]) -> str:
    if not value:
        raise _Bad("is empty; expected a non-empty value")
    return value


def _opt_text(value: str, row: Mapping[str, str]) -> str | None:
    return value or None


def _optional(check: Checker) -> Checker:
    def opt(value: str, row: Mapping[str, str]) -> Any:
        return check(value, row) if value else None

    opt.deps = _deps(check)  # type: ignore[attr-defined]
    return opt


def _enum(allowed: frozenset[str], what: str) -> Checker:
    shown = ", ".join(sorted(allowed))

    def check(value: str, row: Mapping[str, str]) -> str:
        if value not in allowed:
            raise _Bad(f"{value!r} is not a valid {what}; expected one of: {shown}")
        return value

    return check


def _alpha2_code(value: str, row: Mapping[str, str]) -> str:
    if value not in _alpha2():
        raise _Bad(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


def _alpha3_code(value: str, row: Mapping[str, str]) -> str:
    if value not in _alpha3():
        raise _Bad(f"{value!r} is not an ISO 3166-1 alpha-3 country code (or World Bank XKX/CHI)")
    return value


def _subdivision(country_col: str) -> Checker:
    def check(value: str, row: Mapping[str, str]) -> str | None:
        if not value:
            return None
        owner = _subdivisions().get(value)
        if owner is None:
            raise _Bad(f"{value!r} is not an ISO 3166-2 subdivision code")
        country = row.get(country_col, "")
        if owner != country:
            raise _Bad(f"{value!r} is a subdivision of {owner}, not of the row's country {country!r}")
        return value

    check.deps = (country_col,)  # type: ignore[attr-defined]
    return check


def _number(value: str) -> Decimal:
    if not _NUMBER.fullmatch(value):
        raise _Bad(f"{value!r} is not a finite decimal number")
    return Decimal(value)


def _amount(value: str, row: Mapping[str, str]) -> Decimal:
    if not value:
        raise _Bad("is empty; expected an amount > 0")
    amount = _number(value)
    if amount <= 0:
        raise _Bad(f"{value!r} is not > 0")
    return amount


def _hours(value: str, row: Mapping[str, str]) -> Decimal:
    if not value:
        raise _Bad("is empty; expected hours per week in (0, 100]")
    hours = _number(value)
    if not 0 < hours <= 100:
        raise _Bad(f"{value!r} is not in (0, 100] hours per week")
    return hours


def _year(value: str, row: Mapping[str, str]) -> int:
    if not _INT.fullmatch(value):
        raise _Bad(f"{value!r} is not a year")
    year, last = int(value), _this_year() + 1
    if not MIN_YEAR <= year <= last:
        raise _Bad(f"{value!r} is not a plausible reference year ({MIN_YEAR}..{last})")
    return year


def _month(value: str, row: Mapping[str, str]) -> int:
    if not _INT.fullmatch(value) or not 1 <= int(value) <= 12:
        raise _Bad(f"{value!r} is not a month number 1..12")
    return int(value)


def _url(value: str, row: Mapping[str, str]) -> str:
    if not value:
        raise _Bad("is empty; expected an http(s) URL naming the source")
    if not re.match(r"https?://[^\s/]+\.[^\s/]+", value):
        raise _Bad(f"{value!r} is not an http(s) URL")
    return value


def _currency(year_col: str, note_col: str | None = None) -> Checker:
    """ISO 4217 code; withdrawn codes only for rows dated before the current year.

    Why: pycountry lists current codes only, but historic rows are legitimately in HRK, BGN, SLL...
    A row for this year or later must use a current code, so no current amount is ever converted
    through a dead currency. Where ``note_col`` is given, an empty code is accepted only if the
    note explains it (the World Bank/ILO tables leave the unit blank when it is unknowable).
    """

    def check(value: str, row: Mapping[str, str]) -> str | None:
        if not value:
            if note_col is not None and row.get(note_col):
                return None
            why = f" and {note_col!r} does not say why" if note_col else ""
            raise _Bad(f"is empty{why}; expected an ISO 4217 currency code")
        if value in NOT_MONEY:
            raise _Bad(f"{value!r} is an ISO 4217 code for a metal, fund unit or test, not money")
        if value in _current_currencies():
            return value
        if value in _all_currencies():
            year = row.get(year_col, "")
            this_year = _this_year()
            if _INT.fullmatch(year) and int(year) < this_year:
                return value
            raise _Bad(
                f"{value!r} is a withdrawn ISO 4217 currency code, accepted only for rows dated "
                f"before {this_year} (row's {year_col} is {year!r})"
            )
        raise _Bad(f"{value!r} is not an ISO 4217 currency code")

    check.deps = (year_col,) + ((note_col,) if note_col else ())  # type: ignore[attr-defined]
    return check


# --------------------------------------------------------------------------- schemas
_WB_SOURCE = {"source": _text, "source_vintage": _text}

_SCHEMAS: dict[str, dict[str, Checker]] = {
    "living_wages": {
        "country": _alpha2_code,
        "subdivision": _subdivision("country"),
        "area": _enum(AREAS, "area"),
        "locality": _text,
        "household": _enum(HOUSEHOLDS, "household"),
        "household_detail": _opt_text,
        "amount": _amount,
        "currency": _currency("reference_year"),
        "period": _enum(PERIODS, "period"),
        "gross_net": _enum(GROSS_NET, "gross_net value"),
        "hours_per_week": _optional(_hours),
        "reference_year": _year,
        "reference_month": _optional(_month),
        "method": _enum(METHODS, "method"),
        "method_detail": _opt_text,
        "confidence": _enum(CONFIDENCE, "confidence"),
        "source_name": _text,
        "source_url": _url,
        "retrieved_from": _opt_text,
        "notes": _opt_text,
    },
    "minimum_wages": {
        "country": _alpha2_code,
        "subdivision": _subdivision("country"),
        "scope": _enum(SCOPES, "scope"),
        "amount": _amount,
        "currency": _currency("reference_year"),
        "period": _enum(PERIODS, "period"),
        "reference_year": _year,
        "source_name": _text,
        "source_url": _url,
        "retrieved_from": _opt_text,
        "notes": _opt_text,
    },
    "minimum_wages_ilostat": {
        "country_iso3": _alpha3_code,
        "year": _year,
        "monthly_minimum_wage_lcu": _amount,
        "currency_inferred": _currency("year", note_col="flags"),
        "note_indicator": _opt_text,
        "note_source": _opt_text,
        "ilostat_source_code": _opt_text,
        "flags": _opt_text,
        "ilostat_cur_lcu_monthly_equivalent": _optional(_amount),
        **_WB_SOURCE,
        "period": _enum(PERIODS, "period"),
    },
    "exchange_rates": {
        "country_iso3": _alpha3_code,
        "currency": _currency("year", note_col="lcu_note"),
        "year": _year,
        "lcu_per_usd": _amount,
        "lcu_note": _opt_text,
        **_WB_SOURCE,
    },
    "cpi": {
        "country_iso3": _alpha3_code,
        "year": _year,
        "cpi_2010_100": _amount,
        **_WB_SOURCE,
    },
    "ppp": {
        "country_iso3": _alpha3_code,
        "currency": _currency("year", note_col="lcu_note"),
        "year": _year,
        "lcu_per_intl_dollar": _amount,
        "lcu_note": _opt_text,
        **_WB_SOURCE,
    },
    # World Bank WDI NY.GDP.PCAP.PP.KD, one vintage (2025-12-19): the income measure of the
    # living-wage estimate (fairpay.estimate). Rows carry their own source, URL and vintage.
    "gdp_per_capita_ppp_2021": {
        "country_iso3": _alpha3_code,
        "year": _year,
        "value": _amount,
        "unit": _text,
        "indicator": _text,
        "source": _text,
        "source_url": _url,
        "retrieved_from": _text,
        "vintage": _text,
    },
    "standard_weeks": {
        "country": _alpha2_code,
        "hours_per_week": _hours,
        "source_name": _text,
        "source_url": _url,
        "reference_year": _year,
        "notes": _text,
    },
}

# Columns that must be unique together: a second row would make a lookup ambiguous.
_KEYS: dict[str, tuple[str, ...]] = {
    "minimum_wages_ilostat": ("country_iso3", "year"),
    "exchange_rates": ("country_iso3", "year"),
    "cpi": ("country_iso3", "year"),
    "ppp": ("country_iso3", "year"),
    "standard_weeks": ("country",),
    "gdp_per_capita_ppp_2021": ("country_iso3", "year"),
}

COLUMNS: dict[str, tuple[str, ...]] = {kind: tuple(schema) for kind, schema in _SCHEMAS.items()}


# --------------------------------------------------------------------------- validation
def _cell_text(value: Any) -> str:
    """A cell as the CSV text it stands for (DataFrames may hold NaN, floats, Decimals)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float):
        # NaN is pandas' empty cell; repr() is the shortest text that round-trips the float.
        return "" if value != value else repr(value)
    return str(value).strip()


def _check_kind(kind: str) -> dict[str, Checker]:
    try:
        return _SCHEMAS[kind]
    except KeyError:
        raise InvalidDataError(
            kind, [f"unknown table kind {kind!r}; expected one of: {', '.join(TABLES)}"]
        ) from None


def validate(
    kind: str,
    rows: Iterable[Mapping[str, Any]],
    source: str,
    *,
    columns: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Check every row of a ``kind`` table and return typed copies; raise listing ALL failures.

    ``columns`` is the header (taken from the first row when not given). Columns beyond the
    schema are kept as stripped text, never dropped.
    """
    _check_kind(kind)
    dict_rows = [{str(k).strip(): v for k, v in r.items()} for r in rows]
    if columns is None:
        columns = list(dict_rows[0]) if dict_rows else []
    header = [str(c).strip() for c in columns]
    cells = [[_cell_text(r.get(c)) for c in header] for r in dict_rows]
    return _validate(kind, cells, source, header)


def _validate(kind: str, cells: list[list[str]], source: str, header: Sequence[str]) -> list[dict[str, Any]]:
    """:func:`validate` on rows of text aligned with ``header`` (the CSV fast path).

    Why column-wise: most cells repeat (codes, years, source names), so each distinct value
    (with the columns its check depends on) is checked once; loading stays in milliseconds.
    """
    schema = _check_kind(kind)
    _THIS_YEAR[0] = datetime.date.today().year
    failures: list[tuple[int, int, str]] = []  # (row, column position, message), sorted below
    missing = [c for c in schema if c not in header]
    if missing:
        failures.append((0, 0, f"missing column(s): {', '.join(repr(c) for c in missing)}"))
    if not cells:
        failures.append((0, 1, "table has no rows"))
    pos = {c: i for i, c in enumerate(header)}
    # Transpose and strip column by column (map(str.strip) runs in C; cells need no per-row loop).
    by_col: list[tuple[str, ...]] = (
        [tuple(map(str.strip, column)) for column in zip(*cells)] if cells else [() for _ in header]
    )

    names: list[str] = []
    typed_cols: list[Sequence[Any]] = []
    for col_index, (col, check) in enumerate(
        [(c, chk) for c, chk in schema.items() if c not in missing]
        + [(c, _opt_text) for c in header if c not in schema]  # extras kept, never dropped
    ):
        values = by_col[pos[col]]
        names.append(col)
        if check is _opt_text:
            typed_cols.append([v or None for v in values])
            continue
        deps = [d for d in _deps(check) if d in pos]
        dep_values = [by_col[pos[d]] for d in deps]
        keys: Sequence[Any] = list(zip(values, *dep_values)) if deps else values
        results: dict[Any, Any] = {}
        bad: dict[Any, str] = {}
        for key in set(keys):
            value, row = (key[0], dict(zip(deps, key[1:]))) if deps else (key, {})
            try:
                results[key] = check(value, row)
            except _Bad as exc:
                bad[key] = str(exc)
        if bad:
            for row_index, key in enumerate(keys):
                if key in bad:
                    line = row_index + 2  # the header is row 1
                    failures.append((line, col_index, f"row {line}, column {col!r}: {bad[key]}"))
            typed_cols.append([results.get(k) for k in keys])
        else:
            typed_cols.append([results[k] for k in keys])

    key_cols = _KEYS.get(kind, ())
    if key_cols and not any(c in missing for c in key_cols):
        seen: dict[tuple[str, ...], int] = {}
        for row_index, key in enumerate(zip(*(by_col[pos[c]] for c in key_cols))):
            if key in seen:
                shown = ", ".join(f"{c}={v!r}" for c, v in zip(key_cols, key))
                line = row_index + 2
                failures.append((line, -1, f"row {line}: duplicate of row {seen[key]} ({shown})"))
            else:
                seen[key] = row_index + 2
    if failures:
        failures.sort(key=lambda f: (f[0], f[1]))
        raise InvalidDataError(source, [message for _, _, message in failures])
    return [dict(zip(names, row)) for row in zip(*typed_cols)] if typed_cols else [{} for _ in cells]


def read_rows(kind: str, source: Any, *, origin: str = "user") -> Table:
    """Read and validate a table from a CSV path, a text file object, or a pandas DataFrame."""
    _check_kind(kind)
    if hasattr(source, "columns") and hasattr(source, "to_dict"):  # a DataFrame, duck-typed
        location = f"<DataFrame {kind}>"
        columns = [str(c) for c in source.columns]
        records = source.to_dict("records")
        return Table(kind, tuple(validate(kind, records, location, columns=columns)), origin, location)
    if isinstance(source, (str, os.PathLike, Traversable)):
        location = str(source)
        try:
            with _open_text(source) as fh:
                columns, records, failures = _read_csv(fh)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise InvalidDataError(location, [f"cannot read as a UTF-8 CSV file: {exc}"]) from exc
    else:
        location = str(getattr(source, "name", f"<{type(source).__name__}>"))
        try:
            columns, records, failures = _read_csv(source)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidDataError(location, [f"cannot read as a UTF-8 CSV file: {exc}"]) from exc
    try:
        rows = _validate(kind, records, location, columns)
    except InvalidDataError as err:
        failures = failures + err.failures
        rows = []
    if failures:
        raise InvalidDataError(location, failures)
    return Table(kind, tuple(rows), origin, location)


def _open_text(source: str | os.PathLike[str] | Traversable) -> io.TextIOBase:
    if isinstance(source, Traversable) and not isinstance(source, Path):
        # Traversable.open forwards keywords to io.TextIOWrapper (which takes newline=),
        # but typeshed's overloads list only encoding/errors.
        return source.open("r", encoding="utf-8-sig", newline="")  # type: ignore[call-overload]
    return open(source, encoding="utf-8-sig", newline="")  # noqa: SIM115 - caller closes


def _read_csv(fh: Iterable[str]) -> tuple[list[str], list[list[str]], list[str]]:
    """Parse CSV text; report ragged rows and bad headers instead of guessing."""
    reader = csv.reader(fh)
    header = [h.strip() for h in next(reader, [])]
    failures: list[str] = []
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        failures.append(f"duplicate column name(s) in header: {', '.join(map(repr, dupes))}")
    width = len(header)
    records: list[list[str]] = []
    for index, cells in enumerate(reader):
        if not cells:
            continue
        if len(cells) != width:
            failures.append(f"row {index + 2}: has {len(cells)} fields, the header has {width}")
            cells = (cells + [""] * width)[:width]
        records.append(cells)
    return header, records, failures


# --------------------------------------------------------------------------- bundled tables
def bundled_dir() -> Traversable:
    """The shipped tables: inside the installed wheel, else the source checkout's ``data/``."""
    packaged = importlib.resources.files("fairpay") / "_data" / "wage_benchmarks"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "data" / "wage_benchmarks"
    if checkout.is_dir():
        return checkout
    raise InvalidDataError(
        "fairpay bundled data",
        [f"wage_benchmarks directory not found in the package ({packaged}) or at {checkout}"],
    )


def _from_store(kind: str, name: str, origin: str) -> Table | None:
    """The newest stored version of ``name`` that verifies *and* validates, else None.

    Why try older versions: a version that no longer loads (damaged, or written by another
    fairpay) must cost the user one update, not all of them; ``store.note`` records each skip
    so every output can say which version was used instead.
    """
    from fairpay.tables import store as cache

    for _attempt in range(3):  # a writer may retire the version we resolved: resolve again
        pointer = cache.current_version(name)
        found = cache.candidates(name)
        for index, path in enumerate(found):
            try:
                table = read_rows(kind, path, origin=origin)
            except InvalidDataError as exc:
                if cache.current_version(name) != pointer:
                    break  # replaced while we read it: not damaged, only retired
                later = found[index + 1 :]
                cache.note(
                    name,
                    f"{exc}; "
                    + (
                        f"using the last good update {later[0].parent.name} instead"
                        if later
                        else f"using the bundled {kind} table instead"
                        if origin == "cache"
                        else "ignoring the import"
                    ),
                )
                continue
            return Table(kind, table.rows, origin, str(path))
        else:
            return None
    return None


@by_data_version
def load(kind: str) -> Table:
    """The ``kind`` table, validated once per data version (:func:`fairpay.tables.store.data_version`:
    an update, by this process or another, is seen at the next call).

    A refreshed copy in the user's data folder (``fairpay data update``) wins over the bundled
    snapshot; ``fairpay.tables.store`` checks it against its checksums first.
    """
    _check_kind(kind)
    stored = _from_store(kind, kind, "cache")
    if stored is not None:
        return stored
    return read_rows(kind, bundled_dir() / f"{kind}.csv", origin="bundled")


USER_INDEX = "index.json"
USER_FORMAT = 1


def pack_user_rows(kind: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, bytes]:
    """Validated import rows as the files that make later loading fast: one pickle per country.

    Why: a user table is validated once, at import; later commands must not re-validate (a
    million rows take minutes) nor load countries they do not ask about. Each country's rows
    are pickled (typed: Decimal, int, text) under ``parts/``; ``index.json`` maps each country
    to its part and row count, and names the schema the rows were validated against. The
    pickles are only read after their SHA-256 (recorded beside them) has been checked.
    """
    import pickle

    country_col = "country" if "country" in COLUMNS[kind] else "country_iso3"
    by_country: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_country.setdefault(str(row[country_col]), []).append(dict(row))
    files: dict[str, bytes] = {}
    index: dict[str, Any] = {
        "format": USER_FORMAT,
        "kind": kind,
        "columns": list(COLUMNS[kind]),
        "countries": {},
    }
    for country, part in sorted(by_country.items()):
        name = f"parts/{country}.pickle"
        files[name] = pickle.dumps(tuple(part), protocol=pickle.HIGHEST_PROTOCOL)
        index["countries"][country] = {"file": name, "rows": len(part)}
    files[USER_INDEX] = (json.dumps(index, indent=1, sort_keys=True) + "\n").encode()
    return files


def _read_part(version: Path, name: str, meta: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """One country's pickled rows, after checking them against their recorded checksum."""
    import hashlib
    import pickle

    data = (version / name).read_bytes()
    if hashlib.sha256(data).hexdigest() != dict(meta.get("files") or {}).get(name):
        raise InvalidDataError(str(version / name), ["does not match its recorded checksum"])
    rows = pickle.loads(data)  # noqa: S301 - our own file, checked against its checksum first
    if not isinstance(rows, tuple):
        raise InvalidDataError(str(version / name), ["is not a stored table part"])
    return rows


@by_data_version
def _user_rows(kind: str, countries: frozenset[str] | None) -> Table | None:
    from fairpay.tables import store as cache

    name = cache.user_name(kind)
    found = cache.candidates(name)
    for position, path in enumerate(found):
        version = path.parent
        fallback = (
            f"using the earlier import {found[position + 1].parent.name} instead"
            if position + 1 < len(found)
            else "ignoring the import"
        )
        try:
            index = json.loads((version / USER_INDEX).read_text(encoding="utf-8"))
            if index.get("format") != USER_FORMAT or index.get("columns") != list(COLUMNS[kind]):
                raise InvalidDataError(
                    str(version), ["was stored by another version of fairpay: import it again"]
                )
            meta = cache.read_meta(path) or {}
            wanted = sorted(index["countries"] if countries is None else set(index["countries"]) & countries)
            rows: list[dict[str, Any]] = []
            for country in wanted:
                rows.extend(_read_part(version, index["countries"][country]["file"], meta))
        except (OSError, ValueError, KeyError, TypeError, InvalidDataError) as exc:
            cache.note(name, f"{version}: the imported {kind} table cannot be read ({exc}); {fallback}")
            continue
        return Table(kind, tuple(rows), "user", str(path))
    return None


def user_rows(kind: str, countries: Iterable[str] | None = None) -> Table | None:
    """The user's imported ``kind`` table (``fairpay data import``), or None if there is none.

    ``countries`` (alpha-2 codes) limits what is read to those countries' rows, so a large
    import costs nothing to a command about other places. The rows were validated at import
    and are not validated again. Why separate from :func:`load`: these rows go *ahead of* the
    bundled ones (a benchmark lookup tries them first), rather than replacing the whole table.
    """
    _check_kind(kind)
    return _user_rows(kind, None if countries is None else frozenset(str(c).upper() for c in countries))


def user_countries(kind: str) -> list[str]:
    """Countries the user's imported ``kind`` table covers (from its index; no rows are read)."""
    from fairpay.tables import store as cache

    found = cache.candidates(cache.user_name(kind))
    if not found:
        return []
    try:
        return sorted(json.loads((found[0].parent / USER_INDEX).read_text(encoding="utf-8"))["countries"])
    except (OSError, ValueError, KeyError):
        return []


def frame(kind: str) -> Any:
    """The ``kind`` table as a pandas DataFrame (amounts stay Decimal, in object columns)."""
    import pandas as pd

    table = load(kind)
    columns = list(COLUMNS[kind])
    columns += [c for c in (table.rows[0] if table.rows else {}) if c not in columns]
    return pd.DataFrame.from_records(list(table.rows), columns=columns)
