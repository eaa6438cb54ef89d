"""How a log becomes the typed view the audit reads: the source registered (CSV through the one
file reader, Parquet streamed, a DataFrame through Arrow), its columns named, and every row rule
written once, in SQL: text (trimmed once per row), times (UTC microseconds), amounts, statuses,
plausibility, and the rows a platform marks as not worked time, kept out of ``typed`` (they are
listed by :func:`fairpay.auditing.validation.set_aside_rows`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fairpay.auditing.presets import Preset, get_preset, resolve_columns
from fairpay.auditing.settings import AuditSettings
from fairpay.errors import (
    Failure,
    InvalidDataError,
    InvalidInputError,
)

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        raise InvalidInputError(f"default {value!r} is not a valid column value")
    if isinstance(value, (int, float, Decimal)):
        return repr(float(value)) if not isinstance(value, int) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _register_source(
    con: duckdb.DuckDBPyConnection,
    log: Any,
    preset: Preset,
    columns: Mapping[str, str] | None,
    defaults: Mapping[str, Any] | None,
    country: Any,
    encoding: str | None = None,
) -> tuple[str, str]:
    """Create view ``raw`` with canonical column names (source types) and ``__row``; returns
    (source name for messages, row label: "line" for a CSV's line numbers, else "row")."""
    source_name, relation_sql, available, label = _load(con, log, encoding)
    _raw_view(con, relation_sql, available, preset, columns, defaults, country, source_name)
    return source_name, label


def _load(
    con: duckdb.DuckDBPyConnection, log: Any, encoding: str | None = None
) -> tuple[str, str, list[str], str]:
    """Register the log; return (name for messages, SQL relation with ``__row``, columns, row label).

    ``__row`` is where a user finds the row: a CSV's line number (read by :mod:`fairpay.tables.read`,
    header = line 1), a Parquet file's or a DataFrame's 0-based row position.
    """
    from fairpay.tables.read import CSV_SUFFIXES, PARQUET_SUFFIXES, check_path, parquet_columns

    # a DataFrame by its class, so a log path does not wait for pandas (imported beside, _warm_up)
    if any(c.__name__ == "DataFrame" and c.__module__.split(".")[0] == "pandas" for c in type(log).__mro__):
        import numpy as np

        names = [str(c) for c in log.columns]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise InvalidInputError(
                f"log DataFrame has column(s) {dups} more than once; rename or drop the copies"
            )
        frame = log.reset_index(drop=True)
        if "__row" in frame.columns:
            raise InvalidInputError("the log may not have a column named '__row'")
        frame = frame.assign(__row=np.arange(len(frame), dtype="int64"))
        _check_datetime_objects(frame)
        con.register("__log", frame)
        return "log DataFrame", "__log", names, "row"
    if not isinstance(log, (str, os.PathLike)):
        raise InvalidInputError(
            f"log must be a pandas DataFrame or a path to a CSV/Parquet file, not {type(log).__name__}"
        )
    path = check_path(log, "log")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        names = parquet_columns(path, what="log")
        sql = f"(SELECT *, file_row_number AS __row FROM read_parquet({_literal(str(path))}, file_row_number=true))"
        return str(path), sql, names, "row"
    if suffix in CSV_SUFFIXES:
        from fairpay.tables.read import read_text_table

        text = read_text_table(path, what="log", encoding=encoding)
        table = text.table.rename_columns([*text.columns, "__row"])  # LINE is the last column
        con.register("__log", table)
        return str(path), "__log", text.columns, "line"
    raise InvalidInputError(f"log file {str(path)!r}: expected a .csv, .tsv or .parquet file")


def _check_datetime_objects(frame: pd.DataFrame) -> None:
    """A DataFrame column of datetime objects must be all zoned or all naive (naive = UTC)."""
    import datetime as dt

    for c in frame.columns:
        if frame[c].dtype != object:
            continue
        first = frame[c].first_valid_index()
        if first is None or not isinstance(frame[c][first], dt.datetime):
            continue
        naive = [i for i, v in enumerate(frame[c]) if isinstance(v, dt.datetime) and v.tzinfo is None]
        if naive and len(naive) < frame[c].notna().sum():
            raise InvalidDataError(
                "log DataFrame",
                [
                    Failure(
                        naive[0],
                        str(c),
                        str(frame[c].iloc[naive[0]]),
                        "mixed_time_zones",
                        "column mixes times with a zone and without one: give every time a zone, or none "
                        "(naive times are read as UTC)",
                    )
                ],
            )


def _raw_view(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    available: list[str],
    preset: Preset,
    columns: Mapping[str, str] | None,
    defaults: Mapping[str, Any] | None,
    country: Any,
    source_name: str,
) -> str:
    source, constant = resolve_columns(
        preset, available, columns, defaults, country_given=country is not None
    )
    select = ["__row"]
    for canon, col in source.items():
        select.append(f"__src.{_quote(col)} AS {canon}")
    for canon, value in constant.items():
        select.append(f"{_literal(value)} AS {canon}")
    join = ""
    if country is not None:
        if isinstance(country, str):
            select.append(f"{_literal(country)} AS country")
        else:
            import pandas as pd

            if isinstance(country, pd.DataFrame):
                missing = {"worker", "country"} - set(country.columns)
                if missing:
                    raise InvalidInputError(
                        f"country table needs columns worker, country; missing {sorted(missing)}"
                    )
                table = pd.DataFrame(
                    {
                        "worker": country["worker"].astype(str),
                        "country": country["country"].astype(str),
                        "subdivision": country["subdivision"] if "subdivision" in country else None,
                    }
                )
            elif isinstance(country, Mapping):
                table = pd.DataFrame(
                    {"worker": [str(k) for k in country], "country": [str(v) for v in country.values()]}
                )
                table["subdivision"] = None
            else:
                raise InvalidInputError(
                    "country= must be a country, a worker -> country mapping or a DataFrame"
                )
            if table["worker"].duplicated().any():
                dups = sorted(table.loc[table["worker"].duplicated(), "worker"].unique())[:10]
                raise InvalidInputError(f"country table lists workers more than once: {dups}")
            con.register("__places_by_worker", table.astype({"subdivision": "object"}))
            select = [s for s in select if not s.endswith(" AS subdivision")]
            select += ["__pw.country AS country", "__pw.subdivision AS subdivision"]
            wcol = source["worker"]
            join = (
                f" LEFT JOIN __places_by_worker __pw ON CAST(__src.{_quote(wcol)} AS VARCHAR) = __pw.worker"
            )
    select = ["__src.__row" if s == "__row" else s for s in select]
    con.execute(f"CREATE OR REPLACE TEMP VIEW raw AS SELECT {', '.join(select)} FROM {relation} __src{join}")
    return source_name


def _types(con: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
    return {r[0]: str(r[1]).upper() for r in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()}


@dataclass(frozen=True)
class Plausible:
    """What a real task time looks like (see :func:`plausible`); instants in UTC microseconds."""

    earliest_us: int
    latest_us: int
    max_us: int
    earliest: str
    max_hours: float
    #: "error": implausible rows are bad rows; "set_aside": they are left out and listed.
    implausible: str = "error"


def plausible(preset: Preset, max_task_hours: float | None = None, implausible: str = "error") -> Plausible:
    """The plausibility rule for a log of ``preset``: no time before the platform existed
    (``preset.earliest``), none after now, no interval longer than ``max_task_hours`` (default
    :data:`~fairpay.auditing.presets.MAX_TASK_HOURS`)."""
    import datetime as dt

    from fairpay.auditing.presets import MAX_TASK_HOURS

    hours = MAX_TASK_HOURS if max_task_hours is None else max_task_hours
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not (0 < hours < math.inf):
        raise InvalidInputError(f"max_task_hours {max_task_hours!r} must be a positive number of hours")
    if implausible not in ("error", "set_aside"):
        raise InvalidInputError(f"implausible {implausible!r} is not 'error' or 'set_aside'")
    earliest = dt.datetime.fromisoformat(preset.earliest).replace(tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    return Plausible(
        int(earliest.timestamp()) * 1_000_000,
        int(now.timestamp() * 1_000_000),
        int(round(hours * 3_600_000_000)),
        preset.earliest,
        float(hours),
        implausible,
    )


#: Row issue codes that a preset may set aside (with a count and the rows) instead of failing the
#: file, and the time issues that are set aside only when the user asks (``implausible="set_aside"``).
SET_ASIDE_CODES: tuple[str, ...] = ("no_completion", "country_withheld")


TIME_CODES: tuple[str, ...] = ("date_only", "before_platform", "after_now", "too_long")


#: A time with a zone designator (Z, +hh:mm, +hhmm, +hh, UTC/GMT) after its time of day.
_ZONED = r"\d:\d\d(:\d\d(\.\d*)?)?\s*([zZ]|[+-]\d\d(:?\d\d)?|UTC|GMT)$"


def _typed_view(
    con: duckdb.DuckDBPyConnection,
    preset: Preset,
    raw: str,
    typed: str,
    rule: Plausible | None = None,
    *,
    set_aside: bool = False,
    source: str = "log",
    label: str = "row",
) -> None:
    """Create view ``typed``: canonical types, microsecond instants (UTC), statuses mapped, raw kept
    for messages, and ``issue``: the row's first plausibility or platform issue code (or NULL).

    Naive times are UTC in every path (the connection's zone is set to UTC, so the machine's zone
    never matters); a text column mixing zoned and naive times is refused. ``set_aside``: rows
    whose issue is in ``SET_ASIDE_CODES`` (or a time issue under ``implausible="set_aside"``) are
    left out of ``typed`` (they stay in ``{typed}_all`` for :func:`set_aside_rows`); otherwise
    every issue is a bad row.
    """
    con.execute("SET TimeZone = 'UTC'")
    rule = rule or plausible(preset)
    types = _types(con, raw)
    trimmed: dict[str, str] = {}  # col -> inner column holding its trimmed text (trimmed once per row)

    def trim(col: str) -> str:
        return trimmed.setdefault(col, f"__t_{col}")

    def text(col: str) -> str:
        return text_rule(trim(col), preset)

    def is_text(col: str) -> bool:
        return not types[col].startswith(("TIMESTAMP", "DATE")) and types[col] != '"NULL"'

    def instant(col: str) -> str:
        t = types[col]
        if t.startswith("TIMESTAMP"):
            zoned = "TIME ZONE" in t or t.startswith("TIMESTAMPTZ")
            return f"epoch_us(CAST({col} AS {'TIMESTAMPTZ' if zoned else 'TIMESTAMP'}))"
        if t == "DATE":
            raise InvalidInputError(
                f"{source}: column {col!r} holds dates only; worked time needs times of day"
            )
        expr = text(col)
        if preset.time_format:
            for zone, offset in preset.time_zones.items():
                expr = f"replace({expr}, ' {zone} ', ' {offset} ')"
            return f"epoch_us(CAST(try_strptime({expr}, {_literal(preset.time_format)}) AS TIMESTAMPTZ))"
        return f"epoch_us(TRY_CAST({expr} AS TIMESTAMPTZ))"

    def date_only(col: str) -> str:
        return f"strpos(coalesce({text(col)}, ':'), ':') = 0" if is_text(col) else "false"

    if not preset.time_format:
        _check_zones(con, raw, [c for c in ("started", "submitted") if is_text(c)], source, label)

    def number(col: str) -> str:
        return _number_sql(col, types[col], text, preset)

    has = set(types)
    rules = spelling_rules(preset, "subdivision" in has)
    bonus = number("bonus") if "bonus" in has else "CAST(0 AS DOUBLE)"
    task = text("task") if "task" in has else "CAST(NULL AS VARCHAR)"
    issue_cases = _issue_cases(preset, rule)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {typed}_all AS SELECT *, CASE {" ".join(issue_cases)} ELSE NULL END AS issue
        FROM (SELECT
          __row,
          {text("worker")} AS worker,
          {text("project")} AS project,
          {task} AS task,
          {instant("started")} AS s_us,
          {instant("submitted")} AS e_us,
          {number("reward")} AS reward,
          {rules["currency"](trim("currency"))} AS currency,
          {rules["status"](trim("status"))} AS status,
          {rules["country_raw"](trim("country"))} AS country_raw,
          {rules["subdivision_raw"](trim("subdivision") if "subdivision" in has else "NULL")} AS subdivision_raw,
          {bonus} AS bonus,
          {date_only("started")} AS s_date,
          {date_only("submitted")} AS e_date,
          {text("started")} AS started_raw,
          {text("submitted")} AS submitted_raw,
          CAST(reward AS VARCHAR) AS reward_raw,
          CAST(status AS VARCHAR) AS status_raw,
          {"CAST(bonus AS VARCHAR)" if "bonus" in has else "NULL"} AS bonus_raw,
          CAST(worker AS VARCHAR) AS worker_raw,
          CAST(country AS VARCHAR) AS country_value,
          {"CAST(subdivision AS VARCHAR)" if "subdivision" in has else "CAST(NULL AS VARCHAR)"} AS subdivision_value,
          CAST(currency AS VARCHAR) AS currency_value,
          CAST(project AS VARCHAR) AS project_value
        FROM (SELECT *, {", ".join(f"{trim_sql(f'CAST({c} AS VARCHAR)')} AS {t}" for c, t in trimmed.items())} FROM {raw}))""")
    codes = set_aside_codes(preset, rule)
    where = (
        f"WHERE issue IS NULL OR issue NOT IN ({', '.join(map(_literal, codes))})"
        if set_aside and codes
        else ""
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {typed}_kept AS SELECT * FROM {typed}_all {where}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {typed} AS SELECT * FROM {typed}_kept")


#: DuckDB types whose values are amounts already (no text to parse).
_NUMBER_TYPES: tuple[str, ...] = (
    "DOUBLE",
    "FLOAT",
    "BIGINT",
    "INTEGER",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "UBIGINT",
    "UINTEGER",
)


def _number_sql(col: str, type_: str, text: Callable[[str], str], preset: Preset) -> str:
    """An amount column as DOUBLE: a numeric column is cast as it is; a text one goes through the
    text rule (``text`` is called only then, so only text columns get a trimmed copy) and loses
    the preset's currency symbol ("$0.40") before a TRY_CAST (unreadable: NULL, a bad row)."""
    if type_ in _NUMBER_TYPES or type_.startswith("DECIMAL"):
        return f"CAST({col} AS DOUBLE)"
    expr = text(col)
    if preset.reward_prefix:
        expr = f"trim(replace({expr}, {_literal(preset.reward_prefix)}, ''))"
    return f"TRY_CAST({expr} AS DOUBLE)"


def _issue_cases(preset: Preset, rule: Plausible) -> list[str]:
    """The ``WHEN`` arms of the typed view's ``issue``, first match wins: the platform's marks
    (no completion, country withheld) come before the time rules, so a returned submission is
    set aside as such and not reported as a bad time."""
    withheld = ", ".join(_literal(v.upper()) for v in preset.not_countries)
    no_completion = ", ".join(_literal(v.lower()) for v in preset.no_completion_statuses)
    cases = []
    if no_completion:
        cases.append(
            f"WHEN e_us IS NULL AND submitted_raw IS NULL AND lower(trim(status_raw)) IN ({no_completion}) "
            "THEN 'no_completion'"
        )
    if withheld:
        cases.append(
            f"WHEN country_raw IS NULL OR upper(country_raw) IN ({withheld}) THEN 'country_withheld'"
        )
    return [
        *cases,
        "WHEN s_us IS NULL OR e_us IS NULL THEN NULL",
        "WHEN s_date OR e_date THEN 'date_only'",
        f"WHEN s_us < {rule.earliest_us} OR e_us < {rule.earliest_us} THEN 'before_platform'",
        f"WHEN s_us > {rule.latest_us} OR e_us > {rule.latest_us} THEN 'after_now'",
        f"WHEN e_us - s_us > {rule.max_us} THEN 'too_long'",
    ]


def set_aside_codes(preset: Preset, rule: Plausible) -> list[str]:
    """The issue codes whose rows are left out of ``typed`` (and listed) rather than failing the
    log: the platform marks this preset has, and the time issues under ``implausible="set_aside"``."""
    codes = [c for c in SET_ASIDE_CODES if _may_set_aside(preset, c)]
    return codes + (list(TIME_CODES) if rule.implausible == "set_aside" else [])


#: The typed columns that have few spellings in a log (place, pay currency, status) and the
#: columns holding those spellings as written (see :func:`spelling_rules`).
SPELLINGS: dict[str, str] = {
    "country_raw": "country_value",
    "subdivision_raw": "subdivision_value",
    "currency": "currency_value",
    "status": "status_raw",
}


def spelling_rules(preset: Preset, has_subdivision: bool = True) -> dict[str, Callable[[str], str]]:
    """The row rule of each :data:`SPELLINGS` column, as SQL on its trimmed text.

    Why one place: the typed view applies them per row (for messages and the bad-row listing),
    and the scan applies them once per spelling (a log has a handful of spellings of its places,
    currencies and statuses), so the stream can join spellings to codes instead of trimming,
    upper-casing and mapping every row.
    """
    cases = " ".join(f"WHEN {_literal(k.lower())} THEN {_literal(v)}" for k, v in preset.statuses.items())
    return {
        "country_raw": lambda t: text_rule(t, preset),
        "subdivision_raw": (
            (lambda t: f"upper({text_rule(t, preset)})")
            if has_subdivision
            else (lambda t: "CAST(NULL AS VARCHAR)")
        ),
        "currency": lambda t: f"upper({text_rule(t, preset)})",
        "status": lambda t: f"CASE lower({text_rule(t, preset)}) {cases} ELSE NULL END",
    }


def trim_sql(expr: str) -> str:
    """DuckDB's ``trim(expr)`` (spaces of Unicode category Zs off both ends), with a fast path.

    Why: ``trim`` walks and copies every value, ~0.5 CPU-s per 10M short ids and ~1.4 for
    30-character ones; almost every id starts and ends with a printable ASCII character, which
    ``trim`` leaves as it is, so such values pass through untouched (``ord`` of the first code
    point; ``reverse`` puts the last one first, and a grapheme cluster that begins with an ASCII
    character never ends in a space). Anything else, including blank and NULL, goes to ``trim``.
    """
    return f"(CASE WHEN ord({expr}) BETWEEN 33 AND 127 AND ord(reverse({expr})) BETWEEN 33 AND 127 THEN {expr} ELSE trim({expr}) END)"


def text_rule(trimmed: str, preset: Preset) -> str:
    """The text rule on an already trimmed SQL expression: blank or a missing marker is NULL.

    One definition for the typed view (per row) and the worker dictionary (per spelling).
    """
    missing = ", ".join(_literal(m) for m in preset.missing)
    return (
        f"(CASE WHEN {trimmed} IN ('', {missing}) THEN NULL ELSE {trimmed} END)"
        if missing
        else f"NULLIF({trimmed}, '')"
    )


def _may_set_aside(preset: Preset, code: str) -> bool:
    return bool(preset.no_completion_statuses if code == "no_completion" else preset.not_countries)


def _check_zones(
    con: duckdb.DuckDBPyConnection, raw: str, columns: list[str], source: str, label: str
) -> None:
    """Refuse a text time column that mixes zoned and naive times (naive ones would be read as UTC,
    which is almost surely wrong for some of them)."""
    if not columns:
        return
    parts = []
    for c in columns:
        v = f"NULLIF(trim(CAST({c} AS VARCHAR)), '')"
        parts.append(
            f"min(__row) FILTER (WHERE regexp_matches({v}, {_literal(_ZONED)})), "
            f"min(__row) FILTER (WHERE {v} IS NOT NULL AND strpos({v}, ':') > 0 "
            f"AND NOT regexp_matches({v}, {_literal(_ZONED)}))"
        )
    found = con.execute(f"SELECT {', '.join(parts)} FROM {raw}").fetchall()[0]
    for i, c in enumerate(columns):
        zoned, naive = found[2 * i], found[2 * i + 1]
        if zoned is not None and naive is not None:
            raise InvalidDataError(
                source,
                [
                    Failure(
                        int(naive),
                        c,
                        None,
                        "mixed_time_zones",
                        f"column mixes times with a zone (e.g. {label} {zoned}) and without one (this {label}): "
                        "give every time a zone, or none (naive times are read as UTC)",
                        label,
                    )
                ],
            )


def typed_view(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    available: list[str],
    settings: AuditSettings,
    country: Any,
    source: str,
) -> None:
    """Views ``raw`` and ``typed`` over a registered ``relation`` that has a ``__row`` column.

    For drivers that register their own slices of a log (the Dask partitions): the same reading
    (preset, columns, defaults, country) and typing as :func:`audit`.
    """
    p = get_preset(settings.preset)
    _raw_view(con, relation, available, p, settings.columns, settings.defaults, country, source)
    _typed_view(con, p, "raw", "typed", plausible(p, settings.max_task_hours, settings.implausible))


def arrow_table(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """Run ``sql`` and return a pyarrow Table (across DuckDB versions)."""
    rel = con.sql(sql)
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
