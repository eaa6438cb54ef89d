"""The built wheel ships the benchmark tables and loads them from site-packages, not the checkout.

Why: in a dev (editable) install ``fairpay.tables.load`` falls back to ``<repo>/data``; only a real wheel
in a clean venv proves the force-include in pyproject.toml works.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_and_loads_bundled_data(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    wheels = list(dist.glob("fairpay-*.whl"))
    assert len(wheels) == 1
    # the version is written once, in the package (pyproject reads it from there)
    from fairpay import __version__

    assert wheels[0].name.startswith(f"fairpay-{__version__}-")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    # The wheel with its declared runtime dependencies (pip's cache makes this quick after CI's own
    # install): a dependency missing from pyproject.toml fails here.
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheels[0])],
        check=True,
        capture_output=True,
        text=True,
    )

    snippet = (
        "import json, sysconfig, fairpay.tables.load as d\n"
        "t = d.load('living_wages')\n"
        "print(json.dumps({'location': t.location, 'rows': len(t.rows), 'origin': t.origin,\n"
        "  'purelib': sysconfig.get_paths()['purelib'],\n"
        "  'all': {k: len(d.load(k).rows) for k in d.TABLES}}))\n"
    )
    import os

    # no user cache; no PYTHONPATH, which would put a source checkout ahead of the installed wheel
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["FAIRPAY_DATA_DIR"] = str(tmp_path / "fairpay-data")
    out = subprocess.run(
        [str(python), "-c", snippet], check=True, capture_output=True, text=True, cwd=tmp_path, env=env
    )
    result = json.loads(out.stdout)

    location = Path(result["location"]).resolve()
    site = Path(result["purelib"]).resolve()
    assert location.is_relative_to(site)
    assert not location.is_relative_to(REPO.resolve())
    assert location == site / "fairpay" / "_data" / "wage_benchmarks" / "living_wages.csv"
    assert result["origin"] == "bundled"

    def count(name: str) -> int:
        with open(REPO / "data" / "wage_benchmarks" / f"{name}.csv", encoding="utf-8", newline="") as fh:
            return sum(1 for _ in csv.DictReader(fh))

    assert result["rows"] == count("living_wages") == 134  # 104 seed rows + the 30 added in 2026-12
    assert result["all"] == {name: count(name) for name in result["all"]}

    # The done-when, from the installed console script: an hourly KES living wage with its
    # source, year and hours basis.
    script = python.parent / ("fairpay.exe" if sys.platform == "win32" else "fairpay")
    cli = subprocess.run(
        [str(script), "benchmarks", "Kenya", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert cli.returncode == 0, cli.stderr
    bench = json.loads(cli.stdout)
    assert bench["currency"] == "KES" and bench["kind"] == "living"
    assert float(bench["hourly"]) > 0 and bench["source"] and bench["url"].startswith("http")
    assert bench["reference_year"] >= 2019 and bench["hours_per_week"]
