"""Presets: MTurk batch results (real exports when present) and Prolific submissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from test_audit_support import RATES, bench

from fairpay.auditing.engine import audit
from fairpay.errors import InvalidDataError, InvalidInputError

REAL = Path("/work/shared/real_logs/mturk")
MTURK_COLS = [
    "HITId",
    "HITTypeId",
    "Title",
    "Reward",
    "AssignmentId",
    "WorkerId",
    "AssignmentStatus",
    "AcceptTime",
    "SubmitTime",
    "WorkTimeInSeconds",
]


def mturk_frame(rows: list[tuple[str, str, str, str, str, str]]) -> pd.DataFrame:
    """rows: (WorkerId, AssignmentId, AcceptTime, SubmitTime, Reward, AssignmentStatus) as exported (strings)."""
    return pd.DataFrame(
        [
            {
                "HITId": "H1",
                "HITTypeId": "T1",
                "Title": "x",
                "Reward": r[4],
                "AssignmentId": r[1],
                "WorkerId": r[0],
                "AssignmentStatus": r[5],
                "AcceptTime": r[2],
                "SubmitTime": r[3],
                "WorkTimeInSeconds": "0",
            }
            for r in rows
        ]
    )


def test_mturk_timestamps_rewards_and_statuses() -> None:
    df = mturk_frame(
        [
            (
                "W1",
                "A1",
                "Wed Jan 16 13:42:47 PST 2019",
                "Wed Jan 16 14:12:47 PST 2019",
                "$0.40 ",
                "Approved",
            ),
            (
                "W1",
                "A2",
                "Wed Jan 16 14:00:00 PST 2019",
                "Wed Jan 16 14:42:47 PST 2019",
                "$0.40 ",
                "Rejected",
            ),
            (
                "W2",
                "A3",
                "Sat Apr 23 13:54:59 PDT 2016",
                "Sat Apr 23 14:54:59 PDT 2016",
                "$10.00",
                "Submitted",
            ),
        ]
    )
    r = audit(df, preset="mturk", country="US", benchmarks=bench(), rates=RATES, year=2024)
    w1 = r.workers.set_index("worker").loc["W1"]
    # union 13:42:47 -> 14:42:47 = 1 h; paid 0.40 (the rejected 0.40 is unpaid); bar 15 -> 14.60
    assert w1["hours"] == pytest.approx(1.0) and w1["earnings"] == pytest.approx(0.40)
    assert w1["top_up"] == Decimal("14.60") and w1["task"] == "A1"
    w2 = r.workers.set_index("worker").loc["W2"]
    assert w2["pending"] == 1 and w2["top_up"] == pytest.approx(5.0)  # pending counted as paid: 15 - 10
    assert any("submitted but unreviewed" in w for w in r.warnings)


def test_mturk_without_country_names_the_missing_column() -> None:
    df = mturk_frame(
        [("W1", "A1", "Wed Jan 16 13:42:47 PST 2019", "Wed Jan 16 14:12:47 PST 2019", "$0.40", "Approved")]
    )
    with pytest.raises(InvalidInputError, match="MTurk batch results have no country column"):
        audit(df, preset="mturk", benchmarks=bench(), rates=RATES)


def test_mturk_unknown_time_zone_is_a_bad_row() -> None:
    df = mturk_frame(
        [("W1", "A1", "Wed Jan 16 13:42:47 EST 2019", "Wed Jan 16 14:12:47 PST 2019", "$0.40", "Approved")]
    )
    with pytest.raises(
        InvalidDataError, match=r"row 0, column 'started', value 'Wed Jan 16 13:42:47 EST 2019'"
    ):
        audit(df, preset="mturk", country="US", benchmarks=bench(), rates=RATES)


def _pst(text: str) -> dt.datetime:
    """Independent parser: stdlib strptime with a fixed UTC offset per zone name."""
    zone = {"PST": -8, "PDT": -7}[text.split()[4]]
    naive = dt.datetime.strptime(text.replace(" PST ", " ").replace(" PDT ", " "), "%a %b %d %H:%M:%S %Y")
    return naive - dt.timedelta(hours=zone)


def _union_hours(ivs: list[tuple[dt.datetime, dt.datetime]]) -> float:
    total, cur = 0.0, None
    for s, e in sorted(ivs):
        if cur is None or s > cur[1]:
            if cur:
                total += (cur[1] - cur[0]).total_seconds()
            cur = [s, e]
        else:
            cur[1] = max(cur[1], e)
    return (total + (cur[1] - cur[0]).total_seconds()) / 3600


@pytest.mark.skipif(
    not REAL.exists(), reason="real MTurk logs are in /work/shared/real_logs/mturk (not shipped)"
)
@pytest.mark.parametrize("name", ["bbox_survey.csv", "poem_compare.csv", "face_bbox.csv", "mc_survey.csv"])
def test_real_mturk_logs_hours_and_earnings_match_independent_computation(name: str) -> None:
    path = REAL / name
    r = audit(path, preset="mturk", country="US", benchmarks=bench(), rates=RATES, year=2024)
    raw = pd.read_csv(path, dtype=str)
    for worker, grp in list(raw.groupby("WorkerId"))[:40]:
        hours = _union_hours([(_pst(a), _pst(b)) for a, b in zip(grp["AcceptTime"], grp["SubmitTime"])])
        paid = sum(
            float(x.strip().lstrip("$"))
            for x, s in zip(grp["Reward"], grp["AssignmentStatus"])
            if s in ("Approved", "Submitted")
        )
        got = r.workers.set_index("worker").loc[worker]
        assert got["hours"] == pytest.approx(hours, abs=1e-9)
        assert got["earnings"] == pytest.approx(paid, abs=1e-9)
    assert len(r.workers) == raw["WorkerId"].nunique()


def test_prolific_export_with_defaults() -> None:
    df = pd.DataFrame(
        {
            "Submission id": ["s1", "s2", "s3"],
            "Participant id": ["p1", "p2", "p3"],
            "Status": ["APPROVED", "RETURNED", "TIMED-OUT"],
            "Started at": ["2024-02-01 10:00:00.000", "2024-02-01 10:00:00.000", "2024-02-01 10:00:00.000"],
            "Completed at": ["2024-02-01 10:30:00.000", "2024-02-01 10:15:00.000", "2024-02-01 11:00:00.000"],
            "Country of residence": ["United Kingdom", "United Kingdom", "Kenya"],
        }
    )
    r = audit(
        df,
        preset="prolific",
        defaults={"project": "study-1", "reward": 3.0, "currency": "GBP"},
        benchmarks=bench(),
        rates=RATES,
    )
    w = r.workers.set_index("worker")
    assert w.loc["p1", "top_up"] == pytest.approx(3.0)  # 12 GBP/h * 0.5 h - 3
    assert w.loc["p2", "top_up"] == pytest.approx(3.0)  # returned: 12 * 0.25 h unpaid
    # Kenya: 1 h timed out, bar 260 KES; 1 GBP = 130 / 0.8 = 162.5 KES -> 260 / 162.5 = 1.60 GBP
    assert w.loc["p3", "top_up"] == Decimal("1.60") and w.loc["p3", "returned"] == 1


def test_unknown_preset() -> None:
    with pytest.raises(InvalidInputError, match="preset 'toloka' is not one of"):
        audit(pd.DataFrame(), preset="toloka")
