"""Audit a submission log: each worker's effective hourly wage against the bar where they live.

Why: after a project the truth is in the platform's log, and it is usually long (tens of
millions of rows). fairpay validates every row, merges each worker's overlapping tasks into
worked time (rejected, returned and pending work count as time), converts earnings into the
worker's local currency, compares them with the local bar and proposes the exact top-up,
rounded *up* in the pay currency.

Engine: DuckDB reads and validates, numpy does the per-row work, one DuckDB connection per audit
(Parquet is streamed; DataFrames and CSVs are scanned through Arrow). :func:`audit` runs the
stages in order; each is a module of this package, to be read in this order:

1. :mod:`~fairpay.auditing.settings` (how the log is read and what it pays against) and
   :mod:`~fairpay.auditing.reading`: the source registered and its columns named (``raw``), then
   the typed view, where every row rule is written once, in SQL (text trimmed once per row;
   UTC microsecond times; amounts; statuses; plausibility; rows set aside).
2. The passes that name things, each once per *spelling* of a value as written (a log has few
   spellings of its projects, places, currencies and statuses, and one or two per worker id), so
   no text is trimmed or mapped per row past the typed view:
   :func:`~fairpay.auditing.stream.project_codes` (project spellings -> alphabetical ids; blank
   ones), then :mod:`~fairpay.auditing.validation`: the scan at (place, currency, status)
   spelling grain (counts, bad rows, the spellings' typed values), bad rows, unknown places and
   currencies (the audit stops here, listing them, when the log is unfit to pay from), then
   :func:`~fairpay.auditing.stream.dictionaries`: the workers (alphabetical ids, row counts,
   spellings, the bonus task's row), and :mod:`~fairpay.auditing.bars`: the bar and exchange
   rates once per place.
3. :mod:`~fairpay.auditing.stream` again: the rows as integer codes in Arrow batches (spellings
   joined to their codes), routed into buckets of whole workers (:mod:`~fairpay.auditing.rows`;
   files under a memory budget), with the hash of each row's assignment key (a repeat sends the audit back through
   :func:`~fairpay.auditing.validation.duplicates`).
4. :mod:`~fairpay.auditing.assemble`: the bucket plan, then per bucket, one per thread,
   :mod:`~fairpay.auditing.kernel` (interval unions, exact integer sums) and
   :mod:`~fairpay.auditing.money` (pay currency, conversion, top-up rounded up), results put in
   (worker, project) order, and the frames, with :mod:`~fairpay.auditing.projects` beside them;
   :mod:`~fairpay.auditing.result` is what comes back.

``memory_limit`` is the audit's budget (see :class:`_connect` and
:func:`~fairpay.auditing.assemble.plan`).

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

import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fairpay.auditing.assemble import finish, new_tables, plan, sum_buckets
from fairpay.auditing.bars import bars_fx_benchmarks
from fairpay.auditing.presets import get_preset
from fairpay.auditing.reading import _register_source, _typed_view, plausible
from fairpay.auditing.result import AuditResult
from fairpay.auditing.settings import AuditSettings
from fairpay.auditing.stream import (
    ProjectCodes,
    bonus_tasks,
    dictionaries,
    picked_tasks,
    project_codes,
    register_codes,
    stream,
)
from fairpay.auditing.validation import (
    KeyHash,
    RepeatedKey,
    Scan,
    _check,
    _scan,
    _status_notes,
    count_bad_rows,
    duplicates,
    key_hash,
    long_interval_warning,
    normalize_groups,
    set_aside_rows,
)
from fairpay.errors import (
    InvalidDataError,
    InvalidInputError,
)

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd


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
    exchange rates (default: the bundled ones); ``benchmarks`` may be anything whose
    ``bar(place, **policy)`` returns a :class:`~fairpay.wages.Benchmark`, e.g. a
    :class:`~fairpay.wages.FixedBar`.

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
        probe: KeyHash | None = key_hash(con, p)
        dup_warnings: list[str] = []
        while True:  # twice only when the stream's key probe finds a repeat (see RepeatedKey)
            with _read_errors(source):
                projects = project_codes(con, "typed", p)
                scan = _scan(con, "typed", p, projects.blank)
                workers, blank_workers = dictionaries(con, "typed", p, scan.approved())
                if blank_workers:  # the audit stops on bad rows: count each once, blank worker or not
                    scan.bad_rows = count_bad_rows(con, "typed")
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
                    probe=probe,
                )
                break
            except RepeatedKey:
                with _read_errors(source):
                    dup_warnings = duplicates(con, "typed", p, source, label)
                probe = None
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


#: An allowance for the interpreter and libraries within ``memory_limit``.
_PYTHON_BYTES = 256 * 2**20


def _run(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    names: tuple[Any, ProjectCodes],
    scan: Scan,
    bars: pd.DataFrame,
    fx: pd.DataFrame,
    currencies: Mapping[str, str],
    settings: AuditSettings,
    source: str,
    tmp: str,
    budget: int | None,
    threads: int = 1,
    probe: KeyHash | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The row stream into buckets, the kernel on the buckets, the result frames.

    ``names``: (workers from :func:`dictionaries`, projects from :func:`project_codes`).

    ``probe`` (:func:`key_hash`): probe the stream for repeated keys, in each bucket when the key
    holds the worker (``KeyHash.by_worker``), else in one sort of all hashes; raises
    :class:`RepeatedKey` when two rows may share one.
    """
    import numpy as np

    from fairpay.auditing.kernel import ROW_DTYPES
    from fairpay.auditing.rows import Buckets

    engine = plan(scan, bars, fx, currencies, settings, tmp, budget, threads)
    workers, projects = names
    register_codes(con, workers, projects, engine.places)
    per_worker = workers.column("n").to_numpy()
    in_buckets = probe is not None and probe.by_worker
    dtypes = {**ROW_DTYPES, "kh": "uint64"} if in_buckets else ROW_DTYPES
    buckets = Buckets(per_worker, engine.rows_per_bucket, engine.spill_dir, dtypes)
    hashes: list[Any] = []
    bonus: list[Any] = []
    n = stream(con, typed, settings, buckets, probe, None if in_buckets else hashes, bonus)
    if probe is not None and not in_buckets:
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
    picked = picked_tasks(bonus, len(per_worker))
    workers = workers.append_column(
        "task", bonus_tasks(con, typed, get_preset(settings.preset), workers, picked)
    )
    tables = new_tables(len(per_worker), n, len(projects.names), len(engine.codes))
    try:
        sum_buckets(buckets, engine, tables)
    except RepeatedKey:
        buckets.discard()  # a second stream must not append to these files
        raise
    return finish(tables, workers, projects.names, bars, engine, source)


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
