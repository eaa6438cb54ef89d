"""The audit's bar: the same figure as every other command, historic logs, --method/--household,
and a fixed bar cited as the user's own. Real bundled tables; figures computed by hand from the CSVs."""

from __future__ import annotations

import csv
import json
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from test_audit_support import log

from fairpay.auditing.engine import audit
from fairpay.cli import main
from fairpay.wages import FixedBar

DATA = Path(__file__).resolve().parents[2] / "data" / "wage_benchmarks"
MONTH_40 = Fraction(40 * 52, 12)


def row(kind: str, **match: str) -> dict[str, str]:
    with open(DATA / f"{kind}.csv", encoding="utf-8", newline="") as fh:
        found = [r for r in csv.DictReader(fh) if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (kind, match)
    return found[0]


def cpi(iso3: str, year: int) -> Fraction:
    return Fraction(row("cpi", country_iso3=iso3, year=str(year))["cpi_2010_100"])


def one_hour(year: int, reward: float, currency: str, country: str) -> object:
    return log(
        [
            (
                "w",
                "p",
                "t1",
                f"{year}-03-01 10:00",
                f"{year}-03-01 11:00",
                reward,
                currency,
                "approved",
                country,
            )
        ]
    )


def test_a_2018_us_log_works_by_default_with_the_2022_figure_brought_back() -> None:
    mit = row("living_wages", country="US", subdivision="", method="mit")
    want = Fraction(mit["amount"]) * cpi("USA", 2018) / cpi("USA", 2022)
    result = audit(one_hour(2018, 5.0, "USD", "US"))
    (bar,) = result.bars.to_dict("records")
    assert abs(Fraction(bar["bar_exact"]) - want) < Fraction(1, 10**20)
    assert bar["bar_year"] == 2018 and bar["bar_method"] == "mit"
    assert "brought back to 2018 with CPI" in bar["bar_fallbacks"]


def test_method_and_household_choose_the_bar() -> None:
    wi = row("living_wages", country="KE", method="wageindicator", household="single_adult")
    result = audit(
        one_hour(2019, 1.0, "KES", "KE"), method="wageindicator", household="single_adult", year=2019
    )
    (bar,) = result.bars.to_dict("records")
    assert bar["bar_method"] == "wageindicator"
    assert abs(Fraction(bar["bar_exact"]) - Fraction(wi["amount"]) / MONTH_40) < Fraction(1, 10**20)


def test_fixed_bar_api_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = audit(one_hour(2024, 10.0, "USD", "KE"), benchmarks=FixedBar("15", "USD"))
    (bar,) = result.bars.to_dict("records")
    assert bar["bar_exact"] == "15" and bar["local_currency"] == "USD" and bar["bar_method"] == "fixed_bar"
    assert "the user's own" in bar["bar_source"]
    path = tmp_path / "log.parquet"
    one_hour(2024, 10.0, "USD", "KE").to_parquet(path)  # type: ignore[attr-defined]
    assert main(["audit", str(path), "--bar", "15", "--bar-currency", "USD"]) == 1
    assert "top-up needed: 5.00 USD" in capsys.readouterr().out  # 15 - 10 for one hour
    assert main(["audit", str(path), "--bar", "15"]) == 2
    assert "--bar-currency" in capsys.readouterr().err
    assert main(["audit", str(path), "--bar", "-3", "--bar-currency", "USD"]) == 2
    assert "positive" in capsys.readouterr().err


def test_one_bar_everywhere_for_nigeria(capsys: pytest.CaptureFixture[str]) -> None:
    # NG's default bar: WageIndicator 2019 typical family 74200 NGN/month, CPI-inflated to 2024
    wi = row("living_wages", country="NG", method="wageindicator", household="typical_family")
    want = Fraction(wi["amount"]) / MONTH_40 * cpi("NGA", 2024) / cpi("NGA", 2019)
    shown = Decimal(want.numerator) / Decimal(want.denominator)
    four = shown.quantize(Decimal("0.0001"), rounding=ROUND_CEILING)
    assert main(["benchmarks", "NG", "--format", "json"]) == 0
    bench = json.loads(capsys.readouterr().out)
    assert bench["hourly"] == str(four) and bench["amount"] == wi["amount"]
    assert main(["rate", "--country", "NG", "--seconds", "60", "--format", "json"]) == 0
    rate = json.loads(capsys.readouterr().out)
    assert rate["bar_hourly"] == str(shown.quantize(Decimal("0.01"), rounding=ROUND_CEILING))
    result = audit(one_hour(2024, 1.0, "USD", "NG"))
    (bar,) = result.bars.to_dict("records")
    assert abs(Fraction(bar["bar_exact"]) - want) < Fraction(1, 10**15)


def test_audit_cli_warns_when_the_bar_is_an_estimate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "log.parquet"
    one_hour(2024, 100.0, "USD", "MA").to_parquet(path)  # type: ignore[attr-defined]
    assert main(["audit", str(path)]) == 0
    err = capsys.readouterr().err
    assert "fairpay: warning: MA: no cited living wage for MA: the bar is fairpay's ESTIMATE" in err


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--method", "guesswork"], "method 'guesswork'"),
        (["--household", "couple"], "household 'couple'"),
        (["--missing-living", "maybe"], "missing_living 'maybe'"),
        (
            ["--bar", "15", "--bar-currency", "USD", "--method", "anker"],
            "--method and --household do not apply",
        ),
        (["--bar", "abc", "--bar-currency", "USD"], "bar"),
        (["--bar", "15", "--bar-currency", "XYZ"], "XYZ"),
    ],
)
def test_audit_bar_options_refuse_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], fragment: str
) -> None:
    path = tmp_path / "log.parquet"
    one_hour(2024, 10.0, "USD", "KE").to_parquet(path)  # type: ignore[attr-defined]
    assert main(["audit", str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err


def test_audit_cli_flags_a_net_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Malaysia's cited living wage is a net budget (Belanjawanku 2024): compared with gross pay, flagged
    path = tmp_path / "log.parquet"
    one_hour(2024, 100.0, "USD", "MY").to_parquet(path)  # type: ignore[attr-defined]
    assert main(["audit", str(path)]) == 0
    err = capsys.readouterr().err
    assert "fairpay: warning: MY: benchmark is a net figure (budget_standard, 2024)" in err
    assert "understates the bar" in err
