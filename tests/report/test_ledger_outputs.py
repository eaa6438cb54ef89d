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
        "US 7.26 USD/h (minimum wage, statutory_minimum, prices of 2024)" in md
    )  # the bar per place, named as what it is
