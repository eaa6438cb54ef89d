"""Exchange rates by currency and year, with cross rates via USD and explicit fallbacks.

Why: pay is set in one currency and living wages are published in another. fairpay converts at
the World Bank's official annual average rate (``PA.NUS.FCRF``, local currency units per US$) of a
stated year, keyed by *currency code*, never by country (Bulgaria's minimum wage is in EUR while
its rate row is BGN). A missing rate is an error unless the caller opts into the nearest earlier
year, and then the year actually used is recorded on the result.

Where several countries report a rate for one currency and year (euro-area members, the CFA franc
zone), the rates differ only in the last digits; fairpay takes their median, deterministically.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from fairpay.errors import InvalidInputError, MissingExchangeRateError
from fairpay.units.money import normalize_currency, to_decimal

Fallback = Literal["error", "nearest_earlier"]
FALLBACKS: tuple[str, ...] = ("error", "nearest_earlier")


@dataclass(frozen=True, slots=True)
class Conversion:
    """An amount converted between currencies, with the rate and year actually used."""

    amount: Decimal
    from_currency: str
    to_currency: str
    rate: Decimal  # units of to_currency per one unit of from_currency
    year_requested: int
    year_used: int
    adjustments: tuple[str, ...] = ()


class ExchangeRates:
    """Annual exchange rates, local currency units per US$, keyed by (currency, year)."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], source: str = "user table") -> None:
        by_key: dict[tuple[str, int], list[Decimal]] = defaultdict(list)
        for row in rows:
            if row.get("currency") is None or row.get("lcu_per_usd") is None:
                continue  # published without a usable unit (e.g. Zimbabwe 2024): not a rate
            currency = normalize_currency(str(row["currency"]), allow_withdrawn=True)
            by_key[(currency, int(row["year"]))].append(to_decimal(row["lcu_per_usd"], "lcu_per_usd"))
        self.source = source
        self._rates: dict[tuple[str, int], Decimal] = {
            key: Decimal(statistics.median(values)) for key, values in by_key.items()
        }
        self._cited: dict[tuple[str, int], str] = {}
        self._index()

    def _index(self) -> None:
        years: dict[str, list[int]] = defaultdict(list)
        for currency, year in self._rates:
            years[currency].append(year)
        self._years = {c: sorted(ys) for c, ys in years.items()}

    def with_cited(self, rows: Iterable[Mapping[str, Any]]) -> ExchangeRates:
        """A copy with the user's own cited rates (currency, year, lcu_per_usd, source[, url]) first.

        Why: some currencies have no usable published rate (Venezuela's after 2017); a user may
        supply one, and every conversion through it names its source."""
        out = ExchangeRates([], source=self.source)
        out._rates = dict(self._rates)
        out._cited = dict(self._cited)
        for row in rows:
            currency = normalize_currency(str(row["currency"]), allow_withdrawn=True)
            key = (currency, int(row["year"]))
            rate = to_decimal(row["lcu_per_usd"], "lcu_per_usd")
            if not rate.is_finite() or rate <= 0:
                raise InvalidInputError(f"exchange rate {currency} {key[1]}: {rate} is not a positive number")
            source = str(row.get("source") or "").strip()
            if not source:
                raise InvalidInputError(
                    f"exchange rate {currency} {key[1]}: give its source (cited as yours)"
                )
            out._rates[key] = rate
            out._cited[key] = source + (f" ({row['url']})" if row.get("url") else "")
        out._index()
        return out

    def years(self, currency: str) -> list[int]:
        """Years with a rate for ``currency`` (USD: every year of the table)."""
        code = normalize_currency(currency, allow_withdrawn=True)
        if code == "USD":
            return sorted({y for ys in self._years.values() for y in ys})
        return list(self._years.get(code, []))

    def _lcu(self, currency: str, year: int) -> Decimal | None:
        if currency == "USD":
            return Decimal(1)
        return self._rates.get((currency, year))

    def rate(
        self, from_currency: str, to_currency: str, year: int, *, fallback: Fallback = "error"
    ) -> tuple[Decimal, int]:
        """Units of ``to_currency`` per one ``from_currency`` in ``year``, and the year used.

        With ``fallback="nearest_earlier"`` the newest earlier year in which *both* currencies
        have a rate is used; the caller must record it (``convert`` does).
        """
        if fallback not in FALLBACKS:
            raise InvalidInputError(f"fallback {fallback!r} is not one of {', '.join(FALLBACKS)}")
        src = normalize_currency(from_currency, allow_withdrawn=True)
        dst = normalize_currency(to_currency, allow_withdrawn=True)
        if src == dst:
            return Decimal(1), year
        candidates = [year] if fallback == "error" else range(year, 1900, -1)
        for y in candidates:
            a, b = self._lcu(src, y), self._lcu(dst, y)
            if a is not None and b is not None:
                return b / a, y
            if fallback == "nearest_earlier" and y < min(self.years(src) + self.years(dst) + [year]):
                break
        have = {c: self.years(c) for c in (src, dst) if c != "USD"}
        detail = "; ".join(f"{c} has {_span(ys)}" for c, ys in have.items())
        hint = (
            "" if fallback != "error" else " (pass fallback='nearest_earlier' to use the newest earlier year)"
        )
        if any(not ys for ys in have.values()):
            hint += (
                "; supply your own cited rate (a spec's exchange_rates, `fairpay rate --fx-rate "
                f"{next(c for c, ys in have.items() if not ys)}:{year}=RATE --fx-source SOURCE`)"
            )
        raise MissingExchangeRateError(
            f"no exchange rate {src}->{dst} for {year} in {self.source}: {detail}{hint}"
        )

    def convert(
        self,
        amount: Decimal,
        from_currency: str,
        to_currency: str,
        year: int,
        *,
        fallback: Fallback = "error",
    ) -> Conversion:
        """Convert an exact amount; the result records the rate and the year used."""
        rate, used = self.rate(from_currency, to_currency, year, fallback=fallback)
        notes: tuple[str, ...] = ()
        if used != year:
            notes = (f"exchange rate {from_currency}->{to_currency}: no {year} rate, used {used}",)
        for code in (from_currency, to_currency):
            cited = self._cited.get((normalize_currency(code, allow_withdrawn=True), used))
            if cited:
                notes += (f"exchange rate {code} per US$ {used}: the user's own, cited as {cited}",)
        return Conversion(
            amount=to_decimal(amount) * rate,
            from_currency=normalize_currency(from_currency, allow_withdrawn=True),
            to_currency=normalize_currency(to_currency, allow_withdrawn=True),
            rate=rate,
            year_requested=year,
            year_used=used,
            adjustments=notes,
        )


def _span(years: list[int]) -> str:
    if not years:
        return "no rates at all"
    return f"rates for {years[0]}-{years[-1]}" if len(years) > 1 else f"a rate for {years[0]} only"
