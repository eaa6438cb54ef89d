"""Bonus reasons name the bar actually used; the audit's period reaches every output."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def minimum_audit():  # noqa: ANN201
    from fairpay.auditing.engine import audit

    return audit(ROOT / "examples" / "audit_log.csv", fx_fallback="nearest_earlier", kind="minimum")


def test_bonus_reason_names_the_minimum_wage_under_kind_minimum(minimum_audit) -> None:  # noqa: ANN001
    reasons = set(minimum_audit.ledger()["reason"])
    assert reasons == {"Back-pay so that your pay for this work reaches the minimum wage where you live."}


def test_audit_period_is_stated(minimum_audit) -> None:  # noqa: ANN001
    # examples/audit_log.csv: first row accepted 2024-03-04T09:53:52Z; the last submission is the max
    import pandas as pd

    from fairpay.report.document import report_markdown

    log = pd.read_csv(ROOT / "examples" / "audit_log.csv")
    first = pd.to_datetime(log["started"], utc=True).min().strftime("%Y-%m-%dT%H:%M:%SZ")
    last = pd.to_datetime(log["submitted"], utc=True).max().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert minimum_audit.period == (first, last)
    assert minimum_audit.to_dict()["period"] == {"from": first, "to": last}
    md = report_markdown(minimum_audit)
    assert f"Audit period: {first} to {last}" in md
    assert md.splitlines()[0] == f"# fairpay audit: audit_log.csv, {first[:10]} to {last[:10]}"
    assert (
        "US 7.25 USD/h (minimum wage, statutory_minimum, prices of" in md
    )  # the bar per place, named as what it is


def test_cli_report_pseudonyms_join_with_the_pseudonymised_ledger(tmp_path: Path) -> None:
    import csv

    from fairpay.auditing.ledger import pseudonym
    from fairpay.cli import main

    key = tmp_path / "key"
    key.write_bytes(b"a-secret-key-of-32-bytes-length!\n")
    out = tmp_path / "out"
    args = ["audit", str(ROOT / "examples" / "audit_log.csv"), "--fx-fallback", "nearest_earlier"]
    code = main(
        [*args, "--out", str(out), "--pseudonymize-key-file", str(key), "--report", str(tmp_path / "r.md")]
    )
    assert code == 1
    with (out / "ledger.csv").open(newline="", encoding="utf-8") as fh:
        ledger = {row["worker"]: row for row in csv.DictReader(fh)}
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    section = md.split("## Workers below the bar", 1)[1].split("\n## ", 1)[0]
    listed = [
        line.split(" | ")[0].lstrip("| ")
        for line in section.splitlines()
        if line.startswith("| ") and "---" not in line
    ][1:]
    assert listed, section
    for p in listed:  # every pseudonym in the report is a row of the ledger, with a top-up owed
        assert p in ledger and ledger[p]["amount"] != "0.00"
    # and it is the keyed HMAC of a real id (the same key, stripped of its newline)
    assert pseudonym("W000", b"a-secret-key-of-32-bytes-length!") in ledger
