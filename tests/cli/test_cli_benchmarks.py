"""Tests for ``fairpay benchmarks``: JSON and table output, --list, and one-line errors (exit 2).

Expected hourly figures are computed by hand from the published figure (a month holds
40 x 52 / 12 hours when the source states none) and rounded to the 4 places the JSON shows.
"""

from __future__ import annotations

import csv
import json
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import pytest

from fairpay.cli import main

DATA = Path(__file__).resolve().parents[2] / "data" / "wage_benchmarks"
FOUR = Decimal("0.0001")


def per_month_40(amount: str) -> Decimal:
    """amount per month / (40 h x 52 / 12) = amount x 12 / 2080, to 4 places, rounded up (a bar)."""
    return (Decimal(amount) * 12 / Decimal(40 * 52)).quantize(FOUR, rounding=ROUND_CEILING)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv, "--format", "json")
    assert code == 0, err
    assert err == ""
    return json.loads(out)


def csv_rows(kind: str) -> list[dict[str, str]]:
    with open(DATA / f"{kind}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- the four places
def test_kenya_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "benchmarks", "Kenya", "--no-inflate")
    published = [
        r
        for r in csv_rows("living_wages")
        if r["country"] == "KE" and r["method"] == "anker" and r["area"] == "urban"
    ][0]
    assert result["hourly"] == str(per_month_40("35518")) == "204.9116"
    assert result["currency"] == "KES"
    assert result["source"] == published["source_name"]
    assert result["url"] == published["source_url"]
    assert result["reference_year"] == 2023
    assert result["hours_per_week"] == "40" and result["hours_basis"] == "default_40"
    assert result["kind"] == "living" and result["country"] == "KE"
    assert result["amount"] == "35518" and result["period"] == "month"
    assert any("40 h/week" in a for a in result["adjustments"])
    assert any("several figures fit" in f for f in result["fallbacks"])


def test_in_mp_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "benchmarks", "IN-MP", "--no-inflate")
    assert result["subdivision"] == "IN-MP" and result["country"] == "IN"
    assert result["hourly"] == str(per_month_40("14114"))
    assert result["currency"] == "INR" and result["reference_year"] == 2023
    # the same place spelled as country + --region
    again = run_json(capsys, "benchmarks", "India", "--region", "Madhya Pradesh", "--no-inflate")
    assert again["hourly"] == result["hourly"]


def test_gb_london_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "benchmarks", "GB", "--locality", "London")
    assert result["hourly"] == "14.8000" and result["currency"] == "GBP"
    assert result["locality"] == "London" and result["reference_year"] == 2025
    assert result["hours_basis"] == "hourly"


def test_ca_on_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "benchmarks", "CA-ON")
    assert result["hourly"] == "27.2000" and result["currency"] == "CAD"
    assert result["reference_year"] == 2025


def test_kenya_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "benchmarks", "KE", "--no-inflate")
    assert code == 0 and err == ""
    assert "Benchmark for KE" in out
    assert "204.92 KES per hour" in out  # 35518 / 173.33 = 204.9115...: a bar is shown rounded up
    assert "35,518 KES per month" in out
    assert "40 h/week (default 40)" in out
    assert "2023" in out


def test_currency_conversion(capsys: pytest.CaptureFixture[str]) -> None:
    kes = [r for r in csv_rows("exchange_rates") if r["country_iso3"] == "KEN" and r["year"] == "2023"][0]
    result = run_json(capsys, "benchmarks", "Kenya", "--currency", "usd", "--no-inflate")
    conv = result["converted"]
    expected = (Decimal(35518) * 12 / Decimal(2080) / Decimal(kes["lcu_per_usd"])).quantize(FOUR)
    assert conv["currency"] == "USD" and conv["rate_year"] == 2023
    assert conv["hourly"] == str(expected)  # about 1.4653 USD/h
    assert conv["adjustments"] == []


def test_kind_higher_minimum_wins(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(
        capsys, "benchmarks", "MX", "--kind", "higher", "--method", "wageindicator", "--no-inflate"
    )
    assert result["kind"] == "minimum"
    assert result["hourly"] == str((Decimal("315.04") / 8).quantize(FOUR))  # 39.3800 MXN/h


# --------------------------------------------------------------------------- --list
def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(capsys, "benchmarks", "--list")
    by_country = {r["country"]: r for r in rows}
    assert len(by_country) == len(rows) == 249  # every ISO 3166-1 country, once
    # Bangladesh: its newest Anker figure (Dhaka 2023) is cited
    bd = by_country["BD"]
    assert bd["living_source"] == "cited" and bd["living_method"] == "anker" and bd["living_year"] == 2023
    # Morocco: no living wage is cited, its income is inside the fitted range: the estimate
    assert by_country["MA"]["living_source"] == "estimate"
    # Poland: too rich for the estimate, so the statutory minimum
    assert by_country["PL"]["living_source"] == "minimum" and by_country["PL"]["bar_kind"] == "minimum"
    # Italy: neither, so the cited campaign floor is the last resort
    assert by_country["IT"]["living_source"] == "other_cited"
    # Antarctica: nothing at all
    assert by_country["AQ"]["living_source"] == "none" and "AQ" in by_country["AQ"]["reason"]


def test_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "benchmarks", "--list")
    assert code == 0 and err == ""
    assert "The bar a default check uses" in out
    assert "estimate" in out and "cited" in out and "anker" in out


# --------------------------------------------------------------------------- errors: exit 2, one line
@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["benchmarks", "Narnia"], "unknown country 'Narnia'"),
        (["benchmarks", "Kenyaa"], "Kenya (KE)"),
        (["benchmarks", "Kenya", "--format", "xml"], "--format 'xml'"),
        (["benchmarks", "Kenya", "--bogus"], "--bogus"),
        (["benchmarks", "Kenya", "--year", "abc"], "--year"),
        (["benchmarks"], "COUNTRY"),
        (["benchmarks", "PL", "--missing-living", "error"], "no living wage for PL"),
        (["benchmarks", "Kenya", "--kind", "highest"], "kind 'highest'"),
        (["benchmarks", "Kenya", "--currency", "XYZ"], "XYZ"),
        (["benchmarks", "Kenya", "--region", "IN-KA"], "IN-KA"),
        (["benchmarks", "--list", "--format", "yaml"], "--format 'yaml'"),
    ],
)
def test_errors_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("fairpay: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in err
