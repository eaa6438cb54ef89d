"""One number everywhere: the same run shows the same figures on the console, in JSON, Markdown
and HTML, rounded by the one rule (wages down, bars and required pay up, ratios floored)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from fairpay.cli import main
from fairpay.prelaunch.check import check
from fairpay.units import figures as fig

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_TASK = "[/bar] [b]bold $x$ <script>alert(1)</script> \u202e19.0 =cmd"


def spec(task: str = "label", pay: str = "0.45", bar: str = "27.0001") -> dict:
    """USD pay against a USD hourly override bar: FX and CPI are identities, so everything is by hand."""
    return {
        "name": "one number",
        "currency": "USD",
        "policy": {"benchmark": "living"},
        "tasks": [{"name": task, "pay_per_task": pay, "seconds": 60, "volume": 1000}],
        "workforce": [{"country": "US"}],
        "benchmark_overrides": [
            {
                "country": "US",
                "amount": bar,
                "currency": "USD",
                "period": "hour",
                "source": "test figure",
                "reference_year": 2024,
            }
        ],
    }


def test_a_cell_just_below_the_bar_never_reads_as_at_it() -> None:
    # by hand: 0.45 USD per 60 s = 27.00 USD/h; bar 27.0001 USD/h; ratio 0.999996... -> 0.9999, "99%";
    # required 27.0001 x 60 / 3600 = 0.45000166... -> rounded up 0.46
    cell = check(spec()).cells_list[0]
    d = cell.to_dict()
    assert not cell.ok
    assert (d["pay_per_task"], d["effective_hourly"], d["bar_hourly"]) == ("0.45", "27.00", "27.01")
    assert d["ratio"] == "0.9999" and fig.percent_floor(cell.ratio) == "99%"
    assert d["required_pay_per_task"] == "0.46"
    assert d["shortfall_hourly"] == "0.01"  # the shown bar minus the shown wage


def test_display_rule_by_hand() -> None:
    assert fig.worker_side(Decimal("214.1199"), "KES") == Decimal("214.11")
    assert fig.bar_side(Decimal("214.1101"), "KES") == Decimal("214.12")
    assert fig.bar_side(Decimal("1162.2"), "JPY") == Decimal("1163")
    assert fig.worker_side(Decimal("0.1239"), "KWD") == Decimal("0.123")
    assert fig.percent_floor(Decimal("0.99999")) == "99%" and fig.percent_floor(Decimal("1")) == "100%"
    assert fig.share_text(Decimal("0.2301"), below=True) == "24%"
    assert fig.share_text(Decimal("0.2399"), below=False) == "23%"
    assert fig.as_given(Decimal("0.4499"), "USD") == Decimal("0.4499")  # typed pay never rounded up
    assert fig.text(Decimal("1E+3")) == "1000"


def test_frames_hold_exact_decimals_not_floats() -> None:
    df = check(spec()).cells
    for col in ("effective_hourly", "bar_hourly", "required_pay_per_task", "ratio", "pay_per_task"):
        assert all(isinstance(v, Decimal) for v in df[col]), col
    assert df["required_pay_per_task"].iloc[0] == Decimal("0.46")


def _figures(d: dict) -> list[str]:
    return [
        f"{d['pay_per_task']} USD",
        f"{d['effective_hourly']} USD",
        f"{d['bar_hourly']} USD",
        f"{d['required_pay_per_task']} USD",
    ]


def test_console_json_markdown_html_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec(task=HOSTILE_TASK)), encoding="utf-8")
    assert main(["check", str(path), "--format", "json", "--report", str(tmp_path / "r.html")]) == 1
    cell = json.loads(capsys.readouterr().out)["cells"][0]
    assert main(["check", str(path)]) == 1
    console = capsys.readouterr().out
    assert main(["check", str(path), "--format", "markdown"]) == 1
    markdown = capsys.readouterr().out
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    for figure in [*_figures(cell), "99%"]:
        assert figure in console, figure
        assert figure in markdown, figure
        assert figure in page, figure
    # the hostile name is printed literally (rich markup not applied) and the override is shown
    assert "[/bar] [b]bold $x$" in console and "<U+202E>19.0" in console
    assert "\u202e" not in console + markdown + page
    assert "<script>" not in page


def test_byte_identical_across_hash_seeds_and_folders(tmp_path: Path) -> None:
    """Two fresh processes, different PYTHONHASHSEED and working folder: the same bytes in every file."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "spec.json").write_text(json.dumps(spec(task=HOSTILE_TASK)), encoding="utf-8")
    log = (ROOT / "examples" / "audit_log.csv").read_text(encoding="utf-8")
    (src / "log.csv").write_text(log.replace("W000", "\r=cmd|' /C calc'!A0"), encoding="utf-8")
    outputs: list[dict[str, bytes]] = []
    for seed, folder in (("1", "a"), ("4242", "b/deeper")):
        cwd = tmp_path / folder
        cwd.mkdir(parents=True)
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT / "src")}
        commands = {
            "check_json": ["check", str(src / "spec.json"), "--format", "json", "--report", "check.html"],
            "check_table": ["check", str(src / "spec.json"), "--report", "check.md"],
            "audit": [
                "audit",
                str(src / "log.csv"),
                "--fx-fallback",
                "nearest_earlier",
                "--out",
                "out",
                "--bonus-file",
                "generic",
                "--report",
                "audit.html",
            ],
        }
        printed: dict[str, bytes] = {}
        for name, args in commands.items():
            proc = subprocess.run(
                [sys.executable, "-m", "fairpay", *args], cwd=cwd, env=env, capture_output=True, check=False
            )
            assert proc.returncode == 1, (
                name,
                proc.stderr,
            )  # someone is below the bar: a verdict, not a crash
            printed[f"stdout:{name}"] = proc.stdout
        files = {str(p.relative_to(cwd)): p.read_bytes() for p in sorted(cwd.rglob("*")) if p.is_file()}
        outputs.append({**files, **printed})
    assert len(outputs[0]) >= 13, sorted(outputs[0])
    assert outputs[0].keys() == outputs[1].keys()
    differ = [name for name in outputs[0] if outputs[0][name] != outputs[1][name]]
    assert differ == []
    assert not re.search(rb"\d\.\d*0000000000\d", b"".join(outputs[0].values()))  # no float noise


def test_audit_frames_hold_top_ups_as_exact_decimals() -> None:
    """The API's top-up columns are Arrow decimals: 0.30 stays 0.30 and sums exactly (no float64)."""
    from fairpay.auditing.engine import audit

    r = audit(ROOT / "examples" / "audit_log.csv", fx_fallback="nearest_earlier")
    for frame, col in ((r.workers, "top_up"), (r.worker_projects, "top_up"), (r.projects, "total_top_up")):
        assert str(frame[col].dtype).startswith("decimal128"), (col, frame[col].dtype)
        assert all(isinstance(v, Decimal) for v in frame[col])
    # one total, the same in the frame, the summary and the ledger (independent Decimal sums)
    total = sum(r.workers["top_up"].tolist(), Decimal(0))
    assert r.to_dict()["total_top_up"] == {"USD": fig.text(total)}
    assert sum((Decimal(a) for a in r.ledger()["amount"]), Decimal(0)) == total
    assert (
        sum(r.projects["total_top_up"].tolist(), Decimal(0)) >= total
    )  # per pair, before netting per worker


def test_exact_minor_column_by_hand() -> None:
    import numpy as np

    col = fig.exact_minor_column(np.array([0.1 + 0.2, 150.0, float("nan")]), np.array([2, 0, 2]))
    import pandas as pd

    assert [None if pd.isna(v) else str(v) for v in col.tolist()] == ["0.30", "150.00", None]
    # the largest minor unit given alone (the audit knows it from the pay currencies) is the same column
    alone = fig.exact_minor_column(np.array([0.1 + 0.2, 150.0, float("nan")]), 2)
    assert [None if pd.isna(v) else str(v) for v in alone.tolist()] == ["0.30", "150.00", None]
    assert str(fig.exact_minor_column(np.array([150.0]), 0).dtype).startswith("decimal128(18, 0)")


MONEY_KEYS = {
    "pay_per_task",
    "net_pay_per_task",
    "effective_hourly",
    "benchmark_hourly",
    "bar_hourly",
    "shortfall_hourly",
    "shortfall_hourly_pay",
    "required_pay_per_task",
    "uniform_rate",
    "current",
    "compliant_per_place",
    "compliant_uniform",
    "increase_per_place",
    "increase_uniform",
    "top_up",
    "total_top_up",
    "earnings",
    "earnings_local",
    "wage_local",
    "bar_local",
    "gap_local",
    "median_wage",
    "p10_wage",
    "amount",
}


def _floats_under_money_keys(node: object, key: str = "") -> list[str]:
    if isinstance(node, dict):
        return [f for k, v in node.items() for f in _floats_under_money_keys(v, str(k))]
    if isinstance(node, list):
        return [f for v in node for f in _floats_under_money_keys(v, key)]
    return [f"{key}={node!r}"] if key in MONEY_KEYS and isinstance(node, (float, int)) else []


def test_no_money_leaves_as_a_json_number(tmp_path: Path) -> None:
    from fairpay.auditing.engine import audit
    from fairpay.report.document import report_json

    checked = check(ROOT / "examples" / "image_labelling.toml")
    audited = audit(ROOT / "examples" / "audit_log.csv", fx_fallback="nearest_earlier")
    for doc in (
        json.loads(checked.to_json()),
        json.loads(report_json(checked)),
        audited.to_dict(),
        json.loads(report_json(audited)),
    ):
        assert _floats_under_money_keys(doc) == []
    assert (
        main(
            [
                "audit",
                str(ROOT / "examples" / "audit_log.csv"),
                "--fx-fallback",
                "nearest_earlier",
                "--out",
                str(tmp_path / "o"),
                "--format",
                "json",
            ]
        )
        == 1
    )
    for path in sorted((tmp_path / "o").glob("*.json")):
        assert _floats_under_money_keys(json.loads(path.read_text(encoding="utf-8"))) == [], path.name


def test_exact_minor_column_across_chunks() -> None:
    # longer than one conversion chunk (2**20 floats): every amount, on both sides of each chunk
    # edge, is its own whole number of cents (cents written as integers first, then divided)
    import numpy as np

    cents = np.arange(-(2**20) - 3, 2**20 + 5, dtype=np.int64) * 7
    col = fig.exact_minor_column(cents / 100, np.full(len(cents), 2))
    got = col.tolist()
    for i in (0, 2**20 - 1, 2**20, 2**20 + 3, 2 * 2**20 + 7, len(cents) - 1):
        assert got[i] == Decimal(int(cents[i])) / 100
