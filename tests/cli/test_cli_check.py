"""`fairpay check` and `fairpay rate` end to end: exit codes, one-line errors, formats."""

from __future__ import annotations

import json
import math
from decimal import ROUND_CEILING, Decimal
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
    # the US federal minimum is published per hour, 7.25 USD/h, and used as published (ILOSTAT's
    # 1257 USD/month is the same legal rate, 7.2519 at 40 h/week); 7.25 * 60 / 3600 = 0.12083 -> 0.13
    assert out["benchmark"]["amount"] == "7.25" and out["benchmark"]["period"] == "hour"
    assert out["bar_hourly"] == "7.25"
    assert Decimal(str(out["required_pay_per_task"])) == Decimal("0.13")
    assert main(["rate", "--country", "Narnia", "--seconds", "60"]) == 2
    assert "Narnia" in capsys.readouterr().err


def test_rate_venezuela_needs_a_cited_exchange_rate(capsys):
    # VE: no living wage, no GDP for the estimate; ILOSTAT 2024 minimum 130 VES/month; no VES rate
    assert main(["rate", "--country", "VE", "--seconds", "3600", "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "VES has no rates at all" in err and "--fx-rate" in err
    argv = ["rate", "--country", "VE", "--seconds", "3600", "--fx-rate", "VES:2024=40"]
    assert main([*argv, "--fx-source", "BCV official rate (test)", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # bar 130 / (40 x 52 / 12) = 0.75 VES/h; one hour at 40 VES per USD: 0.01875 -> 0.02 USD (rounded up)
    assert out["bar_hourly"] == "0.75" and out["local_currency"] == "VES"
    assert Decimal(str(out["required_pay_per_task"])) == Decimal("0.02")
    assert main([*argv, "--fx-source", "BCV official rate (test)"]) == 0
    assert "the user's own, cited as BCV official rate (test)" in capsys.readouterr().out
    assert main(argv) == 2  # a rate without its source is refused
    assert "--fx-source" in capsys.readouterr().err


def test_every_one_of_the_38_countries_gets_a_labelled_bar(capsys):
    countries = "US IN KE PH UG NG PK BD GH EG GB BR CO AR MX UA RS PL RO MA TN ZA ID VN MY TH NP LK ET RW TZ DE FR ES IT CA AU"
    for country in countries.split():
        assert main(["rate", "--country", country, "--seconds", "60", "--format", "json"]) == 0, country
        bench = json.loads(capsys.readouterr().out)["benchmark"]
        assert bench["source"] and bench["url"] and bench["method"] and bench["reference_year"], country


def test_rate_json_labels_an_estimate(capsys):
    from fairpay.estimate import bundled_model

    assert main(["rate", "--country", "MA", "--seconds", "3600", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    est = bundled_model().predict("MA")
    bench = out["benchmark"]
    assert bench["method"] == "estimate" and bench["origin"] == "estimate"
    assert bench["estimate"]["high"] == format(est.high, "f") and bench["estimate"]["bound_used"] == "upper"
    assert bench["estimate"]["model"]["vintages"]["gdp"] == "2025-12-19"
    assert (
        out["bar_hourly"] == f"{est.high.quantize(Decimal('0.01'), rounding=ROUND_CEILING)}"
    )  # bars shown rounded up
    assert any("ESTIMATE" in f for f in bench["fallbacks"])


def test_rate_method_household_and_policy_options(capsys):
    import csv
    from fractions import Fraction

    data = Path(__file__).resolve().parents[2] / "data" / "wage_benchmarks"
    with open(data / "living_wages.csv", encoding="utf-8", newline="") as fh:
        (wi,) = [
            r
            for r in csv.DictReader(fh)
            if r["country"] == "KE" and r["method"] == "wageindicator" and r["household"] == "single_adult"
        ]
    with open(data / "cpi.csv", encoding="utf-8", newline="") as fh:
        cpi = {
            r["year"]: Fraction(r["cpi_2010_100"]) for r in csv.DictReader(fh) if r["country_iso3"] == "KEN"
        }
    argv = ["rate", "--country", "KE", "--seconds", "60", "--format", "json"]
    assert main([*argv, "--method", "wageindicator", "--household", "single_adult"]) == 0
    out = json.loads(capsys.readouterr().out)
    want = Fraction(wi["amount"]) * 12 / 2080 * cpi["2024"] / cpi["2019"]  # 2019 figure in 2024 prices
    assert out["benchmark"]["method"] == "wageindicator" and out["benchmark"]["household"] == "single_adult"
    assert out["bar_hourly"] == f"{Decimal(math.ceil(want * 100)) / 100:.2f}"  # rounded up to the cent
    assert main([*argv, "--missing-living", "sometimes"]) == 2
    assert "missing_living" in capsys.readouterr().err
    # the estimate's point instead of its upper end (Morocco has no cited living wage)
    assert (
        main(["rate", "--country", "MA", "--seconds", "60", "--format", "json", "--estimate-bound", "point"])
        == 0
    )
    point = json.loads(capsys.readouterr().out)
    assert point["benchmark"]["estimate"]["bound_used"] == "point"
    est_point = Decimal(point["benchmark"]["estimate"]["point"])
    assert point["bar_hourly"] == f"{est_point.quantize(Decimal('0.01'), rounding=ROUND_CEILING)}"
