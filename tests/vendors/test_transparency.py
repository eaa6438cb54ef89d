"""The company transparency report over a portfolio folder: totals computed by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from fairpay.errors import InvalidInputError
from fairpay.vendors.documents import render_document as render, transparency_document
from fairpay.vendors.transparency import load_portfolio, portfolio_figures

SPEC = """
[project]
name = "{name}"
currency = "USD"
[policy]
benchmark = "living"
inflate = false
[[tasks]]
name = "t"
pay_per_task = {pay}
seconds = 60
volume = 10
[[workforce]]
country = "US"
"""
AUDIT = {
    "ok": False,
    "workers": 3,
    "workers_below": 1,
    "projects": [{"project": "Audited project"}],
    "worker_table": [
        {
            "worker": "secret-worker-1",
            "country": "KE",
            "hours": 2.0,
            "below": False,
            "top_up": 0.0,
            "pay_currency": "USD",
        },
        {
            "worker": "secret-worker-2",
            "country": "KE",
            "hours": 1.5,
            "below": True,
            "top_up": 1.245,
            "pay_currency": "USD",
        },
        {
            "worker": "secret-worker-3",
            "country": "IN",
            "hours": 0.5,
            "below": False,
            "top_up": 0.0,
            "pay_currency": "USD",
        },
    ],
}
# Bars (conftest): KE 200 KES/h, IN 100 INR/h, US 20 USD/h.
REPORT = """vendor,period,country,workers,hours_paid,gross_pay,currency
Test Vendor,2025-01,KE,10,100,15000,KES
Test Vendor,2025-02,KE,12,120,24000,KES
Test Vendor,2025-02,IN,3,30,3000,INR
"""


def _folder(tmp_path: Path, disclosure_text: str, bench) -> Path:
    root = tmp_path / "portfolio"
    (root / "projects").mkdir(parents=True)
    (root / "vendors").mkdir()
    (root / "projects" / "a.toml").write_text(
        SPEC.format(name="Passing project", pay="1.00"), encoding="utf-8"
    )
    import fairpay

    failing = fairpay.check(
        __import__("tomllib").loads(SPEC.format(name="Failing project", pay="0.10")), benchmarks=bench
    )
    (root / "projects" / "b_check.json").write_text(failing.to_json(), encoding="utf-8")
    (root / "audit.json").write_text(json.dumps(AUDIT), encoding="utf-8")
    (root / "paid.csv").write_text("worker,currency,amount\nsecret-worker-2,USD,1.00\n", encoding="utf-8")
    (root / "vendors" / "test_vendor.toml").write_text(disclosure_text, encoding="utf-8")
    (root / "vendors" / "reports.csv").write_text(REPORT, encoding="utf-8")
    (root / "README.md").write_text("skipped", encoding="utf-8")
    (root / ".hidden.csv").write_text("garbage", encoding="utf-8")
    return root


def test_portfolio_totals(tmp_path, bench, rates, policy, disclosure_text):
    p = load_portfolio(
        _folder(tmp_path, disclosure_text, bench), name="ACME", policy=policy, benchmarks=bench, rates=rates
    )
    f = portfolio_figures(p)
    assert f["projects"] == 3  # Passing, Failing, Audited project
    assert f["vendors"] == 1  # the disclosure and the pay reports name the same vendor
    assert (f["checks"], f["checks_passed"]) == (2, 1)
    by = {c["country"]: c for c in f["by_country"]}
    # KE: audit 2 workers (1 below, 1.5 h) + latest period 12 workers (24000 / 120 = 200: at the bar)
    # hours: audit 3.5 + reports 100 (Jan: 150/h, below) + 120
    assert (by["KE"]["workers"], by["KE"]["workers_at_or_above"]) == (14, 13)
    assert Decimal(by["KE"]["hours"]) == Decimal("223.5")
    assert Decimal(by["KE"]["hours_at_or_above"]) == Decimal("122")
    # IN: audit 1 worker 0.5 h + 3 workers 30 h at 100 INR/h (at the bar)
    assert (by["IN"]["workers"], by["IN"]["workers_at_or_above"]) == (4, 4)
    assert Decimal(by["IN"]["hours"]) == Decimal("30.5")
    assert f["workers"] == 18 and f["workers_at_or_above"] == 17
    assert f["share_workers_at_or_above"] == "0.9444"  # 17 / 18 = 0.94444 rounded down
    # hours at or above: KE 122 + IN 30.5 = 152.5 of 254 = 0.600393... -> 0.6003
    assert f["share_hours_at_or_above"] == "0.6003"
    assert f["share_checks_passed"] == "0.5000"
    # top-ups: audit proposed 1.245 -> 1.25 USD (rounded up); paid 1.00; vendor shortfall Jan 200 x 100 - 15000
    assert f["top_ups"]["USD"] == {"proposed": "1.25", "vendor_shortfall": "0", "paid": "1.00"}
    assert f["top_ups"]["KES"]["vendor_shortfall"] == "5000.00"
    assert f["vendor_checks"][0]["answered"] == 33 and f["vendor_checks"][0]["asked"] == 38
    assert f["gaps_by_phase"]["monitoring"] == [
        "Test Vendor / KE: typical_hours_per_week",
        "Test Vendor / IN: typical_hours_per_week",
    ]
    assert not f["ok"]
    assert f["files"]["pay_reports"] == ["vendors/reports.csv"]


def test_report_is_deterministic_and_names_nobody(tmp_path, bench, rates, policy, disclosure_text):
    root = _folder(tmp_path, disclosure_text, bench)
    texts = []
    for _ in range(2):
        doc = transparency_document(
            load_portfolio(root, name="ACME", policy=policy, benchmarks=bench, rates=rates)
        )
        texts.append([render(doc, fmt) for fmt in ("markdown", "html", "json")])
    assert texts[0] == texts[1]
    for text in texts[0]:
        assert "secret-worker" not in text
    assert "Test Vendor" in texts[0][0] and "Passing project" in texts[0][0]


def test_unknown_files_are_errors_not_skipped(tmp_path, bench, disclosure_text):
    root = _folder(tmp_path, disclosure_text, bench)
    (root / "notes.toml").write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="notes.toml: not a project spec"):
        load_portfolio(root, benchmarks=bench)
    (root / "notes.toml").unlink()
    (root / "data.xlsx").write_bytes(b"x")
    with pytest.raises(InvalidInputError, match="data.xlsx: unknown file type"):
        load_portfolio(root, benchmarks=bench)


def test_bad_file_inside_is_named(tmp_path, bench, disclosure_text):
    root = _folder(tmp_path, disclosure_text, bench)
    (root / "vendors" / "test_vendor.toml").write_text(
        disclosure_text.replace("pay_rate = 180", "pay_rate = -1"), encoding="utf-8"
    )
    with pytest.raises(Exception) as exc:
        load_portfolio(root, benchmarks=bench)
    assert "test_vendor.toml" in str(exc.value) and "locations[0].pay_rate" in str(exc.value)


def test_empty_or_missing_folder(tmp_path):
    with pytest.raises(InvalidInputError, match="not a folder"):
        load_portfolio(tmp_path / "nope")
    with pytest.raises(InvalidInputError, match="no project specs"):
        load_portfolio(tmp_path)


def test_audit_output_folder_is_read_as_one_audit(tmp_path, capsys):
    """``fairpay audit --out DIR`` inside the portfolio: counted from workers.csv, its ledger (proposed
    back-pay) never mistaken for payments made."""
    from fairpay.cli import main

    root = tmp_path / "portfolio"
    out = root / "audits" / "bbox"
    log = Path(__file__).resolve().parents[2] / "examples" / "audit_log.csv"
    assert main(["audit", str(log), "--fx-fallback", "nearest_earlier", "--out", str(out)]) == 1
    capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    f = portfolio_figures(load_portfolio(root))
    assert f["files"]["audits"] == ["audits/bbox/"]
    assert f["workers"] == summary["workers"]
    assert f["workers_at_or_above"] == summary["workers"] - summary["workers_below"]
    assert (
        f["top_ups"]["USD"]["proposed"]
        == f"{Decimal(str(summary['total_top_up']['USD'])).quantize(Decimal('0.01'))}"
    )
    assert f["top_ups"]["USD"]["paid"] == "0"
    assert f["files"]["payments"] == []


def test_a_place_without_benchmark_names_the_file(tmp_path, bench):
    root = tmp_path / "p"
    root.mkdir()
    (root / "spec.toml").write_text(
        SPEC.format(name="x", pay="1").replace('country = "US"', 'country = "FR"'), encoding="utf-8"
    )
    with pytest.raises(InvalidInputError) as exc:
        load_portfolio(root, benchmarks=bench)
    assert "spec.toml" in str(exc.value) and "FR" in str(exc.value)


def test_a_folder_of_specs_only(tmp_path, bench):
    root = tmp_path / "p"
    root.mkdir()
    (root / "spec.toml").write_text(SPEC.format(name="only", pay="1.00"), encoding="utf-8")
    doc = transparency_document(load_portfolio(root, benchmarks=bench), data_vintage=False)
    f = doc["numbers"]
    assert (
        f["workers"] == 0 and f["share_workers_at_or_above"] is None and f["share_hours_at_or_above"] is None
    )
    assert f["disclosure_completeness"] == {"answered": 0, "asked": 0, "share": None}
    assert doc["ok"] and "hours at or above the bar: none reported" in doc["verdict"]["detail"][2]
    render(doc, "html")


def test_overall_disclosure_completeness(tmp_path, bench, rates, policy, disclosure_text):
    f = portfolio_figures(
        load_portfolio(
            _folder(tmp_path, disclosure_text, bench), policy=policy, benchmarks=bench, rates=rates
        )
    )
    assert f["disclosure_completeness"] == {"answered": 33, "asked": 38, "share": "0.8684"}  # 33/38 = 0.86842


def test_project_specs_are_checked_with_the_portfolios_exchange_rates(tmp_path, bench, rates) -> None:
    # a US project paid in KES: 42 KES a 60-second task is 2,520 KES an hour, against a bar of
    # 20 USD/h. At the test rates (125 KES per USD) that is 20.16 USD/h (passes); at 200 KES per
    # USD it is 12.60 USD/h (fails). The portfolio's rates must reach the spec's check.
    from fairpay.units.fx import ExchangeRates

    root = tmp_path / "portfolio"
    root.mkdir()
    spec = SPEC.format(name="Paid in shillings", pay="42").replace('currency = "USD"', 'currency = "KES"')
    (root / "kes.toml").write_text(spec, encoding="utf-8")
    dear = ExchangeRates([{"currency": "KES", "year": 2024, "lcu_per_usd": "200"}])
    cheap = load_portfolio(root, benchmarks=bench, rates=rates)
    costly = load_portfolio(root, benchmarks=bench, rates=dear)
    assert [d["ok"] for _, d in cheap.checks] == [True]
    assert [d["ok"] for _, d in costly.checks] == [False]
