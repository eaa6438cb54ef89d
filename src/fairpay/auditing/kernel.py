"""Interval unions and exact sums per worker and per worker x project, for one slice of a log.

Why: the audit's heavy work is per row: merge each worker's overlapping tasks into worked time
(once across all their projects, once per project) and sum counts and money. Done here in numpy
on integer columns (codes, microseconds, micro-units of money) for a slice that holds whole
workers, so every sum is an exact integer, independent of how the log was sliced (the in-process
buckets and the Dask partitions give identical results).

The interval union uses one sort: rows sorted by (group, start); each group is shifted onto its
own stretch of one integer line (groups apart by more than the merge gap), so a single running
maximum of the ends is the frontier already covered; a task adds ``end - start`` when it starts
after ``frontier + gap``, else ``max(0, end - frontier)``. The per-project union re-sorts the
worker-ordered rows by (worker, project) stably, so starts stay ordered within each pair.
A worker's counts and money are the sums of their pairs' (exact integers, and pairs are fewer
than rows); only worked time is computed on the worker's rows, since projects may overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Status codes in the ``st`` column (0 never reaches the kernel: such rows fail validation).
APPROVED, REJECTED, RETURNED, PENDING = 1, 2, 3, 4
STATUS_CODES = {"approved": APPROVED, "rejected": REJECTED, "returned": RETURNED, "pending": PENDING}
#: Column dtypes of a slice of rows (see :class:`Rows`).
ROW_DTYPES = {
    "wid": "int32",
    "pid": "int32",
    "place": "int16",
    "ccy": "int8",
    "st": "int8",
    "s": "int64",
    "e": "int64",
    "micro": "int64",
}
ROW_BYTES = sum({"int64": 8, "int32": 4, "int16": 2, "int8": 1}[d] for d in ROW_DTYPES.values())
_LIMIT = 2**62  # offsets on the shared integer line stay below this (int64 headroom)


@dataclass
class Sums:
    """One row per key (worker, or worker x project), ordered by key.

    ``m``/``n``: micro-units and rows per pay currency (shape: currencies x keys); per worker,
    ``place_min`` / ``place_max`` differ when a worker appears with two places (an error, reported
    by the caller); None per pair (a pair's place is its worker's).
    """

    wid: Any
    pid: Any | None
    place_min: Any
    place_max: Any
    tasks: Any
    counts: dict[str, Any]
    worked_us: Any
    m: Any
    n: Any


class Workspace:
    """Scratch arrays that one kernel thread reuses from slice to slice, by name.

    Why: fresh numpy memory costs a page fault per 4 KiB page on first touch (about a second of
    system time per 10M-row audit, more on a busy host); a thread that keeps its scratch arrays
    pays that once. A name's memory is overwritten by the next slice, so nothing a slice returns
    may be a view of it.
    """

    def __init__(self) -> None:
        self._memory: dict[str, Any] = {}

    def array(self, name: str, n: int, dtype: Any) -> Any:
        """An uninitialised array of ``n`` items of ``dtype`` in the memory kept under ``name``."""
        import numpy as np

        dt = np.dtype(dtype)
        memory = self._memory.get(name)
        if memory is None or memory.nbytes < n * dt.itemsize:
            memory = self._memory[name] = np.empty(max(n * dt.itemsize, 1), dtype=np.uint8)
        return memory[: n * dt.itemsize].view(dt)


def sums(
    rows: dict[str, Any], n_currencies: int, gap_us: int, work: Workspace | None = None
) -> tuple[Sums, Sums]:
    """(per worker, per worker x project) for ``rows`` (whole workers, any order), exact integers.

    ``rows`` maps the :data:`ROW_DTYPES` names to numpy arrays; it is consumed (re-ordered in place).
    ``work``: the calling thread's :class:`Workspace` (default: a new one).
    """
    import numpy as np

    work = work or Workspace()
    if not len(rows["wid"]):
        raise ValueError("no rows")
    order, exact = _order(rows["wid"], rows["s"], work)
    _gather(rows, order, work.array("spare", len(rows["wid"]), "u8"))
    if not exact and _unsorted_starts(rows["wid"], rows["s"], work):  # rare: see _order
        # fresh spare memory: the workspace's now holds a column
        _gather(rows, np.lexsort((rows["s"], rows["wid"])), np.empty(8 * len(rows["wid"]), np.uint8))
    starts = _starts(rows["wid"], None, work)
    worked = union_us(starts, rows["s"], rows["e"], gap_us, work)
    place = rows.pop("place")
    place_min, place_max = np.minimum.reduceat(place, starts), np.maximum.reduceat(place, starts)
    del place
    # pairs: stable re-sort by (worker, project); starts stay sorted within each pair
    _gather(rows, _pair_order(rows["wid"], rows["pid"], work), work.array("spare2", len(rows["wid"]), "u8"))
    pairs = _pair_sums(rows, n_currencies, gap_us, work)
    return _worker_totals(pairs, worked, place_min, place_max), pairs


def _worker_totals(pairs: Sums, worked_us: Any, place_min: Any, place_max: Any) -> Sums:
    """A worker's counts and money: the sums of their pairs (exact integers, so the same as summing
    their rows, and pairs are fewer than rows). Worked time is not a sum: a worker's tasks of two
    projects may overlap, so it is the union over all their rows (``worked_us``)."""
    import numpy as np

    at = np.flatnonzero(np.diff(pairs.wid, prepend=pairs.wid[0] - 1))  # each worker's first pair
    return Sums(
        wid=pairs.wid[at],
        pid=None,
        place_min=place_min,
        place_max=place_max,
        tasks=np.add.reduceat(pairs.tasks, at, dtype=np.int32),
        counts={k: np.add.reduceat(v, at, dtype=np.int32) for k, v in pairs.counts.items()},
        worked_us=worked_us,
        m=np.add.reduceat(pairs.m, at, axis=1),
        n=np.add.reduceat(pairs.n, at, axis=1, dtype=np.int32),
    )


def _gather(rows: dict[str, Any], order: Any, spare: Any) -> None:
    """Re-order every column of ``rows`` by ``order`` (consumed), reusing the columns' memory.

    Why: a fresh array per column and per sort cost ~40 bytes per row of new memory, page
    faults included, twice per slice; here each column is gathered into the memory freed by
    the one before it (widest first), so only ``spare`` (8 bytes per row, from the thread's
    :class:`Workspace`) is needed besides.
    """
    import numpy as np

    names = sorted(rows, key=lambda k: -rows[k].itemsize)
    spare = spare.view(np.uint8)
    for k in names:
        a = rows[k]
        out = spare[: a.nbytes].view(a.dtype)
        np.take(a, order, out=out, mode="clip")  # "clip": the positions are valid; "raise" would buffer
        rows[k], spare = out, (a if a.flags.c_contiguous else np.empty(a.nbytes, np.uint8)).view(np.uint8)


def _bits(a: Any) -> int:
    return int(a.max() - a.min()).bit_length() if len(a) else 0


def _order(wid: Any, s: Any, work: Workspace) -> tuple[Any, bool]:
    """Row order by (worker, start), and whether it is exact.

    One plain sort of packed int64 keys (worker, start, row position) read back as positions
    (:func:`sorted_positions`): ~4x faster than ``np.argsort``. When the three do not fit in 63
    bits, the start's lowest bits are dropped (a bucket of 500k rows from 1,000 workers over two
    months keeps starts to 256 us): rows whose starts differ by less stay in log order, so the
    caller checks the starts (:func:`_unsorted_starts`) and re-sorts exactly in the rare case
    they are not in order (two of a worker's tasks started that close, listed latest first).
    """
    import numpy as np

    n = len(wid)
    wb, sb, nb = _bits(wid), _bits(s), int(n).bit_length()
    drop = max(0, wb + sb + nb - 63)
    if drop > sb:  # the worker ids and positions alone do not fit: no packed key
        return np.lexsort((s, wid)), True
    key = work.array("key", n, np.int64)  # (wid - min) << (sb - drop) | (s - min) >> drop, in place
    key[:] = wid
    key -= int(wid.min())
    key <<= sb - drop
    # the start's bits in the gather's spare memory (free until the gather that follows)
    low = np.subtract(s, int(s.min()), out=work.array("spare", n, np.int64))
    low >>= drop
    key += low
    return sorted_positions(key, nb), drop == 0


def _unsorted_starts(wid: Any, s: Any, work: Workspace) -> bool:
    """Whether some worker's starts decrease from one row to the next (rows sorted by worker)."""
    import numpy as np

    n = len(wid)
    if n < 2:
        return False
    down = np.less(s[1:], s[:-1], out=work.array("mask", n - 1, bool))
    down &= wid[1:] == wid[:-1]
    return bool(down.any())


def _pair_order(wid: Any, pid: Any, work: Workspace) -> Any:
    """Stable order by (worker, project) of rows already sorted by (worker, start)."""
    import numpy as np

    n = len(wid)
    wb, pb, nb = _bits(wid), _bits(pid), int(n).bit_length()
    if wb + pb + nb <= 62:
        key = work.array("key", n, np.int64)  # (wid - min) << pb | (pid - min), in place
        key[:] = wid
        key -= int(wid.min())
        key <<= pb
        key += pid
        key -= int(pid.min())
        return sorted_positions(key, nb)
    return np.lexsort((pid, wid))


def sorted_positions(key: Any, nb: int) -> Any:
    """The positions of ``key`` in stable sorted order; ``key`` (int64, consumed) must leave ``nb``
    bits free above its values (``nb``: bits of ``len(key)``).

    Why: each key gets its position in its low bits, so the keys are unique and a plain sort of
    them is a stable argsort, read back from the low bits: ~4x faster than ``np.argsort``.
    """
    import numpy as np

    key <<= nb
    key |= np.arange(len(key), dtype=np.int64)
    key.sort()
    key &= (1 << nb) - 1
    return key


def _starts(wid: Any, pid: Any | None, work: Workspace) -> Any:
    """The first row of each group (worker, or worker x project) of rows sorted by group."""
    import numpy as np

    first = work.array("first", len(wid), bool)
    first[0] = True
    np.not_equal(wid[1:], wid[:-1], out=first[1:])
    if pid is not None:
        first[1:] |= pid[1:] != pid[:-1]
    return np.flatnonzero(first)


def _pair_sums(rows: dict[str, Any], n_currencies: int, gap_us: int, work: Workspace) -> Sums:
    """Per worker x project, rows sorted by (worker, project, start): worked time, tasks, status
    counts, micro-units and rows per pay currency."""
    import numpy as np

    wid, pid = rows["wid"], rows["pid"]

    n = len(wid)
    starts = _starts(wid, pid, work)
    g = len(starts)
    worked = union_us(starts, rows["s"], rows["e"], gap_us, work)
    tasks = np.diff(starts, append=n).astype(np.int32)
    # status counts and rows per currency: a mask per code, summed per group (no row-long group ids)
    st, mask = rows["st"], work.array("mask", n, bool)
    counts = {
        name: np.add.reduceat(np.equal(st, code, out=mask), starts, dtype=np.int32)
        for name, code in STATUS_CODES.items()
    }
    micro = rows["micro"]
    m = np.empty((n_currencies, g), dtype=np.int64)
    m[0] = np.add.reduceat(micro, starts)
    if n_currencies == 1:
        nn = tasks[None, :].copy()
    else:
        ccy = rows["ccy"]
        nn = np.empty((n_currencies, g), dtype=np.int32)
        for i in range(n_currencies):
            paid_in = np.equal(ccy, i, out=mask)
            nn[i] = np.add.reduceat(paid_in, starts, dtype=np.int32)
            if i:  # the first currency's sum is the rest of the total
                m[i] = np.add.reduceat(np.where(paid_in, micro, 0), starts)
                m[0] -= m[i]
    return Sums(  # no place: a pair lives where its worker lives
        wid=wid[starts],
        pid=pid[starts],
        place_min=None,
        place_max=None,
        tasks=tasks,
        counts=counts,
        worked_us=worked,
        m=m,
        n=nn,
    )


def union_us(starts: Any, s: Any, e: Any, gap_us: int, work: Workspace | None = None) -> Any:
    """Merged microseconds per group; rows sorted by (group, start), ``starts`` = first row of each
    group. ``work``: the calling thread's :class:`Workspace` (default: a new one)."""
    import numpy as np

    work = work or Workspace()
    n = len(s)
    first_s = s[starts]
    span = np.maximum.reduceat(e, starts) - first_s + (gap_us + 1)  # a group's stretch, plus a gap
    if float(span.sum(dtype=np.float64)) < _LIMIT / 2:
        return _union_chunk(starts, s, e, gap_us, first_s, span, work)
    # very long logs with many groups: shift chunks of groups separately (int64 headroom)
    out = np.empty(len(starts), dtype=np.int64)
    edges = np.searchsorted(np.cumsum(span, dtype=np.float64), np.arange(1, 64) * (_LIMIT / 4))
    lo = 0
    for hi in [*sorted({int(x) for x in edges if 0 < x < len(starts)}), len(starts)]:
        if hi <= lo:
            continue
        r0, r1 = int(starts[lo]), int(starts[hi]) if hi < len(starts) else n
        out[lo:hi] = _union_chunk(
            starts[lo:hi] - r0, s[r0:r1], e[r0:r1], gap_us, first_s[lo:hi], span[lo:hi], work
        )
        lo = hi
    return out


def _union_chunk(starts: Any, s: Any, e: Any, gap_us: int, first_s: Any, span: Any, work: Workspace) -> Any:
    import numpy as np

    n = len(s)
    base = np.cumsum(span) - span - first_s  # group g starts at the sum of earlier stretches
    # each row's shift: its group's base (a running sum of the steps between groups' bases)
    off = work.array("off", n, np.int64)
    off[:] = 0
    off[starts] = np.diff(base, prepend=0)
    np.cumsum(off, out=off)
    so = np.add(s, off, out=work.array("so", n, np.int64))
    eo = np.add(e, off, out=off)
    frontier = work.array("frontier", n, np.int64)  # running max of earlier ends (a group's first
    frontier[0] = so[0] - gap_us - 1  # row sees the last group's)
    np.maximum.accumulate(eo[:-1], out=frontier[1:])
    after = work.array("after", n, bool)
    if gap_us:
        so -= gap_us
        np.greater(so, frontier, out=after)
        so += gap_us
    else:
        np.greater(so, frontier, out=after)
    np.copyto(frontier, so, where=after)  # covered from: own start if after the frontier, else the frontier
    np.subtract(eo, frontier, out=frontier)
    np.maximum(frontier, 0, out=frontier)
    return np.add.reduceat(frontier, starts)
