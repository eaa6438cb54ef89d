"""Back-pay ledger: remaining gap only, idempotent; bonus-file exports; keyed pseudonyms."""

from __future__ import annotations

import csv
import hashlib
import hmac
from pathlib import Path

import pandas as pd
import pytest
from test_audit_support import RATES, bench, log

from fairpay.auditing.engine import audit
from fairpay.auditing.ledger import export_generic, export_mturk, export_prolific, pseudonym
from fairpay.errors import InvalidDataError, InvalidInputError

KEY = b"0123456789abcdef-test-key"


@pytest.fixture
def result():  # noqa: ANN201
    df = log(
        [
            (
                "a",
                "p",
                "A1",
                "2024-03-01 10:00",
                "2024-03-01 12:00",
                10,
                "USD",
                "approved",
                "US",
            ),  # 30 - 10 = 20
            (
                "b",
                "p",
                "A2",
                "2024-03-01 10:00",
                "2024-03-01 11:00",
                15,
                "USD",
                "approved",
                "US",
            ),  # at the bar
            (
                "c",
                "p",
                "A3",
                "2024-03-01 10:00",
                "2024-03-01 10:20",
                1.5,
                "USD",
                "approved",
                "US",
            ),  # 5 - 1.5 = 3.5
            ("c", "p", "A4", "2024-03-01 10:20", "2024-03-01 10:40", 3, "USD", "rejected", "US"),  # +5 -> 8.5
        ]
    )
    return audit(df, benchmarks=bench(), rates=RATES)


def test_ledger_amounts_and_idempotence(result) -> None:  # noqa: ANN001
    first = result.ledger()
    assert dict(zip(first["worker"], first["amount"])) == {"a": "20.00", "b": "0.00", "c": "8.50"}
    # after paying the first ledger, running it again proposes nothing
    again = result.ledger(first[["worker", "currency", "amount"]])
    assert set(again["amount"]) == {"0.00"}
    # a partial earlier payment leaves only the remaining gap: 20.00 - 12.25 = 7.75
    partial = result.ledger(pd.DataFrame({"worker": ["a"], "currency": ["USD"], "amount": ["12.25"]}))
    assert partial.set_index("worker").loc["a", "amount"] == "7.75"
    # overpaid earlier: never negative
    over = result.ledger(pd.DataFrame({"worker": ["c"], "currency": ["USD"], "amount": ["100"]}))
    assert over.set_index("worker").loc["c", "amount"] == "0.00"


def test_ledger_rejects_bad_previous_payments(result) -> None:  # noqa: ANN001
    bad = pd.DataFrame(
        {"worker": ["a", "zz", "c"], "currency": ["GBP", "USD", "USD"], "amount": ["1", "1", "x"]}
    )
    with pytest.raises(InvalidDataError) as exc:
        result.ledger(bad)
    text = "; ".join(exc.value.failures)
    assert "row 0, column 'currency', value 'GBP'" in text and "row 1, column 'worker', value 'zz'" in text
    assert "row 2" in text and len(exc.value.failures) == 3


def test_exports(result, tmp_path: Path) -> None:  # noqa: ANN001
    led = result.ledger()
    assert export_prolific(led, tmp_path / "p.csv") == 2
    assert (tmp_path / "p.csv").read_text() == "a,20.00\nc,8.50\n"
    assert export_mturk(led, tmp_path / "m.csv") == 2
    rows = list(csv.DictReader((tmp_path / "m.csv").open()))
    assert [(r["WorkerId"], r["AssignmentId"], r["BonusAmount"]) for r in rows] == [
        ("a", "A1", "20.00"),
        ("c", "A3", "8.50"),
    ]
    assert rows[0]["Reason"]
    assert export_generic(led, tmp_path / "g.csv") == 2
    assert (tmp_path / "g.csv").read_text().splitlines()[0] == "worker,currency,amount,reason"


def test_mturk_export_needs_usd(tmp_path: Path) -> None:
    df = log([("u", "p", "t", "2024-03-01 10:00", "2024-03-01 11:00", 1, "GBP", "approved", "GB")])
    led = audit(df, benchmarks=bench(), rates=RATES).ledger()
    with pytest.raises(InvalidInputError, match="USD"):
        export_mturk(led, tmp_path / "m.csv")


def test_pseudonyms_are_keyed_hmac_sha256(result) -> None:  # noqa: ANN001
    expected = hmac.new(KEY, b"a", hashlib.sha256).hexdigest()[:16]
    assert pseudonym("a", KEY) == expected
    assert pseudonym("a", KEY) != pseudonym("a", KEY + b"x")
    p = result.pseudonymized(KEY)
    assert list(p.workers["worker"]) == [
        hmac.new(KEY, w.encode(), hashlib.sha256).hexdigest()[:16] for w in result.workers["worker"]
    ]
    assert "task" not in p.workers and list(p.workers["top_up"]) == list(result.workers["top_up"])
    with pytest.raises(InvalidInputError, match="at least 16 bytes"):
        pseudonym("a", b"short")
