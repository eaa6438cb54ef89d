"""read_log / audited_time: the audit's worked time per worker, read with the audit's presets.

Hand-computed on a small MTurk-format log; checked against ``fairpay.audit`` itself (same log,
same preset) and, when ``../shared`` is present, on the six real MTurk batches.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairpay
from fairpay.errors import InvalidDataError, InvalidInputError
from fairpay.worktime.durations import audited_time, held_tasks_note, read_log

HEADER = (
    "HITId,HITTypeId,Reward,AssignmentId,WorkerId,AssignmentStatus,AcceptTime,SubmitTime,WorkTimeInSeconds"
)
ROWS = [
    # worker A holds three HITs at once: 10:00-10:05, 10:01-10:06, 10:02-10:06 -> union 360 s, sum 840 s
    "H1,T,$0.10,A1,WA,Approved,Wed Jan 16 10:00:00 PST 2019,Wed Jan 16 10:05:00 PST 2019,300",
    "H2,T,$0.10,A2,WA,Approved,Wed Jan 16 10:01:00 PST 2019,Wed Jan 16 10:06:00 PST 2019,300",
    "H3,T,$0.10,A3,WA,Approved,Wed Jan 16 10:02:00 PST 2019,Wed Jan 16 10:06:00 PST 2019,240",
    # worker B: 120 s approved, 60 s rejected (time counts, pay does not)
    "H1,T,$0.10,A4,WB,Approved,Wed Jan 16 10:00:00 PST 2019,Wed Jan 16 10:02:00 PST 2019,120",
    "H4,T,$0.10,A5,WB,Rejected,Wed Jan 16 10:10:00 PST 2019,Wed Jan 16 10:11:00 PST 2019,60",
    # worker C: one submitted (pending) task of 100 s
    "H2,T,$0.10,A6,WC,Submitted,Wed Jan 16 10:00:00 PST 2019,Wed Jan 16 10:01:40 PST 2019,100",
    # worker D: 60 s in daylight time (PDT = UTC-7)
    "H5,T,$0.10,A7,WD,Approved,Sat Apr 24 17:35:25 PDT 2021,Sat Apr 24 17:36:25 PDT 2021,60",
]


def mturk_log(tmp_path: Path, rows: list[str] = ROWS) -> Path:
    path = tmp_path / "batch.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_hand_computed_worked_time_and_paid_tasks(tmp_path: Path) -> None:
    t = audited_time(read_log(mturk_log(tmp_path), preset="mturk")).set_index("worker")
    assert t.loc["WA", "worked_seconds"] == pytest.approx(360.0)
    assert t.loc["WA", "duration_seconds"] == pytest.approx(840.0)
    assert t.loc["WA", "paid_tasks"] == 3
    assert t.loc["WB", "worked_seconds"] == pytest.approx(180.0) and t.loc["WB", "paid_tasks"] == 1
    assert t.loc["WB", "tasks"] == 2
    assert t.loc["WC", "paid_tasks"] == 1  # pending counts as paid by default, as in the audit
    assert t.loc["WD", "worked_seconds"] == pytest.approx(60.0)
    unpaid = audited_time(read_log(mturk_log(tmp_path), preset="mturk"), pending="unpaid").set_index("worker")
    assert unpaid.loc["WC", "paid_tasks"] == 0


def test_held_tasks_flagged_with_the_factor(tmp_path: Path) -> None:
    t = audited_time(read_log(mturk_log(tmp_path), preset="mturk"))
    note = held_tasks_note(t)
    # durations 840+180+100+60 = 1180 s; worked 360+180+100+60 = 700 s -> 1.7x; only WA held tasks
    assert note is not None and "1.7x" in note and "1 of 4 workers" in note
    assert held_tasks_note(t[t["worker"] != "WA"]) is None


def test_same_numbers_as_the_audit(tmp_path: Path) -> None:
    path = mturk_log(tmp_path)
    t = audited_time(read_log(path, preset="mturk"), merge_gap_seconds=30).set_index("worker")
    a = fairpay.audit(path, preset="mturk", country="US", kind="minimum", merge_gap_seconds=30)
    w = a.workers.set_index("worker")
    for worker in t.index:
        assert t.loc[worker, "worked_seconds"] == pytest.approx(
            float(w.loc[worker, "hours"]) * 3600, abs=1e-6
        )
        assert t.loc[worker, "paid_tasks"] == int(w.loc[worker, "approved"]) + int(w.loc[worker, "pending"])


@pytest.mark.parametrize(
    ("bad_row", "match"),
    [
        (
            "H9,T,$0.10,A9,WE,Approved,Wed Jan 16 25:00:00 PST 2019,Wed Jan 16 10:05:00 PST 2019,1",
            "row 7, column 'AcceptTime'",
        ),
        (
            "H9,T,$0.10,A9,WE,Approved,Wed Jan 16 10:00:00 EST 2019,Wed Jan 16 10:05:00 PST 2019,1",
            "row 7, column 'AcceptTime'",
        ),
        (
            "H9,T,$0.10,A9,WE,Approved,Wed Jan 16 10:05:00 PST 2019,Wed Jan 16 10:00:00 PST 2019,1",
            "earlier than started",
        ),
        (
            "H9,T,$0.10,A9,WE,Paid,Wed Jan 16 10:00:00 PST 2019,Wed Jan 16 10:05:00 PST 2019,1",
            "'Paid': not a known status",
        ),
        (
            "H9,T,$0.10,A9,,Approved,Wed Jan 16 10:00:00 PST 2019,Wed Jan 16 10:05:00 PST 2019,1",
            "row 7, column 'WorkerId': no worker id",
        ),
    ],
)
def test_bad_rows_named(tmp_path: Path, bad_row: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        read_log(mturk_log(tmp_path, [*ROWS, bad_row]), preset="mturk")


def test_missing_column_and_generic_preset() -> None:
    with pytest.raises(InvalidInputError, match="no column 'AcceptTime'"):
        read_log(pd.DataFrame({"WorkerId": ["a"]}), preset="mturk")
    df = pd.DataFrame(
        {
            "worker": ["a", "a"],
            "started": ["2024-01-01T10:00:00Z", "2024-01-01T10:00:30Z"],
            "submitted": ["2024-01-01T10:01:00Z", "2024-01-01T10:02:00Z"],
            "status": ["approved", "returned"],
        }
    )
    t = audited_time(read_log(df))
    assert t["worked_seconds"].tolist() == pytest.approx([120.0]) and t["paid_tasks"].tolist() == [1]
    with pytest.raises(InvalidInputError, match="pending"):
        audited_time(read_log(df), pending="maybe")


def _real_logs() -> Path | None:
    here = Path(__file__).resolve().parents[2]
    for base in (here.parent / "shared" / "real_logs", Path("/work/shared/real_logs")):
        if (base / "mturk").is_dir():
            return base / "mturk"
    return None


@pytest.mark.skipif(
    _real_logs() is None, reason="../shared/real_logs/mturk not present (real logs are not shipped)"
)
@pytest.mark.parametrize("name", ["adjectives_hw7", "face_bbox", "poem_compare"])
def test_real_batches_match_the_audit(name: str) -> None:
    path = _real_logs() / f"{name}.csv"  # type: ignore[operator]
    t = audited_time(read_log(path, preset="mturk")).set_index("worker")
    w = fairpay.audit(path, preset="mturk", country="US", kind="minimum").workers.set_index("worker")
    hours = w.loc[t.index, "hours"].to_numpy(dtype=float) * 3600
    assert np.allclose(t["worked_seconds"].to_numpy(), hours, atol=1e-6)
    paid = (w.loc[t.index, "approved"] + w.loc[t.index, "pending"]).to_numpy()
    assert (t["paid_tasks"].to_numpy() == paid).all()


def test_log_files_are_read_by_the_one_reader(tmp_path: Path) -> None:
    # Excel's "CSV UTF-8" (a byte-order mark) with semicolons: the same rows as the plain file.
    # Worker A's union is 10:00-10:06 = 360 s (see ROWS), whatever the file's dialect.
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + "\n".join(x.replace(",", ";") for x in [HEADER, *ROWS]).encode() + b"\n"
    )
    t = audited_time(read_log(path, preset="mturk")).set_index("worker")
    assert t.loc["WA", "worked_seconds"] == pytest.approx(360.0)
    # a byte that is not UTF-8 is refused naming the file's line, as the audit refuses it
    bad = tmp_path / "latin1.csv"
    latin = "H9,T,$0.10,A9,Jos\xe9,Approved,Wed Jan 16 10:00:00 PST 2019,Wed Jan 16 10:05:00 PST 2019,300"
    bad.write_bytes("\n".join([HEADER, *ROWS]).encode() + b"\n" + latin.encode("latin-1") + b"\n")
    with pytest.raises(InvalidDataError, match="line 9"):
        read_log(bad, preset="mturk")
