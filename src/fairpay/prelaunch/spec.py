"""Project specs: the pydantic models of a data-enrichment project, and TOML/YAML/JSON loading.

Why: a pre-launch gate is only as good as its input. Every field is validated (frozen models,
unknown keys rejected), every failure is reported at once with its path (``tasks[0].seconds``),
and nothing is silently defaulted that changes a verdict: defaults are the documented ones below.

Units: money in the project's ``currency`` (ISO 4217); times in seconds (``seconds``,
``per_task_seconds``) or minutes where the name says so (``onboarding_minutes``); rates and fees
are shares in [0, 1).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fairpay.errors import InvalidInputError, SpecError
from fairpay.units.money import normalize_currency
from fairpay.units.places import place

Share = Annotated[float, Field(ge=0, lt=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data: Any) -> Any:
        """true/false (YAML's yes/no too) is not a number: pydantic would read it as 1/0."""
        if isinstance(data, dict):
            for name, value in data.items():
                info = cls.model_fields.get(name)
                if info is None or info.annotation is bool:
                    continue
                items = value if isinstance(value, list) else [value]
                if any(isinstance(v, bool) for v in items):
                    raise ValueError(f"{name}: {value!r} is true/false, not a number or text")
        return data


class Deductions(_Model):
    """Shares of the pay that never reach the worker, applied one after the other.

    ``vendor_margin``: kept by an intermediary when ``pay_per_task`` is the price paid to a vendor;
    ``platform_fee``: charged to the *worker* by the platform; ``payout_fee``: lost on transfer.
    ``requester_fee`` is different: a fee charged *on top* to the requester (e.g. MTurk 20 %); it
    does not change what the worker gets and only enters the budget.
    """

    vendor_margin: Share = 0.0
    platform_fee: Share = 0.0
    payout_fee: Share = 0.0
    requester_fee: Annotated[float, Field(ge=0)] = 0.0

    @property
    def keep(self) -> Decimal:
        """The share of pay that reaches the worker: (1 - vm)(1 - pf)(1 - po)."""
        one = Decimal(1)
        return (one - _d(self.vendor_margin)) * (one - _d(self.platform_fee)) * (one - _d(self.payout_fee))


class Unpaid(_Model):
    """Time the worker spends without pay, and work done but not paid."""

    onboarding_minutes: Annotated[float, Field(ge=0)] = 0.0
    tasks_per_worker: Annotated[int, Field(gt=0)] | None = None
    per_task_seconds: Annotated[float, Field(ge=0)] = 0.0
    rejection_rate: Share = 0.0
    return_rate: Share = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> Unpaid:
        if self.onboarding_minutes > 0 and self.tasks_per_worker is None:
            raise ValueError(
                "onboarding_minutes needs tasks_per_worker (how many tasks one worker does, "
                "to spread the one-off time over)"
            )
        if self.rejection_rate + self.return_rate >= 1:
            raise ValueError("rejection_rate + return_rate must be below 1 (otherwise no work is paid)")
        return self

    @property
    def lost_share(self) -> Decimal:
        """``r``: the share of work done that is not paid (rejected + returned/abandoned)."""
        return _d(self.rejection_rate) + _d(self.return_rate)

    def overhead_seconds(self, task_unpaid_seconds: float = 0.0) -> Decimal:
        """``o``: unpaid seconds per task = one-off minutes x 60 / tasks_per_worker + per-task seconds."""
        one_off = Decimal(0)
        if self.onboarding_minutes and self.tasks_per_worker:
            one_off = _d(self.onboarding_minutes) * 60 / Decimal(self.tasks_per_worker)
        return one_off + _d(self.per_task_seconds) + _d(task_unpaid_seconds)


class Policy(_Model):
    """What bar the pay must reach, and how strictly."""

    benchmark: Literal["living", "minimum", "higher"] = "higher"
    household: Literal["typical_family", "blended", "standard_family", "single_adult", "other"] | None = None
    method: list[str] | None = None
    margin: Annotated[float, Field(ge=0)] = 0.0
    statistic: str = "p75"
    # Where no living wage is cited: fairpay's labelled estimate (upper end of its 80 % interval:
    # the model's uncertainty is borne by the requester, not the worker), else the minimum wage
    # (fairpay.wages.Benchmarks.bar). "error" refuses instead.
    missing_living: Literal["estimate", "minimum", "error"] = "estimate"
    estimate_bound: Literal["point", "upper"] = "upper"
    # rank gross figures before unspecified and net ones (a net figure understates the bar)
    prefer_gross: bool = True
    inflate: bool = True

    @field_validator("statistic")
    @classmethod
    def _statistic(cls, value: str) -> str:
        from fairpay.worktime.estimates import parse_statistic  # the one statistic parser

        try:
            return parse_statistic(value)[0]
        except InvalidInputError as exc:
            raise ValueError(str(exc).removeprefix("statistic: ")) from None


class Task(_Model):
    """One kind of task: its pay, its time, and how many of them."""

    name: Annotated[str, Field(min_length=1)]
    pay_per_task: Annotated[Decimal, Field(gt=0)]
    seconds: Annotated[float, Field(gt=0)] | None = None
    times: list[Annotated[float, Field(gt=0)]] | None = None
    pilot: str | None = None
    column: str = "seconds"
    worker_column: str | None = None
    #: The pilot file's text encoding when it is not UTF-8 (e.g. "latin-1"); a BOM is read anyway.
    encoding: str | None = None
    volume: Annotated[int, Field(gt=0)]
    unpaid_seconds: Annotated[float, Field(ge=0)] = 0.0

    @field_validator("seconds")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("seconds must be a finite number")
        return value

    @model_validator(mode="after")
    def _one_time_source(self) -> Task:
        given = [k for k in ("seconds", "times", "pilot") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of seconds, times or pilot (got {', '.join(given) if given else 'none'})"
            )
        if self.times is not None and not self.times:
            raise ValueError("times must not be empty")
        return self


class Workforce(_Model):
    """Where (a share of) the workers live."""

    country: str
    subdivision: str | None = None
    locality: str | None = None
    share: Annotated[float, Field(gt=0, le=1)] | None = None

    @model_validator(mode="after")
    def _place(self) -> Workforce:
        where = place(self.country, self.subdivision)
        object.__setattr__(self, "country", where.country)
        object.__setattr__(self, "subdivision", where.subdivision)
        return self


class BenchmarkOverride(_Model):
    """The user's own figure for a place; it wins over the bundled data and is cited as given."""

    country: str
    subdivision: str | None = None
    locality: str | None = None
    amount: Annotated[Decimal, Field(gt=0)]
    currency: str
    period: Literal["hour", "day", "week", "month", "year"]
    hours_per_week: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    source: Annotated[str, Field(min_length=1)]
    url: str | None = None
    reference_year: Annotated[int, Field(ge=1990, le=2100)] | None = None
    kind: Literal["living", "minimum"] = "living"
    gross_net: Literal["gross", "net", "unspecified"] = "unspecified"

    @model_validator(mode="after")
    def _norm(self) -> BenchmarkOverride:
        where = place(self.country, self.subdivision)
        object.__setattr__(self, "country", where.country)
        object.__setattr__(self, "subdivision", where.subdivision)
        object.__setattr__(self, "currency", normalize_currency(self.currency))
        return self


class ExchangeRateOverride(_Model):
    """The user's own cited exchange rate, for a currency the bundled table lacks (Venezuela's VES
    after 2017) or that the user must set; it wins over the bundled rate for that currency and year."""

    currency: str
    year: Annotated[int, Field(ge=1990, le=2100)]
    lcu_per_usd: Annotated[Decimal, Field(gt=0)]
    source: Annotated[str, Field(min_length=1)]
    url: str | None = None

    @field_validator("lcu_per_usd")
    @classmethod
    def _finite(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("lcu_per_usd must be a finite number")
        return value

    @model_validator(mode="after")
    def _norm(self) -> ExchangeRateOverride:
        object.__setattr__(self, "currency", normalize_currency(self.currency))
        if self.currency == "USD":
            raise ValueError("an exchange rate is units of a currency per US$; USD needs none")
        return self


class Project(_Model):
    """A data-enrichment project as the pre-launch check sees it."""

    name: Annotated[str, Field(min_length=1)]
    currency: str
    tasks: Annotated[list[Task], Field(min_length=1)]
    workforce: Annotated[list[Workforce], Field(min_length=1)]
    deductions: Deductions = Deductions()
    unpaid: Unpaid = Unpaid()
    policy: Policy = Policy()
    benchmark_overrides: list[BenchmarkOverride] = []
    exchange_rates: list[ExchangeRateOverride] = []
    base_dir: str | None = Field(
        default=None, exclude=True, description="folder that relative pilot paths start from"
    )

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return normalize_currency(value)

    @model_validator(mode="after")
    def _shares(self) -> Project:
        shares = [w.share for w in self.workforce]
        given = [s for s in shares if s is not None]
        if given and len(given) != len(shares):
            raise ValueError("workforce: give a share for every place or for none (then shares are equal)")
        if given and abs(sum(given) - 1) > 1e-9:
            raise ValueError(f"workforce shares must sum to 1 (they sum to {sum(given):g})")
        seen = set()
        for w in self.workforce:
            key = (w.country, w.subdivision, w.locality)
            if key in seen:
                raise ValueError(f"workforce lists {w.subdivision or w.country} twice")
            seen.add(key)
        names = [t.name for t in self.tasks]
        for i, n in enumerate(names):
            if n in names[:i]:
                raise ValueError(
                    f"task name {n!r} is used twice (tasks[{names.index(n)}] and tasks[{i}]); names must be unique"
                )
        return self

    def shares(self) -> list[Decimal]:
        """Each workforce entry's share of the volume (equal when none are given)."""
        if self.workforce[0].share is None:
            return [Decimal(1) / len(self.workforce)] * len(self.workforce)
        return [_d(w.share) for w in self.workforce]


class RateRequest(_Model):
    """One place and one task time, for ``fairpay rate``: the required per-task pay needs no
    project, no task pay and no volume, so none is asked for (same field rules as a spec)."""

    currency: str
    seconds: Annotated[float, Field(gt=0)]
    workforce: Workforce
    deductions: Deductions = Deductions()
    unpaid: Unpaid = Unpaid()
    policy: Policy = Policy()
    exchange_rates: list[ExchangeRateOverride] = []

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return normalize_currency(value)

    @field_validator("seconds")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("seconds must be a finite number")
        return value


def parse_rate_request(data: dict[str, Any], *, source: str = "rate") -> RateRequest:
    """Validate a rate request (shaped like a spec's sections); :class:`SpecError` lists every problem."""
    try:
        return RateRequest.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source}: {describe_errors(exc, data)}") from None


def _d(value: float | int | Decimal | None) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def parse_project(data: dict[str, Any], *, source: str = "project", base_dir: str | None = None) -> Project:
    """Validate a spec dict (shaped like the TOML file) into a :class:`Project`.

    Raises :class:`SpecError` listing every problem as ``source: field.path: message``.
    """
    if not isinstance(data, dict):
        raise SpecError(f"{source}: expected a table/object at the top level, got {type(data).__name__}")
    flat = dict(data)
    info = flat.pop("project", None)
    if info is not None:
        if not isinstance(info, dict):
            raise SpecError(f"{source}: [project] must be a table with name and currency")
        clash = set(info) & set(flat)
        if clash:
            raise SpecError(
                f"{source}: {', '.join(sorted(clash))} given both in [project] and at the top level"
            )
        flat.update(info)
    if base_dir is not None:
        flat["base_dir"] = base_dir
    try:
        return Project.model_validate(flat)
    except ValidationError as exc:
        raise SpecError(f"{source}: {describe_errors(exc, flat)}") from None


def _task_name(data: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """ " (task 'name')" for an error inside tasks[i], so the message names the task as well."""
    tasks = data.get("tasks")
    if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int) and isinstance(tasks, list):
        if (
            loc[1] < len(tasks)
            and isinstance(tasks[loc[1]], dict)
            and isinstance(tasks[loc[1]].get("name"), str)
        ):
            return f" (task {tasks[loc[1]]['name']!r})"
    return ""


def describe_errors(exc: ValidationError, data: dict[str, Any] | None = None) -> str:
    """A spec validation error as one message, a part per failure naming its field path
    (``tasks[0].seconds``) and its task, so every caller words spec errors alike."""
    parts = []
    for err in exc.errors():
        loc = ""
        for item in err["loc"]:
            loc += f"[{item}]" if isinstance(item, int) else (f".{item}" if loc else str(item))
        task = _task_name(data or {}, tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field (not part of the spec; check the spelling)"
        elif err["type"] == "missing":
            msg = "required field is missing"
        got = err.get("input")
        shown = (
            f" (got {got!r})"
            if err["type"] not in ("missing", "extra_forbidden") and not isinstance(got, (dict, list))
            else ""
        )
        parts.append(f"{loc or 'spec'}: {msg}{shown}{task}")
    return "; ".join(parts)


def load_project(path: str | Path) -> Project:
    """Read a project spec from TOML, YAML or JSON (by file extension) and validate it."""
    p = Path(path)
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

            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.load(text, Loader=_unique_key_loader())  # noqa: S506 (a SafeLoader subclass)
        elif suffix == ".json":
            data = json.loads(text, object_pairs_hook=_unique_keys)
        else:
            raise SpecError(f"{p}: unknown spec format {suffix!r}; expected .toml, .yaml/.yml or .json")
    except SpecError as exc:
        raise SpecError(f"{p}: {exc}" if not str(exc).startswith(str(p)) else str(exc)) from None
    except Exception as exc:  # parser errors: tomllib/yaml/json each have their own class
        raise SpecError(
            f"{p}: not valid {suffix.lstrip('.').upper()}: {' '.join(str(exc).split())}"
        ) from None
    return parse_project(data, source=str(p), base_dir=str(p.parent))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique (json keeps the last of a repeated key silently)."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise SpecError(f"key {k!r} is given twice in one object; give it once")
        out[k] = v
    return out


def _unique_key_loader() -> Any:
    """A yaml SafeLoader that refuses a mapping key given twice (PyYAML keeps the last silently)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise SpecError(
                        f"key {key!r} is given twice (line {key_node.start_mark.line + 1}); give it once"
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader
