"""Column mappings from real platform exports to fairpay's canonical submission-log columns.

Why: every platform names the same facts differently (``WorkerId`` vs ``Participant id``) and
writes them differently (MTurk: ``"$0.40 "`` rewards, ``Wed Jan 16 13:42:47 PST 2019`` times).
A preset is pure description - which source column feeds which canonical column, how statuses
map, how times and rewards are written - and the audit engine applies it in SQL, so the same
preset works on a CSV, a Parquet file, a pandas DataFrame or a Dask partition. Nothing is
guessed: a status the preset does not know, or a time zone name other than the listed ones, is a
bad row reported with its row number.

Canonical columns (units): ``worker``, ``project``, ``task`` (assignment/submission id),
``started`` and ``submitted`` (instants; naive times are UTC), ``reward`` (pay currency units per
task, e.g. 0.40 = 40 cents), ``currency`` (ISO 4217), ``status`` (approved / rejected / returned /
pending), ``country`` (+ optional ``subdivision``), optional ``bonus`` (already paid, pay currency).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fairpay.errors import InvalidInputError

#: Default cap on one task's interval (accept -> submit), hours: a longer interval is refused (or
#: set aside on request) because it is far more likely a missing value or a forgotten tab than
#: work. Override with ``audit(max_task_hours=...)`` for genuinely long tasks.
MAX_TASK_HOURS = 24.0

#: Every canonical column, in report order.
CANONICAL: tuple[str, ...] = (
    "worker",
    "project",
    "task",
    "started",
    "submitted",
    "reward",
    "currency",
    "status",
    "country",
    "subdivision",
    "bonus",
)
#: Columns that must come from the log, a preset default or an argument.
REQUIRED: tuple[str, ...] = (
    "worker",
    "project",
    "started",
    "submitted",
    "reward",
    "currency",
    "status",
    "country",
)
#: Canonical statuses: approved work is paid; the others are worked but unpaid time.
#: ``pending`` (submitted, not yet reviewed) is counted as paid or unpaid by ``audit(pending=...)``.
STATUSES: tuple[str, ...] = ("approved", "rejected", "returned", "pending")


@dataclass(frozen=True)
class Preset:
    """How one export format maps onto the canonical columns.

    ``columns``: canonical name -> source column, or a tuple of the names it has had over the
    platform's versions (exactly one may be present). ``defaults``: canonical name -> constant used
    when the export has no such column (MTurk pays in USD). ``statuses``: lower-cased source
    status -> canonical status. ``time_format``: a strptime format (after replacing the
    ``time_zones`` names by UTC offsets), or None for ISO 8601 / native timestamps (naive ISO times
    are read as UTC). ``reward_prefix``: a currency symbol stripped from text rewards ("$0.40 " ->
    0.40). ``key``: the canonical columns that identify one assignment (a repeated key is a
    duplicate); ``fallback_key`` when the export lacks the first. ``missing``: text written for a
    blank. ``not_countries``: country-column values that say the country was withheld (those rows
    are set aside: they cannot be placed). ``no_completion_statuses``: source statuses whose rows
    may lack a completion time (set aside: their time is not worked time). ``unpaid_note``: source
    status -> why it is counted as unpaid time (a warning). ``earliest``: the platform's launch
    date (ISO): an earlier time is not a real task time.
    """

    name: str
    columns: Mapping[str, str | tuple[str, ...]]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    statuses: Mapping[str, str] = field(default_factory=lambda: {s: s for s in STATUSES})
    time_format: str | None = None
    time_zones: Mapping[str, str] = field(default_factory=dict)
    reward_prefix: str | None = None
    country_hint: str = ""
    key: tuple[str, ...] = ("worker", "task")
    fallback_key: tuple[str, ...] = ("worker", "project", "started", "submitted")
    missing: tuple[str, ...] = ()
    not_countries: tuple[str, ...] = ()
    no_completion_statuses: tuple[str, ...] = ()
    unpaid_note: Mapping[str, str] = field(default_factory=dict)
    earliest: str = "2000-01-01"
    missing_hint: str = ""


GENERIC = Preset(
    name="generic",
    columns={c: c for c in CANONICAL},
    statuses={
        "approved": "approved",
        "rejected": "rejected",
        "returned": "returned",
        "pending": "pending",
        "submitted": "pending",
    },
)

MTURK = Preset(
    name="mturk",
    columns={
        "worker": "WorkerId",
        "project": "HITTypeId",
        "task": "AssignmentId",
        "started": "AcceptTime",
        "submitted": "SubmitTime",
        "reward": "Reward",
        "status": "AssignmentStatus",
    },
    defaults={"currency": "USD"},
    # MTurk's AssignmentStatus: Submitted = awaiting review (auto-approved after the HIT's
    # AutoApprovalDelay unless rejected), Approved, Rejected.
    statuses={"approved": "approved", "rejected": "rejected", "submitted": "pending"},
    time_format="%a %b %d %H:%M:%S %z %Y",
    # Batch results are written in US Pacific time with the zone abbreviation.
    time_zones={"PST": "-0800", "PDT": "-0700"},
    reward_prefix="$",
    # An AssignmentId is unique across MTurk; the Requester UI launched in November 2005.
    key=("task",),
    earliest="2005-11-02",
    country_hint=(
        "MTurk batch results have no country column: pass country='US' (everyone) "
        "or a worker -> country mapping"
    ),
)

PROLIFIC = Preset(
    name="prolific",
    # New-style headers (2023-), old-style (to ~2021), and the renamed id columns seen in real
    # exports (PROLIFIC_PID; a re-saved file with one ``id`` column).
    columns={
        "worker": ("Participant id", "participant_id", "PROLIFIC_PID", "id"),
        "task": ("Submission id", "session_id"),
        "started": ("Started at", "started_datetime"),
        "submitted": ("Completed at", "completed_date_time"),
        "status": ("Status", "status"),
        "country": ("Country of residence", "Current Country of Residence"),
        "reward": ("Reward",),
    },
    # Prolific's submissions export carries neither the study id nor the reward: pass them as
    # defaults={"project": "<study id>", "reward": 2.50, "currency": "GBP"}.
    # Pay rules (Prolific help centre, "Approvals, rejections & returns", "Screen-outs"): approved
    # work is paid the reward; awaiting review is paid on (auto-)approval; returned and timed-out
    # submissions are not paid; rejected ones are not paid; a screened-out participant is paid the
    # study's fixed screen-out payment, which the export does not record.
    statuses={
        "approved": "approved",
        "rejected": "rejected",
        "returned": "returned",
        "timed-out": "returned",
        "awaiting review": "pending",
        "screened out": "rejected",
    },
    unpaid_note={
        "screened out": "Prolific pays a screened-out participant the study's fixed screen-out payment, "
        "which the export does not record: their time is counted and the payment as 0 (in the worker's "
        "favour); give it in a bonus column to count it",
    },
    country_hint="pass country= or a worker -> country mapping",
    # One submission per participant per study; a submission id is unique across Prolific.
    key=("task",),
    fallback_key=("worker", "project"),
    missing=("NA",),
    not_countries=("CONSENT REVOKED", "CONSENT_REVOKED", "DATA EXPIRED"),
    no_completion_statuses=("returned", "timed-out"),
    # Prolific Academic opened to researchers in 2014.
    earliest="2014-01-01",
    missing_hint=(
        "Prolific's export has no study id or reward: give them, e.g. defaults={'project': 'STUDY_ID', "
        "'reward': 2.50, 'currency': 'GBP'} (CLI: --defaults project=STUDY_ID,reward=2.50,currency=GBP)"
    ),
)

PRESETS: dict[str, Preset] = {p.name: p for p in (GENERIC, MTURK, PROLIFIC)}


def get_preset(name: str | Preset) -> Preset:
    """The preset called ``name`` (generic, mturk, prolific), or the Preset given."""
    if isinstance(name, Preset):
        return name
    try:
        return PRESETS[str(name).lower()]
    except KeyError:
        raise InvalidInputError(f"preset {name!r} is not one of {', '.join(PRESETS)}") from None


def resolve_columns(
    preset: Preset,
    available: list[str],
    columns: Mapping[str, str] | None,
    defaults: Mapping[str, Any] | None,
    *,
    country_given: bool,
) -> tuple[dict[str, str], dict[str, Any]]:
    """Decide where each canonical column comes from: a source column or a constant.

    ``columns`` (canonical -> source) overrides the preset's mapping; ``defaults`` adds constants.
    Returns (canonical -> source column, canonical -> constant). Raises naming every missing
    column at once, and refuses a constant for a column the log already has (ambiguous).
    """
    unknown = sorted(set(columns or {}) - set(CANONICAL)) + sorted(set(defaults or {}) - set(CANONICAL))
    if unknown:
        raise InvalidInputError(
            f"unknown canonical column(s) {unknown}: expected some of {', '.join(CANONICAL)}"
        )
    mapping = {**preset.columns, **(columns or {})}
    consts = {**preset.defaults, **(defaults or {})}
    source: dict[str, str] = {}
    constant: dict[str, Any] = {}
    missing: list[str] = []
    for canon in CANONICAL:
        col = _pick(canon, mapping.get(canon), available, user=canon in (columns or {}))
        has_col = col is not None and col in available
        if canon in (defaults or {}) and has_col:
            raise InvalidInputError(
                f"column {canon!r} is both in the log (as {col!r}) and given as a default; drop one"
            )
        if canon == "country" and country_given:
            if has_col:
                raise InvalidInputError(
                    f"the log has a country column {col!r} and country= was also given; drop one"
                )
            continue
        if has_col:
            source[canon] = col  # type: ignore[assignment]
        elif canon in consts:
            constant[canon] = consts[canon]
        elif canon in REQUIRED:
            names = mapping.get(canon)
            where = (
                f"a column {' or '.join(repr(n) for n in names)}"
                if isinstance(names, tuple)
                else f"column {names!r}"
                if names
                else f"a column for {canon!r}"
            )
            hint = f" ({preset.country_hint})" if canon == "country" and preset.country_hint else ""
            missing.append(f"{where} ({canon}){hint}")
    if missing:
        hint = (
            f". {preset.missing_hint}"
            if preset.missing_hint
            and any(m.endswith(("(reward)", "(project)", "(currency)")) for m in missing)
            else ""
        )
        raise InvalidInputError(
            f"{preset.name} log is missing {'; '.join(missing)}{hint}; the log has columns {available}"
            " (map them with columns={'worker': 'MyWorkerColumn', ...} or give defaults={...})"
        )
    return source, constant


def _pick(canon: str, names: str | tuple[str, ...] | None, available: list[str], *, user: bool) -> str | None:
    """The one source column for ``canon`` among the names a platform has used (None: absent)."""
    if names is None or isinstance(names, str):
        return names
    present = [n for n in names if n in available]
    if len(present) > 1:
        raise InvalidInputError(
            f"the log has {len(present)} columns that could be the {canon} ({present}); "
            f"name one with columns={{'{canon}': ...}}"
        )
    return present[0] if present else None


def duplicate_key(preset: Preset, present: set[str]) -> tuple[str, ...]:
    """The canonical columns that identify one assignment in this log (see :class:`Preset`)."""
    return preset.key if set(preset.key) <= present else preset.fallback_key
