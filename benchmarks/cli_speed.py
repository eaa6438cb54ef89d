"""CLI start-up budget: `fairpay check EXAMPLE` vs a bare `python -c "import pandas"`.

Target (issue #3): the check, from the shell, takes at most 1.5x the time of importing pandas.
Both commands run alternately in fresh processes, so load on a shared machine hits both alike;
the script prints medians and the ratio of medians.

    python benchmarks/cli_speed.py [--runs 15]

Run it with fairpay installed as the README's first command installs it (``pip install .``):
an editable install where ``PYTHONDONTWRITEBYTECODE`` is set compiles fairpay's own modules at
every start (~0.06 s more here), which a user's install does not. The script prints which it ran.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed


def _installed(fairpay: str) -> str:
    """Where the ``fairpay`` command's package lives, and whether its bytecode is cached there."""
    probe = (
        "import fairpay, os, sys; d = os.path.dirname(fairpay.__file__); "
        "print(d, 'bytecode cached' if os.path.isdir(os.path.join(d, '__pycache__')) else "
        "'NO bytecode cache (modules compiled at every start)')"
    )
    python = Path(fairpay).with_name("python")
    out = subprocess.run(
        [str(python if python.exists() else sys.executable), "-c", probe], capture_output=True, text=True
    )
    return out.stdout.strip() or out.stderr.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    fairpay = shutil.which("fairpay") or str(Path(sys.executable).with_name("fairpay"))
    commands = {"python -c 'import pandas'": [sys.executable, "-c", "import pandas"]}
    for spec in sorted((ROOT / "examples").glob("*.toml")):
        commands[f"fairpay check examples/{spec.name}"] = [fairpay, "check", str(spec)]
    for cmd in commands.values():  # warm the file cache once
        timed(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(timed(cmd))
    base = statistics.median(next(iter(times.values())))
    print(f"{'command':<52} {'median s':>9} {'min s':>7} {'ratio':>6}")
    worst = 0.0
    for name, values in times.items():
        med = statistics.median(values)
        ratio = med / base
        if name.startswith("fairpay"):
            worst = max(worst, ratio)
        print(f"{name:<52} {med:>9.3f} {min(values):>7.3f} {ratio:>6.2f}")
    print(f"worst ratio {worst:.2f} (target <= {TARGET}); runs={args.runs}, interleaved")
    print(f"fairpay: {_installed(fairpay)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
