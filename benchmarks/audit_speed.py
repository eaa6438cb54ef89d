"""Audit speed: fairpay.audit vs the same job in DuckDB SQL and in Polars, in one run.

Each engine runs in its own subprocess (so peak RSS is its own), ``--repeat`` times; the script
prints median wall time, ratio to DuckDB SQL and Polars, peak RSS, and checks that the three agree
per worker (hours, top-up).

The "same job": per worker and per worker x project the interval union of task times, approved
rewards + bonuses converted to the local currency, the local bar, and the top-up rounded up to
the cent in the pay currency; per project workers, share below, median and p10 wage, total top-up.
The reference engines get the small per-place bars/rates table precomputed (fairpay computes it
inside its timed run) and do no row validation (fairpay validates every row inside its run).

    python benchmarks/make_logs.py --rows 1000000 --out benchmarks/out/log_1m.parquet
    python benchmarks/audit_speed.py benchmarks/out/log_1m.parquet --repeat 3

Pay currency, in all three engines: the currency with most rows; a tie goes to the alphabetically
first ISO code (fairpay's documented rule; ``arg_max``/``sort_by().first()`` without the second
key pick either currency on a tie, which made earlier runs disagree for a few workers).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ENGINES = ("fairpay", "duckdb_sql", "polars")


class SyntheticBar:
    """A stand-in bar when the bundled benchmark/FX tables are unavailable (speed only, not a wage figure)."""

    def __init__(self, hourly: Decimal) -> None:
        self.hourly, self.currency, self.year, self.kind = hourly, "USD", 2024, "synthetic"
        self.method = self.source = "benchmark stand-in"
        self.url, self.adjustments, self.fallbacks = "", (), ()


class SyntheticBenchmarks:
    def bar(self, pl, **kw):  # noqa: ANN001, ANN003
        return SyntheticBar(Decimal(4 + (sum(map(ord, str(pl))) % 12)))


def _inputs(kind: str):  # noqa: ANN202
    if kind == "bundled":
        return {}
    from fairpay.units.fx import ExchangeRates

    rates = ExchangeRates(
        [{"currency": "GBP", "year": 2024, "lcu_per_usd": "0.8"}], source="benchmark stand-in"
    )
    return {"benchmarks": SyntheticBenchmarks(), "rates": rates}


def run_fairpay(path: str, out: str, bars: str) -> None:
    import os

    import fairpay

    r = fairpay.audit(path, **_inputs(bars), memory_limit=os.environ.get("FAIRPAY_MEMORY_LIMIT") or None)
    # top_up is an exact Arrow decimal; the references compare in float
    r.workers[["worker", "hours", "top_up"]].astype({"top_up": "float64"}).to_parquet(out)
    _ = (r.worker_projects, r.projects)


#: The reference job as idiomatic DuckDB SQL over the Parquet file, one statement per level
#: (REF_LEVEL for workers, REF_WP for worker x project: whichever formulation measured faster).
#: Interval union: with rows sorted by start, the running maximum ``m`` of earlier ends (a window
#: function) is the frontier already covered, so a task adds ``e - s`` when it starts after ``m``
#: and ``max(0, e - m)`` otherwise. Pay currency: most rows, a tie goes to the alphabetically
#: first code (the rule fairpay documents). Top-up: ceil in cents, with a 1e-6 cent tolerance.
REF_LEVEL = """
WITH r AS (
  SELECT worker, project, currency, country AS country_raw, coalesce(subdivision, '') AS sub_key,
    epoch_us(started) AS s, epoch_us(submitted) AS e,
    (CASE WHEN status = 'approved' THEN reward ELSE 0 END) + coalesce(bonus, 0) AS paid
  FROM read_parquet('{path}')
),
u AS (
  SELECT *, max(e) OVER (PARTITION BY {keys} ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS m
  FROM r
),
per_ccy AS (
  SELECT {keys}, currency, any_value(country_raw) AS country_raw, any_value(sub_key) AS sub_key, count(*) AS n,
    sum(paid) AS paid, sum(CASE WHEN m IS NULL OR s > m THEN e - s ELSE greatest(e - m, 0) END) AS us
  FROM u GROUP BY {keys}, currency
),
k AS (
  SELECT {keys}, any_value(c.country_raw) AS country_raw, any_value(c.sub_key) AS sub_key,
    sum(c.us) / 3.6e9 AS hours, sum(c.paid * b.to_local) AS earn, any_value(b.bar_local) AS bar,
    arg_min(c.currency, (-c.n, c.currency)) AS pay_currency
  FROM per_ccy c JOIN bars b USING (country_raw, sub_key, currency) GROUP BY {keys}
)
SELECT k.*, p.to_pay,
  greatest(ceil(round((bar * hours - earn) * p.to_pay * 100, 6)), 0) / 100 AS top_up,
  earn / hours * p.to_pay AS wage, bar * hours > earn AS below
FROM k JOIN bars p ON p.country_raw = k.country_raw AND p.sub_key = k.sub_key AND p.currency = k.pay_currency
"""

#: Worker x project level as gaps and islands (faster here than REF_LEVEL at this grain, where
#: almost every (worker, project) pair is its own group: 7.4M pairs at 10M rows). Each generated
#: project pays in one currency, so ``any_value(to_pay)`` is the pay currency's rate.
REF_WP = """
WITH r AS (
  SELECT worker, project, country AS country_raw, coalesce(subdivision, '') AS sub_key, currency,
    epoch_us(started) AS s, epoch_us(submitted) AS e,
    (CASE WHEN status = 'approved' THEN reward ELSE 0 END) + coalesce(bonus, 0) AS paid
  FROM read_parquet('{path}')),
isl AS (SELECT *, sum(new_p) OVER (PARTITION BY worker, project ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS blk
  FROM (SELECT *, CASE WHEN s <= max(e) OVER (PARTITION BY worker, project ORDER BY s, e
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS new_p FROM r)),
blk AS (SELECT worker, project, country_raw, sub_key, currency, max(e) - min(s) AS us, sum(paid) AS paid
        FROM isl GROUP BY ALL),
wp AS (SELECT worker, project, sum(us) / 3.6e9 AS hours, sum(paid * b.to_local) AS earn, any_value(b.bar_local) AS bar,
              any_value(b.to_pay) AS to_pay
       FROM blk JOIN bars b USING (country_raw, sub_key, currency) GROUP BY worker, project)
SELECT *, greatest(ceil(round((bar * hours - earn) * to_pay * 100, 6)), 0) / 100 AS top_up,
       earn / hours * to_pay AS wage, bar * hours > earn AS below FROM wp
"""

REF_PROJECTS = """
SELECT project, count(*) AS workers, avg(below::INT) AS share_below, quantile_cont(wage, 0.5) AS median_wage,
       quantile_cont(wage, 0.1) AS p10_wage, sum(top_up) AS total_top_up FROM wp WHERE hours > 0 GROUP BY project
"""


def run_duckdb(path: str, out: str, bars: str) -> None:
    import duckdb
    import pandas as pd

    con = duckdb.connect()
    con.register("bars", pd.read_parquet(bars))
    workers = con.sql(REF_LEVEL.format(path=path, keys="worker")).df()
    wp = con.sql(REF_WP.format(path=path)).df()
    con.register("wp", wp)
    _projects = con.sql(REF_PROJECTS).df()
    workers[["worker", "hours", "top_up"]].to_parquet(out)


def run_polars(path: str, out: str, bars: str) -> None:
    import polars as pl

    b = pl.read_parquet(bars)
    rows = pl.scan_parquet(path).select(
        pl.col("worker"),
        pl.col("project"),
        pl.col("currency").cast(pl.String),
        pl.col("country").cast(pl.String).alias("country_raw"),
        pl.col("subdivision").cast(pl.String).fill_null("").alias("sub_key"),
        pl.col("started").dt.epoch("us").alias("s"),
        pl.col("submitted").dt.epoch("us").alias("e"),
        (
            pl.when(pl.col("status") == "approved").then(pl.col("reward")).otherwise(0.0)
            + pl.col("bonus").fill_null(0.0)
        ).alias("paid"),
    )

    def union(keys: list[str]) -> pl.LazyFrame:
        prev = pl.col("e").cum_max().shift(1).over(keys)
        contrib = (
            pl.when(prev.is_null() | (pl.col("s") > prev))
            .then(pl.col("e") - pl.col("s"))
            .otherwise(pl.max_horizontal(pl.col("e") - prev, pl.lit(0)))
        )
        return rows.sort([*keys, "s", "e"]).with_columns(contrib.alias("us"))

    def level(keys: list[str]) -> pl.DataFrame:
        t = union(keys).join(b.lazy(), on=["country_raw", "sub_key", "currency"])
        per_ccy = t.group_by([*keys, "currency"]).agg(
            pl.col("us").sum(),
            (pl.col("paid") * pl.col("to_local")).sum().alias("earn"),
            pl.col("bar_local").first(),
            pl.col("to_pay").first(),
            pl.len().alias("n"),
        )
        # pay currency: most rows, a tie goes to the alphabetically first code (fairpay's rule)
        agg = per_ccy.group_by(keys).agg(
            (pl.col("us").sum() / 3.6e9).alias("hours"),
            pl.col("earn").sum(),
            pl.col("bar_local").first(),
            pl.col("to_pay").sort_by(["n", "currency"], descending=[True, False]).first(),
        )
        gap = ((pl.col("bar_local") * pl.col("hours") - pl.col("earn")) * pl.col("to_pay") * 100).round(6)
        return agg.with_columns(
            (pl.max_horizontal(gap.ceil(), pl.lit(0.0)) / 100).alias("top_up"),
            (pl.col("earn") / pl.col("hours") * pl.col("to_pay")).alias("wage"),
        ).collect()

    workers = level(["worker"])
    wp = level(["worker", "project"])
    _projects = (
        wp.filter(pl.col("hours") > 0)
        .group_by("project")
        .agg(
            pl.len().alias("workers"),
            (pl.col("top_up") > 0).mean().alias("share_below"),
            pl.col("wage").median().alias("median_wage"),
            pl.col("wage").quantile(0.1, "linear").alias("p10_wage"),
            pl.col("top_up").sum().alias("total_top_up"),
        )
    )
    workers.select(pl.col("worker").cast(pl.String), "hours", "top_up").write_parquet(out)


def child(engine: str, path: str, out: str, bars: str, bars_kind: str) -> None:
    t = time.perf_counter()
    if engine == "fairpay":
        run_fairpay(path, out, bars_kind)
    elif engine == "duckdb_sql":
        run_duckdb(path, out, bars)
    else:
        run_polars(path, out, bars)
    elapsed = time.perf_counter() - t
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"engine": engine, "seconds": elapsed, "peak_gib": peak_kib / 2**20}))


def bars_table(path: str, kind: str, out: Path) -> None:
    """The per-(place, pay currency) bars/rates table for the reference engines, made by fairpay."""
    import duckdb
    import pandas as pd

    from fairpay.auditing import engine as A

    con = duckdb.connect()
    A._register_source(con, path, A.get_preset("generic"), None, None, None)
    A._typed_view(con, A.get_preset("generic"), "raw", "typed")
    scan = A._scan(con, "typed")
    kw = _inputs(kind)
    bars, fx = A._bars_and_fx(scan, A.Settings(), kw.get("benchmarks"), kw.get("rates"))
    rows = []
    for b in bars.itertuples(index=False):
        for ccy in sorted({g[2] for g in scan.groups}):
            to_local = fx[(fx.from_ccy == ccy) & (fx.to_ccy == b.local_currency)].rate.iloc[0]
            to_pay = fx[(fx.from_ccy == b.local_currency) & (fx.to_ccy == ccy)].rate.iloc[0]
            rows.append(
                {
                    "country_raw": b.country_raw,
                    "sub_key": b.sub_key,
                    "currency": ccy,
                    "bar_local": b.bar_local,
                    "to_local": to_local,
                    "to_pay": to_pay,
                }
            )
    pd.DataFrame(rows).to_parquet(out)


def main() -> None:
    ap = argparse.ArgumentParser(description="fairpay audit vs DuckDB SQL vs Polars")
    ap.add_argument("log", help="Parquet log from make_logs.py")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument(
        "--bars",
        choices=("synthetic", "bundled"),
        default="synthetic",
        help="bundled = fairpay's bundled benchmarks and exchange rates",
    )
    ap.add_argument("--child", nargs=2, metavar=("ENGINE", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--bars-file", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.log, args.child[1], args.bars_file, args.bars)
        return
    tmp = Path(tempfile.mkdtemp(prefix="fairpay-bench-"))
    bars = tmp / "bars.parquet"
    bars_table(args.log, args.bars, bars)
    engines = args.engines.split(",")
    times: dict[str, list[float]] = {e: [] for e in engines}
    mems: dict[str, list[float]] = {e: [] for e in engines}
    for _i in range(args.repeat):
        for e in engines:  # interleaved, so machine noise hits every engine alike
            out = tmp / f"{e}.parquet"
            res = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    args.log,
                    "--child",
                    e,
                    str(out),
                    "--bars-file",
                    str(bars),
                    "--bars",
                    args.bars,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if res.returncode:
                sys.exit(f"{e} failed:\n{res.stderr}")
            d = json.loads(res.stdout.strip().splitlines()[-1])
            times[e].append(d["seconds"])
            mems[e].append(d["peak_gib"])
    import pandas as pd

    print(
        f"log: {args.log}  ({pd.read_parquet(args.log, columns=['worker']).shape[0]:,} rows), "
        f"repeat={args.repeat}, bars={args.bars}"
    )
    med = {e: statistics.median(v) for e, v in times.items()}
    print(
        f"{'engine':<12}{'median s':>10}{'min s':>8}{'max s':>8}{'vs duckdb':>11}{'vs polars':>11}{'peak GiB':>10}"
    )
    for e in engines:
        rd = f"{med[e] / med['duckdb_sql']:.2f}x" if "duckdb_sql" in med else "-"
        rp = f"{med[e] / med['polars']:.2f}x" if "polars" in med else "-"
        print(
            f"{e:<12}{med[e]:>10.2f}{min(times[e]):>8.2f}{max(times[e]):>8.2f}{rd:>11}{rp:>11}"
            f"{statistics.median(mems[e]):>10.2f}"
        )
    frames = {
        e: pd.read_parquet(tmp / f"{e}.parquet").sort_values("worker").reset_index(drop=True) for e in engines
    }
    base = frames[engines[0]]
    for e in engines[1:]:
        f = frames[e]
        same_workers = base["worker"].astype(str).tolist() == f["worker"].astype(str).tolist()
        dh = (base["hours"] - f["hours"]).abs().max() if same_workers else float("nan")
        dt = (base["top_up"] - f["top_up"]).abs() if same_workers else None
        n_diff = int((dt > 0.005).sum()) if dt is not None else -1
        print(
            f"agree {engines[0]} vs {e}: workers {'same' if same_workers else 'DIFFER'} ({len(f):,}), "
            f"max |hours diff| {dh:.2e}, top-ups differing by >= 1 cent: {n_diff}, "
            f"total top-up {base['top_up'].sum():,.2f} vs {f['top_up'].sum():,.2f}"
        )


if __name__ == "__main__":
    main()
