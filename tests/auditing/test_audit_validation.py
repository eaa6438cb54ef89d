"""Every bad row is reported (row, column, value, why); nothing is dropped or coerced."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_audit_support import RATES, bench, log

from fairpay.auditing.engine import audit
from fairpay.errors import InvalidDataError, InvalidInputError, NoBenchmarkError


def good(i: int) -> tuple:
    return (f"w{i}", "p", f"t{i}", "2024-03-01 10:00", "2024-03-01 11:00", 1.0, "USD", "approved", "US")


def test_every_bad_row_is_listed(tmp_path: Path) -> None:
    df = log([good(i) for i in range(9)]).astype({"started": object, "status": object, "reward": object})
    df.loc[1, "country"] = "Atlantis"
    df.loc[2, "currency"] = "XYZ"
    df.loc[3, "started"] = "not a time"
    df.loc[4, "submitted"] = df.loc[4, "submitted"] - __import__("pandas").Timedelta(hours=2)
    df.loc[5, "reward"] = -1.0
    df.loc[6, "status"] = "paid"
    df.loc[7, "worker"] = None
    df.loc[8, "bonus"] = float("nan")
    with pytest.raises(InvalidDataError) as exc:
        audit(df, benchmarks=bench(), rates=RATES)
    f = exc.value.failures
    expect = [
        ("row 1, column 'country', value 'Atlantis'", "unknown country"),
        ("row 2, column 'currency', value 'XYZ'", "not an ISO 4217"),
        ("row 3, column 'started', value 'not a time'", "not a timestamp"),
        ("row 4, column 'submitted'", "earlier than started"),
        ("row 5, column 'reward'", "negative"),
        ("row 6, column 'status', value 'paid'", "not a known status"),
        ("row 7, column 'worker'", "required"),
        ("row 8, column 'bonus'", "amount is required"),
    ]
    assert len(f) == len(expect), f
    for (where, why), msg in zip(expect, f):
        assert msg.startswith(where) and why in msg, msg


def test_csv_row_numbers_and_text_rewards(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "worker,project,task,started,submitted,reward,currency,status,country\n"
        "a,p,t1,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,1.50,USD,approved,US\n"
        "b,p,t2,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,1.5x,USD,approved,US\n"
    )
    with pytest.raises(InvalidDataError, match=r"line 3, column 'reward', value '1.5x': not a number"):
        audit(path, benchmarks=bench(), rates=RATES)


def test_worker_in_two_countries_is_an_error() -> None:
    rows = [good(0), good(1)]
    rows[1] = ("w0",) + rows[1][1:8] + ("KE",)
    with pytest.raises(InvalidDataError, match="worker 'w0' appears with more than one place"):
        audit(log(rows), benchmarks=bench(), rates=RATES)


def test_place_without_benchmark_lists_every_place() -> None:
    rows = [good(0), good(1)[:8] + ("FR",), good(2)[:8] + ("DE",)]

    class Partial:
        def bar(self, pl, **kw):  # noqa: ANN001, ANN003
            if pl.country != "US":
                raise NoBenchmarkError(f"none for {pl}")
            return bench().bar(pl, **kw)

    with pytest.raises(NoBenchmarkError, match="2 place"):
        audit(log(rows), benchmarks=Partial(), rates=RATES)


def test_missing_exchange_rate_is_an_error() -> None:
    from fairpay.errors import MissingExchangeRateError

    with pytest.raises(MissingExchangeRateError, match="2023"):
        audit(log([good(0)[:8] + ("KE",)]), benchmarks=bench(), rates=RATES, year=2023)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInputError, match="merge_gap_seconds"):
        audit(log([good(0)]), merge_gap_seconds=-1)
    with pytest.raises(InvalidInputError, match="log .*log.parquet.: file not found"):
        audit("/nonexistent/log.parquet")
    with pytest.raises(InvalidInputError, match="unknown canonical column"):
        audit(log([good(0)]), columns={"wroker": "worker"})
