"""The bundled (or refreshed) exchange-rate table as :class:`fairpay.units.fx.ExchangeRates`.

Why here: ``units`` is pure and never reads a table (ARCHITECTURE.md); the tables layer loads the
file and hands the rates down, and callers pass them on (``rates=``).
"""

from __future__ import annotations

from fairpay.tables.store import by_data_version
from fairpay.units.fx import ExchangeRates


@by_data_version
def bundled_rates() -> ExchangeRates:
    """The exchange rates shipped with fairpay, or the user's validated refreshed copy."""
    from fairpay.tables import load as data

    table = data.load("exchange_rates")
    return ExchangeRates(table.rows, source=f"exchange_rates ({table.origin}: {table.location})")
