"""Tests for fairpay.units.money: exact Decimal amounts, ISO 4217 codes, minor units and rounding.

Expected values are written out by hand (ISO 4217 minor units: USD 2, JPY 0, KWD 3).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from fairpay.errors import InvalidInputError, UnknownCurrencyError
from fairpay.units.money import Money, minor_units, normalize_currency, round_amount, round_up, to_decimal


# --------------------------------------------------------------------------- exactness
def test_floats_are_read_exactly() -> None:
    assert 0.1 + 0.2 != 0.3  # the float trap this module exists to avoid
    total = Money.of(0.1, "USD") + Money.of(0.2, "USD")
    assert total == Money.of(0.3, "USD")
    assert total.amount == Decimal("0.3")
    assert Money.of(0.1, "USD").amount == Decimal("0.1")  # not 0.1000000000000000055511151231257827


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, Decimal("0.1")),
        ("2.50", Decimal("2.50")),
        (" 7 ", Decimal("7")),
        (3, Decimal("3")),
        (Decimal("1.005"), Decimal("1.005")),
        ("1e3", Decimal("1000")),
    ],
)
def test_to_decimal(value: object, expected: Decimal) -> None:
    assert to_decimal(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["abc", "", float("nan"), float("inf"), "Infinity", True, None])
def test_to_decimal_refuses_non_numbers(value: object) -> None:
    with pytest.raises(InvalidInputError):
        to_decimal(value)  # type: ignore[arg-type]


def test_arithmetic_stays_exact_and_in_currency() -> None:
    a = Money.of("10.10", "EUR")
    b = Money.of("0.05", "eur")
    assert (a - b).amount == Decimal("10.05")
    assert (a * 3).amount == Decimal("30.30")
    assert (3 * a).amount == Decimal("30.30")
    assert (a / 2).amount == Decimal("5.05")
    assert (a - b).currency == "EUR"
    assert b < a and b <= a and not a < b
    assert str(Money.of("1.50", "usd")) == "1.50 USD"


# --------------------------------------------------------------------------- currencies
@pytest.mark.parametrize(
    ("typed", "expected"), [("usd", "USD"), (" KES ", "KES"), ("Eur", "EUR"), ("JPY", "JPY")]
)
def test_currency_codes_are_normalised(typed: str, expected: str) -> None:
    assert normalize_currency(typed) == expected
    assert Money.of(1, typed).currency == expected


def test_withdrawn_codes_refused_unless_allowed() -> None:
    with pytest.raises(UnknownCurrencyError) as info:
        normalize_currency("HRK")  # Croatian kuna, replaced by EUR on 2023-01-01
    assert "withdrawn" in str(info.value)
    assert normalize_currency("hrk", allow_withdrawn=True) == "HRK"
    # historic amounts may still be held in it
    assert Money.of(5, "HRK").currency == "HRK"


@pytest.mark.parametrize("typed", ["XYZ", "EURO", "us$", "", "  ", None, 840])
def test_unknown_currency_codes(typed: object) -> None:
    with pytest.raises(UnknownCurrencyError):
        normalize_currency(typed)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):  # UnknownCurrencyError is an input error
        normalize_currency(typed, allow_withdrawn=True)  # type: ignore[arg-type]


def test_unknown_currency_in_money() -> None:
    with pytest.raises(UnknownCurrencyError):
        Money.of(1, "XYZ")


def test_mixing_currencies_is_an_error() -> None:
    usd, eur = Money.of(1, "USD"), Money.of(1, "EUR")
    with pytest.raises(InvalidInputError, match="USD and EUR"):
        usd + eur
    with pytest.raises(InvalidInputError):
        usd - eur
    with pytest.raises(InvalidInputError):
        usd < eur  # noqa: B015
    with pytest.raises(TypeError):
        usd + 1  # type: ignore[operator]
    assert usd != eur


# --------------------------------------------------------------------------- minor units, rounding
@pytest.mark.parametrize(
    ("code", "digits"), [("USD", 2), ("JPY", 0), ("KWD", 3), ("EUR", 2), ("KES", 2), ("BHD", 3)]
)
def test_minor_units(code: str, digits: int) -> None:
    assert minor_units(code) == digits


@pytest.mark.parametrize(
    ("amount", "code", "up", "down", "half_even"),
    [
        ("0.001", "USD", "0.01", "0.00", "0.00"),
        ("1.005", "USD", "1.01", "1.00", "1.00"),
        ("1.015", "USD", "1.02", "1.01", "1.02"),
        ("2.50", "USD", "2.50", "2.50", "2.50"),
        ("100.2", "JPY", "101", "100", "100"),
        ("100.5", "JPY", "101", "100", "100"),
        ("101.5", "JPY", "102", "101", "102"),
        ("1.0001", "KWD", "1.001", "1.000", "1.000"),
        ("1.0015", "KWD", "1.002", "1.001", "1.002"),
        ("3.1234", "KWD", "3.124", "3.123", "3.123"),
    ],
)
def test_rounding_modes(amount: str, code: str, up: str, down: str, half_even: str) -> None:
    exact = Decimal(amount)
    assert round_amount(exact, code, "up") == Decimal(up)
    assert round_amount(exact, code, "down") == Decimal(down)
    assert round_amount(exact, code, "half_even") == Decimal(half_even)
    assert round_up(exact, code) == Decimal(up)
    # exponent is the currency's minor unit, written out by hand
    assert round_up(exact, code).as_tuple().exponent == -{"USD": 2, "JPY": 0, "KWD": 3}[code]
    assert Money.of(amount, code).rounded("up").amount == Decimal(up)


@pytest.mark.parametrize(
    "amount", ["0.001", "0.009", "204.91153846153846", "12.345", "99.999", "0.1", "7", "1234567.8912"]
)
@pytest.mark.parametrize("code", ["USD", "JPY", "KWD"])
def test_round_up_never_falls_short(amount: str, code: str) -> None:
    exact = Decimal(amount)
    rounded = round_up(exact, code)
    step = Decimal(1).scaleb(-{"USD": 2, "JPY": 0, "KWD": 3}[code])
    assert rounded >= exact
    assert rounded - exact < step  # and never more than one minor unit above


def test_rounding_mode_is_required_and_checked() -> None:
    with pytest.raises(InvalidInputError, match="rounding mode"):
        round_amount(Decimal("1"), "USD", "nearest")  # type: ignore[arg-type]


def test_metal_and_test_codes_are_not_money() -> None:
    from fairpay.errors import UnknownCurrencyError
    from fairpay.units.money import normalize_currency

    for code in ("XAU", "XTS", "xxx"):
        with pytest.raises(UnknownCurrencyError, match="not money"):
            normalize_currency(code)
