"""Bonus files and audit tables neutralise spreadsheet formulas; `fairpay audit --report` works."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from fairpay.auditing.ledger import export_generic, export_mturk, export_prolific
from fairpay.cli import main

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '=HYPERLINK("http://evil.example","x")'


def ledger() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "worker": HOSTILE,
                "currency": "USD",
                "top_up": "1.50",
                "previously_paid": "0",
                "amount": "1.50",
                "task": "@SUM(A1)",
                "reason": "+back-pay",
            },
            {
                "worker": "W2",
                "currency": "USD",
                "top_up": "0.00",
                "previously_paid": "0",
                "amount": "0.00",
                "task": "A2",
                "reason": "none owed",
            },
        ]
    )


def cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_exports_neutralise_formulas_and_skip_workers_owed_nothing(tmp_path):
    assert export_prolific(ledger(), tmp_path / "p.csv") == 1
    assert cells(tmp_path / "p.csv") == [["'" + HOSTILE, "1.50"]]
    assert export_mturk(ledger(), tmp_path / "m.csv") == 1
    assert cells(tmp_path / "m.csv") == [
        ["WorkerId", "AssignmentId", "BonusAmount", "Reason"],
        ["'" + HOSTILE, "'@SUM(A1)", "1.50", "'+back-pay"],
    ]
    assert export_generic(ledger(), tmp_path / "g.csv") == 1
    assert cells(tmp_path / "g.csv")[1] == ["'" + HOSTILE, "USD", "1.50", "'+back-pay"]


def test_audit_cli_report_and_safe_tables(tmp_path, capsys):
    log = pd.read_csv(ROOT / "examples" / "audit_log.csv", dtype=str)
    first = log["worker"].iloc[0]
    log.loc[log["worker"] == first, "worker"] = "=cmd|' /C zqxcalc'!A0"
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    code = main(
        [
            "audit",
            str(path),
            "--fx-fallback",
            "nearest_earlier",
            "--out",
            str(tmp_path / "out"),
            "--report",
            str(tmp_path / "r.html"),
        ]
    )
    assert code in (0, 1)
    rows = cells(tmp_path / "out" / "workers.csv")
    assert not any(c.startswith(("=", "+", "@")) for row in rows for c in row)
    assert any(row[0] == "'=cmd|' /C zqxcalc'!A0" for row in rows)
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "zqxcalc" not in html  # pseudonymised by default in the shareable report
    assert "<html" in html.lower()
