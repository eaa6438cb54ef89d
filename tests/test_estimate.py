"""Tests for fairpay.estimate: the labelled living-wage estimate, refitted from a user's table.

Expected figures come from an independent method: numpy's least squares and the matrix form of the
OLS prediction interval, on a small synthetic training table written out here by hand; Student t
quantiles from printed tables.
"""

from __future__ import annotations

import io
import math
from decimal import ROUND_CEILING, Decimal
from typing import Any

import numpy as np
import pytest

from fairpay.errors import InvalidInputError, NoBenchmarkError
from fairpay.estimate import bundled_model, fit_living_wage_model, t_quantile
from fairpay.tables import load as data
from fairpay.units import iso
from fairpay.wages import benchmarks

COLUMNS = list(data.COLUMNS["living_wages"])
# country -> (hourly living wage in local currency, 2021; PPP LCU per int$, 2021; GDP per capita 2021)
TRAIN = {
    "KE": ("150", "40", "5000"),
    "UG": ("4000", "1200", "2500"),
    "TZ": ("2000", "750", "3000"),
    "GH": ("18", "2.5", "6500"),
    "BD": ("140", "32", "7500"),
}
ISO3 = {"KE": "KEN", "UG": "UGA", "TZ": "TZA", "GH": "GHA", "BD": "BGD", "MA": "MAR", "PL": "POL"}
CURRENCY = {"KE": "KES", "UG": "UGX", "TZ": "TZS", "GH": "GHS", "BD": "BDT", "MA": "MAD", "PL": "PLN"}


def living_row(country: str, amount: str, **change: str) -> dict[str, str]:
    row = {c: "" for c in COLUMNS}
    row.update(
        country=country,
        area="national",
        locality=f"{country} (test)",
        household="typical_family",
        amount=amount,
        currency=CURRENCY[country],
        period="hour",
        gross_net="gross",
        reference_year="2021",
        method="anker",
        confidence="high",
        source_name="test source",
        source_url="https://example.org/lw",
    )
    row.update(change)
    return row


def as_csv(rows: list[dict[str, str]]) -> io.StringIO:
    import csv

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    buf.seek(0)
    return buf


def tables(extra_gdp: dict[str, tuple[int, str]] | None = None) -> dict[str, list[dict[str, Any]]]:
    gdp = [{"country_iso3": ISO3[c], "year": 2021, "value": Decimal(g)} for c, (_, _, g) in TRAIN.items()]
    ppp = [
        {"country_iso3": ISO3[c], "year": 2021, "lcu_per_intl_dollar": Decimal(p), "currency": CURRENCY[c]}
        for c, (_, p, _) in TRAIN.items()
    ]
    ppp.append({"country_iso3": "MAR", "year": 2021, "lcu_per_intl_dollar": Decimal("4"), "currency": "MAD"})
    cpi = [{"country_iso3": ISO3[c], "year": 2021, "cpi_2010_100": Decimal(100)} for c in TRAIN]
    cpi += [
        {"country_iso3": "MAR", "year": 2021, "cpi_2010_100": Decimal(100)},
        {"country_iso3": "MAR", "year": 2024, "cpi_2010_100": Decimal(110)},
    ]
    for country, (year, value) in (extra_gdp or {}).items():
        gdp.append({"country_iso3": ISO3[country], "year": year, "value": Decimal(value)})
    return {"gdp": gdp, "ppp": ppp, "cpi": cpi, "standard_weeks": []}


def numpy_fit(countries: list[str]) -> tuple[float, float, float, np.ndarray]:
    """OLS of ln(wage / ppp) on ln(gdp) by numpy's least squares: (a, b, s, (X'X)^-1)."""
    x = np.array([math.log(float(TRAIN[c][2])) for c in countries])
    y = np.array([math.log(float(TRAIN[c][0]) / float(TRAIN[c][1])) for c in countries])
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    s = math.sqrt(float(resid @ resid) / (len(x) - 2))
    return float(coef[0]), float(coef[1]), s, np.linalg.inv(design.T @ design)


@pytest.fixture(scope="module")
def model() -> Any:
    training = as_csv([living_row(c, w) for c, (w, _, _) in TRAIN.items()])
    return fit_living_wage_model(training, **tables({"MA": (2024, "6000"), "PL": (2024, "45000")}))


def test_t_quantiles_match_printed_tables() -> None:
    assert round(t_quantile(0.9, 10), 3) == 1.372
    assert round(t_quantile(0.9, 14), 3) == 1.345
    assert round(t_quantile(0.975, 5), 3) == 2.571
    assert round(t_quantile(0.95, 1), 3) == 6.314
    with pytest.raises(InvalidInputError):
        t_quantile(0.3, 5)


def test_refit_from_a_user_table_matches_numpy(model: Any) -> None:
    a, b, s, _ = numpy_fit(list(TRAIN))
    assert model.n == 5 and sorted(p.country for p in model.points) == sorted(TRAIN)
    assert model.intercept == pytest.approx(a, rel=1e-12)
    assert model.slope == pytest.approx(b, rel=1e-12)
    assert model.residual_sd == pytest.approx(s, rel=1e-12)
    assert model.gdp_range == (2500.0, 7500.0)


def test_prediction_and_interval_in_local_currency(model: Any) -> None:
    a, b, s, inv = numpy_fit(list(TRAIN))
    x0 = np.array([1.0, math.log(6000)])
    fit = float(x0 @ np.array([a, b]))
    se = s * math.sqrt(1 + float(x0 @ inv @ x0))
    t = 1.637744  # t(0.90, df=3), printed tables: 1.638
    est = model.predict("MA", 2024)
    assert est.gdp_year == 2024 and est.price_year == 2024 and est.currency == "MAD"
    assert est.point_ppp == pytest.approx(math.exp(fit), rel=1e-9)
    assert est.low_ppp == pytest.approx(math.exp(fit - t * se), rel=1e-5)
    assert est.high_ppp == pytest.approx(math.exp(fit + t * se), rel=1e-5)
    # local: x PPP 4 MAD per int$ (2021) x CPI 110/100, rounded UP to 4 decimals
    want = (Decimal(repr(est.point_ppp)) * 4 * Decimal("1.1")).quantize(Decimal("0.0001"), ROUND_CEILING)
    assert est.point == want
    assert est.low < est.point < est.high


def test_no_extrapolation_beyond_the_fitted_income_range(model: Any) -> None:
    with pytest.raises(NoBenchmarkError, match="outside the range the estimate was fitted on"):
        model.predict("PL", 2024)
    with pytest.raises(NoBenchmarkError, match="no GDP per capita"):
        model.predict("KE", 2015)


def test_leave_one_country_out_matches_numpy(model: Any) -> None:
    for left in model.loco:
        rest = [c for c in TRAIN if c != left.country]
        a, b, _, _ = numpy_fit(rest)
        assert left.predicted == pytest.approx(math.exp(a + b * math.log(float(TRAIN[left.country][2]))))
        assert left.actual == pytest.approx(float(TRAIN[left.country][0]) / float(TRAIN[left.country][1]))
    errors = sorted(abs(x.predicted / x.actual - 1) for x in model.loco)
    assert model.loco_median_abs_error == pytest.approx(errors[2])
    assert model.loco_coverage == sum(x.low <= x.actual <= x.high for x in model.loco) / 5


def test_only_gross_anker_family_rows_train_and_leave_out_works() -> None:
    rows = [living_row(c, w) for c, (w, _, _) in TRAIN.items()]
    rows += [
        living_row("KE", "999", gross_net="net"),
        living_row("UG", "99999", method="campaign_floor"),
        living_row("TZ", "9999", household="single_adult"),
    ]
    fitted = fit_living_wage_model(as_csv(rows), **tables())
    assert {p.country: p.rows for p in fitted.points} == dict.fromkeys(TRAIN, 1)
    fewer = fit_living_wage_model(as_csv(rows), leave_out=["KE"], **tables())
    assert sorted(p.country for p in fewer.points) == sorted(set(TRAIN) - {"KE"})
    with pytest.raises(InvalidInputError, match="at least 3 countries"):
        fit_living_wage_model(as_csv(rows[:2]), **tables())


def test_bundled_model_meets_the_issue_targets_out_of_sample() -> None:
    m = bundled_model()
    # one point per country with a gross/unspecified Anker typical-family figure
    anker = {
        r["country"]
        for r in data.load("living_wages").rows
        if r["method"] == "anker" and r["household"] == "typical_family" and r["gross_net"] != "net"
    }
    assert {p.country for p in m.points} == anker and m.excluded == ()
    assert len(m.loco) == m.n >= 15
    assert m.loco_median_abs_error <= 0.20
    assert m.loco_coverage >= 0.75
    assert m.vintages["gdp"] == "2025-12-19"


def test_the_estimate_as_a_bar_is_labelled_everywhere(model: Any) -> None:
    coll = benchmarks().with_model(model)
    bar = coll.bar("MA", kind="living", year=2024)
    est = model.predict("MA", 2024)
    assert bar.method == "estimate" and bar.origin == "estimate" and bar.hourly == est.high
    assert bar.estimate is not None and bar.estimate["high"] == format(est.high, "f")
    assert bar.estimate["model"]["loco_median_abs_error"] == round(model.loco_median_abs_error, 4)
    assert any("ESTIMATE" in f and "leave-one-country-out" in f for f in bar.fallbacks)
    point = coll.bar("MA", kind="living", year=2024, estimate_bound="point")
    assert point.hourly == est.point < bar.hourly
    # the JSON view carries it too
    assert bar.to_dict()["estimate"]["bound_used"] == "upper"


def test_higher_still_takes_the_minimum_over_a_low_estimate() -> None:
    low = tables({"MA": (2024, "2600")})
    for row in low["ppp"]:
        if row["country_iso3"] == "MAR":
            row["lcu_per_intl_dollar"] = Decimal("0.01")  # an absurdly low price level: a tiny estimate
    training = as_csv([living_row(c, w) for c, (w, _, _) in TRAIN.items()])
    coll = benchmarks().with_model(fit_living_wage_model(training, **low))
    bar = coll.bar("MA", year=2024)
    assert bar.kind == "minimum"
    assert any("ESTIMATE" in f for f in bar.fallbacks)  # the estimate it beat is still named


def test_a_historic_year_deflates_the_estimate_with_cpi(model: Any) -> None:
    # 2019 prices: x CPI 2019 / CPI 2021 (a year before the model's 2021 price base)
    t = tables({"MA": (2019, "6000")})
    t["cpi"].append({"country_iso3": "MAR", "year": 2019, "cpi_2010_100": Decimal(95)})
    training = as_csv([living_row(c, w) for c, (w, _, _) in TRAIN.items()])
    fitted = fit_living_wage_model(training, **t)
    est = fitted.predict("MA", 2019)
    assert est.price_year == 2019 and est.cpi_factor == Decimal("0.95")
    want = (Decimal(repr(est.point_ppp)) * 4 * Decimal("0.95")).quantize(Decimal("0.0001"), ROUND_CEILING)
    assert est.point == want


def test_one_income_for_every_country_is_refused_not_divided_by_zero() -> None:
    t = tables()
    for row in t["gdp"]:
        row["value"] = Decimal(5000)
    training = as_csv([living_row(c, w) for c, (w, _, _) in TRAIN.items()])
    with pytest.raises(InvalidInputError, match="at least two different incomes"):
        fit_living_wage_model(training, **t)


def test_a_region_gets_its_country_estimate_recorded() -> None:
    coll = benchmarks()
    region, country = coll.bar("TN-11", kind="living"), coll.bar("TN", kind="living")
    assert region.method == country.method == "estimate" and region.hourly == country.hourly
    assert region.subdivision == "TN-11"
    assert region.fallbacks[-1] == "no estimate for TN-11: the country estimate is used"


def test_no_gdp_means_no_estimate_and_the_minimum_labelled() -> None:
    ve = benchmarks().bar("VE")  # WDI has no GDP for Venezuela after 2021: no estimate
    assert ve.kind == "minimum"
    assert any("no GDP per capita PPP for VEN" in f for f in ve.fallbacks)
    assert any("a legal floor, not a living wage" in f for f in ve.fallbacks)


def test_bad_income_or_training_rows_are_named_not_skipped() -> None:
    training = [living_row(c, w) for c, (w, _, _) in TRAIN.items()]
    t = tables()
    t["gdp"][2]["value"] = Decimal(-5)
    with pytest.raises(
        InvalidInputError, match="gdp table, row 3: needs country_iso3, year and a positive value"
    ):
        fit_living_wage_model(training, **t)
    t = tables()
    del t["cpi"][0]["year"]
    with pytest.raises(InvalidInputError, match="cpi table, row 1"):
        fit_living_wage_model(training, **t)
    bad = [*training, living_row("KE", "abc")]
    with pytest.raises(data.InvalidDataError, match="row 7, column 'amount'"):
        fit_living_wage_model(bad, **tables())


def test_invariants_for_every_country_the_estimate_covers() -> None:
    m = bundled_model()
    lo, hi = m.gdp_range
    seen = 0
    for country in sorted(iso.country_alpha2()):
        try:
            est = m.predict(country)
        except NoBenchmarkError as exc:
            assert country in str(exc)  # every refusal names the country and says why
            continue
        seen += 1
        assert lo <= est.gdp <= hi  # never extrapolated
        assert est.low_ppp < est.point_ppp < est.high_ppp
        assert est.low <= est.point <= est.high  # local currency, rounded up
        assert est.point == (Decimal(repr(est.point_ppp)) * est.ppp_2021 * est.cpi_factor).quantize(
            Decimal("0.0001"), ROUND_CEILING
        )
    assert seen >= 60
