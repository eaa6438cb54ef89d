"""Real, messy inputs (issue 16): keys and duplicates, plausible times, time zones, encodings,
platform export shapes, failure records, fast error paths. Numbers are worked out by hand in
the comments; nothing is paid twice, nothing absurd is paid, nothing is silently dropped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from test_audit_support import RATES, bench, hand_bar

from fairpay.auditing.engine import audit
from fairpay.errors import InvalidDataError, InvalidInputError

HEADER = "worker,project,task,started,submitted,reward,currency,status,country\n"


class AnyBar:
    """15 USD/h everywhere (so real exports from any country can be audited by hand)."""

    def bar(self, pl, **kw):  # noqa: ANN001, ANN003
        return hand_bar(pl, Decimal("15"), "USD", kw.get("year") or 2024)


def write(tmp_path: Path, text: str, name: str = "log.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(log, **kw):  # noqa: ANN001, ANN003, ANN201
    return audit(log, benchmarks=kw.pop("benchmarks", bench()), rates=RATES, **kw)


def top_up(result, worker: str) -> float:  # noqa: ANN001
    w = result.workers.set_index("worker")
    return float(w.loc[worker, "top_up"])


# --------------------------------------------------------------------------- keys and duplicates

TWO_TASKS = (
    "a,p,t1,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,5.00,USD,approved,US\n"
    "a,p,t2,2024-03-01T11:00:00Z,2024-03-01T12:00:00Z,5.00,USD,approved,US\n"
)


def test_overlapping_downloads_are_not_paid_twice(tmp_path: Path) -> None:
    # 2 h worked, 10.00 USD paid, bar 15 USD/h -> top-up 30 - 10 = 20.00. With the repeated t2 row
    # counted twice the earnings would be 15.00 and the top-up 15.00 (5.00 short).
    once = run(write(tmp_path, HEADER + TWO_TASKS, "once.csv"))
    twice = run(write(tmp_path, HEADER + TWO_TASKS + TWO_TASKS.splitlines(keepends=True)[1], "twice.csv"))
    assert top_up(once, "a") == pytest.approx(20.0) and top_up(twice, "a") == pytest.approx(20.0)
    assert float(twice.workers["earnings"].iloc[0]) == pytest.approx(10.0)
    (warning,) = [w for w in twice.warnings if "duplicate" in w]
    assert "1 exact duplicate row(s) dropped" in warning and "lines 4 = 3" in warning


def test_conflicting_duplicates_list_both_rows(tmp_path: Path) -> None:
    text = HEADER + TWO_TASKS + "a,p,t2,2024-03-01T11:00:00Z,2024-03-01T12:00:00Z,5.00,USD,rejected,US\n"
    with pytest.raises(InvalidDataError) as exc:
        run(write(tmp_path, text))
    (record,) = exc.value.records
    assert record.row == 4 and record.reason == "duplicate_conflict"
    assert "line 3" in record.message and "status ('approved' vs 'rejected')" in record.message


def test_generic_log_without_task_ids_keys_on_worker_project_and_times(tmp_path: Path) -> None:
    text = (
        "worker,project,started,submitted,reward,currency,status,country\n"
        "a,p,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,5.00,USD,approved,US\n"
        "a,p,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,5.00,USD,approved,US\n"
    )
    result = run(write(tmp_path, text))
    assert top_up(result, "a") == pytest.approx(10.0)  # 1 h x 15 - 5.00
    assert any("worker + project + started + submitted" in w for w in result.warnings)


def test_mturk_assignment_id_is_the_key(tmp_path: Path) -> None:
    head = "WorkerId,HITTypeId,AssignmentId,AcceptTime,SubmitTime,Reward,AssignmentStatus\n"
    row = "W1,T,A1,Wed Jan 16 13:42:47 PST 2019,Wed Jan 16 14:42:47 PST 2019,$0.40 ,{}\n"
    with pytest.raises(InvalidDataError, match="repeats the task of line 2"):
        run(
            write(tmp_path, head + row.format("Submitted") + row.format("Approved")),
            preset="mturk",
            country="US",
        )


# --------------------------------------------------------------------------- plausible time


@pytest.mark.parametrize(
    ("started", "submitted", "reason", "column"),
    [
        ("1970-01-01T00:00:00Z", "2024-03-01T11:00:00Z", "before_platform", "started"),
        ("2024-03-01T10:00:00Z", "2999-03-01T11:00:00Z", "after_now", "submitted"),
        ("2024-03-01T10:00:00Z", "2024-03-11T10:00:00Z", "too_long", "submitted"),
        ("2024-03-01", "2024-03-02T10:00:00Z", "date_only", "started"),
    ],
)
def test_implausible_times_are_refused(
    tmp_path: Path, started: str, submitted: str, reason: str, column: str
) -> None:
    text = HEADER + f"a,p,t1,{started},{submitted},1.00,USD,approved,US\n"
    with pytest.raises(InvalidDataError) as exc:
        run(write(tmp_path, text))
    assert [(r.row, r.column, r.reason) for r in exc.value.records] == [(2, column, reason)]


def test_implausible_rows_set_aside_on_request(tmp_path: Path) -> None:
    text = (
        HEADER
        + "a,p,t1,1970-01-01T00:00:00Z,2024-03-01T11:00:00Z,1.00,USD,approved,US\n"
        + "a,p,t2,2024-03-01T12:00:00Z,2024-03-01T13:00:00Z,5.00,USD,approved,US\n"
    )
    result = run(write(tmp_path, text), implausible="set_aside")
    assert top_up(result, "a") == pytest.approx(10.0)  # only t2: 1 h x 15 - 5.00
    assert result.set_aside[["row", "column", "reason"]].values.tolist() == [
        [2, "started", "before_platform"]
    ]
    assert any("1 row(s) set aside (before_platform)" in w and "lines 2" in w for w in result.warnings)


def test_task_cap_is_configurable(tmp_path: Path) -> None:
    text = HEADER + "a,p,t1,2024-03-01T10:00:00Z,2024-03-11T10:00:00Z,1.00,USD,approved,US\n"
    result = run(write(tmp_path, text), max_task_hours=300)
    assert top_up(result, "a") == pytest.approx(240 * 15 - 1.0)  # 10 days = 240 h
    with pytest.raises(InvalidInputError, match="max_task_hours"):
        run(write(tmp_path, text), max_task_hours=True)


def test_summary_says_how_much_time_long_intervals_make(tmp_path: Path) -> None:
    text = (
        HEADER
        + "a,p,t1,2024-03-01T10:00:00Z,2024-03-01T13:00:00Z,1.00,USD,approved,US\n"
        + "b,p,t2,2024-03-01T10:00:00Z,2024-03-01T10:30:00Z,1.00,USD,approved,US\n"
    )
    result = run(write(tmp_path, text))
    # 3 h of 3.5 h summed interval time = 85.7 %
    assert any(
        "1 task interval(s) longer than 1 h make 85.7%" in w and "longest 3.0 h" in w for w in result.warnings
    )


def test_huge_reward_is_a_bad_row_not_a_crash(tmp_path: Path) -> None:
    text = HEADER + "a,p,t1,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,1e300,USD,approved,US\n"
    with pytest.raises(InvalidDataError) as exc:
        run(write(tmp_path, text))
    assert [(r.row, r.column, r.reason) for r in exc.value.records] == [(2, "reward", "too_large")]


# --------------------------------------------------------------------------- time formats and zones


def test_iso_times_with_fraction_and_z_and_a_dropped_zero_fraction(tmp_path: Path) -> None:
    # 00:16:52.015 -> 00:24:25.848 is 453.833 s; 01:51:26 -> 02:01:26.5 is 600.5 s
    text = (
        HEADER
        + "a,p,t1,2023-05-01T00:16:52.015000Z,2023-05-01T00:24:25.848000Z,1.00,USD,approved,US\n"
        + "b,p,t2,2023-05-01T01:51:26Z,2023-05-01T02:01:26.500000Z,1.00,USD,approved,US\n"
    )
    w = run(write(tmp_path, text)).workers.set_index("worker")
    assert w.loc["a", "hours"] * 3600 == pytest.approx(453.833)
    assert w.loc["b", "hours"] * 3600 == pytest.approx(600.5)


@pytest.mark.parametrize("zoned", [True, False])
def test_nanosecond_parquet(tmp_path: Path, zoned: bool) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tz = "UTC" if zoned else None
    start = pd.Timestamp("2024-03-01 10:00:00.123456789")
    table = pa.table(
        {
            "worker": ["a"],
            "project": ["p"],
            "task": ["t1"],
            "started": pa.array([start.value], pa.timestamp("ns", tz)),
            "submitted": pa.array([start.value + 5_400 * 10**9], pa.timestamp("ns", tz)),
            "reward": [1.0],
            "currency": ["USD"],
            "status": ["approved"],
            "country": ["US"],
        }
    )
    pq.write_table(table, tmp_path / "log.parquet")
    result = run(tmp_path / "log.parquet")
    assert float(result.workers["hours"].iloc[0]) == pytest.approx(1.5)
    assert top_up(result, "a") == pytest.approx(1.5 * 15 - 1.0)


def test_mixed_naive_and_zoned_times_are_an_error(tmp_path: Path) -> None:
    text = (
        HEADER
        + "a,p,t1,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,1.00,USD,approved,US\n"
        + "b,p,t2,2024-03-01 10:00:00,2024-03-01 11:00:00,1.00,USD,approved,US\n"
    )
    with pytest.raises(InvalidDataError) as exc:
        run(write(tmp_path, text))
    (record,) = exc.value.records
    assert record.reason == "mixed_time_zones" and record.row == 3 and "line 2" in record.message


def test_dataframe_mixing_zoned_and_naive_timestamps_is_an_error() -> None:
    df = pd.DataFrame(
        {
            "worker": ["a", "b"],
            "project": "p",
            "task": ["t1", "t2"],
            "started": [pd.Timestamp("2024-03-01 10:00", tz="UTC"), pd.Timestamp("2024-03-01 10:00")],
            "submitted": [
                pd.Timestamp("2024-03-01 11:00", tz="UTC"),
                pd.Timestamp("2024-03-01 11:00", tz="UTC"),
            ],
            "reward": 1.0,
            "currency": "USD",
            "status": "approved",
            "country": "US",
        }
    )
    with pytest.raises(InvalidDataError) as exc:
        run(df)
    assert [(r.row, r.column, r.reason) for r in exc.value.records] == [(1, "started", "mixed_time_zones")]


_TZ_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
import pandas as pd
from test_audit_support import RATES, bench
from fairpay.auditing.engine import audit
# naive times across the US DST change (2024-03-10 02:00 local): read as UTC, 2 h in every zone
rows = [("a", "p", "t1", "2024-03-10 01:30:00", "2024-03-10 03:30:00", 1.0, "USD", "approved", "US")]
df = pd.DataFrame(rows, columns=["worker", "project", "task", "started", "submitted", "reward", "currency",
                                 "status", "country"]).astype({{"started": object, "submitted": object}})
r1 = audit(df, benchmarks=bench(), rates=RATES)
r2 = audit({csv!r}, benchmarks=bench(), rates=RATES)
print(float(r1.workers["hours"].iloc[0]), float(r2.workers["hours"].iloc[0]))
"""


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def test_results_do_not_depend_on_the_machine_time_zone(tmp_path: Path, zone: str) -> None:
    csv = write(tmp_path, HEADER + "a,p,t1,2024-03-10 01:30:00,2024-03-10 03:30:00,1.00,USD,approved,US\n")
    script = _TZ_SCRIPT.format(tests=str(Path(__file__).parent), csv=str(csv))
    env = {**os.environ, "TZ": zone, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2.0", "2.0"]


# --------------------------------------------------------------------------- one way to read a file


def test_latin1_log_is_an_error_naming_line_or_read_with_its_encoding(tmp_path: Path) -> None:
    text = HEADER + "Wé2,p,t1,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,5.00,USD,approved,US\n"
    path = write(tmp_path, text, encoding="latin-1")
    with pytest.raises(InvalidDataError, match=r"line 2.*not UTF-8.*0xE9.*encoding") as exc:
        run(path)
    assert exc.value.records[0].reason == "not_utf8"
    assert list(run(path, encoding="latin-1").workers["worker"]) == ["Wé2"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_files_are_read(tmp_path: Path, encoding: str) -> None:
    text = HEADER + "Wé2,p,t1,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,5.00,USD,approved,US\n"
    result = run(write(tmp_path, text, encoding=encoding))
    assert list(result.workers["worker"]) == ["Wé2"] and top_up(result, "Wé2") == pytest.approx(10.0)


def test_semicolon_delimiter_is_sniffed_and_line_numbers_are_file_lines(tmp_path: Path) -> None:
    text = (
        (HEADER + TWO_TASKS).replace(",", ";").replace("5.00;USD;approved;US\n", "5.00;USD;approved;XX\n", 1)
    )
    with pytest.raises(InvalidDataError) as exc:
        run(write(tmp_path, text))
    assert [(r.row, r.column, r.reason) for r in exc.value.records] == [(2, "country", "unknown_country")]


def test_quoted_newline_keeps_line_numbers_right(tmp_path: Path) -> None:
    text = (
        HEADER
        + '"a\nb",p,t1,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,5.00,USD,approved,US\n'
        + ("c,p,t2,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,oops,USD,approved,US\n")
    )
    with pytest.raises(InvalidDataError) as exc:
        run(write(tmp_path, text))
    assert [(r.row, r.column) for r in exc.value.records] == [(4, "reward")]


def test_ragged_row_is_named_by_line(tmp_path: Path) -> None:
    text = HEADER + TWO_TASKS + "a,p,t3,2024-03-01T12:00:00Z\n"
    with pytest.raises(InvalidDataError, match=r"line 4: has 4 field\(s\) where the header has 9"):
        run(write(tmp_path, text))


def test_utf16_without_bom_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + TWO_TASKS, encoding="utf-16-le")
    with pytest.raises(InvalidDataError, match="UTF-16 without a byte-order mark"):
        run(path)
    assert top_up(run(path, encoding="utf-16-le"), "a") == pytest.approx(20.0)


def test_duplicate_header_is_refused(tmp_path: Path) -> None:
    text = HEADER.replace("task", "worker") + TWO_TASKS
    with pytest.raises(InvalidDataError, match=r"line 1.*\['worker'\] more than once"):
        run(write(tmp_path, text))
    df = pd.DataFrame([[1, 2]], columns=["worker", "worker"])
    with pytest.raises(InvalidInputError, match="more than once"):
        run(df)


@pytest.mark.parametrize("content", [b"", b"PAR1 not really parquet", b"PAR1" + b"\0" * 64])
def test_broken_parquet_names_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "log.parquet"
    path.write_bytes(content)
    with pytest.raises(InvalidDataError, match=r"log\.parquet.*not a readable Parquet file"):
        run(path)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"\x1f\x8b\x08\x00rest", "gzip-compressed"),
        (b"PK\x03\x04rest", "ZIP archive"),
        (b"\n\n" + HEADER.encode(), "line 1: is blank"),
    ],
)
def test_files_that_are_not_a_csv_say_what_they_are(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidDataError, match=why):
        run(path)


def test_empty_csv_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidDataError, match=r"log\.csv.*is empty"):
        run(write(tmp_path, ""))


# --------------------------------------------------------------------------- API misuse


@pytest.mark.parametrize(
    ("kw", "named"),
    [
        ({"columns": ["worker"]}, "columns"),
        ({"columns": {"worker": 3}}, "columns"),
        ({"defaults": "USD"}, "defaults"),
        ({"memory_limit": "lots"}, "memory_limit"),
        ({"threads": "2"}, "threads"),
        ({"encoding": "klingon"}, "encoding"),
        ({"implausible": "ignore"}, "implausible"),
        ({"encoding": 5}, "encoding must be text"),
        ({"year": "2024"}, "year '2024' is not a plausible calendar year"),
        ({"year": True}, "year True is not a plausible calendar year"),
        ({"kind": 3}, "kind 3 is not one of"),
        ({"inflate": "no"}, "inflate 'no' is not True or False"),
    ],
)
def test_api_misuse_raises_fairpay_errors_naming_the_argument(tmp_path: Path, kw: dict, named: str) -> None:
    with pytest.raises(InvalidInputError, match=named):
        run(write(tmp_path, HEADER + TWO_TASKS), **kw)


def test_failure_records_have_a_frame_view(tmp_path: Path) -> None:
    text = HEADER + TWO_TASKS.replace("approved", "paid", 1).replace("US\n", "Atlantis\n", 2)
    with pytest.raises(InvalidDataError) as exc:
        run(write(tmp_path, text))
    frame = exc.value.failure_cases
    assert list(frame.columns) == ["row", "column", "value", "reason", "message"]
    assert frame[["row", "column", "value", "reason"]].values.tolist() == [
        [2, "status", "paid", "unknown_status"],
        [2, "country", "Atlantis", "unknown_country"],
        [3, "country", "Atlantis", "unknown_country"],
    ]
    assert exc.value.failures[0].startswith("line 2, column 'status', value 'paid': not a known status")


# --------------------------------------------------------------------------- fast error paths


def _garbage_and_valid(tmp_path: Path, n: int) -> tuple[Path, Path]:
    import numpy as np

    rng = np.random.default_rng(1)
    junk = rng.integers(0, 10**12, size=n)
    garbage = pd.DataFrame(
        {
            c: [f"x{v}" for v in junk]
            for c in [
                "worker",
                "project",
                "task",
                "started",
                "submitted",
                "reward",
                "currency",
                "status",
                "country",
            ]
        }
    )
    gpath = tmp_path / "garbage.csv"
    garbage.to_csv(gpath, index=False)
    i = np.arange(n)
    valid = pd.DataFrame(
        {
            "worker": [f"w{k % 5000}" for k in i],
            "project": "p",
            "task": [f"t{k}" for k in i],
            "started": pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(i * 60, unit="s"),
            "reward": 0.5,
            "currency": "USD",
            "status": "approved",
            "country": "US",
        }
    )
    valid["submitted"] = valid["started"] + pd.Timedelta(seconds=50)
    vpath = tmp_path / "valid.csv"
    valid.to_csv(vpath, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return gpath, vpath


def test_garbage_log_fails_about_as_fast_as_a_valid_one_succeeds(tmp_path: Path) -> None:
    gpath, vpath = _garbage_and_valid(tmp_path, 100_000)
    t0 = time.perf_counter()
    run(vpath)
    valid_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with pytest.raises(InvalidDataError) as exc:
        run(gpath)
    garbage_s = time.perf_counter() - t0
    assert exc.value.total >= 100_000 and "(and " in str(exc.value)
    rows = [r.row for r in exc.value.records if r.row is not None]
    assert rows[0] == 2 and len(rows) <= 1_000  # the first data line; a bounded number listed
    assert "too_many_places" in {r.reason for r in exc.value.records}
    assert garbage_s < 3 * valid_s + 5, (garbage_s, valid_s)


# --------------------------------------------------------------------------- the key probe in the stream


def test_repeat_found_in_spilled_stream_is_dropped_once(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    # the stream's key probe finds the repeat after the rows went to bucket files; the second
    # stream must start from empty files: 2 h, 10.00 paid, 15/h -> 20.00 (a stale first pass
    # appended to the files would overflow its buckets or pay the rows twice)
    import fairpay.auditing.assemble as A

    monkeypatch.setattr(A, "ROWS_IN_MEMORY_BYTES", 0)  # every log goes to bucket files
    twice = run(write(tmp_path, HEADER + TWO_TASKS + TWO_TASKS.splitlines(keepends=True)[1]))
    assert top_up(twice, "a") == pytest.approx(20.0)
    assert float(twice.workers["earnings"].iloc[0]) == pytest.approx(10.0)
    assert sum("exact duplicate" in w for w in twice.warnings) == 1


def test_key_probe_false_alarm_changes_nothing(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    # a hash collision (forced: every key hashes to 1) only costs the exact query, which finds no
    # repeat: same figures, no duplicate warning, in memory and spilled
    import fairpay.auditing.assemble as A
    import fairpay.auditing.engine as E
    import fairpay.auditing.validation as V

    log = write(tmp_path, HEADER + TWO_TASKS)
    honest = run(log)
    monkeypatch.setattr(E, "key_hash", lambda con, preset: V.KeyHash(", CAST(1 AS UBIGINT) AS kh", ()))
    for spill in (False, True):
        if spill:
            monkeypatch.setattr(A, "ROWS_IN_MEMORY_BYTES", 0)
        collided = run(log)
        assert top_up(collided, "a") == pytest.approx(20.0)
        pd.testing.assert_frame_equal(collided.workers, honest.workers)
        assert collided.warnings == honest.warnings


def test_conflicting_repeat_found_by_probe_is_an_error(tmp_path: Path) -> None:
    # same worker + task, different reward: the probe sends it to the exact check, which refuses it
    other = "a,p,t2,2024-03-01T11:00:00Z,2024-03-01T12:00:00Z,6.00,USD,approved,US\n"
    with pytest.raises(InvalidDataError, match="different values"):
        run(write(tmp_path, HEADER + TWO_TASKS + other))
