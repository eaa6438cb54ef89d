"""Tests for fairpay.wages: the documented lookup order, hours bases, CPI inflation, the bar.

Every expected hourly figure is computed here by hand from the published figure (a month is
hours_per_week x 52 / 12 hours, a day hours_per_week / 5) with exact Fractions, or read from the
CSV text with the csv module; nothing is copied back from the code's output.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from fairpay.errors import InvalidDataError, InvalidInputError, NoBenchmarkError
from fairpay.units.places import place
from fairpay.wages import Benchmark, Benchmarks, benchmarks

DATA = Path(__file__).resolve().parents[1] / "data" / "wage_benchmarks"
MONTH_40 = Fraction(40 * 52, 12)  # 173.33... h: 40 h/week x 52 weeks / 12 months


def rows(kind: str) -> list[dict[str, str]]:
    with open(DATA / f"{kind}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def one_row(kind: str, **match: str) -> dict[str, str]:
    found = [r for r in rows(kind) if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (kind, match, len(found))
    return found[0]


def cpi(iso3: str, year: int) -> Fraction:
    return Fraction(one_row("cpi", country_iso3=iso3, year=str(year))["cpi_2010_100"])


def close(actual: Decimal, expected: Fraction) -> bool:
    """Decimal (28 significant digits) equal to an exact Fraction within 1e-20 relative."""
    return abs(Fraction(actual) - expected) <= abs(expected) * Fraction(1, 10**20)


@pytest.fixture(scope="module")
def b() -> Benchmarks:
    return benchmarks()


LIVING_ROW = {
    "country": "KE",
    "subdivision": "",
    "area": "national",
    "locality": "Kenya (user survey)",
    "household": "typical_family",
    "household_detail": "",
    "amount": "50000",
    "currency": "KES",
    "period": "month",
    "gross_net": "gross",
    "hours_per_week": "45",
    "reference_year": "2024",
    "reference_month": "",
    "method": "ngo_estimate",
    "method_detail": "",
    "confidence": "high",
    "source_name": "Example workers' survey",
    "source_url": "https://example.org/living-wage",
    "retrieved_from": "",
    "notes": "",
}


def living_csv(*overrides: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(LIVING_ROW), lineterminator="\n")
    writer.writeheader()
    for o in overrides:
        writer.writerow({**LIVING_ROW, **o})
    return out.getvalue()


# --------------------------------------------------------------------------- the four done-when cases
def test_kenya_hourly_living_wage_with_provenance(b: Benchmarks) -> None:
    bench = b.lookup("Kenya")
    published = one_row("living_wages", country="KE", area="urban", method="anker")
    assert published["amount"] == "35518" and published["hours_per_week"] == ""
    assert bench.country == "KE" and bench.subdivision is None and bench.kind == "living"
    assert bench.currency == "KES"
    assert close(bench.hourly, Fraction(35518) / MONTH_40)  # 204.9115... KES/h
    assert bench.amount == Decimal("35518") and bench.period == "month"
    assert bench.method == "anker" and bench.household == "typical_family"
    assert bench.source == published["source_name"]
    assert bench.url == published["source_url"]
    assert bench.reference_year == bench.year == 2023
    # no hours in the source, no Kenyan standard week bundled: 40 h, and it says so
    assert bench.hours_per_week == 40 and bench.hours_basis == "default_40"
    assert any("40 h/week" in a and "states none" in a for a in bench.adjustments)
    assert any("35518 KES/month" in a and "173.33 h/month" in a for a in bench.adjustments)
    assert bench.origin == "bundled"
    # the rural figure (30531) fits as well as the urban one: the higher is used, and recorded
    assert len(bench.fallbacks) == 1 and "several figures fit" in bench.fallbacks[0]
    assert "30531" in bench.fallbacks[0] and "35518" in bench.fallbacks[0]


def test_kenya_every_spelling_gives_the_same_figure(b: Benchmarks) -> None:
    expected = b.lookup("KE").hourly
    for typed in ("KEN", "404", "kenya", place("Kenya")):
        assert b.lookup(typed).hourly == expected


def test_in_mp_subdivision(b: Benchmarks) -> None:
    bench = b.lookup("IN-MP")
    assert (bench.country, bench.subdivision, bench.currency) == ("IN", "IN-MP", "INR")
    # two 2023 anker rural district figures, 13279 (Chhindwara) and 14114 (Ratlam): the higher
    assert close(bench.hourly, Fraction(14114) / MONTH_40)
    assert bench.reference_year == 2023 and bench.method == "anker"
    assert "Ratlam" in (bench.locality or "")
    assert any("several figures fit" in f and "13279" in f for f in bench.fallbacks)
    assert not any("national figure" in f for f in bench.fallbacks)
    assert b.lookup("IN", "Madhya Pradesh").hourly == bench.hourly


def test_gb_london(b: Benchmarks) -> None:
    bench = b.lookup("GB", locality="London")
    # 2025 London figures: 14.80 (medium) and 14.8 (high) - the same amount; newest year wins
    assert bench.hourly == Decimal("14.8") and bench.currency == "GBP"
    assert bench.period == "hour" and bench.hours_basis == "hourly"
    assert bench.reference_year == 2025 and bench.locality == "London"
    assert bench.confidence == "high"  # the tie on amount is broken by confidence
    assert bench.method == "minimum_income_standard"
    assert bench.fallbacks == ()
    assert b.lookup("UK", locality="london").hourly == Decimal("14.8")


def test_gb_without_locality_is_not_london(b: Benchmarks) -> None:
    bench = b.lookup("GB")
    assert bench.hourly == Decimal("13.45") and bench.locality == "UK outside London"


def test_ca_on(b: Benchmarks) -> None:
    bench = b.lookup("CA-ON")
    assert bench.hourly == Decimal("27.20") and bench.currency == "CAD"
    assert bench.reference_year == 2025  # newer than the 2024 figures (26.0, 22.8)
    assert bench.locality == "Greater Toronto Area" and bench.method == "canadian_framework"
    assert any("several figures fit" in f and "Ottawa" in f for f in bench.fallbacks)
    assert b.lookup("CA-ON", locality="Ottawa").hourly == Decimal("23.40")


# --------------------------------------------------------------------------- fallback order
def test_subdivision_falls_back_to_national_and_says_so(b: Benchmarks) -> None:
    bench = b.lookup("IN-KA")
    assert bench.subdivision == "IN-KA"
    assert any("no living wage for IN-KA" in f and "national figure for IN" in f for f in bench.fallbacks)
    # never another subdivision's figure (IN-MP 13279/14114, IN-TN 15570, IN-UP 10627)
    assert bench.amount not in (Decimal("13279"), Decimal("14114"), Decimal("15570"), Decimal("10627"))
    # India has no national Anker figure, so the national typical-family WageIndicator row is used
    national = [
        r
        for r in rows("living_wages")
        if r["country"] == "IN"
        and r["subdivision"] == ""
        and r["method"] == "wageindicator"
        and r["household"] == "typical_family"
    ]
    assert len(national) == 1 and bench.method == "wageindicator"
    assert close(bench.hourly, Fraction(national[0]["amount"]) / MONTH_40)


def test_subdivision_without_national_fallback_is_an_error(b: Benchmarks) -> None:
    with pytest.raises(NoBenchmarkError):
        b.lookup("CA-QC")  # Canada has figures only for AB, BC, NS, ON


def test_locality_falls_back_to_national_and_says_so(b: Benchmarks) -> None:
    bench = b.lookup("GB", locality="Manchester")
    assert bench.hourly == Decimal("13.45") and bench.locality == "UK outside London"
    assert any("locality 'Manchester'" in f for f in bench.fallbacks)


def test_locality_urban_rural_and_newest_year(b: Benchmarks) -> None:
    # Tanzania: rural 317779 (2020), rural 342926 (2023), urban 482658 (2024)
    assert close(b.lookup("TZ").hourly, Fraction(482658) / MONTH_40)
    rural = b.lookup("TZ", locality="rural")
    assert rural.reference_year == 2023
    assert close(rural.hourly, Fraction(342926) / MONTH_40)
    assert rural.fallbacks == ()
    assert close(b.lookup("MX-BCN", locality="Ensenada").hourly, Fraction(15929) / MONTH_40)
    assert close(b.lookup("MX-BCN", locality="rural").hourly, Fraction(15009) / MONTH_40)


def test_year_ignores_newer_figures(b: Benchmarks) -> None:
    assert b.lookup("GB", locality="London", year=2024).hourly == Decimal("13.85")
    assert b.lookup("CA-ON", year=2024).hourly == Decimal("26.0")
    # before Kenya's earliest figure: the earliest later one is used (as published without inflate)
    ke = b.lookup("KE", year=2010)
    assert ke.reference_year == 2019 and ke.year == 2019
    assert any("no living wage for KE up to 2010" in f and "inflate is off" in f for f in ke.fallbacks)
    with pytest.raises(NoBenchmarkError, match="up to 2005"):
        b.lookup("KE", year=2005, inflate=True)  # no CPI for 2005 to bring it back with


def test_household_fallback_is_recorded(b: Benchmarks) -> None:
    bench = b.lookup("IN-MP", household="single_adult")
    assert bench.household == "typical_family"
    assert any("no single_adult figure; used household typical_family" in f for f in bench.fallbacks)
    gb = b.lookup("GB", household="single_adult")
    assert gb.household == "blended" and any("single_adult" in f for f in gb.fallbacks)


def test_household_ranks_before_method(b: Benchmarks) -> None:
    # Kenya's only single_adult figure is WageIndicator's 20100 KES/month (2019)
    bench = b.lookup("KE", household="single_adult")
    assert bench.household == "single_adult" and bench.method == "wageindicator"
    assert close(bench.hourly, Fraction(20100) / MONTH_40)
    assert bench.fallbacks == ()
    with pytest.raises(InvalidInputError, match="household"):
        b.lookup("KE", household="couple")


def test_anker_before_wageindicator(b: Benchmarks) -> None:
    # WageIndicator's national typical-family figure (38100) is national and higher, yet anker wins
    assert Fraction(38100) > Fraction(35518)
    assert b.lookup("KE").method == "anker"
    asked = b.lookup("KE", method="wageindicator")
    assert asked.method == "wageindicator" and asked.area == "national"
    assert close(asked.hourly, Fraction(38100) / MONTH_40)
    assert any("WageIndicator" in a and "not comparable" in a for a in asked.adjustments)
    with pytest.raises(InvalidInputError, match="method"):
        b.lookup("KE", method="guesswork")


def test_campaign_floor_only_when_asked_by_name(b: Benchmarks) -> None:
    default = b.lookup("BD")
    assert default.method == "anker" and close(default.hourly, Fraction(25497) / MONTH_40)
    floor = b.lookup("BD", method="campaign_floor")
    assert floor.method == "campaign_floor"
    # the row states a 48-hour week: 53828.97 / (48 x 52 / 12)
    assert floor.hours_per_week == 48 and floor.hours_basis == "source"
    assert close(floor.hourly, Fraction("53828.97") / Fraction(48 * 52, 12))
    # China has only a campaign floor: none by default
    with pytest.raises(NoBenchmarkError, match="campaign_floor"):
        b.lookup("CN")
    assert b.lookup("CN", method="campaign_floor").currency == "CNY"


# --------------------------------------------------------------------------- hours basis
def test_hours_basis_from_the_national_standard_week(b: Benchmarks) -> None:
    week = one_row("standard_weeks", country="ZA")
    assert week["hours_per_week"] == "45"
    bench = b.lookup("ZA")  # WageIndicator 8240 ZAR/month (2019) states no hours
    assert bench.hours_basis == "national_standard" and bench.hours_per_week == 45
    assert close(bench.hourly, Fraction(8240) / Fraction(45 * 52, 12))  # 195 h/month
    assert any("45 h/week" in a and week["source_name"] in a for a in bench.adjustments)


def test_daily_figure_over_eight_hours(b: Benchmarks) -> None:
    with pytest.raises(NoBenchmarkError, match="ngo_estimate"):
        b.lookup("PH-00")  # an NGO estimate is not a default method
    bench = b.lookup("PH-00", method="ngo_estimate")
    assert bench.period == "day" and bench.amount == Decimal("1197") and bench.reference_year == 2024
    assert bench.hourly == Decimal(1197) / 8 == Decimal("149.625")
    assert any("5 working days" in a for a in bench.adjustments)
    assert any("8 h/day" in a for a in bench.adjustments)


# --------------------------------------------------------------------------- CPI
def test_cpi_inflation_to_the_newest_cpi_year(b: Benchmarks) -> None:
    newest = max(int(r["year"]) for r in rows("cpi") if r["country_iso3"] == "KEN")
    bench = b.lookup("KE", inflate=True)
    expected = Fraction(35518) / MONTH_40 * cpi("KEN", newest) / cpi("KEN", 2023)
    assert close(bench.hourly, expected)
    assert bench.year == newest and bench.reference_year == 2023
    assert any(f"inflated 2023->{newest}" in a and "CPI KEN" in a for a in bench.adjustments)


def test_cpi_target_year_and_not_older(b: Benchmarks) -> None:
    # asked for a year beyond the table: newest CPI year, and the note says so
    bench = b.lookup("KE", inflate=True, year=2099)
    newest = max(int(r["year"]) for r in rows("cpi") if r["country_iso3"] == "KEN")
    assert bench.year == newest
    assert any("2099 not published" in a for a in bench.adjustments)
    # target = reference year: no inflation, and it says why
    same = b.lookup("KE", inflate=True, year=2023)
    assert close(same.hourly, Fraction(35518) / MONTH_40) and same.year == 2023
    assert any(a.startswith("not inflated") and "2023" in a for a in same.adjustments)
    # an older target year inflates to that year
    wi = b.lookup("KE", method="wageindicator", inflate=True, year=2022)
    assert wi.year == 2022
    assert close(wi.hourly, Fraction(38100) / MONTH_40 * cpi("KEN", 2022) / cpi("KEN", 2019))


def test_cpi_gap_in_target_year_is_stated_not_a_crash(b: Benchmarks) -> None:
    # Burkina Faso publishes no CPI for 2022 (a gap in the World Bank series)
    assert not [r for r in rows("cpi") if r["country_iso3"] == "BFA" and r["year"] == "2022"]
    user = b.add(
        io.StringIO(
            living_csv(
                {
                    "country": "BF",
                    "currency": "XOF",
                    "amount": "60000",
                    "reference_year": "2019",
                    "hours_per_week": "40",
                }
            )
        )
    )
    bench = user.lookup("BF", inflate=True, year=2022)  # used to raise KeyError
    assert close(bench.hourly, Fraction(60000) / MONTH_40) and bench.year == 2019
    assert any("not inflated" in a and "BFA" in a and "2022" in a for a in bench.adjustments)
    ok = user.lookup("BF", inflate=True, year=2021)
    assert close(ok.hourly, Fraction(60000) / MONTH_40 * cpi("BFA", 2021) / cpi("BFA", 2019))


# --------------------------------------------------------------------------- the bar
def test_bar_higher_living_wins(b: Benchmarks) -> None:
    bench = b.bar("KE", kind="higher", inflate=False)
    assert bench.kind == "living" and close(bench.hourly, Fraction(35518) / MONTH_40)
    assert any(a.startswith("higher than the minimum wage") for a in bench.adjustments)


def test_bar_higher_minimum_wins_over_a_stale_living_wage(b: Benchmarks) -> None:
    # Mexico: WageIndicator 2018 typical family 5210 MXN/month vs the 2026 minimum 315.04 MXN/day
    living = Fraction(5210) / MONTH_40  # 30.06 MXN/h
    minimum = Fraction("315.04") / 8  # 39.38 MXN/h
    assert minimum > living
    # (since 2026-12 Mexico has a cited Anker figure; the archived series is asked for by name)
    bench = b.bar("MX", kind="higher", method="wageindicator", inflate=False)
    assert bench.kind == "minimum" and bench.currency == "MXN"
    assert close(bench.hourly, minimum)
    assert bench.amount == Decimal("315.04") and bench.period == "day"
    assert any("is higher than the living wage" in a and "wageindicator" in a for a in bench.adjustments)
    assert close(b.bar("MX", kind="living", method="wageindicator", inflate=False).hourly, living)
    assert close(b.bar("MX", kind="minimum", inflate=False).hourly, minimum)
    # the new Anker national figure, 14449 MXN/month (2024), is above the minimum
    assert close(b.bar("MX", kind="higher", inflate=False).hourly, Fraction(14449) / MONTH_40)


def test_bar_higher_with_a_user_table_where_minimum_wins(b: Benchmarks) -> None:
    # a living wage below Kenya's minimum (16033.14 KES/month, ILOSTAT 2024) is stale: the minimum wins
    ilo = one_row("minimum_wages_ilostat", country_iso3="KEN", year="2024")
    user = b.add(io.StringIO(living_csv({"amount": "10000", "hours_per_week": "40"})))
    bench = user.bar("KE", kind="higher")
    assert bench.kind == "minimum"
    assert close(bench.hourly, Fraction(ilo["monthly_minimum_wage_lcu"]) / MONTH_40)


def test_missing_living_wage(b: Benchmarks) -> None:
    # Poland: no cited living wage, and too rich for the estimate's fitted income range
    with pytest.raises(NoBenchmarkError, match="no living wage for PL"):
        b.bar("PL", kind="higher", missing_living="error")
    with pytest.raises(NoBenchmarkError):
        b.bar("PL", kind="living", missing_living="error")
    for policy in ("minimum", "estimate"):
        bench = b.bar("PL", kind="higher", missing_living=policy, inflate=False)  # type: ignore[arg-type]
        assert bench.kind == "minimum" and bench.currency == "PLN"
        assert close(bench.hourly, Fraction(4666) / MONTH_40)  # ILOSTAT 2025: 4666 PLN/month
        assert any("a legal floor, not a living wage" in f for f in bench.fallbacks)
    est = b.bar("PL", missing_living="estimate")
    assert any("outside the range the estimate was fitted on" in f for f in est.fallbacks)
    with pytest.raises(InvalidInputError):
        b.bar("PL", missing_living="guess")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        b.bar("KE", kind="highest")  # type: ignore[arg-type]


def test_minimum_lookup(b: Benchmarks) -> None:
    au = b.lookup("AU", kind="minimum")  # 24.95 AUD/hour, 2025
    assert au.hourly == Decimal("24.95") and au.hours_basis == "hourly" and au.kind == "minimum"
    ph = b.lookup("PH-00", kind="minimum")  # NCR wage order: 695 PHP/day
    assert ph.hourly == Decimal(695) / 8


# --------------------------------------------------------------------------- no benchmark
def test_no_benchmark_messages(b: Benchmarks) -> None:
    with pytest.raises(NoBenchmarkError) as pl:
        b.lookup("PL")
    assert "no living wage for PL" in str(pl.value) and "fairpay data import" in str(pl.value)

    with pytest.raises(NoBenchmarkError) as jp:
        b.lookup("JP")
    assert "union_survey" in str(jp.value) and "ask for one by name" in str(jp.value)
    assert b.lookup("JP", method="union_survey").hourly == Decimal("1700")

    # Canada: only provincial figures are cited; a plain country name gets one of them, recorded
    subs = sorted({r["subdivision"] for r in rows("living_wages") if r["country"] == "CA"})
    ca = b.lookup("CA")
    assert ca.subdivision is None and ca.country == "CA"
    assert any("only regional figures are cited" in f for f in ca.fallbacks)
    with pytest.raises(NoBenchmarkError) as ca_method:
        b.lookup("CA", method="anker")
    assert f"figures exist for subdivisions {', '.join(subs)}: pass one" in str(ca_method.value)


# --------------------------------------------------------------------------- user tables
def test_user_dataframe_takes_precedence(b: Benchmarks) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame([LIVING_ROW])
    user = benchmarks(df)
    bench = user.lookup("Kenya")
    assert bench.origin == "user"
    assert bench.method == "ngo_estimate"  # a user's own method wins, whatever it is
    assert bench.hours_basis == "source" and bench.hours_per_week == 45
    assert close(bench.hourly, Fraction(50000) / Fraction(45 * 52, 12))
    assert bench.source == "Example workers' survey"
    # the bundled collection is unchanged, and other places are unaffected
    assert b.lookup("Kenya").origin == "bundled"
    assert user.lookup("GB").origin == "bundled"
    assert user.lookup("KE", kind="minimum").origin == "bundled"


def test_user_dataframe_with_numeric_columns() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame([{**LIVING_ROW, "amount": 50000, "hours_per_week": 45.0, "reference_year": 2024}])
    bench = benchmarks(df).lookup("KE")
    assert close(bench.hourly, Fraction(50000) / Fraction(45 * 52, 12))


def test_user_csv_path_takes_precedence(b: Benchmarks, tmp_path: Path) -> None:
    path = tmp_path / "my_wages.csv"
    path.write_text(
        living_csv(
            {
                "country": "GB",
                "currency": "GBP",
                "amount": "16.50",
                "period": "hour",
                "hours_per_week": "",
                "locality": "Leeds",
            }
        ),
        encoding="utf-8",
    )
    user = Benchmarks.bundled().add(path)
    bench = user.lookup("GB")
    assert bench.origin == "user" and bench.hourly == Decimal("16.50") and bench.currency == "GBP"
    assert benchmarks(str(path)).lookup("GB").origin == "user"
    # a user's national row also serves a subdivision of its country, with the fallback said
    sub = user.lookup("GB-LND")
    assert sub.origin == "user" and any("national figure for GB" in f for f in sub.fallbacks)


def test_invalid_user_table_lists_every_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        living_csv({}, {"country": "XX"}, {"amount": "-5", "currency": "KESS"}, {"period": "fortnight"}),
        encoding="utf-8",
    )
    with pytest.raises(InvalidDataError) as info:
        Benchmarks.bundled().add(path)
    failures = info.value.failures
    assert len(failures) == 4
    assert any("row 3" in f and "'country'" in f and "XX" in f for f in failures)
    assert any("row 4" in f and "'amount'" in f for f in failures)
    assert any("row 4" in f and "'currency'" in f and "KESS" in f for f in failures)
    assert any("row 5" in f and "'period'" in f for f in failures)
    assert not any("row 2" in f for f in failures)  # the good row is not blamed
    assert str(path) in str(info.value)


def test_invalid_user_dataframe(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame([LIVING_ROW, {**LIVING_ROW, "method": "vibes"}, {**LIVING_ROW, "source_url": "nope"}])
    with pytest.raises(InvalidDataError) as info:
        benchmarks(df)
    assert len(info.value.failures) == 2
    assert "row 3" in info.value.failures[0] and "row 4" in info.value.failures[1]


# --------------------------------------------------------------------------- serialisation
def test_to_dict_is_json_ready(b: Benchmarks) -> None:
    out: dict[str, Any] = b.lookup("KE").to_dict()
    assert out["hourly"] == "204.9116"  # 35518 / 173.333... = 204.91153..., rounded UP to 4 places (a bar)
    assert out["amount"] == "35518" and out["hours_per_week"] == "40"
    assert isinstance(out["adjustments"], list) and isinstance(out["fallbacks"], list)
    assert isinstance(b.lookup("KE"), Benchmark)


# --------------------------------------------------------------------------- issue 17: fallbacks
def test_a_plain_country_with_only_regional_figures_gets_one_recorded(b: Benchmarks) -> None:
    # Pakistan: Anker figures only for urban and rural Sialkot (PK-PB), 2023; the higher is used
    urban = one_row("living_wages", country="PK", locality="urban areas of Sialkot")
    pk = b.lookup("PK", inflate=False)
    assert pk.country == "PK" and pk.subdivision is None and pk.method == "anker"
    assert close(pk.hourly, Fraction(urban["amount"]) / MONTH_40)
    assert any("only regional figures are cited" in f and "PK-PB" in f for f in pk.fallbacks)
    assert b.bar("Pakistan").kind == "living"  # never an error for a plain country name


def test_historic_year_brings_the_earliest_later_figure_back_with_cpi(b: Benchmarks) -> None:
    # A 2016-2019 US log: the only US living wage is MIT 2022, 25.02 USD/h; brought back to 2018
    mit = one_row("living_wages", country="US", subdivision="", method="mit")
    bench = b.bar("US", year=2018)
    want = Fraction(mit["amount"]) * cpi("USA", 2018) / cpi("USA", 2022)
    assert bench.kind == "living" and bench.year == 2018 and bench.reference_year == 2022
    assert close(bench.hourly, want)
    assert any("up to 2018" in f and "brought back to 2018 with CPI" in f for f in bench.fallbacks)
    assert any(a.startswith("brought back 2022->2018") for a in bench.adjustments)


def test_prefer_gross_ranks_a_net_figure_after_a_gross_one(b: Benchmarks) -> None:
    gross = {**LIVING_ROW, "amount": "50000", "gross_net": "gross", "locality": "Kenya (gross)"}
    net = {**LIVING_ROW, "amount": "60000", "gross_net": "net", "locality": "Kenya (net)"}
    user = b.add(io.StringIO(living_csv(gross, net)))
    assert user.lookup("KE").amount == Decimal(50000)
    chosen = user.lookup("KE", prefer_gross=False)  # then the higher figure, which is net: flagged
    assert chosen.amount == Decimal(60000) and chosen.gross_net == "net"
    assert any("understates the gross pay needed" in a for a in chosen.adjustments)


def test_jakarta_minimum_is_not_indonesias_national_one(b: Benchmarks) -> None:
    # ILOSTAT's IDN 2023-24 values are DKI Jakarta's UMP; the national lookup uses 2022's
    ilo = one_row("minimum_wages_ilostat", country_iso3="IDN", year="2022")
    jakarta = one_row("minimum_wages_ilostat", country_iso3="IDN", year="2024")
    national = b.lookup("ID", kind="minimum", inflate=False)
    assert national.reference_year == 2022
    assert close(national.hourly, Fraction(ilo["monthly_minimum_wage_lcu"]) / MONTH_40)
    jk = b.lookup("ID-JK", kind="minimum", inflate=False, year=2024)
    assert close(jk.hourly, Fraction(jakarta["monthly_minimum_wage_lcu"]) / MONTH_40)


def test_minimum_published_in_eur_ranks_after_the_national_currency(b: Benchmarks) -> None:
    pl = b.lookup("PL", kind="minimum", inflate=False)
    ilo = one_row("minimum_wages_ilostat", country_iso3="POL", year="2025")
    assert pl.currency == "PLN" and close(pl.hourly, Fraction(ilo["monthly_minimum_wage_lcu"]) / MONTH_40)


def test_statutory_hourly_rate_as_published_and_stale_minimums_flagged(b: Benchmarks) -> None:
    us = b.lookup("US", kind="minimum")
    assert us.hourly == Decimal("7.25") and us.period == "hour"
    assert any("has not changed since 2009" in f for f in us.fallbacks)
    rw = b.lookup("RW", kind="minimum")
    assert any(f.startswith("stale minimum wage: 2600 RWF/month") for f in rw.fallbacks)
    assert not any("stale" in f for f in b.lookup("KE", kind="minimum").fallbacks)


def test_italy_last_resort_is_a_cited_other_method(b: Benchmarks) -> None:
    it = b.bar("IT")
    row = one_row("living_wages", country="IT", period="hour")
    assert it.method == "campaign_floor" and it.amount == Decimal(row["amount"])
    assert any(f.startswith("last resort") for f in it.fallbacks)
    assert any("no minimum wage" in f for f in it.fallbacks)


# ---------------------------------------------------------------------------------------------
# Imported rows are read per country, on first lookup (issue 12 item 7)
_IMPORT_HEADER = [
    "country",
    "subdivision",
    "area",
    "locality",
    "household",
    "household_detail",
    "amount",
    "currency",
    "period",
    "gross_net",
    "hours_per_week",
    "reference_year",
    "reference_month",
    "method",
    "method_detail",
    "confidence",
    "source_name",
    "source_url",
    "retrieved_from",
    "notes",
]
_KE_IMPORT = {
    "country": "KE",
    "area": "national",
    "locality": "national",
    "household": "typical_family",
    "amount": "40000",
    "currency": "KES",
    "period": "month",
    "gross_net": "gross",
    "hours_per_week": "40",
    "reference_year": "2024",
    "method": "anker",
    "confidence": "high",
    "source_name": "Licensed living-wage study (test)",
    "source_url": "https://example.org/licensed-study",
}
_UG_IMPORT = dict(_KE_IMPORT, country="UG", amount="900000", currency="UGX", period="month")


@pytest.fixture()
def imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A data folder of its own holding an import for KE and UG; yields the CSV imported."""
    from fairpay.tables import load, sources, store

    assert list(load.COLUMNS["living_wages"]) == _IMPORT_HEADER
    monkeypatch.setenv(store.ENV_VAR, str(tmp_path / "fairpay-data"))
    sources._forget_loaded()
    path = tmp_path / "import.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=_IMPORT_HEADER)
        writer.writeheader()
        for row in (_KE_IMPORT, _UG_IMPORT):
            writer.writerow({c: row.get(c, "") for c in _IMPORT_HEADER})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # plausibility warnings of the import are not under test
        sources.import_user_table("living_wages", path)
    sources._forget_loaded()
    yield path
    sources._forget_loaded()


def test_imported_rows_are_read_only_for_the_countries_looked_up(
    imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fairpay.tables import load

    asked: list[tuple[str, tuple[str, ...] | None]] = []
    real = load.user_rows

    def spy(kind: str, countries: Any = None) -> Any:
        asked.append((kind, None if countries is None else tuple(countries)))
        return real(kind, countries)

    read: list[str] = []
    real_part = load._read_part

    def part_spy(version: Path, name: str, meta: Any) -> Any:
        read.append(name)
        return real_part(version, name, meta)

    monkeypatch.setattr(load, "user_rows", spy)
    monkeypatch.setattr(load, "_read_part", part_spy)
    collection = benchmarks()
    assert asked == [] and read == []  # building the collection reads no imported row
    assert {"KE", "UG"} <= set(collection.countries())  # from the index alone
    assert read == []
    collection.bar("IN", inflate=False)  # a country the import does not cover
    assert read == []
    got = collection.lookup("KE", inflate=False)
    assert read == ["parts/KE.pickle"]  # UG's part is never read
    assert {c for _, c in asked} == {("IN",), ("KE",)}
    assert all(c is not None for _, c in asked)  # never "every country"
    collection.lookup("KE", inflate=False)
    collection.with_rates(collection._rates).lookup("KE", inflate=False)  # type: ignore[arg-type]
    assert read == ["parts/KE.pickle"]  # read once, shared by derived collections
    # 40000 KES a month at the row's 40 h/week: 40000 / (40 x 52 / 12) KES/h
    assert got.origin == "user"
    assert abs(Fraction(got.hourly) - Fraction(40000) / MONTH_40) < Fraction(1, 10**20)


def test_lazy_imported_rows_give_the_same_bars_as_the_same_rows_added_eagerly(imported: Path) -> None:
    """Independent path: the bundled collection with the CSV added through ``add`` (parsed and
    placed ahead of every bundled row up front) must give exactly the same bar everywhere."""
    from fairpay.tables import sources, store

    lazy = benchmarks()
    # the same collection without the import, then the CSV added eagerly
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("fairpay.tables.load.user_countries", lambda kind: [])
        mp.setattr("fairpay.tables.load.user_rows", lambda kind, countries=None: None)
        store.forget_cached()
        eager = benchmarks().add(imported)
        eager._imported = None  # the patched reader must not be consulted after the context
    sources._forget_loaded()
    assert store.notices() == []
    for country in ("KE", "UG", "IN", "US", "GB", "DE", "IT"):
        for kind in ("living", "higher", "minimum"):
            try:
                want = eager.bar(country, kind=kind)  # type: ignore[arg-type]
            except NoBenchmarkError as exc:
                with pytest.raises(NoBenchmarkError, match=re.escape(str(exc))):
                    lazy.bar(country, kind=kind)  # type: ignore[arg-type]
                continue
            assert lazy.bar(country, kind=kind) == want, (country, kind)  # type: ignore[arg-type]
    assert lazy.countries() == eager.countries()


def test_added_rows_still_beat_imported_ones_which_beat_bundled_ones(imported: Path, tmp_path: Path) -> None:
    lazy = benchmarks()
    assert lazy.lookup("KE", inflate=False).amount == Decimal("40000")  # the import over the bundled
    added = tmp_path / "added.csv"
    with added.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=_IMPORT_HEADER)
        writer.writeheader()
        writer.writerow({c: dict(_KE_IMPORT, amount="52000").get(c, "") for c in _IMPORT_HEADER})
    assert lazy.add(added).lookup("KE", inflate=False).amount == Decimal("52000")
    # a bundled-only country is untouched by either
    assert lazy.add(added).lookup("IN", inflate=False).origin == "bundled"


def test_report_data_vintage_does_not_read_imported_rows(
    imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fairpay.report import document
    from fairpay.tables import load

    monkeypatch.setattr(load, "_read_part", lambda *a: pytest.fail("the data vintage read imported rows"))
    entries = document._data_vintage()
    user = [e for e in entries if e["table"] == "living_wages" and e["origin"] == "user"]
    assert len(user) == 1 and "retrieved" in user[0]["vintage"]
