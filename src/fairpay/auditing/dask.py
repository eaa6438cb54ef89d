"""The same audit on Dask: partitions hold whole workers, each is summed by the in-process
kernel, and the per-worker and per-pair results are finished exactly as :func:`fairpay.audit` does.

Why: a log too big for one machine still has small per-worker results. Dask (an existing
distributed engine, local or on a cluster via ``dask.distributed.Client``) shuffles rows by
worker; each partition then runs fairpay's own DuckDB validation scan and, in a second pass,
streams its rows as integer codes through :mod:`fairpay.auditing.kernel` and :mod:`fairpay.auditing.money`.
Sums are exact integers (microseconds, micro-units of money) and money is per key, so the
results are identical to the in-process ones, to the last bit. The first pass yields the
places and pay currencies (hence the bars and rates) and the worker and project dictionaries,
which the second pass uses for the integer codes. The settings are the same
:class:`fairpay.auditing.settings.AuditSettings` as in-process, and only the engine's public steps
are used.

Recipe::

    import dask.dataframe as dd
    from dask.distributed import Client        # optional: a cluster; default is local threads
    from fairpay.auditing.dask import audit_dask
    result = audit_dask("s3://bucket/logs/*.parquet", country=None, npartitions=64)
"""

from __future__ import annotations

from typing import Any

from fairpay.auditing import (
    assemble as A,
    bars as B,
    presets as P,
    reading as R,
    stream as S,
    validation as V,
)
from fairpay.auditing.result import AuditResult
from fairpay.auditing.settings import AuditSettings
from fairpay.errors import Failure, InvalidDataError


def _typed(con: Any, pdf: Any, settings: AuditSettings, country: Any) -> None:
    con.register("__part", pdf)
    available = [c for c in pdf.columns if c != "__row"]
    R.typed_view(con, "__part", available, settings, country, "partition")


def _validate(pdf: Any, settings: AuditSettings, country: Any) -> tuple[Any, ...]:
    """Pass 1 on one partition (whole workers): (scan groups, bad-row messages, workers, projects,
    bad rows)."""
    import duckdb

    con = duckdb.connect()
    try:
        _typed(con, pdf, settings, country)
        preset = P.get_preset(settings.preset)
        projects = S.project_codes(con, "typed", preset)
        workers, blank = S.dictionaries(con, "typed", preset)
        groups = con.execute(V.scan_sql(con, "typed", preset, projects.blank)).fetchall()
        bad = V.count_bad_rows(con, "typed") if blank else sum(int(g[V.SCAN_BAD]) for g in groups)
        failures = V.bad_rows(con, "typed") if bad else []
        # a repeat is not paid twice: partitions cannot drop rows, so every repeat is a failure here
        V.duplicates(con, "typed", preset, "partition", "row", failures_out=failures)
        return groups, failures, workers, projects.names, bad
    finally:
        con.close()


class _Rows:
    """Collects streamed batches of one partition (the partition is one slice of whole workers)."""

    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []

    def add(self, cols: dict[str, Any]) -> None:
        self.batches.append(cols)  # numpy views keep their Arrow buffers alive

    def rows(self) -> dict[str, Any]:
        import numpy as np

        return {c: np.concatenate([b[c] for b in self.batches]) for c in self.batches[0]}


def _partial(
    pdf: Any, settings: AuditSettings, country: Any, engine: A.Engine, workers: Any, projects: Any
) -> tuple[Any, ...] | None:
    """Pass 2 on one partition: the in-process kernel and money on its rows, and the bonus task
    ids of its workers (read by the stream, as in process): (sums, worker ids, task ids)."""
    import duckdb
    import numpy as np
    import pyarrow as pa

    con = duckdb.connect()
    try:
        _typed(con, pdf, settings, country)
        preset = P.get_preset(settings.preset)
        codes = S.project_codes(con, "typed", preset, projects)
        S.register_codes(con, workers, codes, engine.places)
        collected = _Rows()
        bonus: list[Any] = []
        n = S.stream(con, "typed", settings, collected, bonus=bonus)
        if n != len(pdf):
            raise InvalidDataError("partition", [f"{len(pdf) - n} row(s) lost joining the integer codes"])
        if not n:
            return None
        rows = collected.rows()
        mine = np.unique(rows["wid"])  # the partition's workers (whole: the shuffle keeps them so)
        picked = S.picked_tasks([(np.searchsorted(mine, w), t) for w, t in bonus], len(mine))
        tasks = S.bonus_tasks(con, "typed", preset, workers.take(pa.array(mine)), picked)
        return A.partial(rows, engine), mine, tasks
    finally:
        con.close()


def audit_dask(
    log: Any,
    settings: AuditSettings | None = None,
    *,
    country: Any = None,
    benchmarks: Any = None,
    rates: Any = None,
    npartitions: int | None = None,
    **options: Any,
) -> AuditResult:
    """:func:`fairpay.audit` on a Dask DataFrame or Parquet/CSV path(s); identical results.

    ``settings`` and ``options`` as in :func:`fairpay.audit`. Row numbers in error messages are
    positions in the whole log (0-based), as in-process.
    """
    import dask
    import dask.dataframe as dd
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    settings = AuditSettings.of(settings, **options)
    p = P.get_preset(settings.preset)
    if isinstance(log, dd.DataFrame):
        ddf, source = log, "dask DataFrame"
    else:
        path = str(log)
        ddf = dd.read_parquet(path) if path.endswith((".parquet", ".pq")) else dd.read_csv(path, dtype=str)
        source = path
    # global 0-based row numbers: partition offsets from partition lengths
    lengths = ddf.map_partitions(len).compute()
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype("int64")

    def with_rows(pdf: Any, partition_info: Any = None) -> Any:
        i = partition_info["number"] if partition_info else 0
        return pdf.assign(__row=np.arange(len(pdf), dtype="int64") + offsets[i])

    ddf = ddf.map_partitions(with_rows, meta={**ddf.dtypes.to_dict(), "__row": "int64"})
    wcol = {**p.columns, **(settings.columns or {})}["worker"]
    ddf = ddf.shuffle(on=wcol, npartitions=npartitions or ddf.npartitions).persist()
    parts = ddf.to_delayed()
    results = dask.compute(*[dask.delayed(_validate)(d, settings, country) for d in parts])
    scan = V.scan_from_groups([g for r in results for g in r[0]])
    scan.bad_rows = sum(r[4] for r in results)  # each bad row once (blank workers included)
    failures = [f for r in results for f in r[1]]
    _places, currencies, unknown = V.normalize_groups(scan)
    # distinct unknown values: the partitions were scanned at (place, currency) grain, so no row
    reason = {
        "country": "unknown_country",
        "subdivision": "unknown_subdivision",
        "currency": "unknown_currency",
    }
    failures += [Failure(None, c, v, reason.get(c, "unknown_value"), why) for c, v, why in unknown]
    V.raise_failures(source, failures, scan.bad_rows + len(unknown))
    warnings = V.pending_warning(scan, settings)
    bars, fx, used = B.bars_fx_benchmarks(scan, settings, benchmarks, rates)
    workers = pa.concat_tables([r[2] for r in results if r[2].num_rows])
    workers = workers.take(pc.sort_indices(workers, [("worker", "ascending")]))
    if len(pc.unique(workers.column("worker"))) != workers.num_rows:  # the shuffle keeps workers whole
        raise InvalidDataError(source, ["a worker's rows are in more than one partition after the shuffle"])
    projects = pc.unique(pa.chunked_array([r[3] for r in results], type=pa.string()).combine_chunks())
    projects = projects.take(pc.array_sort_indices(projects))
    engine = A.plan(scan, bars, fx, currencies, settings, None, None)
    partials = dask.compute(
        *[dask.delayed(_partial)(d, settings, country, engine, workers, projects) for d in parts]
    )
    partials = [x for x in partials if x is not None]
    tables = A.new_tables(
        workers.num_rows, sum(len(x[0][1]["worker"]) for x in partials), len(projects), len(engine.codes)
    )
    for (w, pairs), _mine, _tasks in partials:
        A.put(tables, w, pairs)
    tasks = S.picked_tasks([(mine, t) for _sums, mine, t in partials], workers.num_rows)
    frames = A.finish(tables, workers.append_column("task", tasks), projects, bars, engine, source)
    return AuditResult(
        workers=frames[0],
        worker_projects=frames[1],
        projects=frames[2],
        bars=bars,
        settings=settings,
        warnings=warnings,
        source=source,
        benchmarks=used,
        period=scan.period(),
    )
