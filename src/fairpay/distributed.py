"""The same audit on Dask: partitions hold whole workers, each is aggregated by the in-process
engine, and the small aggregated tables are finished exactly as :func:`fairpay.audit` does.

Why: a log too big for one machine still has small per-worker results. Dask (an existing
distributed engine, local or on a cluster via ``dask.distributed.Client``) shuffles rows by
worker; each partition then runs fairpay's own DuckDB validation scan and aggregation, which
yield exact integer sums (microseconds, micro-units of money), so the concatenated partial
tables are identical to the in-process ones and so are the results, to the last bit. Two passes
over the shuffled (persisted) partitions: validation scans first (small per (worker, place,
currency) tables; they name the places and pay currencies, hence the bars and rates, and carry
each worker's task id), then the numeric aggregation.

Recipe::

    import dask.dataframe as dd
    from dask.distributed import Client        # optional: a cluster; default is local threads
    from fairpay.distributed import audit_dask
    result = audit_dask("s3://bucket/logs/*.parquet", country=None, npartitions=64)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fairpay.auditing import (
    AuditResult,
    Pending,
    _bad_rows,
    _connect,
    _finish,
    _raw_view,
    _scan,
    _settings,
    _typed_view,
    aggregate_sql,
    arrow_table,
    bars_fx_benchmarks,
    normalize_groups,
    pending_warning,
    raise_failures,
    scan_from_groups,
    scan_sql,
)
from fairpay.presets import Preset, get_preset


def _typed(con: Any, pdf: Any, preset: Preset, columns: Any, defaults: Any, country: Any) -> None:
    con.register("__part", pdf)
    _raw_view(con, "__part", [c for c in pdf.columns if c != "__row"], preset, columns, defaults, country, "partition")
    _typed_view(con, preset, "raw", "typed")


def _validate(pdf: Any, preset: Preset, columns: Any, defaults: Any, country: Any) -> tuple:
    """Validation scan of one partition (whole workers) with the in-process SQL: (groups, bad rows)."""
    import duckdb

    con = duckdb.connect()
    try:
        _typed(con, pdf, preset, columns, defaults, country)
        groups = arrow_table(con, scan_sql("typed"))
        bad = sum(int(x or 0) for x in groups.column("bad").to_pylist())
        return groups, (_bad_rows(con, "typed") if bad else [])
    finally:
        con.close()


def _aggregate(pdf: Any, preset: Preset, columns: Any, defaults: Any, country: Any, settings: Any,
               currencies: Any) -> Any:
    """The in-process heavy pass on one partition: its (worker, project) rows of the aggregated table."""
    import duckdb

    con = duckdb.connect()
    try:
        _typed(con, pdf, preset, columns, defaults, country)
        return arrow_table(con, aggregate_sql("typed", settings, currencies))
    finally:
        con.close()


def audit_dask(
    log: Any,
    *,
    preset: str | Preset = "generic",
    columns: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
    country: Any = None,
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
    npartitions: int | None = None,
) -> AuditResult:
    """:func:`fairpay.audit` on a Dask DataFrame or Parquet/CSV path(s); identical results.

    Row numbers in error messages are positions in the whole log (0-based), as in-process.
    """
    import dask
    import dask.dataframe as dd
    import numpy as np

    settings = _settings(kind, household, locality, missing_living, year, inflate, fx_fallback,
                         merge_gap_seconds, pending)
    p = get_preset(preset)
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
    wcol = {**p.columns, **(columns or {})}["worker"]
    ddf = ddf.shuffle(on=wcol, npartitions=npartitions or ddf.npartitions).persist()
    parts = ddf.to_delayed()
    results = dask.compute(*[dask.delayed(_validate)(d, p, columns, defaults, country) for d in parts])
    import pyarrow as pa

    with _connect(None, None) as con:
        con.register("__wg_parts", pa.concat_tables([r[0] for r in results]))
        con.execute("CREATE TEMP TABLE __wg AS SELECT * FROM __wg_parts")
        con.unregister("__wg_parts")
        scan = scan_from_groups(con)
        failures = [f for r in results for f in r[1]]
        _places, currencies, unknown = normalize_groups(scan)
        if unknown:
            failures += [f"row ?, column {c!r}, value {v!r}: {why}" for c, v, why in unknown]
        if failures:
            failures = [f.replace("row ?,", "row -1,") for f in failures]
        raise_failures(source, failures, scan.bad_rows + len(unknown))
        warnings = pending_warning(scan, settings)
        bars, fx, used = bars_fx_benchmarks(scan, settings, benchmarks, rates)
        tables = dask.compute(*[dask.delayed(_aggregate)(d, p, columns, defaults, country, settings, currencies)
                                for d in parts])
        con.register("__wp_parts", pa.concat_tables([t for t in tables if t.num_rows] or tables[:1]))
        con.execute("CREATE TEMP TABLE __wp AS SELECT * FROM __wp_parts")
        con.unregister("__wp_parts")
        return _finish(con, bars, fx, currencies, settings, warnings, source, used)
