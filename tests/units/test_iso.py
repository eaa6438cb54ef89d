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
