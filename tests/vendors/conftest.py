"""Hand-made benchmarks and exchange rates, so every figure in these tests is computed by hand
from numbers written here (not from the bundled data)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fairpay.units.fx import ExchangeRates
from fairpay.wages import BenchmarkRow, Benchmarks

#: living wage per hour: KE 200 KES, IN 100 INR, US 20 USD; 125 KES and 80 INR per USD in 2024.
POLICY = {"benchmark": "living", "inflate": False}


def _row(country: str, amount: str, currency: str) -> BenchmarkRow:
    return BenchmarkRow(
        kind="living",
        country=country,
        subdivision=None,
        area=None,
        locality=None,
        household=None,
        method="anker",
        amount=Decimal(amount),
        currency=currency,
        period="hour",
        gross_net="gross",
        hours_per_week=None,
        reference_year=2024,
        confidence=None,
        source=f"test living wage {country}",
        url="https://example.org/living-wage",
        origin="bundled",
    )


@pytest.fixture
def bench() -> Benchmarks:
    return Benchmarks(
        [_row("KE", "200", "KES"), _row("IN", "100", "INR"), _row("US", "20", "USD")], current_year=2024
    )


@pytest.fixture
def rates() -> ExchangeRates:
    return ExchangeRates(
        [
            {"currency": "KES", "year": 2024, "lcu_per_usd": "125"},
            {"currency": "INR", "year": 2024, "lcu_per_usd": "80"},
        ]
    )


DISCLOSURE = """
[vendor]
name = "Test Vendor"
currency = "USD"
pay_reports = "monthly"
grievance_channel = "hotline"
wage_indexation = "CPI, yearly"
notice_period_days = 30
post_project_support = "redeployment"

[[locations]]
country = "KE"
headcount = 10
pay_basis = "hourly"
pay_rate = 180
pay_currency = "KES"
gross_net = "gross"
contracted_hours_per_week = 40
paid_hours_per_week = 40
unpaid_training_hours_per_week = 1
unpaid_break_hours_per_week = 0
unpaid_idle_hours_per_week = 2.5
fees_per_week = 200
payout_fee = 0
payment_frequency = "monthly"
payment_method = "M-Pesa"
client_price = 9.00
client_price_basis = "per_hour"

[[locations]]
country = "IN"
headcount = 4
pay_basis = "per_task"
pay_rate = 4.50
pay_currency = "INR"
gross_net = "gross"
tasks_per_hour = 40
paid_hours_per_week = 45
unpaid_training_hours_per_week = 1
unpaid_idle_hours_per_week = 1
payout_fee = 0.01
payment_frequency = "monthly"
payment_method = "bank"
client_price = 0.12
client_price_basis = "per_task"
"""


@pytest.fixture
def disclosure_text() -> str:
    return DISCLOSURE


@pytest.fixture
def policy() -> dict[str, object]:
    return dict(POLICY)
