"""The exception hierarchy every layer of fairpay raises.

Why: callers (and the CLI) catch one base class, ``FairpayError``, and print its message in one
line; each subclass names *what* was wrong so scripts can react to a specific failure. Messages
always name the offending value and what was expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


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


@dataclass(frozen=True)
class Failure:
    """One thing wrong with one value, in the manner of pandera's failure cases.

    ``row``: where the value is - for a CSV file the file's line number (header = line 1), for a
    DataFrame or Parquet file the 0-based row position, None when the failure is not about one row
    (a distinct value, a header). ``reason``: a stable code scripts can test (``not_a_timestamp``,
    ``duplicate_conflict``, ...); ``message``: the reason in words. The one-line text is derived.
    """

    row: int | None
    column: str | None
    value: Any
    reason: str
    message: str
    row_label: str = "row"

    def __str__(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        where = ", ".join(parts)
        return f"{where}: {self.message}" if where else self.message


def failure_frame(records: Sequence[Failure]) -> Any:
    """The records as a DataFrame (row, column, value, reason, message), like pandera's failure_cases."""
    import pandas as pd

    return pd.DataFrame(
        {
            "row": pd.array([r.row for r in records], dtype="Int64"),
            "column": [r.column for r in records],
            "value": [r.value for r in records],
            "reason": [r.reason for r in records],
            "message": [r.message for r in records],
        }
    )


class InvalidDataError(FairpayError, ValueError):
    """A data table (bundled, cached or user-supplied) or a log failed validation.

    Like pandera, it collects *every* failure, so a user fixes a table in one pass.
    ``failures`` holds one line per problem: where (file, row, column), the value, and why;
    ``records`` the same as :class:`Failure` records when the caller built them (``failure_cases``
    is their frame). ``total`` counts every failure found, listed or not.
    """

    def __init__(self, source: str, failures: Sequence[str | Failure], *, total: int | None = None) -> None:
        self.source = source
        self.records = [f for f in failures if isinstance(f, Failure)]
        self.failures = [str(f) for f in failures]
        self.total = max(total or 0, len(self.failures))
        shown = "; ".join(self.failures[:5])
        rest = self.total - min(5, len(self.failures))
        more = f" (and {rest} more)" if rest > 0 else ""
        super().__init__(f"{source}: {self.total} problem(s): {shown}{more}")

    @property
    def failure_cases(self) -> Any:
        """The failure records as a DataFrame: row, column, value, reason, message."""
        return failure_frame(self.records)


class SpecError(InvalidInputError):
    """A project spec file is invalid; the message names the file and the field."""


class SourceError(FairpayError):
    """Fetching or parsing an online data source failed; the message names the source and URL."""
