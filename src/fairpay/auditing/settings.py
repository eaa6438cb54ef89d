"""How an audit reads its log and what it pays against: one frozen settings object, used by
:func:`fairpay.audit`, ``fairpay audit`` and the Dask driver alike.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from fairpay.auditing.presets import Preset, get_preset
from fairpay.errors import InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    pass


Pending = Literal["paid", "unpaid"]


@dataclass(frozen=True)
class AuditSettings:
    """How an audit reads its log and computes its numbers: one object for :func:`audit`, the CLI
    and :func:`fairpay.auditing.dask.audit_dask`, recorded with the result.

    Reading: ``preset`` (generic | mturk | prolific, or a :class:`fairpay.auditing.presets.Preset`),
    ``columns`` (canonical -> source column), ``defaults`` (constants for columns the export
    lacks), ``encoding`` (a non-UTF-8 CSV's encoding), ``max_task_hours`` (longest plausible
    interval; None: the preset's cap, 24 h), ``implausible`` (error | set_aside: what happens to
    rows with implausible times). The bar: ``kind`` (living | minimum | higher), ``household``,
    ``locality``, ``method`` (living-wage methods in order), ``missing_living`` (estimate | minimum
    | error) and ``estimate_bound`` (upper | point) where no living wage is cited, ``prefer_gross``
    (a net figure ranks after a gross one: the pre-launch policy's rule, so ``check`` and ``audit``
    pick the same figure for a place), ``year`` (price
    and exchange-rate year; None: the year of the last submission), ``inflate`` (CPI to that
    year), ``fx_fallback`` (error | nearest_earlier). Time and pay: ``merge_gap_seconds`` (a worker's tasks at most that many
    seconds apart merge; the gap counts as work), ``pending`` (paid | unpaid: whether
    submitted-but-unreviewed rewards count as paid).

    Data (the country mapping, benchmarks, exchange rates) and how to run (memory, threads) are
    not settings: they are passed to the call. Invalid values raise ``InvalidInputError`` here,
    before any row is read.
    """

    preset: str | Preset = "generic"
    columns: Mapping[str, str] | None = None
    defaults: Mapping[str, Any] | None = None
    kind: str = "higher"
    household: str | None = None
    locality: str | None = None
    missing_living: str = "estimate"
    year: int | None = None
    inflate: bool = True
    fx_fallback: str = "error"
    merge_gap_seconds: float = 0
    pending: Pending = "paid"
    method: tuple[str, ...] | None = None  # living-wage methods, in order (None: the defaults)
    estimate_bound: str = "upper"  # where no living wage is cited (fairpay.wages.Benchmarks.bar)
    prefer_gross: bool = True  # gross figures rank before unspecified and net ones, as in a Policy
    encoding: str | None = None
    max_task_hours: float | None = None
    implausible: str = "error"

    def __post_init__(self) -> None:
        from fairpay.wages import BAR_KINDS

        get_preset(self.preset)  # an unknown preset name fails here, with the list of names
        for name in ("columns", "defaults"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Mapping):
                raise InvalidInputError(f"{name} must be a mapping of canonical name -> value, not {value!r}")
        if self.kind not in BAR_KINDS:
            raise InvalidInputError(f"kind {self.kind!r} is not one of {', '.join(BAR_KINDS)}")
        for name in ("household", "locality", "encoding"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InvalidInputError(f"{name} must be text, not {type(value).__name__} ({value!r})")
        if self.missing_living not in ("estimate", "minimum", "error"):
            raise InvalidInputError(
                f"missing_living {self.missing_living!r} is not 'estimate', 'minimum' or 'error'"
            )
        if self.estimate_bound not in ("upper", "point"):
            raise InvalidInputError(f"estimate_bound {self.estimate_bound!r} is not 'upper' or 'point'")
        if self.implausible not in ("error", "set_aside"):
            raise InvalidInputError(f"implausible {self.implausible!r} is not 'error' or 'set_aside'")
        if isinstance(self.method, str):  # one method given as text
            object.__setattr__(self, "method", (self.method,))
        elif self.method is not None:
            object.__setattr__(self, "method", tuple(self.method))
        for name in ("inflate", "prefer_gross"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidInputError(f"{name} {getattr(self, name)!r} is not True or False")
        if self.pending not in ("paid", "unpaid"):
            raise InvalidInputError(f"pending {self.pending!r} is not 'paid' or 'unpaid'")
        if self.fx_fallback not in ("error", "nearest_earlier"):
            raise InvalidInputError(f"fx_fallback {self.fx_fallback!r} is not 'error' or 'nearest_earlier'")
        gap = self.merge_gap_seconds
        if isinstance(gap, bool) or not isinstance(gap, numbers.Real) or gap < 0 or math.isnan(gap):
            raise InvalidInputError(f"merge_gap_seconds {gap!r} must be a number >= 0 (seconds)")
        if self.year is not None and (
            isinstance(self.year, bool)
            or not isinstance(self.year, numbers.Integral)
            or not 1900 < self.year < 2200
        ):
            raise InvalidInputError(f"year {self.year!r} is not a plausible calendar year")
        # plain Python numbers from here on (numpy scalars are accepted, and recorded as JSON)
        object.__setattr__(self, "merge_gap_seconds", float(gap) if not isinstance(gap, int) else gap)
        if self.year is not None:
            object.__setattr__(self, "year", int(self.year))

    @classmethod
    def of(cls, settings: AuditSettings | None = None, /, **options: Any) -> AuditSettings:
        """``settings`` (default: all defaults) with ``options`` replacing fields by name.

        Why: ``audit(log, kind="living")`` and ``audit(log, AuditSettings(kind="living"))`` are the
        same call; the option names are this class's fields, written once.
        """
        import dataclasses

        if settings is not None and not isinstance(settings, AuditSettings):
            raise InvalidInputError(f"settings must be an AuditSettings, not {type(settings).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise InvalidInputError(f"unknown audit option(s) {unknown}; the options are {sorted(names)}")
        base = settings if settings is not None else cls()
        return dataclasses.replace(base, **options) if options else base

    def record(self) -> dict[str, Any]:
        """JSON-ready fields (a custom preset by its name), as written into summaries and reports."""
        import dataclasses

        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["preset"] = get_preset(self.preset).name
        for name in ("columns", "defaults"):
            if out[name] is not None:
                out[name] = {
                    str(k): v if isinstance(v, (str, int, float, bool)) else str(v)
                    for k, v in out[name].items()
                }
        return out
