"""From buckets to the result frames: the kernel and the money on each bucket, the results put in
(worker, project) order with the project sums added up, then the workers, worker x project and
projects frames (exact decimal top-ups; project quantiles in a thread beside).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fairpay.auditing.money import PAIR_COLUMNS, WORKER_COLUMNS
from fairpay.auditing.reading import SPELLINGS
from fairpay.auditing.settings import AuditSettings
from fairpay.auditing.validation import MAX_LISTED_FAILURES, RepeatedKey, Scan
from fairpay.errors import InvalidDataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from fairpay.auditing.kernel import Workspace


#: Rows per bucket by default, and bytes per row of work in a bucket (the rows, the sort keys and
#: order, the shifted times): with a memory budget, buckets are sized to a quarter of it, and rows
#: wait in files when they would take more than a quarter of it.
ROWS_PER_BUCKET = 1_000_000
_WORK_BYTES_PER_ROW = 120


#: Without a budget, rows wait in files once they would take more than this in memory (~15M rows;
#: measured at 30M rows: 20.7 s / 0.46 GiB spilled vs 20.2 s / 1.40 GiB in memory).
ROWS_IN_MEMORY_BYTES = 512 * 2**20
#: Below this many rows the kernel runs as one bucket (threads would cost more than they save).
_MIN_ROWS_TO_SPLIT = 200_000


def _codes_table(bars: pd.DataFrame, scan: Scan, currencies: Mapping[str, str], codes: list[str]) -> Any:
    """The spellings of (country, subdivision, currency, status) as written (``Scan.spellings``) ->
    (place = row of ``bars``, pay-currency index, status code): an Arrow table, the stream's ``__g``.

    Every spelling here is valid: one with a blank or unknown place, currency or status made its
    rows bad, and the audit stopped before this.
    """
    import pyarrow as pa

    from fairpay.auditing.kernel import STATUS_CODES

    place_of = {(c, s): i for i, (c, s) in enumerate(zip(bars["country_raw"], bars["sub_key"]))}
    keys, typed = list(scan.spellings), list(scan.spellings.values())
    columns = {name: pa.array([k[i] for k in keys], pa.string()) for i, name in enumerate(SPELLINGS.values())}
    columns["place"] = pa.array([place_of[(c, sub or "")] for c, sub, _ccy, _st in typed], pa.int16())
    columns["ccy"] = pa.array([codes.index(currencies[str(ccy)]) for _c, _sub, ccy, _st in typed], pa.int8())
    columns["st"] = pa.array([STATUS_CODES[st] for *_place, st in typed], pa.int8())
    return pa.table(columns)


@dataclass
class Engine:
    """What the per-row stage needs: the lookups, the settings and the memory plan."""

    codes: list[str]
    lookup: Any
    gap_us: int
    rows_per_bucket: int
    spill_dir: str | None
    places: Any  # the ``__g`` table: spellings of place, currency and status -> their codes
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


def partial(
    rows: dict[str, Any], engine: Engine, work: Workspace | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sums and money for one slice of whole workers: (worker columns with ``wid``, pair columns);
    ``work``: the calling thread's kernel :class:`~fairpay.auditing.kernel.Workspace`."""
    import numpy as np

    from fairpay.auditing.kernel import sums
    from fairpay.auditing.money import money

    kh = rows.pop("kh", None)
    if kh is not None:  # the key probe of a key with the worker in it: repeats are in one bucket
        kh.sort()
        if len(kh) > 1 and bool((kh[1:] == kh[:-1]).any()):
            raise RepeatedKey
        del kh
    ws, ps = sums(rows, len(engine.codes), engine.gap_us, work)
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

    worker_names = workers.column("worker").combine_chunks()  # Arrow: 200k names, no Python strings
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
        paid_in = np.bincount(p["pay_currency"], minlength=len(codes)) > 0  # the scale, not a pair-long array
        pair_top_up = exact_minor_column(
            tables.pairs["top_up"][:n], code_minor[paid_in].max() if paid_in.any() else 2
        )
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
    worker_names: Any,
    project_names: list[str],
    bars: pd.DataFrame,
    codes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``workers`` and ``worker_projects`` frames from the worker and pair columns."""
    import numpy as np
    import pandas as pd

    from fairpay.units.figures import exact_minor_column

    dtypes: dict[int, pd.CategoricalDtype] = {}  # one dtype per list of names (workers: 200k strings)

    def cat(codes_: Any, values: Any) -> pd.Categorical:
        if id(values) not in dtypes:  # an Arrow array of names becomes the categories without Python strings
            dtypes[id(values)] = pd.CategoricalDtype(pd.Index(pd.array(values, dtype="str")))
        return pd.Categorical.from_codes(codes_, dtype=dtypes[id(values)])

    place = w["place"]
    present = np.flatnonzero(np.bincount(place, minlength=len(bars)))  # the places of some worker

    def cat_of_place(column: str) -> pd.Categorical:
        """``bars[column]`` at each worker's place; categories: the values present, sorted.

        Why per place, not per worker: a set and an index of 200k Python strings took ~0.2 s."""
        of_place = [v if isinstance(v, str) else None for v in bars[column].astype(object)]
        found = sorted({v for i in present if (v := of_place[i]) is not None})
        at = {v: i for i, v in enumerate(found)}
        code = np.array([-1 if v is None else at.get(v, -1) for v in of_place], dtype=np.int32)
        return pd.Categorical.from_codes(code[place], categories=found)

    wf = pd.DataFrame(
        {
            "worker": cat(np.arange(len(worker_names), dtype=np.int32), worker_names),
            "country": cat_of_place("country"),
            "subdivision": cat_of_place("subdivision"),
            **{c: w[c] for c in _COUNT_COLUMNS},
            "hours": w["hours"],
            "pay_currency": cat(w["pay_currency"], codes),
            "earnings": w["earnings"],
            "top_up": exact_minor_column(w["top_up"], w["pay_minor"]),
            "local_currency": cat_of_place("local_currency"),
            **{c: w[c] for c in WORKER_COLUMNS if c not in ("hours", "pay_currency", "earnings", "top_up")},
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


def sum_buckets(buckets: Any, engine: Engine, tables: Tables) -> None:
    """:func:`partial` on every bucket, ``engine.threads`` at once; written in bucket order.

    Why threads: buckets hold whole workers, so they are independent, and numpy releases the GIL
    in its sorts, gathers and ufunc loops, so two buckets use two cores. At most ``threads``
    buckets are out of their store at a time (memory stays bounded), and results are written in
    bucket order, so the tables are the same, byte for byte, whatever the number of threads.
    """
    import queue

    from fairpay.auditing.kernel import Workspace

    todo = [
        j for j in range(buckets.k) if buckets.sizes[j]
    ]  # a worker larger than a bucket leaves some empty
    if engine.threads <= 1 or len(todo) == 1:
        work = Workspace()
        for j in todo:
            put(tables, *partial(buckets.pop(j), engine, work))
        return
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    # one workspace per bucket at work (at most ``threads``): each is reused by bucket after bucket
    spaces: queue.SimpleQueue[Workspace] = queue.SimpleQueue()
    for _ in range(engine.threads):
        spaces.put(Workspace())

    def one(j: int) -> tuple[dict[str, Any], dict[str, Any]]:
        work = spaces.get()
        try:
            return partial(buckets.pop(j), engine, work)
        finally:
            spaces.put(work)

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
