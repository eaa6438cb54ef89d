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
        _check_mappings(self, "columns", "defaults")
        if self.kind not in BAR_KINDS:
            raise InvalidInputError(f"kind {self.kind!r} is not one of {', '.join(BAR_KINDS)}")
        _check_texts(self, "household", "locality", "encoding")
        _check_choice("missing_living", self.missing_living, ("estimate", "minimum", "error"))
        _check_choice("estimate_bound", self.estimate_bound, ("upper", "point"))
        _check_choice("implausible", self.implausible, ("error", "set_aside"))
        object.__setattr__(self, "method", _methods(self.method))
        _check_switches(self, "inflate", "prefer_gross")
        _check_choice("pending", self.pending, ("paid", "unpaid"))
        _check_choice("fx_fallback", self.fx_fallback, ("error", "nearest_earlier"))
        gap = _merge_gap(self.merge_gap_seconds)
        year = _calendar_year(self.year)
        # plain Python numbers from here on (numpy scalars are accepted, and recorded as JSON)
        object.__setattr__(self, "merge_gap_seconds", gap)
        object.__setattr__(self, "year", year)

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


def _check_mappings(settings: AuditSettings, *names: str) -> None:
    """Each of ``names`` is None or a mapping: a list or a text here would otherwise fail while
    the log is read, in a message that does not name the setting."""
    for name in names:
        value = getattr(settings, name)
        if value is not None and not isinstance(value, Mapping):
            raise InvalidInputError(f"{name} must be a mapping of canonical name -> value, not {value!r}")


def _check_texts(settings: AuditSettings, *names: str) -> None:
    """Each of ``names`` is None or text: a place or an encoding given as a number is a mistake to
    name now, not a lookup that quietly finds nothing."""
    for name in names:
        value = getattr(settings, name)
        if value is not None and not isinstance(value, str):
            raise InvalidInputError(f"{name} must be text, not {type(value).__name__} ({value!r})")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    """``value`` is one of ``choices``; the message lists them in the order given (``'a', 'b' or
    'c'``), so a misspelt policy is refused before any row is read."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices[:-1])
        raise InvalidInputError(f"{name} {value!r} is not {listed} or {choices[-1]!r}")


def _check_switches(settings: AuditSettings, *names: str) -> None:
    """Each of ``names`` is True or False: a truthy text such as ``"no"`` must not switch a policy on."""
    for name in names:
        if not isinstance(getattr(settings, name), bool):
            raise InvalidInputError(f"{name} {getattr(settings, name)!r} is not True or False")


def _methods(method: Any) -> tuple[str, ...] | None:
    """The living-wage methods as a tuple (one method may be given as text), so the settings stay
    hashable and record the same whatever sequence was passed."""
    if isinstance(method, str):  # one method given as text
        return (method,)
    if method is not None:
        return tuple(method)
    return None


def _merge_gap(gap: float) -> float:
    """``merge_gap_seconds`` as a plain Python number (an int stays an int) after checking it is a
    real number >= 0: a bool, a text or NaN would merge tasks silently wrong."""
    if isinstance(gap, bool) or not isinstance(gap, numbers.Real) or gap < 0 or math.isnan(gap):
        raise InvalidInputError(f"merge_gap_seconds {gap!r} must be a number >= 0 (seconds)")
    return float(gap) if not isinstance(gap, int) else gap


def _calendar_year(year: int | None) -> int | None:
    """``year`` (None: the year of the last submission) as a plain int after checking it is a
    plausible calendar year: prices and exchange rates are looked up by it."""
    if year is None:
        return None
    if isinstance(year, bool) or not isinstance(year, numbers.Integral) or not 1900 < year < 2200:
        raise InvalidInputError(f"year {year!r} is not a plausible calendar year")
    return int(year)
