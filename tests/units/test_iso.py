"""The one source of ISO codes: facts checked against the standards by hand."""

from __future__ import annotations

from fairpay.units import iso


def test_countries() -> None:
    assert {"KE", "IN", "PH", "VE"} <= iso.country_alpha2()
    assert "UK" not in iso.country_alpha2()  # ISO says GB
    assert {"KEN", "IND", "XKX", "CHI"} <= iso.country_alpha3()
    assert "WLD" not in iso.country_alpha3()  # a World Bank aggregate, not a country


def test_alpha3_to_alpha2() -> None:
    table = iso.alpha3_to_alpha2()
    assert table["KEN"] == "KE" and table["GBR"] == "GB" and table["CIV"] == "CI"
    assert table["XKX"] == "XK"
    assert "CHI" not in table  # the Channel Islands have no alpha-2 code


def test_subdivisions_belong_to_their_prefix() -> None:
    table = iso.subdivision_country()
    assert table["IN-KA"] == "IN" and table["US-CA"] == "US" and table["PH-00"] == "PH"


def test_withdrawn_currencies_are_historic_only() -> None:
    assert {"KES", "USD", "EUR"} <= iso.current_currencies()
    for withdrawn in ("HRK", "VEF", "SLL", "BYR"):
        assert withdrawn not in iso.current_currencies()
        assert withdrawn in iso.all_currencies()


def test_country_and_subdivision_records_match_pycountrys_api() -> None:
    # the records are read straight from pycountry's JSON databases (fast); its object API is the
    # independent reference, entry by entry
    import pycountry

    names = iso.countries()
    assert len(names) == len(pycountry.countries)
    for c in pycountry.countries:
        record = names[c.alpha_2]
        assert (record["name"], record["alpha_3"], record["numeric"]) == (c.name, c.alpha_3, c.numeric)
        assert record.get("official_name") == getattr(c, "official_name", None)
        assert record.get("common_name") == getattr(c, "common_name", None)
    subs = iso.subdivisions()
    assert len(subs) == len(pycountry.subdivisions)
    for s in pycountry.subdivisions:
        assert subs[s.code]["name"] == s.name
    for country in ("US", "IN", "KE", "PH", "GB"):
        expected = {s.code for s in pycountry.subdivisions.get(country_code=country)}
        assert {s["code"] for s in iso.subdivisions_of(country)} == expected
    assert iso.subdivisions_of("AQ") == ()  # Antarctica: no subdivisions
