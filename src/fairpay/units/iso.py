"""ISO 3166 country and subdivision codes and ISO 4217 currency codes: the one source for them.

Why one module: three copies of these lists (tables, money, updaters) had started to disagree on
what counts as a country or a currency. Why not ``import pycountry``: it costs ~50 ms (it pulls in
``importlib.metadata``) and every CLI command needs a code list, so pycountry's own JSON databases
are read directly (a few ms), falling back to its API if the package layout ever changes. babel
(CLDR) supplies withdrawn currency codes, which pycountry does not list.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os

#: World Bank codes for economies that are not ISO 3166-1 countries (Kosovo, Channel Islands).
NON_ISO_ALPHA3 = frozenset({"XKX", "CHI"})
#: The alpha-2 code CLDR and the living-wage tables use for Kosovo (user-assigned in ISO 3166).
_NON_ISO_ALPHA2 = {"XKX": "XK"}


@functools.cache
def _pycountry_db(name: str) -> tuple[dict[str, str], ...]:
    """One of pycountry's ISO databases (``3166-1``, ``3166-2``, ``4217``), read as JSON."""
    spec = importlib.util.find_spec("pycountry")
    for base in list(spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(base, "databases", f"iso{name}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                return tuple(json.load(fh)[name])
    import pycountry  # layout changed or zipped install: use the public API

    attr = {"3166-1": "countries", "3166-2": "subdivisions", "4217": "currencies"}[name]
    return tuple(dict(item._fields) for item in getattr(pycountry, attr))


@functools.cache
def country_alpha2() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes."""
    return frozenset(c["alpha_2"] for c in _pycountry_db("3166-1"))


@functools.cache
def country_alpha3() -> frozenset[str]:
    """ISO 3166-1 alpha-3 codes plus the World Bank's :data:`NON_ISO_ALPHA3` (XKX, CHI)."""
    return frozenset(c["alpha_3"] for c in _pycountry_db("3166-1")) | NON_ISO_ALPHA3


@functools.cache
def alpha3_to_alpha2() -> dict[str, str]:
    """alpha-3 -> alpha-2 for every country (Kosovo XKX -> XK; the Channel Islands have none)."""
    return {c["alpha_3"]: c["alpha_2"] for c in _pycountry_db("3166-1")} | _NON_ISO_ALPHA2


@functools.cache
def subdivision_country() -> dict[str, str]:
    """ISO 3166-2 code -> its country's alpha-2 code (the code's prefix, as the standard defines)."""
    return {s["code"]: s["code"].split("-", 1)[0] for s in _pycountry_db("3166-2")}


@functools.cache
def current_currencies() -> frozenset[str]:
    """ISO 4217 codes in use today (pycountry)."""
    return frozenset(c["alpha_3"] for c in _pycountry_db("4217"))


@functools.cache
def all_currencies() -> frozenset[str]:
    """Current *and* withdrawn ISO 4217 codes (HRK, BYR, VEF, SLL, ... via CLDR), for historic rows."""
    from babel.numbers import list_currencies

    return current_currencies() | frozenset(list_currencies())


@functools.cache
def countries() -> dict[str, dict[str, str]]:
    """alpha-2 -> the country's ISO 3166-1 record (``name``; ``official_name`` and ``common_name``
    where ISO gives them; ``alpha_3``, ``numeric``)."""
    return {c["alpha_2"]: c for c in _pycountry_db("3166-1")}


@functools.cache
def subdivisions() -> dict[str, dict[str, str]]:
    """ISO 3166-2 code -> its record (``name``, ``type``, ``parent`` where given)."""
    return {s["code"]: s for s in _pycountry_db("3166-2")}


@functools.cache
def subdivisions_of(country: str) -> tuple[dict[str, str], ...]:
    """The ISO 3166-2 records of one country (alpha-2), in the standard's order."""
    owner = subdivision_country()
    return tuple(s for code, s in subdivisions().items() if owner[code] == country)


@functools.cache
def legal_tender(alpha2: str | None, year: int) -> tuple[str, ...]:
    """Legal-tender currencies of a territory on 1 July of ``year`` per CLDR (babel), primary first
    (none for a territory CLDR does not know): what a table's amounts for that place should be in.
    Cached: an imported table asks once per row, for a few hundred (place, year)s."""
    if not alpha2:
        return ()
    import datetime

    import babel.numbers

    day = datetime.date(year, 7, 1)
    try:
        return tuple(babel.numbers.get_territory_currencies(alpha2, day, day, tender=True))
    except Exception:  # babel raises for territories it does not know  # noqa: BLE001
        return ()
