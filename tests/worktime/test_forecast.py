"""Tests for fairpay.worktime.forecast: known simulations with drift, hand-computed cases, degenerate pilots.

Truths come from the simulation's own generating process (closed form via NormalDist), or are
computed by hand in the comments, never from the forecast code.
"""

from __future__ import annotations

import json
import math
import warnings
from decimal import Decimal
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

import fairpay
from fairpay.errors import InvalidDataError, InvalidInputError
from fairpay.worktime.forecast import (
    DRIFT,
    MONITOR_DRIFT,
    CoverageForecast,
    Drift,
    ForecastWarning,
    break_even_seconds,
    forecast_coverage,
)

BAR = 15.0
MU, SIGMA = math.log(60.0), 0.6  # lognormal seconds per task: median 60 s
NO_DRIFT = None


def rate_for_seconds(seconds: float, bar: float = BAR) -> float:
    """Per-task rate at which a worker taking ``seconds`` per task earns exactly ``bar`` per hour."""
    return bar * seconds / 3600.0


def pilot_of(log_seconds: np.ndarray) -> dict[str, np.ndarray]:
    """One task per worker (so the per-worker time is the task's)."""
    return {"seconds": np.exp(log_seconds), "worker_id": np.arange(len(log_seconds))}


def true_share_above(seconds: float, mu: float = MU) -> float:
    """Population share of workers slower than ``seconds`` (closed form)."""
    return 1.0 - NormalDist(mu, SIGMA).cdf(math.log(seconds))


# ------------------------------------------------------------------ known-truth simulations


def test_population_share_recovered_without_drift() -> None:
    # 400 workers: the sampling SE of a share near 0.25 is sqrt(.25*.75/400) = 0.022
    rng = np.random.default_rng(11)
    t75 = math.exp(MU + SIGMA * NormalDist().inv_cdf(0.75))  # 25 % are slower
    fc = forecast_coverage(pilot_of(MU + SIGMA * rng.standard_normal(400)), rate_for_seconds(t75), BAR)
    assert fc.share_below is not None and abs(fc.share_below - 0.25) < 0.06
    assert fc.interval[0] < 0.25 < fc.interval[1]


def _coverage_with_known_drift(tau: float, drift: Drift | None, n_pilot: int, batches: int = 200) -> float:
    """Share of simulated batches whose production truth lies in the forecast's 90 % interval.

    Each batch: production log times ~ N(MU + delta, SIGMA), delta ~ N(0, tau) (the known drift);
    the pilot is ``n_pilot`` workers from N(MU, SIGMA). Rate at the pilot population's p75.
    """
    rng = np.random.default_rng(21)
    t75 = math.exp(MU + SIGMA * NormalDist().inv_cdf(0.75))
    hits = 0
    for b in range(batches):
        delta = tau * rng.standard_normal()
        truth = true_share_above(t75, MU + delta)
        fc = forecast_coverage(
            pilot_of(MU + SIGMA * rng.standard_normal(n_pilot)),
            rate_for_seconds(t75),
            BAR,
            n_boot=300,
            seed=b,
            drift=drift,
        )
        hits += fc.interval[0] <= truth <= fc.interval[1]
    return hits / batches


def test_interval_covers_at_nominal_rate_with_known_drift() -> None:
    # drift of 0.3 log seconds between pilot and production, told to the forecast: ~90 % coverage
    cov = _coverage_with_known_drift(0.3, Drift(scale=0.3, df=1000, source="simulation"), 60)
    assert 0.84 <= cov <= 0.97, cov


def test_relative_drift_covers_at_nominal_rate() -> None:
    # drift of 0.5 x the spread between workers (SIGMA = 0.6 -> 0.3 log seconds), told as relative
    cov = _coverage_with_known_drift(0.3, Drift(scale=0.5, df=1000, source="simulation", relative=True), 60)
    assert 0.84 <= cov <= 0.97, cov


def test_interval_covers_at_nominal_rate_without_drift() -> None:
    cov = _coverage_with_known_drift(0.0, NO_DRIFT, 40)
    assert 0.84 <= cov <= 0.98, cov


def test_ignoring_drift_undercovers_and_the_drift_term_fixes_it() -> None:
    # the failure of issue 13: with real drift, a sampling-only interval narrows as the pilot grows
    without = _coverage_with_known_drift(0.4, NO_DRIFT, 150, batches=150)
    with_drift = _coverage_with_known_drift(
        0.4, Drift(scale=0.4, df=1000, source="simulation"), 150, batches=150
    )
    assert without < 0.7, without
    assert with_drift >= 0.84, with_drift


def test_rate_for_share_reaches_target_on_population_truth() -> None:
    rng = np.random.default_rng(3)
    fc = forecast_coverage(pilot_of(MU + SIGMA * rng.standard_normal(500)), 0.10, BAR)
    rate = fc.rate_for_share(0.10)
    assert isinstance(rate, Decimal) and rate == rate.quantize(Decimal("0.01"))
    # by hand: 10 % slower than exp(MU + 1.2816 SIGMA) = 129.6 s -> 15 * 129.6 / 3600 = 0.54
    assert Decimal("0.49") <= rate <= Decimal("0.60")
    # rounded UP: the rate a cent lower misses the target on the forecast itself
    assert fc.share_at(float(rate)) <= 0.10
    assert fc.share_at(float(rate - Decimal("0.01"))) > 0.10
    # the upper-bound rate is higher (safer for workers), and a coarser step rounds up
    assert fc.rate_for_share(0.10, bound="upper") > rate
    assert fc.rate_for_share(0.10, step="0.05") % Decimal("0.05") == 0
    assert fc.rate_for_share(0.10, step="0.05") >= rate


# ------------------------------------------------------------------ hand-computed cases


def test_break_even_seconds_by_hand() -> None:
    assert break_even_seconds(0.25, 15) == pytest.approx(60.0)  # 0.25 * 3600 / 15
    assert break_even_seconds(0.25, 15, 10) == pytest.approx(50.0)  # minus 10 unpaid seconds
    assert math.isinf(break_even_seconds(1e308, 15))  # overflows to "beyond any time", not an error
    for bad in ((0, 15), (0.1, 0), ("x", 15), (True, 15), (0.1, 15, -1)):
        with pytest.raises(InvalidInputError):
            break_even_seconds(*bad)


def test_effects_by_hand_pooled_vs_per_worker() -> None:
    # worker A does 4 tasks of 10 s; B..F one task of 100 s each. Break-even time 50 s.
    pilot = {
        "seconds": [10, 10, 10, 10, 100, 100, 100, 100, 100],
        "worker_id": ["A"] * 4 + ["B", "C", "D", "E", "F"],
    }
    fc = forecast_coverage(pilot, rate_for_seconds(50.0), BAR)
    assert fc.baseline_share == pytest.approx(5 / 9)  # pooled tasks slower than 50 s
    name, shift = fc.effects[0]
    assert name.startswith("per worker")
    assert shift == pytest.approx(100 * (5 / 6 - 5 / 9))  # per worker: 5 of 6 slower
    assert fc.share_below is not None
    assert fc.baseline_share * 100 + sum(s for _, s in fc.effects) == pytest.approx(100 * fc.share_below)
    assert fc.n_workers == 6 and fc.n_tasks == 9


def test_per_worker_times_use_worked_time_per_paid_task() -> None:
    pd = pytest.importorskip("pandas")
    # audited basis: w1 worked 600 s for 4 paid tasks (150 s each), w2 600 s for 12 (50 s each), ...
    times = pd.DataFrame(
        {
            "worker": ["w1", "w2", "w3", "w4", "w5", "w6"],
            "tasks": [4, 12, 6, 3, 5, 2],
            "paid_tasks": [4, 12, 6, 3, 5, 0],  # w6: both tasks rejected -> paid nothing
            "worked_seconds": [600.0, 600.0, 480.0, 90.0, 1000.0, 300.0],
        }
    )
    # per paid task: 150, 50, 80, 30, 200, (none). Break-even 100 s: w1, w5 and w6 are below: 3 of 6
    fc = forecast_coverage(times, rate_for_seconds(100.0), BAR, drift=NO_DRIFT)
    assert fc.effects[0][1] + 100 * fc.baseline_share == pytest.approx(100 * 3 / 6)
    assert fc.n_tasks == 32 and "audited worked time" in fc.basis
    # a worker paid for nothing stays below at any rate: the share never drops under 1/6
    assert fc.share_at(1e6) == pytest.approx(1 / 6, abs=1e-9)
    with pytest.raises(InvalidInputError, match="paid for no task"):
        fc.rate_for_share(0.1)
    r50 = fc.rate_for_share(0.5)
    assert fc.share_at(float(r50)) <= 0.5 < fc.share_at(float(r50 - Decimal("0.01")))


def test_huge_rate_gives_plain_json() -> None:
    fc = forecast_coverage(
        {"seconds": [30.0, 40.0, 50.0, 60.0, 70.0], "worker_id": list("abcde")}, 1e308, BAR
    )
    text = json.dumps(fc.to_dict(), allow_nan=False)  # raises on Infinity / NaN
    assert json.loads(text)["threshold_seconds"] is None
    assert fc.share_below == pytest.approx(0.0, abs=1e-12)


def test_public_exports_and_drift_provenance() -> None:
    assert fairpay.forecast_coverage is forecast_coverage
    assert fairpay.CoverageForecast is CoverageForecast
    for d in (DRIFT, MONITOR_DRIFT):
        assert "forecast_eval.py" in d.source and d.scale > 0 and d.df == 6
    with pytest.raises(InvalidInputError):
        Drift(scale=-1.0, df=3, source="x")
    with pytest.raises(InvalidInputError):
        Drift(scale=0.1, df=0, source="x")


# ------------------------------------------------------------------ degenerate pilots


@pytest.mark.parametrize("n", [1, 2, 4])
def test_fewer_than_five_workers_give_no_point_estimate(n: int) -> None:
    pilot = {"seconds": [30.0 + 7 * i for i in range(n)], "worker_id": list(range(n))}
    with pytest.warns(ForecastWarning, match="fewer than 5"):
        fc = forecast_coverage(pilot, 0.1, BAR)
    assert fc.share_below is None and fc.degenerate
    assert fc.interval == (0.0, 1.0)
    assert fc.share_at(0.2) is None and fc.interval_at(0.2) == (0.0, 1.0)
    for bound in ("point", "upper"):
        with pytest.raises(InvalidInputError, match="degenerate"):
            fc.rate_for_share(0.1, bound=bound)


def test_all_equal_times_give_no_point_estimate() -> None:
    pilot = {"seconds": [60.0] * 12, "worker_id": [f"w{i}" for i in range(12)]}
    with pytest.warns(ForecastWarning, match="same time"):
        fc = forecast_coverage(pilot, 0.3, BAR)
    assert fc.share_below is None and fc.interval == (0.0, 1.0)


def test_fewer_than_five_paid_workers_give_no_point_estimate() -> None:
    pd = pytest.importorskip("pandas")
    times = pd.DataFrame(
        {
            "worker": list("abcdef"),
            "paid_tasks": [1, 2, 1, 0, 0, 1],
            "worked_seconds": [30.0, 80.0, 45.0, 60.0, 20.0, 70.0],
        }
    )
    with pytest.warns(ForecastWarning, match="paid"):
        fc = forecast_coverage(times, 0.2, BAR)
    assert fc.share_below is None


def test_enough_workers_do_not_warn() -> None:
    rng = np.random.default_rng(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastWarning)
        fc = forecast_coverage(pilot_of(MU + SIGMA * rng.standard_normal(30)), 0.25, BAR)
    assert 0.0 < fc.interval[0] < fc.interval[1] < 1.0


def test_small_pilot_interval_is_wider_than_large_pilot() -> None:
    rng = np.random.default_rng(4)
    small = forecast_coverage(pilot_of(MU + SIGMA * rng.standard_normal(8)), 0.25, BAR, drift=NO_DRIFT)
    large = forecast_coverage(pilot_of(MU + SIGMA * rng.standard_normal(200)), 0.25, BAR, drift=NO_DRIFT)
    assert small.interval[1] - small.interval[0] > 2 * (large.interval[1] - large.interval[0])
    # with drift the large pilot's interval keeps a floor: it does not narrow to nothing
    drifted = forecast_coverage(pilot_of(MU + SIGMA * rng.standard_normal(200)), 0.25, BAR)
    assert drifted.interval[1] - drifted.interval[0] > 1.5 * (large.interval[1] - large.interval[0])


# ------------------------------------------------------------------ bad input


GOOD = {"seconds": [30.0, 40.0, 50.0, 60.0, 70.0], "worker_id": ["a", "b", "c", "d", "e"]}


@pytest.mark.parametrize(
    ("pilot", "kwargs", "match"),
    [
        ({**GOOD, "seconds": [30.0, -1.0, 50.0, 60.0, 70.0]}, {}, "row 1"),
        ({**GOOD, "seconds": [30.0, float("nan"), 50.0, 60.0, 70.0]}, {}, "row 1"),
        ({**GOOD, "seconds": [30.0, 0.0, 50.0, 60.0, 70.0]}, {}, "positive"),
        ({**GOOD, "seconds": [30.0, "slow", 50.0, 60.0, 70.0]}, {}, "'slow'"),
        ({**GOOD, "worker_id": ["a", None, "c", "d", "e"]}, {}, "missing worker id"),
        ({**GOOD, "worker_id": ["a", "b"]}, {}, "differ in length"),
        ({"seconds": [], "worker_id": []}, {}, "empty"),
        ({"secs": [1.0], "worker_id": ["a"]}, {}, "no duration column 'seconds'"),
        (GOOD, {"worker_column": "wid"}, "no worker column 'wid'"),
        (GOOD, {"level": 1.2}, "level"),
        (GOOD, {"n_boot": 10}, "n_boot"),
        (GOOD, {"production_workers": 2.5}, "production_workers"),
        (GOOD, {"drift": 0.2}, "Drift"),
        (
            {"worker": ["a"], "paid_tasks": [1], "worked_seconds": [-5.0]},
            {},
            "row 0: -5.0; expected a number",
        ),
        ({"worker": ["a"], "paid_tasks": [1.5], "worked_seconds": [5.0]}, {}, "'paid_tasks' row 0: 1.5"),
        ({"worker": ["a"], "paid_tasks": ["x"], "worked_seconds": [5.0]}, {}, "'paid_tasks' value 'x'"),
        (
            {"worker": ["a"], "paid_tasks": [1], "worked_seconds": [float("nan")]},
            {},
            "'worked_seconds' row 0",
        ),
        ({"worker": ["a"], "paid_tasks": [2], "worked_seconds": [0.0]}, {}, "0 s of worked time"),
        ([1, 2, 3], {}, "expected a DataFrame or a mapping"),
    ],
)
def test_bad_pilot_inputs_raise(pilot: object, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        forecast_coverage(pilot, 0.1, BAR, **kwargs)


@pytest.mark.parametrize(("rate", "bar"), [(0, 15), (-0.1, 15), (0.1, 0), (float("inf"), 15), ("x", 15)])
def test_bad_rate_or_bar_raise(rate: object, bar: object) -> None:
    with pytest.raises(InvalidInputError, match="rate|bar"):
        forecast_coverage(GOOD, rate, bar)  # type: ignore[arg-type]


def test_bad_rate_for_share_arguments_raise() -> None:
    fc = forecast_coverage(GOOD, 0.2, BAR)
    for target in (0.0, 1.0, -0.1):
        with pytest.raises(InvalidInputError, match="target"):
            fc.rate_for_share(target)
    with pytest.raises(InvalidInputError, match="bound"):
        fc.rate_for_share(0.1, bound="lower")
    with pytest.raises(InvalidInputError, match="step"):
        fc.rate_for_share(0.1, step="0")
    with pytest.raises(InvalidInputError, match="rate"):
        fc.share_at(-1.0)


def test_many_workers_stay_bounded_and_the_point_uses_all_of_them() -> None:
    import time

    # 60 000 workers: replicates resample 2 000 (m-out-of-n), the point uses all 60 000
    rng = np.random.default_rng(9)
    t75 = math.exp(MU + SIGMA * NormalDist().inv_cdf(0.75))
    started = time.perf_counter()
    fc = forecast_coverage(pilot_of(MU + SIGMA * rng.standard_normal(60_000)), rate_for_seconds(t75), BAR)
    assert time.perf_counter() - started < 30
    assert fc.share_below is not None and abs(fc.share_below - 0.25) < 0.01  # SE of the share: 0.0018
    assert fc.interval[0] < 0.25 < fc.interval[1]


def test_a_pilot_file_is_read_by_the_one_pilot_reader(tmp_path: Path) -> None:
    # 6 workers x 2 tasks; file and in-memory columns must give the same forecast
    seconds = [30.0, 50.0, 20.0, 40.0, 60.0, 80.0, 35.0, 45.0, 25.0, 55.0, 70.0, 90.0]
    workers = [f"w{i // 2}" for i in range(12)]
    path = tmp_path / "pilot.csv"
    path.write_text(
        "worker_id,seconds\n" + "".join(f"{w},{s}\n" for w, s in zip(workers, seconds, strict=True))
    )
    from_file = forecast_coverage(path, 0.2, BAR)
    in_memory = forecast_coverage({"seconds": seconds, "worker_id": workers}, 0.2, BAR)
    assert from_file.to_dict() == in_memory.to_dict()
    # a bad time is named by its file line (header = line 1, so the 4th task is line 5)
    path.write_text(path.read_text().replace("w1,40.0", "w1,-40"))
    with pytest.raises(InvalidDataError, match="line 5"):
        forecast_coverage(path, 0.2, BAR)
