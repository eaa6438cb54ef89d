"""Shared fixtures for the audit tests: hand-set bars and exchange rates (no bundled data)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pandas as pd

from fairpay.units.fx import ExchangeRates
from fairpay.units.places import Place
from fairpay.wages import Benchmark, BenchmarkRow, Benchmarks, FixedBar


def hand_bar(pl: Place, hourly: Decimal, currency: str, year: int) -> Benchmark:
    """A hand-set bar for ``pl``: a real :class:`Benchmark` (a flat figure, cited as this test's)."""
    fixed = FixedBar(hourly, currency, source="test table").bar(pl, year=year)
    return replace(fixed, kind="living", method="hand", url="", adjustments=())


class HandBenchmarks:
    """Bars per place: subdivision first, else country. Records calls (bars are looked up once per place)."""

    def __init__(self, table: dict[str, tuple[str, str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def bar(self, pl, **kw):  # noqa: ANN001, ANN003
        self.calls.append(str(pl))
        key = pl.subdivision if pl.subdivision in self.table else pl.country
        hourly, ccy = self.table[key]
        return hand_bar(pl, Decimal(hourly), ccy, kw.get("year") or 2024)


#: lcu per USD in 2024: 1 USD = 130 KES = 0.8 GBP = 150 JPY
RATES = ExchangeRates(
    [
        {"currency": "KES", "year": 2024, "lcu_per_usd": "130"},
        {"currency": "GBP", "year": 2024, "lcu_per_usd": "0.8"},
        {"currency": "JPY", "year": 2024, "lcu_per_usd": "150"},
    ]
)
BARS = {
    "US": ("15", "USD"),
    "US-CA": ("20", "USD"),
    "KE": ("260", "KES"),
    "GB": ("12", "GBP"),
    "JP": ("1500", "JPY"),
}


def bench() -> HandBenchmarks:
    return HandBenchmarks(BARS)


def ts(*values: str) -> pd.Series:
    return pd.to_datetime(list(values), utc=True)


def log(rows: list[tuple]) -> pd.DataFrame:
    """rows: (worker, project, task, started, submitted, reward, currency, status, country[, sub[, bonus]])"""
    cols = [
        "worker",
        "project",
        "task",
        "started",
        "submitted",
        "reward",
        "currency",
        "status",
        "country",
        "subdivision",
        "bonus",
    ]
    full = [tuple(r) + (None,) * (11 - len(r)) for r in rows]
    df = pd.DataFrame(full, columns=cols)
    df["started"] = pd.to_datetime(df["started"], utc=True)
    df["submitted"] = pd.to_datetime(df["submitted"], utc=True)
    df["bonus"] = df["bonus"].fillna(0.0).astype(float)
    df["reward"] = df["reward"].astype(float)
    return df


def gross_and_net_kenya() -> Benchmarks:
    """Kenya with two cited living wages of one method and year: 200 KES/h gross, 260 KES/h net
    (gross ranks first by default; without that rule the higher figure wins the tie)."""

    def row(amount: str, gross_net: str) -> BenchmarkRow:
        return BenchmarkRow(
            kind="living", country="KE", subdivision=None, area=None, locality=None, household=None,
            method="anker", amount=Decimal(amount), currency="KES", period="hour", gross_net=gross_net,
            hours_per_week=None, reference_year=2024, confidence=None, source=f"test {gross_net}",
            url="https://example.org/living-wage", origin="bundled",
        )  # fmt: skip

    return Benchmarks([row("200", "gross"), row("260", "net")], current_year=2024)
