"""Money: exact ``Decimal`` amounts tagged with an ISO 4217 currency, and rounding rules.

Why: pay is a promise to a person. Floats drift, and a required rate rounded *down* by one cent
leaves a worker below the bar. So amounts are ``Decimal``, every amount carries its currency,
mixing currencies is an error, and rounding to the currency's minor unit (babel/CLDR: JPY 0,
KWD 3, most 2) is always explicit, with a *required* amount rounding **up**.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal

from fairpay.errors import InvalidInputError, UnknownCurrencyError
from fairpay.units.iso import all_currencies as _all_currencies, current_currencies as _current_currencies

RoundingMode = Literal["up", "down", "half_even"]

#: ISO 4217 codes that are not money anyone is paid in: metals, fund/settlement units, test codes.
NOT_MONEY = frozenset(
    {"XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"}
)
_MODES = {"up": ROUND_CEILING, "down": ROUND_FLOOR, "half_even": ROUND_HALF_EVEN}


def normalize_currency(code: str, *, allow_withdrawn: bool = False) -> str:
    """Return an upper-case ISO 4217 code, or raise :class:`UnknownCurrencyError`.

    Withdrawn codes (HRK, BGN after 2026, ...) appear in historic data but must never be used to
    pay anyone today, so they are accepted only with ``allow_withdrawn=True``.
    """
    if not isinstance(code, str) or not code.strip():
        raise UnknownCurrencyError(f"currency {code!r} is not an ISO 4217 code (expected e.g. 'USD', 'KES')")
    norm = code.strip().upper()
    if norm in NOT_MONEY:
        raise UnknownCurrencyError(
            f"currency {norm!r} is an ISO 4217 code for a metal, fund unit or test, not money"
        )
    if norm in _current_currencies():
        return norm
    if norm in _all_currencies():
        if allow_withdrawn:
            return norm
        raise UnknownCurrencyError(
            f"currency {norm!r} is withdrawn from ISO 4217; use its current successor for new amounts"
        )
    raise UnknownCurrencyError(f"currency {code!r} is not an ISO 4217 code (expected e.g. 'USD', 'KES')")


@functools.cache
def minor_units(currency: str) -> int:
    """Digits after the decimal point for a currency (CLDR via babel): USD 2, JPY 0, KWD 3."""
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(normalize_currency(currency, allow_withdrawn=True)))


def to_decimal(value: Decimal | int | float | str, what: str = "amount") -> Decimal:
    """Exact Decimal from user input; floats go through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, bool):
        raise InvalidInputError(f"{what} {value!r} is not a number")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInputError(f"{what} {value!r} is not a number") from None
    if not result.is_finite():
        raise InvalidInputError(f"{what} {value!r} is not a finite number")
    return result


def round_amount(amount: Decimal, currency: str, mode: RoundingMode) -> Decimal:
    """Round to the currency's minor unit. ``mode`` is required: rounding is never implicit."""
    if mode not in _MODES:
        raise InvalidInputError(f"rounding mode {mode!r} is not one of {sorted(_MODES)}")
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(exponent, rounding=_MODES[mode])


def round_up(amount: Decimal, currency: str) -> Decimal:
    """Round a *required* amount up to the minor unit, so it never falls short of the bar."""
    return round_amount(amount, currency, "up")


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one ISO 4217 currency. Arithmetic across currencies is an error."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        object.__setattr__(self, "currency", normalize_currency(self.currency, allow_withdrawn=True))

    @classmethod
    def of(cls, amount: Decimal | int | float | str, currency: str) -> Money:
        """Build from user input (floats are read via ``str``)."""
        return cls(to_decimal(amount), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise InvalidInputError(
                f"cannot combine {self.currency} and {other.currency} amounts; convert one first"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor, "factor"), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: Decimal | int) -> Money:
        return Money(self.amount / to_decimal(divisor, "divisor"), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def rounded(self, mode: RoundingMode) -> Money:
        """This amount rounded to the currency's minor unit with an explicit mode."""
        return Money(round_amount(self.amount, self.currency, mode), self.currency)

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"
