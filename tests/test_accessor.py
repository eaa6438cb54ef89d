"""df.fairpay: the same results as the functional API, and specific errors for inconsistent frames."""

from __future__ import annotations

import pandas as pd
import pytest

import fairpay
import fairpay.accessor  # noqa: F401  (registers df.fairpay)
from fairpay.accessor import tasks_frame_to_spec
from fairpay.errors import InvalidInputError

OVERRIDES = [
    {
        "country": "US",
        "subdivision": "US-CA",
        "amount": "25",
        "currency": "USD",
        "period": "hour",
        "source": "CA",
        "reference_year": 2024,
    },
    {
        "country": "US",
        "subdivision": "US-TX",
        "amount": "16",
        "currency": "USD",
        "period": "hour",
        "source": "TX",
        "reference_year": 2024,
    },
]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "task": ["label", "label", "review", "review"],
            "pay_per_task": [0.50, 0.50, 0.10, 0.10],
            "seconds": [90, 90, 30, 30],
            "volume": [100, 100, 40, 40],
            "country": ["US"] * 4,
            "subdivision": ["US-CA", "US-TX", "US-CA", "US-TX"],
            "share": [0.25, 0.75, 0.25, 0.75],
        }
    )


def test_check_matches_the_functional_api():
    sections = {"policy": {"benchmark": "living", "inflate": False}, "benchmark_overrides": OVERRIDES}
    got = _frame().fairpay.check(currency="USD", name="frame", **sections)
    spec = {
        "name": "frame",
        "currency": "USD",
        **sections,
        "tasks": [
            {"name": "label", "pay_per_task": 0.5, "seconds": 90, "volume": 100},
            {"name": "review", "pay_per_task": 0.1, "seconds": 30, "volume": 40},
        ],
        "workforce": [
            {"country": "US", "subdivision": "US-CA", "share": 0.25},
            {"country": "US", "subdivision": "US-TX", "share": 0.75},
        ],
    }
    assert got.to_dict() == fairpay.check(spec).to_dict()
    # by hand: label 0.50/90 s = 20 USD/h; review 0.10/30 s = 12 USD/h; bars 25 (CA) and 16 (TX)
    verdicts = {(c.task, c.subdivision): (float(c.effective_hourly), c.ok) for c in got.cells_list}
    assert verdicts == {
        ("label", "US-CA"): (20.0, False),
        ("label", "US-TX"): (20.0, True),
        ("review", "US-CA"): (12.0, False),
        ("review", "US-TX"): (12.0, False),
    }
    # budget volume split by the frame's shares: current = 100 x 0.50 + 40 x 0.10 = 54
    assert got.budget["current"] == "54.00"


def test_inconsistent_task_rows_are_an_error():
    df = _frame()
    df.loc[1, "pay_per_task"] = 0.6
    with pytest.raises(InvalidInputError, match=r"row 1: task 'label' has different"):
        df.fairpay.check(currency="USD")


def test_inconsistent_shares_are_an_error():
    df = _frame()
    df.loc[3, "share"] = 0.5
    with pytest.raises(InvalidInputError, match=r"row 3: place 'US-TX' has share 0.5 here and 0.75"):
        tasks_frame_to_spec(df, currency="USD")


def test_missing_columns_are_named():
    with pytest.raises(InvalidInputError, match=r"missing column\(s\) volume, country"):
        pd.DataFrame({"task": ["a"], "pay_per_task": [1.0]}).fairpay.check(currency="USD")


def test_unknown_section_is_an_error():
    with pytest.raises(InvalidInputError, match="unknown spec section"):
        tasks_frame_to_spec(_frame(), currency="USD", polcy={})


def test_audit_passes_through():
    auditing = pytest.importorskip("fairpay.auditing.engine")
    log = pd.DataFrame(
        [
            {
                "worker": "w",
                "project": "p",
                "task": "t",
                "started": "2024-05-01T10:00:00",
                "submitted": "2024-05-01T10:30:00",
                "reward": 3.0,
                "currency": "USD",
                "status": "approved",
                "country": "US",
            }
        ]
    )
    via = log.fairpay.audit(missing_living="minimum")
    direct = auditing.audit(log, missing_living="minimum")
    pd.testing.assert_frame_equal(via.workers, direct.workers)
    assert float(via.workers["wage_local"].iloc[0]) == pytest.approx(6.0)  # 3 USD in half an hour


def test_to_safe_csv_neutralises():
    df = pd.DataFrame({"worker": ["=1+1", "ok"], "amount": [-1.5, 2.0]})
    assert df.fairpay.to_safe_csv() == 'worker,amount\n"\'=1+1",-1.5\nok,2.0\n'


def test_register_accessor_is_exported():
    assert fairpay.register_accessor() is fairpay.accessor.FairpayAccessor
    assert isinstance(pd.DataFrame().fairpay, fairpay.accessor.FairpayAccessor)
