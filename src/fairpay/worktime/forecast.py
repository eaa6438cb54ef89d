"""Forecast, from a pilot, the share of production workers whose *audited* wage falls below a bar.

Why: ``fairpay audit`` pays on each worker's worked time (the union of their accept->submit
intervals) divided into what they were paid, so that is what a pre-launch forecast must predict.
A pilot's per-assignment durations overstate worked time when workers hold several tasks at once
(on real MTurk batches 2.6-3.2x), and pricing at the pooled median claims "half below" whatever
the workers actually earn.

Model (simple on purpose; measured leave-one-batch-out by ``benchmarks/forecast_eval.py``):

1. Each pilot worker's seconds per *paid* task: worked seconds / paid tasks (a worker with no
   paid task earns nothing: always below). Every worker counts once.
2. A smoothed bootstrap over workers in log time (logistic kernel, variance-preserving), so a
   rate beyond the slowest pilot worker does not claim "nobody below".
3. Pilot-to-production drift: production's log times are the pilot's shifted by ``delta``, a
   Student-t variable whose scale was measured on real batches (:data:`DRIFT`; each batch's drift
   = change of the median log seconds per paid task from pilot to production, in units of the
   pilot's spread between workers). The interval mixes the bootstrap with this drift, so it does
   not narrow to nothing as the pilot grows.

No learning curve: on the real batches a within-worker learning step did not lower
leave-one-batch-out error, and on small pilots it moved forecasts the wrong way.

Fewer than :data:`MIN_WORKERS` pilot workers, no spread at all, or fewer than that many paid
workers is a *degenerate* pilot: no point estimate (``share_below`` is None), the interval is
[0, 1], and no rate is recommended.

Units: seconds; ``rate`` is money per task and ``bar`` money per hour in the same currency. A
worker is below the bar when ``rate * paid_tasks * 3600 / worked_seconds < bar``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from statistics import NormalDist
from typing import Any

from fairpay.errors import InvalidInputError

__all__ = [
    "DRIFT",
    "MIN_WORKERS",
    "CoverageForecast",
    "Drift",
    "ForecastWarning",
    "break_even_seconds",
    "forecast_coverage",
]

MIN_WORKERS = 5
"""Below this many pilot workers the spread between workers cannot be estimated."""

MAX_RESAMPLE = 2000
"""Bootstrap replicates resample at most this many workers (memory: replicates x this x 8 bytes).

Larger pilots or production logs are resampled m-out-of-n: the replicates then vary more than the
full sample would, so the interval errs wide (the drift term dominates at that size anyway); the
point forecast always uses every worker.
"""

_TIE_TOLERANCE = 1e-9
"""Relative tolerance: a worker earning the bar up to float rounding is *at* the bar, not below."""


@dataclass(frozen=True)
class Drift:
    """Pilot-to-production drift of log seconds per paid task: ``delta ~ scale x t(df)``.

    ``relative``: ``scale`` is in units of the pilot's spread between workers (robust SD of their
    log times), so a batch whose workers all take about the same time gets a proportionally small
    shift; else ``scale`` is in log seconds. ``scale`` is the root mean square of the drifts
    measured on ``df`` real batches (zero mean assumed: on the shared batches the mean was close to
    0); a Student t with ``df`` degrees of freedom is the predictive law of the next batch's drift
    from ``df`` observed ones (few batches give heavy tails). The measured drifts still carry the
    sampling of pilot workers, which the bootstrap also carries: the interval errs wide.
    ``source`` says where the figure comes from.
    """

    scale: float
    df: int
    source: str
    relative: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.scale) and self.scale >= 0):
            raise InvalidInputError(f"drift scale {self.scale!r}: expected log seconds >= 0")
        if int(self.df) != self.df or self.df < 1:
            raise InvalidInputError(f"drift df {self.df!r}: expected a whole number of batches >= 1")


DRIFT = Drift(
    scale=0.28,
    df=6,
    relative=True,
    source=(
        "benchmarks/forecast_eval.py --drift: RMS over the six shared MTurk batches (../shared/real_logs/"
        "mturk) and pilots of 5/10/20 % of assignments of the change in the median log (worked seconds "
        "per paid task) from pilot to production workers, in units of the pilot's robust spread between "
        "workers (0.281); measured 2026-12-06"
    ),
)
"""Pilot -> production drift used by default (an estimate from six real batches, labelled so)."""

MONITOR_DRIFT = Drift(
    scale=0.29,
    df=6,
    relative=True,
    source=(
        "benchmarks/forecast_eval.py --drift: RMS over the six shared MTurk batches of the change in "
        "the median log (worked seconds per paid task) from the first 10/20/30 % of production to all "
        "of production, in units of the spread between workers so far (0.289); measured 2026-12-06"
    ),
)
"""Drift from part of production to all of it (the monitor's residual drift), same method."""


class ForecastWarning(UserWarning):
    """The pilot cannot support a confident forecast (too few workers, no spread, ...)."""


def break_even_seconds(rate: Any, bar: Any, overhead_seconds: Any = 0) -> float:
    """Seconds per paid task at which ``rate`` per task pays exactly ``bar`` per hour.

    ``rate * 3600 / bar - overhead_seconds``: the one definition of the forecast threshold (a
    worker slower than this is below the bar). Unpaid seconds per task (``overhead_seconds``)
    enter by lowering it.
    """
    r = _positive(rate, "rate")
    b = _positive(bar, "bar")
    try:
        o = float(overhead_seconds)
    except (TypeError, ValueError):
        raise InvalidInputError(f"overhead {overhead_seconds!r}: expected seconds >= 0") from None
    if not (math.isfinite(o) and o >= 0):
        raise InvalidInputError(f"overhead {overhead_seconds!r}: expected seconds >= 0")
    return r * 3600.0 / b - o  # +inf when the rate is beyond float range: nobody paid is below


@dataclass(frozen=True)
class _Model:
    """Log seconds per paid task per pilot worker, bootstrap replicates and drift draws.

    The point model is every pilot worker, no drift: ``point_centers`` (W,) log seconds (+inf: no
    paid task) with kernel scale ``point_scale``. Replicates resample workers, each with its own
    drift draw: ``centers`` (B, m), ``scales`` (B,), ``shift`` (B,) log seconds.
    """

    point_centers: Any
    point_scale: float
    centers: Any
    scales: Any
    shift: Any
    n_workers: int
    degenerate: bool

    def shares(self, threshold_seconds: float) -> Any:
        """Predicted share slower than ``threshold_seconds``: the point first, then each replicate."""
        import numpy as np

        if threshold_seconds <= 0:
            return np.ones(1 + self.centers.shape[0])
        log_t = math.log(threshold_seconds * (1.0 + _TIE_TOLERANCE))
        point = _tail(self.point_centers[None, :], np.array([self.point_scale]), np.zeros(1), log_t)
        return np.concatenate([point, _tail(self.centers, self.scales, self.shift, log_t)])


def _tail(centers: Any, scales: Any, shift: Any, log_t: float) -> Any:
    """Per row, the mean logistic tail above ``log_t`` (a center at +inf is always above)."""
    import numpy as np

    with np.errstate(invalid="ignore", over="ignore"):
        z = (centers + shift[:, None] - log_t) / scales[:, None]
    tail = np.where(np.isinf(centers), 1.0, 0.5 * (1.0 + np.tanh(0.5 * np.nan_to_num(z))))
    return tail.mean(axis=1)


@dataclass(frozen=True)
class CoverageForecast:
    """Predicted share of production workers whose audited effective wage falls below the bar.

    ``share_below`` (None for a degenerate pilot) and ``interval`` are fractions in [0, 1].
    ``baseline_share`` is the naive pooled-task share (what pricing at a pooled quantile claims);
    ``effects`` lists ``(name, shift in percentage points)`` from it to the forecast.
    ``threshold_seconds``: seconds per paid task above which a worker is below the bar.
    ``basis`` says which time the forecast is about.
    """

    share_below: float | None
    interval: tuple[float, float]
    level: float
    rate: float
    bar: float
    threshold_seconds: float
    baseline_share: float
    effects: list[tuple[str, float]]
    n_workers: int
    n_tasks: int
    basis: str
    drift: Drift
    degenerate: bool
    warnings: list[str]
    _model: _Model = field(repr=False, compare=False)

    def share_at(self, rate: float) -> float | None:
        """Point forecast of the share below the bar at another per-task ``rate`` (None if degenerate)."""
        if self.degenerate:
            return None
        return float(self._model.shares(break_even_seconds(rate, self.bar))[0])

    def interval_at(self, rate: float) -> tuple[float, float]:
        """Interval (at ``level``) for the share below the bar at another per-task ``rate``."""
        shares = self._model.shares(break_even_seconds(rate, self.bar))
        return _interval(shares, self.level, self.degenerate)

    def rate_for_share(self, target: float, *, bound: str = "point", step: Decimal | str = "0.01") -> Decimal:
        """Smallest per-task rate whose forecast share below the bar is at most ``target``.

        ``bound="upper"`` uses the interval's upper end instead of the point forecast (safer for
        workers). Rounded UP to ``step`` (the currency's minor unit), never against the worker.
        A degenerate pilot has no such rate (raises).
        """
        target = float(target)
        if not (0.0 < target < 1.0):
            raise InvalidInputError(f"target share {target!r}: expected a fraction in (0, 1)")
        if bound not in ("point", "upper"):
            raise InvalidInputError(f"bound {bound!r}: expected 'point' or 'upper'")
        step_d = Decimal(str(step))
        if not step_d.is_finite() or step_d <= 0:
            raise InvalidInputError(f"step {step!r}: expected a positive amount such as '0.01'")
        if self.degenerate:
            raise InvalidInputError(
                f"the pilot is degenerate ({'; '.join(self.warnings) or 'too small'}): no rate can be "
                f"recommended; run a pilot with at least {MIN_WORKERS} paid workers"
            )

        def value(threshold: float) -> float:
            shares = self._model.shares(threshold)
            return float(shares[0]) if bound == "point" else _interval(shares, self.level, False)[1]

        import numpy as np

        m = self._model
        finite = m.point_centers[np.isfinite(m.point_centers)]
        floor = float(np.mean(np.isinf(m.point_centers)))  # workers paid nothing stay below at any rate
        if bound == "upper":
            floor = float(np.quantile(np.mean(np.isinf(m.centers), axis=1), 1 - (1 - self.level) / 2))
        if floor > target:
            raise InvalidInputError(
                f"{floor:.0%} of pilot workers were paid for no task, so no rate brings the {bound} "
                f"share below {target:.0%}"
            )
        spread = max(float(m.scales.max()), m.point_scale) * 60.0 + float(np.abs(m.shift).max())
        finite = np.concatenate([finite, m.centers[np.isfinite(m.centers)].ravel()])
        lo = math.exp(float(finite.min()) - spread)
        hi = math.exp(float(finite.max()) + spread)
        if value(hi) > target:
            raise InvalidInputError(
                f"no rate brings the {bound} share below {target:.0%} with {self.n_workers} pilot workers; "
                "run a larger pilot or choose a higher target"
            )
        if value(lo) <= target:
            hi = lo
        else:
            for _ in range(200):  # bisection in log time; the share falls as time rises
                mid = math.sqrt(lo * hi)
                if value(mid) > target:
                    lo = mid
                else:
                    hi = mid
                if hi / lo - 1.0 < 1e-12:
                    break
        exact = Decimal(repr(hi)) * Decimal(repr(self.bar)) / 3600
        return (exact / step_d).to_integral_value(rounding=ROUND_CEILING) * step_d

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready summary: fractions, seconds, percentage points; no Infinity or NaN."""
        return {
            "basis": self.basis,
            "share_below": _finite(self.share_below),
            "interval": [_finite(v) for v in self.interval],
            "level": self.level,
            "rate": _finite(self.rate),
            "bar": _finite(self.bar),
            "threshold_seconds": _finite(self.threshold_seconds),
            "baseline_share": _finite(self.baseline_share),
            "effects": [[name, _finite(shift)] for name, shift in self.effects],
            "n_workers": self.n_workers,
            "n_tasks": self.n_tasks,
            "degenerate": self.degenerate,
            "drift": {
                "scale": self.drift.scale,
                "unit": "spread between workers" if self.drift.relative else "log seconds",
                "df": self.drift.df,
                "source": self.drift.source,
            },
            "warnings": list(self.warnings),
        }


def _finite(x: float | None) -> float | None:
    """A float that JSON can carry (None for missing, infinite or NaN)."""
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


#: Basis of a pilot given as per-task seconds (no timestamps, so overlaps cannot be seen).
DURATION_BASIS = (
    "per-task seconds summed per worker (no timestamps: tasks held at once would be counted twice; "
    "pass the log with a preset to forecast on the audit's worked time)"
)


def forecast_coverage(
    pilot: Any,
    rate: float,
    bar: float,
    *,
    seconds_column: str = "seconds",
    worker_column: str = "worker_id",
    level: float = 0.9,
    n_boot: int = 1000,
    seed: int = 0,
    drift: Drift | None = DRIFT,
    production_workers: int | None = None,
    basis: str | None = None,
) -> CoverageForecast:
    """Forecast the share of production workers whose audited effective wage will be below ``bar``.

    ``pilot`` is either per-worker times as :func:`fairpay.worktime.durations.audited_time` returns
    them (columns ``worker``, ``worked_seconds``, ``paid_tasks``: the audit's basis), or one row per
    task with ``seconds_column`` and ``worker_column`` (durations summed per worker, every task
    paid): a DataFrame, a mapping of columns, or a pilot file (CSV/Parquet path) read by the one
    pilot reader, :func:`fairpay.worktime.estimates.read_pilot` (bad rows named by file line). ``rate`` is pay per task, ``bar`` the hourly bar in the same currency; ``level`` the
    interval's nominal coverage. ``drift`` (default :data:`DRIFT`, measured on real batches) widens
    the interval for pilot-to-production change; ``None`` keeps only the sampling of pilot workers.
    ``production_workers``, when known, adds the noise of a finite production crowd.
    """
    import numpy as np

    rate_f = _positive(rate, "rate")
    bar_f = _positive(bar, "bar")
    threshold = break_even_seconds(rate_f, bar_f)
    level_f = float(level)
    if not (0.5 <= level_f < 1.0):
        raise InvalidInputError(f"level {level!r}: expected a coverage in [0.5, 1), e.g. 0.9")
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 100:
        raise InvalidInputError(f"n_boot {n_boot!r}: expected an integer of at least 100")
    if production_workers is not None and (
        isinstance(production_workers, bool)
        or int(production_workers) != production_workers
        or production_workers < 1
    ):
        raise InvalidInputError(
            f"production_workers {production_workers!r}: expected a positive whole number"
        )
    if drift is not None and not isinstance(drift, Drift):
        raise InvalidInputError(f"drift {drift!r}: expected a fairpay.worktime.forecast.Drift or None")

    (pooled_log, pooled_w), log_w, n_tasks, default_basis = _validated_pilot(
        pilot, seconds_column, worker_column
    )
    n_workers = len(log_w)
    notes: list[str] = []
    finite = log_w[np.isfinite(log_w)]
    degenerate = False
    if n_workers < MIN_WORKERS:
        degenerate = True
        notes.append(
            f"only {n_workers} pilot worker(s): fewer than {MIN_WORKERS}, so the spread between workers "
            "is unknown; no point estimate, the interval is [0, 1]"
        )
    elif len(finite) < MIN_WORKERS:
        degenerate = True
        notes.append(
            f"only {len(finite)} pilot worker(s) were paid for any task: fewer than {MIN_WORKERS}; no point "
            "estimate, the interval is [0, 1]"
        )
    elif float(np.ptp(finite)) == 0.0:
        degenerate = True
        notes.append(
            "every pilot worker took the same time per task: no spread to learn from; no point estimate"
        )

    log_thr = math.log(threshold * (1.0 + _TIE_TOLERANCE))
    weight = float(pooled_w.sum())
    baseline = float(np.sum(pooled_w * (pooled_log > log_thr)) / weight) if weight > 0 else 1.0
    per_worker_raw = float(np.mean(log_w > log_thr))

    rng = np.random.default_rng(seed)
    point_scale, point_centers, _ = _smooth(log_w[None, :], n_workers)
    m = min(n_workers, MAX_RESAMPLE)
    scales, centers, spread = _smooth(log_w[rng.integers(0, n_workers, size=(int(n_boot), m))], m)
    shift = np.zeros(int(n_boot))
    d = drift if drift is not None else Drift(scale=0.0, df=1, source="none")
    if d.scale > 0:
        unit = spread if d.relative else 1.0  # relative drift: in units of the spread between workers
        shift = d.scale * unit * rng.standard_t(d.df, size=int(n_boot))
    model = _Model(
        point_centers=point_centers[0],
        point_scale=float(point_scale[0]),
        centers=centers,
        scales=scales,
        shift=shift,
        n_workers=n_workers,
        degenerate=degenerate,
    )
    shares = model.shares(threshold)
    smoothed = float(shares[0])
    lo, hi = _interval(shares, level_f, degenerate)
    if production_workers is not None and not degenerate:
        z = NormalDist().inv_cdf(0.5 + level_f / 2)
        extra = z * math.sqrt(max(smoothed * (1 - smoothed), 0.25 / production_workers) / production_workers)
        lo = max(0.0, smoothed - math.hypot(smoothed - lo, extra))
        hi = min(1.0, smoothed + math.hypot(hi - smoothed, extra))
    effects = [
        ("per worker (each worker once, seconds per paid task)", 100 * (per_worker_raw - baseline)),
        ("heavy tails / small pilot (smoothed in log time)", 100 * (smoothed - per_worker_raw)),
    ]
    for note in notes:
        warnings.warn(note, ForecastWarning, stacklevel=2)
    return CoverageForecast(
        share_below=None if degenerate else smoothed,
        interval=(lo, hi),
        level=level_f,
        rate=rate_f,
        bar=bar_f,
        threshold_seconds=threshold,
        baseline_share=baseline,
        effects=effects,
        n_workers=n_workers,
        n_tasks=n_tasks,
        basis=basis or default_basis,
        drift=d,
        degenerate=degenerate,
        warnings=notes,
        _model=model,
    )


# ----------------------------------------------------------------------------------- helpers


def _smooth(centers: Any, n_workers: int) -> tuple[Any, Any, Any]:
    """Variance-preserving smoothed bootstrap: logistic kernel scales and shrunk centers per row.

    Silverman's bandwidth on the finite log times of each row (workers never paid stay at +inf).
    """
    import numpy as np

    fin = np.isfinite(centers)
    c = np.where(fin, centers, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without finite values
        mean = np.nanmean(c, axis=1, keepdims=True)
        sd = np.nanstd(c, axis=1)
        q75, q25 = np.nanpercentile(c, [75, 25], axis=1)
    mean = np.nan_to_num(mean)
    sd = np.nan_to_num(sd)
    robust = np.minimum(sd, np.nan_to_num(q75 - q25) / 1.349)
    robust = np.where(robust > 0, robust, sd)
    h = np.maximum(0.9 * robust * n_workers ** (-0.2), 1e-3)  # 0.1 % of time keeps a no-spread pilot finite
    var = sd**2
    shrink = 1.0 / np.sqrt(1.0 + h**2 / np.where(var > 0, var, np.inf))
    shrunk = np.where(fin, mean + (centers - mean) * shrink[:, None], np.inf)
    return h * math.sqrt(3.0) / math.pi, shrunk, robust


def _positive(value: Any, name: str) -> float:
    """A finite, strictly positive number (money per task or per hour)."""
    if isinstance(value, bool):
        raise InvalidInputError(f"{name} {value!r}: expected a positive number")
    try:
        f = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(f"{name} {value!r}: expected a positive number") from None
    if not math.isfinite(f) or f <= 0:
        raise InvalidInputError(f"{name} {value!r}: expected a positive, finite number")
    return f


def _interval(shares: Any, level: float, degenerate: bool) -> tuple[float, float]:
    """Percentile interval of the replicate shares (bootstrap over workers x drift), holding the point."""
    import numpy as np

    if degenerate:
        return (0.0, 1.0)
    point = float(shares[0])
    alpha = 1.0 - level
    b_lo, b_hi = (float(v) for v in np.quantile(shares[1:], [alpha / 2, 1 - alpha / 2]))
    return (max(0.0, min(point, b_lo)), min(1.0, max(point, b_hi)))


def _column(pilot: Any, name: str, what: str) -> Any:
    import numpy as np

    try:
        col = pilot[name]
    except (KeyError, IndexError, TypeError):
        cols = list(pilot.keys()) if hasattr(pilot, "keys") else []
        raise InvalidInputError(
            f"pilot has no {what} column {name!r}; columns: {', '.join(map(str, cols)) or 'none'}"
        ) from None
    return col.to_numpy() if hasattr(col, "to_numpy") else np.asarray(col)


def _numbers(pilot: Any, name: str, *, whole: bool) -> Any:
    """A per-worker column as floats >= 0 (whole numbers for counts), or an error naming the row."""
    import numpy as np

    raw = _column(pilot, name, name.replace("_", " "))
    try:
        x = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        bad = next((v for v in raw if not _is_number(v)), raw[0])
        raise InvalidInputError(
            f"pilot column {name!r} value {_plain(bad)!r}: expected a number >= 0"
        ) from None
    wrong = ~np.isfinite(x) | (x < 0)
    if whole:
        wrong |= np.isfinite(x) & (x != np.floor(x))
    rows = np.flatnonzero(wrong)
    if rows.size:
        r = int(rows[0])
        what = "a whole number >= 0" if whole else "a number >= 0"
        raise InvalidInputError(f"pilot column {name!r} row {r}: {_plain(raw[r])!r}; expected {what}")
    return x


def _validated_pilot(pilot: Any, seconds_column: str, worker_column: str) -> tuple[Any, Any, int, str]:
    """Validate the pilot; return ((pooled log seconds, weights), log seconds per paid task per worker,
    tasks, basis). A file goes through the one pilot reader; frames and mappings are checked here."""
    import os

    import numpy as np

    if isinstance(pilot, (str, os.PathLike)):
        from fairpay.worktime.estimates import read_pilot

        values, workers = read_pilot(pilot, seconds_column, worker_column)
        pilot = {seconds_column: values, worker_column: workers}
    if not (isinstance(pilot, Mapping) or hasattr(pilot, "columns")):
        raise InvalidInputError(
            f"pilot of type {type(pilot).__name__}: expected a DataFrame or a mapping of column name -> values"
        )
    keys = set(map(str, pilot.columns if hasattr(pilot, "columns") else pilot.keys()))
    if {"worked_seconds", "paid_tasks", "worker"} <= keys:  # per-worker audited times
        from fairpay.worktime.durations import AUDIT_BASIS

        worked = _numbers(pilot, "worked_seconds", whole=False)
        paid = _numbers(pilot, "paid_tasks", whole=True)
        if len(worked) != len(paid):
            raise InvalidInputError("pilot columns 'worked_seconds' and 'paid_tasks' differ in length")
        if len(worked) == 0:
            raise InvalidInputError("pilot is empty: expected at least one worker")
        tasks = _numbers(pilot, "tasks", whole=True) if "tasks" in keys else paid
        zero_time = np.flatnonzero((worked == 0) & (paid > 0))
        if zero_time.size:
            r = int(zero_time[0])
            raise InvalidInputError(
                f"pilot row {r}: {paid[r]:g} paid task(s) in 0 s of worked time; expected a positive duration"
            )
        with np.errstate(divide="ignore"):
            log_w = np.where(
                paid > 0, np.log(np.where(paid > 0, worked, 1.0) / np.maximum(paid, 1.0)), np.inf
            )
        # pooled tasks: each paid task carries its worker's time per task (weights, not copies)
        return (log_w, paid), log_w, int(tasks.sum()), AUDIT_BASIS

    raw = _column(pilot, seconds_column, "duration")
    workers = _column(pilot, worker_column, "worker")
    if raw.ndim != 1 or workers.ndim != 1:
        raise InvalidInputError("pilot columns must be one-dimensional")
    if len(raw) != len(workers):
        raise InvalidInputError(
            f"pilot columns differ in length: {seconds_column!r} has {len(raw)}, {worker_column!r} has {len(workers)}"
        )
    if len(raw) == 0:
        raise InvalidInputError("pilot is empty: expected at least one task")
    try:
        seconds = raw.astype(float)
    except (TypeError, ValueError):
        bad_v = next((v for v in raw if not _is_number(v)), raw[0])
        raise InvalidInputError(
            f"pilot column {seconds_column!r} value {_plain(bad_v)!r}: expected a duration in seconds"
        ) from None
    bad_rows = np.flatnonzero(~np.isfinite(seconds) | (seconds <= 0))
    if len(bad_rows):
        r = int(bad_rows[0])
        raise InvalidInputError(
            f"pilot column {seconds_column!r} row {r}: {_plain(raw[r])!r} is not a positive finite number of seconds "
            f"({len(bad_rows)} such row(s))"
        )
    for r, w in enumerate(workers):
        if w is None or (isinstance(w, float) and math.isnan(w)) or (isinstance(w, str) and not w.strip()):
            raise InvalidInputError(f"pilot column {worker_column!r} row {r}: missing worker id {w!r}")
    _, codes = np.unique(np.array([str(w) for w in workers], dtype=object), return_inverse=True)
    total = np.bincount(codes, weights=seconds)
    count = np.bincount(codes)
    return (np.log(seconds), np.ones(len(seconds))), np.log(total / count), int(len(seconds)), DURATION_BASIS


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (messages read ``1.5``, not ``np.float64(1.5)``)."""
    import numpy as np

    return value.item() if isinstance(value, np.generic) else value


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
