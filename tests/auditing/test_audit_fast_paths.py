"""The audit's fast paths give the answers of the plain ones (issue 14, speed): joins on hashes
vs on text, the key probe in each bucket vs none, project quantiles block by block vs at once,
blank workers found per spelling, and the bonus task picked by row. Each is checked against the
plain path or against numbers worked out by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from test_audit_support import RATES, bench, log
from test_audit_threads import _log

from fairpay.auditing import assemble as E, projects as P, stream as S
from fairpay.auditing.engine import audit
from fairpay.auditing.reading import trim_sql
from fairpay.errors import InvalidDataError

TABLES = ("workers", "worker_projects", "projects", "bars")


def _many_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(E, "ROWS_PER_BUCKET", 60)  # ~30 buckets for the 900-row log
    monkeypatch.setattr(E, "_MIN_ROWS_TO_SPLIT", 0)


def _same(a: object, b: object) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)


def test_joins_on_hashes_and_on_text_give_the_same_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    _many_buckets(monkeypatch)
    df = _log()
    df.loc[df.index % 7 == 0, "worker"] = " " + df["worker"] + " "  # spellings of one worker id
    df.loc[df["worker"].str.strip() == "w05", "subdivision"] = "CA"  # a place with a subdivision
    hashed = audit(df, benchmarks=bench(), rates=RATES, threads=2)
    monkeypatch.setattr(S, "code_joins", lambda con: S.TEXT_JOINS)
    text = audit(df, benchmarks=bench(), rates=RATES, threads=2)
    _same(hashed, text)
    assert int(text.workers["tasks"].sum()) == 900
    assert "US-CA" in set(text.workers["subdivision"].dropna().astype(str))  # bar 20 USD/h there


def test_code_joins_fall_back_to_text_when_two_spellings_share_a_hash() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE __wk AS SELECT * FROM (VALUES ('a', 0, 1::UBIGINT), ('b', 1, 2)) t(worker_raw, wid, h)"
    )
    con.execute("CREATE TABLE __pj AS SELECT * FROM (VALUES ('p', 0, 7::UBIGINT)) t(project_value, pid, h)")
    con.execute("CREATE TABLE __g AS SELECT * FROM (VALUES ('US', 5::UBIGINT)) t(country_raw, h)")
    assert S.code_joins(con) == S.HASH_JOINS
    con.execute("UPDATE __wk SET h = 1")  # a collision: a row's hash no longer names one spelling
    assert S.code_joins(con) == S.TEXT_JOINS
    con.execute("UPDATE __wk SET h = wid; INSERT INTO __g VALUES ('GB', 5)")
    assert S.code_joins(con) == S.TEXT_JOINS
    con.execute("DELETE FROM __g WHERE country_raw = 'GB'; INSERT INTO __pj VALUES (' p', 0, 7)")
    assert S.code_joins(con) == S.TEXT_JOINS


def test_key_probe_in_buckets_finds_a_repeat_in_a_late_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    _many_buckets(monkeypatch)
    df = _log()
    honest = audit(df, benchmarks=bench(), rates=RATES, threads=2)
    late = df[df["worker"] == "w40"].index[-1]  # the alphabetically last worker: the last bucket
    copy = pd.concat([df, df.loc[[late]]], ignore_index=True)
    deduped = audit(copy, benchmarks=bench(), rates=RATES, threads=2)
    _same(honest, deduped)  # the exact copy is dropped: nothing is paid twice
    assert any("exact duplicate" in w and f"{len(df)} = {late}" in w for w in deduped.warnings)
    other = df.loc[[late]].assign(reward=df.loc[late, "reward"] + 1)
    with pytest.raises(InvalidDataError, match="different values"):
        audit(pd.concat([df, other], ignore_index=True), benchmarks=bench(), rates=RATES, threads=2)


def test_project_quantiles_block_by_block_equal_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    df = _log()
    whole = audit(df, benchmarks=bench(), rates=RATES)
    monkeypatch.setattr(P, "BLOCK_PAIRS", 3)  # a block per project or two
    blocks = audit(df, benchmarks=bench(), rates=RATES)
    pd.testing.assert_frame_equal(whole.projects, blocks.projects, check_exact=True)


def test_project_quantiles_by_hand() -> None:
    # project p: workers a, b, c work 1 h each, paid 2, 4 and 9 USD: wages 2, 4, 9 USD/h.
    # quantile_cont: median = 4; p10 at (3 - 1) * 0.1 = 0.2 -> 2 + 0.2 * (4 - 2) = 2.4.
    # bar 15 USD/h: wage / bar = 2/15, 4/15, 9/15 -> median 4/15.
    rows = [
        (w, "p", f"t{w}", "2024-03-01 10:00", "2024-03-01 11:00", r, "USD", "approved", "US")
        for w, r in (("a", 2), ("b", 4), ("c", 9))
    ]
    p = audit(log(rows), benchmarks=bench(), rates=RATES).projects.set_index("project").loc["p"]
    assert p["median_wage"] == pytest.approx(4.0)
    assert p["p10_wage"] == pytest.approx(2.4)
    assert p["median_bar_ratio"] == pytest.approx(4 / 15)
    assert int(p["workers"]) == 3 and int(p["workers_below"]) == 3


def test_blank_workers_are_bad_rows_found_per_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    from fairpay.auditing import validation as V

    rows = [
        ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
        ("  ", "p", "t2", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
        ("", "p", "t3", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
        ("b", "p", "t4", "2024-03-01 11:00", "2024-03-01 10:00", 10, "USD", "approved", "US"),  # ends first
        (" ", "p", "t5", "2024-03-01 10:00", "2024-03-01 11:00", -1, "USD", "approved", "US"),  # both
    ]
    counted: list[int] = []
    real = V.raise_failures

    def spy(source: str, failures: list, bad_rows: int) -> None:  # type: ignore[type-arg]
        counted.append(bad_rows)
        real(source, failures, bad_rows)

    monkeypatch.setattr(V, "raise_failures", spy)
    with pytest.raises(InvalidDataError) as exc:
        audit(log(rows), benchmarks=bench(), rates=RATES)
    # rows 1, 2 and 4 have no worker id; row 3 ends before it starts; row 4 also has a negative
    # reward: four bad rows (each counted once), five problems listed
    assert counted == [4]
    assert exc.value.total == 5
    assert sorted(r.row for r in exc.value.records) == [1, 2, 3, 4, 4]


def test_blank_projects_are_bad_rows_found_per_spelling() -> None:
    rows = [
        ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
        ("a", "  ", "t2", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
        ("b", "", "t3", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
        ("b", None, "t4", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
        ("c", " p ", "t5", "2024-03-01 10:00", "2024-03-01 11:00", -1, "USD", "approved", "US"),  # bad reward
        ("c", "p", "t6", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
    ]
    with pytest.raises(InvalidDataError) as exc:
        audit(log(rows), benchmarks=bench(), rates=RATES)
    # rows 1-3 have no project id, row 4 a negative reward (its project " p" is "p"): four bad rows
    assert exc.value.total == 4
    assert sorted(r.row for r in exc.value.records) == [1, 2, 3, 4]
    assert {r.column for r in exc.value.records if r.row in (1, 2, 3)} == {"project"}


def test_project_spellings_are_one_project() -> None:
    rows = [
        ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
        ("a", " p", "t2", "2024-03-01 12:00", "2024-03-01 13:00", 10, "USD", "approved", "US"),
        ("b", "p  ", "t3", "2024-03-01 10:00", "2024-03-01 10:30", 10, "USD", "approved", "US"),
        ("b", "q", "t4", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
    ]
    result = audit(log(rows), benchmarks=bench(), rates=RATES)
    pairs = result.worker_projects.astype({"worker": str, "project": str}).set_index(["worker", "project"])
    # by hand: a works 2 h on p (two spellings), b 0.5 h on p and 1 h on q
    assert list(result.projects["project"].astype(str)) == ["p", "q"]
    assert float(pairs.loc[("a", "p"), "hours"]) == 2.0
    assert float(pairs.loc[("b", "p"), "hours"]) == 0.5
    assert int(pairs.loc[("a", "p"), "tasks"]) == 2


def test_bonus_task_is_the_last_approved_row_with_a_task_id() -> None:
    day = "2024-03-01 "
    rows = [
        # a: approved t1 (row 0), approved t9 (row 1), rejected t5 (row 2): the last approved row is t9
        ("a", "p", "t1", day + "10:00", day + "11:00", 1, "USD", "approved", "US"),
        ("a", "p", "t9", day + "09:00", day + "09:30", 1, "USD", "approved", "US"),
        ("a", "p", "t5", day + "12:00", day + "12:30", 1, "USD", "rejected", "US"),
        # b: no approved row: the last row (t3)
        ("b", "p", "t2", day + "10:00", day + "11:00", 1, "USD", "rejected", "US"),
        ("b", "p", "t3", day + "08:00", day + "09:00", 1, "USD", "returned", "US"),
        # c: the last approved row has no task id: the approved row before it (c1)
        ("c", "p", "c1", day + "10:00", day + "11:00", 1, "USD", "approved", "US"),
        ("c", "p", None, day + "12:00", day + "13:00", 1, "USD", "approved", "US"),
        # d: no task id at all
        ("d", "p", None, day + "12:00", day + "13:00", 1, "USD", "approved", "US"),
    ]
    w = audit(log(rows), benchmarks=bench(), rates=RATES).workers.set_index("worker")["task"]
    assert (w["a"], w["b"], w["c"]) == ("t9", "t3", "c1")
    assert pd.isna(w["d"])
    # the Dask driver reads them the same way, partition by partition
    dd = pytest.importorskip("dask.dataframe")
    import dask

    from fairpay.auditing.dask import audit_dask

    with dask.config.set(scheduler="sync"):
        parts = dd.from_pandas(log(rows), npartitions=3)
        wd = audit_dask(parts, benchmarks=bench(), rates=RATES, npartitions=3).workers.set_index("worker")[
            "task"
        ]
    assert (wd["a"], wd["b"], wd["c"]) == ("t9", "t3", "c1")
    assert pd.isna(wd["d"])


def test_a_dataframe_subclass_is_a_log() -> None:
    class Export(pd.DataFrame):
        pass

    rows = [("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US")]
    r = audit(Export(log(rows)), benchmarks=bench(), rates=RATES)
    assert float(r.workers["top_up"].iloc[0]) == 5.0  # 1 h at 15 USD/h, paid 10


@pytest.mark.parametrize("joins", ["hash", "text"])
@pytest.mark.parametrize("pending", ["unpaid", "paid"])
def test_place_currency_and_status_are_coded_per_spelling(
    monkeypatch: pytest.MonkeyPatch, joins: str, pending: str
) -> None:
    """Spellings that the row rules make equal (padding, case of a status or currency, a blank
    subdivision written as '' or left empty) give the tables of the clean log: the stream codes
    each spelling once (from the scan) instead of each row."""
    _many_buckets(monkeypatch)
    clean = _log()
    clean.loc[clean["worker"] == "w05", "subdivision"] = "CA"
    messy = clean.copy()
    every = messy.index % 3 == 0
    messy.loc[every, "status"] = " " + messy.loc[every, "status"].str.upper() + " "
    messy.loc[messy.index % 4 == 1, "currency"] = messy["currency"].str.lower() + "  "
    messy.loc[messy.index % 5 == 2, "country"] = " " + messy["country"]
    messy.loc[(messy.index % 2 == 0) & messy["subdivision"].isna(), "subdivision"] = ""
    messy.loc[(messy["worker"] == "w05") & (messy.index % 2 == 1), "subdivision"] = "ca "
    expected = audit(clean, benchmarks=bench(), rates=RATES, threads=2, pending=pending)
    if joins == "text":
        monkeypatch.setattr(S, "code_joins", lambda con: S.TEXT_JOINS)
    got = audit(messy, benchmarks=bench(), rates=RATES, threads=2, pending=pending)
    for table in ("workers", "worker_projects", "projects"):
        pd.testing.assert_frame_equal(getattr(got, table), getattr(expected, table), check_exact=True)
    # the counts are the clean log's, by hand: every row's status is one of the four
    statuses = clean["status"].value_counts()
    for status in ("approved", "rejected", "returned", "pending"):
        assert int(got.workers[status].sum()) == int(statuses[status])


def test_key_hash_mixes_the_worker_and_project_codes_in_numpy() -> None:
    import numpy as np

    from fairpay.auditing.validation import mix_key

    cols = {"wid": np.array([0, 0, 1, 0, 0], np.int32), "pid": np.array([0, 0, 0, 1, 0], np.int32)}
    kh = np.array([7, 7, 7, 7, 8], np.uint64)  # rows 0 and 1: the same key; the others differ in one part
    mixed = mix_key(kh.copy(), cols, ("wid", "pid"))
    assert mixed[0] == mixed[1]
    assert len(set(mixed.tolist())) == 4
    assert (mix_key(kh, cols, ()) == kh).all()  # a key without worker or project: the SQL hash alone


def test_task_ids_shared_by_other_workers_are_no_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    from fairpay.auditing import engine as E

    def no_second_pass(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("the key probe raised a false alarm")

    df = _log()  # the generic key is (worker, task): number each worker's tasks t0, t1, ...
    df["task"] = "t" + df.groupby("worker").cumcount().astype(str)  # each task id in many workers
    monkeypatch.setattr(E, "duplicates", no_second_pass)
    result = audit(df, benchmarks=bench(), rates=RATES, threads=2)
    assert int(result.workers["tasks"].sum()) == len(df)


def test_a_long_listing_counts_problems_not_rows() -> None:
    # 1,100 rows, each with two problems (no worker id, a negative reward): the listing stops at
    # 1,000 problems and says how many there are at least (2,000 listed of 2,200), never that
    # more *rows* fail than the log has
    bad = [
        (" ", "p", f"t{i}", "2024-03-01 10:00", "2024-03-01 11:00", -1, "USD", "approved", "US")
        for i in range(1100)
    ]
    with pytest.raises(InvalidDataError) as exc:
        audit(log(bad), benchmarks=bench(), rates=RATES)
    last = str(exc.value.failures[-1])
    assert "more problems not listed (at least 2000 in all)" in last
    assert exc.value.total == 2000 and len(exc.value.records) == 1000


# the spaces DuckDB's trim takes off (Unicode category Zs), characters it leaves (tabs, controls,
# combining marks, an Arabic "prepend" sign that joins the next character into one grapheme), and
# plain ASCII: ids made of these hit every branch of the fast path
_ZS = " \u00a0\u1680\u2000\u2005\u200a\u202f\u205f\u3000"
_EDGE = _ZS + "\t\n\x00\x7f\u0301\u0600\u200d\U0001f600e" + "aZ09-_~"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=_EDGE, max_size=6) | st.text(max_size=4), min_size=1, max_size=30))
def test_fast_trim_is_duckdbs_trim(values: list[str]) -> None:
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    con.register("v", pa.table({"x": pa.array([*values, None], pa.string())}))
    fast, plain = zip(*con.execute(f"SELECT {trim_sql('x')}, trim(x) FROM v").fetchall(), strict=True)
    assert fast == plain


def test_task_ids_padded_with_spaces_are_one_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # the typed view trims every id once per row (through the fast path): " t7\u3000" and "t7" of one
    # worker are the same assignment, so a copy padded with spaces is a repeat, not a second task
    _many_buckets(monkeypatch)
    df = _log()
    honest = audit(df, benchmarks=bench(), rates=RATES, threads=2)
    row = df.loc[[df.index[-1]]].assign(task=lambda d: "\u00a0" + d["task"] + "\u3000 ")
    padded = audit(pd.concat([df, row], ignore_index=True), benchmarks=bench(), rates=RATES, threads=2)
    _same(honest, padded)  # dropped as an exact copy once trimmed: paid once
    assert any("exact duplicate" in w for w in padded.warnings)
