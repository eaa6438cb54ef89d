"""End-to-end tests of ``fairpay time`` through ``fairpay.cli.main`` (exit codes 0 / 1 / 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairpay.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pilot_boxes.csv"


def write(tmp_path: Path, text: str, name: str = "pilot.csv") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_example_pilot_table(capsys) -> None:
    assert main(["time", str(EXAMPLE), "--worker-column", "worker_id"]) == 0
    out = capsys.readouterr().out
    df = pd.read_csv(EXAMPLE)
    medians = df.groupby("worker_id")["seconds"].median().to_numpy()
    assert f"p75: {np.percentile(medians, 75):.1f} s" in out
    assert f"from {df['worker_id'].nunique()} workers" in out
    assert "advice:" in out


def test_json_matches_independent_numpy(capsys, tmp_path) -> None:
    times = [12.0, 30.5, 41.0, 22.0, 18.0, 60.0, 25.0, 33.0, 29.0, 15.0, 44.0, 27.0]
    path = write(tmp_path, "seconds\n" + "\n".join(map(str, times)) + "\n")
    assert main(["time", path, "--statistic", "median", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["estimate"]["value"] == pytest.approx(float(np.median(times)))
    assert d["estimate"]["statistic"] == "median"
    assert d["estimate"]["ci_low"] <= d["estimate"]["value"] <= d["estimate"]["ci_high"]
    assert isinstance(d["advice"], str) and d["workers_needed"] >= 10


def test_pay_and_bar_exit_codes(capsys, tmp_path) -> None:
    path = write(tmp_path, "seconds\n10\n20\n30\n40\n")
    # p75 = 32.5 s; 0.10 per task -> 0.1 * 3600 / 32.5 = 11.08/h < 18/h: underpaid -> exit 1
    assert main(["time", path, "--pay", "0.10", "--bar", "18", "--format", "json"]) == 1
    d = json.loads(capsys.readouterr().out)["pay"]
    assert d["effective_hourly_at_statistic"] == pytest.approx(0.1 * 3600 / 32.5)
    assert d["coverage"] == 0.5  # 10 s and 20 s workers reach 18/h (limit 20 s)
    assert d["pay_for_target_share"] == pytest.approx(0.15)  # 3rd fastest: 18 * 30 / 3600
    assert d["reaches_bar_at_statistic"] is False
    # 0.1625 per task is exactly 18/h at 32.5 s: reaching the bar exactly is OK -> exit 0
    assert main(["time", path, "--pay", "0.1625", "--bar", "18"]) == 0
    out = capsys.readouterr().out
    assert "18.00/h at the p75 time" in out and "75% of pilot times reach the bar" in out


def test_overhead_counts_against_the_rate(capsys, tmp_path) -> None:
    path = write(tmp_path, "seconds\n10\n20\n30\n40\n")
    # with 7.5 s unpaid overhead, 0.1625 pays 0.1625 * 3600 / 40 = 14.6/h < 18
    assert main(["time", path, "--pay", "0.1625", "--bar", "18", "--overhead", "7.5"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize(
    ("argv", "csv", "needle"),
    [
        (["--column", "secs"], "seconds\n1\n2\n", "column 'secs' not found"),
        ([], "seconds\n10\n-5\n", "item 1 is -5.0"),
        ([], "seconds\n10\nabc\n", "item 1 is 'abc'"),
        ([], "seconds\n0\n0\n", "all 2 times are 0 seconds"),
        ([], "seconds\n", "no times given"),
        (["--statistic", "p200"], "seconds\n1\n2\n", "statistic: got 'p200'"),
        (["--pay", "0.5"], "seconds\n1\n2\n", "--pay and --bar go together"),
        (["--pay", "abc", "--bar", "15"], "seconds\n1\n2\n", "--pay: got 'abc'"),
        (["--pay", "1", "--bar", "0"], "seconds\n1\n2\n", "--bar: got 0"),
        (["--format", "xml"], "seconds\n1\n2\n", "--format: got 'xml'"),
        (["--worker-column", "who"], "seconds\n1\n2\n", "worker_column 'who' not found"),
        (["--confidence", "2"], "seconds\n1\n2\n", "confidence: got 2.0"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, argv, csv, needle) -> None:
    path = write(tmp_path, csv)
    assert main(["time", path, *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fairpay: error:") and "\n" not in err
    assert needle in err


def test_missing_file_exits_2(capsys, tmp_path) -> None:
    assert main(["time", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "file not found" in err


def test_required_pay_is_displayed_rounded_up(capsys, tmp_path) -> None:
    path = write(tmp_path, "seconds\n10\n20\n30.97\n40\n")
    # p75 coverage: 3rd fastest 30.97 s at 7/h -> 7 * 30.97 / 3600 = 0.060219... -> shown 0.0603, not 0.0602
    assert main(["time", path, "--pay", "1", "--bar", "7"]) == 0
    assert "to reach the bar: 0.0603 per task" in capsys.readouterr().out
