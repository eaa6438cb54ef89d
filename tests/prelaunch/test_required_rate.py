"""``required_rate``: the per-task pay for one place, computed without faking a project."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fairpay.errors import SpecError
from fairpay.prelaunch.check import check, required_rate
from fairpay.wages import FixedBar


def _request(**extra: object) -> dict[str, object]:
    return {"currency": "USD", "seconds": 45, "workforce": {"country": "KE"}, **extra}


def test_required_rate_by_hand() -> None:
    # bar 15 USD/h + 10 % margin = 16.5 USD/h; 45 s + 5 s unpaid; 10 % rejected; 20 % platform fee:
    # 16.5 x 50 / 3600 / (0.9 x 0.8) = 0.318287... -> 0.32 USD (rounded up to the cent)
    got = required_rate(
        _request(
            policy={"margin": 0.1},
            unpaid={"per_task_seconds": 5, "rejection_rate": 0.1},
            deductions={"platform_fee": 0.2},
        ),
        benchmarks=FixedBar(Decimal(15), "USD"),  # type: ignore[arg-type]  # a bar object, as audit takes
    )
    assert got.bar_hourly == Decimal("16.5")
    assert got.required_pay_per_task == Decimal("0.32")
    assert got.seconds_per_task == Decimal(45) and got.unpaid_seconds_per_task == Decimal(5)
    assert got.to_dict()["required_pay_per_task"] == "0.32"
    assert got.to_dict()["bar_hourly"] == "16.50"
    assert "margin above the benchmark: 0.1" in got.to_dict()["benchmark"]["adjustments"]


def test_paying_the_required_rate_passes_check_and_a_cent_less_fails() -> None:
    req = _request(workforce={"country": "IN", "subdivision": "IN-MP"}, unpaid={"rejection_rate": 0.05})
    need = required_rate(req).required_pay_per_task

    def ok(pay: Decimal) -> bool:
        spec = {
            "name": "p",
            "currency": "USD",
            "tasks": [{"name": "t", "pay_per_task": str(pay), "seconds": 45, "volume": 1}],
            "workforce": [{"country": "IN", "subdivision": "IN-MP"}],
            "unpaid": {"rejection_rate": 0.05},
        }
        return check(spec).ok

    assert ok(need) and not ok(need - Decimal("0.01"))


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"seconds": 0}, "rate: seconds"),
        ({"seconds": float("inf")}, "rate: seconds"),
        ({"workforce": {"country": "Narnia"}}, "rate: workforce"),
        ({"currency": "XYZ"}, "rate: currency"),
        ({"policy": {"benchmark": "median"}}, "rate: policy.benchmark"),
        ({"pay_per_task": 1}, "rate: pay_per_task: unknown field"),
    ],
)
def test_bad_requests_name_the_field(extra: dict[str, object], field: str) -> None:
    with pytest.raises(SpecError, match=field):
        required_rate(_request(**extra))
