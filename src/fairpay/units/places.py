"""Places as people type them: countries (ISO 3166-1) and subdivisions (ISO 3166-2).

Why: a living wage is local, so every verdict starts from *where* a worker lives. Users type
"Kenya", "KEN", "404", "Côte d'Ivoire", "Ivory Coast", "UK" or "IN-KA"; fairpay turns each into one
canonical code or refuses with the closest matches. Names come from the ISO 3166 records
(:mod:`fairpay.units.iso`: ISO, official and common names, read from pycountry's databases) and
babel's English territory names (CLDR), plus a short list of everyday English names that neither
carries (``ALIASES``).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass

from fairpay.errors import UnknownCountryError
from fairpay.units import iso

#: Everyday English names that neither ISO 3166 (pycountry) nor CLDR (babel) spells this way.
ALIASES: dict[str, str] = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "usa": "US",
    "america": "US",
    "united states of america": "US",
    "ivory coast": "CI",
    "turkey": "TR",
    "czech republic": "CZ",
    "burma": "MM",
    "swaziland": "SZ",
    "cape verde": "CV",
    "east timor": "TL",
    "macedonia": "MK",
    "holland": "NL",
    "drc": "CD",
    "dr congo": "CD",
    "congo kinshasa": "CD",
    "congo brazzaville": "CG",
    "vatican": "VA",
    "korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "vietnam": "VN",
    "tanzania": "TZ",
    "bolivia": "BO",
    "venezuela": "VE",
    "moldova": "MD",
    "palestine": "PS",
    "taiwan": "TW",
    "brunei": "BN",
    "micronesia": "FM",
    "democratic republic of the congo": "CD",
    "democratic republic of congo": "CD",
    "republic of korea": "KR",
    "uae": "AE",
    "state of palestine": "PS",
    "holy see": "VA",
    "macau": "MO",
}


@dataclass(frozen=True, slots=True)
class Place:
    """A normalised place: ISO 3166-1 alpha-2 country and optional ISO 3166-2 subdivision."""

    country: str
    subdivision: str | None = None

    @property
    def country_name(self) -> str:
        """The country's ISO short name (e.g. "Kenya")."""
        record = iso.countries().get(self.country)
        return record["name"] if record is not None else self.country

    @property
    def alpha3(self) -> str:
        """ISO 3166-1 alpha-3 code, as World Bank and ILO tables use."""
        return alpha3(self.country)

    @property
    def subdivision_name(self) -> str | None:
        """The subdivision's ISO name, or None."""
        if self.subdivision is None:
            return None
        record = iso.subdivisions().get(self.subdivision)
        return record["name"] if record is not None else self.subdivision

    def __str__(self) -> str:
        return self.subdivision or self.country


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "Côte d’Ivoire" -> "cote d ivoire"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^0-9a-z]+", " ", text.casefold())
    return text.strip()


@functools.cache
def _country_index() -> dict[str, str]:
    """Folded name or code -> alpha-2, built once on first use."""
    from babel import Locale

    index: dict[str, str] = {}
    for a2, c in iso.countries().items():
        for attr in ("name", "official_name", "common_name"):
            value = c.get(attr)
            if value:
                index.setdefault(_fold(value), a2)
        index[a2.lower()] = a2
        index[c["alpha_3"].lower()] = a2
        index[c["numeric"]] = a2
        index.setdefault(str(int(c["numeric"])), a2)
    known = set(index.values())
    for code, name in Locale("en").territories.items():
        if code in known:
            index.setdefault(_fold(name), code)
    for alias, code in ALIASES.items():
        index.setdefault(_fold(alias), code)
    return index


@functools.cache
def _compact_index() -> dict[str, str]:
    """The same keys with spaces removed, so "cote divoire" still finds CI."""
    return {k.replace(" ", ""): v for k, v in _country_index().items()}


@functools.cache
def _country_names() -> dict[str, str]:
    """Display name -> alpha-2, for suggestions."""
    names = {c["name"]: a2 for a2, c in iso.countries().items()}
    names.update(
        {alias.title() if len(alias) > 3 else alias.upper(): code for alias, code in ALIASES.items()}
    )
    return names


def _suggest(value: str) -> list[str]:
    names = _country_names()
    folded = {_fold(n): n for n in names}
    close = difflib.get_close_matches(_fold(value), list(folded), n=3, cutoff=0.6)
    return [f"{folded[k]} ({names[folded[k]]})" for k in close]


def normalize_country(value: str | int, *, suggest: bool = True) -> str:
    """Return the ISO 3166-1 alpha-2 code for a country typed any common way.

    Accepts alpha-2, alpha-3, numeric (``404`` or ``"404"``), ISO and common names in any case,
    with or without accents. Raises :class:`UnknownCountryError` with the closest matches (a fuzzy
    search, skipped with ``suggest=False`` when thousands of values are checked).
    """
    raw = str(value).strip()
    if not raw:
        raise UnknownCountryError(raw)
    key = _fold(raw)
    if raw.isdigit():
        key = str(int(raw)).zfill(3)
    elif any(ch.isdigit() for ch in raw):  # "4.0" or "-4" is no numeric code (and no name has digits)
        raise UnknownCountryError(raw, _suggest(raw) if suggest else ())
    index = _country_index()
    found = index.get(key) or _compact_index().get(key.replace(" ", ""))
    if found is None and key.startswith("the "):  # "The Gambia", "the Netherlands"
        found = index.get(key[4:]) or _compact_index().get(key[4:].replace(" ", ""))
    if found is None:
        raise UnknownCountryError(raw, _suggest(raw) if suggest else ())
    return found


def normalize_subdivision(value: str, country: str | None = None) -> str:
    """Return an ISO 3166-2 code ("US-CA") from a code or, given the country, a subdivision name.

    A code whose country differs from ``country`` is an error: "IN-KA" cannot be in Kenya.
    """
    raw = value.strip()
    code = raw.upper()
    if "-" not in code and country is not None:
        code = f"{country}-{code}"
    sub = iso.subdivisions().get(code)
    if sub is None and country is not None:
        wanted = _fold(raw)
        by_name = {_fold(s["name"]): s for s in iso.subdivisions_of(country)}
        sub = by_name.get(wanted)
        if sub is None:
            close = difflib.get_close_matches(wanted, list(by_name), n=3, cutoff=0.6)
            raise UnknownCountryError(
                raw, [f"{by_name[k]['name']} ({by_name[k]['code']})" for k in close], kind="subdivision"
            )
    if sub is None:
        raise UnknownCountryError(raw, kind="subdivision")
    owner = iso.subdivision_country()[sub["code"]]
    if country is not None and owner != country:
        raise UnknownCountryError(
            raw, [f"a subdivision of {country} (this one belongs to {owner})"], kind="subdivision"
        )
    return str(sub["code"])


def place(country: str | int, subdivision: str | None = None, *, suggest: bool = True) -> Place:
    """Normalise a country and optional subdivision into a :class:`Place`.

    ``country`` may itself be a subdivision code (``"IN-MP"``), which sets both.
    """
    raw = str(country).strip()
    if (
        re.fullmatch(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}", raw)
        and subdivision is not None
        and str(subdivision).strip()
    ):
        raise UnknownCountryError(
            raw,
            [
                f"country {raw[:2].upper()} with subdivision {raw.upper()}, "
                f"or {subdivision!r} alone (give the subdivision once)"
            ],
        )
    if subdivision is None and re.fullmatch(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}", raw):
        code = normalize_subdivision(raw)
        return Place(code.split("-")[0], code)
    alpha2 = normalize_country(raw, suggest=suggest)
    if subdivision is None or not str(subdivision).strip():
        return Place(alpha2)
    return Place(alpha2, normalize_subdivision(str(subdivision), alpha2))


def alpha3(alpha2: str) -> str:
    """ISO 3166-1 alpha-3 for an alpha-2 code (World Bank / ILO tables are keyed this way)."""
    found = iso.countries().get(alpha2.upper())
    if found is None:
        raise UnknownCountryError(alpha2)
    return found["alpha_3"]
