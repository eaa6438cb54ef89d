"""Per-worker audit results on small logs computed by hand (arithmetic written next to each assert)."""

from __future__ import annotations

import random
from decimal import ROUND_CEILING, Decimal

import pandas as pd
import pytest
from test_audit_support import RATES, bench, log

import fairpay
from fairpay.auditing.engine import audit
from fairpay.errors import InvalidDataError, InvalidInputError


def run(df: pd.DataFrame, **kw):  # noqa: ANN003
    return audit(df, benchmarks=kw.pop("benchmarks", bench()), rates=RATES, **kw)


def row(result, worker: str, level: str = "workers", project: str | None = None) -> pd.Series:
    df = getattr(result, level)
    sel = df["worker"] == worker
    if project is not None:
        sel &= df["project"] == project
    assert sel.sum() == 1
    return df[sel].iloc[0]


def test_overlaps_rejections_and_returns_count_as_unpaid_time() -> None:
    df = log(
        [
            ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
            ("a", "p", "t2", "2024-03-01 10:30", "2024-03-01 11:30", 5, "USD", "rejected", "US"),
            ("a", "q", "t3", "2024-03-01 12:00", "2024-03-01 12:30", 3, "USD", "approved", "US"),
            ("a", "q", "t4", "2024-03-01 12:10", "2024-03-01 12:20", 7, "USD", "returned", "US"),  # inside t3
        ]
    )
    r = run(df)
    a = row(r, "a")
    # union: [10:00, 11:30] = 1.5 h plus [12:00, 12:30] = 0.5 h -> 2 h; paid 10 + 3 = 13 USD
    assert a["hours"] == pytest.approx(2.0)
    assert a["earnings"] == pytest.approx(13.0)
    assert a["wage_local"] == pytest.approx(6.5)  # 13 / 2
    assert bool(a["below"])
    assert a["top_up"] == pytest.approx(17.0)  # 15 * 2 - 13
    assert (a["tasks"], a["approved"], a["rejected"], a["returned"]) == (4, 2, 1, 1)
    ap = row(r, "a", "worker_projects", "p")
    assert ap["hours"] == pytest.approx(1.5) and ap["top_up"] == pytest.approx(12.5)  # 15*1.5 - 10
    aq = row(r, "a", "worker_projects", "q")
    assert aq["hours"] == pytest.approx(0.5) and aq["top_up"] == pytest.approx(4.5)  # 15*0.5 - 3
    assert r.ok is False


def test_overlap_across_projects_is_counted_once_per_worker() -> None:
    df = log(
        [
            ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 15, "USD", "approved", "US"),
            ("a", "q", "t2", "2024-03-01 10:00", "2024-03-01 11:00", 0, "USD", "approved", "US"),
        ]
    )
    r = run(df)
    assert row(r, "a")["hours"] == pytest.approx(1.0)  # same hour in two projects
    assert row(r, "a")["top_up"] == 0 and not row(r, "a")["below"]  # 15 * 1 - 15 = 0
    assert row(r, "a", "worker_projects", "q")["top_up"] == pytest.approx(15.0)  # q alone: 15*1 - 0


def test_merge_gap_counts_short_breaks_as_work() -> None:
    df = log(
        [
            ("a", "p", "t1", "2024-03-01 10:00:00", "2024-03-01 10:10:00", 1, "USD", "approved", "US"),
            ("a", "p", "t2", "2024-03-01 10:10:30", "2024-03-01 10:20:00", 1, "USD", "approved", "US"),
            ("a", "p", "t3", "2024-03-01 10:30:00", "2024-03-01 10:40:00", 1, "USD", "approved", "US"),
        ]
    )
    # without gap: 600 + 570 + 600 = 1770 s; with 60 s gap: [10:00, 10:20] + [10:30, 10:40] = 1800 s
    assert row(run(df), "a")["hours"] == pytest.approx(1770 / 3600)
    assert row(run(df, merge_gap_seconds=60), "a")["hours"] == pytest.approx(1800 / 3600)


def test_bonus_already_paid_counts_as_earnings() -> None:
    df = log(
        [
            ("b", "p", "t1", "2024-03-01 10:00", "2024-03-01 12:00", 20, "USD", "approved", "US", None, 4.5),
        ]
    )
    b = row(run(df), "b")
    assert b["earnings"] == pytest.approx(24.5)  # 20 reward + 4.5 bonus
    assert b["top_up"] == pytest.approx(5.5)  # 15 * 2 - 24.5


def test_local_currency_and_conversion_back_to_pay_currency() -> None:
    # Kenyan worker paid in USD; bar 260 KES/h; 1 USD = 130 KES
    df = log([("k", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:30", 1.0, "USD", "approved", "Kenya")])
    k = row(run(df), "k")
    assert k["local_currency"] == "KES" and k["country"] == "KE"
    assert k["earnings_local"] == pytest.approx(130.0)  # 1 USD * 130
    assert k["gap_local"] == pytest.approx(260 * 1.5 - 130)  # 260 KES
    assert k["top_up"] == pytest.approx(2.0)  # 260 KES / 130 = 2.00 USD


def test_several_pay_currencies_for_one_worker() -> None:
    # UK worker, bar 12 GBP/h; paid 4 GBP + 5 USD (= 4 GBP at 0.8 GBP/USD); 1 h worked in total
    df = log(
        [
            ("u", "p", "t1", "2024-03-01 10:00", "2024-03-01 10:30", 4, "GBP", "approved", "GB"),
            ("u", "q", "t2", "2024-03-01 11:00", "2024-03-01 11:30", 5, "USD", "approved", "GB"),
            ("u", "q", "t3", "2024-03-01 12:00", "2024-03-01 12:00", 0, "USD", "approved", "GB"),
        ]
    )
    u = row(run(df), "u")
    assert u["earnings_local"] == pytest.approx(8.0)  # 4 + 5 * 0.8
    assert u["pay_currency"] == "USD"  # most rows (2 of 3) are paid in USD
    assert u["n_currencies"] == 2
    assert u["top_up"] == pytest.approx(5.0)  # (12 * 1 - 8) GBP = 4 GBP = 4 / 0.8 = 5 USD


def test_subdivision_benchmark_is_used() -> None:
    df = log(
        [
            ("c", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 16, "USD", "approved", "US", "US-CA"),
            ("n", "p", "t2", "2024-03-01 10:00", "2024-03-01 11:00", 16, "USD", "approved", "US"),
        ]
    )
    r = run(df)
    assert row(r, "c")["bar_local"] == 20 and row(r, "c")["subdivision"] == "US-CA"
    assert row(r, "c")["top_up"] == pytest.approx(4.0)  # 20 - 16
    assert not row(r, "n")["below"] and row(r, "n")["top_up"] == 0  # 16 >= 15


def test_zero_decimal_currency_rounds_up_to_whole_yen() -> None:
    # Japanese worker paid in JPY: bar 1500 JPY/h, 50 min worked, paid 1000 JPY
    df = log([("j", "p", "t1", "2024-03-01 10:00", "2024-03-01 10:50", 1000, "JPY", "approved", "JP")])
    j = row(run(df), "j")
    # 1500 * 50/60 = 1250; 1250 - 1000 = 250 exactly
    assert j["top_up"] == 250
    df2 = log([("j", "p", "t1", "2024-03-01 10:00:00", "2024-03-01 10:50:01", 1000, "JPY", "approved", "JP")])
    # 1500 * 3001/3600 = 1250.4166..; gap 250.41.. -> rounds UP to 251 yen
    assert row(run(df2), "j")["top_up"] == 251
    # Japanese worker paid in USD: gap 250.41.. JPY / 150 = 1.6694.. USD -> 1.67
    df3 = log([("j", "p", "t1", "2024-03-01 10:00:00", "2024-03-01 10:50:01", 7, "USD", "approved", "JP")])
    # paid 7 USD = 1050 JPY; gap 1250.4166.. - 1050 = 200.4166.. JPY / 150 = 1.33611.. USD -> 1.34
    assert row(run(df3), "j")["top_up"] == Decimal("1.34")  # exact: top-ups are Arrow decimals


def test_exactly_at_the_bar_is_not_below() -> None:
    # 0.1 + 0.2 in float is 0.30000000000000004; exact arithmetic says the worker is exactly at the bar
    df = log(
        [
            ("e", "p", "t1", "2024-03-01 10:00:00", "2024-03-01 10:00:36", 0.1, "USD", "approved", "US"),
            ("e", "p", "t2", "2024-03-01 10:00:36", "2024-03-01 10:01:12", 0.05, "USD", "approved", "US"),
        ]
    )
    e = row(run(df), "e")  # 72 s * 15/3600 = 0.30 USD; paid 0.15 -> gap 0.15 exactly
    assert e["top_up"] == Decimal("0.15")
    df2 = log([("e", "p", "t1", "2024-03-01 10:00:00", "2024-03-01 10:00:48", 0.2, "USD", "approved", "US")])
    e2 = row(run(df2), "e")  # 48 s * 15/3600 = 0.2 exactly = pay
    assert not e2["below"] and e2["top_up"] == 0


def _exact_topup(rows: list[tuple[int, int, Decimal]], bar: Decimal) -> Decimal:
    """Independent reference: brute-force union over sorted intervals, Decimal money."""
    ivs = sorted((s, e) for s, e, _ in rows)
    total, cur_s, cur_e = 0, None, None
    for s, e in ivs:
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    total += cur_e - cur_s
    gap = bar * Decimal(total) / 3600 - sum(r for _, _, r in rows)
    return max(Decimal(0), gap).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def test_random_logs_match_decimal_reference_exactly() -> None:
    rnd = random.Random(7)
    recs, expected = [], {}
    base = pd.Timestamp("2024-05-01", tz="UTC")
    for w in range(300):
        rows = []
        for t in range(rnd.randint(1, 8)):
            s = rnd.randint(0, 20_000)
            e = s + rnd.choice([0, 1, 36, 60, 72, 240, rnd.randint(1, 5000)])
            cents = rnd.choice([1, 5, 10, 15, 20, 25, 30, 100, rnd.randint(1, 500)])
            rows.append((s, e, Decimal(cents) / 100))
            recs.append(
                (
                    f"w{w}",
                    "p",
                    f"t{w}-{t}",
                    base + pd.Timedelta(seconds=s),
                    base + pd.Timedelta(seconds=e),
                    cents / 100,
                    "USD",
                    "approved",
                    "US",
                )
            )
        expected[f"w{w}"] = _exact_topup(rows, Decimal(15))
    r = run(log(recs))
    got = {
        w: Decimal(str(t)).quantize(Decimal("0.01")) for w, t in zip(r.workers["worker"], r.workers["top_up"])
    }
    assert got == expected


def test_bars_are_looked_up_once_per_place() -> None:
    b = bench()
    df = log(
        [
            (
                f"w{i}",
                "p",
                f"t{i}",
                "2024-03-01 10:00",
                "2024-03-01 11:00",
                1,
                "USD",
                "approved",
                ["US", "USA", "Kenya"][i % 3],
            )
            for i in range(30)
        ]
    )
    run(df, benchmarks=b)
    assert sorted(b.calls) == ["KE", "US"]


def test_projects_table() -> None:
    df = log(
        [
            ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 5, "USD", "approved", "US"),  # 5/h
            ("b", "p", "t2", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),  # 10/h
            ("c", "p", "t3", "2024-03-01 10:00", "2024-03-01 11:00", 20, "USD", "approved", "US"),  # 20/h
        ]
    )
    p = run(df).projects.iloc[0]
    assert p["workers"] == 3 and p["workers_below"] == 2
    assert p["share_below"] == pytest.approx(2 / 3)
    assert p["median_wage"] == pytest.approx(10.0)
    assert p["p10_wage"] == pytest.approx(5 + 0.2 * (10 - 5))  # linear interpolation at 0.1 * (3 - 1) = 0.2
    assert p["total_top_up"] == pytest.approx(10 + 5)  # (15-5) + (15-10)


def test_pending_rows_paid_by_default_with_a_warning() -> None:
    df = log([("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "pending", "US")])
    r = run(df)
    assert row(r, "a")["top_up"] == pytest.approx(5.0) and "1 submitted but unreviewed" in r.warnings[0]
    assert row(run(df, pending="unpaid"), "a")["top_up"] == pytest.approx(15.0)


def test_country_argument_and_mapping() -> None:
    df = log(
        [
            ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 1, "USD", "approved", None),
            ("b", "p", "t2", "2024-03-01 10:00", "2024-03-01 11:00", 1, "USD", "approved", None),
        ]
    )
    df = df.drop(columns=["country"])
    r = run(df, country="KE")
    assert set(r.workers["country"]) == {"KE"}
    r2 = run(df, country={"a": "US", "b": "US-CA"})
    assert row(r2, "b")["bar_local"] == 20 and row(r2, "a")["bar_local"] == 15
    with pytest.raises(InvalidDataError, match=r"row 1, column 'country'"):
        run(df, country={"a": "US"})
    with pytest.raises(InvalidInputError, match="missing column 'country'"):
        run(df)


def test_public_api_is_exported() -> None:
    assert fairpay.audit is audit
    assert fairpay.AuditResult.__name__ == "AuditResult"


def test_pay_currency_tie_goes_to_the_alphabetically_first_code() -> None:
    # UK worker, one GBP and one USD row (a tie): pay currency GBP (G < U), for the worker and in total
    df = log(
        [
            ("u", "p", "t1", "2024-03-01 10:00", "2024-03-01 10:30", 2, "USD", "approved", "GB"),
            ("u", "q", "t2", "2024-03-01 11:00", "2024-03-01 11:30", 1, "GBP", "approved", "GB"),
        ]
    )
    u = row(run(df), "u")
    assert u["pay_currency"] == "GBP" and u["n_currencies"] == 2
    # 1 h at 12 GBP/h; paid 1 GBP + 2 USD * 0.8 = 2.6 GBP -> top-up 9.40 GBP
    assert u["top_up"] == Decimal("9.40")


def test_worker_project_table_is_narrow_and_compact() -> None:
    df = log(
        [
            ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US", "US-CA"),
            ("a", "q", "t2", "2024-03-01 12:00", "2024-03-01 12:30", 3, "USD", "rejected", "US", "US-CA"),
            ("b", "p", "t3", "2024-03-01 10:00", "2024-03-01 11:00", 5, "USD", "approved", "Kenya"),
        ]
    )
    r = run(df)
    wp = r.worker_projects
    assert list(wp.columns) == [
        "worker",
        "project",
        "pay_currency",
        "tasks",
        "approved",
        "rejected",
        "returned",
        "pending",
        "hours",
        "earnings",
        "earnings_local",
        "wage_local",
        "below",
        "top_up",
    ]
    assert {str(wp[c].dtype) for c in ("tasks", "approved", "rejected", "returned", "pending")} == {"int32"}
    for col in ("worker", "project", "pay_currency"):
        assert isinstance(wp[col].dtype, pd.CategoricalDtype)
    assert list(wp["worker"].cat.categories) == ["a", "b"] and list(wp["project"].cat.categories) == [
        "p",
        "q",
    ]
    assert (
        isinstance(r.workers["country"].dtype, pd.CategoricalDtype)
        and str(r.workers["tasks"].dtype) == "int32"
    )
    # per-worker attributes live in .workers, joinable on worker: a's bar is California's 20 USD/h
    j = wp.merge(r.workers[["worker", "bar_local", "local_currency"]], on="worker")
    aq = j[(j["worker"] == "a") & (j["project"] == "q")].iloc[0]
    assert (
        aq["bar_local"] == 20 and aq["hours"] == pytest.approx(0.5) and aq["top_up"] == pytest.approx(10.0)
    )  # 20*0.5
    bp = j[j["worker"] == "b"].iloc[0]  # Kenya: 5 USD = 650 KES for 1 h at 260 KES/h: not below
    assert bp["local_currency"] == "KES" and bp["earnings_local"] == pytest.approx(650) and not bp["below"]


def test_benchmarks_used_are_kept_per_place() -> None:
    from fairpay.units.places import Place

    df = log(
        [
            ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
            ("c", "p", "t2", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US", "US-CA"),
        ]
    )
    r = run(df)
    assert set(r.benchmarks) == {Place("US"), Place("US", "US-CA")}
    assert r.benchmarks[Place("US", "US-CA")].hourly == 20 and r.benchmarks[Place("US")].hourly == 15
    assert {
        "bar_reference_year",
        "bar_gross_net",
        "bar_hours_per_week",
        "bar_hours_basis",
        "bar_adjustments",
        "bar_fallbacks",
    } <= set(r.bars.columns)


def test_exact_recheck_applies_to_worker_project_rows() -> None:
    # same figures as test_exactly_at_the_bar_is_not_below, checked on the worker x project table
    df = log(
        [
            ("e", "p", "t1", "2024-03-01 10:00:00", "2024-03-01 10:00:36", 0.1, "USD", "approved", "US"),
            ("e", "p", "t2", "2024-03-01 10:00:36", "2024-03-01 10:01:12", 0.05, "USD", "approved", "US"),
            ("f", "q", "t3", "2024-03-01 10:00:00", "2024-03-01 10:00:48", 0.2, "USD", "approved", "US"),
        ]
    )
    r = run(df)
    assert row(r, "e", "worker_projects", "p")["top_up"] == Decimal("0.15")  # 0.30 - 0.15
    f = row(r, "f", "worker_projects", "q")  # 48 s * 15/3600 = 0.2 exactly = pay
    assert not f["below"] and f["top_up"] == 0


def test_pair_rows_sorted_by_worker_then_project_and_memory_limit_changes_nothing() -> None:
    rnd = random.Random(11)
    base = pd.Timestamp("2024-05-01", tz="UTC")
    recs = []
    for i in range(400):
        w, p, s = f"w{rnd.randint(0, 30)}", f"p{rnd.randint(0, 12)}", rnd.randint(0, 50_000)
        recs.append(
            (
                w,
                p,
                f"t{i}",
                base + pd.Timedelta(seconds=s),
                base + pd.Timedelta(seconds=s + rnd.randint(1, 900)),
                rnd.randint(1, 300) / 100,
                "USD",
                "approved",
                "US",
            )
        )
    r = run(log(recs))
    keys = list(zip(r.worker_projects["worker"].astype(str), r.worker_projects["project"].astype(str)))
    assert keys == sorted({(w, p) for w, p, *_ in recs})  # every pair once, in (worker, project) order
    limited = run(log(recs), memory_limit="64MB")
    pd.testing.assert_frame_equal(limited.worker_projects, r.worker_projects)
    pd.testing.assert_frame_equal(limited.workers, r.workers)
    pd.testing.assert_frame_equal(limited.projects, r.projects)


def test_duckdb_memory_setting_text_in_bytes() -> None:
    from fairpay.auditing.engine import _bytes

    assert _bytes("953.6 MiB") == int(953.6 * 1024 * 1024)
    assert _bytes("2 GB") == 2_000_000_000 and _bytes("512 KiB") == 512 * 1024


def test_buckets_and_spilled_buckets_give_identical_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from fairpay.auditing import assemble as auditing, kernel as audit_kernel, rows as audit_rows

    rnd = random.Random(12)
    base = pd.Timestamp("2024-05-01", tz="UTC")
    recs = []
    for i in range(600):
        w, p, s = f"w{rnd.randint(0, 40)}", f"p{rnd.randint(0, 9)}", rnd.randint(0, 80_000)
        recs.append(
            (
                w,
                p,
                f"t{i}",
                base + pd.Timedelta(seconds=s),
                base + pd.Timedelta(seconds=s + rnd.randint(1, 2000)),
                rnd.randint(0, 300) / 100,
                rnd.choice(["USD", "GBP"]),
                rnd.choice(["approved"] * 8 + ["rejected"]),
                "US",
            )
        )
    one = run(log(recs))
    writes: list[str | None] = []
    real_write = audit_rows.Buckets._write

    def counting_write(self, j, cols, lo, hi, order=None):  # noqa: ANN001, ANN202
        writes.append(self.spill_dir)
        return real_write(self, j, cols, lo, hi, order)

    monkeypatch.setattr(audit_rows.Buckets, "_write", counting_write)
    monkeypatch.setattr(auditing, "ROWS_PER_BUCKET", 37)  # ~16 buckets in memory
    many = run(log(recs))
    assert len(writes) > 16 and set(writes) == {None}
    writes.clear()
    monkeypatch.setattr(audit_kernel, "ROW_BYTES", 10**6)  # rows "too big" for the budget: spill to files
    spilled = run(log(recs), memory_limit="64MB")
    assert writes and all(w is not None for w in writes)
    for other in (many, spilled):
        for table in ("workers", "worker_projects", "projects"):
            pd.testing.assert_frame_equal(getattr(one, table), getattr(other, table), check_exact=True)
