"""Task-time estimates from a pilot: a statistic with a bootstrap CI, coverage, pilot size.

Why: the time per task is the denominator of every effective hourly rate, and it is usually
measured on a small pilot. A single number hides two risks: a *median* leaves half the workers
below the wage (Prolific), and a small pilot gives a noisy estimate. This module returns the
chosen statistic (default ``p75``: pay so the faster 75 % of workers reach the wage, the Appen /
FairTube rule) with a seeded bootstrap confidence interval, warnings about data that looks wrong,
the share of pilot workers a given pay would cover, the pay that covers a given share, and how
many more pilot workers are needed for a target precision.

Units: every time is in **seconds** (float). Pay and bars are plain numbers in one currency the
caller chose (pay per task, bar per hour); this module never converts currencies.

Workers: when a worker id is given and workers did several tasks, each worker's *median* time is
computed first and every statistic, bootstrap and coverage works on those per-worker medians, so
one fast (or slow) worker with many tasks cannot dominate; the bootstrap then resamples workers.

Percentiles use numpy's default definition (``method="linear"``, type 7 of Hyndman & Fan 1996:
linear interpolation between order statistics). ``pay_for_coverage`` deliberately does *not*
interpolate: it uses the higher order statistic so that its promise holds exactly.

Only numpy is imported at module level; pandas objects are recognised without importing pandas.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from fractions import Fraction
from statistics import NormalDist
from typing import Any

import numpy as np

from fairpay.errors import InvalidInputError

__all__ = [
    "TimeEstimate",
    "PilotSizeAdvice",
    "estimate_task_time",
    "coverage",
    "pay_for_coverage",
    "pilot_size_needed",
    "parse_statistic",
    "read_pilot",
    "per_worker_medians",
]

#: Fewer workers (or samples, without worker ids) than this triggers a "too few" warning.
MIN_UNITS = 10
#: "Heavy tail" warning when p95 / median of the analysed times exceeds this ratio.
HEAVY_TAIL_RATIO = 3.0
#: Times below this many seconds count as "near zero" (accidental submits, bots, timer errors) ...
NEAR_ZERO_SECONDS = 5.0
#: ... and a warning is raised when more than this share of the raw samples is near zero.
NEAR_ZERO_SHARE = 0.10
#: Bootstrap statistics are computed in chunks of at most this many resampled values (memory bound).
_BOOT_CHUNK_ELEMENTS = 4_000_000

_PCT_RE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")

Number = int | float | Decimal


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class TimeEstimate:
    """A task-time estimate in seconds, with its bootstrap CI and data warnings.

    ``median``, ``mean``, ``trimmed_mean`` and ``value`` are computed over the analysed units: the
    per-worker medians when ``per_worker`` is true, else the raw samples. ``n`` counts raw samples.
    ``n_workers`` is ``None`` when no worker ids were given (samples are then treated as
    independent, one per worker). ``boot_se`` is the bootstrap standard error of ``value``.
    """

    n: int
    n_workers: int | None
    per_worker: bool
    median: float
    mean: float
    trimmed_mean: float
    trim: float
    statistic: str
    value: float
    ci_low: float
    ci_high: float
    confidence: float
    boot_se: float
    n_boot: int
    seed: int
    warnings: tuple[str, ...] = ()

    @property
    def n_units(self) -> int:
        """Number of independent units resampled by the bootstrap (workers, or samples)."""
        return self.n_workers if self.per_worker and self.n_workers is not None else self.n

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (seconds); ``warnings`` becomes a list."""
        d = asdict(self)
        d["warnings"] = list(self.warnings)
        d["unit"] = "seconds"
        return d


@dataclass(frozen=True)
class PilotSizeAdvice:
    """How precise the pilot's estimate is and how many workers a target precision needs.

    ``rel_half_width_now`` is ``z × boot_se / value`` (normal-approximation half-width of the CI,
    relative to the estimate); ``workers_needed`` is the smallest m with
    ``z × boot_se × sqrt(n/m) <= rel_half_width × value`` (and never below ``MIN_UNITS``).
    """

    statistic: str
    value: float
    n_units: int
    confidence: float
    boot_se: float
    rel_half_width_now: float
    rel_half_width_target: float
    workers_needed: int
    additional_workers: int
    sufficient: bool
    advice: str
    estimate: TimeEstimate

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; the nested estimate is a dict too."""
        d = asdict(self)
        d["estimate"] = self.estimate.to_dict()
        return d


# --------------------------------------------------------------------------------------------
# input handling


def parse_statistic(statistic: str) -> tuple[str, float | None]:
    """Validate a statistic name; return (canonical name, percentile in (0, 100) or None).

    Accepted: ``"median"``, ``"mean"``, ``"trimmed_mean"`` and ``"pNN"`` / ``"pNN.N"`` with
    0 < NN < 100 (e.g. ``"p75"``, ``"p90"``, ``"p97.5"``).
    """
    if not isinstance(statistic, str):
        raise InvalidInputError(
            f"statistic: got {statistic!r}; expected 'median', 'mean', 'trimmed_mean' or 'pNN' such as 'p75'"
        )
    s = statistic.strip().lower()
    if s in ("median", "mean", "trimmed_mean"):
        return s, None
    m = _PCT_RE.match(s)
    if m:
        q = float(m.group(1))
        if 0.0 < q < 100.0:
            return s, q
    raise InvalidInputError(
        f"statistic: got {statistic!r}; expected 'median', 'mean', 'trimmed_mean' or 'pNN' "
        "with 0 < NN < 100, such as 'p75'"
    )


def read_pilot(
    path: Any, column: str = "seconds", worker_column: str | None = None, *, encoding: str | None = None
) -> tuple[list[float], list[str] | None]:
    """The one pilot reader: task times (seconds) and optional worker ids from a pilot CSV/Parquet.

    Read through :func:`fairpay.tables.read.read_table` (BOM, encodings, delimiter, duplicate
    headers as everywhere else; no pandas); every bad row is reported at once by its file line
    number (Parquet: row position), and a time must be a positive, finite number of seconds (an
    empty or null cell is a missing time).
    """
    from fairpay.errors import Failure, InvalidDataError
    from fairpay.tables.read import LINE, read_table

    table = read_table(path, what="pilot", encoding=encoding, lines=True)
    source = f"pilot file {path}"
    label = "line" if str(path).lower().endswith((".csv", ".tsv", ".txt")) else "row"
    cols = [c for c in table.column_names if c != LINE]
    missing = [c for c in (column, worker_column) if c and c not in cols]
    if missing:
        raise InvalidInputError(
            f"{source}: no column {', '.join(map(repr, missing))} (columns: {', '.join(map(str, cols))})"
        )
    values: list[float] = []
    workers: list[str] = []
    problems: list[Failure] = []
    for line, raw_value, wid in zip(
        table.column(LINE).to_pylist(),
        table.column(column).to_pylist(),
        table.column(worker_column).to_pylist() if worker_column else [None] * table.num_rows,
    ):
        raw = str(raw_value).strip() if raw_value is not None else ""
        try:
            v = float(raw)
        except ValueError:
            v = math.nan
        if not (0 < v < math.inf):
            why = "a time is required" if not raw else "not a positive number of seconds"
            problems.append(Failure(int(line), column, raw or None, "not_seconds", why, label))
            continue
        values.append(v)
        if worker_column:
            w = str(wid).strip() if wid is not None else ""
            if not w:
                problems.append(Failure(int(line), worker_column, None, "required", "empty worker id", label))
            workers.append(w)
    if problems:
        raise InvalidDataError(source, problems)
    if not values:
        raise InvalidInputError(f"{source}: no rows; expected one row per task with {column!r} in seconds")
    return values, (workers if worker_column else None)


def _is_pandas(obj: Any, kind: str) -> bool:
    """True if obj is a pandas ``kind`` (DataFrame/Series) — without importing pandas."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, getattr(pd, kind))


def _as_float_array(values: Any, field: str) -> np.ndarray:
    """Convert seconds to a 1-D float array, refusing non-numeric, NaN, infinite and negative."""
    if _is_pandas(values, "Series"):
        if values.dtype.kind in "iuf":
            arr = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = _as_float_array(values.tolist(), field)
    else:
        arr = _sequence_floats(values, field)
    _check_durations(arr, field)
    return arr


def _sequence_floats(values: Any, field: str) -> np.ndarray:
    """A sequence (list, tuple, array, iterable) of seconds as floats, refusing a single value, a
    table (2-D) and items that are not numbers, so a wrong argument is named instead of being
    silently cast or raising numpy's own error."""
    if isinstance(values, (str, bytes)) or np.isscalar(values):
        raise InvalidInputError(f"{field}: got a single value {values!r}; expected a sequence of seconds")
    raw = values if isinstance(values, np.ndarray) else np.asarray(list(values), dtype=object)
    if raw.ndim != 1:
        raise InvalidInputError(
            f"{field}: got an array of shape {raw.shape}; expected a 1-D sequence of seconds"
        )
    if raw.dtype.kind not in "iuf":
        _check_number_items(raw.tolist(), field)
    return raw.astype(float)


def _check_number_items(items: list[Any], field: str) -> None:
    """Every item is a number (not text, None or a bool), naming the first that is not.

    Why two passes: a value that is not a number even as text (``'abc'`` in a CSV column) is the
    likelier mistake and is named first, before a missing value or a number given as text.
    """
    for i, v in enumerate(items):
        if isinstance(v, str):
            try:
                float(v)
            except ValueError:
                raise InvalidInputError(f"{field}: item {i} is {v!r}; expected seconds as a number") from None
    for i, v in enumerate(items):
        if v is None:
            raise InvalidInputError(f"{field}: item {i} is missing (None); expected seconds as a number")
        if isinstance(v, (bool, np.bool_)) or not isinstance(
            v, (int, float, Decimal, np.integer, np.floating)
        ):
            raise InvalidInputError(f"{field}: item {i} is {v!r}; expected seconds as a number")


def _check_durations(arr: np.ndarray, field: str) -> None:
    """The times are measured durations: some, all finite, none negative and not all 0 (all 0 is
    a timer or a column mix-up, and would make every statistic 0 s)."""
    if arr.size == 0:
        raise InvalidInputError(f"{field}: no times given; expected at least 2 durations in seconds")
    bad_nan = np.flatnonzero(~np.isfinite(arr))
    if bad_nan.size:
        i = int(bad_nan[0])
        raise InvalidInputError(
            f"{field}: item {i} is {float(arr[i])!r} ({bad_nan.size} non-finite value(s)); expected finite seconds"
        )
    neg = np.flatnonzero(arr < 0)
    if neg.size:
        i = int(neg[0])
        raise InvalidInputError(f"{field}: item {i} is {float(arr[i])!r} seconds; expected a duration >= 0")
    if not np.any(arr > 0):
        raise InvalidInputError(
            f"{field}: all {arr.size} times are 0 seconds; expected measured durations (check the timer/columns)"
        )


def _prepare(
    samples: Any, worker: Any, column: str | None, worker_column: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return (raw seconds, analysed units, worker codes or None) after validation.

    Units are per-worker medians when worker ids are given, else the raw samples.
    """
    field = "samples"
    if _is_pandas(samples, "DataFrame"):
        samples, worker, field = _frame_columns(samples, worker, column, worker_column)
    elif column is not None or worker_column is not None:
        raise InvalidInputError("column= and worker_column= apply only when samples is a pandas DataFrame")

    times = _as_float_array(samples, field)
    if worker is None:
        if times.size < 2:
            raise InvalidInputError(
                f"{field}: got {times.size} time; expected at least 2 to estimate uncertainty"
            )
        return times, times, None

    wk = worker.tolist() if _is_pandas(worker, "Series") else list(worker)
    if len(wk) != times.size:
        raise InvalidInputError(f"worker: got {len(wk)} ids for {times.size} times; expected one id per time")
    for i, w in enumerate(wk):
        if w is None or (isinstance(w, float) and math.isnan(w)):
            raise InvalidInputError(f"worker: item {i} is missing; expected a worker id for every time")
    try:
        _, codes = np.unique(np.asarray([str(w) for w in wk]), return_inverse=True)
    except TypeError as exc:  # pragma: no cover - str() always works
        raise InvalidInputError(f"worker: ids cannot be compared ({exc})") from None
    codes = codes.ravel()
    units = per_worker_medians(times, codes)
    if units.size < 2:
        raise InvalidInputError(
            f"worker: all {times.size} times come from {units.size} worker; expected at least 2 workers"
        )
    return times, units, codes


def _frame_columns(
    frame: Any, worker: Any, column: str | None, worker_column: str | None
) -> tuple[Any, Any, str]:
    """(seconds, worker ids, field name for messages) picked from a pilot DataFrame by ``column``
    and ``worker_column``: a frame has no obvious seconds column, and worker ids come from one
    place only (``worker=`` or ``worker_column=``)."""
    if column is None:
        raise InvalidInputError(
            f"samples is a DataFrame with columns {list(map(str, frame.columns))}; pass column= naming the seconds column"
        )
    if column not in frame.columns:
        raise InvalidInputError(
            f"column {column!r} not found; expected one of {list(map(str, frame.columns))}"
        )
    if worker_column is not None:
        if worker is not None:
            raise InvalidInputError("give either worker= or worker_column=, not both")
        if worker_column not in frame.columns:
            raise InvalidInputError(
                f"worker_column {worker_column!r} not found; expected one of {list(map(str, frame.columns))}"
            )
        worker = frame[worker_column]
    return frame[column], worker, f"column {column!r}"


def per_worker_medians(times: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Median seconds per worker, vectorised; ``codes`` are 0..k-1 with every code present.

    Returns k medians ordered by code (the mean of the two middle times for an even count), so
    one worker with many tasks contributes one value. Used by ``estimate_task_time`` and by
    callers that need the per-worker times themselves (e.g. coverage in ``fairpay.prelaunch.check``).
    """
    order = np.lexsort((times, codes))
    t = times[order]
    c = codes[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    counts = np.diff(np.r_[starts, c.size])
    lo = starts + (counts - 1) // 2
    hi = starts + counts // 2
    return (t[lo] + t[hi]) / 2.0


def _trimmed_mean_sorted(sorted_rows: np.ndarray, trim: float) -> np.ndarray:
    """Mean after cutting ``floor(trim × n)`` values from each end of each (sorted) row."""
    n = sorted_rows.shape[-1]
    k = int(math.floor(trim * n))
    return sorted_rows[..., k : n - k].mean(axis=-1)


def _stat(rows: np.ndarray, name: str, q: float | None, trim: float) -> np.ndarray:
    """The statistic along the last axis of ``rows``."""
    if q is not None:
        return np.percentile(rows, q, axis=-1)
    if name == "median":
        return np.median(rows, axis=-1)
    if name == "mean":
        return rows.mean(axis=-1)
    return _trimmed_mean_sorted(np.sort(rows, axis=-1), trim)


def _check_common(confidence: float, n_boot: int, trim: float, seed: int) -> None:
    if not isinstance(confidence, (int, float)) or not 0.0 < float(confidence) < 1.0:
        raise InvalidInputError(
            f"confidence: got {confidence!r}; expected a probability strictly between 0 and 1, e.g. 0.95"
        )
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 100:
        raise InvalidInputError(
            f"n_boot: got {n_boot!r}; expected an integer >= 100 (2000 is a good default)"
        )
    if not isinstance(trim, (int, float)) or not 0.0 <= float(trim) < 0.5:
        raise InvalidInputError(f"trim: got {trim!r}; expected a share cut from each end, 0 <= trim < 0.5")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InvalidInputError(f"seed: got {seed!r}; expected an integer")


# --------------------------------------------------------------------------------------------
# estimate


def estimate_task_time(
    samples: Any,
    *,
    worker: Sequence[Any] | Any = None,
    column: str | None = None,
    worker_column: str | None = None,
    statistic: str = "p75",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    trim: float = 0.1,
) -> TimeEstimate:
    """Estimate seconds per task from pilot times, with a seeded percentile-bootstrap CI.

    ``samples``: seconds as a list, numpy array, pandas Series, or a DataFrame with ``column=``
    (and optionally ``worker_column=``). ``worker``: one id per sample (not with a DataFrame).
    With worker ids, per-worker medians are analysed and the bootstrap resamples workers.
    ``statistic``: ``"p75"`` (default), any ``"pNN"``, ``"median"``, ``"mean"`` or
    ``"trimmed_mean"`` (``trim`` cut from *each* end, like ``scipy.stats.trim_mean``).
    The CI is the percentile bootstrap over ``n_boot`` resamples drawn with
    ``numpy.random.default_rng(seed)``: same input and seed, same result.
    Raises ``InvalidInputError`` for empty, non-numeric, NaN/infinite, negative or all-zero times.
    """
    name, q = parse_statistic(statistic)
    _check_common(confidence, n_boot, trim, seed)
    trim = float(trim)
    times, units, codes = _prepare(samples, worker, column, worker_column)

    units = np.sort(units)  # canonical order: the CI does not depend on row order or id labels
    value = float(_stat(units, name, q, trim))
    boot = _bootstrap(units, name, q, trim, int(n_boot), int(seed))
    alpha = 1.0 - float(confidence)
    ci_low, ci_high = (float(x) for x in np.percentile(boot, [100 * alpha / 2, 100 * (1 - alpha / 2)]))

    per_worker = codes is not None
    n_workers = int(units.size) if per_worker else None
    sorted_units = units
    median = float(np.median(units))
    warnings = _warnings(times, units, per_worker, median)
    return TimeEstimate(
        n=int(times.size),
        n_workers=n_workers,
        per_worker=per_worker,
        median=median,
        mean=float(units.mean()),
        trimmed_mean=float(_trimmed_mean_sorted(sorted_units, trim)),
        trim=trim,
        statistic=name,
        value=value,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=float(confidence),
        boot_se=float(boot.std(ddof=1)),
        n_boot=int(n_boot),
        seed=int(seed),
        warnings=tuple(warnings),
    )


def _bootstrap(
    units: np.ndarray, name: str, q: float | None, trim: float, n_boot: int, seed: int
) -> np.ndarray:
    """``n_boot`` bootstrap replicates of the statistic, resampling units with replacement."""
    rng = np.random.default_rng(seed)
    n = units.size
    out = np.empty(n_boot)
    step = max(1, _BOOT_CHUNK_ELEMENTS // n)
    for lo in range(0, n_boot, step):
        hi = min(n_boot, lo + step)
        idx = rng.integers(0, n, size=(hi - lo, n))
        out[lo:hi] = _stat(units[idx], name, q, trim)
    return out


def _warnings(times: np.ndarray, units: np.ndarray, per_worker: bool, median: float) -> list[str]:
    """Plain-language warnings: too few units, heavy right tail, many near-zero raw times."""
    out: list[str] = []
    what = "workers" if per_worker else "samples"
    if units.size < MIN_UNITS:
        out.append(
            f"too few {what}: {units.size} (< {MIN_UNITS}); the interval is unreliable, run a larger pilot"
        )
    p95 = float(np.percentile(units, 95))
    if median > 0 and p95 / median > HEAVY_TAIL_RATIO:
        out.append(
            f"heavy tail: p95 ({p95:.1f} s) is {p95 / median:.1f}x the median ({median:.1f} s), above "
            f"{HEAVY_TAIL_RATIO:g}x; check for interrupted or idle runs before trusting the mean"
        )
    elif median == 0:
        out.append("heavy tail: the median time is 0 s; check the timer before trusting any statistic")
    share = float(np.mean(times < NEAR_ZERO_SECONDS))
    if share > NEAR_ZERO_SHARE:
        out.append(
            f"many near-zero times: {share:.0%} of samples are under {NEAR_ZERO_SECONDS:g} s "
            f"(> {NEAR_ZERO_SHARE:.0%}); check for accidental submits, bots or timer errors"
        )
    return out


# --------------------------------------------------------------------------------------------
# coverage


def _dec_fraction(x: float | int | Decimal) -> Fraction:
    """Exact value of a number *as written*: a float means its shortest repr (0.3 is 3/10)."""
    if isinstance(x, float):
        return Fraction(Decimal(repr(x)))
    return Fraction(x)


def _exact(x: Number, field: str, *, positive: bool) -> Fraction:
    """An exact Fraction for a money or seconds amount, refusing NaN, inf, negative (or zero).

    Floats are read as the decimal they print as (``0.3`` is exactly 3/10), so an amount a user
    typed compares exactly as typed.
    """
    if isinstance(x, bool) or not isinstance(x, (int, float, Decimal, np.integer, np.floating)):
        raise InvalidInputError(f"{field}: got {x!r}; expected a number")
    if isinstance(x, (np.integer, np.floating)):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        raise InvalidInputError(f"{field}: got {x!r}; expected a finite number")
    if isinstance(x, Decimal) and not x.is_finite():
        raise InvalidInputError(f"{field}: got {x!r}; expected a finite number")
    f = _dec_fraction(x)
    if f < 0 or (positive and f == 0):
        raise InvalidInputError(f"{field}: got {x!r}; expected a number {'>' if positive else '>='} 0")
    return f


def worker_times(times: Any, worker: Any, column: str | None, worker_column: str | None) -> np.ndarray:
    """Per-worker median seconds (or raw seconds when no worker ids are given)."""
    _, units, _ = _prepare(times, worker, column, worker_column)
    return units


def coverage(
    times: Any,
    pay_per_task: Number,
    bar_hourly: Number,
    *,
    overhead_seconds: Number = 0,
    worker: Sequence[Any] | Any = None,
    column: str | None = None,
    worker_column: str | None = None,
) -> float:
    """Share (0..1) of pilot workers whose own time earns at least ``bar_hourly``.

    A worker's effective hourly rate is ``pay_per_task × 3600 / (t + overhead_seconds)`` with
    ``t`` their time in seconds (their median when worker ids are given); reaching the bar
    *exactly* counts as reaching it, and the comparison is exact (no float rounding against the
    worker). ``pay_per_task`` and ``bar_hourly`` must be in the same currency.
    """
    pay = _exact(pay_per_task, "pay_per_task", positive=False)
    bar = _exact(bar_hourly, "bar_hourly", positive=True)
    over = _exact(overhead_seconds, "overhead_seconds", positive=False)
    t = worker_times(times, worker, column, worker_column)
    total = t + float(over)
    # pay*3600 >= bar*(t+o)  <=>  t+o <= pay*3600/bar ; floats first, exact check at the border.
    exact_limit = pay * 3600 / bar
    limit = float(exact_limit)
    reaches = total <= limit
    border = np.flatnonzero(np.abs(total - limit) <= 1e-9 * max(1.0, abs(limit)))
    for i in border:
        reaches[i] = _dec_fraction(float(t[i])) + over <= exact_limit
    return float(np.mean(reaches))


def pay_for_coverage(
    times: Any,
    bar_hourly: Number,
    share: float,
    *,
    overhead_seconds: Number = 0,
    worker: Sequence[Any] | Any = None,
    column: str | None = None,
    worker_column: str | None = None,
) -> float:
    """Per-task pay so that at least ``share`` of pilot workers reach ``bar_hourly``.

    Returns ``bar_hourly × T_(k) / 3600`` where ``T = t + overhead_seconds`` sorted ascending and
    ``k = ceil(share × n)`` (1-based): the *higher* order statistic, never an interpolated
    quantile, so ``coverage(times, result, bar) >= share`` holds exactly. The float is rounded
    *up* from the exact value (it is never below it, also as printed); round it up again to the currency's minor
    unit before paying. Same currency as ``bar_hourly``; ``share`` in (0, 1].
    """
    bar = _exact(bar_hourly, "bar_hourly", positive=True)
    over = _exact(overhead_seconds, "overhead_seconds", positive=False)
    if isinstance(share, bool) or not isinstance(share, (int, float, Decimal)) or not 0 < share <= 1:
        raise InvalidInputError(f"share: got {share!r}; expected a share of workers in (0, 1], e.g. 0.75")
    t = np.sort(worker_times(times, worker, column, worker_column))
    n = t.size
    # Decimal(repr()) keeps 0.7 as 7/10, so 0.7 × 10 is exactly 7 (float would give 7.000000000000001).
    k = math.ceil(Decimal(repr(share) if isinstance(share, float) else str(share)) * n)
    k = min(max(k, 1), n)
    exact = bar * (_dec_fraction(float(t[k - 1])) + over) / 3600
    out = float(exact)
    while _dec_fraction(out) < exact:  # at most a step or two: never below the exact pay
        out = float(np.nextafter(out, math.inf))
    return out


# --------------------------------------------------------------------------------------------
# pilot size


def pilot_size_needed(
    samples: Any,
    *,
    statistic: str = "p75",
    rel_half_width: float = 0.1,
    confidence: float = 0.95,
    seed: int = 0,
    n_boot: int = 2000,
    worker: Sequence[Any] | Any = None,
    column: str | None = None,
    worker_column: str | None = None,
) -> PilotSizeAdvice:
    """How many pilot workers give the statistic within ±``rel_half_width`` (relative) of itself.

    The bootstrap standard error shrinks like ``1/sqrt(n)``: with ``n`` workers now and SE ``se``,
    ``m`` workers give a half-width of about ``z × se × sqrt(n/m)``, with ``z`` the normal quantile
    for ``confidence``. ``workers_needed = max(MIN_UNITS, ceil(n × (z × se / (r × value))²))``.
    It is a projection from the pilot itself: re-run it after the larger pilot.
    """
    if (
        isinstance(rel_half_width, bool)
        or not isinstance(rel_half_width, (int, float))
        or not 0 < rel_half_width < 1
    ):
        raise InvalidInputError(
            f"rel_half_width: got {rel_half_width!r}; expected a relative precision in (0, 1), e.g. 0.1 for ±10 %"
        )
    est = estimate_task_time(
        samples,
        worker=worker,
        column=column,
        worker_column=worker_column,
        statistic=statistic,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
    )
    if est.value <= 0:
        raise InvalidInputError(
            f"statistic {est.statistic!r} is 0 s, so a relative precision is undefined; choose a higher percentile"
        )
    n = est.n_units
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    now = z * est.boot_se / est.value
    needed = max(MIN_UNITS, math.ceil(n * (now / rel_half_width) ** 2 - 1e-9))
    sufficient = now <= rel_half_width and n >= MIN_UNITS
    needed = max(needed, n) if sufficient else needed
    extra = max(0, needed - n)
    who = "workers" if est.per_worker else "samples (no worker ids)"
    head = (
        f"With {n} {who}, {est.statistic} = {est.value:.1f} s is known to about ±{now:.0%} "
        f"({confidence:.0%} confidence)"
    )
    if n < MIN_UNITS:  # a bootstrap over a handful of units understates (2 equal times: "±0 %")
        head = (
            f"With only {n} {who}, {est.statistic} = {est.value:.1f} s has an unknown precision "
            f"(fewer than {MIN_UNITS}: a bootstrap over so few understates it)"
        )
    if sufficient:
        advice = f"{head}: within the ±{rel_half_width:.0%} target, the pilot is large enough."
    else:
        advice = (
            f"{head}: for ±{rel_half_width:.0%} run the pilot with about {needed} workers "
            f"({extra} more), then re-estimate."
        )
    return PilotSizeAdvice(
        statistic=est.statistic,
        value=est.value,
        n_units=n,
        confidence=float(confidence),
        boot_se=est.boot_se,
        rel_half_width_now=now,
        rel_half_width_target=float(rel_half_width),
        workers_needed=needed,
        additional_workers=extra,
        sufficient=sufficient,
        advice=advice,
        estimate=est,
    )
