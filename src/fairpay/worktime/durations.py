"""Worked time from submission logs: interval union, idle trimming, self-report vs telemetry.

Why: accept→submit durations overstate work when a worker holds several tasks at once (Hara et al.,
CHI 2018) and when a task sits open while the worker is away; summing them would make batching
workers look slower and their effective hourly rate lower than it was. The denominator that
matches the worker's day is the union of their task intervals, with near-adjacent intervals
(gap <= ``merge_gap_seconds``) merged as continuous work. Idle trimming is optional, and its
effect (seconds removed, per worker and in total) is always reported, never hidden.

Units: seconds (float) in every result; timestamps are compared in UTC nanoseconds.

``union_seconds`` runs the audit's own interval union (:func:`fairpay.auditing.kernel.union_us`), so worked
time here and in ``fairpay audit`` is one definition; vectorised, meant for audits
of logs with tens of millions of rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fairpay.errors import InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "union_seconds",
    "worked_time",
    "WorkedTime",
    "compare_reports",
    "ReportComparison",
    "to_utc_ns",
    "read_log",
    "audited_time",
    "held_tasks_note",
    "AUDIT_BASIS",
]

_NS = 1_000_000_000


# --------------------------------------------------------------------------------------------
# vectorised core


def _check_union_arrays(
    worker_codes: Any, start_ns: Any, end_ns: Any, gap_ns: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codes = np.asarray(worker_codes)
    s = np.asarray(start_ns)
    e = np.asarray(end_ns)
    for name, a in (("worker_codes", codes), ("start_ns", s), ("end_ns", e)):
        if a.ndim != 1:
            raise InvalidInputError(f"{name}: got shape {a.shape}; expected a 1-D array")
        if a.dtype.kind not in "iu":
            raise InvalidInputError(f"{name}: got dtype {a.dtype}; expected integers (codes / nanoseconds)")
    if not (codes.size == s.size == e.size):
        raise InvalidInputError(
            f"union_seconds: lengths differ (worker_codes {codes.size}, start_ns {s.size}, end_ns {e.size}); expected equal"
        )
    if isinstance(gap_ns, bool) or not isinstance(gap_ns, (int, np.integer)) or gap_ns < 0:
        raise InvalidInputError(f"gap_ns: got {gap_ns!r}; expected an integer number of nanoseconds >= 0")
    if codes.size and codes.min() < 0:
        i = int(np.argmin(codes))
        raise InvalidInputError(f"worker_codes: row {i} is {int(codes[i])}; expected codes >= 0")
    bad = np.flatnonzero(e < s)
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            f"row {i}: end {int(e[i])} ns is before start {int(s[i])} ns ({bad.size} such row(s)); expected end >= start"
        )
    return codes.astype(np.int64, copy=False), s.astype(np.int64, copy=False), e.astype(np.int64, copy=False)


def _order_by_worker_then_start(codes: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Permutation sorting rows by (worker code, start), vectorised.

    One unstable sort on start, then a least-significant-digit radix pass per 16 bits of the
    (non-negative) worker codes using numpy's stable sort, which is a radix sort for 16-bit
    integers (cheaper than ``np.lexsort`` on large logs). Ties in start within a worker
    may come in any order; the union does not depend on it.
    """
    order = np.argsort(s)
    top = int(codes.max()) if codes.size else 0
    shift = 0
    while True:
        digit = ((codes[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
        if top >> shift == 0:
            return order


def union_seconds(
    worker_codes: np.ndarray,
    start_ns: np.ndarray,
    end_ns: np.ndarray,
    gap_ns: int = 0,
    *,
    n_workers: int | None = None,
) -> np.ndarray:
    """Per-worker seconds covered by the union of their [start, end] intervals.

    ``worker_codes``: integer codes 0..k-1 (e.g. from ``pandas.factorize``); ``start_ns`` and
    ``end_ns``: UTC nanoseconds (int64). Rows may come in any order. Intervals of one worker that
    overlap, touch, or are separated by at most ``gap_ns`` merge into one block (the gap counts as
    work). Returns float64 seconds of length ``n_workers`` (default ``max(code) + 1``, so pass
    dense codes, not raw ids); codes with no rows get 0. Sums are exact int64 nanoseconds before the final division.
    """
    codes, s, e = _check_union_arrays(worker_codes, start_ns, end_ns, gap_ns)
    size = int(codes.max()) + 1 if codes.size else 0
    if n_workers is not None:
        if n_workers < size:
            raise InvalidInputError(
                f"n_workers: got {n_workers}; expected at least max(worker_codes) + 1 = {size}"
            )
        size = int(n_workers)
    out = np.zeros(size, dtype=np.int64)
    if codes.size:
        from fairpay.auditing.kernel import union_us  # the audit's union: one definition of worked time

        order = _order_by_worker_then_start(codes, s)
        c = codes[order]
        first = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        # union_us is unit-free: integer nanoseconds in, merged nanoseconds per worker out
        out[c[first]] = union_us(first, s[order], e[order], int(gap_ns))
    return out / _NS


def _idle_gap_removed_ns(
    codes: np.ndarray, s: np.ndarray, e: np.ndarray, merge_gap_ns: int, idle_ns: int, size: int
) -> np.ndarray:
    """Per-worker ns removed by the activity-gap rule: covered stretches without events > idle_ns.

    Events are the starts and ends of a worker's tasks. A stretch between two consecutive events
    is *covered* if a task is open during it, or it is a bridged gap (<= merge gap). Each covered
    stretch counts at most ``idle_ns``; the excess is removed.
    """
    n = codes.size
    t = np.concatenate([s, e])
    c = np.concatenate([codes, codes])
    kind = np.concatenate([np.zeros(n, np.int8), np.ones(n, np.int8)])  # start before end at ties
    delta = np.concatenate([np.ones(n, np.int64), -np.ones(n, np.int64)])
    order = np.lexsort((kind, t, c))
    t, c, delta = t[order], c[order], delta[order]
    open_after = np.cumsum(delta)  # returns to 0 at the end of each worker's events
    same = c[1:] == c[:-1]
    length = t[1:] - t[:-1]
    covered = same & ((open_after[:-1] > 0) | (length <= merge_gap_ns))
    excess = np.where(covered, np.maximum(length - idle_ns, 0), 0)
    return (
        np.bincount(c[1:], weights=excess, minlength=size).astype(np.int64)
        if excess.size
        else np.zeros(size, np.int64)
    )


# --------------------------------------------------------------------------------------------
# timestamps


def to_utc_ns(series: pd.Series, column: str, tz: str | None) -> np.ndarray:
    """UTC nanoseconds (int64) from a timestamp column; refuses naive (without tz), mixed zones, NaT.

    Aware timestamps are converted to UTC whatever ``tz`` says; naive ones are localised to
    ``tz`` (an IANA name such as ``"America/Los_Angeles"``); strings are parsed as ISO 8601.
    """
    import pandas as pd

    s = series
    if s.dtype.kind != "M" and not isinstance(s.dtype, pd.DatetimeTZDtype):
        values = s.tolist()
        zones = {
            str(v.tzinfo) if v.tzinfo is not None else None
            for v in values
            if hasattr(v, "tzinfo") and v is not pd.NaT
        }
        if len(zones) > 1:
            shown = sorted(z or "naive" for z in zones)
            raise InvalidInputError(
                f"column {column!r}: mixed timezones {shown}; expected one timezone per column (convert to UTC first)"
            )
        try:
            s = pd.to_datetime(s, format="ISO8601") if not zones else pd.to_datetime(s)
        except ValueError as exc:
            msg = str(exc)
            if (
                "Mixed timezones" in msg
                or "mixed time zones" in msg.lower()
                or "tz-naive and tz-aware" in msg
            ):
                raise InvalidInputError(
                    f"column {column!r}: mixed timezones (or aware and naive) in one column; expected one timezone per column"
                ) from None
            raise InvalidInputError(
                f"column {column!r}: cannot parse timestamps ({msg.splitlines()[0]}); expected ISO 8601 datetimes"
            ) from None
        except TypeError as exc:
            raise InvalidInputError(
                f"column {column!r}: cannot parse timestamps ({exc}); expected datetimes"
            ) from None
        if s.dtype == object:  # pandas kept objects: mixed offsets
            raise InvalidInputError(
                f"column {column!r}: mixed timezones/offsets in one column; expected one timezone per column"
            )
    nat = np.flatnonzero(s.isna().to_numpy())
    if nat.size:
        i = int(nat[0])
        raise InvalidInputError(
            f"column {column!r}: row {_label(series.index, i)!r} has no timestamp ({nat.size} missing); expected a datetime in every row"
        )
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        if tz is None:
            raise InvalidInputError(
                f"column {column!r}: timestamps have no timezone; pass tz= with the zone the log was written in "
                "(e.g. tz='America/Los_Angeles' or tz='UTC')"
            )
        try:
            s = s.dt.tz_localize(tz)
        except Exception as exc:  # unknown zone, DST-ambiguous or non-existent local times
            raise InvalidInputError(
                f"column {column!r}: cannot localise to tz={tz!r} ({str(exc).splitlines()[0]}); expected an IANA "
                "timezone and unambiguous local times"
            ) from None
    return s.dt.tz_convert("UTC").dt.as_unit("ns").to_numpy(dtype="datetime64[ns]").view(np.int64)


# --------------------------------------------------------------------------------------------
# worked time


@dataclass(frozen=True, eq=False)
class WorkedTime:
    """Per-worker worked seconds: raw sum of durations, interval union, idle removed, final.

    ``per_worker`` columns: ``worker, n_tasks, raw_sum_seconds, union_seconds,
    idle_removed_seconds, worked_seconds`` (worked = union − idle removed). ``overlap_seconds``
    totals raw − union: time that summing durations would have counted twice. ``cap_seconds``
    is the idle cap actually applied (the percentile value, or the gap), else ``None``.
    """

    per_worker: pd.DataFrame
    raw_sum_seconds: float
    union_seconds: float
    overlap_seconds: float
    idle_removed_seconds: float
    worked_seconds: float
    merge_gap_seconds: float
    idle_cap: tuple[str, float] | None
    cap_seconds: float | None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; per-worker rows as a list of records (seconds)."""
        return {
            "raw_sum_seconds": self.raw_sum_seconds,
            "union_seconds": self.union_seconds,
            "overlap_seconds": self.overlap_seconds,
            "idle_removed_seconds": self.idle_removed_seconds,
            "worked_seconds": self.worked_seconds,
            "merge_gap_seconds": self.merge_gap_seconds,
            "idle_cap": list(self.idle_cap) if self.idle_cap else None,
            "cap_seconds": self.cap_seconds,
            "notes": list(self.notes),
            "per_worker": self.per_worker.to_dict(orient="records"),
        }


def _label(index: Any, i: int) -> Any:
    """Row label at position i as a plain Python value (so messages read ``row 12``)."""
    v = index[i]
    return v.item() if isinstance(v, np.generic) else v


def _require_columns(df: Any, **cols: str) -> None:
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InvalidInputError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if df.empty:
        raise InvalidInputError("the log has no rows; expected at least one task")
    for role, name in cols.items():
        if name not in df.columns:
            raise InvalidInputError(
                f"{role} column {name!r} not found; expected one of {list(map(str, df.columns))}"
            )


def _worker_codes(df: pd.DataFrame, worker: str) -> tuple[np.ndarray, Any]:
    import pandas as pd

    w = df[worker]
    missing = np.flatnonzero(w.isna().to_numpy())
    if missing.size:
        raise InvalidInputError(
            f"worker column {worker!r}: row {_label(df.index, int(missing[0]))!r} has no worker id; expected an id in every row"
        )
    codes, labels = pd.factorize(w, sort=True)
    return codes.astype(np.int64), labels


def _parse_idle_cap(idle_cap: Any) -> tuple[str, float] | None:
    if idle_cap is None:
        return None
    ok = isinstance(idle_cap, (tuple, list)) and len(idle_cap) == 2 and idle_cap[0] in ("percentile", "gap")
    if ok:
        kind, v = idle_cap[0], idle_cap[1]
        if not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v):
            if kind == "percentile" and 0 < v <= 100:
                return ("percentile", float(v))
            if kind == "gap" and v > 0:
                return ("gap", float(v))
    raise InvalidInputError(
        f"idle_cap: got {idle_cap!r}; expected None, ('percentile', P) with 0 < P <= 100, or ('gap', seconds > 0)"
    )


def worked_time(
    df: pd.DataFrame,
    *,
    worker: str,
    start: str,
    end: str,
    merge_gap_seconds: float = 0,
    idle_cap: tuple[str, float] | None = None,
    tz: str | None = None,
) -> WorkedTime:
    """Worked seconds per worker from accept/start and submit timestamps in a log DataFrame.

    Worked time is the union of each worker's task intervals (overlapping, touching and
    near-adjacent intervals with gaps <= ``merge_gap_seconds`` merge), so tasks held at once are
    not counted twice. ``idle_cap``:

    * ``("percentile", P)``: cap every task's duration at the P-th percentile of all task
      durations in the log (numpy linear percentile) before the union;
    * ``("gap", S)``: split on inactivity: between consecutive events (a start or a submit) of a
      worker, a covered stretch counts at most S seconds.

    Timestamps must be timezone-aware, or naive with ``tz=``; mixed zones in a column, missing
    timestamps and a submit before its start raise ``InvalidInputError`` naming column and row.
    """
    _require_columns(df, worker=worker, start=start, end=end)
    if (
        isinstance(merge_gap_seconds, bool)
        or not isinstance(merge_gap_seconds, (int, float))
        or not (math.isfinite(merge_gap_seconds) and merge_gap_seconds >= 0)
    ):
        raise InvalidInputError(f"merge_gap_seconds: got {merge_gap_seconds!r}; expected seconds >= 0")
    cap = _parse_idle_cap(idle_cap)
    codes, labels = _worker_codes(df, worker)
    s = to_utc_ns(df[start], start, tz)
    e = to_utc_ns(df[end], end, tz)
    bad = np.flatnonzero(e < s)
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            f"row {_label(df.index, i)!r}: {end!r} ({df[end].iloc[i]}) is before {start!r} ({df[start].iloc[i]}) "
            f"({bad.size} such row(s)); expected submit at or after start"
        )
    gap_ns = int(round(merge_gap_seconds * _NS))
    size = len(labels)
    raw = np.bincount(codes, weights=(e - s).astype(np.float64), minlength=size) / _NS
    n_tasks = np.bincount(codes, minlength=size)
    union = union_seconds(codes, s, e, gap_ns, n_workers=size)
    cap_seconds: float | None = None
    notes: list[str] = []
    if cap is None:
        removed = np.zeros(size)
    elif cap[0] == "percentile":
        cap_ns = int(math.ceil(np.percentile(e - s, cap[1])))  # ceil: never against the worker
        cap_seconds = cap_ns / _NS
        capped = union_seconds(codes, s, np.minimum(e, s + cap_ns), gap_ns, n_workers=size)
        removed = union - capped
        notes.append(f"each task's duration capped at the p{cap[1]:g} of all durations, {cap_seconds:.1f} s")
    else:
        idle_ns = int(round(cap[1] * _NS))
        cap_seconds = cap[1]
        removed = _idle_gap_removed_ns(codes, s, e, gap_ns, idle_ns, size) / _NS
        notes.append(f"stretches of more than {cap[1]:g} s without a start or submit counted as {cap[1]:g} s")
    import pandas as pd

    per = pd.DataFrame(
        {
            "worker": np.asarray(labels),
            "n_tasks": n_tasks,
            "raw_sum_seconds": raw,
            "union_seconds": union,
            "idle_removed_seconds": removed,
            "worked_seconds": union - removed,
        }
    )
    if float(raw.sum() - union.sum()) > 0:
        notes.append(
            f"{raw.sum() - union.sum():.0f} s of overlapping task time counted once (sum of durations would count it twice)"
        )
    return WorkedTime(
        per_worker=per,
        raw_sum_seconds=float(raw.sum()),
        union_seconds=float(union.sum()),
        overlap_seconds=float(raw.sum() - union.sum()),
        idle_removed_seconds=float(removed.sum()),
        worked_seconds=float(union.sum() - removed.sum()),
        merge_gap_seconds=float(merge_gap_seconds),
        idle_cap=cap,
        cap_seconds=cap_seconds,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# self-report vs telemetry


@dataclass(frozen=True, eq=False)
class ReportComparison:
    """Agreement between self-reported and measured seconds, and workers to review by a human.

    ``median_log_ratio`` is the median over tasks of ``ln(reported / measured)`` (0 = agreement;
    ``median_ratio = exp`` of it). ``pearson_log`` / ``spearman_log`` correlate the logs across
    tasks (NaN when either side is constant). ``share_within_25pct``: share of tasks with
    ``0.75 <= reported/measured <= 1.25``. ``per_worker`` columns: ``worker, n_tasks,
    median_log_ratio, median_ratio, robust_z, flag`` where ``robust_z`` is the worker's median log
    ratio minus the median across workers, divided by 1.4826 × MAD across workers. ``flags`` are
    sentences for human review, in both directions, never a penalty.
    """

    n_tasks: int
    n_workers: int
    median_log_ratio: float
    median_ratio: float
    pearson_log: float
    spearman_log: float
    share_within_25pct: float
    threshold: float
    min_tasks: int
    per_worker: pd.DataFrame
    flags: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; per-worker rows as records."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("per_worker", "flags")}
        d["flags"] = list(self.flags)
        d["per_worker"] = self.per_worker.to_dict(orient="records")
        return d


def _positive_seconds(df: pd.DataFrame, column: str) -> np.ndarray:
    col = df[column]
    if col.dtype.kind not in "iuf":
        bad = next(
            (v for v in col.tolist() if not isinstance(v, (int, float)) or isinstance(v, bool)), col.iloc[0]
        )
        raise InvalidInputError(f"column {column!r}: non-numeric value {bad!r}; expected seconds as numbers")
    x = col.to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~(np.isfinite(x) & (x > 0)))
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            f"column {column!r}: row {_label(df.index, i)!r} is {float(x[i])!r}; expected seconds > 0 (a ratio needs both sides positive)"
        )
    return x


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def compare_reports(
    df: pd.DataFrame,
    *,
    worker: str,
    reported: str,
    measured: str,
    threshold: float = 3.5,
    min_tasks: int = 3,
) -> ReportComparison:
    """Compare self-reported with measured task seconds; flag workers for *human review*.

    Works on ``ln(reported / measured)`` per task. A worker is flagged when they have at least
    ``min_tasks`` tasks and ``|robust_z| >= threshold`` (3.5 is the Iglewicz–Hoaglin cut-off for
    modified z-scores). Both directions are flagged: over-reporting *and* under-reporting (which
    usually means the worker's unpaid time, e.g. reading instructions, is missing from telemetry
    or from their report). If the MAD across workers is 0, the mean absolute deviation
    (× 1.2533) is used; if that is 0 too, nobody differs and ``robust_z`` is 0.
    """
    import pandas as pd

    _require_columns(df, worker=worker, reported=reported, measured=measured)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not (math.isfinite(threshold) and threshold > 0)
    ):
        raise InvalidInputError(f"threshold: got {threshold!r}; expected a robust z cut-off > 0, e.g. 3.5")
    if isinstance(min_tasks, bool) or not isinstance(min_tasks, int) or min_tasks < 1:
        raise InvalidInputError(f"min_tasks: got {min_tasks!r}; expected an integer >= 1")
    codes, labels = _worker_codes(df, worker)
    r = _positive_seconds(df, reported)
    m = _positive_seconds(df, measured)
    lr = np.log(r) - np.log(m)
    ratio = r / m
    lr_r, lm_r = np.log(r), np.log(m)
    spearman = _corr(pd.Series(lr_r).rank().to_numpy(), pd.Series(lm_r).rank().to_numpy())
    per = pd.DataFrame({"code": codes, "lr": lr}).groupby("code")["lr"].agg(["size", "median"])
    wmed = per["median"].to_numpy()
    center = float(np.median(wmed))
    mad = float(np.median(np.abs(wmed - center)))
    if mad > 0:
        scale = 1.4826 * mad
    else:
        scale = 1.2533 * float(np.mean(np.abs(wmed - center)))
    z = (wmed - center) / scale if scale > 0 else np.zeros_like(wmed)
    n_w = per["size"].to_numpy()
    flag_col: list[str] = []
    flags: list[str] = []
    for lab, k, med, zz in zip(np.asarray(labels), n_w, wmed, z):
        if k >= min_tasks and abs(zz) >= threshold:
            if zz > 0:
                flag_col.append("over")
                flags.append(
                    f"flag for human review: worker {lab} reports about {math.exp(med):.2f}x the measured time "
                    f"(robust z {zz:+.1f}, {k} tasks); check the telemetry and task first, this is not a penalty"
                )
            else:
                flag_col.append("under")
                flags.append(
                    f"flag for human review: worker {lab} reports about {math.exp(med):.2f}x the measured time "
                    f"(robust z {zz:+.1f}, {k} tasks); telemetry may miss time they worked, or they under-report "
                    "and may be underpaid; this is not a penalty"
                )
        else:
            flag_col.append("")
    per_worker = pd.DataFrame(
        {
            "worker": np.asarray(labels),
            "n_tasks": n_w,
            "median_log_ratio": wmed,
            "median_ratio": np.exp(wmed),
            "robust_z": z,
            "flag": flag_col,
        }
    )
    return ReportComparison(
        n_tasks=int(lr.size),
        n_workers=int(len(labels)),
        median_log_ratio=float(np.median(lr)),
        median_ratio=float(np.exp(np.median(lr))),
        pearson_log=_corr(lr_r, lm_r),
        spearman_log=spearman,
        share_within_25pct=float(np.mean((ratio >= 0.75) & (ratio <= 1.25))),
        threshold=float(threshold),
        min_tasks=int(min_tasks),
        per_worker=per_worker,
        flags=tuple(flags),
    )


# --------------------------------------------------------------------------------------------
# the audit's worked time, per worker, from a platform export


#: How the forecast, the monitor and ``fairpay audit`` measure time: say it in every output.
AUDIT_BASIS = (
    "audited worked time: per worker, the union of accept->submit intervals (tasks held at once "
    "count once), all statuses count as time, paid tasks = approved (+ pending when pending='paid')"
)
#: Per-assignment durations adding up to more than this many times the worked time mean held tasks.
HELD_FACTOR = 1.5


def read_log(
    log: Any,
    *,
    preset: Any = "generic",
    columns: Any = None,
    defaults: Any = None,
) -> pd.DataFrame:
    """A platform log (DataFrame or CSV/Parquet path) as rows ``worker, s_us, e_us, status``.

    Why: the forecast and the monitor must measure what ``fairpay audit`` pays on, so the log is
    read with the audit's presets (column names, MTurk's ``Wed Jan 16 13:42:47 PST 2019`` times,
    status names). A file is read by the one file reader (:func:`fairpay.tables.read.read_frame`:
    BOM, encodings, delimiter, duplicate headers as in the audit). Instants are UTC microseconds,
    as in the audit; naive times are UTC; statuses are canonical (approved / rejected / returned /
    pending). Rows keep the log's order. A row the audit would refuse (no worker, bad time, submit
    before accept, unknown status) raises naming the row (0-based), column and value.

    Differences from the audit, which applies its row rules in its DuckDB view
    (``fairpay.auditing.engine``) and is not called here so that a forecast does not load the audit
    engine: a repeated task row is kept (the audit warns about it); a row with no completion time
    raises here where the audit's preset may set it aside; the place (country) is not read, so a
    withheld country is neither set aside nor refused; implausible times (date only, before the
    platform existed, in the future, too long) are not checked; and a text column mixing zoned and
    naive times is not refused (naive times are read as UTC). On a clean log the two
    read the same rows; ``tests/worktime/test_audited_time.py`` compares them on real batches.
    """
    import pandas as pd

    from fairpay.auditing.presets import get_preset

    p = get_preset(preset)
    frame, source = _log_frame(log)
    mapping = {**p.columns, **dict(columns or {})}
    consts = {**p.defaults, **dict(defaults or {})}
    out: dict[str, Any] = {}
    for canon in ("worker", "started", "submitted", "status"):
        col = mapping.get(canon)
        if col is not None and col in frame.columns:
            out[canon] = frame[col]
        elif canon in consts:
            out[canon] = pd.Series([consts[canon]] * len(frame), index=frame.index)
        else:
            raise InvalidInputError(
                f"{source}: {p.name} log has no column {col or canon!r} ({canon}); columns: "
                f"{', '.join(map(str, frame.columns))} (map it with columns={{'{canon}': 'YourColumn'}})"
            )
    if frame.empty:
        raise InvalidInputError(f"{source}: the log has no rows; expected one row per task")
    worker = out["worker"].astype("string").str.strip()
    missing = np.flatnonzero((worker.isna() | (worker == "")).to_numpy())
    if missing.size:
        i = int(missing[0])
        raise InvalidInputError(
            f"{source}: row {i}, column {mapping.get('worker', 'worker')!r}: no worker id; expected one in every row"
        )
    s_us = _instants_us(out["started"], mapping.get("started", "started"), p, source)
    e_us = _instants_us(out["submitted"], mapping.get("submitted", "submitted"), p, source)
    bad = np.flatnonzero(e_us < s_us)
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            f"{source}: row {i}, column {mapping.get('submitted')!r}, value {out['submitted'].iloc[i]!r}: earlier "
            f"than started ({out['started'].iloc[i]!r}; {bad.size} such row(s))"
        )
    raw_status = out["status"].astype("string").str.strip().str.lower()
    status = raw_status.map(dict(p.statuses))
    unknown = np.flatnonzero(status.isna().to_numpy())
    if unknown.size:
        i = int(unknown[0])
        raise InvalidInputError(
            f"{source}: row {i}, column {mapping.get('status')!r}, value {out['status'].iloc[i]!r}: not a known "
            f"status (expected one of {', '.join(sorted(p.statuses))})"
        )
    return pd.DataFrame(
        {
            "worker": worker.to_numpy(dtype=object),
            "s_us": s_us,
            "e_us": e_us,
            "status": status.to_numpy(dtype=object),
        }
    )


def _log_frame(log: Any) -> tuple[pd.DataFrame, str]:
    import pandas as pd

    if isinstance(log, pd.DataFrame):
        return log.reset_index(drop=True), "log"
    import os
    from pathlib import Path

    if not isinstance(log, (str, os.PathLike)):
        raise InvalidInputError(
            f"log must be a pandas DataFrame or a CSV/Parquet path, not {type(log).__name__}"
        )
    from fairpay.tables.read import read_frame

    path = Path(log)
    return read_frame(path, what="log"), str(path)


def _instants_us(series: pd.Series, column: str, preset: Any, source: str) -> np.ndarray:
    """UTC microseconds as the audit reads them: native timestamps, the preset's format, or ISO 8601."""
    import pandas as pd

    if series.dtype.kind == "M" or isinstance(series.dtype, pd.DatetimeTZDtype):
        parsed = series if isinstance(series.dtype, pd.DatetimeTZDtype) else series.dt.tz_localize("UTC")
    else:
        text = series.astype("string").str.strip()
        if preset.time_format:
            for zone, offset in preset.time_zones.items():
                text = text.str.replace(f" {zone} ", f" {offset} ", regex=False)
            parsed = pd.to_datetime(text, format=preset.time_format, errors="coerce", utc=True)
        else:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        want = f"a time like {preset.time_format!r}" if preset.time_format else "an ISO 8601 time"
        raise InvalidInputError(
            f"{source}: row {i}, column {column!r}, value {series.iloc[i]!r}: not a timestamp; expected {want} "
            f"({bad.size} such row(s))"
        )
    ns = parsed.dt.tz_convert("UTC").dt.as_unit("ns").to_numpy(dtype="datetime64[ns]").view(np.int64)
    return ns // 1000


def audited_time(rows: pd.DataFrame, *, pending: str = "paid", merge_gap_seconds: float = 0) -> pd.DataFrame:
    """Per worker what the audit pays on: ``worker, tasks, paid_tasks, worked_seconds, duration_seconds``.

    ``rows`` come from :func:`read_log`. ``worked_seconds`` is the audit's interval union
    (:func:`fairpay.auditing.kernel.union_us`, gap ``merge_gap_seconds``) over every task the worker
    did; ``paid_tasks`` counts approved tasks, plus pending ones when ``pending="paid"`` (the audit's
    default); ``duration_seconds`` sums accept->submit per task (what MTurk's WorkTimeInSeconds
    adds up to), so ``duration_seconds / worked_seconds`` shows held tasks. Sorted by worker.
    """
    import pandas as pd

    if pending not in ("paid", "unpaid"):
        raise InvalidInputError(f"pending {pending!r} is not 'paid' or 'unpaid'")
    if (
        isinstance(merge_gap_seconds, bool)
        or not isinstance(merge_gap_seconds, (int, float))
        or not (math.isfinite(merge_gap_seconds) and merge_gap_seconds >= 0)
    ):
        raise InvalidInputError(f"merge_gap_seconds {merge_gap_seconds!r}: expected seconds >= 0")
    codes, labels = pd.factorize(rows["worker"], sort=True)
    s = rows["s_us"].to_numpy(dtype=np.int64)
    e = rows["e_us"].to_numpy(dtype=np.int64)
    size = len(labels)
    worked = union_seconds(
        codes.astype(np.int64), s, e, int(round(merge_gap_seconds * 1_000_000)), n_workers=size
    )
    paid_status = ("approved", "pending") if pending == "paid" else ("approved",)
    paid = rows["status"].isin(paid_status).to_numpy()
    return pd.DataFrame(
        {
            "worker": np.asarray(labels, dtype=object),
            "tasks": np.bincount(codes, minlength=size),
            "paid_tasks": np.bincount(codes, weights=paid, minlength=size).astype(np.int64),
            "worked_seconds": worked * 1000.0,  # union_seconds divides by 1e9; these are microseconds
            "duration_seconds": np.bincount(codes, weights=(e - s).astype(np.float64), minlength=size) / 1e6,
        }
    )


def held_tasks_note(times: pd.DataFrame) -> str | None:
    """A line when per-assignment durations exceed worked time by :data:`HELD_FACTOR` or more.

    Why: workers who accept several tasks and work them one after another make per-assignment
    durations (MTurk's WorkTimeInSeconds) add up to several times the time they worked; a rate
    priced from those durations, or a ``fairpay time`` estimate, then disagrees with the audit.
    """
    worked = float(times["worked_seconds"].sum())
    summed = float(times["duration_seconds"].sum())
    if worked <= 0 or summed < HELD_FACTOR * worked:
        return None
    held = times["duration_seconds"] >= HELD_FACTOR * times["worked_seconds"]
    return (
        f"held tasks: per-assignment durations add up to {summed / worked:.1f}x the worked time "
        f"({int(held.sum())} of {len(times)} workers held several tasks at once); times here are "
        "worked time as the audit pays on it, not the sum of per-assignment durations"
    )
