"""What-if grid speed: 100k task x place x pay combinations through the Python API.

Target (issue #3): under one second, vectorised. The named alternative is the obvious loop: one
`fairpay.check()` per pay level (timed on a sample of levels and scaled up to the same grid).
Prints medians over repeated runs and the ratio.

    python benchmarks/whatif_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tomllib
from pathlib import Path

import numpy as np

import fairpay
from fairpay.prelaunch.whatif import what_if

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "vendor_transcription.toml"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    base = tomllib.loads(SPEC.read_text())
    cells = len(base["tasks"]) * len(base["workforce"])
    levels = np.linspace(0.5, 3.0, 100_000 // cells + 1)
    what_if(SPEC, scale=levels[:10])  # warm imports and data
    grid_times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        df = what_if(SPEC, scale=levels)
        grid_times.append(time.perf_counter() - t)
    sample = levels[:: max(1, len(levels) // 40)]
    loop_times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        for s in sample:
            spec = {**{k: v for k, v in base.items() if k != "project"}, **base["project"]}
            spec["tasks"] = [
                {**task, "pay_per_task": str(round(task["pay_per_task"] * s, 6))} for task in base["tasks"]
            ]
            fairpay.check(spec)
        loop_times.append((time.perf_counter() - t) * len(levels) / len(sample))
    g, lp = statistics.median(grid_times), statistics.median(loop_times)
    print(f"combinations: {len(df):,} ({cells} task x place cells x {len(levels):,} pay levels)")
    print(f"what_if (vectorised)          median {g:.3f} s over {args.repeat} runs (target < 1 s)")
    print(f"loop of check() per pay level median {lp:.1f} s (timed on {len(sample)} levels, scaled up)")
    print(f"ratio loop / vectorised: {lp / g:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
