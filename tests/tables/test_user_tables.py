"""Issue #7 done-when: an imported user table changes `fairpay check`'s benchmark, visibly cited."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEADER = (
    "country,subdivision,area,locality,household,household_detail,amount,currency,period,gross_net,"
    "hours_per_week,reference_year,reference_month,method,method_detail,confidence,source_name,"
    "source_url,retrieved_from,notes"
)
ROW = (
    "KE,,national,Nairobi (licensed study),typical_family,,100000,KES,month,gross,40,2024,,"
    "wageindicator,wageindicator,high,Licensed WageIndicator 2024 Kenya table,"
    'https://example.org/licensed-ke-2024,licence file,"test row"'
)

SPEC = """
[project]
name = "ke"
currency = "USD"
[policy]
benchmark = "living"
inflate = false
[[tasks]]
name = "t"
pay_per_task = 0.10
seconds = 60
volume = 10
[[workforce]]
country = "KE"
"""


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fairpay", *args], capture_output=True, text=True, env=env, cwd=cwd
    )


def test_imported_table_changes_the_check_and_is_cited(tmp_path):
    import os

    env = {**os.environ, "FAIRPAY_DATA_DIR": str(tmp_path / "data")}
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    before = run(["check", str(spec), "--format", "json"], env, tmp_path)
    assert before.returncode == 0, before.stderr  # 0.10 USD/min is far above the bundled Kenyan figure
    cell = json.loads(before.stdout)["cells"][0]
    assert cell["benchmark"]["origin"] == "bundled"

    table = tmp_path / "ke.csv"
    table.write_text(HEADER + "\n" + ROW + "\n")
    imported = run(["data", "import", "living_wages", str(table)], env, tmp_path)
    assert imported.returncode == 0, imported.stderr

    after = run(["check", str(spec), "--format", "json"], env, tmp_path)
    out = json.loads(after.stdout)
    cell = out["cells"][0]
    assert cell["benchmark"]["origin"] == "user"
    assert cell["benchmark"]["source"] == "Licensed WageIndicator 2024 Kenya table"
    assert cell["benchmark"]["url"] == "https://example.org/licensed-ke-2024"
    # 100000 KES/month over 40 h x 52 / 12 = 576.92 KES/h
    assert cell["benchmark_hourly"] == "576.93"  # 100000 / (40 x 52 / 12) = 576.923..., shown rounded up
    table_out = run(["check", str(spec)], env, tmp_path)
    assert "Licensed WageIndicator 2024 Kenya table" in table_out.stdout

    reset = run(["data", "reset"], env, tmp_path)  # a plain reset keeps imports
    assert reset.returncode == 0, reset.stderr
    kept = json.loads(run(["check", str(spec), "--format", "json"], env, tmp_path).stdout)
    assert kept["cells"][0]["benchmark"]["origin"] == "user"
    reset = run(["data", "reset", "--imports"], env, tmp_path)
    assert reset.returncode == 0, reset.stderr
    again = json.loads(run(["check", str(spec), "--format", "json"], env, tmp_path).stdout)
    assert again["cells"][0]["benchmark"]["origin"] == "bundled"
