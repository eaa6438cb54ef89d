"""Generate realistic synthetic submission logs (Parquet) for the audit benchmark.

Why: audit speed matters on platform-sized logs (tens of millions of rows), and real logs cannot
be shipped. Shape (per the issue): heavy-tailed task durations (lognormal, median ~75 s, capped
at 3 h), ~200k workers per 10M rows with Zipf-like activity, 40 countries, 1,000 projects (each
paying one reward in USD or, for 10 % of projects, GBP), 5 % rejected and 2 % returned work,
occasional bonuses. Seeded, so every run writes the same file.

    python benchmarks/make_logs.py --rows 1000000 --out benchmarks/data/log_1m.parquet
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

#: 40 countries: workers' places (alpha-2); subdivisions for US/IN so subdivision bars are exercised.
COUNTRIES = [
    "US",
    "IN",
    "GB",
    "PH",
    "KE",
    "NG",
    "VE",
    "BR",
    "PK",
    "BD",
    "DE",
    "FR",
    "ES",
    "IT",
    "CA",
    "MX",
    "CO",
    "AR",
    "EG",
    "ZA",
    "ID",
    "VN",
    "TR",
    "PL",
    "RO",
    "UA",
    "RU",
    "CN",
    "JP",
    "AU",
    "NL",
    "PT",
    "GR",
    "MA",
    "TN",
    "LK",
    "NP",
    "GH",
    "UG",
    "CL",
]
US_STATES = ["US-CA", "US-NY", "US-TX", "US-FL", "US-WA"]
CHUNK = 1_000_000


def generate(
    rows: int, out: Path, seed: int = 2024, workers: int | None = None, projects: int = 1000
) -> Path:
    """Write ``rows`` rows to ``out`` in 1M-row chunks (bounded memory)."""
    rng = np.random.default_rng(seed)
    n_workers = workers or max(100, rows // 50)
    # Zipf-like activity: a few workers do many tasks.
    weights = 1.0 / np.arange(1, n_workers + 1) ** 0.8
    weights /= weights.sum()
    cum = np.cumsum(weights)
    country_w = 1.0 / np.arange(1, len(COUNTRIES) + 1)
    country_w /= country_w.sum()
    w_country = rng.choice(len(COUNTRIES), size=n_workers, p=country_w)
    state = rng.integers(0, len(US_STATES) + 1, n_workers)  # len(US_STATES) = state not known
    w_sub = np.where((COUNTRIES.index("US") == w_country) & (state < len(US_STATES)), state, -1)
    names = pa.array([f"W{i:07d}" for i in range(n_workers)])
    country_names = pa.array(COUNTRIES)
    sub_names = pa.array(US_STATES)
    p_reward = np.round(rng.choice([0.05, 0.10, 0.15, 0.25, 0.40, 0.50, 1.00, 2.00], projects), 2)
    p_gbp = rng.random(projects) < 0.10
    p_names = pa.array([f"P{i:04d}" for i in range(projects)])
    t0 = np.datetime64("2024-03-01T00:00:00", "us").astype("int64")
    span = 30 * 86400 * 1_000_000
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    done = 0
    while done < rows:
        n = min(CHUNK, rows - done)
        w = np.minimum(np.searchsorted(cum, rng.random(n)), n_workers - 1).astype("int32")
        p = rng.integers(0, projects, n).astype("int32")
        start = t0 + rng.integers(0, span, n)
        dur = np.minimum(rng.lognormal(np.log(75.0), 1.1, n), 3 * 3600) * 1_000_000
        end = start + dur.astype("int64")
        u = rng.random(n)
        status = np.where(u < 0.05, 1, np.where(u < 0.07, 2, 0)).astype("int8")
        bonus = np.where(rng.random(n) < 0.01, 0.05, 0.0)
        sub_idx = w_sub[w]
        table = pa.table(
            {
                "worker": pa.DictionaryArray.from_arrays(pa.array(w), names),
                "project": pa.DictionaryArray.from_arrays(pa.array(p), p_names),
                "task": pa.array(np.arange(done, done + n, dtype="int64")).cast(pa.string()),
                "started": pa.array(start.astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
                "submitted": pa.array(end.astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
                "reward": pa.array(p_reward[p]),
                "currency": pa.DictionaryArray.from_arrays(
                    pa.array(p_gbp[p].astype("int8")), pa.array(["USD", "GBP"])
                ),
                "status": pa.DictionaryArray.from_arrays(
                    pa.array(status), pa.array(["approved", "rejected", "returned"])
                ),
                "country": pa.DictionaryArray.from_arrays(
                    pa.array(w_country[w].astype("int8")), country_names
                ),
                "subdivision": pa.DictionaryArray.from_arrays(
                    pa.array(sub_idx.astype("int8"), mask=sub_idx < 0), sub_names
                ),
                "bonus": pa.array(bonus),
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(out, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=256 * 1024)
        done += n
    if writer is not None:
        writer.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--workers", type=int, default=None, help="default rows/50")
    ap.add_argument("--projects", type=int, default=1000)
    args = ap.parse_args()
    t = time.perf_counter()
    generate(args.rows, args.out, args.seed, workers=args.workers, projects=args.projects)
    print(f"wrote {args.rows:,} rows to {args.out} in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
