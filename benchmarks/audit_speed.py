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
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ENGINES = ("fairpay", "duckdb_sql", "polars")


class SyntheticBenchmarks:
    """Stand-in bars, 4-15 USD/h by place (speed only, not a wage figure): real Benchmark objects."""

    def bar(self, pl, **kw):  # noqa: ANN001, ANN003
        from fairpay.wages import FixedBar

        hourly = Decimal(4 + (sum(map(ord, str(pl))) % 12))
        return FixedBar(hourly, "USD", source="benchmark stand-in").bar(pl, year=2024)


def _inputs(kind: str):  # noqa: ANN202
    if kind == "bundled":
        return {}
    from fairpay.units.fx import ExchangeRates

    rates = ExchangeRates(
        [{"currency": "GBP", "year": 2024, "lcu_per_usd": "0.8"}], source="benchmark stand-in"
    )
    return {"benchmarks": SyntheticBenchmarks(), "rates": rates}


def run_fairpay(path: str, out: str, bars: str, threads: int) -> None:
    import os

    import fairpay

    r = fairpay.audit(
        path, **_inputs(bars), memory_limit=os.environ.get("FAIRPAY_MEMORY_LIMIT") or None, threads=threads
    )
    # top_up is written as it comes, an exact Arrow decimal (the comparison reads it as float,
    # outside the timed run: a float copy is the harness's need, not the audit's)
    r.workers[["worker", "hours", "top_up"]].to_parquet(out)
    _ = (r.worker_projects, r.projects)


#: Expert DuckDB, step 1: the typed table materialised once, with integer keys. Workers and
#: projects get dense integer ids from their distinct values (joined, not ranked row by row);
#: ``g`` is the row of the small bars table for the row's (place, pay currency).
DUCK_TYPED = """
CREATE TEMP TABLE wk AS
  SELECT worker, (row_number() OVER (ORDER BY worker) - 1)::INTEGER AS wid
  FROM (SELECT DISTINCT worker FROM read_parquet('{path}'));
CREATE TEMP TABLE pj AS
  SELECT project, (row_number() OVER (ORDER BY project) - 1)::INTEGER AS pid
  FROM (SELECT DISTINCT project FROM read_parquet('{path}'));
CREATE TEMP TABLE t AS
  SELECT wk.wid, pj.pid, b.g, epoch_us(l.started) AS s, epoch_us(l.submitted) AS e,
    (CASE WHEN l.status = 'approved' THEN l.reward ELSE 0 END) + coalesce(l.bonus, 0) AS paid
  FROM read_parquet('{path}') l
  JOIN wk ON wk.worker = l.worker
  JOIN pj ON pj.project = l.project
  JOIN bars b ON b.country_raw = l.country AND b.sub_key = coalesce(l.subdivision, '') AND b.currency = l.currency;
"""

#: Expert DuckDB, step 2, one statement per level (``{keys}``: ``wid`` or ``wid, pid``): the
#: running-max interval union (with rows ordered by start, the maximum ``m`` of earlier ends is
#: the frontier already covered: a task adds ``e - s`` when it starts after ``m``, else
#: ``max(0, e - m)``), sums per (key, place/currency), then per key: hours, local earnings, pay
#: currency (most rows; a tie goes to the alphabetically first code, fairpay's rule), the top-up
#: rounded up to the cent (1e-6 cent tolerance) and the wage.
DUCK_LEVEL = """
WITH u AS (
  SELECT {keys}, g, s, e, paid,
    max(e) OVER (PARTITION BY {keys} ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS m
  FROM t),
per_g AS (
  SELECT {keys}, g, count(*) AS n, sum(paid) AS paid,
    sum(CASE WHEN m IS NULL OR s > m THEN e - s ELSE greatest(e - m, 0) END) AS us
  FROM u GROUP BY {keys}, g),
k AS (
  SELECT {keys}, sum(c.us) / 3.6e9 AS hours, sum(c.paid * b.to_local) AS earn, any_value(b.bar_local) AS bar,
    arg_min(b.to_pay, (-c.n, b.currency)) AS to_pay
  FROM per_g c JOIN bars b USING (g) GROUP BY {keys})
SELECT {keys}, hours, earn * to_pay AS earnings,
  greatest(ceil(round((bar * hours - earn) * to_pay * 100, 6)), 0) / 100 AS top_up,
  earn / hours AS wage_local, bar * hours > earn AS below
FROM k
"""

DUCK_PROJECTS = """
SELECT pid, count(*) AS workers, avg(below::INT) AS share_below, quantile_cont(wage_local, 0.5) AS median_wage,
  quantile_cont(wage_local, 0.1) AS p10_wage, sum(top_up) AS total_top_up
FROM wp WHERE hours > 0 GROUP BY pid
"""


def run_duckdb(path: str, out: str, bars: str, threads: int) -> None:
    """The job as an expert writes it in DuckDB: typed table once, integer keys, Arrow results."""
    import duckdb
    import pyarrow.parquet as pq

    con = duckdb.connect(config={"threads": threads, "preserve_insertion_order": False})
    con.register("bars", pq.read_table(bars))
    con.execute(DUCK_TYPED.format(path=path))
    workers = _arrow(
        con.sql(f"SELECT wk.worker, w.* FROM ({DUCK_LEVEL.format(keys='wid')}) w JOIN wk USING (wid)")
    )
    con.execute(f"CREATE TEMP TABLE wp AS {DUCK_LEVEL.format(keys='wid, pid')}")
    _pairs = _arrow(con.sql("SELECT * FROM wp"))
    _projects = _arrow(con.sql(DUCK_PROJECTS))
    pq.write_table(workers.select(["worker", "hours", "top_up"]), out)


def _arrow(rel):  # noqa: ANN001, ANN202
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()


def run_polars(path: str, out: str, bars: str, threads: int) -> None:
    """The job as an expert writes it in Polars: typed frame once, integer keys, the same union."""
    import polars as pl

    b = pl.read_parquet(bars)
    # integer keys: worker and project stay Categorical (Polars reads the Parquet dictionaries as
    # such), so sorts and group-bys work on their integer codes, with no string work per row
    t = (
        pl.scan_parquet(path)
        .join(
            b.lazy().select("g", "country_raw", "sub_key", "currency"),
            left_on=[
                pl.col("country").cast(pl.String),
                pl.col("subdivision").cast(pl.String).fill_null(""),
                pl.col("currency").cast(pl.String),
            ],
            right_on=["country_raw", "sub_key", "currency"],
        )
        .select(
            "worker",
            "project",
            "g",
            pl.col("started").dt.epoch("us").alias("s"),
            pl.col("submitted").dt.epoch("us").alias("e"),
            (
                pl.when(pl.col("status") == "approved").then(pl.col("reward")).otherwise(0.0)
                + pl.col("bonus").fill_null(0.0)
            ).alias("paid"),
        )
        .collect()
    )

    def level(keys: list[str]) -> pl.DataFrame:
        prev = pl.col("e").cum_max().shift(1).over(keys)
        us = (
            pl.when(prev.is_null() | (pl.col("s") > prev))
            .then(pl.col("e") - pl.col("s"))
            .otherwise(pl.max_horizontal(pl.col("e") - prev, pl.lit(0)))
        )
        per_g = (
            t.lazy()
            .sort([*(pl.col(k).to_physical() for k in keys), "s"])
            .with_columns(us.alias("us"))
            .group_by([*keys, "g"])
            .agg(pl.col("us").sum(), pl.col("paid").sum(), pl.len().alias("n"))
            .join(b.lazy(), on="g")
        )
        agg = per_g.group_by(keys).agg(
            (pl.col("us").sum() / 3.6e9).alias("hours"),
            (pl.col("paid") * pl.col("to_local")).sum().alias("earn"),
            pl.col("bar_local").first().alias("bar"),
            pl.col("to_pay").sort_by(["n", "currency"], descending=[True, False]).first(),
        )
        gap = ((pl.col("bar") * pl.col("hours") - pl.col("earn")) * pl.col("to_pay") * 100).round(6)
        return agg.with_columns(
            (pl.col("earn") * pl.col("to_pay")).alias("earnings"),
            (pl.max_horizontal(gap.ceil(), pl.lit(0.0)) / 100).alias("top_up"),
            (pl.col("earn") / pl.col("hours")).alias("wage_local"),
            (pl.col("bar") * pl.col("hours") > pl.col("earn")).alias("below"),
        ).collect()

    workers = level(["worker"])
    wp = level(["worker", "project"])
    _projects = (
        wp.lazy()
        .filter(pl.col("hours") > 0)
        .group_by("project")
        .agg(
            pl.len().alias("workers"),
            pl.col("below").mean().alias("share_below"),
            pl.col("wage_local").median().alias("median_wage"),
            pl.col("wage_local").quantile(0.1, "linear").alias("p10_wage"),
            pl.col("top_up").sum().alias("total_top_up"),
        )
        .collect()
    )
    workers.select(pl.col("worker").cast(pl.String), "hours", "top_up").write_parquet(out)


def child(engine: str, path: str, out: str, bars: str, bars_kind: str, threads: int) -> None:
    t = time.perf_counter()
    if engine == "fairpay":
        run_fairpay(path, out, bars_kind, threads)
    elif engine == "duckdb_sql":
        run_duckdb(path, out, bars, threads)
    else:
        run_polars(path, out, bars, threads)
    elapsed = time.perf_counter() - t
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"engine": engine, "seconds": elapsed, "peak_gib": peak_kib / 2**20}))


def bars_table(path: str, kind: str, out: Path) -> None:
    """The small (place, pay currency) table for the reference engines: bar, rates to and from local.

    Made from fairpay's public parts (places, the benchmark table's ``bar``, ``ExchangeRates.rate``)
    as the engine does with its default settings (kind "higher", inflation to the year of the last
    submission), outside the timed runs.
    """
    import datetime as dt

    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fairpay.units.places import place

    kw = _inputs(kind)
    if "benchmarks" in kw:
        benchmarks, rates = kw["benchmarks"], kw["rates"]
    else:
        from fairpay.units.fx import ExchangeRates
        from fairpay.wages import benchmarks as bundled

        benchmarks, rates = bundled(), ExchangeRates.bundled()
    con = duckdb.connect()
    groups = con.execute(
        f"SELECT DISTINCT country, coalesce(subdivision, ''), currency FROM read_parquet('{path}') ORDER BY ALL"
    ).fetchall()
    last = con.execute(f"SELECT max(submitted) FROM read_parquet('{path}')").fetchone()[0]
    year = last.astimezone(dt.UTC).year
    rows: dict[str, list] = {
        k: [] for k in ("g", "country_raw", "sub_key", "currency", "bar_local", "to_local", "to_pay")
    }
    for g, (country, sub, ccy) in enumerate(groups):
        bar = benchmarks.bar(
            place(country, sub or None), kind="higher", year=year, inflate=True, missing_living="error"
        )
        for k, v in zip(
            rows,
            (
                g,
                country,
                sub,
                ccy,
                float(bar.hourly),
                float(rates.rate(ccy, bar.currency, year)[0]),
                float(rates.rate(bar.currency, ccy, year)[0]),
            ),
            strict=True,
        ):
            rows[k].append(v)
    pq.write_table(pa.table(rows), out)


def log_path(rows: int, projects: int) -> Path:
    """The benchmark log of this shape (written by make_logs.py when it does not exist yet)."""
    from make_logs import generate

    path = Path(__file__).parent / "out" / f"log_{rows}_p{projects}.parquet"
    if not path.exists():
        generate(rows, path, projects=projects)
    return path


def compare(log: Path, args: argparse.Namespace, tmp: Path) -> None:
    """Every engine ``--repeat`` times on ``log``, interleaved, each run a fresh process; a table."""
    import pandas as pd

    bars = tmp / "bars.parquet"
    bars_table(str(log), args.bars, bars)
    engines = args.engines.split(",")
    times: dict[str, list[float]] = {e: [] for e in engines}
    mems: dict[str, list[float]] = {e: [] for e in engines}
    env = {**os.environ, "POLARS_MAX_THREADS": str(args.threads)}  # the same cores for every engine
    for _i in range(args.repeat):
        for e in engines:  # interleaved, so machine noise hits every engine alike
            out = tmp / f"{e}.parquet"
            cmd = [sys.executable, __file__, str(log), "--child", e, str(out), "--bars-file", str(bars)]
            cmd += ["--bars", args.bars, "--threads", str(args.threads)]
            res = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
            if res.returncode:
                sys.exit(f"{e} failed:\n{res.stderr}")
            d = json.loads(res.stdout.strip().splitlines()[-1])
            times[e].append(d["seconds"])
            mems[e].append(d["peak_gib"])
    print(
        f"log: {log}  ({pd.read_parquet(log, columns=['worker']).shape[0]:,} rows), "
        f"repeat={args.repeat}, threads={args.threads}, bars={args.bars}"
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
            f"{max(mems[e]):>10.2f}"
        )
    print("runs (s): " + "; ".join(f"{e} " + " ".join(f"{x:.2f}" for x in times[e]) for e in engines))
    frames = {
        e: pd.read_parquet(tmp / f"{e}.parquet")
        .astype({"top_up": "float64"})
        .sort_values("worker")
        .reset_index(drop=True)
        for e in engines
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


def main() -> None:
    ap = argparse.ArgumentParser(description="fairpay audit vs expert DuckDB SQL vs expert Polars")
    ap.add_argument("log", nargs="*", help="Parquet log(s) from make_logs.py (default: --rows/--projects)")
    ap.add_argument("--rows", type=int, default=1_000_000, help="log size when no log is given")
    ap.add_argument(
        "--projects",
        default="1000,10",
        help="log shapes when no log is given: projects per log, comma-separated (10: many tasks per pair)",
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="cores for every engine")
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
        child(args.child[0], args.log[0], args.child[1], args.bars_file, args.bars, args.threads)
        return
    logs = [Path(x) for x in args.log] or [log_path(args.rows, int(p)) for p in args.projects.split(",")]
    for log in logs:
        compare(log, args, Path(tempfile.mkdtemp(prefix="fairpay-bench-")))
        print()


if __name__ == "__main__":
    main()
