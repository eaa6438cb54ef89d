"""End-to-end CLI runs on the bundled examples, exit codes, and safe outputs."""

from __future__ import annotations

import json
from pathlib import Path

from fairpay.cli import main

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples"


def test_vendor_check_example_exits_1_with_one_location_below(capsys):
    code = main(["vendor", "check", str(EX / "vendor" / "lakeside_disclosure.toml"), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["ok"] is False
    assert [loc["ok"] for loc in out["locations"]] == [False, True]
    assert {g["phase"] for g in out["gaps"]} <= {"vetting", "contract", "monitoring", "post_project"}


def test_vendor_check_writes_reports(tmp_path, capsys):
    for ext in ("html", "md", "json"):
        target = tmp_path / f"v.{ext}"
        main(["vendor", "check", str(EX / "vendor" / "lakeside_disclosure.toml"), "--report", str(target)])
        assert target.read_text(encoding="utf-8").strip()
    capsys.readouterr()


def test_monitor_example_exits_1_and_annex_exits_0(tmp_path, capsys):
    assert main(["vendor", "monitor", str(EX / "vendor" / "lakeside_pay_reports.csv")]) == 1
    assert "2 of 3 periods" in capsys.readouterr().out
    out = tmp_path / "annex.csv"
    args = ["vendor", "annex", str(EX / "vendor" / "lakeside_disclosure.toml")]
    assert main([*args, "--project", str(EX / "vendor_transcription.toml"), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("location,basis,minimum,currency")


def test_transparency_example(tmp_path, capsys):
    target = tmp_path / "t.html"
    assert (
        main(["transparency", str(EX / "portfolio"), "--name", "Example AI Lab", "--out", str(target)]) == 1
    )
    html = target.read_text(encoding="utf-8")
    assert "Example AI Lab" in html
    audit = json.loads(
        (EX / "portfolio" / "audits" / "audit_image_labelling_2024.json").read_text(encoding="utf-8")
    )
    for w in audit["worker_table"]:
        assert w["worker"] not in html


def test_closeout_joins_the_stages(capsys):
    code = main(
        [
            "vendor",
            "closeout",
            "--project",
            str(EX / "vendor_transcription.toml"),
            "--disclosure",
            str(EX / "vendor" / "lakeside_disclosure.toml"),
            "--pay-report",
            str(EX / "vendor" / "lakeside_pay_reports.csv"),
            "--audit-log",
            str(EX / "audit_log.csv"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    for stage in ("Pre-launch check", "Vendor vetting", "Vendor monitoring", "Audit of submissions"):
        assert stage in out


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[vendor]\nname='V'\ncurrency='USD'\n[[locations]]\ncountry='KE'\npay_rate=-1\n", encoding="utf-8"
    )
    assert main(["vendor", "check", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "locations[0].pay_rate" in err
    assert main(["vendor", "check", str(tmp_path / "missing.toml")]) == 2
    assert main(["vendor", "monitor", str(tmp_path / "missing.csv")]) == 2
    assert main(["transparency", str(tmp_path / "nope")]) == 2
    assert main(["vendor", "check", str(EX / "vendor" / "lakeside_disclosure.toml"), "--format", "xml"]) == 2
    assert main(["vendor", "closeout"]) == 2
    capsys.readouterr()


def test_hostile_text_is_escaped_and_neutralised(tmp_path, capsys):
    text = (EX / "vendor" / "lakeside_disclosure.toml").read_text(encoding="utf-8")
    text = text.replace(
        'name = "Lakeside Data Services (illustrative)"', 'name = "<script>alert(1)</script>"'
    )
    text = text.replace(
        'wage_indexation = "yearly, by the national CPI of each location, each January"',
        'wage_indexation = "=HYPERLINK(\\"http://evil\\")"',
    )
    p = tmp_path / "hostile.toml"
    p.write_text(text, encoding="utf-8")
    html = tmp_path / "v.html"
    main(["vendor", "check", str(p), "--report", str(html)])
    page = html.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    csv_out = tmp_path / "a.csv"
    assert main(["vendor", "annex", str(p), "--out", str(csv_out)]) == 0
    assert "'=HYPERLINK" in csv_out.read_text(encoding="utf-8")
    assert ",=HYPERLINK" not in csv_out.read_text(encoding="utf-8")
    capsys.readouterr()


def test_policy_options_as_in_check(capsys):
    disclosure = str(EX / "vendor" / "lakeside_disclosure.toml")
    assert main(["vendor", "check", disclosure, "--benchmark", "bogus"]) == 2
    assert main(["vendor", "check", disclosure, "--margin", "-1"]) == 2
    capsys.readouterr()
    main(["vendor", "check", disclosure, "--format", "json"])
    base = json.loads(capsys.readouterr().out)["locations"][0]["bar_hourly"]
    main(["vendor", "check", disclosure, "--format", "json", "--margin", "0.5"])
    raised = json.loads(capsys.readouterr().out)["locations"][0]["bar_hourly"]
    from decimal import Decimal

    # bars are shown rounded up to 6 places: 1.5 x the bar, within that rounding
    assert abs(Decimal(raised) - Decimal(base) * Decimal("1.5")) <= Decimal("0.000002")


def test_hostile_files_exit_2_with_one_line(tmp_path, capsys):
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00bad")
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    port = tmp_path / "port"
    (port / "audit").mkdir(parents=True)
    (port / "audit" / "summary.json").write_text("{not json", encoding="utf-8")
    (port / "audit" / "workers.csv").write_text("worker\n", encoding="utf-8")
    bad_check = tmp_path / "port2"
    bad_check.mkdir()
    (bad_check / "c.json").write_text('{"ok": true, "cells": "x", "budget": {}}', encoding="utf-8")
    runs = [
        ["vendor", "check", str(binary)],
        ["vendor", "check", str(listing)],
        ["vendor", "monitor", str(binary)],
        ["vendor", "monitor", str(listing)],
        ["transparency", str(port)],
        ["transparency", str(bad_check)],
    ]
    for args in runs:
        assert main(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("fairpay: error:"), args


def test_monitor_an_audited_submission_log_agrees_with_the_audit(tmp_path, capsys):
    """Worker-level rows through the audit's presets: the same workers are below as in the audit."""
    log = EX / "audit_log.csv"
    out = tmp_path / "audit"
    main(["audit", str(log), "--fx-fallback", "nearest_earlier", "--out", str(out)])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    capsys.readouterr()
    code = main(["vendor", "monitor", "--audit-log", f"2024-03={log}", "--format", "json"])
    period = json.loads(capsys.readouterr().out)["periods"][0]
    assert code == (0 if summary["ok"] else 1)
    assert (period["workers"], period["workers_below"]) == (summary["workers"], summary["workers_below"])
    assert main(["vendor", "monitor", "--audit-log", "no-equals-sign"]) == 2
    assert main(["vendor", "monitor"]) == 2
    capsys.readouterr()


def test_transparency_policy_option(capsys):
    assert main(["transparency", str(EX / "portfolio"), "--benchmark", "bogus"]) == 2
    err = capsys.readouterr().err
    assert "policy: benchmark" in err and "lakeside" not in err
