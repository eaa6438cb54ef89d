"""The exception hierarchy every layer of fairpay raises.

Why: callers (and the CLI) catch one base class, ``FairpayError``, and print its message in one
line; each subclass names *what* was wrong so scripts can react to a specific failure. Messages
always name the offending value and what was expected.
"""

from __future__ import annotations

from collections.abc import Sequence


class FairpayError(Exception):
    """Base class: anything fairpay refuses to do, with a message fit for one line of output."""


class InvalidInputError(FairpayError, ValueError):
    """A value given by the user (argument, spec field, log row) is not acceptable."""


class UnknownCountryError(InvalidInputError, LookupError):
    """A country or subdivision that cannot be matched to ISO 3166."""

    def __init__(self, value: str, suggestions: Sequence[str] = (), kind: str = "country") -> None:
        self.value = value
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        expected = (
            "an ISO 3166-1 alpha-2/alpha-3/numeric code or a country name"
            if kind == "country"
            else "an ISO 3166-2 subdivision code such as 'US-CA' or 'IN-KA'"
        )
        super().__init__(f"unknown {kind} {value!r}: expected {expected}{hint}")


class UnknownCurrencyError(InvalidInputError, LookupError):
    """A currency code that is not ISO 4217 (or is withdrawn where a current one is needed)."""


class NoBenchmarkError(FairpayError, LookupError):
    """No benchmark of the requested kind exists for a place: fairpay says so rather than guess."""


class MissingExchangeRateError(FairpayError, LookupError):
    """No exchange rate for a currency in a year (and no opt-in fallback allowed)."""


class InvalidDataError(FairpayError, ValueError):
    """A data table (bundled, cached or user-supplied) failed validation.

    Like pandera, it collects *every* failure, so a user fixes a table in one pass.
    ``failures`` holds one line per problem: where (file, row, column), the value, and why.
    """

    def __init__(self, source: str, failures: Sequence[str]) -> None:
        self.source = source
        self.failures = list(failures)
        shown = "; ".join(self.failures[:5])
        more = f" (and {len(self.failures) - 5} more)" if len(self.failures) > 5 else ""
        super().__init__(f"{source}: {len(self.failures)} problem(s): {shown}{more}")


class SpecError(InvalidInputError):
    """A project spec file is invalid; the message names the file and the field."""


class SourceError(FairpayError):
    """Fetching or parsing an online data source failed; the message names the source and URL."""
