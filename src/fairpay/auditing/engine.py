"""Audit a submission log: each worker's effective hourly wage against the bar where they live.

Why: after a project the truth is in the platform's log, and it is usually long (tens of
millions of rows). fairpay validates every row, merges each worker's overlapping tasks into
worked time (rejected, returned and pending work count as time), converts earnings into the
worker's local currency, compares them with the local bar and proposes the exact top-up,
rounded *up* in the pay currency.

Engine: DuckDB reads and validates, numpy does the per-row work. One DuckDB connection per
audit (Parquet is streamed; DataFrames and CSVs are scanned through Arrow); every text rule is
written once in the typed view and trimmed once per row, or once per spelling where the values
are few: (1) the worker dictionary (alphabetical ids, row counts, spellings; a blank worker id is
found per spelling, not per row; the row whose task id is used for bonuses, then that task id read
for one row per worker) and the project dictionary; (2) a validation scan at (place, currency)
grain (counts; only when a row is bad a second query lists every bad row), which names the
distinct places and pay currencies, so bars and exchange rates are computed once per place with
:mod:`fairpay.wages` and :mod:`fairpay.units.fx`; (3) one stream of the rows as integer codes
(worker, project, place, pay currency, status, start, end, micro-units paid, the hash of the
assignment key), joined to the small code tables on 64-bit hashes when they have no repeated
hash (:func:`code_joins`), in Arrow batches, routed into buckets of whole workers
(:mod:`fairpay.auditing.rows`; files under a memory budget). Each bucket then goes through
:mod:`fairpay.auditing.kernel` (both interval unions from one sort per level, exact integer sums)
and :mod:`fairpay.auditing.money` (pay currency, conversion, top-up), one bucket per thread
(:func:`sum_buckets`), and is written into the result columns in bucket order; buckets are worker
ranges, so the results come out in (worker, project) order whatever the number of threads. When
the assignment key holds the worker, each bucket also sorts its key hashes to find a repeated key
(:func:`partial`). The project table is :mod:`fairpay.auditing.projects` (sums added up bucket by
bucket, quantiles a block of projects at a time, in a thread beside the result frames).
``memory_limit`` is the audit's budget (see :class:`_connect` and :func:`plan`).

Rounding: top-ups are computed in float, then rounded up to the pay currency's minor unit. A
float within 1e-9 (relative) of a minor-unit boundary is recomputed exactly in ``Decimal`` from
the integer sums, the ``Decimal`` bar and the ``Decimal`` rates, so float error can never round
a top-up below the exact amount (tests compare with a hand-written Decimal computation).

Memory: the interpreter and libraries (~0.15 GiB), the results (~70 bytes per worker x project
pair, ~150 per worker), one bucket's work (``ROWS_PER_BUCKET`` rows, ~120 bytes each) and DuckDB's
scans. Under ``memory_limit`` the rows wait in files, so a log larger than memory is processed
in bounded memory as long as its *results* fit.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from fairpay.auditing.money import PAIR_COLUMNS, WORKER_COLUMNS
from fairpay.auditing.presets import CANONICAL, STATUSES, Preset, get_preset, resolve_columns
from fairpay.errors import (
    Failure,
    InvalidDataError,
    InvalidInputError,
    MissingExchangeRateError,
    NoBenchmarkError,
    UnknownCountryError,
    UnknownCurrencyError,
)

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

Pending = Literal["paid", "unpaid"]
#: How many bad rows are listed one by one before the rest are counted.
MAX_LISTED_FAILURES = 1_000
#: More distinct (raw country, subdivision, currency) combinations than this and the place or
#: currency column is not what it claims (there are ~5,300 ISO subdivisions); the log is refused
#: without normalising them all, so a garbage column fails fast.
MAX_GROUPS = 20_000


@dataclass(frozen=True)
class AuditSettings:
    """How an audit reads its log and computes its numbers: one object for :func:`audit`, the CLI
    and :func:`fairpay.auditing.dask.audit_dask`, recorded with the result.

    Reading: ``preset`` (generic | mturk | prolific, or a :class:`fairpay.auditing.presets.Preset`),
    ``columns`` (canonical -> source column), ``defaults`` (constants for columns the export
    lacks), ``encoding`` (a non-UTF-8 CSV's encoding), ``max_task_hours`` (longest plausible
    interval; None: the preset's cap, 24 h), ``implausible`` (error | set_aside: what happens to
    rows with implausible times). The bar: ``kind`` (living | minimum | higher), ``household``,
    ``locality``, ``method`` (living-wage methods in order), ``missing_living`` (estimate | minimum
    | error) and ``estimate_bound`` (upper | point) where no living wage is cited, ``year`` (price
    and exchange-rate year; None: the year of the last submission), ``inflate`` (CPI to that
    year), ``fx_fallback`` (error | nearest_earlier). Time and pay: ``merge_gap_seconds`` (a worker's tasks at most that many
    seconds apart merge; the gap counts as work), ``pending`` (paid | unpaid: whether
    submitted-but-unreviewed rewards count as paid).

    Data (the country mapping, benchmarks, exchange rates) and how to run (memory, threads) are
    not settings: they are passed to the call. Invalid values raise ``InvalidInputError`` here,
    before any row is read.
    """

    preset: str | Preset = "generic"
    columns: Mapping[str, str] | None = None
    defaults: Mapping[str, Any] | None = None
    kind: str = "higher"
    household: str | None = None
    locality: str | None = None
    missing_living: str = "estimate"
    year: int | None = None
    inflate: bool = True
    fx_fallback: str = "error"
    merge_gap_seconds: float = 0
    pending: Pending = "paid"
    method: tuple[str, ...] | None = None  # living-wage methods, in order (None: the defaults)
    estimate_bound: str = "upper"  # where no living wage is cited (fairpay.wages.Benchmarks.bar)
    encoding: str | None = None
    max_task_hours: float | None = None
    implausible: str = "error"

    def __post_init__(self) -> None:
        from fairpay.wages import BAR_KINDS

        get_preset(self.preset)  # an unknown preset name fails here, with the list of names
        for name in ("columns", "defaults"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Mapping):
                raise InvalidInputError(f"{name} must be a mapping of canonical name -> value, not {value!r}")
        if self.kind not in BAR_KINDS:
            raise InvalidInputError(f"kind {self.kind!r} is not one of {', '.join(BAR_KINDS)}")
        for name in ("household", "locality", "encoding"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InvalidInputError(f"{name} must be text, not {type(value).__name__} ({value!r})")
        if self.missing_living not in ("estimate", "minimum", "error"):
            raise InvalidInputError(
                f"missing_living {self.missing_living!r} is not 'estimate', 'minimum' or 'error'"
            )
        if self.estimate_bound not in ("upper", "point"):
            raise InvalidInputError(f"estimate_bound {self.estimate_bound!r} is not 'upper' or 'point'")
        if self.implausible not in ("error", "set_aside"):
            raise InvalidInputError(f"implausible {self.implausible!r} is not 'error' or 'set_aside'")
        if isinstance(self.method, str):  # one method given as text
            object.__setattr__(self, "method", (self.method,))
        elif self.method is not None:
            object.__setattr__(self, "method", tuple(self.method))
        if not isinstance(self.inflate, bool):
            raise InvalidInputError(f"inflate {self.inflate!r} is not True or False")
        if self.pending not in ("paid", "unpaid"):
            raise InvalidInputError(f"pending {self.pending!r} is not 'paid' or 'unpaid'")
        if self.fx_fallback not in ("error", "nearest_earlier"):
            raise InvalidInputError(f"fx_fallback {self.fx_fallback!r} is not 'error' or 'nearest_earlier'")
        gap = self.merge_gap_seconds
        if isinstance(gap, bool) or not isinstance(gap, numbers.Real) or gap < 0 or math.isnan(gap):
            raise InvalidInputError(f"merge_gap_seconds {gap!r} must be a number >= 0 (seconds)")
        if self.year is not None and (
            isinstance(self.year, bool)
            or not isinstance(self.year, numbers.Integral)
            or not 1900 < self.year < 2200
        ):
            raise InvalidInputError(f"year {self.year!r} is not a plausible calendar year")
        # plain Python numbers from here on (numpy scalars are accepted, and recorded as JSON)
        object.__setattr__(self, "merge_gap_seconds", float(gap) if not isinstance(gap, int) else gap)
        if self.year is not None:
            object.__setattr__(self, "year", int(self.year))

    @classmethod
    def of(cls, settings: AuditSettings | None = None, /, **options: Any) -> AuditSettings:
        """``settings`` (default: all defaults) with ``options`` replacing fields by name.

        Why: ``audit(log, kind="living")`` and ``audit(log, AuditSettings(kind="living"))`` are the
        same call; the option names are this class's fields, written once.
        """
        import dataclasses

        if settings is not None and not isinstance(settings, AuditSettings):
            raise InvalidInputError(f"settings must be an AuditSettings, not {type(settings).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise InvalidInputError(f"unknown audit option(s) {unknown}; the options are {sorted(names)}")
        base = settings if settings is not None else cls()
        return dataclasses.replace(base, **options) if options else base

    def record(self) -> dict[str, Any]:
        """JSON-ready fields (a custom preset by its name), as written into summaries and reports."""
        import dataclasses

        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["preset"] = get_preset(self.preset).name
        for name in ("columns", "defaults"):
            if out[name] is not None:
                out[name] = {
                    str(k): v if isinstance(v, (str, int, float, bool)) else str(v)
                    for k, v in out[name].items()
                }
        return out


# --------------------------------------------------------------------------- result


@dataclass
class AuditResult:
    """Per worker, per worker x project and per project results, plus how they were made.

    Money columns: ``earnings``/``top_up`` in the worker's pay currency, ``*_local`` in the
    currency of the bar where the worker lives; ``hours`` are merged worked hours; ``wage_local``
    is local currency per hour. ``top_up`` is rounded up to the pay currency's minor unit.

    ``workers``: one row per worker with everything that belongs to the worker (place, bar, local
    currency, exchange rate, pay currency, and ``task``: the task id for a bonus, that of the
    worker's last approved row in the log that has one, else of the last row that has one).
    ``worker_projects``: narrow, one
    row per (worker, project) with the pair's own measures only; join ``workers`` on ``worker``
    for place, bar or rates. ``bars``: one row per raw place spelling, with the bar's provenance;
    ``benchmarks``: place (:class:`fairpay.units.places.Place`) -> the benchmark object used.
    """

    workers: pd.DataFrame
    worker_projects: pd.DataFrame
    projects: pd.DataFrame
    bars: pd.DataFrame
    settings: AuditSettings
    warnings: list[str] = field(default_factory=list)
    source: str = "log"
    benchmarks: dict[Any, Any] = field(default_factory=dict)
    #: The audited period: (first task accepted, last task submitted), ISO 8601 UTC; None if unknown.
    period: tuple[str, str] | None = None
    #: Rows left out of the audit, each with its reason (row, column, value, reason, message).
    set_aside: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        """True when nobody is below the bar."""
        return not bool(self.workers["below"].any())

    def ledger(self, previous_payments: Any = None, *, reason: str | None = None) -> pd.DataFrame:
        """Back-pay still owed per worker, net of earlier payments (see :func:`fairpay.auditing.ledger.ledger`)."""
        from fairpay.auditing.ledger import ledger

        return ledger(self, previous_payments, reason=reason)

    def pseudonymized(self, key: bytes | str) -> AuditResult:
        """A copy whose worker ids are keyed HMAC-SHA256 pseudonyms (same key -> same pseudonym)."""
        from fairpay.auditing.ledger import pseudonymize_frame

        return AuditResult(
            workers=pseudonymize_frame(self.workers, key),
            worker_projects=pseudonymize_frame(self.worker_projects, key),
            projects=self.projects.copy(),
            bars=self.bars.copy(),
            settings=self.settings,
            warnings=list(self.warnings),
            source=self.source,
            benchmarks=dict(self.benchmarks),
            period=self.period,
            set_aside=self.set_aside,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary plus every table as records.

        Money leaves exact, as decimal strings (``"48.02"``), never binary floats: top-ups and
        earnings exactly, wages rounded down and bars up to the minor unit (the one display rule,
        :mod:`fairpay.units.figures`); ``total_top_up`` is the exact sum per pay currency.
        """
        from fairpay.units.figures import exact_money_frame, json_records, text

        below = self.workers[self.workers["below"]]
        totals: dict[str, Any] = {}
        exact = exact_money_frame(below[["pay_currency", "top_up"]])
        for ccy, amount in zip(exact["pay_currency"].tolist(), exact["top_up"].tolist(), strict=True):
            totals[str(ccy)] = totals.get(str(ccy), 0) + amount
        return {
            "source": self.source,
            "period": None if self.period is None else {"from": self.period[0], "to": self.period[1]},
            "ok": self.ok,
            "workers": int(len(self.workers)),
            "workers_below": int(len(below)),
            "total_top_up": {k: text(v) for k, v in sorted(totals.items())},
            "settings": self.settings.record(),
            "warnings": list(self.warnings),
            "bars": json_records(self.bars),
            "projects": json_records(self.projects),
            "worker_table": json_records(self.workers),
        }


# --------------------------------------------------------------------------- public entry


def audit(
    log: Any,
    settings: AuditSettings | None = None,
    *,
    country: str | Mapping[str, str] | pd.DataFrame | None = None,
    benchmarks: Any = None,
    rates: Any = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    progress: bool = False,
    **options: Any,
) -> AuditResult:
    """Audit a submission log (DataFrame, or path to CSV/Parquet) and return an :class:`AuditResult`.

    ``settings``: an :class:`AuditSettings` (how the log is read, which bar, merge gap, pending
    work); ``options`` replace its fields by name, so ``audit(log, kind="living")`` works too.
    ``country``: one country for everyone, or a worker -> country (or "US-CA") mapping /
    DataFrame(worker, country[, subdivision]). ``benchmarks``/``rates``: the benchmark table and
    exchange rates (default: the bundled ones).

    Result tables: ``workers``, one row per worker (keys, place, counts, hours, pay currency,
    earnings, top-up, local currency, wage, bar, rate, task id); ``worker_projects``, narrow, one
    row per (worker, project): worker, project, pay_currency, tasks, approved, rejected, returned,
    pending, hours, earnings, earnings_local, wage_local, below, top_up (join ``workers`` on
    ``worker`` for place, bar and rates); ``projects``, one row per project; ``bars``, one row per
    raw place with provenance, and ``benchmarks`` (place -> benchmark used). Counts are int32;
    worker, project, currencies and places are categoricals (sorted categories).

    ``memory_limit`` (e.g. "1GB"): the audit's memory budget; rows wait in temporary files when
    they would take more than a quarter of it, and buckets of work are sized to it (results
    themselves are held: ~70 bytes per worker x project pair). ``threads``: DuckDB's threads and
    the kernel's (default: the machine's cores). ``progress``: DuckDB's progress bar on the scans.

    Inputs are read with suspicion (a log moves money): a CSV goes through
    :func:`fairpay.tables.read.read_text_table` (``encoding`` names a non-UTF-8 file's encoding);
    naive times are UTC; rows repeating an assignment key (the preset's ``key``) are dropped when
    exact copies (a warning lists them) and an error when they differ; a time before the platform
    existed, in the future, a date without a time, or an interval over ``max_task_hours`` (default
    24) is a bad row, or, with ``implausible="set_aside"``, left out and listed in ``set_aside``;
    rows a platform marks as not worked time or not placeable (Prolific: returned/timed-out with no
    completion time, a withheld country) are set aside with a count and the rows.
    """
    settings = AuditSettings.of(settings, **options)
    _check_arguments(settings.columns, memory_limit, threads)
    _check_types(progress=(progress, bool))
    p = get_preset(settings.preset)
    _warm_up()
    with _connect(memory_limit, threads) as connection, _numpy_pages():
        con = connection.con
        if progress:
            con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = true")
        source, label = _register_source(
            con, log, p, settings.columns, settings.defaults, country, settings.encoding
        )
        rule = plausible(p, settings.max_task_hours, settings.implausible)
        with _read_errors(source):
            _typed_view(con, p, "raw", "typed", rule, set_aside=True, source=source, label=label)
        key_hash, by_worker = key_hash_sql(con, p), probe_by_worker(con, p)
        dup_warnings: list[str] = []
        while True:  # twice only when the stream's key probe finds a repeat (see RepeatedKey)
            with _read_errors(source):
                workers, projects, blank_workers = dictionaries(con, "typed", p)
                scan = _scan(con, "typed", blank_workers)
                warnings = _check(con, "typed", scan, source, settings, label, rule) + dup_warnings
                aside_warnings, aside = set_aside_rows(con, "typed", p, label, rule)
            warnings += aside_warnings + _status_notes(con, p) + long_interval_warning(scan)
            bars, fx, used = bars_fx_benchmarks(scan, settings, benchmarks, rates)
            from fairpay.tables.store import notices  # a damaged data folder is stated in every output

            warnings += notices()
            _places, currencies, _ = normalize_groups(scan)
            try:
                worker_frame, pairs, project_frame = _run(
                    con,
                    "typed",
                    (workers, projects),
                    scan,
                    bars,
                    fx,
                    currencies,
                    settings,
                    source,
                    connection.tmp,
                    connection.budget,
                    connection.threads,
                    key_hash=key_hash,
                    by_worker=by_worker,
                )
                break
            except RepeatedKey:
                with _read_errors(source):
                    dup_warnings = duplicates(con, "typed", p, source, label)
                key_hash = ""
    return AuditResult(
        workers=worker_frame,
        worker_projects=pairs,
        projects=project_frame,
        bars=bars,
        settings=settings,
        warnings=warnings,
        source=source,
        benchmarks=used,
        period=scan.period(),
        set_aside=aside,
    )


def _warm_up() -> None:
    """Import pandas in a thread while DuckDB reads the log.

    Why: the result frames need pandas (~0.3 s to import), the reading passes do not, and DuckDB
    works outside the GIL, so the import costs no time at all when it runs beside the first pass.
    """
    import sys
    import threading

    if "pandas" not in sys.modules:
        threading.Thread(target=__import__, args=("pandas",), name="fairpay-import", daemon=True).start()


def _check_arguments(columns: Any, memory_limit: Any, threads: Any) -> None:
    """Refuse misused arguments with fairpay's own error naming the argument (never a TypeError)."""
    if columns:
        bad = [k for k, v in columns.items() if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            raise InvalidInputError(
                f"columns must map canonical names to source column names (text); check {bad}"
            )
    if memory_limit is not None:
        import re

        if not isinstance(memory_limit, str) or not re.fullmatch(
            r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*", memory_limit, re.IGNORECASE
        ):
            raise InvalidInputError(f"memory_limit {memory_limit!r} is not a size such as '1GB' or '512MiB'")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise InvalidInputError(f"threads {threads!r} must be a whole number >= 1 (or None: every core)")


def _check_types(**arguments: tuple[Any, type]) -> None:
    """Each argument is None (unless it is a switch) or of its type; a bool is not a number and a
    text year is not a year (numpy integers are integers)."""
    import numbers

    for name, (value, kind) in arguments.items():
        if value is None and kind is not bool:
            continue
        wanted: Any = numbers.Integral if kind is int else kind
        if not isinstance(value, wanted) or (kind is not bool and isinstance(value, bool)):
            raise InvalidInputError(f"{name} must be {kind.__name__}, not {type(value).__name__} ({value!r})")


class _read_errors:
    """DuckDB errors raised while reading the log's data (a truncated Parquet file, an unreadable
    value) become InvalidDataError naming the file; anything else is left to surface as a bug."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        import duckdb

        data_errors = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)
        if kind is not None and issubclass(kind, data_errors):
            message = " ".join(str(exc).split())
            raise InvalidDataError(self.source, [f"cannot be read: {message}"]) from None


def _status_notes(con: duckdb.DuckDBPyConnection, preset: Preset) -> list[str]:
    """A warning per source status the preset counts as unpaid for a stated reason (with the count)."""
    if not preset.unpaid_note:
        return []
    names = ", ".join(_literal(k.lower()) for k in preset.unpaid_note)
    counts = con.execute(
        f"SELECT lower(trim(status_raw)), count(*) FROM typed WHERE lower(trim(status_raw)) IN ({names}) GROUP BY 1"
    ).fetchall()
    return [f"{n} {status.upper()} row(s): {preset.unpaid_note[status]}" for status, n in sorted(counts)]


def long_interval_warning(scan: Scan) -> list[str]:
    """How much of the summed task time the intervals over an hour make (when there are any)."""
    if not scan.long_intervals or not scan.interval_us:
        return []
    share = 100 * scan.long_interval_us / scan.interval_us
    return [
        f"{scan.long_intervals} task interval(s) longer than 1 h make {share:.1f}% of the summed task time "
        f"(longest {scan.longest_us / 3.6e9:.1f} h); check them before paying on them"
    ]


class _connect:
    """A DuckDB connection that spills to a private temporary directory (removed afterwards).

    ``memory_limit`` (e.g. "1GB") is the audit's memory budget (``budget``, bytes): DuckDB gets it
    minus an allowance for the interpreter and libraries (``_PYTHON_BYTES``, at most half) for its
    scans and small aggregations, and the row buckets go to files in the same directory when the
    rows would take more than a quarter of it (see :func:`plan`).
    """

    def __init__(self, memory_limit: str | None, threads: int | None) -> None:
        import tempfile

        import duckdb

        self.tmp = tempfile.mkdtemp(prefix="fairpay-duckdb-")
        # background threads return DuckDB's freed memory to the system while numpy works
        config: dict[str, Any] = {
            "temp_directory": self.tmp,
            "preserve_insertion_order": False,
            "allocator_background_threads": True,
        }
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = int(threads)
        self.con = duckdb.connect(config=config)
        #: the same number of threads for the kernel as for DuckDB (default: the machine's cores)
        self.threads = int(self.con.execute("SELECT current_setting('threads')").fetchall()[0][0])
        self.budget: int | None = None
        if memory_limit:  # the limit is the audit's budget: leave room for the interpreter and libraries
            self.budget = _bytes(self.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
            self.con.execute(
                f"SET memory_limit = '{max(self.budget - _PYTHON_BYTES, self.budget // 2) // 2**20}MiB'"
            )

    def __enter__(self) -> _connect:
        return self

    def __exit__(self, *exc: Any) -> None:
        import shutil

        self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class _numpy_pages:
    """Within the audit, numpy does not ask the kernel for transparent huge pages.

    Why: with THP in ``madvise`` mode and ``defrag=madvise`` (a common server setting), each fresh
    large numpy array may stall on memory compaction; measured here, array operations on 10M rows
    ran 3-5x slower. numpy's own switch (also ``NUMPY_MADVISE_HUGEPAGE=0``) is restored afterwards.
    """

    def __enter__(self) -> None:
        import numpy as np

        core = getattr(np, "_core", None) or getattr(np, "core", None)
        self.switch = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
        self.before = self.switch(False) if self.switch else None

    def __exit__(self, *exc: Any) -> None:
        if self.switch:
            self.switch(self.before)


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
    con: duckdb.DuckDBPyConnection,
    log: Any,
    preset: Preset,
    columns: Mapping[str, str] | None,
    defaults: Mapping[str, Any] | None,
    country: Any,
    encoding: str | None = None,
) -> tuple[str, str]:
    """Create view ``raw`` with canonical column names (source types) and ``__row``; returns
    (source name for messages, row label: "line" for a CSV's line numbers, else "row")."""
    source_name, relation_sql, available, label = _load(con, log, encoding)
    _raw_view(con, relation_sql, available, preset, columns, defaults, country, source_name)
    return source_name, label


def _load(
    con: duckdb.DuckDBPyConnection, log: Any, encoding: str | None = None
) -> tuple[str, str, list[str], str]:
    """Register the log; return (name for messages, SQL relation with ``__row``, columns, row label).

    ``__row`` is where a user finds the row: a CSV's line number (read by :mod:`fairpay.tables.read`,
    header = line 1), a Parquet file's or a DataFrame's 0-based row position.
    """
    from fairpay.tables.read import CSV_SUFFIXES, PARQUET_SUFFIXES, check_path, parquet_columns

    # a DataFrame by its class, so a log path does not wait for pandas (imported beside, _warm_up)
    if any(c.__name__ == "DataFrame" and c.__module__.split(".")[0] == "pandas" for c in type(log).__mro__):
        import numpy as np

        names = [str(c) for c in log.columns]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise InvalidInputError(
                f"log DataFrame has column(s) {dups} more than once; rename or drop the copies"
            )
        frame = log.reset_index(drop=True)
        if "__row" in frame.columns:
            raise InvalidInputError("the log may not have a column named '__row'")
        frame = frame.assign(__row=np.arange(len(frame), dtype="int64"))
        _check_datetime_objects(frame)
        con.register("__log", frame)
        return "log DataFrame", "__log", names, "row"
    if not isinstance(log, (str, os.PathLike)):
        raise InvalidInputError(
            f"log must be a pandas DataFrame or a path to a CSV/Parquet file, not {type(log).__name__}"
        )
    path = check_path(log, "log")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        names = parquet_columns(path, what="log")
        sql = f"(SELECT *, file_row_number AS __row FROM read_parquet({_literal(str(path))}, file_row_number=true))"
        return str(path), sql, names, "row"
    if suffix in CSV_SUFFIXES:
        from fairpay.tables.read import read_text_table

        text = read_text_table(path, what="log", encoding=encoding)
        table = text.table.rename_columns([*text.columns, "__row"])  # LINE is the last column
        con.register("__log", table)
        return str(path), "__log", text.columns, "line"
    raise InvalidInputError(f"log file {str(path)!r}: expected a .csv, .tsv or .parquet file")


def _check_datetime_objects(frame: pd.DataFrame) -> None:
    """A DataFrame column of datetime objects must be all zoned or all naive (naive = UTC)."""
    import datetime as dt

    for c in frame.columns:
        if frame[c].dtype != object:
            continue
        first = frame[c].first_valid_index()
        if first is None or not isinstance(frame[c][first], dt.datetime):
            continue
        naive = [i for i, v in enumerate(frame[c]) if isinstance(v, dt.datetime) and v.tzinfo is None]
        if naive and len(naive) < frame[c].notna().sum():
            raise InvalidDataError(
                "log DataFrame",
                [
                    Failure(
                        naive[0],
                        str(c),
                        str(frame[c].iloc[naive[0]]),
                        "mixed_time_zones",
                        "column mixes times with a zone and without one: give every time a zone, or none "
                        "(naive times are read as UTC)",
                    )
                ],
            )


def _raw_view(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    available: list[str],
    preset: Preset,
    columns: Mapping[str, str] | None,
    defaults: Mapping[str, Any] | None,
    country: Any,
    source_name: str,
) -> str:
    source, constant = resolve_columns(
        preset, available, columns, defaults, country_given=country is not None
    )
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
            import pandas as pd

            if isinstance(country, pd.DataFrame):
                missing = {"worker", "country"} - set(country.columns)
                if missing:
                    raise InvalidInputError(
                        f"country table needs columns worker, country; missing {sorted(missing)}"
                    )
                table = pd.DataFrame(
                    {
                        "worker": country["worker"].astype(str),
                        "country": country["country"].astype(str),
                        "subdivision": country["subdivision"] if "subdivision" in country else None,
                    }
                )
            elif isinstance(country, Mapping):
                table = pd.DataFrame(
                    {"worker": [str(k) for k in country], "country": [str(v) for v in country.values()]}
                )
                table["subdivision"] = None
            else:
                raise InvalidInputError(
                    "country= must be a country, a worker -> country mapping or a DataFrame"
                )
            if table["worker"].duplicated().any():
                dups = sorted(table.loc[table["worker"].duplicated(), "worker"].unique())[:10]
                raise InvalidInputError(f"country table lists workers more than once: {dups}")
            con.register("__places_by_worker", table.astype({"subdivision": "object"}))
            select = [s for s in select if not s.endswith(" AS subdivision")]
            select += ["__pw.country AS country", "__pw.subdivision AS subdivision"]
            wcol = source["worker"]
            join = (
                f" LEFT JOIN __places_by_worker __pw ON CAST(__src.{_quote(wcol)} AS VARCHAR) = __pw.worker"
            )
    select = ["__src.__row" if s == "__row" else s for s in select]
    con.execute(f"CREATE OR REPLACE TEMP VIEW raw AS SELECT {', '.join(select)} FROM {relation} __src{join}")
    return source_name


def _types(con: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
    return {r[0]: str(r[1]).upper() for r in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()}


@dataclass(frozen=True)
class Plausible:
    """What a real task time looks like (see :func:`plausible`); instants in UTC microseconds."""

    earliest_us: int
    latest_us: int
    max_us: int
    earliest: str
    max_hours: float
    #: "error": implausible rows are bad rows; "set_aside": they are left out and listed.
    implausible: str = "error"


def plausible(preset: Preset, max_task_hours: float | None = None, implausible: str = "error") -> Plausible:
    """The plausibility rule for a log of ``preset``: no time before the platform existed
    (``preset.earliest``), none after now, no interval longer than ``max_task_hours`` (default
    :data:`~fairpay.auditing.presets.MAX_TASK_HOURS`)."""
    import datetime as dt

    from fairpay.auditing.presets import MAX_TASK_HOURS

    hours = MAX_TASK_HOURS if max_task_hours is None else max_task_hours
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not (0 < hours < math.inf):
        raise InvalidInputError(f"max_task_hours {max_task_hours!r} must be a positive number of hours")
    if implausible not in ("error", "set_aside"):
        raise InvalidInputError(f"implausible {implausible!r} is not 'error' or 'set_aside'")
    earliest = dt.datetime.fromisoformat(preset.earliest).replace(tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    return Plausible(
        int(earliest.timestamp()) * 1_000_000,
        int(now.timestamp() * 1_000_000),
        int(round(hours * 3_600_000_000)),
        preset.earliest,
        float(hours),
        implausible,
    )


#: Row issue codes that a preset may set aside (with a count and the rows) instead of failing the
#: file, and the time issues that are set aside only when the user asks (``implausible="set_aside"``).
SET_ASIDE_CODES: tuple[str, ...] = ("no_completion", "country_withheld")
TIME_CODES: tuple[str, ...] = ("date_only", "before_platform", "after_now", "too_long")
#: A time with a zone designator (Z, +hh:mm, +hhmm, +hh, UTC/GMT) after its time of day.
_ZONED = r"\d:\d\d(:\d\d(\.\d*)?)?\s*([zZ]|[+-]\d\d(:?\d\d)?|UTC|GMT)$"


def _typed_view(
    con: duckdb.DuckDBPyConnection,
    preset: Preset,
    raw: str,
    typed: str,
    rule: Plausible | None = None,
    *,
    set_aside: bool = False,
    source: str = "log",
    label: str = "row",
) -> None:
    """Create view ``typed``: canonical types, microsecond instants (UTC), statuses mapped, raw kept
    for messages, and ``issue``: the row's first plausibility or platform issue code (or NULL).

    Naive times are UTC in every path (the connection's zone is set to UTC, so the machine's zone
    never matters); a text column mixing zoned and naive times is refused. ``set_aside``: rows
    whose issue is in ``SET_ASIDE_CODES`` (or a time issue under ``implausible="set_aside"``) are
    left out of ``typed`` (they stay in ``{typed}_all`` for :func:`set_aside_rows`); otherwise
    every issue is a bad row.
    """
    con.execute("SET TimeZone = 'UTC'")
    rule = rule or plausible(preset)
    types = _types(con, raw)
    trimmed: dict[str, str] = {}  # col -> inner column holding its trimmed text (trimmed once per row)

    def text(col: str) -> str:
        return text_rule(trimmed.setdefault(col, f"__t_{col}"), preset)

    def is_text(col: str) -> bool:
        return not types[col].startswith(("TIMESTAMP", "DATE")) and types[col] != '"NULL"'

    def instant(col: str) -> str:
        t = types[col]
        if t.startswith("TIMESTAMP"):
            zoned = "TIME ZONE" in t or t.startswith("TIMESTAMPTZ")
            return f"epoch_us(CAST({col} AS {'TIMESTAMPTZ' if zoned else 'TIMESTAMP'}))"
        if t == "DATE":
            raise InvalidInputError(
                f"{source}: column {col!r} holds dates only; worked time needs times of day"
            )
        expr = text(col)
        if preset.time_format:
            for zone, offset in preset.time_zones.items():
                expr = f"replace({expr}, ' {zone} ', ' {offset} ')"
            return f"epoch_us(CAST(try_strptime({expr}, {_literal(preset.time_format)}) AS TIMESTAMPTZ))"
        return f"epoch_us(TRY_CAST({expr} AS TIMESTAMPTZ))"

    def date_only(col: str) -> str:
        return f"strpos(coalesce({text(col)}, ':'), ':') = 0" if is_text(col) else "false"

    if not preset.time_format:
        _check_zones(con, raw, [c for c in ("started", "submitted") if is_text(c)], source, label)

    def number(col: str) -> str:
        t = types[col]
        if t in (
            "DOUBLE",
            "FLOAT",
            "BIGINT",
            "INTEGER",
            "SMALLINT",
            "TINYINT",
            "HUGEINT",
            "UBIGINT",
            "UINTEGER",
        ) or t.startswith("DECIMAL"):
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
    withheld = ", ".join(_literal(v.upper()) for v in preset.not_countries)
    no_completion = ", ".join(_literal(v.lower()) for v in preset.no_completion_statuses)
    issue_cases = []
    if no_completion:
        issue_cases.append(
            f"WHEN e_us IS NULL AND submitted_raw IS NULL AND lower(trim(status_raw)) IN ({no_completion}) "
            "THEN 'no_completion'"
        )
    if withheld:
        issue_cases.append(
            f"WHEN country_raw IS NULL OR upper(country_raw) IN ({withheld}) THEN 'country_withheld'"
        )
    issue_cases += [
        "WHEN s_us IS NULL OR e_us IS NULL THEN NULL",
        "WHEN s_date OR e_date THEN 'date_only'",
        f"WHEN s_us < {rule.earliest_us} OR e_us < {rule.earliest_us} THEN 'before_platform'",
        f"WHEN s_us > {rule.latest_us} OR e_us > {rule.latest_us} THEN 'after_now'",
        f"WHEN e_us - s_us > {rule.max_us} THEN 'too_long'",
    ]
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {typed}_all AS SELECT *, CASE {" ".join(issue_cases)} ELSE NULL END AS issue
        FROM (SELECT
          __row,
          {text("worker")} AS worker,
          {text("project")} AS project,
          {task} AS task,
          {instant("started")} AS s_us,
          {instant("submitted")} AS e_us,
          {number("reward")} AS reward,
          upper({text("currency")}) AS currency,
          CASE lower({text("status")}) {cases} ELSE NULL END AS status,
          {text("country")} AS country_raw,
          {sub} AS subdivision_raw,
          {bonus} AS bonus,
          {date_only("started")} AS s_date,
          {date_only("submitted")} AS e_date,
          {text("started")} AS started_raw,
          {text("submitted")} AS submitted_raw,
          CAST(reward AS VARCHAR) AS reward_raw,
          CAST(status AS VARCHAR) AS status_raw,
          {"CAST(bonus AS VARCHAR)" if "bonus" in has else "NULL"} AS bonus_raw,
          CAST(worker AS VARCHAR) AS worker_raw,
          CAST(country AS VARCHAR) AS country_value
        FROM (SELECT *, {", ".join(f"trim(CAST({c} AS VARCHAR)) AS {t}" for c, t in trimmed.items())} FROM {raw}))""")
    codes = [c for c in SET_ASIDE_CODES if _may_set_aside(preset, c)]
    codes += list(TIME_CODES) if rule.implausible == "set_aside" else []
    where = (
        f"WHERE issue IS NULL OR issue NOT IN ({', '.join(map(_literal, codes))})"
        if set_aside and codes
        else ""
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {typed}_kept AS SELECT * FROM {typed}_all {where}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {typed} AS SELECT * FROM {typed}_kept")


def text_rule(trimmed: str, preset: Preset) -> str:
    """The text rule on an already trimmed SQL expression: blank or a missing marker is NULL.

    One definition for the typed view (per row) and the worker dictionary (per spelling).
    """
    missing = ", ".join(_literal(m) for m in preset.missing)
    return (
        f"(CASE WHEN {trimmed} IN ('', {missing}) THEN NULL ELSE {trimmed} END)"
        if missing
        else f"NULLIF({trimmed}, '')"
    )


def _may_set_aside(preset: Preset, code: str) -> bool:
    return bool(preset.no_completion_statuses if code == "no_completion" else preset.not_countries)


def set_aside_rows(
    con: duckdb.DuckDBPyConnection, typed: str, preset: Preset, label: str, rule: Plausible
) -> tuple[list[str], pd.DataFrame]:
    """(warnings, frame) for the rows :func:`_typed_view` set aside: one warning per reason with
    the count and the first rows; the frame lists every row (row, column, value, reason, message)."""
    from fairpay.errors import failure_frame

    codes = [c for c in SET_ASIDE_CODES if _may_set_aside(preset, c)]
    codes += list(TIME_CODES) if rule.implausible == "set_aside" else []
    if not codes:
        return [], failure_frame([])
    frame = con.execute(
        f"SELECT * FROM {typed}_all WHERE issue IN ({', '.join(map(_literal, codes))}) ORDER BY __row"
    ).df()
    frame = frame.astype(object).where(frame.notna(), None).rename(columns={"__row": "row"})
    records = [_issue_record(r, label, rule) for r in frame.itertuples(index=False)]
    warnings = []
    for code in codes:
        these = [r for r in records if r.reason == code]
        if these:
            rows = ", ".join(str(r.row) for r in these[:10])
            more = f" and {len(these) - 10} more" if len(these) > 10 else ""
            warnings.append(
                f"{len(these)} row(s) set aside ({code}): {these[0].message} ({label}s {rows}{more})"
            )
    return warnings, failure_frame(records)


#: Stream columns of the canonical key columns (the ids of worker and project: no text per row).
_STREAM_KEY_COLUMNS = {
    "worker": "k.wid",
    "project": "j.pid",
    "task": "t.task",
    "started": "t.s_us",
    "submitted": "t.e_us",
}
#: Typed columns of the canonical key columns.
_KEY_COLUMNS = {
    "worker": "worker",
    "project": "project",
    "task": "task",
    "started": "s_us",
    "submitted": "e_us",
}
#: What two rows must share to be the same row (exact duplicates).
_CONTENT = "worker, project, task, s_us, e_us, reward, currency, status, country_raw, subdivision_raw, bonus"


def _duplicate_key_columns(
    con: duckdb.DuckDBPyConnection, preset: Preset
) -> tuple[tuple[str, ...], list[str]]:
    """(the preset's assignment key for this log's columns, its typed column names)."""
    from fairpay.auditing.presets import duplicate_key

    key = duplicate_key(preset, {c for c in _types(con, "raw") if c in CANONICAL})
    return key, [_KEY_COLUMNS[c] for c in key]


def key_hash_sql(con: duckdb.DuckDBPyConnection, preset: Preset) -> str:
    """A ``STREAM_SQL`` column: the hash of the row's assignment key (NULL when a key part is NULL).

    Why: the audit probes for repeated keys in the row stream it reads anyway (a sort of the
    hashes) instead of a separate ``count(DISTINCT ...)`` pass over the log; equal keys hash
    equal, so a probe that finds no equal hashes proves no key repeats, and only a found repeat
    (or a hash collision) costs the exact :func:`duplicates` query and a second pass.
    """
    key, _cols = _duplicate_key_columns(con, preset)
    cols = [_STREAM_KEY_COLUMNS[c] for c in key]
    notnull = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    # a row without a full key is never a repeat: it gets a hash of its own row number instead
    return f", CASE WHEN {notnull} THEN hash({', '.join(cols)}) ELSE hash(t.__row, 'no key') END AS kh"


def probe_by_worker(con: duckdb.DuckDBPyConnection, preset: Preset) -> bool:
    """Whether the assignment key includes the worker: then two rows sharing a key are in one
    bucket, and each bucket probes its own hashes in the kernel threads (no log-long sort)."""
    return "worker" in _duplicate_key_columns(con, preset)[0]


class RepeatedKey(Exception):
    """The stream's key probe found two equal key hashes: run :func:`duplicates` and start again."""


def duplicates(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    preset: Preset,
    source: str,
    label: str,
    *,
    failures_out: list[Failure] | None = None,
) -> list[str]:
    """Find rows that repeat an assignment key (see :func:`~fairpay.auditing.presets.duplicate_key`).

    Exact repeats (two overlapping downloads concatenated) are dropped from ``typed`` with a warning
    giving the count and the rows; rows sharing a key but differing in any value are an error
    listing both rows and the values that differ. One aggregation; rows are fetched only when
    something repeats. ``failures_out`` (engines that cannot drop rows, e.g. Dask partitions): every
    repeat, exact or not, is appended there as a failure instead of raised or dropped.
    """
    import pyarrow as pa

    key, cols = _duplicate_key_columns(con, preset)
    keys = ", ".join(cols)
    notnull = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    # cheap test first: equal keys hash equal, so no repeated hash means no repeated key (a hash
    # collision only costs the exact query below, which then finds nothing)
    ((n,),) = con.execute(
        f"SELECT count(*) - count(DISTINCT hash({keys})) FROM {typed} WHERE {notnull}"
    ).fetchall()  # all: a result left open blocks the next query on the connection
    if not n:
        return []
    groups = con.execute(f"""
        SELECT list(__row ORDER BY __row) AS rows, count(DISTINCT row({_CONTENT})) AS variants
        FROM {typed} WHERE {notnull} GROUP BY {keys} HAVING count(*) > 1 ORDER BY min(__row)""").fetchall()
    if not groups:
        return []
    what = " + ".join(key)
    conflicts = [rows for rows, variants in groups if variants > 1]
    if conflicts:
        shown = conflicts[:MAX_LISTED_FAILURES]
        wanted = sorted({r for rows in shown[:100] for r in rows})
        frame = con.execute(
            f"SELECT __row, {_CONTENT}, started_raw, submitted_raw FROM {typed} WHERE __row IN "
            f"(SELECT unnest(?)) ORDER BY __row",
            [wanted],
        ).df()
        by_row = {int(r["__row"]): r for _, r in frame.iterrows()}
        failures = []
        for rows in shown:
            first = by_row.get(rows[0])
            for other in rows[1:]:
                diff = ""
                if first is not None and other in by_row:
                    o = by_row[other]
                    differ = [c for c in _CONTENT.split(", ") if not _same(first[c], o[c])]
                    diff = "; differs in " + ", ".join(
                        f"{_CANONICAL_NAME.get(c, c)} ({_shown(first, c)} vs {_shown(o, c)})" for c in differ
                    )
                failures.append(
                    Failure(
                        int(other),
                        key[-1],
                        None,
                        "duplicate_conflict",
                        f"repeats the {what} of {label} {rows[0]} with different values{diff}: "
                        "keep one of the two rows (which one is paid cannot be guessed)",
                        label,
                    )
                )
        if failures_out is None:
            raise_failures(source, failures, sum(len(r) - 1 for r in conflicts))
        else:
            failures_out.extend(failures)
    drop = [r for rows, _v in groups for r in rows[1:]]
    if failures_out is not None:
        exact = [rows for rows, variants in groups if variants == 1]
        failures_out.extend(
            Failure(
                int(other),
                key[-1],
                None,
                "duplicate_exact",
                f"repeats {label} {rows[0]} exactly (same {what}); drop the copy, or use audit(), "
                "which drops exact copies with a warning",
                label,
            )
            for rows in exact[:MAX_LISTED_FAILURES]
            for other in rows[1:]
        )
        return []
    con.register("__dup_drop", pa.table({"__row": pa.array(drop, pa.int64())}))
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {typed} AS SELECT t.* FROM {typed}_kept t "
        "ANTI JOIN __dup_drop d ON t.__row = d.__row"
    )
    pairs = ", ".join(f"{rows[1]} = {rows[0]}" for rows, _v in groups[:10])
    more = f" and {len(drop) - 10} more" if len(drop) > 10 else ""
    return [
        f"{len(drop)} exact duplicate row(s) dropped (same {what} and every value, e.g. two overlapping "
        f"downloads concatenated; {label}s {pairs}{more})"
    ]


_CANONICAL_NAME = {
    "s_us": "started",
    "e_us": "submitted",
    "country_raw": "country",
    "subdivision_raw": "subdivision",
}


def _same(a: Any, b: Any) -> bool:
    import pandas as pd

    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    return bool(a == b)


def _shown(row: Any, col: str) -> str:
    if col in ("s_us", "e_us"):
        return repr(row["started_raw" if col == "s_us" else "submitted_raw"])
    value = row[col]
    import pandas as pd

    return "blank" if pd.isna(value) else repr(value)


def _check_zones(
    con: duckdb.DuckDBPyConnection, raw: str, columns: list[str], source: str, label: str
) -> None:
    """Refuse a text time column that mixes zoned and naive times (naive ones would be read as UTC,
    which is almost surely wrong for some of them)."""
    if not columns:
        return
    parts = []
    for c in columns:
        v = f"NULLIF(trim(CAST({c} AS VARCHAR)), '')"
        parts.append(
            f"min(__row) FILTER (WHERE regexp_matches({v}, {_literal(_ZONED)})), "
            f"min(__row) FILTER (WHERE {v} IS NOT NULL AND strpos({v}, ':') > 0 "
            f"AND NOT regexp_matches({v}, {_literal(_ZONED)}))"
        )
    found = con.execute(f"SELECT {', '.join(parts)} FROM {raw}").fetchall()[0]
    for i, c in enumerate(columns):
        zoned, naive = found[2 * i], found[2 * i + 1]
        if zoned is not None and naive is not None:
            raise InvalidDataError(
                source,
                [
                    Failure(
                        int(naive),
                        c,
                        None,
                        "mixed_time_zones",
                        f"column mixes times with a zone (e.g. {label} {zoned}) and without one (this {label}): "
                        "give every time a zone, or none (naive times are read as UTC)",
                        label,
                    )
                ],
            )


# --------------------------------------------------------------------------- validation

#: The largest amount one row may carry (reward or bonus, pay currency): beyond it an amount is a
#: unit or parsing error (and micro-units would overflow 64-bit sums).
MAX_AMOUNT = 1e9

#: A bad row, but for a blank worker: that test is made per spelling on the worker dictionary
#: (:func:`dictionaries`), since trimming every row's worker id costs a pass's worth of time
#: (~0.6 s at 10M rows, 200k workers) and the spellings are few.
_BAD_VALUES = """(project IS NULL OR s_us IS NULL OR e_us IS NULL OR e_us < s_us
  OR reward IS NULL OR NOT isfinite(reward) OR reward < 0 OR reward > 1e9
  OR abs(reward * 1e6 - round(reward * 1e6)) > 1e-3
  OR currency IS NULL OR status IS NULL OR country_raw IS NULL OR issue IS NOT NULL
  OR bonus IS NULL OR NOT isfinite(bonus) OR bonus < 0 OR bonus > 1e9
  OR abs(bonus * 1e6 - round(bonus * 1e6)) > 1e-3)"""
#: A bad row (listed when a log has some).
_BAD = f"(worker IS NULL OR {_BAD_VALUES})"

#: Intervals longer than this are summed separately, so the summary can say how much of the
#: worked time they make (a handful of forgotten tabs can dominate a worker's hours).
LONG_INTERVAL_US = 3_600_000_000


@dataclass
class Scan:
    """What one pass over the log found: distinct places and currencies, bad-row count, years,
    and how much interval time the long (over 1 h) intervals hold."""

    groups: list[tuple[str | None, str | None, str | None, int]]  # country, subdivision, currency, rows
    bad_rows: int
    rows: int
    last_submitted_us: int | None
    pending_rows: int
    interval_us: int = 0
    long_intervals: int = 0
    long_interval_us: int = 0
    longest_us: int = 0
    too_many_groups: bool = False
    first_accepted_us: int | None = None

    def period(self) -> tuple[str, str] | None:
        """The audited period: (first accept, last submit) as ISO 8601 UTC timestamps, or None."""
        if self.first_accepted_us is None or self.last_submitted_us is None:
            return None
        import datetime as dt

        def iso(us: int) -> str:
            return dt.datetime.fromtimestamp(us / 1e6, tz=dt.UTC).isoformat().replace("+00:00", "Z")

        return iso(self.first_accepted_us), iso(self.last_submitted_us)


#: The validation scan, one group per (raw place, raw currency): rows, bad rows, last submission,
#: pending rows, and interval time (all; of intervals over 1 h; the longest). Small: it names the
#: places and currencies (hence the bars and rates).
SCAN_SQL = """
SELECT country_raw, subdivision_raw, currency, count(*) AS n, count(*) FILTER (WHERE {bad}) AS bad,
  max(e_us) AS last_e, count(*) FILTER (WHERE status = 'pending') AS pending,
  sum(e_us - s_us) FILTER (WHERE NOT {bad}) AS span,
  count(*) FILTER (WHERE NOT {bad} AND e_us - s_us > {long}) AS n_long,
  sum(e_us - s_us) FILTER (WHERE NOT {bad} AND e_us - s_us > {long}) AS span_long,
  max(e_us - s_us) FILTER (WHERE NOT {bad}) AS longest, min(s_us) FILTER (WHERE NOT {bad}) AS first_s
FROM {typed} GROUP BY ALL
"""


def scan_sql(typed: str) -> str:
    """The validation scan at (place, currency) grain (see ``SCAN_SQL``)."""
    return SCAN_SQL.format(bad=_BAD_VALUES, typed=typed, long=LONG_INTERVAL_US)


def _scan(con: duckdb.DuckDBPyConnection, typed: str, blank_workers: int = 0) -> Scan:
    """One pass over the log (``SCAN_SQL``), summed up; at most ``MAX_GROUPS`` groups are kept
    (``Scan.too_many_groups`` then says so, and the totals are lower bounds). ``blank_workers``:
    the rows :func:`dictionaries` found with a blank worker (bad rows the scan does not test)."""
    rows = con.execute(
        f"SELECT *, sum(n) OVER (), sum(bad) OVER () FROM ({scan_sql(typed)}) LIMIT {MAX_GROUPS + 1}"
    ).fetchall()
    scan = scan_from_groups([r[:-2] for r in rows[:MAX_GROUPS]])
    if len(rows) > MAX_GROUPS:
        scan.too_many_groups = True
        scan.rows, scan.bad_rows = int(rows[0][-2]), int(rows[0][-1])
    scan.bad_rows += blank_workers
    return scan


def scan_from_groups(rows: list[tuple[Any, ...]]) -> Scan:
    """The log-wide :class:`Scan` from ``SCAN_SQL`` rows (of one or several partitions)."""
    merged: dict[tuple[Any, Any, Any], list[int]] = {}
    last: int | None = None
    first: int | None = None
    span = n_long = span_long = longest = 0
    for c, sub, ccy, n, bad, last_e, pending, *times in rows:
        acc = merged.setdefault((c, sub, ccy), [0, 0, 0])
        acc[0] += int(n)
        acc[1] += int(bad)
        acc[2] += int(pending)
        if last_e is not None:
            last = int(last_e) if last is None else max(last, int(last_e))
        if times:
            span += int(times[0] or 0)
            n_long += int(times[1] or 0)
            span_long += int(times[2] or 0)
            longest = max(longest, int(times[3] or 0))
            if times[4] is not None:
                first = int(times[4]) if first is None else min(first, int(times[4]))
    return Scan(
        groups=[(*k, v[0]) for k, v in merged.items()],
        bad_rows=sum(v[1] for v in merged.values()),
        rows=sum(v[0] for v in merged.values()),
        last_submitted_us=last,
        pending_rows=sum(v[2] for v in merged.values()),
        first_accepted_us=first,
        interval_us=span,
        long_intervals=n_long,
        long_interval_us=span_long,
        longest_us=longest,
    )


def _issue_record(r: Any, label: str, rule: Plausible | None) -> Failure:
    """The failure record for a row's ``issue`` code (see :func:`_typed_view`)."""
    code = r.issue
    if code == "no_completion":
        return Failure(
            r.row,
            "submitted",
            None,
            code,
            f"no completion time on a {r.status_raw} submission: its time (to the export or the "
            "archive) is not worked time",
            label,
        )
    if code == "country_withheld":
        return Failure(
            r.row,
            "country",
            r.country_value,
            code,
            "the platform withheld the worker's country: the row cannot be placed",
            label,
        )
    if code == "date_only":
        col, value = ("started", r.started_raw) if r.s_date else ("submitted", r.submitted_raw)
        return Failure(
            r.row, col, value, code, "a date without a time of day (it would be read as midnight)", label
        )
    if code == "before_platform":
        col, value = (
            ("started", r.started_raw)
            if rule and r.s_us < rule.earliest_us
            else ("submitted", r.submitted_raw)
        )
        when = f" ({rule.earliest})" if rule else ""
        return Failure(
            r.row, col, value, code, f"before the platform existed{when}: not a real task time", label
        )
    if code == "after_now":
        col, value = (
            ("started", r.started_raw) if rule and r.s_us > rule.latest_us else ("submitted", r.submitted_raw)
        )
        return Failure(r.row, col, value, code, "in the future: not a real task time", label)
    hours = (r.e_us - r.s_us) / 3.6e9
    cap = f"{rule.max_hours:g} h" if rule else "the cap"
    return Failure(
        r.row,
        "submitted",
        r.submitted_raw,
        code,
        f"the task lasted {hours:,.1f} h (from {r.started_raw}), over the {cap} cap on one task "
        "(raise max_task_hours= if such tasks are real, or set implausible rows aside)",
        label,
    )


def bad_row_records(frame: pd.DataFrame, label: str = "row", rule: Plausible | None = None) -> list[Failure]:
    """One :class:`Failure` per failing (row, column) of rows from the typed view (already filtered)."""
    out: list[Failure] = []
    for r in frame.rename(columns={"__row": "row"}).itertuples(index=False):

        def add(col: str, value: Any, code: str, why: str) -> None:
            out.append(Failure(r.row, col, value, code, why, label))  # noqa: B023 (called at once)

        if r.worker is None:
            add("worker", r.worker_raw, "required", "a worker id is required")
        if r.project is None:
            add("project", None, "required", "a project id is required")
        if r.s_us is None:
            if r.started_raw is not None:
                add("started", r.started_raw, "not_a_timestamp", "not a timestamp")
            else:
                add("started", None, "required", "a start time is required")
        if r.e_us is None and r.issue != "no_completion":
            if r.submitted_raw is not None:
                add("submitted", r.submitted_raw, "not_a_timestamp", "not a timestamp")
            else:
                add("submitted", None, "required", "a submission time is required")
        if r.s_us is not None and r.e_us is not None and r.e_us < r.s_us:
            add("submitted", r.submitted_raw, "before_start", f"earlier than started ({r.started_raw})")
        _money_check(add, "reward", r.reward, r.reward_raw)
        if r.currency is None:
            add("currency", None, "required", "a currency code is required")
        if r.status is None:
            add(
                "status",
                r.status_raw,
                "unknown_status" if r.status_raw is not None else "required",
                f"not a known status (expected {', '.join(STATUSES)} or the preset's names)",
            )
        if r.country_raw is None and r.issue != "country_withheld":
            add(
                "country",
                None,
                "required",
                "a country is required (a column, country= or a worker -> country mapping)",
            )
        _money_check(add, "bonus", r.bonus, r.bonus_raw)
        if r.issue is not None:
            out.append(_issue_record(r, label, rule))
    return out


def bad_row_messages(frame: pd.DataFrame, label: str = "row") -> list[str]:
    """The one-line messages of :func:`bad_row_records`."""
    return [str(f) for f in bad_row_records(frame, label)]


def _money_check(add: Any, col: str, value: Any, raw: Any) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if raw is not None:
            add(col, raw, "not_a_number", "not a number")
        else:
            add(col, raw, "required", "an amount is required")
    elif not math.isfinite(value):
        add(col, raw, "not_finite", "not a finite number")
    elif value < 0:
        add(col, raw, "negative", "negative")
    elif value > MAX_AMOUNT:
        add(col, raw, "too_large", f"over {MAX_AMOUNT:,.0f} for one task: not a plausible amount")
    elif abs(value * 1e6 - round(value * 1e6)) > 1e-3:
        add(col, raw, "too_precise", "more than 6 decimal places")


def _bad_rows(
    con: duckdb.DuckDBPyConnection, typed: str, label: str = "row", rule: Plausible | None = None
) -> list[Failure]:
    """The first ``MAX_LISTED_FAILURES`` bad rows as failure records (one query, in row order)."""
    frame = con.execute(f"SELECT * FROM {typed} WHERE {_BAD} ORDER BY __row LIMIT {MAX_LISTED_FAILURES}").df()
    frame = frame.astype(object).where(frame.notna(), None)
    return bad_row_records(frame, label, rule)


#: Distinct unknown places or currencies that get "did you mean" suggestions (each costs a fuzzy
#: search); the rest are reported as unknown without them, so a garbage column fails fast.
MAX_SUGGESTED = 20


#: When checking a log, stop after this many distinct unknown places or currencies: the log fails
#: anyway, and a garbage column (300,000 distinct values) must fail as fast as a valid log succeeds.
MAX_UNKNOWN_VALUES = 1_000


def normalize_groups(
    scan: Scan, limit: int | None = None
) -> tuple[dict[tuple[str, str], Any], dict[str, str], list[tuple[str, str, Any]]]:
    """Normalise each distinct raw place and currency; returns (place map, currency map, failures).

    failures: (column, raw value, why) for values that are unknown; ``limit``: stop after that many.
    """
    from fairpay.units.money import normalize_currency
    from fairpay.units.places import place

    places: dict[tuple[str, str], Any] = {}
    currencies: dict[str, str] = {}
    failures: list[tuple[str, str, Any]] = []
    for c, sub, ccy, _n in scan.groups:
        if limit is not None and len(failures) >= limit:
            break
        if c is not None and (c, sub or "") not in places:
            try:
                places[(c, sub or "")] = place(c, sub, suggest=len(failures) < MAX_SUGGESTED)
            except UnknownCountryError as exc:
                places[(c, sub or "")] = None
                failures.append(
                    (
                        "subdivision" if exc.value == (sub or "").strip() and sub else "country",
                        f"{c}" + (f" / {sub}" if sub else ""),
                        str(exc),
                    )
                )
        if ccy is not None and ccy not in currencies:
            try:
                currencies[ccy] = normalize_currency(ccy)
            except UnknownCurrencyError as exc:
                currencies[ccy] = ""
                failures.append(("currency", ccy, str(exc)))
    return places, currencies, failures


def unknown_value_records(
    con: duckdb.DuckDBPyConnection, typed: str, unknown: list[tuple[str, str, Any]], label: str
) -> list[Failure]:
    """The rows holding unknown places or currencies: one query for all of them (first rows listed)."""
    import pyarrow as pa

    if not unknown:
        return []
    places = [
        (v.partition(" / ")[0], v.partition(" / ")[2], c, why) for c, v, why in unknown if c != "currency"
    ]
    ccys = [(v, why) for c, v, why in unknown if c == "currency"]
    con.register(
        "__bad_places",
        pa.table(
            {
                "c": [p[0] for p in places],
                "s": [p[1] for p in places],
                "col": [p[2] for p in places],
                "why": [p[3] for p in places],
            },
            schema=pa.schema(
                [("c", pa.string()), ("s", pa.string()), ("col", pa.string()), ("why", pa.string())]
            ),
        ),
    )
    con.register(
        "__bad_ccys",
        pa.table(
            {"v": [c[0] for c in ccys], "why": [c[1] for c in ccys]},
            schema=pa.schema([("v", pa.string()), ("why", pa.string())]),
        ),
    )
    rows = con.execute(f"""
        SELECT * FROM (
          SELECT t.__row, b.col, t.country_raw || CASE WHEN b.s <> '' THEN ' / ' || b.s ELSE '' END, b.why
          FROM {typed} t JOIN __bad_places b ON t.country_raw = b.c AND coalesce(t.subdivision_raw, '') = b.s
          UNION ALL
          SELECT t.__row, 'currency', t.currency, b.why FROM {typed} t JOIN __bad_ccys b ON t.currency = b.v
        ) ORDER BY 1 LIMIT {MAX_LISTED_FAILURES}""").fetchall()
    reason = {
        "country": "unknown_country",
        "subdivision": "unknown_subdivision",
        "currency": "unknown_currency",
    }
    return [Failure(int(r), col, value, reason[col], why, label) for r, col, value, why in rows]


def _check(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    scan: Scan,
    source: str,
    settings: AuditSettings,
    label: str = "row",
    rule: Plausible | None = None,
) -> list[str]:
    """Raise InvalidDataError listing every bad row; return warnings."""
    failures = _bad_rows(con, typed, label, rule) if scan.bad_rows else []
    _places, _ccys, unknown = normalize_groups(scan, MAX_UNKNOWN_VALUES)
    failures += unknown_value_records(con, typed, unknown, label)
    if scan.too_many_groups:
        failures.append(
            Failure(
                None,
                "country",
                None,
                "too_many_places",
                f"over {MAX_GROUPS:,} distinct combinations of country, subdivision and currency: "
                "check that these columns are mapped to the right source columns",
            )
        )
    raise_failures(source, failures, scan.bad_rows + len(unknown) + scan.too_many_groups)
    return pending_warning(scan, settings)


def raise_failures(source: str, failures: list[Failure], bad_rows: int) -> None:
    """Raise one InvalidDataError with every failure (listed up to MAX_LISTED_FAILURES), in row order;
    ``bad_rows``: how many rows (or distinct values) fail in all, listed or not."""
    if not failures:
        return
    failures = sorted(failures, key=lambda f: (f.row is not None, f.row if f.row is not None else -1))
    total = max(bad_rows, len(failures))
    shown = failures[:MAX_LISTED_FAILURES]
    more = [] if total <= len(shown) else [f"... more bad rows not listed (at least {total} rows fail)"]
    raise InvalidDataError(source, [*shown, *more], total=total)


def pending_warning(scan: Scan, settings: AuditSettings) -> list[str]:
    if not scan.pending_rows:
        return []
    how = "paid (auto-approval)" if settings.pending == "paid" else "unpaid"
    return [
        f"{scan.pending_rows} submitted but unreviewed row(s) counted as {how}; pass pending='"
        f"{'unpaid' if settings.pending == 'paid' else 'paid'}' to count them otherwise"
    ]


# --------------------------------------------------------------------------- bars and rates


def _opt_int(x: Any) -> int | None:
    return None if x is None else int(x)


def _opt_str(x: Any) -> str | None:
    if x is None:
        return None
    return f"{x.normalize():f}" if isinstance(x, Decimal) else str(x)


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
                "bar_method": getattr(b, "method", None),
                "bar_source": getattr(b, "source", None),
                "bar_url": getattr(b, "url", None),
                "bar_notes": "; ".join([*getattr(b, "adjustments", ()), *getattr(b, "fallbacks", ())]),
                "bar_reference_year": _opt_int(getattr(b, "reference_year", None)),
                "bar_gross_net": getattr(b, "gross_net", None),
                "bar_hours_per_week": _opt_str(getattr(b, "hours_per_week", None)),
                "bar_hours_basis": getattr(b, "hours_basis", None),
                "bar_adjustments": "; ".join(getattr(b, "adjustments", ())),
                "bar_fallbacks": "; ".join(getattr(b, "fallbacks", ())),
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


# --------------------------------------------------------------------------- the engine

#: Each worker once, alphabetical (its position is the integer id ``wid``), with its row count, the
#: row whose task id is used for bonuses (the last approved row in the log, else the last row; see
#: :func:`bonus_tasks`) and its spellings in the log (``worker_raw``
#: values, e.g. "a" and " a "); a spelling that the text rule makes blank is one row with no
#: worker (its rows are bad rows). Why spellings: the rows are grouped and later joined on the raw
#: value, so the id is trimmed once per spelling instead of once per row (DuckDB applies string
#: functions per row when a column has many distinct values; at 10M rows and 200k workers that
#: was ~2 CPU-seconds in each pass). ``worker`` is the typed view's worker expression on a spelling.
WORKERS_SQL = """
WITH per_spelling AS (
  SELECT worker_raw, count(*) AS n, max(__row) FILTER (WHERE status = 'approved' AND {cond}) AS approved_row,
    max(__row) FILTER (WHERE {cond}) AS any_row
  FROM {typed} {where} GROUP BY worker_raw)
SELECT {worker} AS worker, CAST(sum(n) AS BIGINT) AS n,
  coalesce(max(approved_row), max(any_row)) AS task_row, list(worker_raw ORDER BY worker_raw) AS spellings
FROM per_spelling GROUP BY 1 ORDER BY 1
"""

#: The per-row stream, integers only: worker and project ids (alphabetical), the place (row of
#: ``bars``), the pay currency (index in alphabetical ISO order), the status code (see
#: :mod:`fairpay.auditing.kernel`), start and end (microseconds) and money paid (micro-units: approved
#: rewards, and pending ones when they count as paid, plus bonuses already paid).
STREAM_SQL = """
SELECT k.wid, j.pid, g.place, g.ccy,
  CAST(CASE t.status WHEN 'approved' THEN 1 WHEN 'rejected' THEN 2 WHEN 'returned' THEN 3
                     WHEN 'pending' THEN 4 ELSE 0 END AS TINYINT) AS st,
  t.s_us AS s, t.e_us AS e,
  CAST(round(CASE WHEN t.status = 'approved' {pending_paid} THEN t.reward ELSE 0 END * 1e6) AS BIGINT)
    + CAST(round(t.bonus * 1e6) AS BIGINT) AS micro{key_hash}
FROM {typed} t
{joins}
"""

#: The code joins of ``STREAM_SQL`` on the text as written (see :func:`code_joins`).
TEXT_JOINS = """JOIN __wk k ON k.worker_raw = t.worker_raw
JOIN __pj j ON j.project = t.project
JOIN __g g ON g.country_raw = t.country_raw AND g.sub_key = coalesce(t.subdivision_raw, '') AND g.currency = t.currency"""
#: The same joins on 64-bit hashes of that text, used when no two spellings (no two places) of
#: the small tables share a hash: then a row's hash names its row there exactly, and probing
#: integers instead of strings saves ~1 CPU-second per 10M rows (200k workers).
HASH_JOINS = """JOIN __wk k ON k.h = hash(t.worker_raw)
JOIN __pj j ON j.project = t.project
JOIN __g g ON g.h = hash(t.country_raw, t.subdivision_raw, t.currency)"""

#: Rows per bucket by default, and bytes per row of work in a bucket (the rows, the sort keys and
#: order, the shifted times): with a memory budget, buckets are sized to a quarter of it, and rows
#: wait in files when they would take more than a quarter of it.
ROWS_PER_BUCKET = 1_000_000
_WORK_BYTES_PER_ROW = 120
#: Without a budget, rows wait in files once they would take more than this in memory (~15M rows;
#: measured at 30M rows: 20.7 s / 0.46 GiB spilled vs 20.2 s / 1.40 GiB in memory).
ROWS_IN_MEMORY_BYTES = 512 * 2**20
#: An allowance for the interpreter and libraries within ``memory_limit``.
_PYTHON_BYTES = 256 * 2**20
#: Below this many rows the kernel runs as one bucket (threads would cost more than they save).
_MIN_ROWS_TO_SPLIT = 200_000


def _codes_table(
    bars: pd.DataFrame, scan: Scan, currencies: Mapping[str, str], codes: list[str]
) -> pd.DataFrame:
    """(raw country, raw subdivision, raw currency) -> (place = row of ``bars``, pay-currency index)."""
    import pandas as pd

    place_of = {(c, s): i for i, (c, s) in enumerate(zip(bars["country_raw"], bars["sub_key"]))}
    rows = [
        (c, sub or "", ccy, place_of[(c, sub or "")], codes.index(currencies[str(ccy)]))
        for c, sub, ccy, _n in scan.groups
    ]
    return pd.DataFrame(rows, columns=["country_raw", "sub_key", "currency", "place", "ccy"]).astype(
        {"place": "int16", "ccy": "int8"}
    )


@dataclass
class Engine:
    """What the per-row stage needs: the lookups, the settings and the memory plan."""

    codes: list[str]
    lookup: Any
    gap_us: int
    rows_per_bucket: int
    spill_dir: str | None
    places: Any  # the ``__g`` table: raw place and currency -> place, pay-currency index
    threads: int = 1  # buckets summed at once (each holds whole workers, so they are independent)


def plan(
    scan: Scan,
    bars: pd.DataFrame,
    fx: pd.DataFrame,
    currencies: Mapping[str, str],
    settings: AuditSettings,
    tmp: str | None,
    budget: int | None,
    threads: int = 1,
) -> Engine:
    """Lookups, the place/currency code table, and bucket size and spilling for the budget.

    ``tmp``: where bucket files may go (None: rows stay in memory, as in Dask partitions).
    ``threads``: buckets summed at once (see :func:`bucket_rows`).
    """
    from fairpay.auditing.kernel import ROW_BYTES
    from fairpay.auditing.money import lookup

    codes = sorted(set(currencies.values()))  # pay-currency indices: alphabetical ISO codes
    threads = max(1, int(threads))
    rows_per_bucket, spill = bucket_rows(scan.rows, threads, budget), None
    if tmp is not None and scan.rows * ROW_BYTES > (
        budget // 4 if budget is not None else ROWS_IN_MEMORY_BYTES
    ):
        spill = os.path.join(tmp, "buckets")  # rows on disk; results and one bucket in memory
        os.makedirs(spill, exist_ok=True)
    return Engine(
        codes,
        lookup(bars, fx, codes),
        int(round(settings.merge_gap_seconds * 1_000_000)),
        rows_per_bucket,
        spill,
        _codes_table(bars, scan, currencies, codes),
        threads,
    )


def typed_view(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    available: list[str],
    settings: AuditSettings,
    country: Any,
    source: str,
) -> None:
    """Views ``raw`` and ``typed`` over a registered ``relation`` that has a ``__row`` column.

    For drivers that register their own slices of a log (the Dask partitions): the same reading
    (preset, columns, defaults, country) and typing as :func:`audit`.
    """
    p = get_preset(settings.preset)
    _raw_view(con, relation, available, p, settings.columns, settings.defaults, country, source)
    _typed_view(con, p, "raw", "typed", plausible(p, settings.max_task_hours, settings.implausible))


def bad_rows(con: duckdb.DuckDBPyConnection, typed: str) -> list[Failure]:
    """The failure records of the bad rows of ``typed`` (row order, up to ``MAX_LISTED_FAILURES``)."""
    return _bad_rows(con, typed)


def bucket_rows(rows: int, threads: int, budget: int | None) -> int:
    """Rows per bucket for a log of ``rows`` rows summed ``threads`` buckets at a time.

    Each bucket at work holds its own sort keys and temporaries, so a bucket gets ``1/threads``
    of the rows one bucket would have (the work in memory is the same for any number of
    threads); under a budget, the buckets at work share a quarter of it. A log of only a few
    buckets is cut into at least two per thread, so every core has work (a tail of one bucket
    would leave a core idle); below ``_MIN_ROWS_TO_SPLIT`` rows it stays one bucket.
    """
    per = max(1, ROWS_PER_BUCKET // threads)
    if budget is not None:
        per = max(10_000, min(per, budget // 4 // threads // _WORK_BYTES_PER_ROW))
    if threads > 1 and rows >= _MIN_ROWS_TO_SPLIT:
        per = min(per, -(-rows // (2 * threads)))
    return per


def workers_sql(typed: str, preset: Preset, cond: str = "true", where: str = "") -> str:
    """:data:`WORKERS_SQL` for the view ``typed`` of a log read with ``preset``; the task rows are
    the last rows meeting ``cond``; ``where`` limits the rows read."""
    return WORKERS_SQL.format(
        typed=typed, worker=text_rule("trim(worker_raw)", preset), cond=cond, where=where
    )


def bonus_tasks(con: duckdb.DuckDBPyConnection, typed: str, preset: Preset, workers: Any) -> Any:
    """The task id for each worker's bonus: that of the worker's last approved row (in log order)
    that has one, else of the last row that has one (an Arrow string array, null: no task at all).

    Why rows, not the task text: MTurk's SendBonus needs one assignment of the worker, any will
    do, and picking it by row number needs no string work per row; the task ids are then read
    for one row per worker. A worker whose picked row has no task id (rare) is looked up again
    among the rows that have one.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = workers.column("task_row").to_numpy(zero_copy_only=False)
    tasks = _tasks_at(con, typed, rows)
    blank = np.asarray(pc.is_null(tasks), dtype=bool)
    if not blank.any() or "task" not in _types(con, "raw"):
        return tasks
    spellings = pc.list_flatten(workers.column("spellings").filter(pa.array(blank)).combine_chunks())
    con.register("__blank_task", pa.table({"worker_raw": spellings}))
    again = arrow_table(
        con,
        workers_sql(
            typed, preset, "task IS NOT NULL", "WHERE worker_raw IN (SELECT worker_raw FROM __blank_task)"
        ),
    )
    found = dict(zip(again.column("worker").to_pylist(), again.column("task_row").to_pylist(), strict=True))
    names = workers.column("worker").to_pylist()
    rows = np.array([found.get(names[i]) if b else -1 for i, b in enumerate(blank)], dtype=object)
    fill = [i for i in np.flatnonzero(blank) if rows[i] is not None]
    out = tasks.to_pylist()
    if fill:
        more = _tasks_at(con, typed, np.array([rows[i] for i in fill], dtype=np.int64)).to_pylist()
        for i, t in zip(fill, more, strict=True):
            out[i] = t
    return pa.array(out, pa.string())


def _tasks_at(con: duckdb.DuckDBPyConnection, typed: str, rows: Any) -> Any:
    """The task ids of ``typed`` at ``rows`` (``__row`` values, each present), in that order."""
    import numpy as np
    import pyarrow as pa

    con.register("__task_rows", pa.table({"r": pa.array(np.asarray(rows, dtype=np.int64))}))
    found = arrow_table(
        con,
        f"SELECT t.__row, t.task FROM {typed} t SEMI JOIN __task_rows r ON t.__row = r.r ORDER BY t.__row",
    )
    at = found.column(0).to_numpy()
    pos = np.searchsorted(at, rows)
    if len(rows) and (pos.max() >= len(at) or not (at[pos] == rows).all()):
        raise RuntimeError("a bonus task row is missing from the log view")  # a bug, not bad data
    return found.column(1).combine_chunks().take(pa.array(pos))


def dictionaries(con: duckdb.DuckDBPyConnection, typed: str, preset: Preset) -> tuple[Any, Any, int]:
    """(workers: Arrow table worker, n, task, spellings; projects: Arrow array; rows with a blank worker).

    Workers and projects are alphabetical and have no blank; the blank-worker rows are bad rows
    (the scan leaves that test to this per-spelling one).
    """
    import pyarrow.compute as pc

    workers = arrow_table(con, workers_sql(typed, preset))
    blank = pc.is_null(workers.column("worker"))
    blank_rows = int(pc.sum(pc.filter(workers.column("n"), blank)).as_py() or 0)
    if blank_rows:
        workers = workers.filter(pc.invert(blank))
    workers = workers.append_column("task", bonus_tasks(con, typed, preset, workers))
    projects = (
        arrow_table(con, f"SELECT DISTINCT project FROM {typed} WHERE project IS NOT NULL ORDER BY project")
        .column(0)
        .combine_chunks()
    )
    return workers, projects, blank_rows


def register_codes(con: duckdb.DuckDBPyConnection, workers: Any, projects: Any, places: Any) -> None:
    """Register ``__wk`` (worker spelling -> wid), ``__pj`` (project -> pid) and ``__g`` (:func:`_codes_table`).

    ``workers``: the :data:`WORKERS_SQL` table (alphabetical; a worker's id is its row).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    spellings = workers.column("spellings").combine_chunks()
    per_worker = pc.list_value_length(spellings).to_numpy(zero_copy_only=False)
    wid = np.repeat(np.arange(len(per_worker), dtype=np.int32), per_worker)
    con.register("__wk_text", pa.table({"worker_raw": pc.list_flatten(spellings), "wid": pa.array(wid)}))
    con.register(
        "__pj", pa.table({"project": projects, "pid": pa.array(np.arange(len(projects), dtype=np.int32))})
    )
    con.register("__g_text", places)
    # hashes of the text exactly as the typed view holds it (a subdivision is NULL there, not '')
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __wk AS SELECT *, hash(worker_raw) AS h FROM __wk_text;"
        "CREATE OR REPLACE TEMP TABLE __g AS SELECT *, hash(country_raw, NULLIF(sub_key, ''), currency) AS h "
        "FROM __g_text"
    )


def code_joins(con: duckdb.DuckDBPyConnection) -> str:
    """``HASH_JOINS`` when the registered code tables have no repeated hash, else ``TEXT_JOINS``."""
    ((unique,),) = con.execute(
        "SELECT (SELECT count(DISTINCT h) = count(*) FROM __wk) AND (SELECT count(DISTINCT h) = count(*) FROM __g)"
    ).fetchall()
    return HASH_JOINS if unique else TEXT_JOINS


def stream(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    settings: AuditSettings,
    buckets: Any,
    key_hash: str = "",
    hashes: list[Any] | None = None,
) -> int:
    """Stream the integer rows (``STREAM_SQL``) into ``buckets``; returns the number of rows.

    ``key_hash`` (:func:`key_hash_sql`): the key hashes are appended to ``hashes``, or, when
    ``hashes`` is None, go into the buckets as column ``kh``.
    """
    from fairpay.auditing.kernel import ROW_DTYPES

    pending_paid = "OR t.status = 'pending'" if settings.pending == "paid" else ""
    rel = con.sql(
        STREAM_SQL.format(typed=typed, pending_paid=pending_paid, key_hash=key_hash, joins=code_joins(con))
    )
    reader = (
        rel.to_arrow_reader(1_000_000)
        if hasattr(rel, "to_arrow_reader")
        else rel.fetch_record_batch(1_000_000)
    )
    n = 0
    for batch in prefetched(reader):
        cols = {c: batch.column(i).to_numpy() for i, c in enumerate(ROW_DTYPES)}
        if key_hash:
            kh = batch.column(len(ROW_DTYPES)).to_numpy()
            if hashes is None:
                cols["kh"] = kh  # probed bucket by bucket (see partial)
            else:
                hashes.append(kh.copy())
        buckets.add(cols)
        n += batch.num_rows
    return n


def prefetched(batches: Any, depth: int = 2) -> Iterator[Any]:
    """``batches`` in order, read ahead by a thread (at most ``depth`` waiting).

    Why: DuckDB makes the next batch only when asked; reading ahead lets it work (outside the
    GIL) while numpy routes the current batch into buckets, so the two overlap on two cores.
    An error while reading is raised here; leaving early stops the reader.
    """
    import queue
    import threading

    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for b in batches:
                while not stop.is_set():
                    try:
                        q.put(("batch", b), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(("error", exc))

    reader = threading.Thread(target=read, name="fairpay-stream", daemon=True)
    reader.start()
    try:
        while True:
            kind, item = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting on a full queue, then let it finish
            try:
                q.get(timeout=0.1)
            except queue.Empty:
                pass
        reader.join()


@dataclass
class Tables:
    """Result columns being filled bucket by bucket: per worker (by id) and per pair (in order)."""

    workers: dict[str, Any]
    pairs: dict[str, Any]
    n_pairs: int = 0
    moved: list[int] = field(default_factory=list)
    #: per project sums (:func:`fairpay.auditing.projects.project_sums`), added up bucket by bucket
    projects: dict[str, Any] = field(default_factory=dict)
    n_projects: int = 0
    n_codes: int = 1
    #: pairs put so far are in (worker, project) order (each bucket's are; buckets follow each other)
    in_order: bool = True


_COUNT_COLUMNS = ("tasks", "approved", "rejected", "returned", "pending")


def new_tables(n_workers: int, max_pairs: int, n_projects: int, n_codes: int) -> Tables:
    """Empty result columns; the pair columns have room for ``max_pairs`` (pages are used as filled);
    sums for ``n_projects`` projects paid in ``n_codes`` currencies."""
    import numpy as np

    def cols(names: tuple[str, ...], n: int) -> dict[str, Any]:
        dt = {
            "pay_currency": np.int8,
            "below": np.bool_,
            "pay_minor": np.int8,
            "fx_year": np.int16,
            "n_currencies": np.int8,
            "place": np.int16,
            **{c: np.int32 for c in ("worker", "project", *_COUNT_COLUMNS)},
            # the codes pandas keeps for the project categorical (no copy when the frame is made)
            "project": np.int16 if n_projects < 2**15 else np.int32,
        }
        return {c: np.empty(n, dtype=dt.get(c, np.float64)) for c in names}

    return Tables(
        workers=cols(("place", *_COUNT_COLUMNS, *WORKER_COLUMNS), n_workers),
        pairs=cols(("worker", "project", *_COUNT_COLUMNS, *PAIR_COLUMNS), max_pairs),
        n_projects=n_projects,
        n_codes=n_codes,
    )


def partial(rows: dict[str, Any], engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sums and money for one slice of whole workers: (worker columns with ``wid``, pair columns)."""
    import numpy as np

    from fairpay.auditing.kernel import sums
    from fairpay.auditing.money import money

    kh = rows.pop("kh", None)
    if kh is not None:  # the key probe of a key with the worker in it: repeats are in one bucket
        kh.sort()
        if len(kh) > 1 and bool((kh[1:] == kh[:-1]).any()):
            raise RepeatedKey
        del kh
    ws, ps = sums(rows, len(engine.codes), engine.gap_us)
    workers = {
        "wid": ws.wid,
        "place": ws.place_min,
        "moved": ws.place_min != ws.place_max,
        "tasks": ws.tasks,
        **ws.counts,
        **money(ws, ws.place_min, engine.lookup),
    }
    pair_place = ws.place_min[np.searchsorted(ws.wid, ps.wid)]  # a pair lives where its worker lives
    pairs = {
        "worker": ps.wid,
        "project": ps.pid,
        "tasks": ps.tasks,
        **ps.counts,
        **money(ps, pair_place, engine.lookup, PAIR_COLUMNS),
    }
    return workers, pairs


def put(tables: Tables, workers: dict[str, Any], pairs: dict[str, Any]) -> None:
    """Write one :func:`partial` result into ``tables`` (workers by id, pairs appended, project sums added)."""
    from fairpay.auditing.projects import project_sums

    wid = workers.pop("wid")
    tables.moved += wid[workers.pop("moved")].tolist()
    for c, v in workers.items():
        tables.workers[c][wid] = v
    at, k = tables.n_pairs, len(pairs["worker"])
    if at and k:
        last = (int(tables.pairs["worker"][at - 1]), int(tables.pairs["project"][at - 1]))
        tables.in_order &= last < (int(pairs["worker"][0]), int(pairs["project"][0]))
    for c, v in pairs.items():
        tables.pairs[c][at : at + k] = v
    tables.n_pairs = at + k
    for c, v in project_sums(pairs, tables.n_projects, tables.n_codes).items():
        if c in tables.projects:
            tables.projects[c] += v
        else:
            tables.projects[c] = v


def sort_pairs(tables: Tables) -> None:
    """Pair rows in (worker, project) order (alphabetical ids); a no-op when already so (buckets are)."""
    import numpy as np

    n = tables.n_pairs
    if tables.in_order:
        return
    key = (tables.pairs["worker"][:n].astype(np.int64) << 32) | tables.pairs["project"][:n].astype(np.int64)
    if n < 2 or bool((key[1:] > key[:-1]).all()):
        return
    order = np.argsort(key)
    del key
    for _c, a in tables.pairs.items():
        a[:n] = np.take(a[:n], order)


def _project_sums(tables: Tables) -> dict[str, Any]:
    """The project sums of ``tables`` (zeros when no pair was put)."""
    import numpy as np

    from fairpay.auditing.projects import project_sums

    if tables.projects:
        return tables.projects
    empty = {
        "project": np.zeros(0, np.int32),
        "below": np.zeros(0, bool),
        "hours": np.zeros(0),
        "top_up": np.zeros(0),
        "pay_currency": np.zeros(0, np.int8),
    }
    return project_sums(empty, tables.n_projects, tables.n_codes)


def _frames(
    tables: Tables, workers: Any, projects: Any, bars: pd.DataFrame, codes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The public (workers, worker_projects, projects) DataFrames from the filled columns."""
    import numpy as np

    from fairpay.auditing.projects import group_order, project_table
    from fairpay.units.figures import exact_minor_column
    from fairpay.units.money import minor_units

    worker_names = workers.column("worker").to_pylist()
    project_names = projects.to_pylist()
    w = tables.workers
    n = tables.n_pairs
    # the project quantiles in a thread beside the frames (numpy lets go of the GIL in its gathers
    # and partitions); their memory is one block of projects at a time
    from concurrent.futures import ThreadPoolExecutor

    p = {c: a[:n] for c, a in tables.pairs.items() if c != "top_up"}
    # the pairs' project order first, alone: its sort keys beside the exact top-ups made the peak
    order = group_order(p["project"], len(project_names))
    with ThreadPoolExecutor(1, thread_name_prefix="fairpay-projects") as pool:
        projects_job = pool.submit(
            project_table, p, project_names, codes, w["bar_local"], _project_sums(tables), order
        )
        # money leaves exact: top-ups are whole minor units, held as Arrow decimals (not float64);
        # the pairs' float top-ups are then let go (the project sums were added up bucket by bucket)
        code_minor = np.array([minor_units(c) for c in codes], dtype=np.int64)
        pair_top_up = exact_minor_column(tables.pairs["top_up"][:n], code_minor[p["pay_currency"]])
        del tables.pairs["top_up"]
        wf, pf = _worker_pair_frames(w, p, pair_top_up, workers, worker_names, project_names, bars, codes)
        projects_df = projects_job.result()
    projects_df["total_top_up"] = exact_minor_column(
        projects_df["total_top_up"].to_numpy(),
        code_minor[[codes.index(c) for c in projects_df["pay_currency"]]],
    )
    return wf, pf, projects_df


def _worker_pair_frames(
    w: dict[str, Any],
    p: dict[str, Any],
    pair_top_up: Any,
    workers: Any,
    worker_names: list[str],
    project_names: list[str],
    bars: pd.DataFrame,
    codes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``workers`` and ``worker_projects`` frames from the worker and pair columns."""
    import numpy as np
    import pandas as pd

    from fairpay.units.figures import exact_minor_column

    dtypes: dict[int, pd.CategoricalDtype] = {}  # one dtype per list of names (workers: 200k strings)

    def cat(codes_: Any, values: list[str]) -> pd.Categorical:
        if id(values) not in dtypes:
            dtypes[id(values)] = pd.CategoricalDtype(pd.Index(values, dtype="str"))
        return pd.Categorical.from_codes(codes_, dtype=dtypes[id(values)])

    def cat_of_values(values: Any) -> pd.Categorical:  # categories: the values present, sorted
        return pd.Categorical(values, categories=sorted({v for v in values if isinstance(v, str)}))

    place = w["place"]
    country = np.asarray(bars["country"], dtype=object)[place]
    subdivision = np.asarray(
        bars["subdivision"].astype(object).where(bars["subdivision"].notna(), None), dtype=object
    )[place]
    local = np.asarray(bars["local_currency"], dtype=object)[place]
    wf = pd.DataFrame(
        {
            "worker": cat(np.arange(len(worker_names), dtype=np.int32), worker_names),
            "country": cat_of_values(country),
            "subdivision": cat_of_values(subdivision),
            **{c: w[c] for c in _COUNT_COLUMNS},
            "hours": w["hours"],
            "pay_currency": cat(w["pay_currency"], codes),
            "earnings": w["earnings"],
            "top_up": exact_minor_column(w["top_up"], w["pay_minor"]),
            "local_currency": cat_of_values(local),
            **{
                c: w[c]
                for c in (
                    "earnings_local",
                    "wage_local",
                    "bar_local",
                    "below",
                    "gap_local",
                    "to_pay_rate",
                    "pay_minor",
                    "fx_year",
                    "n_currencies",
                )
            },
            "task": workers.column("task").to_pandas(),
        },
        copy=False,  # the columns are the tables' own (no consolidated copy)
    )
    rest = {c: a for c, a in p.items() if c not in ("worker", "project", "pay_currency")}
    pf = pd.DataFrame(
        {
            "worker": cat(p["worker"], worker_names),
            "project": cat(p["project"], project_names),
            "pay_currency": cat(p["pay_currency"], codes),
            **rest,
        },
        copy=False,
    )
    pf["top_up"] = pair_top_up
    return wf, pf


def _run(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    names: tuple[Any, Any],
    scan: Scan,
    bars: pd.DataFrame,
    fx: pd.DataFrame,
    currencies: Mapping[str, str],
    settings: AuditSettings,
    source: str,
    tmp: str,
    budget: int | None,
    threads: int = 1,
    key_hash: str = "",
    by_worker: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The row stream into buckets, the kernel on the buckets, the result frames.

    ``names``: (workers, projects) from :func:`dictionaries`.

    ``key_hash`` (:func:`key_hash_sql`): probe the stream for repeated keys, in each bucket when
    ``by_worker`` (:func:`probe_by_worker`), else in one sort of all hashes; raises
    :class:`RepeatedKey` when two rows may share one.
    """
    import numpy as np

    from fairpay.auditing.kernel import ROW_DTYPES
    from fairpay.auditing.rows import Buckets

    engine = plan(scan, bars, fx, currencies, settings, tmp, budget, threads)
    workers, projects = names
    register_codes(con, workers, projects, engine.places)
    per_worker = workers.column("n").to_numpy()
    in_buckets = bool(key_hash) and by_worker
    dtypes = {**ROW_DTYPES, "kh": "uint64"} if in_buckets else ROW_DTYPES
    buckets = Buckets(per_worker, engine.rows_per_bucket, engine.spill_dir, dtypes)
    hashes: list[Any] = []
    n = stream(con, typed, settings, buckets, key_hash, None if in_buckets else hashes)
    if key_hash and not in_buckets:
        h = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
        del hashes[:]
        h.sort()
        if len(h) > 1 and bool((h[1:] == h[:-1]).any()):
            buckets.discard()  # a second stream must not append to these files
            raise RepeatedKey
        del h
    if n != scan.rows:  # every row has a worker, project, place and currency by now; a miss is a bug
        raise InvalidDataError(
            source, [f"{scan.rows - n} row(s) lost joining worker, project, place or currency codes"]
        )
    tables = new_tables(len(per_worker), n, len(projects), len(engine.codes))
    try:
        sum_buckets(buckets, engine, tables)
    except RepeatedKey:
        buckets.discard()  # a second stream must not append to these files
        raise
    return finish(tables, workers, projects, bars, engine, source)


def sum_buckets(buckets: Any, engine: Engine, tables: Tables) -> None:
    """:func:`partial` on every bucket, ``engine.threads`` at once; written in bucket order.

    Why threads: buckets hold whole workers, so they are independent, and numpy releases the GIL
    in its sorts, gathers and ufunc loops, so two buckets use two cores. At most ``threads``
    buckets are out of their store at a time (memory stays bounded), and results are written in
    bucket order, so the tables are the same, byte for byte, whatever the number of threads.
    """
    todo = [
        j for j in range(buckets.k) if buckets.sizes[j]
    ]  # a worker larger than a bucket leaves some empty
    if engine.threads <= 1 or len(todo) == 1:
        for j in todo:
            put(tables, *partial(buckets.pop(j), engine))
        return
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    def one(j: int) -> tuple[dict[str, Any], dict[str, Any]]:
        return partial(buckets.pop(j), engine)

    running: deque[Future[tuple[dict[str, Any], dict[str, Any]]]] = deque()
    with ThreadPoolExecutor(engine.threads, thread_name_prefix="fairpay-kernel") as pool:
        for j in todo:
            if len(running) >= engine.threads:
                put(tables, *running.popleft().result())
            running.append(pool.submit(one, j))
        while running:
            put(tables, *running.popleft().result())


def finish(
    tables: Tables, workers: Any, projects: Any, bars: pd.DataFrame, engine: Engine, source: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Check one place per worker, order the pairs, and build the result frames."""
    if tables.moved:
        names = workers.column("worker")
        raise InvalidDataError(
            source,
            [
                f"worker {names[int(i)].as_py()!r} appears with more than one place; give one place per worker "
                "(country= mapping)"
                for i in sorted(tables.moved)[:MAX_LISTED_FAILURES]
            ],
        )
    sort_pairs(tables)
    return _frames(tables, workers, projects, bars, engine.codes)


_UNITS = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}


def _bytes(setting: str) -> int:
    """DuckDB's memory setting text ("953.6 MiB") in bytes."""
    number, _, unit = str(setting).strip().partition(" ")
    return int(float(number) * _UNITS[unit.strip().upper() or "B"])


def arrow_table(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """Run ``sql`` and return a pyarrow Table (across DuckDB versions)."""
    rel = con.sql(sql)
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
