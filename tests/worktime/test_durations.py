"""Tests for fairpay.worktime.durations: interval union, worked time, idle trimming, self-report comparison.

Expected values are computed by hand or by a brute-force Python reference (independent code).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairpay.errors import InvalidInputError
from fairpay.worktime.durations import compare_reports, union_seconds, worked_time

S = 1_000_000_000  # ns per second


def u(codes, starts, ends, gap=0, **kw) -> list[float]:
    """union_seconds with second-valued intervals, for hand-written cases."""
    return union_seconds(
        np.asarray(codes, np.int64),
        np.asarray(starts, np.int64) * S,
        np.asarray(ends, np.int64) * S,
        gap * S,
        **kw,
    ).tolist()


def brute_union(codes, starts, ends, gap) -> dict[int, int]:
    """Reference: per worker, sort, merge in a plain loop (ns)."""
    out: dict[int, int] = {}
    by: dict[int, list[tuple[int, int]]] = {}
    for c, s, e in zip(codes.tolist(), starts.tolist(), ends.tolist()):
        by.setdefault(c, []).append((s, e))
    for c, iv in by.items():
        iv.sort()
        total = 0
        cur_s, cur_e = iv[0]
        for s, e in iv[1:]:
            if s <= cur_e + gap:
                cur_e = max(cur_e, e)
            else:
                total += cur_e - cur_s
                cur_s, cur_e = s, e
        out[c] = total + cur_e - cur_s
    return out


# ---------------------------------------------------------------- union by hand


def test_union_hand_cases() -> None:
    assert u([0, 0], [0, 30], [60, 90]) == [90.0]  # overlap: 0-90
    assert u([0, 0], [0, 10], [100, 20]) == [100.0]  # containment
    assert u([0, 0], [0, 10], [10, 20]) == [20.0]  # touching
    assert u([0, 0], [0, 15], [10, 20]) == [15.0]  # 5 s gap, not merged
    assert u([0, 0], [0, 15], [10, 20], gap=5) == [20.0]  # gap <= 5 s counts as work
    assert u([0, 0], [0, 15], [10, 20], gap=4) == [15.0]
    assert u([0], [5], [5]) == [0.0]  # zero-length task
    # several workers, unsorted rows, a worker code with no rows
    assert u([2, 0, 2, 0, 2], [50, 0, 0, 5, 10], [60, 10, 20, 8, 15]) == [10.0, 0.0, 30.0]
    assert u([0], [0], [10], n_workers=3) == [10.0, 0.0, 0.0]
    # a later worker's short tasks must not inherit an earlier worker's long end
    assert u([0, 1, 1], [0, 10, 30], [1000, 20, 40]) == [1000.0, 20.0]
    assert union_seconds(np.array([], np.int64), np.array([], np.int64), np.array([], np.int64)).size == 0


def test_union_matches_brute_force_on_random_logs() -> None:
    rng = np.random.default_rng(42)
    for trial in range(60):
        n = int(rng.integers(1, 400))
        k = int(rng.integers(1, 30))
        codes = rng.integers(0, k, n)
        starts = rng.integers(0, 5000, n) * S // 10  # 0.1 s grid: many ties and touches
        ends = starts + rng.integers(0, 300, n) * S // 10
        gap = int(rng.choice([0, S, 7 * S]))
        got = union_seconds(codes, starts, ends, gap)
        ref = brute_union(codes, starts, ends, gap)
        assert got.size == codes.max() + 1
        for c in range(got.size):
            assert got[c] == ref.get(c, 0) / S, (trial, c)


def test_union_codes_above_16_bits_need_two_radix_passes() -> None:
    # 70_000 = 1 * 65536 + 4464 and 4464 share low bits with nothing here; 65541 shares the low
    # 16 bits with 5, so ordering by the low digit alone would interleave the two workers
    codes = np.array([70_000, 5, 70_000, 65_541, 5, 65_541], np.int64)
    starts = np.array([0, 0, 10, 40, 100, 45], np.int64) * S
    ends = np.array([20, 50, 30, 60, 110, 47], np.int64) * S
    got = union_seconds(codes, starts, ends)
    assert (got[70_000], got[5], got[65_541]) == (30.0, 60.0, 20.0)
    assert got.size == 70_001


def test_union_bad_input() -> None:
    z = np.zeros(2, np.int64)
    with pytest.raises(InvalidInputError, match="row 1: end 5 ns is before start 9 ns"):
        union_seconds(z, np.array([0, 9]), np.array([1, 5]))
    with pytest.raises(InvalidInputError, match="lengths differ"):
        union_seconds(z, z, np.zeros(3, np.int64))
    with pytest.raises(InvalidInputError, match="start_ns: got dtype float64"):
        union_seconds(z, z.astype(float), z)
    with pytest.raises(InvalidInputError, match="worker_codes: row 1 is -1"):
        union_seconds(np.array([0, -1]), z, z)
    with pytest.raises(InvalidInputError, match="gap_ns: got -1"):
        union_seconds(z, z, z, -1)


# ---------------------------------------------------------------- worked_time

T0 = pd.Timestamp("2024-03-01 10:00:00", tz="UTC")


def log(rows: list[tuple[str, float, float]], tz: str | None = "UTC") -> pd.DataFrame:
    """Worker, start offset s, end offset s -> a log with tz-aware (or naive) timestamps."""
    base = T0 if tz else T0.tz_localize(None)
    return pd.DataFrame(
        {
            "worker": [r[0] for r in rows],
            "accept": [base + pd.Timedelta(seconds=r[1]) for r in rows],
            "submit": [base + pd.Timedelta(seconds=r[2]) for r in rows],
        }
    )


ROWS = [("a", 0, 60), ("a", 30, 90), ("a", 200, 300), ("b", 0, 1000)]


def wt(df: pd.DataFrame, **kw) -> pd.DataFrame:
    return worked_time(df, worker="worker", start="accept", end="submit", **kw)


def test_worked_time_union_vs_raw_sum() -> None:
    r = wt(log(ROWS))
    per = r.per_worker.set_index("worker")
    # a: 60 + 60 + 100 = 220 raw; union 0-90 and 200-300 = 190
    assert per.loc["a", "raw_sum_seconds"] == 220 and per.loc["a", "union_seconds"] == 190
    assert per.loc["b", "raw_sum_seconds"] == 1000 and per.loc["b", "union_seconds"] == 1000
    assert per.loc["a", "n_tasks"] == 3
    assert (r.raw_sum_seconds, r.union_seconds, r.overlap_seconds) == (1220, 1190, 30)
    assert r.worked_seconds == 1190 and r.idle_removed_seconds == 0
    assert any("30 s of overlapping" in n for n in r.notes)
    # a 110 s gap is bridged with merge_gap_seconds=110
    assert (
        wt(log(ROWS), merge_gap_seconds=110).per_worker.set_index("worker").loc["a", "union_seconds"] == 300
    )


def test_idle_cap_percentile() -> None:
    r = wt(log(ROWS), idle_cap=("percentile", 50))
    # durations 60, 60, 100, 1000: linear p50 = 80 s; a's last task 200-280, b's 0-80
    per = r.per_worker.set_index("worker")
    assert r.cap_seconds == 80
    assert per.loc["a", "idle_removed_seconds"] == 20 and per.loc["a", "worked_seconds"] == 170
    assert per.loc["b", "idle_removed_seconds"] == 920 and per.loc["b", "worked_seconds"] == 80
    assert r.idle_removed_seconds == 940 and r.worked_seconds == 250


def test_idle_cap_gap() -> None:
    r = wt(log(ROWS), idle_cap=("gap", 50))
    per = r.per_worker.set_index("worker")
    # a's events 0,30,60,90 | 200,300: covered stretches 30,30,30,100 -> the 100 counts 50
    assert per.loc["a", "idle_removed_seconds"] == 50 and per.loc["a", "worked_seconds"] == 140
    assert per.loc["b", "idle_removed_seconds"] == 950
    # a bridged gap is a covered stretch too: with merge 110 the 110 s gap also counts only 50
    r2 = wt(log(ROWS), idle_cap=("gap", 50), merge_gap_seconds=110)
    assert r2.per_worker.set_index("worker").loc["a", "worked_seconds"] == 300 - 60 - 50
    assert r2.to_dict()["idle_cap"] == ["gap", 50.0]


def test_naive_timestamps_need_tz() -> None:
    naive = log(ROWS, tz=None)
    with pytest.raises(InvalidInputError, match="column 'accept': timestamps have no timezone; pass tz="):
        wt(naive)
    # same wall-clock times read in UTC give the same result as the aware log
    assert wt(naive, tz="UTC").union_seconds == 1190
    # localising to Los Angeles shifts every timestamp by the same offset: durations unchanged
    assert wt(naive, tz="America/Los_Angeles").union_seconds == 1190
    with pytest.raises(InvalidInputError, match="cannot localise to tz='Mars/Olympus'"):
        wt(naive, tz="Mars/Olympus")


def test_dst_change_inside_a_task_counts_real_elapsed_time() -> None:
    # 2024-03-10 01:30 PST to 03:30 PDT is one real hour
    df = pd.DataFrame(
        {
            "worker": ["a", "a"],
            "accept": ["2024-03-10 01:30:00", "2024-03-10 05:00:00"],
            "submit": ["2024-03-10 03:30:00", "2024-03-10 05:00:10"],
        }
    )
    assert wt(df, tz="America/Los_Angeles").union_seconds == 3600 + 10


def test_mixed_timezones_rejected() -> None:
    df = log(ROWS)
    df["accept"] = df["accept"].astype(object)
    df.loc[1, "accept"] = pd.Timestamp("2024-03-01 10:00:30", tz="Europe/Berlin")
    with pytest.raises(InvalidInputError, match="column 'accept': mixed timezones"):
        wt(df)
    strings = pd.DataFrame(
        {
            "worker": ["a", "a"],
            "accept": ["2024-03-01T10:00:00-08:00", "2024-06-01T10:00:00-07:00"],
            "submit": ["2024-03-01T10:01:00-08:00", "2024-06-01T10:01:00-07:00"],
        }
    )
    with pytest.raises(InvalidInputError, match="column 'accept': mixed timezones"):
        wt(strings)


def test_iso_strings_with_one_offset_and_datetime_objects() -> None:
    df = pd.DataFrame(
        {
            "worker": ["a", "a"],
            "accept": ["2024-03-01T10:00:00-08:00", "2024-03-01T10:00:30-08:00"],
            "submit": ["2024-03-01T10:01:00-08:00", "2024-03-01T10:02:00-08:00"],
        }
    )
    assert wt(df).union_seconds == 120
    utc = dt.UTC
    objs = pd.DataFrame(
        {
            "worker": ["a"],
            "accept": [dt.datetime(2024, 1, 1, 9, tzinfo=utc)],
            "submit": [dt.datetime(2024, 1, 1, 9, 0, 45, tzinfo=utc)],
        },
        dtype=object,
    )
    assert wt(objs).union_seconds == 45


def test_worked_time_bad_rows() -> None:
    df = log(ROWS)
    df.index = [10, 11, 12, 13]
    df.loc[12, "submit"] = T0 + pd.Timedelta(seconds=100)  # before its start at 200 s
    with pytest.raises(InvalidInputError, match=r"row 12: 'submit' \(.*\) is before 'accept'"):
        wt(df)
    df = log(ROWS)
    df.loc[2, "accept"] = pd.NaT
    with pytest.raises(InvalidInputError, match="column 'accept': row 2 has no timestamp"):
        wt(df)
    df = log(ROWS)
    df.loc[3, "worker"] = None
    with pytest.raises(InvalidInputError, match="worker column 'worker': row 3 has no worker id"):
        wt(df)
    with pytest.raises(InvalidInputError, match="start column 'start' not found"):
        worked_time(log(ROWS), worker="worker", start="start", end="submit")
    with pytest.raises(InvalidInputError, match="no rows"):
        wt(log(ROWS).iloc[:0])
    with pytest.raises(InvalidInputError, match="idle_cap: got"):
        wt(log(ROWS), idle_cap=("percentile", 0))
    with pytest.raises(InvalidInputError, match="idle_cap: got"):
        wt(log(ROWS), idle_cap=("minutes", 5))
    with pytest.raises(InvalidInputError, match="merge_gap_seconds: got -1"):
        wt(log(ROWS), merge_gap_seconds=-1)
    bad = log(ROWS)
    bad["accept"] = ["yesterday", "x", "y", "z"]
    with pytest.raises(InvalidInputError, match="column 'accept': cannot parse timestamps"):
        wt(bad)


REAL = Path(__file__).resolve().parents[3] / "shared" / "real_logs" / "mturk" / "face_bbox.csv"


@pytest.mark.skipif(
    not REAL.exists(),
    reason="real MTurk logs live outside the project (../shared/real_logs) and are absent here",
)
def test_real_mturk_log_raw_sum_equals_worktime_and_union_is_smaller() -> None:
    df = pd.read_csv(REAL)
    fmt = "%a %b %d %H:%M:%S %Y"
    strip = lambda s: s.str.replace(r" P[SD]T ", " ", regex=True)  # noqa: E731 - zone given by tz=
    df["accept"] = pd.to_datetime(strip(df["AcceptTime"]), format=fmt)
    df["submit"] = pd.to_datetime(strip(df["SubmitTime"]), format=fmt)
    r = worked_time(df, worker="WorkerId", start="accept", end="submit", tz="America/Los_Angeles")
    # MTurk's WorkTimeInSeconds is submit - accept: the raw sum must equal its total
    assert r.raw_sum_seconds == df["WorkTimeInSeconds"].sum()
    assert 0 < r.union_seconds <= r.raw_sum_seconds
    assert r.per_worker["n_tasks"].sum() == len(df)


# ---------------------------------------------------------------- compare_reports


def test_compare_reports_agreement_by_hand() -> None:
    df = pd.DataFrame(
        {"w": ["a", "b", "c", "d"], "rep": [60.0, 120.0, 30.0, 100.0], "mes": [60.0, 100.0, 60.0, 100.0]}
    )
    r = compare_reports(df, worker="w", reported="rep", measured="mes", min_tasks=1)
    # ratios 1, 1.2, 0.5, 1 -> log ratios 0, ln1.2, ln0.5, 0 -> median 0
    assert r.median_log_ratio == 0 and r.median_ratio == 1
    assert r.share_within_25pct == 0.75  # 1, 1.2, 1 within; 0.5 not
    assert (r.n_tasks, r.n_workers) == (4, 4)
    # Pearson of logs by the textbook formula
    x, y = np.log([60, 120, 30, 100]), np.log([60, 100, 60, 100])
    pearson = ((x - x.mean()) * (y - y.mean())).sum() / math.sqrt(
        ((x - x.mean()) ** 2).sum() * ((y - y.mean()) ** 2).sum()
    )
    assert r.pearson_log == pytest.approx(pearson)
    # Spearman: ranks of reported 2,4,1,3; measured (ties averaged) 1.5,3.5,1.5,3.5
    rx, ry = np.array([2, 4, 1, 3.0]), np.array([1.5, 3.5, 1.5, 3.5])
    sp = ((rx - rx.mean()) * (ry - ry.mean())).sum() / math.sqrt(
        ((rx - rx.mean()) ** 2).sum() * ((ry - ry.mean()) ** 2).sum()
    )
    assert r.spearman_log == pytest.approx(sp)


def test_robust_z_by_hand() -> None:
    ratios = {"w1": 1.0, "w2": 1.1, "w3": 0.9, "w4": 1.0, "w5": 4.0}
    df = pd.DataFrame({"w": list(ratios), "rep": [100 * v for v in ratios.values()], "mes": [100.0] * 5})
    r = compare_reports(df, worker="w", reported="rep", measured="mes", min_tasks=1)
    per = r.per_worker.set_index("worker")
    # worker medians ln(1), ln1.1, ln0.9, ln1, ln4: centre 0, |dev| median = ln 1.1
    mad = math.log(1.1)
    assert per.loc["w5", "robust_z"] == pytest.approx(math.log(4) / (1.4826 * mad))
    assert per.loc["w3", "robust_z"] == pytest.approx(math.log(0.9) / (1.4826 * mad))
    assert per.loc["w5", "flag"] == "over" and per.loc["w3", "flag"] == ""
    (flag,) = r.flags
    assert flag.startswith("flag for human review: worker w5 reports about 4.00x") and "not a penalty" in flag


def test_mad_zero_falls_back_to_mean_absolute_deviation() -> None:
    df = pd.DataFrame({"w": list("abcde"), "rep": [100, 100, 100, 100, 200.0], "mes": [100.0] * 5})
    r = compare_reports(df, worker="w", reported="rep", measured="mes", min_tasks=1)
    # deviations 0,0,0,0,ln2: MAD 0 -> scale 1.2533 * (ln2 / 5) -> z = 5 / 1.2533
    assert r.per_worker.set_index("worker").loc["e", "robust_z"] == pytest.approx(5 / 1.2533)
    same = compare_reports(df.assign(rep=100.0), worker="w", reported="rep", measured="mes", min_tasks=1)
    assert (same.per_worker["robust_z"] == 0).all() and same.flags == ()


def test_flags_in_both_directions_and_min_tasks() -> None:
    rng = np.random.default_rng(9)
    rows = []
    for i in range(12):  # honest workers: reports within a few % of telemetry
        for _ in range(5):
            m = rng.uniform(30, 90)
            rows.append((f"h{i:02d}", m * rng.uniform(0.95, 1.08), m))
    for who, factor, n in (("over", 2.5, 5), ("under", 0.4, 5), ("once", 3.0, 1)):
        for _ in range(n):
            m = rng.uniform(30, 90)
            rows.append((who, m * factor, m))
    df = pd.DataFrame(rows, columns=["w", "rep", "mes"])
    r = compare_reports(df, worker="w", reported="rep", measured="mes")
    per = r.per_worker.set_index("worker")
    assert per.loc["over", "flag"] == "over" and per.loc["under", "flag"] == "under"
    assert per.loc["once", "flag"] == ""  # far off, but 1 task < min_tasks=3
    assert per.loc["over", "median_ratio"] == pytest.approx(2.5)
    assert per.loc["under", "median_ratio"] == pytest.approx(0.4)
    assert len(r.flags) == 2 and all(f.startswith("flag for human review") for f in r.flags)
    assert any("under-report" in f and "underpaid" in f for f in r.flags)
    assert not (per.drop(["over", "under"])["flag"] != "").any()


def test_compare_reports_bad_input() -> None:
    df = pd.DataFrame({"w": ["a", "b"], "rep": [60.0, 0.0], "mes": [60.0, 50.0]})
    with pytest.raises(InvalidInputError, match=r"column 'rep': row 1 is 0.0; expected seconds > 0"):
        compare_reports(df, worker="w", reported="rep", measured="mes")
    df2 = pd.DataFrame({"w": ["a", "b"], "rep": ["1 min", "2"], "mes": [60.0, 50.0]})
    with pytest.raises(InvalidInputError, match="column 'rep': non-numeric value '1 min'"):
        compare_reports(df2, worker="w", reported="rep", measured="mes")
    df3 = pd.DataFrame({"w": ["a", "b"], "rep": [60.0, 50.0], "mes": [60.0, float("nan")]})
    with pytest.raises(InvalidInputError, match="column 'mes': row 1 is nan"):
        compare_reports(df3, worker="w", reported="rep", measured="mes")
    with pytest.raises(InvalidInputError, match="threshold: got 0"):
        compare_reports(df3, worker="w", reported="rep", measured="mes", threshold=0)
    with pytest.raises(InvalidInputError, match="measured column 'measured' not found"):
        compare_reports(df3, worker="w", reported="rep", measured="measured")
