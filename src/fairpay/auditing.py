"""Audit a submission log: each worker's effective hourly wage against the bar where they live.

Why: after a project the truth is in the platform's log, and it is usually long (tens of
millions of rows). fairpay validates every row, merges each worker's overlapping tasks into
worked time (rejected, returned and pending work count as time), converts earnings into the
worker's local currency, compares them with the local bar and proposes the exact top-up,
rounded *up* in the pay currency.

Engine: DuckDB, one connection per audit. Parquet is streamed; pandas DataFrames and CSVs are
scanned through Arrow. Passes: (1) a validation scan at (worker, place, currency) grain (counts;
only when a row is bad a second query lists every bad row), which also yields the distinct places
and pay currencies, so bars and exchange rates are computed once per place with
:mod:`fairpay.benchmark` and :mod:`fairpay.fx` into small tables, and each worker's place (one per
worker is checked) and task id for bonuses; (2) the per-row pass, numbers only, at (worker, project) grain: with rows
sorted by start, the running maximum ``m`` of earlier ends is the frontier already covered, so a
task adds ``end - start`` when it starts after ``m + gap`` and ``max(0, end - m)`` otherwise;
summing that gives the interval union without materialising blocks (per worker and per worker x
project). Money and time are summed as exact integers (micro-units of each pay currency,
microseconds), so results do not depend on thread scheduling, and the Dask engine
(``fairpay.distributed``) reproduces them exactly. (3) Small SQL queries join the bars and
rates, choose the pay currency (most rows; a tie goes to the alphabetically first ISO code) and
compute the money columns, with integer codes for workers, projects and pay currencies, which
become pandas categoricals at the end. The worker x project table is streamed in Arrow record
batches into preallocated numpy columns and sorted there on the integer codes (worker, then
project), so no second copy of it is held. DuckDB spills to a private temporary directory;
``memory_limit`` is the audit's budget (see :class:`_connect`).

Rounding: top-ups are computed in float, then rounded up to the pay currency's minor unit. A
float within 1e-9 (relative) of a minor-unit boundary is recomputed exactly in ``Decimal`` from
the integer sums, the ``Decimal`` bar and the ``Decimal`` rates, so float error can never round
a top-up below the exact amount (tests compare with a hand-written Decimal computation).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fairpay.errors import (
    InvalidDataError,
    InvalidInputError,
    MissingExchangeRateError,
    NoBenchmarkError,
    UnknownCountryError,
    UnknownCurrencyError,
)
from fairpay.presets import STATUSES, Preset, get_preset, resolve_columns

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

Pending = Literal["paid", "unpaid"]
#: How many bad rows are listed one by one before the rest are counted.
MAX_LISTED_FAILURES = 10_000
_MICRO = 1_000_000
_US_PER_HOUR = 3_600_000_000


@dataclass(frozen=True)
class Settings:
    """Everything that shapes the numbers, recorded with the result."""

    kind: str = "higher"
    household: str | None = None
    locality: str | None = None
    missing_living: str = "error"
    year: int | None = None
    inflate: bool = True
    fx_fallback: str = "error"
    merge_gap_seconds: float = 0
    pending: Pending = "paid"


# --------------------------------------------------------------------------- result


@dataclass
class AuditResult:
    """Per worker, per worker x project and per project results, plus how they were made.

    Money columns: ``earnings``/``top_up`` in the worker's pay currency, ``*_local`` in the
    currency of the bar where the worker lives; ``hours`` are merged worked hours; ``wage_local``
    is local currency per hour. ``top_up`` is rounded up to the pay currency's minor unit.

    ``workers``: one row per worker with everything that belongs to the worker (place, bar, local
    currency, exchange rate, pay currency, task id for bonuses). ``worker_projects``: narrow, one
    row per (worker, project) with the pair's own measures only; join ``workers`` on ``worker``
    for place, bar or rates. ``bars``: one row per raw place spelling, with the bar's provenance;
    ``benchmarks``: place (:class:`fairpay.places.Place`) -> the benchmark object used.
    """

    workers: pd.DataFrame
    worker_projects: pd.DataFrame
    projects: pd.DataFrame
    bars: pd.DataFrame
    settings: Settings
    warnings: list[str] = field(default_factory=list)
    source: str = "log"
    benchmarks: dict[Any, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nobody is below the bar."""
        return not bool(self.workers["below"].any())

    def ledger(self, previous_payments: Any = None, *, reason: str | None = None) -> pd.DataFrame:
        """Back-pay still owed per worker, net of earlier payments (see :func:`fairpay.ledger.ledger`)."""
        from fairpay.ledger import ledger

        return ledger(self, previous_payments, reason=reason)

    def pseudonymized(self, key: bytes | str) -> AuditResult:
        """A copy whose worker ids are keyed HMAC-SHA256 pseudonyms (same key -> same pseudonym)."""
        from fairpay.ledger import pseudonymize_frame

        return AuditResult(
            workers=pseudonymize_frame(self.workers, key),
            worker_projects=pseudonymize_frame(self.worker_projects, key),
            projects=self.projects.copy(),
            bars=self.bars.copy(),
            settings=self.settings,
            warnings=list(self.warnings),
            source=self.source,
            benchmarks=dict(self.benchmarks),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary plus every table as records."""
        import json

        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(df.to_json(orient="records", date_format="iso"))

        below = self.workers[self.workers["below"]]
        totals = below.groupby("pay_currency")["top_up"].sum()
        return {
            "source": self.source,
            "ok": self.ok,
            "workers": int(len(self.workers)),
            "workers_below": int(len(below)),
            "total_top_up": {str(k): float(v) for k, v in totals.items()},
            "settings": self.settings.__dict__,
            "warnings": list(self.warnings),
            "bars": records(self.bars),
            "projects": records(self.projects),
            "worker_table": records(self.workers),
        }


# --------------------------------------------------------------------------- public entry


def audit(
    log: Any,
    *,
    preset: str | Preset = "generic",
    columns: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
    country: str | Mapping[str, str] | pd.DataFrame | None = None,
    benchmarks: Any = None,
    rates: Any = None,
    kind: str = "higher",
    household: str | None = None,
    locality: str | None = None,
    missing_living: str = "error",
    year: int | None = None,
    inflate: bool = True,
    fx_fallback: str = "error",
    merge_gap_seconds: float = 0,
    pending: Pending = "paid",
    memory_limit: str | None = None,
    threads: int | None = None,
    progress: bool = False,
) -> AuditResult:
    """Audit a submission log (DataFrame, or path to CSV/Parquet) and return an :class:`AuditResult`.

    ``preset``: generic | mturk | prolific; ``columns`` maps canonical -> source column and
    ``defaults`` gives constants for columns the export lacks. ``country``: one country for
    everyone, or a worker -> country (or "US-CA") mapping / DataFrame(worker, country[, subdivision]).
    ``kind``/``household``/``locality``/``missing_living`` choose the bar; ``year`` is the price
    and exchange-rate year (default: the year of the last submission). ``merge_gap_seconds``
    merges a worker's tasks separated by at most that many seconds (the gap counts as work).
    ``pending``: whether submitted-but-unreviewed rewards count as paid (a warning says how many).

    Result tables: ``workers``, one row per worker (keys, place, counts, hours, pay currency,
    earnings, top-up, local currency, wage, bar, rate, task id); ``worker_projects``, narrow, one
    row per (worker, project): worker, project, pay_currency, tasks, approved, rejected, returned,
    pending, hours, earnings, earnings_local, wage_local, below, top_up (join ``workers`` on
    ``worker`` for place, bar and rates); ``projects``, one row per project; ``bars``, one row per
    raw place with provenance, and ``benchmarks`` (place -> benchmark used). Counts are int32;
    worker, project, currencies and places are categoricals (sorted categories).
    """
    import duckdb

    settings = _settings(kind, household, locality, missing_living, year, inflate, fx_fallback,
                         merge_gap_seconds, pending)
    p = get_preset(preset)
    with _connect(memory_limit, threads) as con:
        if progress:
            con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = true")
        source = _register_source(con, log, p, columns, defaults, country)
        _typed_view(con, p, "raw", "typed")
        scan = _scan(con, "typed")
        warnings = _check(con, "typed", scan, source, settings)
        bars, fx, used = bars_fx_benchmarks(scan, settings, benchmarks, rates)
        _places, currencies, _ = normalize_groups(scan)
        con.execute(f"CREATE TEMP TABLE __wp AS {aggregate_sql('typed', settings, currencies)}")
        return _finish(con, bars, fx, currencies, settings, warnings, source, used, memory_limit)


def _settings(kind: str, household: str | None, locality: str | None, missing_living: str, year: int | None,
              inflate: bool, fx_fallback: str, merge_gap_seconds: float, pending: str) -> Settings:
    if pending not in ("paid", "unpaid"):
        raise InvalidInputError(f"pending {pending!r} is not 'paid' or 'unpaid'")
    if fx_fallback not in ("error", "nearest_earlier"):
        raise InvalidInputError(f"fx_fallback {fx_fallback!r} is not 'error' or 'nearest_earlier'")
    if not isinstance(merge_gap_seconds, (int, float)) or merge_gap_seconds < 0 or math.isnan(merge_gap_seconds):
        raise InvalidInputError(f"merge_gap_seconds {merge_gap_seconds!r} must be a number >= 0 (seconds)")
    if year is not None and not (1900 < int(year) < 2200):
        raise InvalidInputError(f"year {year!r} is not a plausible calendar year")
    return Settings(kind, household, locality, missing_living, year, inflate, fx_fallback,
                    merge_gap_seconds, pending)  # type: ignore[arg-type]


class _connect:
    """A DuckDB connection that spills to a private temporary directory (removed afterwards).

    ``memory_limit`` (e.g. "1GB") is the audit's memory budget: DuckDB gets it minus an allowance
    for the interpreter and libraries (``_PYTHON_BYTES``, at most half), and for the worker x
    project fetch also minus the size of the numpy result columns; sorts, windows, aggregations
    and temporary tables larger than that spill to disk, so logs larger than memory are processed
    in bounded memory.
    """

    def __init__(self, memory_limit: str | None, threads: int | None) -> None:
        import tempfile

        import duckdb

        self.tmp = tempfile.mkdtemp(prefix="fairpay-duckdb-")
        config: dict[str, Any] = {"temp_directory": self.tmp, "preserve_insertion_order": False}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = int(threads)
        self.con = duckdb.connect(config=config)
        if memory_limit:  # the limit is the audit's budget: leave room for the interpreter and libraries
            limit = _bytes(self.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
            self.con.execute(f"SET memory_limit = '{max(limit - _PYTHON_BYTES, limit // 2) // 2**20}MiB'")

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return self.con

    def __exit__(self, *exc: Any) -> None:
        import shutil

        self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------- sources


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        raise InvalidInputError(f"default {value!r} is not a valid column value")
    if isinstance(value, (int, float, Decimal)):
        return repr(float(value)) if not isinstance(value, int) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _register_source(
    con: duckdb.DuckDBPyConnection, log: Any, preset: Preset, columns: Mapping[str, str] | None,
    defaults: Mapping[str, Any] | None, country: Any,
) -> str:
    """Create view ``raw`` with canonical column names (source types) and ``__row`` (0-based)."""
    source_name, relation_sql, available = _load(con, log)
    return _raw_view(con, relation_sql, available, preset, columns, defaults, country, source_name)


def _load(con: duckdb.DuckDBPyConnection, log: Any) -> tuple[str, str, list[str]]:
    """Register the log and return (name for messages, SQL relation with ``__row``, column names)."""
    import pandas as pd

    if isinstance(log, pd.DataFrame):
        import numpy as np

        frame = log.reset_index(drop=True)
        if "__row" in frame.columns:
            raise InvalidInputError("the log may not have a column named '__row'")
        frame = frame.assign(__row=np.arange(len(frame), dtype="int64"))
        con.register("__log", frame)
        return "log DataFrame", "__log", [str(c) for c in log.columns]
    if not isinstance(log, (str, os.PathLike)):
        raise InvalidInputError(f"log must be a pandas DataFrame or a path to a CSV/Parquet file, not {type(log).__name__}")
    path = Path(log)
    if not path.exists():
        raise InvalidInputError(f"log file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        sql = f"(SELECT *, file_row_number AS __row FROM read_parquet({_literal(str(path))}, file_row_number=true))"
        names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_literal(str(path))})").fetchall()]
        return str(path), sql, names
    if suffix in (".csv", ".tsv", ".txt"):
        import numpy as np
        import pyarrow as pa
        import pyarrow.csv as pacsv

        try:
            table = pacsv.read_csv(
                path, parse_options=pacsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ","),
                convert_options=pacsv.ConvertOptions(strings_can_be_null=True, timestamp_parsers=[]),
            )
        except pa.ArrowInvalid as exc:
            raise InvalidDataError(str(path), [f"not a readable CSV: {exc}"]) from None
        names = list(table.column_names)
        table = table.append_column("__row", pa.array(np.arange(table.num_rows, dtype="int64")))
        con.register("__log", table)
        return str(path), "__log", names
    raise InvalidInputError(f"log file {str(path)!r}: expected a .csv, .tsv or .parquet file")


def _raw_view(
    con: duckdb.DuckDBPyConnection, relation: str, available: list[str], preset: Preset,
    columns: Mapping[str, str] | None, defaults: Mapping[str, Any] | None, country: Any, source_name: str,
) -> str:
    import pandas as pd

    source, constant = resolve_columns(preset, available, columns, defaults, country_given=country is not None)
    select = ["__row"]
    for canon, col in source.items():
        select.append(f"__src.{_quote(col)} AS {canon}")
    for canon, value in constant.items():
        select.append(f"{_literal(value)} AS {canon}")
    join = ""
    if country is not None:
        if isinstance(country, str):
            select.append(f"{_literal(country)} AS country")
        else:
            if isinstance(country, pd.DataFrame):
                missing = {"worker", "country"} - set(country.columns)
                if missing:
                    raise InvalidInputError(f"country table needs columns worker, country; missing {sorted(missing)}")
                table = pd.DataFrame({
                    "worker": country["worker"].astype(str),
                    "country": country["country"].astype(str),
                    "subdivision": country["subdivision"] if "subdivision" in country else None,
                })
            elif isinstance(country, Mapping):
                table = pd.DataFrame({"worker": [str(k) for k in country],
                                      "country": [str(v) for v in country.values()]})
                table["subdivision"] = None
            else:
                raise InvalidInputError("country= must be a country, a worker -> country mapping or a DataFrame")
            if table["worker"].duplicated().any():
                dups = sorted(table.loc[table["worker"].duplicated(), "worker"].unique())[:10]
                raise InvalidInputError(f"country table lists workers more than once: {dups}")
            con.register("__places_by_worker", table.astype({"subdivision": "object"}))
            select = [s for s in select if not s.endswith(" AS subdivision")]
            select += ["__pw.country AS country", "__pw.subdivision AS subdivision"]
            wcol = source["worker"]
            join = f" LEFT JOIN __places_by_worker __pw ON CAST(__src.{_quote(wcol)} AS VARCHAR) = __pw.worker"
    select = ["__src.__row" if s == "__row" else s for s in select]
    con.execute(f"CREATE OR REPLACE TEMP VIEW raw AS SELECT {', '.join(select)} FROM {relation} __src{join}")
    return source_name


def _types(con: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
    return {r[0]: str(r[1]).upper() for r in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()}


def _typed_view(con: duckdb.DuckDBPyConnection, preset: Preset, raw: str, typed: str) -> None:
    """Create view ``typed``: canonical types, microsecond instants, statuses mapped, raw kept for messages."""
    types = _types(con, raw)

    def text(col: str) -> str:
        return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"

    def instant(col: str) -> str:
        t = types[col]
        if t.startswith("TIMESTAMP"):
            return f"epoch_us({col})"
        if t == "DATE":
            raise InvalidInputError(f"column {col!r} holds dates only; worked time needs times of day")
        expr = text(col)
        if preset.time_format:
            for zone, offset in preset.time_zones.items():
                expr = f"replace({expr}, ' {zone} ', ' {offset} ')"
            return f"epoch_us(try_strptime({expr}, {_literal(preset.time_format)}))"
        return f"epoch_us(TRY_CAST({expr} AS TIMESTAMPTZ))"

    def number(col: str) -> str:
        t = types[col]
        if t in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT",
                 "UINTEGER") or t.startswith("DECIMAL"):
            return f"CAST({col} AS DOUBLE)"
        expr = text(col)
        if preset.reward_prefix:
            expr = f"trim(replace({expr}, {_literal(preset.reward_prefix)}, ''))"
        return f"TRY_CAST({expr} AS DOUBLE)"

    cases = " ".join(f"WHEN {_literal(k.lower())} THEN {_literal(v)}" for k, v in preset.statuses.items())
    has = set(types)
    sub = f"upper({text('subdivision')})" if "subdivision" in has else "CAST(NULL AS VARCHAR)"
    bonus = number("bonus") if "bonus" in has else "CAST(0 AS DOUBLE)"
    task = text("task") if "task" in has else "CAST(NULL AS VARCHAR)"
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {typed} AS SELECT
          __row,
          {text('worker')} AS worker,
          {text('project')} AS project,
          {task} AS task,
          {instant('started')} AS s_us,
          {instant('submitted')} AS e_us,
          {number('reward')} AS reward,
          upper({text('currency')}) AS currency,
          CASE lower({text('status')}) {cases} ELSE NULL END AS status,
          {text('country')} AS country_raw,
          {sub} AS subdivision_raw,
          {bonus} AS bonus,
          CAST(started AS VARCHAR) AS started_raw,
          CAST(submitted AS VARCHAR) AS submitted_raw,
          CAST(reward AS VARCHAR) AS reward_raw,
          CAST(status AS VARCHAR) AS status_raw,
          {"CAST(bonus AS VARCHAR)" if "bonus" in has else "NULL"} AS bonus_raw,
          CAST(worker AS VARCHAR) AS worker_raw
        FROM {raw}""")


# --------------------------------------------------------------------------- validation

_BAD = """(worker IS NULL OR project IS NULL OR s_us IS NULL OR e_us IS NULL OR e_us < s_us
  OR reward IS NULL OR NOT isfinite(reward) OR reward < 0 OR abs(reward * 1e6 - round(reward * 1e6)) > 1e-3
  OR currency IS NULL OR status IS NULL OR country_raw IS NULL
  OR bonus IS NULL OR NOT isfinite(bonus) OR bonus < 0 OR abs(bonus * 1e6 - round(bonus * 1e6)) > 1e-3)"""


@dataclass
class Scan:
    """What one pass over the log found: distinct places and currencies, bad-row count, years."""

    groups: list[tuple[str | None, str | None, str | None, int, int]]  # country, sub, ccy, rows, first row
    bad_rows: int
    rows: int
    last_submitted_us: int | None
    pending_rows: int


#: The validation scan, one group per (worker, raw place, raw currency): row counts, bad-row
#: counts, last submission and pending counts (the log-wide scan is the sum of these groups), plus
#: each worker's MTurk assignment id (the last approved task, else the last task) and raw places
#: (one place per worker is checked from this small table), so the heavy pass handles only numbers.
SCAN_SQL = """
SELECT worker, country_raw, subdivision_raw, currency, count(*) AS n, min(__row) AS first_row,
  count(*) FILTER (WHERE {bad}) AS bad, max(e_us) AS last_e, count(*) FILTER (WHERE status = 'pending') AS pending,
  max(task) FILTER (WHERE status = 'approved') AS task_approved, max(task) AS task_any
FROM {typed} GROUP BY ALL
"""


def scan_sql(typed: str) -> str:
    """The validation scan at (worker, place, currency) grain (see ``SCAN_SQL``)."""
    return SCAN_SQL.format(bad=_BAD, typed=typed)


def _scan(con: duckdb.DuckDBPyConnection, typed: str) -> Scan:
    """One pass over the log: creates the small table ``__wg`` (``SCAN_SQL``) and sums it up."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE __wg AS {scan_sql(typed)}")
    return scan_from_groups(con)


def scan_from_groups(con: duckdb.DuckDBPyConnection) -> Scan:
    """The log-wide :class:`Scan` from the (worker, place, currency) groups in ``__wg``."""
    rows = con.execute("""
        SELECT country_raw, subdivision_raw, currency, sum(n), min(first_row), sum(bad), max(last_e), sum(pending)
        FROM __wg GROUP BY ALL""").fetchall()
    return Scan(
        groups=[(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in rows],
        bad_rows=sum(int(r[5]) for r in rows),
        rows=sum(int(r[3]) for r in rows),
        last_submitted_us=max((int(r[6]) for r in rows if r[6] is not None), default=None),
        pending_rows=sum(int(r[7]) for r in rows),
    )


def bad_row_messages(frame: pd.DataFrame) -> list[str]:
    """One message per failing (row, column) of rows from the typed view (already filtered)."""
    out: list[str] = []
    for r in frame.rename(columns={"__row": "row"}).itertuples(index=False):
        def add(col: str, value: Any, why: str) -> None:
            out.append(f"row {r.row}, column {col!r}, value {value!r}: {why}")

        if r.worker is None:
            add("worker", r.worker_raw, "a worker id is required")
        if r.project is None:
            add("project", None, "a project id is required")
        if r.s_us is None:
            add("started", r.started_raw, "not a timestamp" if r.started_raw is not None else "a start time is required")
        if r.e_us is None:
            add("submitted", r.submitted_raw,
                "not a timestamp" if r.submitted_raw is not None else "a submission time is required")
        if r.s_us is not None and r.e_us is not None and r.e_us < r.s_us:
            add("submitted", r.submitted_raw, f"earlier than started ({r.started_raw})")
        _money_check(add, "reward", r.reward, r.reward_raw)
        if r.currency is None:
            add("currency", None, "a currency code is required")
        if r.status is None:
            add("status", r.status_raw, f"not a known status (expected {', '.join(STATUSES)} or the preset's names)")
        if r.country_raw is None:
            add("country", None, "a country is required (a column, country= or a worker -> country mapping)")
        _money_check(add, "bonus", r.bonus, r.bonus_raw)
    return out


def _money_check(add: Any, col: str, value: Any, raw: Any) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        add(col, raw, "not a number" if raw is not None else "an amount is required")
    elif not math.isfinite(value):
        add(col, raw, "not a finite number")
    elif value < 0:
        add(col, raw, "negative")
    elif abs(value * 1e6 - round(value * 1e6)) > 1e-3:
        add(col, raw, "more than 6 decimal places")


def _bad_rows(con: duckdb.DuckDBPyConnection, typed: str) -> list[str]:
    frame = con.execute(f"SELECT * FROM {typed} WHERE {_BAD} ORDER BY __row LIMIT {MAX_LISTED_FAILURES}").df()
    frame = frame.astype(object).where(frame.notna(), None)
    return bad_row_messages(frame)


def normalize_groups(scan: Scan) -> tuple[dict[tuple[str, str], Any], dict[str, str], list[tuple[str, str, Any]]]:
    """Normalise each distinct raw place and currency; returns (place map, currency map, failures).

    failures: (column, raw value, why) for values that are unknown.
    """
    from fairpay.money import normalize_currency
    from fairpay.places import place

    places: dict[tuple[str, str], Any] = {}
    currencies: dict[str, str] = {}
    failures: list[tuple[str, str, Any]] = []
    for c, sub, ccy, _n, _first in scan.groups:
        if c is not None and (c, sub or "") not in places:
            try:
                places[(c, sub or "")] = place(c, sub)
            except UnknownCountryError as exc:
                places[(c, sub or "")] = None
                failures.append(("subdivision" if exc.value == (sub or "").strip() and sub else "country",
                                 f"{c}" + (f" / {sub}" if sub else ""), str(exc)))
        if ccy is not None and ccy not in currencies:
            try:
                currencies[ccy] = normalize_currency(ccy)
            except UnknownCurrencyError as exc:
                currencies[ccy] = ""
                failures.append(("currency", ccy, str(exc)))
    return places, currencies, failures


def _check(con: duckdb.DuckDBPyConnection, typed: str, scan: Scan, source: str, settings: Settings) -> list[str]:
    """Raise InvalidDataError listing every bad row; return warnings."""
    failures = _bad_rows(con, typed) if scan.bad_rows else []
    _places, _ccys, unknown = normalize_groups(scan)
    for col, value, why in unknown:
        if col == "currency":
            cond = f"currency = {_literal(value)}"
        else:
            c, _, sub = value.partition(" / ")
            cond = f"country_raw = {_literal(c)} AND coalesce(subdivision_raw, '') = {_literal(sub)}"
        rows = [r[0] for r in con.execute(
            f"SELECT __row FROM {typed} WHERE {cond} ORDER BY __row LIMIT {MAX_LISTED_FAILURES}").fetchall()]
        failures += [f"row {r}, column {col!r}, value {value!r}: {why}" for r in rows]
    raise_failures(source, failures, scan.bad_rows + sum(1 for _ in unknown))
    return pending_warning(scan, settings)


def raise_failures(source: str, failures: list[str], bad_rows: int) -> None:
    """Raise one InvalidDataError with every failure (listed up to MAX_LISTED_FAILURES)."""
    if not failures:
        return
    failures = sorted(failures, key=lambda f: int(f.split(",")[0].split()[1]))
    if len(failures) > MAX_LISTED_FAILURES:
        failures = failures[:MAX_LISTED_FAILURES] + [f"... more bad rows not listed (at least {bad_rows} rows fail)"]
    raise InvalidDataError(source, failures)


def pending_warning(scan: Scan, settings: Settings) -> list[str]:
    if not scan.pending_rows:
        return []
    how = "paid (auto-approval)" if settings.pending == "paid" else "unpaid"
    return [f"{scan.pending_rows} submitted but unreviewed row(s) counted as {how}; pass pending='"
            f"{'unpaid' if settings.pending == 'paid' else 'paid'}' to count them otherwise"]


# --------------------------------------------------------------------------- bars and rates


def _opt_int(x: Any) -> int | None:
    return None if x is None else int(x)


def _opt_str(x: Any) -> str | None:
    if x is None:
        return None
    return f"{x.normalize():f}" if isinstance(x, Decimal) else str(x)


def _bars_and_fx(scan: Scan, settings: Settings, benchmarks: Any, rates: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Small tables: one bar per distinct raw place, one rate per (from, to) currency pair.

    See :func:`bars_fx_benchmarks` for the place -> benchmark mapping too.
    """
    bars, fx, _ = bars_fx_benchmarks(scan, settings, benchmarks, rates)
    return bars, fx


def bars_fx_benchmarks(scan: Scan, settings: Settings, benchmarks: Any,
                       rates: Any) -> tuple[pd.DataFrame, pd.DataFrame, dict[Any, Any]]:
    """(bars, fx, place -> benchmark used): one bar per distinct raw place, one rate per currency pair."""
    import datetime as dt

    import pandas as pd

    from fairpay.money import minor_units

    places, currencies, _ = normalize_groups(scan)
    year = settings.year
    if year is None:
        if scan.last_submitted_us is None:
            raise InvalidInputError("the log has no rows; nothing to audit")
        year = dt.datetime.fromtimestamp(scan.last_submitted_us / 1e6, tz=dt.timezone.utc).year
    if benchmarks is None:
        from fairpay.benchmark import benchmarks as _bundled_benchmarks

        benchmarks = _bundled_benchmarks()
    if rates is None:
        from fairpay.fx import ExchangeRates

        rates = ExchangeRates.bundled()
    by_place: dict[Any, Any] = {}
    missing: list[str] = []
    for pl in sorted(set(places.values()), key=lambda p: (p.country, p.subdivision or "")):
        try:
            by_place[pl] = benchmarks.bar(
                pl, kind=settings.kind, household=settings.household, locality=settings.locality,
                year=year, inflate=settings.inflate, missing_living=settings.missing_living)
        except NoBenchmarkError as exc:
            missing.append(f"{pl}: {exc}")
    if missing:
        raise NoBenchmarkError(f"no {settings.kind} benchmark for {len(missing)} place(s): {'; '.join(missing)}")
    bar_rows = []
    for (c, sub), pl in places.items():
        b = by_place[pl]
        bar_rows.append({
            "country_raw": c, "sub_key": sub, "country": pl.country, "subdivision": pl.subdivision,
            "bar_local": float(b.hourly), "bar_exact": str(b.hourly), "local_currency": b.currency,
            "bar_year": int(b.year), "bar_kind": b.kind, "bar_method": getattr(b, "method", None),
            "bar_source": getattr(b, "source", None), "bar_url": getattr(b, "url", None),
            "bar_notes": "; ".join([*getattr(b, "adjustments", ()), *getattr(b, "fallbacks", ())]),
            "bar_reference_year": _opt_int(getattr(b, "reference_year", None)),
            "bar_gross_net": getattr(b, "gross_net", None),
            "bar_hours_per_week": _opt_str(getattr(b, "hours_per_week", None)),
            "bar_hours_basis": getattr(b, "hours_basis", None),
            "bar_adjustments": "; ".join(getattr(b, "adjustments", ())),
            "bar_fallbacks": "; ".join(getattr(b, "fallbacks", ())),
        })
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
                fx_rows.append({"from_ccy": src, "to_ccy": dst, "rate": float(rate), "rate_exact": str(rate),
                                "fx_year": int(used)})
    if fx_missing:
        raise MissingExchangeRateError("; ".join(sorted(set(fx_missing))))
    fx = pd.DataFrame(fx_rows, columns=["from_ccy", "to_ccy", "rate", "rate_exact", "fx_year"]).drop_duplicates(
        ["from_ccy", "to_ccy"])
    fx["to_minor"] = [minor_units(c) for c in fx["to_ccy"]]
    return bars, fx, dict(sorted(by_place.items(), key=lambda kv: (kv[0].country, kv[0].subdivision or "")))


# --------------------------------------------------------------------------- heavy pass

#: The one heavy per-row pass, at (worker, project) grain, numbers only: interval unions (per
#: worker and per worker x project, from two running maxima), status counts and exact integer
#: money sums pivoted by pay currency (micro-units; ``m<i>``/``n<i>`` = micro-units and rows paid
#: in the i-th currency, in alphabetical order). Places and task ids come from the scan (``__wg``).
#: Status and currency enter the window sorts as small integer codes (``st``: 1 approved, 2 rejected,
#: 3 returned, 4 pending; ``ci``: index of the ISO code in alphabetical order), not strings.
AGGREGATE_SQL = """
SELECT worker, project,
  count(*) AS tasks,
  count(*) FILTER (WHERE st = 1) AS approved,
  count(*) FILTER (WHERE st = 2) AS rejected,
  count(*) FILTER (WHERE st = 3) AS returned,
  count(*) FILTER (WHERE st = 4) AS pending,
  {pivot},
  sum(CASE WHEN pw IS NULL OR s_us > pw + {gap} THEN e_us - s_us ELSE greatest(e_us - pw, 0) END) AS union_w_us,
  sum(CASE WHEN pp IS NULL OR s_us > pp + {gap} THEN e_us - s_us ELSE greatest(e_us - pp, 0) END) AS union_wp_us
FROM (
  SELECT r.*,
    max(e_us) OVER (PARTITION BY worker ORDER BY s_us, e_us ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pw,
    max(e_us) OVER (PARTITION BY worker, project ORDER BY s_us, e_us
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pp
  FROM (
    SELECT t.worker, t.project, t.s_us, t.e_us,
      CAST(CASE t.status WHEN 'approved' THEN 1 WHEN 'rejected' THEN 2 WHEN 'returned' THEN 3
                         WHEN 'pending' THEN 4 ELSE 0 END AS UTINYINT) AS st,
      CAST(CASE {ccy_cases} ELSE 255 END AS UTINYINT) AS ci,
      CAST(round(CASE WHEN t.status = 'approved' {pending_paid} THEN t.reward ELSE 0 END * 1e6) AS BIGINT)
        + CAST(round(t.bonus * 1e6) AS BIGINT) AS micro
    FROM {typed} t
  ) r
)
GROUP BY worker, project
"""

#: Per worker from the scan groups: the place (a small integer: the row of ``bars``; ``place_max``
#: differs when a worker appears with two places, an error) and the MTurk assignment id.
WORKER_PLACE_SQL = """
SELECT *, CAST(row_number() OVER (ORDER BY worker) - 1 AS INTEGER) AS wid FROM (
  SELECT g.worker, CAST(min(p.place_id) AS INTEGER) AS place_id, CAST(max(p.place_id) AS INTEGER) AS place_max,
    coalesce(max(g.task_approved), max(g.task_any)) AS task
  FROM __wg g JOIN {places} p ON g.country_raw = p.country_raw AND coalesce(g.subdivision_raw, '') = p.sub_key
  GROUP BY g.worker)
"""

#: Project -> small integer (alphabetical order), so result tables carry integer codes.
PROJECT_ID_SQL = """
SELECT project, CAST(row_number() OVER (ORDER BY project) - 1 AS INTEGER) AS pid
FROM (SELECT DISTINCT project FROM __wp)
"""


def _currency_groups(currencies: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """(ISO code, raw spellings) in alphabetical ISO order: the pivot columns m0/n0, m1/n1, ..."""
    by_code: dict[str, list[str]] = {}
    for raw, code in currencies.items():
        by_code.setdefault(code, []).append(raw)
    return [(code, sorted(by_code[code])) for code in sorted(by_code)]


def aggregate_sql(typed: str, settings: Settings, currencies: Mapping[str, str]) -> str:
    """The heavy per-row SQL (see ``AGGREGATE_SQL``); ``currencies`` maps raw currency -> ISO code."""
    gap = int(round(settings.merge_gap_seconds * 1_000_000))
    pending_paid = "OR t.status = 'pending'" if settings.pending == "paid" else ""
    pivot, cases = [], []
    for i, (_code, raws) in enumerate(_currency_groups(currencies)):
        cases.append(f"WHEN t.currency IN ({', '.join(_literal(r) for r in raws)}) THEN {i}")
        pivot.append(f"CAST(coalesce(sum(micro) FILTER (WHERE ci = {i}), 0) AS BIGINT) AS m{i}, "
                     f"count(*) FILTER (WHERE ci = {i}) AS n{i}")
    return AGGREGATE_SQL.format(typed=typed, gap=gap, pending_paid=pending_paid, pivot=",\n  ".join(pivot),
                                ccy_cases=" ".join(cases) or "WHEN FALSE THEN 0")


def places_table(bars: pd.DataFrame) -> pd.DataFrame:
    """Raw place -> small integer id (the row of ``bars``), for the per-worker place join."""
    import numpy as np

    return bars[["country_raw", "sub_key"]].assign(place_id=np.arange(len(bars), dtype="int32"))


# --------------------------------------------------------------------------- finishing

#: Per key (worker, or worker x project) from the aggregated table: pay currency (most rows; a tie
#: goes to the alphabetically first ISO code), earnings converted to the local currency in a fixed
#: currency order, the gap, and the top-up in pay-currency minor units (``x`` before rounding up).
_MONEY_SQL = """
WITH k AS ({k_sql}),
p AS (
  SELECT k.*, b.country, b.subdivision, b.local_currency, b.bar_local,
    CASE {whens} END AS pay_currency,
    {earn} AS earnings_local,
    {ncur} AS n_currencies
  FROM k JOIN __bars b ON b.place_id = k.place_id {fx_joins}
),
q AS (
  SELECT p.*, worked_us / {us_per_hour} AS hours, t.rate AS to_pay_rate, t.to_minor AS pay_minor, t.fx_year,
    pow(10.0, t.to_minor) AS scale
  FROM p JOIN __fx t ON t.from_ccy = p.local_currency AND t.to_ccy = p.pay_currency
),
x AS (
  SELECT q.*, bar_local * hours - earnings_local AS gap_local,
    (bar_local * hours - earnings_local) * to_pay_rate * scale AS x,
    (bar_local * hours + earnings_local) * to_pay_rate * scale AS magnitude
  FROM q
)
SELECT {select}, CAST(CASE pay_currency {pay_index} END AS TINYINT) AS pay_currency,
  x > -1e-9 * greatest(magnitude, 1.0) AND abs(x - round(x)) <= 1e-9 * greatest(magnitude, 1.0) AS __unsure
FROM x
{order_by}
"""

#: Per worker: the place, the pay, the bar and the rates (everything that belongs to the worker).
_WORKER_SELECT = """wid AS worker, country, subdivision,
  CAST(tasks AS INTEGER) AS tasks, CAST(approved AS INTEGER) AS approved, CAST(rejected AS INTEGER) AS rejected,
  CAST(returned AS INTEGER) AS returned, CAST(pending AS INTEGER) AS pending, hours,
  earnings_local * to_pay_rate AS earnings,
  CASE WHEN x > 0 THEN ceil(x) ELSE 0.0 END / scale AS top_up,
  local_currency, earnings_local,
  CASE WHEN hours > 0 THEN earnings_local / hours END AS wage_local, bar_local,
  x > 0 AS below, gap_local, to_pay_rate, CAST(pay_minor AS TINYINT) AS pay_minor, CAST(fx_year AS SMALLINT) AS fx_year,
  CAST(n_currencies AS TINYINT) AS n_currencies, task"""

#: Per worker x project: keys and the pair's own measures only (narrow; per-worker attributes are
#: in the worker table, joinable on ``worker``).
_PROJECT_SELECT = """wid AS worker, pid AS project,
  CAST(tasks AS INTEGER) AS tasks, CAST(approved AS INTEGER) AS approved, CAST(rejected AS INTEGER) AS rejected,
  CAST(returned AS INTEGER) AS returned, CAST(pending AS INTEGER) AS pending, hours,
  earnings_local * to_pay_rate AS earnings, earnings_local,
  CASE WHEN hours > 0 THEN earnings_local / hours END AS wage_local,
  x > 0 AS below, CASE WHEN x > 0 THEN ceil(x) ELSE 0.0 END / scale AS top_up,
  CASE WHEN hours > 0 THEN earnings_local / hours / bar_local END AS __bar_ratio"""

_WORKER_K = """
SELECT k.wid, k.place_id, k.task, w.* EXCLUDE (worker) FROM (
  SELECT worker, sum(tasks) AS tasks, sum(approved) AS approved, sum(rejected) AS rejected,
    sum(returned) AS returned, sum(pending) AS pending, {sums}, CAST(sum(union_w_us) AS BIGINT) AS worked_us
  FROM __wp GROUP BY worker) w
JOIN __wk k ON k.worker = w.worker
"""

_PROJECT_K = """
SELECT k.wid, j.pid, k.place_id, tasks, approved, rejected, returned, pending, {cols},
  CAST(union_wp_us AS BIGINT) AS worked_us
FROM __wp w JOIN __wk k ON k.worker = w.worker JOIN __pj j ON j.project = w.project
"""


def money_sql(key: list[str], codes: list[str], order: bool = True) -> str:
    """SQL for one result table (key ["wid"] or ["wid", "pid"]) from ``__wp``, ``__wk``, ``__pj``, ``__bars``, ``__fx``.

    Workers, projects and pay currencies come back as integer codes (see :func:`_to_pandas`),
    ordered by the key unless ``order`` is false (the pair table is sorted in numpy instead).
    """
    n = len(codes)
    if key == ["wid"]:
        k_sql = _WORKER_K.format(sums=", ".join(f"CAST(sum(m{i}) AS BIGINT) AS m{i}, CAST(sum(n{i}) AS BIGINT) AS n{i}"
                                                for i in range(n)))
        select = _WORKER_SELECT
    else:
        k_sql = _PROJECT_K.format(cols=", ".join(f"m{i}, n{i}" for i in range(n)))
        select = _PROJECT_SELECT
    whens = []
    for j, c in enumerate(codes):  # most rows wins; a tie goes to the alphabetically first code
        conds = [f"n{j} > n{i}" for i in range(j)] + [f"n{j} >= n{i}" for i in range(j + 1, n)]
        whens.append(f"WHEN {' AND '.join(conds) or 'TRUE'} THEN {_literal(c)}")
    earn = " + ".join(f"m{i} / 1e6 * coalesce(f{i}.rate, 0)" for i in range(n))
    ncur = " + ".join(f"CAST(n{i} > 0 AS INTEGER)" for i in range(n))
    fx_joins = " ".join(f"LEFT JOIN __fx f{i} ON f{i}.from_ccy = {_literal(c)} AND f{i}.to_ccy = b.local_currency"
                        for i, c in enumerate(codes))
    pay_index = " ".join(f"WHEN {_literal(c)} THEN {i}" for i, c in enumerate(codes))
    return _MONEY_SQL.format(k_sql=k_sql, whens=" ".join(whens), earn=earn, ncur=ncur, fx_joins=fx_joins,
                             order_by=f"ORDER BY {', '.join(key)}" if order else "", us_per_hour=_US_PER_HOUR, select=select, pay_index=pay_index)


#: Small string columns returned as pandas categoricals (dictionary-encoded, categories sorted).
_CATEGORICAL = ("country", "subdivision", "local_currency")


def _finish(con: duckdb.DuckDBPyConnection, bars: pd.DataFrame, fx: pd.DataFrame, currencies: Mapping[str, str],
            settings: Settings, warnings: list[str], source: str,
            benchmarks: Mapping[Any, Any] | None = None, memory_limit: str | None = None) -> AuditResult:
    """From ``__wg`` (scan groups) and ``__wp`` (aggregated pairs) in ``con`` to the result tables.

    With ``memory_limit``, DuckDB's limit is lowered for the worker x project fetch by the size of
    the numpy columns being filled, so DuckDB plus the result stay near the limit (DuckDB spills).
    """
    codes = [c for c, _ in _currency_groups(currencies)]
    con.register("__places", places_table(bars))
    con.register("__bars", bars.assign(place_id=places_table(bars)["place_id"]))
    con.register("__fx", fx)
    con.execute(f"CREATE OR REPLACE TEMP TABLE __wk AS {WORKER_PLACE_SQL.format(places='__places')}")
    moved = con.execute(f"""SELECT worker FROM __wk WHERE place_id <> place_max
                            ORDER BY worker LIMIT {MAX_LISTED_FAILURES}""").fetchall()
    if moved:
        raise InvalidDataError(source, [
            f"worker {w!r} appears with more than one place; give one place per worker (country= mapping)"
            for (w,) in moved])
    con.execute(f"CREATE OR REPLACE TEMP TABLE __pj AS {PROJECT_ID_SQL}")
    names = {"worker": arrow_table(con, "SELECT worker FROM __wk ORDER BY wid").column(0),
             "project": arrow_table(con, "SELECT project FROM __pj ORDER BY pid").column(0),
             "pay_currency": codes}
    workers = arrow_table(con, money_sql(["wid"], codes))
    n_workers = con.execute("SELECT count(DISTINCT worker) FROM __wp").fetchall()[0][0]
    if workers.num_rows != n_workers:  # every place has a bar and every pair a rate; a miss is a bug
        raise InvalidDataError(source, [f"{n_workers - workers.num_rows} worker(s) lost in the bar/rate joins"])
    workers = _to_pandas(_exact_fix(con, workers, ["wid"], codes), names)
    n_pairs = con.execute("SELECT count(*) FROM __wp").fetchall()[0][0]
    if memory_limit:  # leave room for the numpy pair columns next to DuckDB (its tables spill to disk)
        limit = _bytes(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        room = max(limit - n_pairs * _PAIR_ROW_BYTES, limit // 2)
        con.execute(f"SET memory_limit = '{room // 2**20}MiB'")
    cols = _pair_columns(con, money_sql(["wid", "pid"], codes, order=False), n_pairs)
    _exact_fix_columns(con, cols, codes)
    projects = _project_table(con, cols, names)
    for t in ("__wp", "__wg"):  # the big intermediates are no longer needed: free them before sorting
        con.execute(f"DROP TABLE IF EXISTS {t}")
    _sort_pairs(cols)
    return AuditResult(workers=workers, worker_projects=_pairs_frame(cols, names),
                       projects=projects, bars=bars, settings=settings, warnings=warnings, source=source,
                       benchmarks=dict(benchmarks or {}))


#: Bytes per worker x project row in the numpy columns (int32 x 7, float64 x 6, bool x 2, int8), and
#: an allowance for the interpreter, libraries and the worker table.
_PAIR_ROW_BYTES = 7 * 4 + 6 * 8 + 2 + 1
_PYTHON_BYTES = 256 * 2**20
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _bytes(setting: str) -> int:
    """DuckDB's memory setting text ("953.6 MiB") in bytes."""
    number, _, unit = str(setting).strip().partition(" ")
    return int(float(number) * _UNITS[unit.strip().upper() or "B"])


def _pair_columns(con: duckdb.DuckDBPyConnection, sql: str, n_rows: int) -> dict[str, Any]:
    """The worker x project result (``n_rows`` rows) as numpy columns, fetched in Arrow record batches.

    The columns are allocated once and filled batch by batch, so only one batch is held as Arrow
    (no full Arrow copy next to the numpy one). ``__unsure`` becomes the row indices.
    """
    import numpy as np
    import pyarrow.compute as pc

    rel = con.sql(sql)
    reader = rel.to_arrow_reader(1_000_000) if hasattr(rel, "to_arrow_reader") else rel.fetch_record_batch(1_000_000)
    names = list(reader.schema.names)
    out = {n: np.empty(n_rows, dtype=np.dtype(f.type.to_pandas_dtype())) for n, f in zip(names, reader.schema)}
    at = 0
    for batch in reader:
        k = batch.num_rows
        if at + k > n_rows:  # the pair count comes from __wp; a mismatch is a bug
            raise InvalidDataError("log", [f"worker x project result has more than {n_rows} rows"])
        for n, col in zip(names, batch.columns):
            out[n][at:at + k] = (pc.fill_null(col, False) if n == "__unsure" else col).to_numpy(zero_copy_only=False)
        at += k
        del batch
    if at != n_rows:
        raise InvalidDataError("log", [f"worker x project result has {at} rows, expected {n_rows}"])
    out["__unsure"] = np.flatnonzero(out["__unsure"])
    return out


def _sort_pairs(cols: dict[str, Any]) -> None:
    """Deterministic row order, in place: by worker, then project (integer codes, i.e. alphabetical).

    Sorted here rather than by DuckDB's ORDER BY, one column at a time, so neither DuckDB nor numpy
    holds a second copy of the table.
    """
    import numpy as np

    order = np.argsort((cols["worker"].astype(np.int64) << 32) | cols["project"].astype(np.int64), kind="stable")
    for n in list(cols):
        cols[n] = cols[n][order]


def _exact_fix_columns(con: duckdb.DuckDBPyConnection, cols: dict[str, Any], codes: list[str]) -> None:
    """:func:`_exact_fix` for the numpy pair columns, in place (only the unsure rows are touched)."""
    from fairpay.money import minor_units

    idx = cols.pop("__unsure")
    if not len(idx):
        return
    rows = [{"wid": int(cols["worker"][i]), "pid": int(cols["project"][i]), "pay_currency": codes[cols["pay_currency"][i]]}
            for i in idx]
    for i, r, (gap, minor) in zip(idx, rows, exact_gaps(con, rows, ["wid", "pid"], codes)):
        cols["below"][i] = gap > 0
        cols["top_up"][i] = minor / 10.0 ** minor_units(r["pay_currency"])


def _pairs_frame(cols: dict[str, Any], names: Mapping[str, Any]) -> pd.DataFrame:
    """The public worker x project DataFrame from the numpy columns (codes -> categoricals), no copy."""
    import pandas as pd

    cols.pop("__bar_ratio", None)
    data: dict[str, Any] = {}
    for n in list(cols):
        col = cols.pop(n)
        if n in names:
            cats = pd.Index(names[n].to_pylist() if hasattr(names[n], "to_pylist") else list(names[n]), dtype="str")
            col = pd.Categorical.from_codes(col, dtype=pd.CategoricalDtype(cats))
        data[n] = col
    df = pd.DataFrame(data, copy=False)
    if "pay_currency" in df:
        df.insert(df.columns.get_loc("project") + 1, "pay_currency", df.pop("pay_currency"))
    return df


def arrow_table(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """Run ``sql`` and return a pyarrow Table (across DuckDB versions)."""
    rel = con.sql(sql)
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()


def _dictionary(col: Any) -> Any:
    """A string column as a dictionary array whose dictionary is sorted (deterministic categories)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    values = pc.drop_null(pc.unique(col))
    values = values.take(pc.array_sort_indices(values))
    return pa.DictionaryArray.from_arrays(pc.index_in(col, value_set=values).cast(pa.int32()), values)


def _to_pandas(table: Any, names: Mapping[str, Any]) -> pd.DataFrame:
    """Arrow -> pandas: integer codes (``names``: code -> value, sorted) and small string columns as categoricals."""
    import pandas as pd
    import pyarrow as pa

    for name in _CATEGORICAL:
        i = table.schema.get_field_index(name)
        if i >= 0 and pa.types.is_string(table.schema.field(name).type):
            table = table.set_column(i, name, _dictionary(table.column(name)))
    coded = [c for c in names if c in table.column_names]
    codes = {c: table.column(c).to_numpy() for c in coded}
    df = table.drop_columns(coded).to_pandas(split_blocks=True, self_destruct=True)
    for pos, c in sorted((table.schema.get_field_index(c), c) for c in coded):
        cats = pd.Index(names[c].to_pylist() if hasattr(names[c], "to_pylist") else list(names[c]), dtype="str")
        df.insert(pos, c, pd.Categorical.from_codes(codes[c], dtype=pd.CategoricalDtype(cats)))
    if "pay_currency" in df:  # next to the keys (pairs) or before the money columns (workers)
        after = "project" if "project" in df else "hours"
        df.insert(df.columns.get_loc(after) + 1, "pay_currency", df.pop("pay_currency"))
    return df


def _exact_fix(con: duckdb.DuckDBPyConnection, table: Any, key: list[str], codes: list[str]) -> Any:
    """Recompute ``below``/``top_up`` in Decimal where the float is near a minor-unit boundary; drop ``__unsure``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from fairpay.money import minor_units

    unsure = table.column("__unsure")
    table = table.drop_columns(["__unsure"])
    idx = np.flatnonzero(pc.fill_null(unsure, False).to_numpy(zero_copy_only=False))
    if not len(idx):
        return table
    out_names = {"wid": "worker", "pid": "project"}  # the integer codes' names in the result table
    picked = table.select([*(out_names[k] for k in key), "pay_currency"]).take(pa.array(idx)).to_pylist()
    rows = [{**{k: r[out_names[k]] for k in key}, "pay_currency": codes[r["pay_currency"]]} for r in picked]
    exact = exact_gaps(con, rows, key, codes)
    below = table.column("below").to_numpy(zero_copy_only=False).copy()
    top = table.column("top_up").to_numpy(zero_copy_only=False).copy()
    for i, r, (gap, minor) in zip(idx, rows, exact):
        below[i] = gap > 0
        top[i] = minor / 10.0 ** minor_units(r["pay_currency"])
    table = table.set_column(table.schema.get_field_index("below"), "below", pa.array(below))
    return table.set_column(table.schema.get_field_index("top_up"), "top_up", pa.array(top))


def exact_gaps(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], key: list[str],
               codes: list[str]) -> list[tuple[Decimal, int]]:
    """Exact (gap in local currency, top-up in pay minor units) for a few keys, all in Decimal.

    Uses the integer micro-unit and microsecond sums, the Decimal bar and the Decimal rates, so
    the result is the true amount rounded up (ROUND_CEILING), independent of float error.
    """
    import pandas as pd

    from fairpay.money import minor_units, round_up

    con.register("__keys", pd.DataFrame({k: [r[k] for r in rows] for k in key}))
    union = "union_w_us" if key == ["wid"] else "union_wp_us"
    cols = ", ".join(f"i.{k}" for k in key)
    sums = ", ".join(f"sum(w.m{i})" for i in range(len(codes)))
    per_project = key == ["wid", "pid"]
    detail = con.execute(f"""
        WITH i AS (SELECT k.worker, k.wid, k.place_id{", j.project, j.pid" if per_project else ""}
                   FROM __keys x JOIN __wk k ON k.wid = x.wid{" JOIN __pj j ON j.pid = x.pid" if per_project else ""})
        SELECT {cols}, any_value(b.bar_exact), any_value(b.local_currency), {sums}, sum(w.{union})
        FROM __wp w JOIN i ON i.worker = w.worker{" AND i.project = w.project" if per_project else ""}
          JOIN __bars b ON b.place_id = i.place_id
        GROUP BY {cols}""").fetchall()
    con.unregister("__keys")
    fx = {(r[0], r[1]): Decimal(r[2]) for r in con.execute("SELECT from_ccy, to_ccy, rate_exact FROM __fx").fetchall()}
    nk = len(key)
    acc: dict[tuple[Any, ...], tuple[Decimal, str, Decimal, int]] = {}
    for r in detail:
        bar_exact, local = r[nk], r[nk + 1]
        micros, us = r[nk + 2:nk + 2 + len(codes)], r[-1]
        earn = sum((Decimal(int(m)) / _MICRO * fx[(c, local)] for c, m in zip(codes, micros) if m), Decimal(0))
        acc[tuple(r[:nk])] = (Decimal(bar_exact), local, earn, int(us))
    out: list[tuple[Decimal, int]] = []
    with localcontext() as ctx:
        ctx.prec = 60
        for r in rows:
            bar, local, earn, us = acc[tuple(r[k] for k in key)]
            gap = bar * Decimal(us) / _US_PER_HOUR - earn
            if gap <= 0:
                out.append((gap, 0))
                continue
            # Cross rates are Decimal divisions (28 digits), so 260 KES may come out as 1.6000..0004 GBP;
            # residues below 1e-18 currency units are that noise, not money owed.
            pay_gap = (gap * fx[(local, r["pay_currency"])]).quantize(Decimal("1e-18"))
            top = round_up(pay_gap, r["pay_currency"])
            out.append((gap, int(top.scaleb(minor_units(r["pay_currency"])))))
    return out


def _project_table(con: duckdb.DuckDBPyConnection, cols: Mapping[str, Any], names: Mapping[str, Any]) -> pd.DataFrame:
    """Per project: workers, share below the bar, median and p10 wage, total top-up.

    Wages are in the project's pay currency per hour (workers live in different currencies);
    ``median_bar_ratio`` is the median of wage / bar, comparable across places. ``hours`` and
    ``total_top_up`` are summed exactly (microseconds; micro-units of money), so they do not depend
    on row order. ``total_top_up`` sums the per worker x project top-ups (each rounded up); the
    ledger pays per worker, netting across projects, so its total can be lower.
    ``cols``: the worker x project numpy columns with integer codes (see :func:`_pair_columns`).
    """
    import pandas as pd

    con.register("__wp_result", pd.DataFrame({c: cols[c] for c in ("project", "pay_currency", "below", "hours",
                                                                   "earnings", "top_up", "__bar_ratio")}, copy=False))
    try:
        df = con.execute(f"""
            SELECT project, min(pay_currency) AS pay_currency,
              count(*) AS workers, count(*) FILTER (WHERE below) AS workers_below,
              count(*) FILTER (WHERE below) / count(*) AS share_below,
              quantile_cont(earnings / hours, 0.5) FILTER (WHERE hours > 0) AS median_wage,
              quantile_cont(earnings / hours, 0.1) FILTER (WHERE hours > 0) AS p10_wage,
              quantile_cont(__bar_ratio, 0.5) FILTER (WHERE hours > 0) AS median_bar_ratio,
              sum(CAST(round(hours * {_US_PER_HOUR}) AS BIGINT)) / {_US_PER_HOUR} AS hours,
              sum(CAST(round(top_up * 1e6) AS BIGINT)) / 1e6 AS total_top_up,
              count(DISTINCT pay_currency) AS n_currencies
            FROM __wp_result GROUP BY project ORDER BY project""").df()
    finally:
        con.unregister("__wp_result")
    projects = names["project"].to_pylist()
    df["project"] = [projects[i] for i in df["project"]]
    df["pay_currency"] = [names["pay_currency"][i] for i in df["pay_currency"]]
    return df
