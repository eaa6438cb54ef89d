"""A vendor's disclosure: how the people behind a vendor's quote are paid, per location.

Why: much data-enrichment work is bought from vendors (BPOs, managed workforces), and the
Partnership on AI's Vendor Engagement Guidance asks the buyer to discuss worker treatment at four
phases (vetting, contract, monitoring, post-project). Its questions carry no numbers; this model
turns the answers into numbers. Every *given* answer is validated strictly (unknown keys, bad values
and inconsistent hours are errors naming the file and field); a *missing* answer is not an error but
a gap, listed under the phase where the question belongs (:func:`disclosure_gaps`).

Units: worker pay in ``pay_currency`` (ISO 4217) per hour or per task; hours per week; shares in
[0, 1); the client's price in the vendor's ``currency`` per task or per hour.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fairpay.errors import SpecError
from fairpay.units.money import normalize_currency
from fairpay.units.places import place

Phase = Literal["vetting", "contract", "monitoring", "post_project"]
PHASES: tuple[str, ...] = ("vetting", "contract", "monitoring", "post_project")
Hours = Annotated[Decimal, Field(ge=0, le=168)]
#: Amounts are bounded so that exact arithmetic and rounding stay within Decimal precision: nobody is
#: paid a trillion per hour, task or week, and such a figure is a typo.
MAX_AMOUNT = Decimal("1e12")
Amount = Annotated[Decimal, Field(gt=0, lt=MAX_AMOUNT)]
Share = Annotated[Decimal, Field(ge=0, lt=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Location(_Model):
    """One place where the vendor's workers live, and how they are paid there.

    ``paid_hours_per_week``: hours paid (hourly pay) or spent on paid tasks (per-task pay).
    ``unpaid_*_hours_per_week``: time at work without pay (training, breaks the worker must take
    at the desk, idle time between tasks). ``typical_hours_per_week``: hours typically at work in
    all; when given it must cover paid + unpaid hours, and any excess counts as unpaid time.
    """

    country: str
    subdivision: str | None = None
    locality: str | None = None
    headcount: Annotated[int, Field(gt=0)] | None = None
    pay_basis: Literal["hourly", "per_task"] | None = None
    pay_rate: Amount | None = None
    pay_currency: str | None = None
    gross_net: Literal["gross", "net"] | None = None
    tasks_per_hour: Annotated[Decimal, Field(gt=0, le=36000)] | None = None
    contracted_hours_per_week: Hours | None = None
    typical_hours_per_week: Hours | None = None
    paid_hours_per_week: Annotated[Decimal, Field(gt=0, le=168)] | None = None
    unpaid_training_hours_per_week: Hours | None = None
    unpaid_break_hours_per_week: Hours | None = None
    unpaid_idle_hours_per_week: Hours | None = None
    fees_per_week: Annotated[Decimal, Field(ge=0, lt=MAX_AMOUNT)] | None = None
    payout_fee: Share | None = None
    payment_frequency: Literal["weekly", "biweekly", "semimonthly", "monthly"] | None = None
    payment_method: Annotated[str, Field(min_length=1)] | None = None
    client_price: Amount | None = None
    client_price_basis: Literal["per_task", "per_hour"] | None = None

    @field_validator("pay_currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else normalize_currency(value)

    @model_validator(mode="after")
    def _consistent(self) -> Location:
        where = place(self.country, self.subdivision)
        object.__setattr__(self, "country", where.country)
        object.__setattr__(self, "subdivision", where.subdivision)
        if (self.client_price is None) != (self.client_price_basis is None):
            raise ValueError("client_price and client_price_basis go together (give both or neither)")
        if self.paid_hours_per_week is not None:
            total = self.paid_hours_per_week + self.unpaid_hours_given
            if total > 168:
                raise ValueError(f"paid + unpaid hours per week are {total:f}, more than the 168 h in a week")
            if self.typical_hours_per_week is not None and self.typical_hours_per_week < total:
                raise ValueError(
                    f"typical_hours_per_week {self.typical_hours_per_week:f} is less than paid + unpaid "
                    f"hours {total:f}; typical hours are all the hours at work"
                )
        return self

    @property
    def name(self) -> str:
        """How the place is shown: subdivision or country, with the locality."""
        where = self.subdivision or self.country
        return f"{where} ({self.locality})" if self.locality else where

    @property
    def unpaid_hours_given(self) -> Decimal:
        """Unpaid training + break + idle hours per week, as disclosed (missing answers count 0)."""
        parts = (
            self.unpaid_training_hours_per_week,
            self.unpaid_break_hours_per_week,
            self.unpaid_idle_hours_per_week,
        )
        return sum((p for p in parts if p is not None), Decimal(0))


class Vendor(_Model):
    """Who the vendor is and the answers that hold for all its locations."""

    name: Annotated[str, Field(min_length=1)]
    currency: str  # the currency the client pays the vendor in
    pay_reports: Literal["weekly", "monthly", "quarterly", "per_project", "none"] | None = None
    grievance_channel: Annotated[str, Field(min_length=1)] | None = None
    wage_indexation: Annotated[str, Field(min_length=1)] | None = None
    notice_period_days: Annotated[int, Field(ge=0)] | None = None
    post_project_support: Annotated[str, Field(min_length=1)] | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return normalize_currency(value)


class Disclosure(_Model):
    """A vendor's disclosure: the vendor and one entry per location (at least one)."""

    vendor: Vendor
    locations: Annotated[list[Location], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> Disclosure:
        seen: set[tuple[str, str | None, str | None]] = set()
        for loc in self.locations:
            key = (loc.country, loc.subdivision, loc.locality)
            if key in seen:
                raise ValueError(f"locations list {loc.name} twice")
            seen.add(key)
        return self


@dataclass(frozen=True)
class Gap:
    """A question the disclosure leaves unanswered: where (``location`` or None for the vendor),
    the field, the phase it belongs to and why it matters."""

    phase: str
    location: str | None
    field: str
    question: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "phase": self.phase,
            "location": self.location,
            "field": self.field,
            "question": self.question,
        }


#: field -> (phase, question). The order is the report order.
LOCATION_QUESTIONS: dict[str, tuple[str, str]] = {
    "pay_basis": ("vetting", "Are workers paid by the hour or per task?"),
    "pay_rate": ("vetting", "What does a worker earn per hour or per task?"),
    "pay_currency": ("vetting", "In which currency are workers paid?"),
    "gross_net": ("vetting", "Is the pay stated gross (before tax) or net?"),
    "paid_hours_per_week": ("vetting", "How many paid hours does a worker typically work per week?"),
    "tasks_per_hour": (
        "vetting",
        "How many tasks does a worker typically finish per hour (per-task pay or price)?",
    ),
    "unpaid_training_hours_per_week": ("vetting", "How much training time per week is unpaid?"),
    "unpaid_break_hours_per_week": ("vetting", "How much break time at work per week is unpaid?"),
    "unpaid_idle_hours_per_week": ("vetting", "How much idle time between tasks per week is unpaid?"),
    "fees_per_week": (
        "vetting",
        "What fees or deductions (equipment, internet, recruitment) do workers pay?",
    ),
    "payout_fee": ("vetting", "What share of pay is lost on transfer to the worker?"),
    "headcount": ("vetting", "How many workers are in this location?"),
    "contracted_hours_per_week": ("contract", "How many hours a week does the worker's contract state?"),
    "payment_frequency": ("contract", "How often are workers paid?"),
    "payment_method": ("contract", "How are workers paid (bank, mobile money, ...)?"),
    "client_price": ("contract", "What does the client pay the vendor per task or per hour?"),
    "typical_hours_per_week": (
        "monitoring",
        "How many hours in all (paid and unpaid) is a worker typically at work?",
    ),
}
VENDOR_QUESTIONS: dict[str, tuple[str, str]] = {
    "wage_indexation": ("contract", "How are wages indexed (e.g. to CPI, yearly)?"),
    "pay_reports": ("monitoring", "Will the vendor report hours and pay per location each period?"),
    "grievance_channel": ("monitoring", "How can workers raise a complaint without retaliation?"),
    "notice_period_days": ("post_project", "How many days' notice do workers get when the project ends?"),
    "post_project_support": (
        "post_project",
        "What happens to workers after the project (redeployment, severance)?",
    ),
}


def _asked(loc: Location) -> list[str]:
    """The location questions that apply: tasks per hour only when pay or price is per task."""
    asked = list(LOCATION_QUESTIONS)
    if loc.pay_basis != "per_task" and loc.client_price_basis != "per_task":
        asked.remove("tasks_per_hour")
    return asked


def disclosure_gaps(disclosure: Disclosure) -> list[Gap]:
    """Every unanswered question, ordered by phase (vetting, contract, monitoring, post-project),
    then vendor-wide before per-location, then question order."""
    out: list[Gap] = []
    for key, (phase, question) in VENDOR_QUESTIONS.items():
        if getattr(disclosure.vendor, key) is None:
            out.append(Gap(phase, None, key, question))
    for loc in disclosure.locations:
        for key in _asked(loc):
            if getattr(loc, key) is None:
                phase, question = LOCATION_QUESTIONS[key]
                out.append(Gap(phase, loc.name, key, question))
    return sorted(out, key=lambda g: PHASES.index(g.phase))  # stable: keeps the order above per phase


def completeness(disclosure: Disclosure) -> tuple[int, int]:
    """(questions answered, questions asked) over the vendor and every location."""
    asked = len(VENDOR_QUESTIONS) + sum(len(_asked(loc)) for loc in disclosure.locations)
    return asked - len(disclosure_gaps(disclosure)), asked


# ------------------------------------------------------------------------------------ loading
def parse_disclosure(data: Any, *, source: str = "disclosure") -> Disclosure:
    """Validate a dict shaped like the TOML file (``[vendor]`` and ``[[locations]]``).

    Raises :class:`SpecError` listing every problem as ``source: field.path: message``.
    """
    from fairpay.prelaunch.spec import describe_errors

    if not isinstance(data, dict):
        raise SpecError(f"{source}: expected a table/object at the top level, got {type(data).__name__}")
    try:
        return Disclosure.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source}: {describe_errors(exc)}") from None


def load_disclosure(path: str | Path) -> Disclosure:
    """Read a disclosure from TOML, YAML, JSON or CSV (one row per location) and validate it."""
    p = Path(path)
    if p.suffix.lower() == ".csv":
        return parse_disclosure(_read_csv(p), source=str(p))
    return parse_disclosure(read_structured(p), source=str(p))


def read_structured(p: Path) -> Any:
    """A TOML/YAML/JSON file as plain data, or a :class:`SpecError` naming the file."""
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{p}: cannot read ({exc})") from None
    suffix = p.suffix.lower()
    try:
        if suffix == ".toml":
            import tomllib

            return tomllib.loads(text)
        if suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text)
        if suffix == ".json":
            return json.loads(text)
    except Exception as exc:  # parser errors: tomllib/yaml/json each have their own class
        raise SpecError(
            f"{p}: not valid {suffix.lstrip('.').upper()}: {' '.join(str(exc).split())}"
        ) from None
    raise SpecError(f"{p}: unknown format {suffix!r}; expected .toml, .yaml/.yml, .json or .csv")


#: CSV columns that hold vendor-wide answers: the same value on every row.
_VENDOR_CSV = {"vendor": "name", **{f"vendor_{k}": k for k in Vendor.model_fields if k != "name"}}


def _read_csv(p: Path) -> dict[str, Any]:
    """The spreadsheet form: one row per location; ``vendor``, ``vendor_currency`` and the other
    ``vendor_*`` columns repeat the vendor's answers (they must agree on every row); an empty cell
    is an unanswered question."""
    try:
        fh = p.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SpecError(f"{p}: cannot open ({exc.strerror or exc})") from None
    try:
        with fh:
            return _csv_rows(p, csv.DictReader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SpecError(f"{p}: cannot read as UTF-8 CSV ({exc})") from None


def _csv_rows(p: Path, reader: csv.DictReader[str]) -> dict[str, Any]:
    """Rows of the CSV form as the dict :func:`parse_disclosure` validates."""
    cols = [c.strip() for c in reader.fieldnames or []]
    known = set(_VENDOR_CSV) | set(Location.model_fields)
    unknown = [c for c in cols if c not in known]
    if unknown:
        raise SpecError(f"{p}: unknown column(s) {', '.join(map(repr, unknown))} (not part of a disclosure)")
    if "vendor" not in cols or "country" not in cols:
        raise SpecError(f"{p}: columns 'vendor' and 'country' are required")
    vendor: dict[str, str] = {}
    locations: list[dict[str, str]] = []
    for line, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        for col, key in _VENDOR_CSV.items():
            value = row.get(col, "")
            if not value:
                continue
            if key in vendor and vendor[key] != value:
                raise SpecError(
                    f"{p}: line {line}, column {col!r}: {value!r} differs from {vendor[key]!r} above"
                )
            vendor[key] = value
        locations.append({k: v for k, v in row.items() if k in Location.model_fields and v != ""})
    if not locations:
        raise SpecError(f"{p}: no rows (expected one row per location)")
    return {"vendor": vendor, "locations": locations}
