"""The rows as integers: the worker and project dictionaries (ids, spellings, the bonus task), the
code tables joined on hashes where they have none repeated, and the one stream of Arrow batches
into buckets of whole workers, read ahead by a thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fairpay.auditing.presets import Preset
from fairpay.auditing.reading import _literal, _types, arrow_table, text_rule
from fairpay.auditing.settings import AuditSettings
from fairpay.auditing.validation import KeyHash, mix_key

if TYPE_CHECKING:  # pragma: no cover
    import duckdb


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
  SELECT worker_raw, count(*) AS n, max(__row) FILTER (WHERE {approved} AND {cond}) AS approved_row,
    max(__row) FILTER (WHERE {cond}) AS any_row
  FROM {typed} {where} GROUP BY worker_raw)
SELECT {worker} AS worker, CAST(sum(n) AS BIGINT) AS n,
  coalesce(max(approved_row), max(any_row)) AS task_row, list(worker_raw ORDER BY worker_raw) AS spellings
FROM per_spelling GROUP BY 1 ORDER BY 1
"""


#: The per-row stream, integers only: worker and project ids (alphabetical), the place (row of
#: ``bars``), the pay currency (index in alphabetical ISO order), the status code (see
#: :mod:`fairpay.auditing.kernel`), start and end (microseconds) and money paid (micro-units: approved
#: rewards, and pending ones when they count as paid, plus bonuses already paid). The place,
#: currency and status codes come from the row's spellings (``__g``, made from the scan), so no
#: row's place, currency or status text is trimmed or mapped here.
STREAM_SQL = """
SELECT k.wid, j.pid, g.place, g.ccy, g.st, t.s_us AS s, t.e_us AS e,
  CAST(round(CASE WHEN g.st = {approved} {pending_paid} THEN t.reward ELSE 0 END * 1e6) AS BIGINT)
    + CAST(round(t.bonus * 1e6) AS BIGINT) AS micro{key_hash}
FROM {typed} t
{joins}
"""


#: The code joins of ``STREAM_SQL`` on the text as written (see :func:`code_joins`).
TEXT_JOINS = """JOIN __wk k ON k.worker_raw = t.worker_raw
JOIN __pj j ON j.project_value = t.project_value
JOIN __g g ON g.country_value = t.country_value AND g.subdivision_value IS NOT DISTINCT FROM t.subdivision_value
  AND g.currency_value = t.currency_value AND g.status_raw = t.status_raw"""


#: The same joins on 64-bit hashes of that text, used when no two spellings (no two places) of
#: the small tables share a hash: then a row's hash names its row there exactly, and probing
#: integers instead of strings saves ~1 CPU-second per 10M rows (200k workers).
HASH_JOINS = """JOIN __wk k ON k.h = hash(t.worker_raw)
JOIN __pj j ON j.h = hash(t.project_value)
JOIN __g g ON g.h = hash(t.country_value, t.subdivision_value, t.currency_value, t.status_raw)"""


#: Which rows are approved, on the typed status (see :meth:`~fairpay.auditing.validation.Scan.approved`
#: for the same test on the status spellings).
APPROVED_ROWS = "status = 'approved'"


def workers_sql(
    typed: str, preset: Preset, cond: str = "true", where: str = "", approved: str = APPROVED_ROWS
) -> str:
    """:data:`WORKERS_SQL` for the view ``typed`` of a log read with ``preset``; the task rows are
    the last rows meeting ``cond`` (``approved``: the approved rows); ``where`` limits the rows read."""
    return WORKERS_SQL.format(
        typed=typed, worker=text_rule("trim(worker_raw)", preset), cond=cond, where=where, approved=approved
    )


def bonus_tasks(con: duckdb.DuckDBPyConnection, typed: str, preset: Preset, workers: Any, picked: Any) -> Any:
    """The task id for each worker's bonus: that of the worker's last approved row (in log order)
    that has one, else of the last row that has one (an Arrow string array, null: no task at all).

    Why rows, not the task text: MTurk's SendBonus needs one assignment of the worker, any will
    do, and picking it by row number needs no string work per row; the task ids of the picked
    rows (``task_row``) are read by :func:`stream` (``picked``, see :func:`picked_tasks`). A
    worker whose picked row has no task id (rare) is looked up again among the rows that have one.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    blank = np.asarray(pc.is_null(picked), dtype=bool)
    if not blank.any() or "task" not in _types(con, "raw"):
        return picked
    spellings = pc.list_flatten(workers.column("spellings").filter(pa.array(blank)).combine_chunks())
    con.register("__blank_task", pa.table({"worker_raw": spellings}))
    again = arrow_table(
        con,
        workers_sql(
            typed, preset, "task IS NOT NULL", "WHERE worker_raw IN (SELECT worker_raw FROM __blank_task)"
        ),
    )
    found = dict(zip(again.column("worker").to_pylist(), again.column("task_row").to_pylist(), strict=True))
    names = workers.column("worker")
    fill = [(int(i), found.get(names[int(i)].as_py())) for i in np.flatnonzero(blank)]
    fill = [(i, row) for i, row in fill if row is not None]  # None: the worker has no task id at all
    out = picked.to_pylist()
    if fill:
        more = _tasks_at(con, typed, np.array([row for _i, row in fill], dtype=np.int64)).to_pylist()
        for (i, _row), t in zip(fill, more, strict=True):
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


def dictionaries(
    con: duckdb.DuckDBPyConnection, typed: str, preset: Preset, approved: str = APPROVED_ROWS
) -> tuple[Any, int]:
    """(workers: Arrow table worker, n, task_row, spellings; rows with a blank worker).

    Workers are alphabetical and have no blank; the blank-worker rows are bad rows (the scan
    leaves that test to this per-spelling one). ``approved``: the SQL test of an approved row
    (after the scan: on its status spellings, which spares mapping every row's status). The
    bonus task ids (:func:`bonus_tasks`) are read later, by the row stream.
    """
    import pyarrow.compute as pc

    workers = arrow_table(con, workers_sql(typed, preset, approved=approved))
    blank = pc.is_null(workers.column("worker"))
    blank_rows = int(pc.sum(pc.filter(workers.column("n"), blank)).as_py() or 0)
    if blank_rows:
        workers = workers.filter(pc.invert(blank))
    return workers, blank_rows


#: Each spelling of a project id in the log (``project_value``, as written) and its project (the
#: typed view's text rule on it: NULL for a blank one).
PROJECTS_SQL = "SELECT project_value, {project} AS project FROM (SELECT DISTINCT project_value FROM {typed})"


@dataclass(frozen=True)
class ProjectCodes:
    """The project dictionary: ``names`` (Arrow strings, alphabetical, no blank; a project's id is
    its position), ``spellings`` (Arrow table project_value -> pid, the stream's ``__pj``) and
    ``blank``: the SQL test of a row with a blank project id, on its spelling (a bad row).

    Why spellings: a log has a handful of spellings of its project ids, so the text rule runs
    once per spelling, and the scan and the stream test and join the text as written.
    """

    names: Any
    spellings: Any
    blank: str


def project_codes(
    con: duckdb.DuckDBPyConnection, typed: str, preset: Preset, names: Any = None
) -> ProjectCodes:
    """The :class:`ProjectCodes` of ``typed``; ``names``: use these project names (alphabetical)
    for the ids instead of the log's own (a Dask partition's spellings, coded with the whole log's)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = arrow_table(
        con, PROJECTS_SQL.format(typed=typed, project=text_rule("trim(project_value)", preset))
    )
    blank = pc.is_null(found.column("project"))
    written = [v for v in pc.filter(found.column("project_value"), blank).to_pylist() if v is not None]
    found = found.filter(pc.invert(blank))
    if names is None:
        names = pc.unique(found.column("project").combine_chunks())
        names = names.take(pc.array_sort_indices(names))
    pid = pc.index_in(found.column("project"), value_set=names).cast(pa.int32())
    blank_test = "project_value IS NULL"  # a NULL id is blank whatever the rule
    if written:
        blank_test += f" OR project_value IN ({', '.join(_literal(v) for v in sorted(written))})"
    return ProjectCodes(
        names, pa.table({"project_value": found.column("project_value"), "pid": pid}), f"({blank_test})"
    )


def register_codes(con: duckdb.DuckDBPyConnection, workers: Any, projects: ProjectCodes, places: Any) -> None:
    """Register ``__wk`` (worker spelling -> wid), ``__pj`` (project spelling -> pid) and ``__g``
    (:func:`_codes_table`).

    ``workers``: the :data:`WORKERS_SQL` table (alphabetical; a worker's id is its row).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    spellings = workers.column("spellings").combine_chunks()
    per_worker = pc.list_value_length(spellings).to_numpy(zero_copy_only=False)
    wid = np.repeat(np.arange(len(per_worker), dtype=np.int32), per_worker)
    task_row = np.repeat(workers.column("task_row").to_numpy(zero_copy_only=False), per_worker)
    con.register(
        "__wk_text",
        pa.table(
            {"worker_raw": pc.list_flatten(spellings), "wid": pa.array(wid), "task_row": pa.array(task_row)}
        ),
    )
    con.register("__pj_text", projects.spellings)
    con.register("__g_text", places)
    # hashes of the text exactly as the typed view holds it
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __wk AS SELECT *, hash(worker_raw) AS h FROM __wk_text;"
        "CREATE OR REPLACE TEMP TABLE __pj AS SELECT *, hash(project_value) AS h FROM __pj_text;"
        "CREATE OR REPLACE TEMP TABLE __g AS SELECT *, "
        "hash(country_value, subdivision_value, currency_value, status_raw) AS h FROM __g_text"
    )


def code_joins(con: duckdb.DuckDBPyConnection) -> str:
    """``HASH_JOINS`` when the registered code tables have no repeated hash, else ``TEXT_JOINS``."""
    ((unique,),) = con.execute(
        "SELECT (SELECT count(DISTINCT h) = count(*) FROM __wk) AND (SELECT count(DISTINCT h) = count(*) FROM __pj)"
        " AND (SELECT count(DISTINCT h) = count(*) FROM __g)"
    ).fetchall()
    return HASH_JOINS if unique else TEXT_JOINS


#: A ``STREAM_SQL`` column: the task id of the row picked for the worker's bonus (``task_row``
#: of :data:`WORKERS_SQL`), NULL on every other row: the ids are read in the pass that reads the
#: rows anyway (a query of its own cost ~0.2 s at 10M rows).
BONUS_TASK_SQL = ", CASE WHEN t.__row = k.task_row THEN t.task END AS bonus_task"


#: Rows per Arrow batch of the stream. Why not more: a batch's buffers (~50 bytes a row) are
#: allocated by DuckDB and freed once routed; batches of a few MiB are reused from the heap,
#: larger ones are fresh mappings every time (10M rows, 10 projects: page faults 420k -> 350k,
#: peak 0.87 -> 0.82 GiB against 1M-row batches; the same time within noise).
BATCH_ROWS = 131_072


def stream(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    settings: AuditSettings,
    buckets: Any,
    key_hash: KeyHash | None = None,
    hashes: list[Any] | None = None,
    bonus: list[Any] | None = None,
) -> int:
    """Stream the integer rows (``STREAM_SQL``) into ``buckets``; returns the number of rows.

    ``key_hash`` (:func:`~fairpay.auditing.validation.key_hash`): the key hashes are appended to
    ``hashes``, or, when ``hashes`` is None, go into the buckets as column ``kh``. ``bonus``: (worker ids, task ids)
    of the rows picked for bonuses are appended there (see :func:`picked_tasks`).
    """
    import numpy as np
    import pyarrow.compute as pc

    from fairpay.auditing.kernel import APPROVED, PENDING, ROW_DTYPES

    pending_paid = f"OR g.st = {PENDING}" if settings.pending == "paid" else ""
    rel = con.sql(
        STREAM_SQL.format(
            typed=typed,
            approved=APPROVED,
            pending_paid=pending_paid,
            key_hash=(key_hash.sql if key_hash else "") + (BONUS_TASK_SQL if bonus is not None else ""),
            joins=code_joins(con),
        )
    )
    reader = (
        rel.to_arrow_reader(BATCH_ROWS)
        if hasattr(rel, "to_arrow_reader")
        else rel.fetch_record_batch(BATCH_ROWS)
    )
    n = 0
    for batch in prefetched(reader):
        cols = {c: batch.column(i).to_numpy() for i, c in enumerate(ROW_DTYPES)}
        if key_hash:
            kh = mix_key(batch.column(len(ROW_DTYPES)).to_numpy(), cols, key_hash.mix)
            if hashes is None:
                cols["kh"] = kh  # probed bucket by bucket (see partial)
            else:
                hashes.append(kh if key_hash.mix else kh.copy())  # a copy frees the Arrow batch
        if bonus is not None:
            task = batch.column(batch.num_columns - 1)
            if task.null_count < len(task):
                at = pc.is_valid(task)
                bonus.append((cols["wid"][np.asarray(at)].copy(), task.filter(at)))
        buckets.add(cols)
        n += batch.num_rows
    return n


def picked_tasks(bonus: list[Any], n_workers: int) -> Any:
    """The task ids that :func:`stream` collected in ``bonus``, by worker id (null: none read)."""
    import numpy as np
    import pyarrow as pa

    wid = np.concatenate([w for w, _t in bonus]) if bonus else np.zeros(0, np.int32)
    tasks = pa.concat_arrays([t for _w, t in bonus]) if bonus else pa.array([], pa.string())
    at = np.full(n_workers, -1, dtype=np.int64)
    at[wid] = np.arange(len(wid))
    return tasks.take(pa.array(at, mask=at < 0))


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
