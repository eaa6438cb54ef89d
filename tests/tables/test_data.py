"""Tests for fairpay.tables.load: the bundled tables load, match their seed files, and bad tables fail loudly.

Expected figures are read from the CSV text with the csv module or written out by hand, never
taken from the loader's own output.
"""

from __future__ import annotations

import csv
import datetime
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from fairpay.errors import InvalidDataError
from fairpay.tables import load as data

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "data" / "wage_benchmarks"
# the seed tables, when this checkout has them beside it (../shared) or at the workplace path
SEED_DIR = next(
    (
        p
        for p in (
            Path(__file__).resolve().parents[3] / "shared" / "benchmarks",
            Path("/work/shared/benchmarks"),
        )
        if p.is_dir()
    ),
    Path("/nonexistent"),
)
# Documented corrections to the seed (data/wage_benchmarks/README.md, "Corrections"):
# (table, 0-based data row, column) -> (seed value, bundled value). Never a figure, only a code.
CORRECTIONS = {("living_wages", 46, "subdivision"): ("", "IN-UP")}
SEED_NAMES = {
    "living_wages": "living_wages.csv",
    "minimum_wages": "minimum_wages_curated.csv",
    "minimum_wages_ilostat": "minimum_wages_ilostat.csv",
    "exchange_rates": "exchange_rates.csv",
    "cpi": "cpi.csv",
    "ppp": "ppp_private_consumption.csv",
    "gdp_per_capita_ppp_2021": "gdp_per_capita_ppp_constant2021.csv",
}
# Row counts stated in the seed SOURCES.md (written there by hand).
STATED_COUNTS = {
    "living_wages": 134,
    "minimum_wages": 34,
    "minimum_wages_ilostat": 1692,
    "exchange_rates": 2257,
    "cpi": 2741,
    "ppp": 1927,
    "gdp_per_capita_ppp_2021": 1977,
}
THIS_YEAR = datetime.date.today().year


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- bundled tables
@pytest.mark.parametrize("kind", data.TABLES)
def test_every_bundled_table_loads_and_validates(kind: str) -> None:
    table = data.load(kind)
    assert table.kind == kind
    assert table.origin == "bundled"
    assert Path(table.location) == DATA_DIR / f"{kind}.csv"
    assert len(table.rows) == len(csv_rows(DATA_DIR / f"{kind}.csv")) > 0
    assert list(table.rows[0]) == list(csv_rows(DATA_DIR / f"{kind}.csv")[0])  # column order kept


@pytest.mark.parametrize("kind", sorted(STATED_COUNTS))
def test_row_counts_match_sources_md(kind: str) -> None:
    assert len(data.load(kind).rows) == STATED_COUNTS[kind]


@pytest.mark.skipif(not SEED_DIR.is_dir(), reason="seed tables not present")
@pytest.mark.parametrize("kind", sorted(SEED_NAMES))
def test_bundled_files_keep_every_seed_column_and_figure(kind: str) -> None:
    seed = csv_rows(SEED_DIR / SEED_NAMES[kind])
    bundled = csv_rows(DATA_DIR / f"{kind}.csv")
    assert len(bundled) == len(seed)
    added = {"period"} if kind == "minimum_wages_ilostat" else set()
    assert set(bundled[0]) == set(seed[0]) | added
    for i, (b, s) in enumerate(zip(bundled, seed)):
        for (table, row, col), (was, now) in CORRECTIONS.items():
            if table == kind and row == i:
                assert s[col] == was and b[col] == now
                s = {**s, col: now}
        assert {k: b[k] for k in s} == s


def test_bundled_dir_is_the_checkout_in_a_dev_install() -> None:
    assert Path(str(data.bundled_dir())) == DATA_DIR


def test_table_kinds() -> None:
    assert data.TABLES == (
        "living_wages",
        "minimum_wages",
        "minimum_wages_ilostat",
        "exchange_rates",
        "cpi",
        "ppp",
        "standard_weeks",
        "gdp_per_capita_ppp_2021",
    )
    with pytest.raises(InvalidDataError, match="unknown table kind 'wages'"):
        data.load("wages")


# --------------------------------------------------------------------------- spot checks
def test_kenya_anker_urban_figure() -> None:
    # Seed living_wages.csv line 58: KE,,urban,...,35518,KES,month,unspecified,,2023,,anker,...
    rows = [
        r
        for r in data.load("living_wages").rows
        if r["country"] == "KE" and r["method"] == "anker" and r["area"] == "urban"
    ]
    assert len(rows) == 1
    row = rows[0]
    assert row["amount"] == Decimal("35518")
    assert (row["currency"], row["period"], row["reference_year"]) == ("KES", "month", 2023)
    assert row["subdivision"] is None and row["hours_per_week"] is None  # empty cells -> None


def test_world_bank_figures_are_exact_decimals() -> None:
    fx = {(r["country_iso3"], r["year"]): r for r in data.load("exchange_rates").rows}
    assert fx[("ABW", 2015)]["lcu_per_usd"] == Decimal("1.79")
    assert fx[("ABW", 2015)]["currency"] == "AWG"
    cpi = {(r["country_iso3"], r["year"]): r["cpi_2010_100"] for r in data.load("cpi").rows}
    value = cpi[("ABW", 2011)]
    assert isinstance(value, Decimal)
    assert str(value) == "104.316297421952"  # the published text, not a float's digits


def test_curated_minimum_wage_and_subdivisions() -> None:
    rows = data.load("minimum_wages").rows
    au = [r for r in rows if r["country"] == "AU"]
    assert [(r["amount"], r["currency"], r["period"]) for r in au] == [(Decimal("24.95"), "AUD", "hour")]
    jakarta = [r for r in rows if r["subdivision"] == "ID-JK"]
    assert [r["amount"] for r in jakarta] == [Decimal("5396761")]


def test_ilostat_period_column() -> None:
    rows = data.load("minimum_wages_ilostat").rows
    periods = {(r["country_iso3"], r["year"]): r["period"] for r in rows}
    # ILO note T7:124 (hourly) on every HKG, MCO and JEY row; T7:123 (daily) on BTN 2016-2020.
    assert {p for (c, _), p in periods.items() if c in {"HKG", "MCO", "JEY"}} == {"hour"}
    assert [periods[("BTN", y)] for y in range(2016, 2025)] == ["day"] * 5 + ["month"] * 4
    assert periods[("AFG", 2015)] == "month"
    assert sum(p == "hour" for p in periods.values()) == 9 + 5 + 2
    assert sum(p == "day" for p in periods.values()) == 5
    # The monthly figure itself is untouched: HKG 2024 is HKD 40 (an hourly rate), as published.
    hkg = [r for r in rows if (r["country_iso3"], r["year"]) == ("HKG", 2024)][0]
    assert hkg["monthly_minimum_wage_lcu"] == Decimal("40")
    assert hkg["ilostat_cur_lcu_monthly_equivalent"] == Decimal("6928")


def test_standard_weeks_are_backed_by_quoted_sources() -> None:
    weeks = {r["country"]: r for r in data.load("standard_weeks").rows}
    assert {c: r["hours_per_week"] for c, r in weeks.items()} == {"AU": Decimal(38), "ZA": Decimal(45)}
    notes = {r["country"]: r["notes"] for r in data.load("minimum_wages").rows}
    assert "($948.00/week, 38-hour week)" in notes["AU"]
    assert "45-h week = R1,295.55/week" in notes["ZA"]
    # Hand arithmetic: the weekly figures are consistent with those hours.
    assert Decimal("28.79") * 45 == Decimal("1295.55")
    assert (Decimal("948.00") / 38).quantize(Decimal("0.01")) == Decimal("24.95")
    mw_urls = {r["country"]: r["source_url"] for r in data.load("minimum_wages").rows}
    assert all(weeks[c]["source_url"] == mw_urls[c] for c in weeks)


def test_frame_matches_rows() -> None:
    df = data.frame("living_wages")
    assert df.shape == (134, 20)
    assert list(df.columns) == list(csv_rows(DATA_DIR / "living_wages.csv")[0])
    assert df.loc[0, "amount"] == Decimal("25497")


def test_import_and_load_stay_light() -> None:
    code = (
        "import sys, fairpay.tables.load as d\n"
        "[d.load(k) for k in d.TABLES]\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'pycountry') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- validation rules
LW_COLUMNS = list(data.COLUMNS["living_wages"])


def lw_row(**changes: str) -> dict[str, str]:
    """A valid, hand-written living-wage row; ``changes`` break one field at a time."""
    row = {
        "country": "KE",
        "subdivision": "",
        "area": "urban",
        "locality": "Nairobi",
        "household": "typical_family",
        "household_detail": "",
        "amount": "35518",
        "currency": "KES",
        "period": "month",
        "gross_net": "gross",
        "hours_per_week": "",
        "reference_year": "2023",
        "reference_month": "",
        "method": "anker",
        "method_detail": "anker",
        "confidence": "high",
        "source_name": "Test source",
        "source_url": "https://example.org/report",
        "retrieved_from": "",
        "notes": "",
    }
    row.update(changes)
    return row


def as_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> io.StringIO:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns or list(rows[0]), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    buf.seek(0)
    return buf


def failures_for(kind: str, rows: list[dict[str, str]], columns: list[str] | None = None) -> list[str]:
    with pytest.raises(InvalidDataError) as info:
        data.read_rows(kind, as_csv(rows, columns))
    return info.value.failures


def test_valid_hand_written_row_passes() -> None:
    table = data.read_rows("living_wages", as_csv([lw_row()]))
    assert table.origin == "user"
    assert table.rows[0]["amount"] == Decimal("35518")
    assert table.rows[0]["reference_year"] == 2023


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"country": "KX"}, "row 2, column 'country': 'KX' is not an ISO 3166-1 alpha-2 country code"),
        ({"country": "KEN"}, "row 2, column 'country': 'KEN' is not an ISO 3166-1 alpha-2"),
        ({"subdivision": "KE-99"}, "row 2, column 'subdivision': 'KE-99' is not an ISO 3166-2"),
        (
            {"subdivision": "IN-MP"},
            "row 2, column 'subdivision': 'IN-MP' is a subdivision of IN, not of the row's country 'KE'",
        ),
        ({"currency": "ABC"}, "row 2, column 'currency': 'ABC' is not an ISO 4217 currency code"),
        ({"currency": "XAU"}, "row 2, column 'currency': 'XAU' is an ISO 4217 code for a metal"),
        ({"currency": ""}, "row 2, column 'currency': is empty"),
        ({"amount": "0"}, "row 2, column 'amount': '0' is not > 0"),
        ({"amount": "-5"}, "row 2, column 'amount': '-5' is not > 0"),
        ({"amount": "NaN"}, "row 2, column 'amount': 'NaN' is not a finite decimal number"),
        ({"amount": "inf"}, "row 2, column 'amount': 'inf' is not a finite decimal number"),
        ({"amount": "35,518"}, "row 2, column 'amount': '35,518' is not a finite decimal number"),
        ({"amount": "35_518"}, "row 2, column 'amount': '35_518' is not a finite decimal number"),
        ({"amount": ""}, "row 2, column 'amount': is empty"),
        ({"period": "fortnight"}, "row 2, column 'period': 'fortnight' is not a valid period"),
        ({"household": "couple"}, "row 2, column 'household': 'couple' is not a valid household"),
        ({"area": "suburban"}, "row 2, column 'area': 'suburban' is not a valid area"),
        ({"gross_net": "both"}, "row 2, column 'gross_net': 'both' is not a valid gross_net value"),
        ({"method": "guess"}, "row 2, column 'method': 'guess' is not a valid method"),
        ({"confidence": "certain"}, "row 2, column 'confidence': 'certain' is not a valid confidence"),
        (
            {"reference_year": "1989"},
            "row 2, column 'reference_year': '1989' is not a plausible reference year",
        ),
        (
            {"reference_year": str(THIS_YEAR + 2)},
            f"row 2, column 'reference_year': '{THIS_YEAR + 2}' is not a plausible",
        ),
        ({"reference_year": "2023.0"}, "row 2, column 'reference_year': '2023.0' is not a year"),
        ({"reference_month": "13"}, "row 2, column 'reference_month': '13' is not a month number"),
        ({"hours_per_week": "0"}, "row 2, column 'hours_per_week': '0' is not in (0, 100]"),
        ({"hours_per_week": "100.5"}, "row 2, column 'hours_per_week': '100.5' is not in (0, 100]"),
        ({"source_name": ""}, "row 2, column 'source_name': is empty"),
        ({"source_url": ""}, "row 2, column 'source_url': is empty"),
        (
            {"source_url": "ftp://example.org/x"},
            "row 2, column 'source_url': 'ftp://example.org/x' is not an http(s) URL",
        ),
        ({"source_url": "see report"}, "row 2, column 'source_url': 'see report' is not an http(s) URL"),
    ],
)
def test_each_rule_names_row_and_column(change: dict[str, str], expected: str) -> None:
    failures = failures_for("living_wages", [lw_row(), lw_row(**change)])
    assert len(failures) == 1
    assert failures[0].startswith(expected.replace("row 2", "row 3"))


def test_boundary_values_pass() -> None:
    rows = [
        lw_row(hours_per_week="100", reference_year="1990", reference_month="12"),
        lw_row(hours_per_week="0.5", reference_year=str(THIS_YEAR + 1), amount="0.01"),
        lw_row(subdivision="KE-30"),  # Nairobi City, a Kenyan subdivision
    ]
    table = data.read_rows("living_wages", as_csv(rows))
    assert [r["hours_per_week"] for r in table.rows] == [Decimal(100), Decimal("0.5"), None]


def test_many_problems_are_all_listed_in_row_order() -> None:
    rows = [
        lw_row(),
        lw_row(currency="XYZ", period="weekly"),
        lw_row(),
        lw_row(amount="-1", country="ZZ", confidence="sure"),
    ]
    with pytest.raises(InvalidDataError) as info:
        data.read_rows("living_wages", as_csv(rows))
    assert info.value.failures == [
        "row 3, column 'currency': 'XYZ' is not an ISO 4217 currency code",
        "row 3, column 'period': 'weekly' is not a valid period; expected one of: "
        "day, hour, month, week, year",
        "row 5, column 'country': 'ZZ' is not an ISO 3166-1 alpha-2 country code",
        "row 5, column 'amount': '-1' is not > 0",
        "row 5, column 'confidence': 'sure' is not a valid confidence; expected one of: high, low, medium",
    ]
    assert "5 problem(s)" in str(info.value)


def test_missing_columns_are_named() -> None:
    columns = [c for c in LW_COLUMNS if c not in {"currency", "source_url"}]
    failures = failures_for("living_wages", [lw_row()], columns)
    assert failures == ["missing column(s): 'currency', 'source_url'"]


def test_ragged_rows_and_empty_tables_are_reported() -> None:
    text = io.StringIO("country,hours_per_week,source_name,source_url,reference_year,notes\nAU,38\n")
    with pytest.raises(InvalidDataError) as info:
        data.read_rows("standard_weeks", text)
    assert info.value.failures[0] == "row 2: has 2 fields, the header has 6"
    assert "row 2, column 'source_name': is empty; expected a non-empty value" in info.value.failures
    header_only = io.StringIO("country,hours_per_week,source_name,source_url,reference_year,notes\n")
    with pytest.raises(InvalidDataError, match="table has no rows"):
        data.read_rows("standard_weeks", header_only)


def test_withdrawn_currencies_only_for_historic_rows() -> None:
    historic = [
        lw_row(country="HR", currency="HRK", reference_year="2019"),
        lw_row(country="SL", currency="SLL", reference_year="2021"),
        lw_row(country="BG", currency="BGN", reference_year="2025"),
        lw_row(country="VE", currency="VEF", reference_year="2017"),
    ]
    assert len(data.read_rows("living_wages", as_csv(historic)).rows) == 4
    current = [lw_row(country="HR", currency="HRK", reference_year=str(THIS_YEAR))]
    failures = failures_for("living_wages", current)
    assert failures == [
        f"row 2, column 'currency': 'HRK' is a withdrawn ISO 4217 currency code, accepted only "
        f"for rows dated before {THIS_YEAR} (row's reference_year is '{THIS_YEAR}')"
    ]


def test_bundled_tables_hold_withdrawn_codes_in_historic_rows() -> None:
    codes = {(r["currency"], r["year"]) for r in data.load("exchange_rates").rows}
    assert ("HRK", 2022) in codes and ("BGN", 2025) in codes and ("VEF", 2017) in codes
    ilo = {(r["currency_inferred"], r["year"]) for r in data.load("minimum_wages_ilostat").rows}
    assert ("SLL", 2021) in ilo and ("BYR", 2015) in ilo


WB_HEADER = "country_iso3,currency,year,lcu_per_usd,lcu_note,source,source_vintage\n"


def test_world_bank_codes_and_empty_currency_rule() -> None:
    good = WB_HEADER + "XKX,EUR,2020,0.9,,WDI,2026-07-13\nZWE,,2024,25,unit unclear,WDI,2026-07-13\n"
    rows = data.read_rows("exchange_rates", io.StringIO(good)).rows
    assert rows[1]["currency"] is None and rows[1]["lcu_note"] == "unit unclear"
    bad = WB_HEADER + (
        "KE,KES,2020,100,,WDI,2026-07-13\n"  # alpha-2 where alpha-3 is needed
        "ZWE,,2024,25,,WDI,2026-07-13\n"  # empty currency with no note
        "KEN,KES,2020,100,,,2026-07-13\n"  # no source name
        "KEN,KES,2020,101,,WDI,2026-07-13\n"  # same country and year again
    )
    with pytest.raises(InvalidDataError) as info:
        data.read_rows("exchange_rates", io.StringIO(bad))
    assert info.value.failures == [
        "row 2, column 'country_iso3': 'KE' is not an ISO 3166-1 alpha-3 country code (or World Bank XKX/CHI)",
        "row 3, column 'currency': is empty and 'lcu_note' does not say why; expected an ISO 4217 currency code",
        "row 4, column 'source': is empty; expected a non-empty value",
        "row 5: duplicate of row 4 (country_iso3='KEN', year='2020')",
    ]


def test_minimum_wage_scope_and_ilostat_period_are_closed_sets() -> None:
    mw_cols = list(data.COLUMNS["minimum_wages"])
    row = dict(
        country="AU",
        subdivision="",
        scope="national",
        amount="24.95",
        currency="AUD",
        period="hour",
        reference_year="2025",
        source_name="x",
        source_url="https://example.org",
        retrieved_from="",
        notes="",
    )
    assert data.read_rows("minimum_wages", as_csv([row], mw_cols)).rows[0]["scope"] == "national"
    failures = failures_for("minimum_wages", [{**row, "scope": "municipal"}], mw_cols)
    assert failures[0].startswith("row 2, column 'scope': 'municipal' is not a valid scope")
    ilo_cols = list(data.COLUMNS["minimum_wages_ilostat"])
    ilo = dict(
        country_iso3="HKG",
        year="2024",
        monthly_minimum_wage_lcu="40",
        currency_inferred="HKD",
        source="ILOSTAT",
        source_vintage="2026",
        period="hourly",
    )
    failures = failures_for("minimum_wages_ilostat", [ilo], ilo_cols)
    assert failures == [
        "row 2, column 'period': 'hourly' is not a valid period; expected one of: "
        "day, hour, month, week, year"
    ]


# --------------------------------------------------------------------------- inputs and types
def test_decimal_amounts_are_exact() -> None:
    rows = [lw_row(amount="0.1"), lw_row(amount="0.2"), lw_row(amount="1234567.89012345678901")]
    amounts = [r["amount"] for r in data.read_rows("living_wages", as_csv(rows)).rows]
    assert amounts[0] + amounts[1] == Decimal("0.3")  # 0.1 + 0.2 != 0.3 in binary floats
    assert str(amounts[2]) == "1234567.89012345678901"


def test_strings_are_stripped_and_extra_columns_kept() -> None:
    columns = [*LW_COLUMNS, "my_comment"]
    row = lw_row(country=" KE ", amount=" 35518 ", currency="KES ")
    row["my_comment"] = "  checked by hand "
    table = data.read_rows("living_wages", as_csv([row], columns))
    out = table.rows[0]
    assert (out["country"], out["amount"], out["currency"]) == ("KE", Decimal("35518"), "KES")
    assert out["my_comment"] == "checked by hand"


def test_read_rows_from_path_and_dataframe(tmp_path: Path) -> None:
    path = tmp_path / "lw.csv"
    path.write_text(as_csv([lw_row(amount="0.1")]).getvalue(), encoding="utf-8")
    table = data.read_rows("living_wages", path, origin="cache")
    assert (table.origin, table.location) == ("cache", str(path))
    assert table.rows[0]["amount"] == Decimal("0.1")

    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    from_df = data.read_rows("living_wages", df)
    assert from_df.rows == table.rows
    # A DataFrame with pandas' own types (NaN for empty cells, numbers parsed) reads the same.
    typed_df = pd.read_csv(path)
    assert data.read_rows("living_wages", typed_df).rows[0]["hours_per_week"] is None
    assert data.read_rows("living_wages", typed_df).rows[0]["amount"] == Decimal("0.1")
    # Round trip: the bundled frame validates back to the same rows.
    assert data.read_rows("cpi", data.frame("cpi")).rows == data.load("cpi").rows


def test_validate_accepts_dict_rows() -> None:
    rows = data.validate("living_wages", [lw_row(amount="12.5")], "test rows")
    assert rows[0]["amount"] == Decimal("12.5")
    with pytest.raises(InvalidDataError, match=r"^test rows: 1 problem\(s\): row 2, column 'amount'"):
        data.validate("living_wages", [lw_row(amount="x")], "test rows")


def test_unreadable_file_is_invalid_data(tmp_path: Path) -> None:
    with pytest.raises(InvalidDataError, match="cannot read as a UTF-8 CSV file"):
        data.read_rows("cpi", tmp_path / "missing.csv")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("country,notes\nBR,sal\xe1rio\n".encode("latin-1"))
    with pytest.raises(InvalidDataError, match="cannot read as a UTF-8 CSV file"):
        data.read_rows("cpi", latin1)
