"""Forecast, from a pilot, the share of production workers a per-task rate leaves below a wage bar.

Why: pricing at the pilot's median task time guarantees that about half the workers earn less than
the bar, and even the 75th percentile of *pooled* task times says little about *workers*, because a
few prolific (usually fast) workers dominate the task count. What matters is each worker's own
median time in production. This module estimates the distribution of those medians from a pilot and
says, with an interval, what share of production workers will earn below the bar at a given rate.

Model (numpy only; every step is reported as an effect in percentage points):

1. *Naive baseline*: share of pooled pilot tasks slower than the break-even time (what a
   requester reading "the median task time" implicitly assumes).
2. *Spread between workers*: one median per worker (in log seconds), each worker counts once.
3. *Heavy tails / small sample*: a variance-preserving smoothed bootstrap (logistic kernel in log
   time) so that a rate beyond the slowest pilot worker does not claim "nobody below".
4. *Learning*: a hyperbolic learning curve ``log t = a_w + beta / k`` (k = the worker's task index)
   fitted within workers (Huber-robust). Workers who come back for production replay their pilot
   tasks further down their curve; the returning share is measured inside the pilot.

The interval averages a percentile bootstrap over *workers* (the unit of the forecast) with a
Wilson score interval for the pilot's worker count, so that small pilots get honest widths. Pilots
with fewer than 5 workers, or with no spread at all, get a warning and the interval [0, 1].

Units: durations in seconds; ``rate`` is money per task and ``bar`` money per hour, in the same
currency. A worker is *below the bar* when ``rate * 3600 / median_seconds < bar``.
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

__all__ = ["CoverageForecast", "ForecastWarning", "forecast_coverage"]

MIN_WORKERS = 5
"""Below this many pilot workers the spread between workers cannot be estimated."""

_TIE_TOLERANCE = 1e-9
"""Relative tolerance: a worker earning the bar up to float rounding is *at* the bar, not below."""


class ForecastWarning(UserWarning):
    """The pilot cannot support a confident forecast (too few workers, no spread, ...)."""


@dataclass(frozen=True)
class _Model:
    """Arrays that define the predicted distribution of production log-median times.

    Row 0 of every array is the point model, rows 1.. are bootstrap replicates over workers.
    ``centers``: log seconds, shape (B, M); ``weights``: shape (B, M), rows sum to 1;
    ``scales``: logistic kernel scale per row (log seconds), shape (B,).
    """

    centers: Any
    weights: Any
    scales: Any
    n_workers: int
    wide: bool

    def shares(self, threshold_seconds: float) -> Any:
        """Predicted share slower than ``threshold_seconds`` for each row (point + bootstraps)."""
        import numpy as np

        log_t = math.log(threshold_seconds * (1.0 + _TIE_TOLERANCE))
        z = (self.centers - log_t) / self.scales[:, None]
        tail = 0.5 * (1.0 + np.tanh(0.5 * z))  # logistic CDF, overflow-free
        return np.sum(self.weights * tail, axis=1)


@dataclass(frozen=True)
class CoverageForecast:
    """Predicted share of production workers whose effective wage falls below the bar.

    ``share_below`` and ``interval`` are fractions in [0, 1]; ``effects`` lists
    ``(name, shift in percentage points)`` in the order they were applied, starting from the naive
    pooled-task share (``baseline_share``), so ``baseline_share*100 + sum(shifts) == share*100``.
    ``threshold_seconds`` is the per-worker median time above which a worker is below the bar.
    """

    share_below: float
    interval: tuple[float, float]
    level: float
    rate: float
    bar: float
    threshold_seconds: float
    baseline_share: float
    effects: list[tuple[str, float]]
    n_workers: int
    n_tasks: int
    learning_beta: float
    returning_share: float
    warnings: list[str]
    _model: _Model = field(repr=False, compare=False)

    def share_at(self, rate: float) -> float:
        """Point forecast of the share below the bar at another per-task ``rate``."""
        return float(self._model.shares(_threshold(_positive(rate, "rate"), self.bar))[0])

    def interval_at(self, rate: float) -> tuple[float, float]:
        """Interval (at ``level``) for the share below the bar at another per-task ``rate``."""
        shares = self._model.shares(_threshold(_positive(rate, "rate"), self.bar))
        return _interval(shares, self._model.n_workers, self.level, self._model.wide)

    def rate_for_share(self, target: float, *, bound: str = "point", step: Decimal | str = "0.01") -> Decimal:
        """Smallest per-task rate whose forecast share below the bar is at most ``target``.

        Why: the requester's question is "what must I pay so that at most 10 % of workers earn
        less than the bar?". ``bound="upper"`` uses the interval's upper end instead of the point
        forecast (safer for workers). The rate is rounded UP to ``step`` (the currency's minor
        unit), never against the worker.
        """
        target = float(target)
        if not (0.0 < target < 1.0):
            raise InvalidInputError(f"target share {target!r}: expected a fraction in (0, 1)")
        if bound not in ("point", "upper"):
            raise InvalidInputError(f"bound {bound!r}: expected 'point' or 'upper'")
        step_d = Decimal(str(step))
        if not step_d.is_finite() or step_d <= 0:
            raise InvalidInputError(f"step {step!r}: expected a positive amount such as '0.01'")
        if bound == "upper" and self._model.wide:
            raise InvalidInputError(
                "the pilot is too small or has no spread, so no rate has an upper bound below "
                f"{target:.0%}; run a larger pilot (at least {MIN_WORKERS} workers)"
            )

        def value(threshold: float) -> float:
            shares = self._model.shares(threshold)
            if bound == "point":
                return float(shares[0])
            return _interval(shares, self._model.n_workers, self.level, False)[1]

        m = self._model
        spread = float(m.scales.max()) * 60.0
        hi = math.exp(float(m.centers.max()) + spread)
        if value(hi) > target:  # only reachable with bound="upper" and a Wilson floor
            raise InvalidInputError(
                f"no rate brings the {bound} share below {target:.0%} with {self.n_workers} "
                "pilot workers; run a larger pilot or choose a higher target"
            )
        lo = math.exp(float(m.centers.min()) - spread)
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
        exact = Decimal(repr(hi * self.bar / 3600.0))
        rate = (exact / step_d).to_integral_value(rounding=ROUND_CEILING) * step_d
        return rate

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready summary (fractions, seconds, percentage-point effects)."""
        return {
            "share_below": self.share_below,
            "interval": list(self.interval),
            "level": self.level,
            "rate": self.rate,
            "bar": self.bar,
            "threshold_seconds": self.threshold_seconds,
            "baseline_share": self.baseline_share,
            "effects": [[name, shift] for name, shift in self.effects],
            "n_workers": self.n_workers,
            "n_tasks": self.n_tasks,
            "learning_beta": self.learning_beta,
            "returning_share": self.returning_share,
            "warnings": list(self.warnings),
        }


def forecast_coverage(
    pilot: Any,
    rate: float,
    bar: float,
    *,
    seconds_column: str = "seconds",
    worker_column: str = "worker_id",
    order_column: str | None = None,
    level: float = 0.9,
    n_boot: int = 1000,
    seed: int = 0,
    learning: bool = True,
    returning_share: float | None = None,
    production_tasks: int | None = None,
    production_workers: int | None = None,
) -> CoverageForecast:
    """Forecast the share of production workers whose effective wage will be below ``bar``.

    ``pilot`` is a pandas DataFrame or a mapping of column name -> sequence, one row per task
    (assignment): ``seconds_column`` (duration, seconds), ``worker_column`` (worker id) and
    optionally ``order_column`` (numbers or datetimes giving the order the tasks were done; row
    order if None). ``rate`` is the pay per task and ``bar`` the hourly wage bar in the same
    currency. ``level`` is the interval's nominal coverage. ``returning_share`` (fraction of
    production workers who also did the pilot) is measured from the pilot when None.
    ``production_tasks`` is the number of tasks (assignments) the production batch will have; it
    lets the returning share be measured from the pilot. ``production_workers``, when known, adds the sampling noise of a finite production crowd.
    """
    import numpy as np

    rate_f = _positive(rate, "rate")
    bar_f = _positive(bar, "bar")
    level_f = float(level)
    if not (0.5 <= level_f < 1.0):
        raise InvalidInputError(f"level {level!r}: expected a coverage in [0.5, 1), e.g. 0.9")
    if int(n_boot) != n_boot or n_boot < 100:
        raise InvalidInputError(f"n_boot {n_boot!r}: expected an integer of at least 100")
    if returning_share is not None and not (0.0 <= float(returning_share) <= 1.0):
        raise InvalidInputError(f"returning_share {returning_share!r}: expected a fraction in [0, 1]")
    if production_tasks is not None and (int(production_tasks) != production_tasks or production_tasks < 1):
        raise InvalidInputError(f"production_tasks {production_tasks!r}: expected a positive whole number")
    if production_workers is not None and (
        int(production_workers) != production_workers or production_workers < 1
    ):
        raise InvalidInputError(
            f"production_workers {production_workers!r}: expected a positive whole number"
        )

    seconds, codes, n_workers = _read_pilot(pilot, seconds_column, worker_column, order_column)
    threshold = _threshold(rate_f, bar_f)
    notes: list[str] = []

    log_t = np.log(seconds)
    # task index within worker (1-based), in the given order
    k = np.empty(len(codes), dtype=float)
    seen = np.zeros(n_workers, dtype=int)
    for i, c in enumerate(codes):
        seen[c] += 1
        k[i] = seen[c]
    counts = seen

    # learning slope (log seconds per unit of 1/k), estimated within workers
    fit = _learning_fit(log_t, codes, k, counts) if learning else None
    beta = None if fit is None else fit[0]
    if learning and beta is None:
        notes.append("learning not estimable: no pilot worker did 2 or more tasks")
    beta_f = 0.0 if beta is None else float(beta)

    if returning_share is None and production_tasks is None:
        pi = 0.0
        if learning and beta is not None:
            notes.append(
                "returning workers not modelled: pass production_tasks (the production batch size) "
                "or returning_share; new workers learn as the pilot's did"
            )
    elif returning_share is None:
        pi = _returning_share(codes, n_workers, int(production_tasks))
    else:
        pi = float(returning_share)
    if not learning:
        pi = 0.0

    # per-worker arrays, grouped by worker for fast bootstrap
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    lt_sorted = log_t[order]
    k_sorted = k[order]

    gain = 1.0 / (k_sorted + np.repeat(counts, counts)) - 1.0 / k_sorted  # replay k -> k + n_w
    group_of = np.repeat(np.arange(n_workers), counts)

    new_med = _group_medians(lt_sorted[None, :], group_of, starts, counts)[0]

    wide = n_workers < MIN_WORKERS
    if wide:
        notes.append(
            f"only {n_workers} pilot worker(s): fewer than {MIN_WORKERS}, so the spread between "
            "workers is unknown; the interval is [0, 1]"
        )
    if float(np.ptp(log_t)) == 0.0:
        wide = True
        notes.append("all pilot durations are equal: no spread to learn from; the interval is [0, 1]")

    # naive baseline and the per-worker empirical share
    log_thr = math.log(threshold * (1.0 + _TIE_TOLERANCE))
    baseline = float(np.mean(log_t > log_thr))
    per_worker_raw = float(np.mean(new_med > log_thr))

    rng = np.random.default_rng(seed)
    b_total = int(n_boot) + 1
    idx = np.empty((b_total, n_workers), dtype=int)
    idx[0] = np.arange(n_workers)
    idx[1:] = rng.integers(0, n_workers, size=(b_total - 1, n_workers))

    betas = np.full(b_total, beta_f)
    if learning and beta is not None and pi > 0:
        # re-estimate the learning slope on each resample of workers (its own uncertainty)
        assert fit is not None
        _, cxy, cxx = fit
        num = cxy[idx[1:]].sum(axis=1)
        den = cxx[idx[1:]].sum(axis=1)
        ok = den > 1e-12
        betas[1:][ok] = num[ok] / den[ok]

    centers_new = new_med[idx]
    if pi > 0 and learning and beta is not None:
        replayed = lt_sorted[None, :] + betas[:, None] * gain[None, :]
        centers_ret = np.take_along_axis(_group_medians(replayed, group_of, starts, counts), idx, axis=1)
        w_ret = counts[idx].astype(float)  # prolific workers are likelier to come back
        w_ret /= w_ret.sum(axis=1, keepdims=True)
        w_new = np.full(idx.shape, 1.0 / n_workers)
        centers = np.concatenate([centers_new, centers_ret], axis=1)
        weights = np.concatenate([(1.0 - pi) * w_new, pi * w_ret], axis=1)
    else:
        centers = centers_new
        weights = np.full(idx.shape, 1.0 / n_workers)

    # variance-preserving smoothed bootstrap (logistic kernel, Silverman bandwidth)
    mean = np.sum(weights * centers, axis=1, keepdims=True)
    var = np.sum(weights * (centers - mean) ** 2, axis=1)
    sd = np.sqrt(var)
    q75, q25 = np.percentile(centers_new, [75, 25], axis=1)
    robust = np.minimum(sd, (q75 - q25) / 1.349)
    robust = np.where(robust > 0, robust, sd)
    h = 0.9 * robust * n_workers ** (-0.2)
    h = np.maximum(h, 1e-3)  # 0.1 % of time: keeps a no-spread pilot finite
    shrink = 1.0 / np.sqrt(1.0 + h**2 / np.where(var > 0, var, np.inf))
    centers = mean + (centers - mean) * shrink[:, None]
    scales = h * math.sqrt(3.0) / math.pi  # logistic scale with standard deviation h

    model = _Model(centers=centers, weights=weights, scales=scales, n_workers=n_workers, wide=wide)
    shares = model.shares(threshold)
    point = float(shares[0])

    # decompose: smoothing alone (no learning) vs the full model
    smooth_only = _Model(
        centers=mean[:1] + (centers_new[:1] - mean[:1]) * shrink[:1, None],
        weights=np.full((1, n_workers), 1.0 / n_workers),
        scales=scales[:1],
        n_workers=n_workers,
        wide=wide,
    )
    smoothed = float(smooth_only.shares(threshold)[0])
    effects = [
        ("spread between workers (per-worker medians, not pooled tasks)", 100 * (per_worker_raw - baseline)),
        ("heavy tails / small pilot (smoothed bootstrap in log time)", 100 * (smoothed - per_worker_raw)),
        (
            f"learning (beta={beta_f:+.3f} log s x 1/k; returning share {pi:.0%})",
            100 * (point - smoothed),
        ),
    ]

    lo, hi = _interval(shares, n_workers, level_f, wide)
    if production_workers is not None and not wide:
        z = NormalDist().inv_cdf(0.5 + level_f / 2)
        extra = z * math.sqrt(max(point * (1 - point), 0.25 / production_workers) / production_workers)
        lo = max(0.0, point - math.hypot(point - lo, extra))
        hi = min(1.0, point + math.hypot(hi - point, extra))

    for note in notes:
        if "interval is [0, 1]" in note:
            warnings.warn(note, ForecastWarning, stacklevel=2)

    return CoverageForecast(
        share_below=point,
        interval=(lo, hi),
        level=level_f,
        rate=rate_f,
        bar=bar_f,
        threshold_seconds=threshold,
        baseline_share=baseline,
        effects=effects,
        n_workers=n_workers,
        n_tasks=int(len(seconds)),
        learning_beta=beta_f,
        returning_share=pi,
        warnings=notes,
        _model=model,
    )


# ----------------------------------------------------------------------------------- helpers


def _positive(value: Any, name: str) -> float:
    """A finite, strictly positive number (money per task or per hour)."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} {value!r}: expected a positive number") from None
    if not math.isfinite(f) or f <= 0:
        raise InvalidInputError(f"{name} {value!r}: expected a positive, finite number")
    return f


def _threshold(rate: float, bar: float) -> float:
    """Median seconds per task at which ``rate`` per task pays exactly ``bar`` per hour."""
    return rate * 3600.0 / bar


def _interval(shares: Any, n_workers: int, level: float, wide: bool) -> tuple[float, float]:
    """Average of the bootstrap percentile and the Wilson interval for ``n_workers`` workers.

    Why: the bootstrap over workers carries the model's own variance (smoothing, learning) but
    under-covers for small pilots and far tails (at 6 workers and a 10 % share: ~57 % coverage
    for a nominal 90 %); the Wilson interval is honest for few workers but ignores that the
    smoothed estimate varies less than a raw proportion (~96 % at 50 workers). Averaging the
    endpoints gave 88-98 % coverage for 6-50 workers in simulation (tests/test_forecast.py).
    """
    import numpy as np

    if wide:
        return (0.0, 1.0)
    point = float(shares[0])
    alpha = 1.0 - level
    b_lo, b_hi = (float(v) for v in np.quantile(shares[1:], [alpha / 2, 1 - alpha / 2]))
    z = NormalDist().inv_cdf(1 - alpha / 2)
    n = float(n_workers)
    centre = (point + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(point * (1 - point) / n + z * z / (4 * n * n))
    lo = max(0.0, min(point, 0.5 * (b_lo + centre - half)))
    hi = min(1.0, max(point, 0.5 * (b_hi + centre + half)))
    return (lo, hi)


def _column(pilot: Any, name: str, what: str) -> Any:
    import numpy as np

    try:
        col = pilot[name]
    except (KeyError, IndexError, TypeError):
        cols = list(pilot.keys()) if hasattr(pilot, "keys") else []
        raise InvalidInputError(
            f"pilot has no {what} column {name!r}; columns: {', '.join(map(str, cols)) or 'none'}"
        ) from None
    if getattr(getattr(col, "dtype", None), "tz", None) is not None:  # tz-aware pandas datetimes
        col = col.dt.tz_convert("UTC").dt.tz_localize(None)
    if hasattr(col, "to_numpy"):
        return col.to_numpy()
    return np.asarray(col)


def _read_pilot(
    pilot: Any, seconds_column: str, worker_column: str, order_column: str | None
) -> tuple[Any, Any, int]:
    """Validate the pilot; return durations (s), worker codes 0..W-1, W, all in task order."""
    import numpy as np

    if not (isinstance(pilot, Mapping) or hasattr(pilot, "columns")):
        raise InvalidInputError(
            f"pilot of type {type(pilot).__name__}: expected a DataFrame or a mapping of "
            "column name -> values"
        )
    raw = _column(pilot, seconds_column, "duration")
    workers = _column(pilot, worker_column, "worker")
    if raw.ndim != 1 or workers.ndim != 1:
        raise InvalidInputError("pilot columns must be one-dimensional")
    if len(raw) != len(workers):
        raise InvalidInputError(
            f"pilot columns differ in length: {seconds_column!r} has {len(raw)}, "
            f"{worker_column!r} has {len(workers)}"
        )
    if len(raw) == 0:
        raise InvalidInputError("pilot is empty: expected at least one task")
    try:
        seconds = raw.astype(float)
    except (TypeError, ValueError):
        bad = next((v for v in raw if not _is_number(v)), raw[0])
        raise InvalidInputError(
            f"pilot column {seconds_column!r} value {bad!r}: expected a duration in seconds"
        ) from None
    bad_rows = np.flatnonzero(~np.isfinite(seconds) | (seconds <= 0))
    if len(bad_rows):
        r = int(bad_rows[0])
        raise InvalidInputError(
            f"pilot column {seconds_column!r} row {r}: {raw[r]!r} is not a positive finite "
            f"number of seconds ({len(bad_rows)} such row(s))"
        )
    for r, w in enumerate(workers):
        if w is None or (isinstance(w, float) and math.isnan(w)) or (isinstance(w, str) and not w.strip()):
            raise InvalidInputError(f"pilot column {worker_column!r} row {r}: missing worker id {w!r}")

    if order_column is not None:
        order_vals = _column(pilot, order_column, "order")
        if len(order_vals) != len(raw):
            raise InvalidInputError(
                f"pilot column {order_column!r} has {len(order_vals)} values, expected {len(raw)}"
            )
        kind = order_vals.dtype.kind
        if kind not in "iufM":
            raise InvalidInputError(
                f"pilot column {order_column!r} has dtype {order_vals.dtype}: expected numbers "
                "or datetimes (parse timestamp strings first)"
            )
        if kind == "M":
            bad = np.isnat(order_vals)
        else:
            bad = ~np.isfinite(order_vals.astype(float))
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(f"pilot column {order_column!r} row {r}: missing order value")
        perm = np.argsort(order_vals, kind="stable")
        seconds = seconds[perm]
        workers = workers[perm]

    keys = np.array([str(w) for w in workers], dtype=object)
    _, first = np.unique(keys, return_index=True)
    # codes numbered in order of first appearance (stable, readable in debugging)
    ordered = keys[np.sort(first)]
    lookup = {w: i for i, w in enumerate(ordered)}
    codes = np.fromiter((lookup[w] for w in keys), dtype=int, count=len(keys))
    return seconds, codes, len(ordered)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _huber_slope(y: Any, x: Any, groups: Any, n_groups: int) -> tuple[float, Any] | None:
    """Within-group (fixed-effects) slope of y on x, Huber-weighted, and the final weights.

    Why Huber: task times have heavy right tails (a tab left open for an hour), which would
    dominate a least-squares slope. Returns None if x does not vary within any group.
    """
    import numpy as np

    w = np.ones_like(y)
    slope: float | None = None
    for _ in range(20):
        sw = np.bincount(groups, weights=w, minlength=n_groups)
        sw = np.where(sw > 0, sw, 1.0)
        xm = np.bincount(groups, weights=w * x, minlength=n_groups) / sw
        ym = np.bincount(groups, weights=w * y, minlength=n_groups) / sw
        xd = x - xm[groups]
        yd = y - ym[groups]
        denom = float(np.sum(w * xd * xd))
        if denom <= 1e-12:
            return None
        new = float(np.sum(w * xd * yd)) / denom
        r = yd - new * xd
        scale = 1.4826 * float(np.median(np.abs(r - np.median(r))))
        if scale <= 0:
            return new, w
        w = np.minimum(1.0, 1.345 * scale / np.maximum(np.abs(r), 1e-300))
        if slope is not None and abs(new - slope) < 1e-6:
            return new, w
        slope = new
    return slope, w


def _learning_fit(log_t: Any, codes: Any, k: Any, counts: Any) -> tuple[float, Any, Any] | None:
    """Learning slope on 1/k (log seconds) from workers with 2+ tasks, with per-worker parts.

    Returns ``(beta, cxy, cxx)`` where ``cxy[w]``, ``cxx[w]`` are worker w's weighted
    within-worker co-moments (0 for one-task workers): a resample of workers has slope
    ``sum(cxy[idx]) / sum(cxx[idx])`` (bootstrap with the Huber weights held fixed), which makes a
    thousand replicates cost one matrix product. None if no worker did 2+ tasks.
    """
    import numpy as np

    n_workers = len(counts)
    keep = counts[codes] >= 2
    if not keep.any():
        return None
    x = 1.0 / k
    fit = _huber_slope(log_t[keep], x[keep], codes[keep], n_workers)
    if fit is None:
        return None
    beta, w_keep = fit
    w = np.zeros_like(log_t)
    w[keep] = w_keep
    sw = np.bincount(codes, weights=w, minlength=n_workers)
    safe = np.where(sw > 0, sw, 1.0)
    xm = np.bincount(codes, weights=w * x, minlength=n_workers) / safe
    ym = np.bincount(codes, weights=w * log_t, minlength=n_workers) / safe
    xd = x - xm[codes]
    yd = log_t - ym[codes]
    cxy = np.bincount(codes, weights=w * xd * yd, minlength=n_workers)
    cxx = np.bincount(codes, weights=w * xd * xd, minlength=n_workers)
    return beta, cxy, cxx


def _group_medians(values: Any, group_of: Any, starts: Any, counts: Any) -> Any:
    """Row-wise median per contiguous group: ``values`` (R, N) -> (R, W), vectorised.

    Groups are separated by adding a large per-group offset, so one sort per row orders every
    group's values in place.
    """
    import numpy as np

    span = float(np.max(values) - np.min(values)) + 1.0
    offset = group_of * span
    ordered = np.sort(values + offset[None, :], axis=1) - offset[None, :]
    lo = ordered[:, starts + (counts - 1) // 2]
    hi = ordered[:, starts + counts // 2]
    return 0.5 * (lo + hi)


def _returning_share(codes: Any, n_workers: int, production_tasks: int) -> float:
    """Expected share of production workers who also did the pilot.

    Why: only returning workers replay their tasks further down their learning curve; new
    production workers start at task 1 like the pilot's. Measured inside the pilot: retention
    ``rho`` = share of first-half workers seen again in the second half, and the arrival rate
    ``lam`` = new workers per task in the second half. Production then has about ``rho * W``
    returning and ``lam * production_tasks`` new workers.
    """
    import numpy as np

    n = len(codes)
    if n < 4:
        return 0.0
    half = n // 2
    first = np.zeros(n_workers, dtype=bool)
    first[codes[:half]] = True
    first_ids = np.unique(codes[:half])
    second_ids = np.unique(codes[half:])
    rho = float(np.mean(np.isin(first_ids, second_ids)))
    new_second = float(np.sum(~first[second_ids]))
    lam = new_second / (n - half)
    returning = rho * n_workers
    new = lam * production_tasks
    if returning + new <= 0:
        return 0.0
    return returning / (returning + new)
