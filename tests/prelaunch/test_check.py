"""The pre-launch check: arithmetic pinned by hand, fallbacks, budget, and properties."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fairpay.errors import NoBenchmarkError, SpecError
from fairpay.prelaunch.check import check, required_pay_per_task

DATA = Path(__file__).resolve().parents[2] / "data" / "wage_benchmarks"


def us_project(**over):
    """A USD project with a USD hourly override bar of 20 (2024), so FX and CPI are identities."""
    spec = {
        "name": "hand case",
        "currency": "USD",
        "policy": {"benchmark": "living"},
        "deductions": {"vendor_margin": 0.1, "platform_fee": 0.2, "payout_fee": 0.02},
        "unpaid": {
            "onboarding_minutes": 30,
            "tasks_per_worker": 200,
            "per_task_seconds": 6,
            "rejection_rate": 0.05,
            "return_rate": 0.05,
        },
        "tasks": [{"name": "rate answers", "pay_per_task": 0.50, "seconds": 60, "volume": 1000}],
        "workforce": [{"country": "US"}],
        "benchmark_overrides": [
            {
                "country": "US",
                "amount": 20,
                "currency": "USD",
                "period": "hour",
                "source": "test figure",
                "reference_year": 2024,
            }
        ],
    }
    for key, value in over.items():
        spec[key] = value
    return spec


def test_hand_computed_cell_with_deductions_unpaid_time_and_rejections():
    result = check(us_project())
    (cell,) = result.cells_list
    # keep = 0.9 * 0.8 * 0.98 = 0.7056; o = 30*60/200 + 6 = 15 s; r = 0.10
    assert cell.net_pay_per_task == Decimal("0.3528")
    assert cell.unpaid_seconds_per_task == Decimal(15)
    # w = 0.3528 * 0.9 * 3600 / 75 = 15.24096
    assert cell.effective_hourly == Decimal("15.24096")
    assert cell.bar_hourly == Decimal(20)
    assert cell.ratio == Decimal("0.762048")
    assert cell.shortfall_hourly == Decimal("4.75904")
    # required = 20 * 75 / 3600 / (0.9 * 0.7056) = 0.65612...  -> rounded UP to 0.66
    assert 20 * 75 / 3600 / (0.9 * 0.7056) == pytest.approx(0.656127, abs=1e-6)
    assert cell.required_pay_per_task == Decimal("0.66")
    assert not cell.ok and not result.ok
    assert cell.benchmark.origin == "override" and cell.benchmark.source == "test figure"


def test_margin_raises_the_bar():
    result = check(us_project(), policy={"margin": 0.1})
    (cell,) = result.cells_list
    assert cell.bar_hourly == Decimal("22.0")
    # 22 * 75 / 3600 / 0.63504 = 0.72174 -> 0.73
    assert cell.required_pay_per_task == Decimal("0.73")


def test_paying_the_required_rate_passes_and_budget_follows():
    spec = us_project()
    spec["tasks"] = [{"name": "rate answers", "pay_per_task": "0.66", "seconds": 60, "volume": 1000}]
    result = check(spec)
    assert result.ok
    assert result.budget["current"] == "660.00"
    assert result.budget["increase_uniform"] == "0.00"


def test_budget_per_place_and_uniform():
    spec = us_project()
    spec["workforce"] = [{"country": "US", "share": 0.25}, {"country": "GB", "share": 0.75}]
    spec["benchmark_overrides"] = spec["benchmark_overrides"] + [
        {
            "country": "GB",
            "amount": 5,
            "currency": "USD",
            "period": "hour",
            "source": "low test figure",
            "reference_year": 2024,
        }
    ]
    spec["deductions"] = {"requester_fee": 0.2}
    spec["unpaid"] = {}
    result = check(spec)
    us, gb = result.cells_list
    # US: 20 * 60 / 3600 = 0.3333.. -> 0.34 ; GB: 5 * 60 / 3600 = 0.08333 -> 0.09 (< pay 0.50)
    assert us.required_pay_per_task == Decimal("0.34") and us.ok
    assert gb.required_pay_per_task == Decimal("0.09") and gb.ok
    b = result.budget
    assert b["current"] == "500.00"
    assert b["current_with_fees"] == "600.00"
    assert b["compliant_per_place"] == "500.00"  # pay already above both required rates
    spec["tasks"] = [{"name": "t", "pay_per_task": "0.10", "seconds": 60, "volume": 1000}]
    result = check(spec)
    b = result.budget
    # US share 250 tasks at 0.34, GB 750 tasks at max(0.10, 0.09) = 0.10
    assert b["current"] == "100.00"
    assert b["compliant_per_place"] == "160.00"  # 250 x 0.34 + 750 x 0.10
    assert b["compliant_uniform"] == "340.00"  # 1000 x 0.34
    assert b["compliant_uniform_with_fees"] == "408.00"  # 340 x 1.2


def test_zero_decimal_currency_rounds_to_whole_yen_and_boundary_passes():
    spec = {
        "name": "yen",
        "currency": "JPY",
        "policy": {"benchmark": "living"},
        "tasks": [{"name": "t", "pay_per_task": 8, "seconds": 30, "volume": 10}],
        "workforce": [{"country": "JP"}],
        "benchmark_overrides": [
            {
                "country": "JP",
                "amount": 1201,
                "currency": "JPY",
                "period": "hour",
                "source": "test",
                "reference_year": 2024,
            }
        ],
    }
    (cell,) = check(spec).cells_list
    # 1201 * 30 / 3600 = 10.0083 -> 11 yen (JPY has no minor unit)
    assert cell.required_pay_per_task == Decimal(11)
    spec["benchmark_overrides"][0]["amount"] = 1200
    spec["tasks"][0]["pay_per_task"] = 10  # exactly 1200 * 30 / 3600
    (cell,) = check(spec).cells_list
    assert cell.required_pay_per_task == Decimal(10)
    assert cell.ok and cell.effective_hourly == Decimal(1200)


def _fx(year: int, currency: str) -> Decimal:
    with (DATA / "exchange_rates.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["currency"] == currency and r["year"] == str(year)]
    assert len(rows) == 1
    return Decimal(rows[0]["lcu_per_usd"])


def test_cross_currency_monthly_override_with_stated_hours():
    spec = {
        "name": "ke",
        "currency": "USD",
        "policy": {"benchmark": "living"},
        "tasks": [{"name": "t", "pay_per_task": "0.02", "seconds": 40, "volume": 100}],
        "workforce": [{"country": "Kenya"}],
        "benchmark_overrides": [
            {
                "country": "KE",
                "amount": 35518,
                "currency": "KES",
                "period": "month",
                "hours_per_week": 45,
                "source": "our 2024 Nairobi study",
                "reference_year": 2024,
            }
        ],
    }
    (cell,) = check(spec).cells_list
    kes = _fx(2024, "KES")
    bar = Decimal(35518) / (Decimal(45) * 52 / 12)  # 195 h a month
    assert cell.bar_hourly == pytest.approx(bar)
    assert cell.fx_rate == kes and cell.fx_year == 2024
    assert cell.effective_hourly == pytest.approx(Decimal("0.02") * kes * 3600 / 40)
    expected_required = bar * 40 / 3600 / kes
    assert cell.required_pay_per_task >= expected_required
    assert cell.required_pay_per_task - expected_required < Decimal("0.01")
    assert cell.benchmark.hours_basis == "source"


def _cpi(iso3: str, year: int) -> Decimal:
    with (DATA / "cpi.csv").open(newline="") as fh:
        for r in csv.DictReader(fh):
            if r["country_iso3"] == iso3 and r["year"] == str(year):
                return Decimal(r["cpi_2010_100"])
    raise AssertionError((iso3, year))


def test_subdivision_falls_back_to_national_with_cpi_inflation():
    spec = {
        "name": "in",
        "currency": "USD",
        "policy": {"benchmark": "living"},
        "tasks": [{"name": "t", "pay_per_task": "0.05", "seconds": 60, "volume": 100}],
        "workforce": [{"country": "IN", "subdivision": "IN-KA"}],
    }
    result = check(spec)
    (cell,) = result.cells_list
    # bundled: IN national typical_family 15500 INR/month (WageIndicator 2019; no national Anker
    # figure), 40 h default, CPI 2019 -> 2024
    expected = Decimal(15500) / (Decimal(40) * 52 / 12) * _cpi("IND", 2024) / _cpi("IND", 2019)
    assert cell.benchmark_hourly == pytest.approx(expected)
    assert cell.benchmark.year == 2024
    assert any("used the national figure for IN" in f for f in cell.benchmark.fallbacks)
    assert any("IN-KA" in w and "national" in w for w in result.warnings)


def test_no_living_wage_is_an_error_only_when_asked_and_labelled_otherwise():
    spec = {
        "name": "pl",
        "currency": "EUR",
        "tasks": [{"name": "t", "pay_per_task": "0.20", "seconds": 60, "volume": 100}],
        "workforce": [{"country": "PL"}],
    }
    with pytest.raises(NoBenchmarkError, match="PL"):
        check(spec, policy={"missing_living": "error"})
    for policy in ({"missing_living": "minimum"}, None):
        result = check(spec, policy=policy)
        (cell,) = result.cells_list
        assert cell.benchmark.kind == "minimum"
        assert any("a legal floor, not a living wage" in w for w in result.warnings)


def test_invalid_policy_override_names_the_field():
    with pytest.raises(SpecError, match="margin"):
        check(us_project(), policy={"margin": -1})


def test_required_pay_function_rounds_up():
    got = required_pay_per_task(
        Decimal(20),
        Decimal(60),
        unpaid_seconds=Decimal(15),
        lost_share=Decimal("0.1"),
        keep=Decimal("0.7056"),
        currency="USD",
    )
    assert got == Decimal("0.66")
    assert required_pay_per_task(Decimal("0.001"), Decimal(1), currency="KWD") == Decimal("0.001")


def test_cells_dataframe_and_json_shape():
    result = check(us_project())
    df = result.cells
    assert list(df["task"]) == ["rate answers"] and bool(df["ok"].iloc[0]) is False
    d = result.to_dict()
    cell = d["cells"][0]
    for key in (
        "task",
        "country",
        "subdivision",
        "effective_hourly",
        "benchmark_hourly",
        "local_currency",
        "ratio",
        "ok",
        "required_pay_per_task",
        "pay_currency",
    ):
        assert key in cell
    assert set(cell["benchmark"]) >= {
        "kind",
        "method",
        "source",
        "url",
        "reference_year",
        "hours_per_week",
        "adjustments",
    }
    assert d["ok"] is False and d["project"] == "hand case"


# ------------------------------------------------------------------------------ properties
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5"), places=2)
shares = st.floats(min_value=0, max_value=0.45, allow_nan=False)


def _spec(pay, seconds, unpaid, vm, pf, po, rej, bar):
    return {
        "name": "p",
        "currency": "USD",
        "policy": {"benchmark": "living"},
        "deductions": {"vendor_margin": vm, "platform_fee": pf, "payout_fee": po},
        "unpaid": {"per_task_seconds": unpaid, "rejection_rate": rej},
        "tasks": [{"name": "t", "pay_per_task": str(pay), "seconds": seconds, "volume": 10}],
        "workforce": [{"country": "US"}],
        "benchmark_overrides": [
            {
                "country": "US",
                "amount": str(bar),
                "currency": "USD",
                "period": "hour",
                "source": "prop",
                "reference_year": 2024,
            }
        ],
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pay=money,
    seconds=st.floats(1, 3600),
    unpaid=st.floats(0, 600),
    vm=shares,
    pf=shares,
    po=shares,
    rej=shares,
    bar=st.decimals(min_value=Decimal("0.5"), max_value=Decimal("60"), places=2),
)
def test_paying_the_required_rate_always_passes(pay, seconds, unpaid, vm, pf, po, rej, bar):
    (cell,) = check(_spec(pay, seconds, unpaid, vm, pf, po, rej, bar)).cells_list
    (again,) = check(_spec(cell.required_pay_per_task, seconds, unpaid, vm, pf, po, rej, bar)).cells_list
    assert again.ok
    assert again.effective_hourly >= again.bar_hourly - Decimal("1e-20")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pay=money,
    extra=money,
    seconds=st.floats(1, 3600),
    unpaid=st.floats(0, 600),
    more=st.floats(0.1, 600),
    rej=shares,
    bar=st.decimals(min_value=Decimal("0.5"), max_value=Decimal("60"), places=2),
)
def test_more_pay_never_adds_a_flag_and_more_unpaid_time_never_removes_one(
    pay, extra, seconds, unpaid, more, rej, bar
):
    (base,) = check(_spec(pay, seconds, unpaid, 0, 0, 0, rej, bar)).cells_list
    (richer,) = check(_spec(pay + extra, seconds, unpaid, 0, 0, 0, rej, bar)).cells_list
    (slower,) = check(_spec(pay, seconds, unpaid + more, 0, 0, 0, rej, bar)).cells_list
    assert richer.ok or not base.ok
    assert not slower.ok or base.ok


def test_rates_are_passed_in_not_pulled():
    from fairpay.units.fx import ExchangeRates

    spec = {
        "name": "ke",
        "currency": "USD",
        "tasks": [{"name": "t", "pay_per_task": "1", "seconds": 3600, "volume": 1}],
        "workforce": [{"country": "KE"}],
    }
    rates = ExchangeRates([{"currency": "KES", "year": y, "lcu_per_usd": "100"} for y in range(2015, 2026)])
    (cell,) = check(spec, rates=rates).cells_list
    assert cell.fx_rate == Decimal(100)
    assert cell.effective_hourly == Decimal(100)  # 1 USD per hour-long task x 100 KES per USD


def test_higher_converts_the_minimum_with_the_rates_given():
    from dataclasses import replace as dc_replace

    from fairpay.units.fx import ExchangeRates
    from fairpay.wages import benchmarks

    b = benchmarks()
    living = b.bar("KE", kind="living", inflate=False)  # 35518 KES/month, 2023
    minimum = dc_replace(
        b.bar("KE", kind="minimum", inflate=False), currency="USD", hourly=Decimal("2"), year=2023
    )
    rates = ExchangeRates([{"currency": "KES", "year": 2023, "lcu_per_usd": "1000"}])
    bar = b.higher(living, minimum, rates=rates)  # 2 USD/h x 1000 = 2000 KES/h > 204.91 KES/h
    assert bar.kind == "minimum" and bar.currency == "KES" and bar.hourly == Decimal(2000)
