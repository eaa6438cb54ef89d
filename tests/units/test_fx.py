"""Tests for fairpay.units.fx: annual rates by currency, cross rates via USD, explicit fallbacks.

Expected rates are computed here from the exchange_rates.csv text (read with the csv module),
never from the code's output: units of B per A in a year = (B per US$) / (A per US$).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from fairpay.errors import InvalidInputError, MissingExchangeRateError, UnknownCurrencyError
from fairpay.units.fx import Conversion, ExchangeRates

RATES_CSV = Path(__file__).resolve().parents[2] / "data" / "wage_benchmarks" / "exchange_rates.csv"


def csv_rates() -> list[dict[str, str]]:
    with open(RATES_CSV, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def rate_text(iso3: str, year: int) -> tuple[str, Fraction]:
    """(currency, LCU per US$) of one country-year row, straight from the CSV."""
    rows = [r for r in csv_rates() if r["country_iso3"] == iso3 and r["year"] == str(year)]
    assert len(rows) == 1, (iso3, year)
    return rows[0]["currency"], Fraction(rows[0]["lcu_per_usd"])


def close(actual: Decimal, expected: Fraction) -> bool:
    return abs(Fraction(actual) - expected) <= abs(expected) * Fraction(1, 10**20)


@pytest.fixture(scope="module")
def fx() -> ExchangeRates:
    from fairpay.tables.rates import bundled_rates

    return bundled_rates()


# --------------------------------------------------------------------------- cross rates
def test_cross_rate_via_usd(fx: ExchangeRates) -> None:
    kes_code, kes = rate_text("KEN", 2023)
    gbp_code, gbp = rate_text("GBR", 2023)
    assert (kes_code, gbp_code) == ("KES", "GBP")
    rate, used = fx.rate("KES", "GBP", 2023)
    assert used == 2023
    assert close(rate, gbp / kes)
    back, _ = fx.rate("GBP", "KES", 2023)
    assert close(back, kes / gbp)


def test_convert_amount_and_record(fx: ExchangeRates) -> None:
    _, kes = rate_text("KEN", 2024)
    _, jpy = rate_text("JPN", 2024)
    conv = fx.convert(Decimal("35518"), "kes", "jpy", 2024)
    assert isinstance(conv, Conversion)
    assert (conv.from_currency, conv.to_currency) == ("KES", "JPY")
    assert conv.year_requested == conv.year_used == 2024
    assert conv.adjustments == ()
    assert close(conv.amount, 35518 * jpy / kes)
    assert close(conv.rate, jpy / kes)


def test_usd_legs(fx: ExchangeRates) -> None:
    _, kes = rate_text("KEN", 2020)
    usd_to_kes, _ = fx.rate("USD", "KES", 2020)
    kes_to_usd, _ = fx.rate("KES", "USD", 2020)
    assert close(usd_to_kes, kes)
    assert close(kes_to_usd, 1 / kes)


def test_usd_and_same_currency_identity(fx: ExchangeRates) -> None:
    assert fx.rate("USD", "USD", 2023) == (Decimal(1), 2023)
    assert fx.rate("KES", "kes", 2023) == (Decimal(1), 2023)
    # same currency needs no rate at all, even for a year the table lacks
    assert fx.rate("KES", "KES", 2099) == (Decimal(1), 2099)
    conv = fx.convert(Decimal("12.34"), "EUR", "EUR", 2031)
    assert conv.amount == Decimal("12.34") and conv.rate == 1 and conv.adjustments == ()


# --------------------------------------------------------------------------- missing years
def test_missing_year_names_currency_and_years(fx: ExchangeRates) -> None:
    kes_years = sorted(int(r["year"]) for r in csv_rates() if r["currency"] == "KES")
    with pytest.raises(MissingExchangeRateError) as info:
        fx.rate("KES", "USD", kes_years[-1] + 1)
    message = str(info.value)
    assert "KES" in message
    assert str(kes_years[-1] + 1) in message
    assert f"{kes_years[0]}-{kes_years[-1]}" in message
    assert "nearest_earlier" in message  # says how to opt in


def test_missing_year_before_table_even_with_fallback(fx: ExchangeRates) -> None:
    with pytest.raises(MissingExchangeRateError, match="KES"):
        fx.rate("KES", "USD", 2010, fallback="nearest_earlier")


def test_nearest_earlier_fallback_is_recorded(fx: ExchangeRates) -> None:
    kes_years = sorted(int(r["year"]) for r in csv_rates() if r["currency"] == "KES")
    newest = kes_years[-1]
    _, kes = rate_text("KEN", newest)
    conv = fx.convert(Decimal(100), "KES", "USD", newest + 1, fallback="nearest_earlier")
    assert conv.year_requested == newest + 1
    assert conv.year_used == newest
    assert close(conv.amount, 100 / kes)
    assert len(conv.adjustments) == 1
    assert f"no {newest + 1} rate, used {newest}" in conv.adjustments[0]


def test_nearest_earlier_needs_both_currencies(fx: ExchangeRates) -> None:
    # HRK stops in 2022 (euro from 2023); KES runs on: the newest year with both is 2022.
    hrk_years = sorted(int(r["year"]) for r in csv_rates() if r["currency"] == "HRK")
    assert hrk_years[-1] == 2022
    _, hrk = rate_text("HRV", 2022)
    _, kes = rate_text("KEN", 2022)
    rate, used = fx.rate("HRK", "KES", 2024, fallback="nearest_earlier")
    assert used == 2022
    assert close(rate, kes / hrk)
    with pytest.raises(MissingExchangeRateError, match="HRK"):
        fx.rate("HRK", "KES", 2024)


def test_bad_fallback_and_currency(fx: ExchangeRates) -> None:
    with pytest.raises(InvalidInputError, match="fallback"):
        fx.rate("KES", "USD", 2023, fallback="nearest")  # type: ignore[arg-type]
    with pytest.raises(UnknownCurrencyError):
        fx.rate("XYZ", "USD", 2023)


# --------------------------------------------------------------------------- euro median
def test_eur_is_the_median_of_euro_area_rows(fx: ExchangeRates) -> None:
    year = 2024
    values = sorted(
        Fraction(r["lcu_per_usd"]) for r in csv_rates() if r["currency"] == "EUR" and r["year"] == str(year)
    )
    assert len(values) > 10  # many euro-area members report one
    n = len(values)
    median = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
    usd_to_eur, _ = fx.rate("USD", "EUR", year)
    assert close(usd_to_eur, median)
    eur_to_usd, _ = fx.rate("EUR", "USD", year)
    assert close(eur_to_usd, 1 / median)
    assert year in fx.years("EUR")


def test_median_of_a_small_user_table() -> None:
    rows = [
        {"currency": "EUR", "year": 2020, "lcu_per_usd": "0.90"},
        {"currency": "EUR", "year": 2020, "lcu_per_usd": "0.80"},
        {"currency": "EUR", "year": 2020, "lcu_per_usd": "0.96"},
        {"currency": "EUR", "year": 2020, "lcu_per_usd": "0.86"},
        {"currency": "XOF", "year": 2020, "lcu_per_usd": "575.0"},
        {"currency": None, "year": 2020, "lcu_per_usd": "3.0"},  # unit unknown: not a rate
    ]
    fx = ExchangeRates(rows)
    rate, _ = fx.rate("USD", "EUR", 2020)
    assert rate == Decimal("0.88")  # (0.86 + 0.90) / 2, by hand
    rate, _ = fx.rate("EUR", "XOF", 2020)
    assert close(rate, Fraction("575.0") / Fraction("0.88"))
    assert fx.years("EUR") == [2020]
    assert fx.years("USD") == [2020]
