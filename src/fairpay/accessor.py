"""``df.fairpay``: a thin pandas accessor over the functional API.

Why: analysts live in DataFrames. The accessor turns a DataFrame into the arguments of
:func:`fairpay.check` or :func:`fairpay.auditing.engine.audit` and returns their results unchanged; it
holds no logic of its own (CONTRIBUTING: "the pandas accessor holds no logic"), so the
functional API stays primary and everything the accessor does can be done without it.

Registered on first import (pandas is imported here, so ``import fairpay`` stays light)::

    import fairpay.accessor          # or: fairpay.register_accessor()
    result = tasks_df.fairpay.check(currency="USD", name="Street scenes")
    audit = log_df.fairpay.audit(preset="prolific", country="GB")
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from fairpay.errors import InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    from fairpay.auditing.result import AuditResult
    from fairpay.prelaunch.check import CheckResult

#: Columns of a tasks x places frame (``seconds`` may be replaced by a ``times`` list column).
TASK_COLUMNS: tuple[str, ...] = ("task", "pay_per_task", "volume")
PLACE_COLUMNS: tuple[str, ...] = ("country", "subdivision", "locality", "share")
_TASK_OPTIONAL: tuple[str, ...] = ("seconds", "times", "pilot", "column", "worker_column", "unpaid_seconds")


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return value is pd.NA or value is pd.NaT


def tasks_frame_to_spec(
    df: pd.DataFrame, *, currency: str, name: str = "project", **sections: Any
) -> dict[str, Any]:
    """A project spec dict from a DataFrame with one row per task x place.

    Columns: ``task``, ``pay_per_task``, ``volume``, one of ``seconds``/``times``/``pilot`` (with
    optional ``column``, ``worker_column``, ``unpaid_seconds``), ``country`` and optionally
    ``subdivision``, ``locality``, ``share``. A task's columns must agree on every row of that
    task, and a place's share on every row of that place (shares belong to the project, not the
    task); disagreements are errors naming the rows, never resolved silently. ``sections``:
    ``policy``, ``deductions``, ``unpaid``, ``benchmark_overrides`` as in a spec file.
    """
    need = [c for c in (*TASK_COLUMNS, "country") if c not in df.columns]
    if need:
        raise InvalidInputError(
            f"tasks DataFrame: missing column(s) {', '.join(need)} "
            f"(columns: {', '.join(map(str, df.columns))})"
        )
    unknown = sorted(set(sections) - {"policy", "deductions", "unpaid", "benchmark_overrides"})
    if unknown:
        raise InvalidInputError(
            f"unknown spec section(s) {unknown}: expected policy, deductions, unpaid, benchmark_overrides"
        )
    tasks: dict[str, dict[str, Any]] = {}
    places: dict[tuple[Any, ...], dict[str, Any]] = {}
    task_cols = [c for c in (*TASK_COLUMNS[1:], *_TASK_OPTIONAL) if c in df.columns]
    for i, row in enumerate(df.to_dict("records")):
        label = f"tasks DataFrame row {df.index[i]!r}"
        tname = row["task"]
        if _missing(tname):
            raise InvalidInputError(f"{label}: empty task name")
        fields = {
            c: _plain(row[c]) for c in task_cols if not _missing(row[c]) if not isinstance(row[c], list)
        }
        fields.update({c: list(row[c]) for c in task_cols if isinstance(row[c], list)})
        prev = tasks.setdefault(str(tname), {"name": str(tname), **fields})
        if {k: v for k, v in prev.items() if k != "name"} != fields:
            raise InvalidInputError(
                f"{label}: task {tname!r} has different {', '.join(task_cols)} than on an "
                "earlier row; give each task's pay, volume and time once"
            )
        key = tuple(None if c not in df.columns or _missing(row[c]) else row[c] for c in PLACE_COLUMNS[:3])
        share = None if "share" not in df.columns or _missing(row["share"]) else float(row["share"])
        place = {k: v for k, v in zip(PLACE_COLUMNS[:3], key, strict=True) if v is not None}
        if share is not None:
            place["share"] = share
        old = places.setdefault(key, place)
        if old.get("share") != place.get("share"):
            raise InvalidInputError(
                f"{label}: place {key[1] or key[0]!r} has share {share!r} here and "
                f"{old.get('share')!r} on an earlier row; a place's share is the same for all tasks"
            )
    spec: dict[str, Any] = {
        "name": name,
        "currency": currency,
        "tasks": list(tasks.values()),
        "workforce": list(places.values()),
    }
    spec.update({k: v for k, v in sections.items() if v is not None})
    return spec


def _plain(value: Any) -> Any:
    """numpy scalars -> Python numbers (pydantic and TOML-shaped specs expect plain values)."""
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, (str, bytes)) else value


@pd.api.extensions.register_dataframe_accessor("fairpay")
class FairpayAccessor:
    """``df.fairpay.check(...)``, ``df.fairpay.audit(...)``, ``df.fairpay.to_safe_csv(...)``."""

    def __init__(self, df: pd.DataFrame) -> None:
        self._df = df

    def check(
        self,
        *,
        currency: str,
        name: str = "project",
        policy: Mapping[str, Any] | None = None,
        benchmarks: Any = None,
        base_dir: str | Path | None = None,
        **sections: Any,
    ) -> CheckResult:
        """:func:`fairpay.check` of this tasks x places frame (see :func:`tasks_frame_to_spec`)."""
        from fairpay.prelaunch.check import check
        from fairpay.prelaunch.spec import parse_project

        spec = tasks_frame_to_spec(self._df, currency=currency, name=name, **sections)
        project = parse_project(
            spec, source="tasks DataFrame", base_dir=None if base_dir is None else str(base_dir)
        )
        return check(project, policy=policy, benchmarks=benchmarks)

    def audit(self, **kwargs: Any) -> AuditResult:
        """:func:`fairpay.auditing.engine.audit` of this submission log; keyword arguments pass through."""
        from fairpay.auditing.engine import audit

        return audit(self._df, **kwargs)

    def to_safe_csv(self, path: str | Path | None = None, *, index: bool = False) -> str:
        """This frame as CSV whose cells no spreadsheet runs as formulas (:mod:`fairpay.tables.csvsafe`)."""
        from fairpay.tables.csvsafe import frame_to_safe_csv

        return frame_to_safe_csv(self._df, path, index=index)


def register_accessor() -> type[FairpayAccessor]:
    """Make ``DataFrame.fairpay`` available (importing this module already does; idempotent)."""
    return FairpayAccessor
