"""`fairpay check` and `fairpay rate` end to end: exit codes, one-line errors, formats."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from fairpay.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))

PASSING = """
[project]
name = "fair"
currency = "USD"
[policy]
benchmark = "living"
[[tasks]]
name = "t"
pay_per_task = 1.00
seconds = 60
volume = 10
[[workforce]]
country = "US"
[[benchmark_overrides]]
country = "US"
amount = 20
currency = "USD"
period = "hour"
source = "test"
reference_year = 2024
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_examples_exist_and_run(capsys):
    assert len(EXAMPLES) >= 3
    for spec in EXAMPLES:
        code = main(["check", str(spec), "--format", "json"])
        out = json.loads(capsys.readouterr().out)
        assert code == (0 if out["ok"] else 1), spec
        assert out["cells"], spec


def test_pass_exits_0_and_fail_exits_1(tmp_path, capsys):
    assert main(["check", str(write(tmp_path, PASSING))]) == 0
    assert "PASS" in capsys.readouterr().out
    failing = PASSING.replace("pay_per_task = 1.00", "pay_per_task = 0.10")
    assert main(["check", str(write(tmp_path, failing))]) == 1
    out = capsys.readouterr().out
    assert "FAIL: 1 of 1" in out and "BELOW" in out


def test_json_format_fields(tmp_path, capsys):
    assert main(["check", str(write(tmp_path, PASSING)), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["project"] == "fair"
    cell = out["cells"][0]
    # w = 1.00 * 3600 / 60 = 60 USD/h against 20 USD/h
    # money and ratios leave as exact decimal strings (the one display rule)
    assert (
        cell["effective_hourly"] == "60.00"
        and cell["benchmark_hourly"] == "20.00"
        and cell["ratio"] == "3.0000"
    )
    # required = 20 * 60 / 3600 = 0.3333 -> 0.34
    assert cell["required_pay_per_task"] == "0.34" and cell["pay_currency"] == "USD"
    assert cell["benchmark"]["source"] == "test" and cell["benchmark"]["reference_year"] == 2024


def test_margin_and_benchmark_flags(tmp_path, capsys):
    spec = str(write(tmp_path, PASSING))
    # margin 2.5 -> bar 70 > 60 -> fail
    assert main(["check", spec, "--margin", "2.5", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["cells"][0]["bar_hourly"] == "70.00"
    assert main(["check", spec, "--benchmark", "minimum", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cells"][0]["benchmark"]["kind"] == "minimum"


YAML = """
name: yaml project
currency: USD
policy: {benchmark: living}
tasks: [{name: t, pay_per_task: 1.0, seconds: 60, volume: 10}]
workforce: [{country: US}]
benchmark_overrides: [{country: US, amount: 20, currency: USD, period: hour, source: test, reference_year: 2024}]
"""


def test_yaml_and_json_specs(tmp_path, capsys):
    assert main(["check", str(write(tmp_path, YAML, "p.yaml"))]) == 0
    import yaml

    data = yaml.safe_load(YAML)
    assert main(["check", str(write(tmp_path, json.dumps(data), "p.json"))]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda s: s.replace('name = "t"\n', ""), "tasks[0].name: required field is missing"),
        (lambda s: s.replace("seconds = 60", "seconds = -5"), "tasks[0].seconds"),
        (lambda s: s.replace("seconds = 60", "seconds = 0"), "tasks[0].seconds"),
        (
            lambda s: s.replace(
                '[[workforce]]\ncountry = "US"',
                '[[workforce]]\ncountry = "US"\nshare = 0.5\n[[workforce]]\ncountry = "KE"\nshare = 0.4',
            ),
            "shares must sum to 1",
        ),
        (lambda s: s + "\n[deductions]\nplatform_fee = 1.0\n", "deductions.platform_fee"),
        (lambda s: s + "\n[unpaid]\nrejection_rate = -0.1\n", "unpaid.rejection_rate"),
        (
            lambda s: s.replace('country = "US"\n[[bench', 'country = "Narnia"\n[[bench'),
            "unknown country 'Narnia'",
        ),
        (
            lambda s: s.replace('currency = "USD"\n[policy]', 'currency = "XYZ"\n[policy]'),
            "'XYZ' is not an ISO 4217",
        ),
        (lambda s: s.replace("volume = 10", "volume = 10\ncolour = 3"), "tasks[0].colour: unknown field"),
        (lambda s: s.replace("[policy]", "[polcy]"), "polcy: unknown field"),
        (lambda s: s.replace('benchmark = "living"', 'benchmark = "lavish"'), "policy.benchmark"),
        (
            lambda s: s.replace("seconds = 60", "seconds = 60\ntimes = [1, 2]"),
            "exactly one of seconds, times or pilot",
        ),
        (lambda s: s.replace("pay_per_task = 1.00", 'pay_per_task = "lots"'), "tasks[0].pay_per_task"),
        (lambda s: s + "\n[unpaid]\nonboarding_minutes = 30\n", "needs tasks_per_worker"),
        (lambda s: s.replace("[project]", "[project"), "not valid TOML"),
    ],
)
def test_invalid_specs_exit_2_with_one_line_naming_file_and_field(tmp_path, capsys, edit, expected):
    path = write(tmp_path, edit(PASSING))
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.count("\n") == 0, err
    assert err.startswith("fairpay: error: ") and str(path) in err
    assert expected in err
    assert "Traceback" not in captured.err + captured.out


def test_missing_file_and_unknown_extension(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.toml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["check", str(write(tmp_path, "x", "spec.txt"))]) == 2
    assert "unknown spec format" in capsys.readouterr().err


def test_rate_command(capsys):
    code = main(["rate", "--country", "US", "--seconds", "60", "--benchmark", "minimum", "--format", "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    # newest US minimum: ILOSTAT 2024, 1257 USD/month (the federal 7.25/h as a month), 40 h default basis:
    # 1257 / (40 * 52 / 12) = 7.2519 USD/h; 7.2519 * 60 / 3600 = 0.12087 -> 0.13
    assert out["benchmark"]["amount"] == "1257" and out["benchmark"]["period"] == "month"
    assert out["bar_hourly"] == "7.26"  # 7.2519... shown rounded up to the cent
    assert Decimal(str(out["required_pay_per_task"])) == Decimal("0.13")
    assert main(["rate", "--country", "Narnia", "--seconds", "60"]) == 2
    assert "Narnia" in capsys.readouterr().err
