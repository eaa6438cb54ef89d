"""Tests for fairpay.units.places: countries and subdivisions as people type them.

Expected codes are the ISO 3166 codes written out by hand (ISO 3166-1: Kenya KE/KEN/404,
Afghanistan AF/AFG/004, Côte d'Ivoire CI; ISO 3166-2: US-CA, IN-KA, IN-MP, GB-LND).
"""

from __future__ import annotations

import pytest

from fairpay.errors import FairpayError, InvalidInputError, UnknownCountryError
from fairpay.units.places import Place, alpha3, normalize_country, normalize_subdivision, place


# --------------------------------------------------------------------------- countries
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # ISO 3166-1 alpha-2, any case, with surrounding spaces
        ("KE", "KE"),
        ("ke", "KE"),
        ("  Ke ", "KE"),
        # alpha-3
        ("KEN", "KE"),
        ("ken", "KE"),
        ("AFG", "AF"),
        # numeric, as text or int, with or without leading zeros
        ("404", "KE"),
        (404, "KE"),
        ("4", "AF"),
        ("004", "AF"),
        (4, "AF"),
        ("0404", "KE"),
        # ISO short name, any case
        ("Kenya", "KE"),
        ("KENYA", "KE"),
        ("kenya", "KE"),
        ("Bolivia, Plurinational State of", "BO"),
        # ISO official name
        ("Republic of Kenya", "KE"),
        ("Federal Republic of Germany", "DE"),
        # ISO common name (pycountry common_name)
        ("Taiwan", "TW"),
        ("Bolivia", "BO"),
        # CLDR English names (babel) that ISO spells otherwise
        ("South Korea", "KR"),
        ("south korea", "KR"),
        ("Congo - Kinshasa", "CD"),
        ("United States", "US"),
        # everyday aliases
        ("UK", "GB"),
        ("uk", "GB"),
        ("Ivory Coast", "CI"),
        ("IVORY COAST", "CI"),
        ("Turkey", "TR"),
        ("DRC", "CD"),
        ("Democratic Republic of the Congo", "CD"),
        ("UAE", "AE"),
        # accents, no accents, typographic apostrophe, no apostrophe or space
        ("Côte d'Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("Côte d\u2019Ivoire", "CI"),
        ("cote divoire", "CI"),
        ("CÔTE D'IVOIRE", "CI"),
        ("Türkiye", "TR"),
        ("Turkiye", "TR"),
        # a leading "the"
        ("The Gambia", "GM"),
        ("the Netherlands", "NL"),
    ],
)
def test_normalize_country_every_path(typed: str | int, expected: str) -> None:
    assert normalize_country(typed) == expected


def test_unknown_country_suggests_close_matches() -> None:
    with pytest.raises(UnknownCountryError) as info:
        normalize_country("Kenyaa")
    err = info.value
    assert err.value == "Kenyaa"
    assert "Kenya (KE)" in err.suggestions
    message = str(err)
    assert "'Kenyaa'" in message
    assert "did you mean" in message and "Kenya (KE)" in message


def test_unknown_country_is_an_input_error_for_callers() -> None:
    with pytest.raises(InvalidInputError):
        normalize_country("Narnia")
    with pytest.raises(FairpayError):
        normalize_country("Atlantis")


@pytest.mark.parametrize("typed", ["", "   ", "999", "0", "XX", "XXX"])
def test_unknown_codes_and_empty_input_are_refused(typed: str) -> None:
    with pytest.raises(UnknownCountryError):
        normalize_country(typed)


@pytest.mark.parametrize("typed", ["4.0", "-4", "404.0", "40 4"])
def test_numbers_that_are_not_numeric_codes_are_refused(typed: str) -> None:
    # "4.0" folded to "4 0" used to match "040" (Austria) via the compact index; "-4" matched AF.
    with pytest.raises(UnknownCountryError):
        normalize_country(typed)


def test_empty_place_is_refused() -> None:
    with pytest.raises(UnknownCountryError):
        place("")


# --------------------------------------------------------------------------- subdivisions
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("US-CA",), Place("US", "US-CA")),
        (("us-ca",), Place("US", "US-CA")),
        (("US", "California"), Place("US", "US-CA")),
        (("United States", "california"), Place("US", "US-CA")),
        (("IN", "KA"), Place("IN", "IN-KA")),
        (("India", "Karnataka"), Place("IN", "IN-KA")),  # ISO spells it "Karnātaka"
        (("IN", "IN-KA"), Place("IN", "IN-KA")),
        (("IN-MP",), Place("IN", "IN-MP")),
        (("GB-LND",), Place("GB", "GB-LND")),
        (("UK", "LND"), Place("GB", "GB-LND")),
        (("DE", "baden wurttemberg"), Place("DE", "DE-BW")),
        (("Kenya",), Place("KE", None)),
        (("Kenya", ""), Place("KE", None)),
    ],
)
def test_place_with_subdivision_codes_and_names(args: tuple[str, ...], expected: Place) -> None:
    assert place(*args) == expected


def test_place_str_and_names() -> None:
    p = place("US", "California")
    assert str(p) == "US-CA"
    assert p.country_name == "United States"
    assert p.subdivision_name == "California"
    assert p.alpha3 == "USA"
    k = place("404")
    assert str(k) == "KE"
    assert k.subdivision_name is None
    assert k.country_name == "Kenya"


def test_subdivision_of_another_country_is_refused() -> None:
    with pytest.raises(UnknownCountryError) as info:
        place("Kenya", "IN-KA")
    message = str(info.value)
    assert "IN-KA" in message
    assert "KE" in message and "belongs to IN" in message
    with pytest.raises(UnknownCountryError):
        normalize_subdivision("US-CA", "GB")


def test_unknown_subdivision_name_suggests_close_matches() -> None:
    with pytest.raises(UnknownCountryError) as info:
        place("IN", "Karnatka")
    assert "subdivision" in str(info.value)
    assert any("IN-KA" in s for s in info.value.suggestions)


@pytest.mark.parametrize("typed", ["XX-YY", "US-ZZ"])
def test_unknown_subdivision_code_is_refused(typed: str) -> None:
    with pytest.raises(UnknownCountryError) as info:
        place(typed)
    assert "subdivision" in str(info.value)


def test_alpha3() -> None:
    assert alpha3("KE") == "KEN"
    assert alpha3("ci") == "CIV"
    with pytest.raises(UnknownCountryError):
        alpha3("XX")


def test_subdivision_given_twice_is_refused_with_a_clear_hint() -> None:
    with pytest.raises(UnknownCountryError, match="give the subdivision once"):
        place("IN-MP", "IN-KA")
