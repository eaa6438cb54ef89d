"""Monitoring pay reports: shares below the bar per period, trend, shortfall cost (hand-computed)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from fairpay.errors import InvalidDataError, InvalidInputError
from fairpay.vendors.monitoring import monitor_vendor as monitor

# Bars (conftest): KE 200 KES/h, IN 100 INR/h.
REPORT = """period,country,subdivision,workers,hours_paid,hours_unpaid,gross_pay,deductions,currency
2025-02,KE,,10,1600,140,352000,0,KES
2025-01,KE,,10,1600,140,288000,0,KES
2025-01,KE,,5,800,0,176000,0,KES
2025-01,IN,,4,640,,70400,6400,INR
2025-02,IN,,4,640,0,70400,6401,INR
"""


def _write(tmp_path: Path, text: str, name: str = "report.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_shares_below_and_shortfall_per_period(tmp_path, bench, rates, policy):
    m = monitor(_write(tmp_path, REPORT), policy=policy, benchmarks=bench, rates=rates)
    assert [p.period for p in m.periods] == ["2025-01", "2025-02"]  # sorted by label
    jan, feb = m.periods
    # Jan: KE group of 10: 288000 / 1740 h = 165.5 < 200 -> below; group of 5: 176000 / 800 = 220 ok;
    # IN: (70400 - 6400) / 640 = 100.00 = the bar -> not below (at the bar passes)
    assert (jan.workers, jan.workers_below) == (19, 10)
    assert jan.share_workers_below == Decimal(10) / 19
    assert (jan.hours, jan.hours_below) == (Decimal(3180), Decimal(1740))
    assert jan.share_hours_below == Decimal(1740) / 3180
    # shortfall 200 x 1740 - 288000 = 60000 KES
    assert jan.shortfall == {"KES": Decimal("60000.00")}
    # Feb: KE 352000 / 1740 = 202.3 ok; IN (70400 - 6401) / 640 = 99.998 < 100 -> below, short 1.00 INR
    assert (feb.workers, feb.workers_below) == (14, 4)
    assert feb.share_hours_below == Decimal(640) / 2380
    assert feb.shortfall == {"INR": Decimal("1.00")}
    assert not m.ok
    trend = m.trend()
    assert trend[1]["direction"] == "better"
    assert trend[1]["change_workers_below"] == Decimal(4) / 14 - Decimal(10) / 19
    assert any("lower bounds" in w for w in m.warnings)  # aggregated rows are said to hide people


def test_worker_level_rows_round_each_shortfall_up_and_never_show_ids(tmp_path, bench, rates, policy):
    from fairpay.vendors.documents import monitoring_document, render_document as render

    text = (
        "period,country,worker,hours_paid,gross_pay,currency\n"
        "2025-01,KE,secret-id-alpha,3,599.99,KES\n"  # 199.996/h: short 0.01
        "2025-01,KE,secret-id-beta,3,599.995,KES\n"  # short 0.005 -> 0.01 (rounded up per worker)
        "2025-01,KE,secret-id-gamma,3,600,KES\n"  # exactly at the bar
    )
    m = monitor(_write(tmp_path, text), policy=policy, benchmarks=bench, rates=rates)
    p = m.periods[0]
    assert (p.workers, p.workers_below) == (3, 2)
    assert p.shortfall == {"KES": Decimal("0.02")}
    assert m.ok is False and m.worker_level and not m.aggregated
    doc = monitoring_document(m, data_vintage=False)
    for fmt in ("markdown", "html", "json"):
        assert "secret-id" not in render(doc, fmt)


def test_one_row_per_worker_and_period(tmp_path, bench, rates, policy):
    text = "period,country,worker,hours_paid,gross_pay,currency\n2025-01,KE,w1,3,900,KES\n2025-01,KE,w1,3,900,KES\n"
    with pytest.raises(InvalidDataError, match="line 3, column 'worker': the same worker appears again"):
        monitor(_write(tmp_path, text), policy=policy, benchmarks=bench, rates=rates)


def test_passing_series_is_ok(tmp_path, bench, rates, policy):
    text = "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,2,10,2000,KES\n"
    m = monitor(_write(tmp_path, text), policy=policy, benchmarks=bench, rates=rates)
    assert m.ok and m.periods[0].shortfall == {}


def test_rows_in_another_currency_are_converted(tmp_path, bench, rates, policy):
    # KE workers paid in USD: 10 h x 1.50 USD = 15 USD = 1875 KES -> 187.5 KES/h < 200
    # shortfall 200 / 125 x 10 - 15 = 1.00 USD
    text = "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,1,10,15,USD\n"
    m = monitor(_write(tmp_path, text), policy=policy, benchmarks=bench, rates=rates)
    assert m.periods[0].shortfall == {"USD": Decimal("1.00")}


BAD = [
    ("period,country,workers,hours_paid,currency\n", "missing column(s) gross_pay"),
    ("period,country,workers,hours_paid,gross_pay,currency,pay\n", "unknown column(s) pay"),
    ("period,country,hours_paid,gross_pay,currency\n2025-01,KE,1,1,KES\n", "not neither"),
    ("period,country,worker,workers,hours_paid,gross_pay,currency\n", "not both"),
    (
        "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,2.5,1,1,KES\n",
        "line 2, column 'workers'",
    ),
    (
        "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,0,1,1,KES\n",
        "line 2, column 'workers'",
    ),
    (
        "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,1,-1,1,KES\n",
        "line 2, column 'hours_paid'",
    ),
    (
        "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,1,x,1,KES\n",
        "line 2, column 'hours_paid'",
    ),
    (
        "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,1,1,NaN,KES\n",
        "line 2, column 'gross_pay'",
    ),
    (
        "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,1,1,1,KSH\n",
        "line 2, column 'currency'",
    ),
    (
        "period,country,workers,hours_paid,gross_pay,currency\n2025-01,Narnia,1,1,1,KES\n",
        "line 2, column country",
    ),
    ("period,country,workers,hours_paid,gross_pay,currency\n,KE,1,1,1,KES\n", "line 2, column 'period'"),
    (
        "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,1,0,1,KES\n",
        "line 2, columns 'hours_paid' + 'hours_unpaid': no hours",
    ),
    (
        "period,country,workers,hours_paid,gross_pay,deductions,currency\n2025-01,KE,1,1,1,2,KES\n",
        "line 2, column 'deductions'",
    ),
    ("period,country,workers,hours_paid,gross_pay,currency\n", "no rows"),
    (
        "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,1,1,1e400,KES\n",
        "line 2, column 'gross_pay'",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD, ids=range(len(BAD)))
def test_bad_pay_reports_name_line_and_column(tmp_path, bench, rates, policy, text, expected):
    p = _write(tmp_path, text)
    with pytest.raises(InvalidInputError if "line" not in expected else InvalidDataError) as exc:
        monitor(p, policy=policy, benchmarks=bench, rates=rates)
    assert expected in str(exc.value)
    assert str(p) in str(exc.value)


def test_every_bad_row_is_listed_at_once(tmp_path, bench, rates, policy):
    text = (
        "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,x,1,1,KES\n2025-01,KE,1,1,1,???\n"
    )
    with pytest.raises(InvalidDataError) as exc:
        monitor(_write(tmp_path, text), policy=policy, benchmarks=bench, rates=rates)
    assert len(exc.value.failures) == 2


def test_audit_rows_feed_monitoring(tmp_path, bench, rates, policy):
    """Worker-level rows from an audit of a submission log (through the audit's presets)."""
    import fairpay

    log = tmp_path / "log.csv"
    log.write_text(
        "worker,project,task,started,submitted,reward,currency,status,country\n"
        "real-id-1,p,t1,2024-03-04T09:00:00Z,2024-03-04T10:00:00Z,150,KES,approved,KE\n"
        "real-id-2,p,t2,2024-03-04T09:00:00Z,2024-03-04T10:00:00Z,250,KES,approved,KE\n",
        encoding="utf-8",
    )
    result = fairpay.audit(log, benchmarks=bench, rates=rates, kind="living", inflate=False, year=2024)
    from fairpay.vendors.monitoring import audit_rows

    rows = audit_rows(result, "2024-03")
    assert [r["worker"] for r in rows] == ["worker-0001", "worker-0002"]
    m = monitor(rows, policy=policy, benchmarks=bench, rates=rates)
    # worker 1: 150 KES in 1 h < 200 -> short 50.00; worker 2: 250 KES/h ok
    assert (m.periods[0].workers, m.periods[0].workers_below) == (2, 1)
    assert m.periods[0].shortfall == {"KES": Decimal("50.00")}


def test_one_worker_below_never_reads_zero_percent(tmp_path, bench, rates, policy):
    from fairpay.vendors.documents import monitoring_document

    text = "period,country,workers,hours_paid,gross_pay,currency\n2025-01,KE,9999,10,20000,KES\n2025-01,KE,1,10,1999,KES\n"
    m = monitor(_write(tmp_path, text), policy=policy, benchmarks=bench, rates=rates)
    row = monitoring_document(m, data_vintage=False)["tables"][0]["rows"][0]
    assert row[2] == "1" and row[3] == "0.1%"  # 1 / 10000 = 0.01 %, shown rounded up


def test_non_iso_period_labels_are_warned_about(tmp_path, bench, rates, policy):
    text = "period,country,workers,hours_paid,gross_pay,currency\nJan 2025,KE,1,1,300,KES\nFeb 2025,KE,1,1,300,KES\n"
    m = monitor(_write(tmp_path, text), policy=policy, benchmarks=bench, rates=rates)
    assert [p.period for p in m.periods] == ["Feb 2025", "Jan 2025"]  # text order, hence the warning
    assert any("not an ISO label" in w for w in m.warnings)
    iso = "period,country,workers,hours_paid,gross_pay,currency\n2025-Q1,KE,1,1,300,KES\n2025-Q2,KE,1,1,300,KES\n"
    m = monitor(_write(tmp_path, iso, "iso.csv"), policy=policy, benchmarks=bench, rates=rates)
    assert not any("ISO" in w for w in m.warnings)
