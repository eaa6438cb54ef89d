"""What makes a log unfit to pay from, found before any money is computed: the validation scan at
(place, currency) grain, bad rows as failure records, unknown places and currencies, repeated
assignment keys (exact copies dropped, conflicting ones refused), rows set aside, pending work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fairpay.auditing.presets import CANONICAL, STATUSES, Preset
from fairpay.auditing.reading import (
    SPELLINGS,
    Plausible,
    _literal,
    _types,
    set_aside_codes,
    spelling_rules,
)
from fairpay.auditing.settings import AuditSettings
from fairpay.errors import (
    Failure,
    InvalidDataError,
    UnknownCountryError,
    UnknownCurrencyError,
)

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd


#: How many bad rows are listed one by one before the rest are counted.
MAX_LISTED_FAILURES = 1_000
#: More distinct (raw country, subdivision, currency) combinations than this and the place or
#: currency column is not what it claims (there are ~5,300 ISO subdivisions); the log is refused
#: without normalising them all, so a garbage column fails fast.
MAX_GROUPS = 20_000


def _status_notes(con: duckdb.DuckDBPyConnection, preset: Preset) -> list[str]:
    """A warning per source status the preset counts as unpaid for a stated reason (with the count)."""
    if not preset.unpaid_note:
        return []
    names = ", ".join(_literal(k.lower()) for k in preset.unpaid_note)
    counts = con.execute(
        f"SELECT lower(trim(status_raw)), count(*) FROM typed WHERE lower(trim(status_raw)) IN ({names}) GROUP BY 1"
    ).fetchall()
    return [f"{n} {status.upper()} row(s): {preset.unpaid_note[status]}" for status, n in sorted(counts)]


def long_interval_warning(scan: Scan) -> list[str]:
    """How much of the summed task time the intervals over an hour make (when there are any)."""
    if not scan.long_intervals or not scan.interval_us:
        return []
    share = 100 * scan.long_interval_us / scan.interval_us
    return [
        f"{scan.long_intervals} task interval(s) longer than 1 h make {share:.1f}% of the summed task time "
        f"(longest {scan.longest_us / 3.6e9:.1f} h); check them before paying on them"
    ]


def set_aside_rows(
    con: duckdb.DuckDBPyConnection, typed: str, preset: Preset, label: str, rule: Plausible
) -> tuple[list[str], pd.DataFrame]:
    """(warnings, frame) for the rows :func:`_typed_view` set aside: one warning per reason with
    the count and the first rows; the frame lists every row (row, column, value, reason, message)."""
    from fairpay.errors import failure_frame

    codes = set_aside_codes(preset, rule)
    if not codes:
        return [], failure_frame([])
    frame = con.execute(
        f"SELECT * FROM {typed}_all WHERE issue IN ({', '.join(map(_literal, codes))}) ORDER BY __row"
    ).df()
    frame = frame.astype(object).where(frame.notna(), None).rename(columns={"__row": "row"})
    records = [_issue_record(r, label, rule) for r in frame.itertuples(index=False)]
    warnings = []
    for code in codes:
        these = [r for r in records if r.reason == code]
        if these:
            rows = ", ".join(str(r.row) for r in these[:10])
            more = f" and {len(these) - 10} more" if len(these) > 10 else ""
            warnings.append(
                f"{len(these)} row(s) set aside ({code}): {these[0].message} ({label}s {rows}{more})"
            )
    return warnings, failure_frame(records)


#: Stream columns of the canonical key columns (the ids of worker and project: no text per row).
_STREAM_KEY_COLUMNS = {
    "worker": "k.wid",
    "project": "j.pid",
    "task": "t.task",
    "started": "t.s_us",
    "submitted": "t.e_us",
}


#: Typed columns of the canonical key columns.
_KEY_COLUMNS = {
    "worker": "worker",
    "project": "project",
    "task": "task",
    "started": "s_us",
    "submitted": "e_us",
}


#: What two rows must share to be the same row (exact duplicates).
_CONTENT = "worker, project, task, s_us, e_us, reward, currency, status, country_raw, subdivision_raw, bonus"


def _duplicate_key_columns(
    con: duckdb.DuckDBPyConnection, preset: Preset
) -> tuple[tuple[str, ...], list[str]]:
    """(the preset's assignment key for this log's columns, its typed column names)."""
    from fairpay.auditing.presets import duplicate_key

    key = duplicate_key(preset, {c for c in _types(con, "raw") if c in CANONICAL})
    return key, [_KEY_COLUMNS[c] for c in key]


#: Key columns the stream carries as integer codes anyway: mixed into the key hash in numpy
#: (:func:`mix_key`) instead of hashed again per row in SQL (~0.3 CPU-s per 10M rows).
_CODED_KEY = {"worker": "wid", "project": "pid"}


@dataclass(frozen=True)
class KeyHash:
    """How the stream hashes each row's assignment key: ``sql``, a ``STREAM_SQL`` column ``kh``
    over the key's other columns, and ``mix``, the stream's code columns mixed into it.

    ``by_worker``: the key includes the worker, so two rows sharing a key are in one bucket and
    each bucket probes its own hashes in the kernel threads (no log-long sort)."""

    sql: str
    mix: tuple[str, ...]
    by_worker: bool = False


def key_hash(con: duckdb.DuckDBPyConnection, preset: Preset) -> KeyHash:
    """The :class:`KeyHash` of the preset's assignment key for this log.

    Why: the audit probes for repeated keys in the row stream it reads anyway (a sort of the
    hashes) instead of a separate ``count(DISTINCT ...)`` pass over the log; equal keys hash
    equal, so a probe that finds no equal hashes proves no key repeats, and only a found repeat
    (or a hash collision) costs the exact :func:`duplicates` query and a second pass.
    """
    key, _cols = _duplicate_key_columns(con, preset)
    cols = [_STREAM_KEY_COLUMNS[c] for c in key if c not in _CODED_KEY]
    mix = tuple(_CODED_KEY[c] for c in key if c in _CODED_KEY)  # never NULL: the stream joins them
    by_worker = "worker" in key
    if not cols:
        return KeyHash(", CAST(0 AS UBIGINT) AS kh", mix, by_worker)
    notnull = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    # a row without a full key is never a repeat: it gets a hash of its own row number instead
    return KeyHash(
        f", CASE WHEN {notnull} THEN hash({', '.join(cols)}) ELSE hash(t.__row, 'no key') END AS kh",
        mix,
        by_worker,
    )


def mix_key(kh: Any, cols: dict[str, Any], mix: tuple[str, ...]) -> Any:
    """``kh`` (uint64) with the codes ``mix`` of ``cols`` mixed in: rows with equal codes and equal
    ``kh`` stay equal; the codes (non-negative int32) are packed side by side and multiplied by an
    odd constant, which is one-to-one, so rows differing only in a code differ."""
    import numpy as np

    if not mix:
        return kh
    m = cols[mix[0]].astype(np.uint64)
    for c in mix[1:]:
        m <<= np.uint64(32)
        m |= cols[c].astype(np.uint64)
    m *= np.uint64(0x9E3779B97F4A7C15)
    m ^= kh
    return m


class RepeatedKey(Exception):
    """The stream's key probe found two equal key hashes: run :func:`duplicates` and start again."""


def duplicates(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    preset: Preset,
    source: str,
    label: str,
    *,
    failures_out: list[Failure] | None = None,
) -> list[str]:
    """Find rows that repeat an assignment key (see :func:`~fairpay.auditing.presets.duplicate_key`).

    Exact repeats (two overlapping downloads concatenated) are dropped from ``typed`` with a warning
    giving the count and the rows; rows sharing a key but differing in any value are an error
    listing both rows and the values that differ. One aggregation; rows are fetched only when
    something repeats. ``failures_out`` (engines that cannot drop rows, e.g. Dask partitions): every
    repeat, exact or not, is appended there as a failure instead of raised or dropped.
    """
    import pyarrow as pa

    key, cols = _duplicate_key_columns(con, preset)
    keys = ", ".join(cols)
    notnull = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    # cheap test first: equal keys hash equal, so no repeated hash means no repeated key (a hash
    # collision only costs the exact query below, which then finds nothing)
    ((n,),) = con.execute(
        f"SELECT count(*) - count(DISTINCT hash({keys})) FROM {typed} WHERE {notnull}"
    ).fetchall()  # all: a result left open blocks the next query on the connection
    if not n:
        return []
    groups = con.execute(f"""
        SELECT list(__row ORDER BY __row) AS rows, count(DISTINCT row({_CONTENT})) AS variants
        FROM {typed} WHERE {notnull} GROUP BY {keys} HAVING count(*) > 1 ORDER BY min(__row)""").fetchall()
    if not groups:
        return []
    what = " + ".join(key)
    conflicts = [rows for rows, variants in groups if variants > 1]
    if conflicts:
        shown = conflicts[:MAX_LISTED_FAILURES]
        wanted = sorted({r for rows in shown[:100] for r in rows})
        frame = con.execute(
            f"SELECT __row, {_CONTENT}, started_raw, submitted_raw FROM {typed} WHERE __row IN "
            f"(SELECT unnest(?)) ORDER BY __row",
            [wanted],
        ).df()
        by_row = {int(r["__row"]): r for _, r in frame.iterrows()}
        failures = []
        for rows in shown:
            first = by_row.get(rows[0])
            for other in rows[1:]:
                diff = ""
                if first is not None and other in by_row:
                    o = by_row[other]
                    differ = [c for c in _CONTENT.split(", ") if not _same(first[c], o[c])]
                    diff = "; differs in " + ", ".join(
                        f"{_CANONICAL_NAME.get(c, c)} ({_shown(first, c)} vs {_shown(o, c)})" for c in differ
                    )
                failures.append(
                    Failure(
                        int(other),
                        key[-1],
                        None,
                        "duplicate_conflict",
                        f"repeats the {what} of {label} {rows[0]} with different values{diff}: "
                        "keep one of the two rows (which one is paid cannot be guessed)",
                        label,
                    )
                )
        if failures_out is None:
            raise_failures(source, failures, sum(len(r) - 1 for r in conflicts))
        else:
            failures_out.extend(failures)
    drop = [r for rows, _v in groups for r in rows[1:]]
    if failures_out is not None:
        exact = [rows for rows, variants in groups if variants == 1]
        failures_out.extend(
            Failure(
                int(other),
                key[-1],
                None,
                "duplicate_exact",
                f"repeats {label} {rows[0]} exactly (same {what}); drop the copy, or use audit(), "
                "which drops exact copies with a warning",
                label,
            )
            for rows in exact[:MAX_LISTED_FAILURES]
            for other in rows[1:]
        )
        return []
    con.register("__dup_drop", pa.table({"__row": pa.array(drop, pa.int64())}))
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {typed} AS SELECT t.* FROM {typed}_kept t "
        "ANTI JOIN __dup_drop d ON t.__row = d.__row"
    )
    pairs = ", ".join(f"{rows[1]} = {rows[0]}" for rows, _v in groups[:10])
    more = f" and {len(drop) - 10} more" if len(drop) > 10 else ""
    return [
        f"{len(drop)} exact duplicate row(s) dropped (same {what} and every value, e.g. two overlapping "
        f"downloads concatenated; {label}s {pairs}{more})"
    ]


_CANONICAL_NAME = {
    "s_us": "started",
    "e_us": "submitted",
    "country_raw": "country",
    "subdivision_raw": "subdivision",
}


def _same(a: Any, b: Any) -> bool:
    import pandas as pd

    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    return bool(a == b)


def _shown(row: Any, col: str) -> str:
    if col in ("s_us", "e_us"):
        return repr(row["started_raw" if col == "s_us" else "submitted_raw"])
    value = row[col]
    import pandas as pd

    return "blank" if pd.isna(value) else repr(value)


#: The largest amount one row may carry (reward or bonus, pay currency): beyond it an amount is a
#: unit or parsing error (and micro-units would overflow 64-bit sums).
MAX_AMOUNT = 1e9
#: A bad row by its own values (what the scan tests row by row; ``{project}``: the test of a blank
#: project id). The place, currency and status tests are made once per spelling (see
#: :data:`SCAN_SQL`), the blank project on the project's spellings (:func:`project_codes`) and the
#: blank worker once per spelling on the worker dictionary (:func:`dictionaries`): trimming every
#: row's worker id cost a pass's worth of time (~0.6 s at 10M rows, 200k workers).
_BAD_ROW = """({project} OR s_us IS NULL OR e_us IS NULL OR e_us < s_us
  OR reward IS NULL OR NOT isfinite(reward) OR reward < 0 OR reward > 1e9
  OR abs(reward * 1e6 - round(reward * 1e6)) > 1e-3 OR issue IS NOT NULL
  OR bonus IS NULL OR NOT isfinite(bonus) OR bonus < 0 OR bonus > 1e9
  OR abs(bonus * 1e6 - round(bonus * 1e6)) > 1e-3)"""
#: A bad row, but for a blank worker, on the typed columns.
_BAD_VALUES = f"({_BAD_ROW.format(project='project IS NULL')} OR currency IS NULL OR status IS NULL OR country_raw IS NULL)"


#: A bad row (listed when a log has some).
_BAD = f"(worker IS NULL OR {_BAD_VALUES})"
#: Intervals longer than this are summed separately, so the summary can say how much of the
#: worked time they make (a handful of forgotten tabs can dominate a worker's hours).
LONG_INTERVAL_US = 3_600_000_000


@dataclass
class Scan:
    """What one pass over the log found: distinct places and currencies, bad-row count, years,
    and how much interval time the long (over 1 h) intervals hold."""

    groups: list[tuple[str | None, str | None, str | None, int]]  # country, subdivision, currency, rows
    bad_rows: int
    rows: int
    last_submitted_us: int | None
    pending_rows: int
    interval_us: int = 0
    long_intervals: int = 0
    long_interval_us: int = 0
    longest_us: int = 0
    too_many_groups: bool = False
    first_accepted_us: int | None = None
    #: (country, subdivision, currency, status) as written -> (typed country, subdivision,
    #: currency, status): the stream's code table (see :func:`~fairpay.auditing.assemble.plan`)
    spellings: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict)

    def approved(self) -> str:
        """The SQL test of an approved row of the typed view, on its status as written (the
        spellings whose status is approved): no per-row status mapping."""
        found = sorted({k[-1] for k, v in self.spellings.items() if v[-1] == "approved"})
        return f"status_raw IN ({', '.join(map(_literal, found))})" if found else "false"

    def period(self) -> tuple[str, str] | None:
        """The audited period: (first accept, last submit) as ISO 8601 UTC timestamps, or None."""
        if self.first_accepted_us is None or self.last_submitted_us is None:
            return None
        import datetime as dt

        def iso(us: int) -> str:
            return dt.datetime.fromtimestamp(us / 1e6, tz=dt.UTC).isoformat().replace("+00:00", "Z")

        return iso(self.first_accepted_us), iso(self.last_submitted_us)


#: The validation scan, one group per spelling of (place, currency, status) as written in the log:
#: rows, bad rows, last submission, pending rows, interval time (all; of intervals over 1 h; the
#: longest) and the first start, then the spelling's typed place, currency and status (the
#: :func:`~fairpay.auditing.reading.spelling_rules`, applied once per spelling: a spelling whose
#: place, currency or status is blank or unknown makes all its rows bad). Small: it names the
#: places and currencies (hence the bars and rates), and its spellings are the stream's code table.
SCAN_SQL = """
SELECT {country} AS country_raw, {subdivision} AS subdivision_raw, {currency} AS currency, n,
  CASE WHEN {country} IS NULL OR {currency} IS NULL OR {status} IS NULL THEN n ELSE bad END AS bad,
  last_e, CASE WHEN {status} = 'pending' THEN n ELSE 0 END AS pending, span, n_long, span_long, longest,
  first_s, country_value, subdivision_value, currency_value, status_raw, {status} AS status
FROM (
  SELECT country_value, subdivision_value, currency_value, status_raw, count(*) AS n,
    count(*) FILTER (WHERE {bad}) AS bad, max(e_us) AS last_e,
    sum(e_us - s_us) FILTER (WHERE NOT {bad}) AS span,
    count(*) FILTER (WHERE NOT {bad} AND e_us - s_us > {long}) AS n_long,
    sum(e_us - s_us) FILTER (WHERE NOT {bad} AND e_us - s_us > {long}) AS span_long,
    max(e_us - s_us) FILTER (WHERE NOT {bad}) AS longest, min(s_us) FILTER (WHERE NOT {bad}) AS first_s
  FROM {typed} GROUP BY ALL)
"""

#: Positions in a :data:`SCAN_SQL` row: the bad rows, and the first spelling column.
SCAN_BAD, SCAN_SPELLING = 4, 12


def scan_sql(
    con: duckdb.DuckDBPyConnection, typed: str, preset: Preset, blank_project: str = "project IS NULL"
) -> str:
    """The validation scan at (place, currency, status) spelling grain (see ``SCAN_SQL``);
    ``blank_project``: the test of a blank project id (``ProjectCodes.blank``)."""
    rules = spelling_rules(preset, "subdivision" in _types(con, "raw"))
    typed_of = {name: rules[name](f"trim({SPELLINGS[name]})") for name in SPELLINGS}
    return SCAN_SQL.format(
        bad=_BAD_ROW.format(project=blank_project),
        typed=typed,
        long=LONG_INTERVAL_US,
        country=typed_of["country_raw"],
        subdivision=typed_of["subdivision_raw"],
        currency=typed_of["currency"],
        status=typed_of["status"],
    )


def _scan(
    con: duckdb.DuckDBPyConnection, typed: str, preset: Preset, blank_project: str = "project IS NULL"
) -> Scan:
    """One pass over the log (``SCAN_SQL``), summed up; at most ``MAX_GROUPS`` groups are kept
    (``Scan.too_many_groups`` then says so, and the totals are lower bounds). The rows with a blank
    worker are not counted bad here: :func:`dictionaries` finds them, and the caller adds them."""
    rows = con.execute(
        f"SELECT *, sum(n) OVER (), sum(bad) OVER () FROM ({scan_sql(con, typed, preset, blank_project)}) "
        f"LIMIT {MAX_GROUPS + 1}"
    ).fetchall()
    scan = scan_from_groups([r[:-2] for r in rows[:MAX_GROUPS]])
    if len(rows) > MAX_GROUPS:
        scan.too_many_groups = True
        scan.rows, scan.bad_rows = int(rows[0][-2]), int(rows[0][-1])
    return scan


def scan_from_groups(rows: list[tuple[Any, ...]]) -> Scan:
    """The log-wide :class:`Scan` from ``SCAN_SQL`` rows (of one or several partitions)."""
    merged: dict[tuple[Any, Any, Any], list[int]] = {}
    spellings: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    last: int | None = None
    first: int | None = None
    span = n_long = span_long = longest = 0
    for row in rows:
        c, sub, ccy, n, bad, last_e, pending, times = *row[:7], row[7:SCAN_SPELLING]
        acc = merged.setdefault((c, sub, ccy), [0, 0, 0])
        acc[0] += int(n)
        acc[1] += int(bad)
        acc[2] += int(pending)
        spellings[tuple(row[SCAN_SPELLING:-1])] = (c, sub, ccy, row[-1])
        if last_e is not None:
            last = int(last_e) if last is None else max(last, int(last_e))
        span += int(times[0] or 0)
        n_long += int(times[1] or 0)
        span_long += int(times[2] or 0)
        longest = max(longest, int(times[3] or 0))
        if times[4] is not None:
            first = int(times[4]) if first is None else min(first, int(times[4]))
    return Scan(
        groups=[(*k, v[0]) for k, v in merged.items()],
        bad_rows=sum(v[1] for v in merged.values()),
        rows=sum(v[0] for v in merged.values()),
        last_submitted_us=last,
        pending_rows=sum(v[2] for v in merged.values()),
        first_accepted_us=first,
        interval_us=span,
        long_intervals=n_long,
        long_interval_us=span_long,
        longest_us=longest,
        spellings=spellings,
    )


def _issue_record(r: Any, label: str, rule: Plausible | None) -> Failure:
    """The failure record for a row's ``issue`` code (see :func:`_typed_view`)."""
    code = r.issue
    if code == "no_completion":
        return Failure(
            r.row,
            "submitted",
            None,
            code,
            f"no completion time on a {r.status_raw} submission: its time (to the export or the "
            "archive) is not worked time",
            label,
        )
    if code == "country_withheld":
        return Failure(
            r.row,
            "country",
            r.country_value,
            code,
            "the platform withheld the worker's country: the row cannot be placed",
            label,
        )
    if code == "date_only":
        col, value = ("started", r.started_raw) if r.s_date else ("submitted", r.submitted_raw)
        return Failure(
            r.row, col, value, code, "a date without a time of day (it would be read as midnight)", label
        )
    if code == "before_platform":
        col, value = (
            ("started", r.started_raw)
            if rule and r.s_us < rule.earliest_us
            else ("submitted", r.submitted_raw)
        )
        when = f" ({rule.earliest})" if rule else ""
        return Failure(
            r.row, col, value, code, f"before the platform existed{when}: not a real task time", label
        )
    if code == "after_now":
        col, value = (
            ("started", r.started_raw) if rule and r.s_us > rule.latest_us else ("submitted", r.submitted_raw)
        )
        return Failure(r.row, col, value, code, "in the future: not a real task time", label)
    hours = (r.e_us - r.s_us) / 3.6e9
    cap = f"{rule.max_hours:g} h" if rule else "the cap"
    return Failure(
        r.row,
        "submitted",
        r.submitted_raw,
        code,
        f"the task lasted {hours:,.1f} h (from {r.started_raw}), over the {cap} cap on one task "
        "(raise max_task_hours= if such tasks are real, or set implausible rows aside)",
        label,
    )


def bad_row_records(frame: pd.DataFrame, label: str = "row", rule: Plausible | None = None) -> list[Failure]:
    """One :class:`Failure` per failing (row, column) of rows from the typed view (already filtered)."""
    out: list[Failure] = []
    for r in frame.rename(columns={"__row": "row"}).itertuples(index=False):

        def add(col: str, value: Any, code: str, why: str) -> None:
            out.append(Failure(r.row, col, value, code, why, label))  # noqa: B023 (called at once)

        if r.worker is None:
            add("worker", r.worker_raw, "required", "a worker id is required")
        if r.project is None:
            add("project", None, "required", "a project id is required")
        if r.s_us is None:
            if r.started_raw is not None:
                add("started", r.started_raw, "not_a_timestamp", "not a timestamp")
            else:
                add("started", None, "required", "a start time is required")
        if r.e_us is None and r.issue != "no_completion":
            if r.submitted_raw is not None:
                add("submitted", r.submitted_raw, "not_a_timestamp", "not a timestamp")
            else:
                add("submitted", None, "required", "a submission time is required")
        if r.s_us is not None and r.e_us is not None and r.e_us < r.s_us:
            add("submitted", r.submitted_raw, "before_start", f"earlier than started ({r.started_raw})")
        _money_check(add, "reward", r.reward, r.reward_raw)
        if r.currency is None:
            add("currency", None, "required", "a currency code is required")
        if r.status is None:
            add(
                "status",
                r.status_raw,
                "unknown_status" if r.status_raw is not None else "required",
                f"not a known status (expected {', '.join(STATUSES)} or the preset's names)",
            )
        if r.country_raw is None and r.issue != "country_withheld":
            add(
                "country",
                None,
                "required",
                "a country is required (a column, country= or a worker -> country mapping)",
            )
        _money_check(add, "bonus", r.bonus, r.bonus_raw)
        if r.issue is not None:
            out.append(_issue_record(r, label, rule))
    return out


def bad_row_messages(frame: pd.DataFrame, label: str = "row") -> list[str]:
    """The one-line messages of :func:`bad_row_records`."""
    return [str(f) for f in bad_row_records(frame, label)]


def _money_check(add: Any, col: str, value: Any, raw: Any) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if raw is not None:
            add(col, raw, "not_a_number", "not a number")
        else:
            add(col, raw, "required", "an amount is required")
    elif not math.isfinite(value):
        add(col, raw, "not_finite", "not a finite number")
    elif value < 0:
        add(col, raw, "negative", "negative")
    elif value > MAX_AMOUNT:
        add(col, raw, "too_large", f"over {MAX_AMOUNT:,.0f} for one task: not a plausible amount")
    elif abs(value * 1e6 - round(value * 1e6)) > 1e-3:
        add(col, raw, "too_precise", "more than 6 decimal places")


def count_bad_rows(con: duckdb.DuckDBPyConnection, typed: str) -> int:
    """Every bad row of ``typed``, each once (one pass; for logs with a blank worker id, whose rows
    the scan and the worker dictionary each count, and a row may be bad both ways)."""
    return int(con.execute(f"SELECT count(*) FROM {typed} WHERE {_BAD}").fetchall()[0][0])


def _bad_rows(
    con: duckdb.DuckDBPyConnection, typed: str, label: str = "row", rule: Plausible | None = None
) -> list[Failure]:
    """The first ``MAX_LISTED_FAILURES`` bad rows as failure records (one query, in row order)."""
    frame = con.execute(f"SELECT * FROM {typed} WHERE {_BAD} ORDER BY __row LIMIT {MAX_LISTED_FAILURES}").df()
    frame = frame.astype(object).where(frame.notna(), None)
    return bad_row_records(frame, label, rule)


#: Distinct unknown places or currencies that get "did you mean" suggestions (each costs a fuzzy
#: search); the rest are reported as unknown without them, so a garbage column fails fast.
MAX_SUGGESTED = 20
#: When checking a log, stop after this many distinct unknown places or currencies: the log fails
#: anyway, and a garbage column (300,000 distinct values) must fail as fast as a valid log succeeds.
MAX_UNKNOWN_VALUES = 1_000


def normalize_groups(
    scan: Scan, limit: int | None = None
) -> tuple[dict[tuple[str, str], Any], dict[str, str], list[tuple[str, str, Any]]]:
    """Normalise each distinct raw place and currency; returns (place map, currency map, failures).

    failures: (column, raw value, why) for values that are unknown; ``limit``: stop after that many.
    """
    from fairpay.units.money import normalize_currency
    from fairpay.units.places import place

    places: dict[tuple[str, str], Any] = {}
    currencies: dict[str, str] = {}
    failures: list[tuple[str, str, Any]] = []
    for c, sub, ccy, _n in scan.groups:
        if limit is not None and len(failures) >= limit:
            break
        if c is not None and (c, sub or "") not in places:
            try:
                places[(c, sub or "")] = place(c, sub, suggest=len(failures) < MAX_SUGGESTED)
            except UnknownCountryError as exc:
                places[(c, sub or "")] = None
                failures.append(
                    (
                        "subdivision" if exc.value == (sub or "").strip() and sub else "country",
                        f"{c}" + (f" / {sub}" if sub else ""),
                        str(exc),
                    )
                )
        if ccy is not None and ccy not in currencies:
            try:
                currencies[ccy] = normalize_currency(ccy)
            except UnknownCurrencyError as exc:
                currencies[ccy] = ""
                failures.append(("currency", ccy, str(exc)))
    return places, currencies, failures


def unknown_value_records(
    con: duckdb.DuckDBPyConnection, typed: str, unknown: list[tuple[str, str, Any]], label: str
) -> list[Failure]:
    """The rows holding unknown places or currencies: one query for all of them (first rows listed)."""
    import pyarrow as pa

    if not unknown:
        return []
    places = [
        (v.partition(" / ")[0], v.partition(" / ")[2], c, why) for c, v, why in unknown if c != "currency"
    ]
    ccys = [(v, why) for c, v, why in unknown if c == "currency"]
    con.register(
        "__bad_places",
        pa.table(
            {
                "c": [p[0] for p in places],
                "s": [p[1] for p in places],
                "col": [p[2] for p in places],
                "why": [p[3] for p in places],
            },
            schema=pa.schema(
                [("c", pa.string()), ("s", pa.string()), ("col", pa.string()), ("why", pa.string())]
            ),
        ),
    )
    con.register(
        "__bad_ccys",
        pa.table(
            {"v": [c[0] for c in ccys], "why": [c[1] for c in ccys]},
            schema=pa.schema([("v", pa.string()), ("why", pa.string())]),
        ),
    )
    rows = con.execute(f"""
        SELECT * FROM (
          SELECT t.__row, b.col, t.country_raw || CASE WHEN b.s <> '' THEN ' / ' || b.s ELSE '' END, b.why
          FROM {typed} t JOIN __bad_places b ON t.country_raw = b.c AND coalesce(t.subdivision_raw, '') = b.s
          UNION ALL
          SELECT t.__row, 'currency', t.currency, b.why FROM {typed} t JOIN __bad_ccys b ON t.currency = b.v
        ) ORDER BY 1 LIMIT {MAX_LISTED_FAILURES}""").fetchall()
    reason = {
        "country": "unknown_country",
        "subdivision": "unknown_subdivision",
        "currency": "unknown_currency",
    }
    return [Failure(int(r), col, value, reason[col], why, label) for r, col, value, why in rows]


def _check(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    scan: Scan,
    source: str,
    settings: AuditSettings,
    label: str = "row",
    rule: Plausible | None = None,
) -> list[str]:
    """Raise InvalidDataError listing every bad row; return warnings."""
    failures = _bad_rows(con, typed, label, rule) if scan.bad_rows else []
    _places, _ccys, unknown = normalize_groups(scan, MAX_UNKNOWN_VALUES)
    failures += unknown_value_records(con, typed, unknown, label)
    if scan.too_many_groups:
        failures.append(
            Failure(
                None,
                "country",
                None,
                "too_many_places",
                f"over {MAX_GROUPS:,} distinct combinations of country, subdivision, currency and status "
                "(as written): "
                "check that these columns are mapped to the right source columns",
            )
        )
    raise_failures(source, failures, scan.bad_rows + len(unknown) + scan.too_many_groups)
    return pending_warning(scan, settings)


def raise_failures(source: str, failures: list[Failure], bad_rows: int) -> None:
    """Raise one InvalidDataError with every failure (listed up to MAX_LISTED_FAILURES), in row order;
    ``bad_rows``: how many rows (or distinct values) fail in all, listed or not."""
    if not failures:
        return
    failures = sorted(failures, key=lambda f: (f.row is not None, f.row if f.row is not None else -1))
    total = max(bad_rows, len(failures))
    shown = failures[:MAX_LISTED_FAILURES]
    # problems, not rows: a bad row may have several (each row has one at least, so this is a floor)
    more = [] if total <= len(shown) else [f"... more problems not listed (at least {total} in all)"]
    raise InvalidDataError(source, [*shown, *more], total=total)


def pending_warning(scan: Scan, settings: AuditSettings) -> list[str]:
    if not scan.pending_rows:
        return []
    how = "paid (auto-approval)" if settings.pending == "paid" else "unpaid"
    return [
        f"{scan.pending_rows} submitted but unreviewed row(s) counted as {how}; pass pending='"
        f"{'unpaid' if settings.pending == 'paid' else 'paid'}' to count them otherwise"
    ]


def bad_rows(con: duckdb.DuckDBPyConnection, typed: str) -> list[Failure]:
    """The failure records of the bad rows of ``typed`` (row order, up to ``MAX_LISTED_FAILURES``)."""
    return _bad_rows(con, typed)
