"""The kernel on two threads: same tables byte for byte, at most ``threads`` buckets out at once."""

from __future__ import annotations

import random
import threading

import pandas as pd
import pytest
from test_audit_support import RATES, bench, log

from fairpay.auditing.engine import audit


def _log() -> pd.DataFrame:
    """~40 workers and one worker with far more rows than a bucket (so some buckets stay empty)."""
    rnd = random.Random(7)
    base = pd.Timestamp("2024-05-01", tz="UTC")
    recs = []
    for i in range(900):
        w = "big" if i % 3 == 0 else f"w{rnd.randint(0, 40):02d}"
        s = rnd.randint(0, 50_000)
        recs.append(
            (
                w,
                f"p{rnd.randint(0, 6)}",
                f"t{i}",
                base + pd.Timedelta(seconds=s),
                base + pd.Timedelta(seconds=s + rnd.randint(1, 3000)),
                rnd.randint(0, 400) / 100,
                rnd.choice(["USD", "GBP"]),
                rnd.choice(["approved"] * 6 + ["rejected", "returned", "pending"]),
                "GB" if w in ("w03", "w17", "w29") else "US",
            )
        )
    return log(recs)


def test_two_threads_give_the_same_tables_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from fairpay.auditing import assemble as auditing, kernel

    df = _log()
    one = audit(df, benchmarks=bench(), rates=RATES, threads=1)
    seen: set[str] = set()
    out = 0
    most_out = 0
    lock = threading.Lock()
    real_sums = kernel.sums

    def watched(rows, n_currencies, gap_us, work=None):  # noqa: ANN001, ANN202
        nonlocal out, most_out
        with lock:
            out += 1
            most_out = max(most_out, out)
            seen.add(threading.current_thread().name)
        try:
            return real_sums(rows, n_currencies, gap_us, work)
        finally:
            with lock:
                out -= 1

    monkeypatch.setattr(kernel, "sums", watched)
    monkeypatch.setattr(auditing, "ROWS_PER_BUCKET", 60)  # 30 rows per bucket at 2 threads: ~30 buckets
    monkeypatch.setattr(auditing, "_MIN_ROWS_TO_SPLIT", 0)
    two = audit(df, benchmarks=bench(), rates=RATES, threads=2)
    assert all(name.startswith("fairpay-kernel") for name in seen) and most_out <= 2
    for table in ("workers", "worker_projects", "projects", "bars"):
        pd.testing.assert_frame_equal(getattr(one, table), getattr(two, table), check_exact=True)
    # the big worker: 300 rows, more than ten 30-row buckets, summed once
    assert int(two.workers.loc[two.workers["worker"] == "big", "tasks"].iloc[0]) == 300


def test_bucket_size_keeps_the_work_in_memory_and_gives_every_thread_work() -> None:
    from fairpay.auditing.assemble import bucket_rows

    assert bucket_rows(10_000_000, 1, None) == 1_000_000
    assert bucket_rows(10_000_000, 2, None) == 500_000  # two buckets at once, each half as big
    assert bucket_rows(150_000, 2, None) == 500_000  # small: one bucket, threads cost more than they save
    assert bucket_rows(400_000, 2, None) == 100_000  # ceil(400k / (2 threads x 2))
    assert bucket_rows(401_000, 2, None) == 100_250
    # a 200 MB budget: a quarter for the buckets at work, 120 bytes of work per row, split over threads
    assert bucket_rows(10_000_000, 2, 200 * 10**6) == 208_333  # 200e6 / 4 / 2 / 120 = 208,333.3
    assert bucket_rows(10_000_000, 2, 10**9) == 500_000  # 1 GB: the default size fits
    assert bucket_rows(10_000_000, 2, 10**6) == 10_000  # a floor, so tiny budgets still progress


def test_spellings_of_one_worker_id_are_one_worker() -> None:
    """Rows are coded by the id as written (" a", "a "), trimmed once per spelling: one worker."""
    df = log(
        [
            ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
            (" a", "p", "t3", "2024-03-01 10:30", "2024-03-01 12:00", 2, "USD", "rejected", "US"),
            ("a ", "q", "t2", "2024-03-01 13:00", "2024-03-01 13:30", 3, "USD", "approved", "US"),
            ("b", "q", "t4", "2024-03-01 13:00", "2024-03-01 14:00", 15, "USD", "approved", "US"),
        ]
    )
    r = audit(df, benchmarks=bench(), rates=RATES)
    w = r.workers.set_index("worker")
    assert list(w.index) == ["a", "b"]
    # a: [10:00, 12:00] + [13:00, 13:30] = 2.5 h; paid 10 + 3 = 13; bar 15 -> top-up 37.5 - 13 = 24.5
    assert (int(w.loc["a", "tasks"]), w.loc["a", "hours"], w.loc["a", "top_up"]) == (3, 2.5, 24.5)
    assert w.loc["a", "task"] == "t2"  # the alphabetically last approved task of all three spellings
    pairs = r.worker_projects
    assert pairs[["worker", "project"]].astype(str).values.tolist() == [["a", "p"], ["a", "q"], ["b", "q"]]


def test_read_ahead_keeps_order_raises_errors_and_stops_when_left() -> None:
    import itertools

    from fairpay.auditing.stream import prefetched

    assert list(prefetched(iter(range(50)), depth=2)) == list(range(50))

    def failing():  # noqa: ANN202
        yield 1
        raise RuntimeError("disk gone")

    got = []
    with pytest.raises(RuntimeError, match="disk gone"):
        for x in prefetched(failing()):
            got.append(x)
    assert got == [1]
    produced = []

    def endless():  # noqa: ANN202
        for i in itertools.count():
            produced.append(i)
            yield i

    gen = prefetched(endless(), depth=2)
    assert [next(gen) for _ in range(3)] == [0, 1, 2]
    gen.close()  # leaving early: the reader stops instead of running on
    n = len(produced)
    assert n <= 3 + 2 + 2  # what was taken, what waits in the queue, one in hand, one being made
    import time

    time.sleep(0.3)
    assert len(produced) == n


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_threads_must_be_a_whole_number_of_at_least_one(threads: object) -> None:
    from fairpay.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="threads .* must be a whole number >= 1"):
        audit(_log(), benchmarks=bench(), rates=RATES, threads=threads)  # type: ignore[arg-type]
