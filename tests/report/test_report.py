"""Reports: content (verdict, numbers computed by hand, citations), escaping, determinism, CSV safety."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import pytest

import fairpay
from fairpay.errors import InvalidInputError
from fairpay.report import document as report
from fairpay.tables.csvsafe import frame_to_safe_csv, safe_csv_cell, write_safe_csv

ROOT = Path(__file__).resolve().parents[2]

# One task, two places with the user's own hourly figures (no CPI, pay currency = bar currency):
#   net pay = 0.50 x (1 - 0.1) = 0.45; paid share = 0.9; time = 60 + 12 = 72 s
#   effective = 0.45 x 0.9 x 3600 / 72 = 20.25 USD/h
#   US-CA bar 21: BELOW, ratio 20.25/21 = 0.9642... -> "96%"; required 21 x 72/3600 / 0.81 = 0.5185... -> 0.52
#   US-TX bar 10: ok, ratio 2.025 -> "202%"; required 10 x 72/3600 / 0.81 = 0.2469... -> 0.25
#   budget: current 1000 x 0.50 = 500; per place 500 x 0.52 + 500 x 0.50 = 510 (+10); uniform 1000 x 0.52 = 520 (+20)
SPEC = {
    "name": "Hand check",
    "currency": "USD",
    "policy": {"benchmark": "living", "inflate": False},
    "deductions": {"payout_fee": 0.1},
    "unpaid": {"per_task_seconds": 12, "rejection_rate": 0.1},
    "tasks": [{"name": "label", "pay_per_task": "0.50", "seconds": 60, "volume": 1000}],
    "workforce": [
        {"country": "US", "subdivision": "US-CA", "share": 0.5},
        {"country": "US", "subdivision": "US-TX", "share": 0.5},
    ],
    "benchmark_overrides": [
        {
            "country": "US",
            "subdivision": "US-CA",
            "amount": "21",
            "currency": "USD",
            "period": "hour",
            "source": "Test CA living wage",
            "url": "https://example.org/ca",
            "reference_year": 2024,
            "gross_net": "gross",
        },
        {
            "country": "US",
            "subdivision": "US-TX",
            "amount": "10",
            "currency": "USD",
            "period": "hour",
            "source": "Test TX living wage",
            "url": "https://example.org/tx",
            "reference_year": 2023,
            "gross_net": "net",
            "hours_per_week": "38",
        },
    ],
}

HOSTILE = '<script>alert("x")</script>'
HOSTILE_SPEC = {
    **SPEC,
    "name": '"><img src=x onerror=alert(1)>',
    "tasks": [{"name": HOSTILE, "pay_per_task": "0.50", "seconds": 60, "volume": 1000}],
    "benchmark_overrides": [
        {**SPEC["benchmark_overrides"][0], "source": "<iframe src=//evil>", "url": "javascript:alert(1)"},
        SPEC["benchmark_overrides"][1],
    ],
}


@pytest.fixture(scope="module")
def result():
    return fairpay.check(SPEC)


@pytest.fixture(scope="module")
def hostile():
    return fairpay.check(HOSTILE_SPEC)


# --------------------------------------------------------------------------- content
def test_markdown_verdict_first_and_hand_numbers(result):
    md = report.report_markdown(result)
    lines = [x for x in md.splitlines() if x.strip()]
    assert lines[0] == "# fairpay pre-launch check: Hand check"
    assert lines[1] == "**FAIL: 1 of 2 task x place cells pay below the bar**"
    assert "US-CA earns 20.25 USD/h, 96% of the bar of 21.00 USD/h; 0.52 USD per task would reach it" in md
    # the verdict first (it must be visible on a phone without scrolling), then the figures
    rows = {
        r.split(" | ")[2]: r for r in md.splitlines() if r.startswith(("| BELOW | label |", "| ok | label |"))
    }
    assert rows["US-CA"] == (
        "| BELOW | label | US-CA | 96% | 20.25 USD | 21.00 USD | 0.50 USD | 0.52 USD | 50% | "
        "OVERRIDE from the spec: living figure per Test CA living wage (2024) |"
    )
    assert "| ok | label | US-TX | 202% | 20.25 USD | 10.00 USD | 0.50 USD | 0.25 USD |" in rows["US-TX"]
    assert "2 of 2 cells are decided by a figure supplied in the spec" in md
    # budget: 500 now, 510 per place (+10), 520 uniform (+20)
    assert "| label | 1,000 | 0.50 USD | 500.00 USD | 510.00 USD | 0.52 USD | 520.00 USD |" in md
    assert (
        "Increase: +10.00 USD paying each place its required rate, +20.00 USD paying everyone one uniform rate."
        in md
    )


def test_pass_verdict_when_every_cell_reaches_the_bar():
    spec = {**SPEC, "tasks": [{**SPEC["tasks"][0], "pay_per_task": "0.52"}]}
    md = report.report_markdown(fairpay.check(spec))
    assert "**PASS: all 2 task x place cells reach the bar**" in md
    # 0.52 x 0.81 x 50 = 21.06 USD/h: 21.06 / 21 = 1.00285... -> floored to 100%
    assert "Closest to the bar: label in US-CA at 100% of it." in md


def test_ratio_never_reads_100_percent_below_the_bar():
    # effective = 0.518 x 0.81 x 50 = 20.979 < 21: 99.9 % rounds to 100 % but must show 99 %
    spec = {**SPEC, "tasks": [{**SPEC["tasks"][0], "pay_per_task": "0.518"}]}
    md = report.report_markdown(fairpay.check(spec))
    assert "| BELOW | label | US-CA | 99% | 20.97 USD | 21.00 USD | 0.518 USD | 0.52 USD |" in md


def test_sources_cite_every_benchmark(result):
    md = report.report_markdown(result)
    sources = md.split("## Sources", 1)[1]
    assert "**Test CA living wage**, <https://example.org/ca>" in sources
    assert "**Test TX living wage**, <https://example.org/tx>" in sources
    tx = sources.split("Test TX living wage", 1)[1].split("## ", 1)[0]
    assert "   - Used for: US-TX" in tx
    assert "   - Reference year: 2023" in tx
    assert "   - As published: 10 USD/hour" in tx
    assert "   - Gross/net: net" in tx
    assert "   - Hours basis: 38 h/week" in tx
    assert "## Data vintage" in md and "| exchange_rates | bundled with fairpay" in md
    # the frameworks the transparency section follows are cited
    assert "https://fair.work/en/principles/cw01" in md
    assert "partnershiponai.org" in md


def test_transparency_section(result):
    md = report.report_markdown(result)
    section = md.split("## Transparency", 1)[1].split("## Sources", 1)[0]
    for topic in (
        "Pay policy",
        "Benchmark per location",
        "Share of workers below the bar",
        "How time was estimated",
        "Unpaid time accounted for",
        "Remediation (top-ups proposed / paid)",
    ):
        assert f"- **{topic}.**" in section
    assert "at least the living wage where the workers live" in section
    assert "1 of 2 task x place cells pay below the bar, carrying 50.0% of the planned task volume" in section
    assert "label: 12 s unpaid per task" in section and "10.0% of work not paid" in section
    assert "after fees: 90.0%" in section
    assert "label: 60 s per task (given)" in section


def test_json_report_numbers(result):
    doc = json.loads(report.report_json(result))
    assert doc["kind"] == "check" and doc["ok"] is False
    assert doc["verdict"]["headline"] == "FAIL: 1 of 2 task x place cells pay below the bar"
    cells = {c["subdivision"]: c for c in doc["numbers"]["cells"]}
    assert cells["US-CA"]["effective_hourly"] == "20.25"
    assert cells["US-CA"]["required_pay_per_task"] == "0.52"
    assert doc["numbers"]["budget"]["compliant_per_place"] == "510.00"
    assert {s["url"] for s in doc["sources"]} == {"https://example.org/ca", "https://example.org/tx"}


def test_html_content(result):
    page = report.report_html(result)
    assert page.startswith("<!DOCTYPE html>")
    assert '<section class="verdict fail">' in page
    assert page.index("FAIL: 1 of 2") < page.index("Per task and place") < page.index("<h2>Sources</h2>")
    assert '<a href="https://example.org/tx" rel="noopener noreferrer">https://example.org/tx</a>' in page
    assert page.count("<svg") == 1  # effective vs bar; no pilot times, so no coverage curve
    assert "<script" not in page


# --------------------------------------------------------------------------- safety
def test_html_escapes_hostile_names(hostile):
    page = report.report_html(hostile)
    for raw in (HOSTILE, "<img", "<iframe", 'href="javascript:'):
        assert raw not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;iframe src=//evil&gt;" in page
    assert "javascript:alert(1)" in page  # shown as text, never as a link
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # the project name in <title> and <h1>


def test_markdown_escapes_hostile_names(hostile):
    md = report.report_markdown(hostile)
    import re

    assert HOSTILE not in md
    # every "<" is escaped, except autolinks to http(s) URLs that fairpay writes itself
    assert re.findall(r"(?<!\\)<(?!https?://)", md) == []
    assert r"\<iframe src=//evil\>" in md
    assert r"\<script\>alert(\"x\")" not in md  # quotes are not markup
    assert r"\<script\>alert" in md
    assert "[javascript" not in md and "<javascript" not in md


def test_pipe_in_a_name_does_not_break_the_table():
    spec = {**SPEC, "tasks": [{**SPEC["tasks"][0], "name": "a | b\nc"}]}
    md = report.report_markdown(fairpay.check(spec))
    row = next(x for x in md.splitlines() if x.startswith("| BELOW | a "))
    assert row.startswith(r"| BELOW | a \| b c | US-CA |")


# --------------------------------------------------------------------------- determinism
def test_byte_identical_and_no_timestamp_by_default(result, tmp_path):
    a = report.report_html(result)
    assert a == report.report_html(fairpay.check(SPEC))
    assert report.report_markdown(result) == report.report_markdown(result)
    assert " at 20" not in report.report_markdown(result).splitlines()[-1]
    stamped = report.report_markdown(result, timestamp="2030-01-02T03:04:05+00:00")
    assert stamped.splitlines()[-1] == "Generated by fairpay 0.1.0 at 2030-01-02T03:04:05+00:00."
    # another process (fresh matplotlib state) writes the same bytes
    out = tmp_path / "other.html"
    code = (
        f"import fairpay, json; spec = json.loads({json.dumps(json.dumps(SPEC))}); "
        f"fairpay.write_report(fairpay.check(spec), {str(out)!r})"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    assert out.read_text(encoding="utf-8") == a


def test_write_report_by_extension(result, tmp_path):
    for name, start in (("r.html", "<!DOCTYPE html>"), ("r.md", "# fairpay"), ("r.json", "{")):
        p = report.write_report(result, tmp_path / name)
        assert p.read_text(encoding="utf-8").startswith(start)
    with pytest.raises(InvalidInputError, match=r"unknown format 'pdf'"):
        report.write_report(result, tmp_path / "r.pdf")
    assert report.check_markdown(result) == report.report_markdown(result)


def test_cli_check_report(tmp_path):
    from fairpay.cli import main

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    out = tmp_path / "out.md"
    assert main(["check", str(spec), "--report", str(out)]) == 1
    assert "**FAIL: 1 of 2 task x place cells pay below the bar**" in out.read_text(encoding="utf-8")


def test_example_report_has_pilot_coverage():
    r = fairpay.check(ROOT / "examples" / "image_labelling.toml")
    md = report.report_markdown(r)
    covered = [c for c in r.cells_list if c.coverage is not None]
    assert covered, "the example's pilot task should report coverage"
    assert "pilot workers at bar" in md
    assert "From the pilot's own times:" in md


# --------------------------------------------------------------------------- audit
def _log():
    import pandas as pd

    rows = []
    # worker "=HYPERLINK(1)" in the US: 4 tasks of 10 minutes back to back (40 min), 3 approved at 0.40 = 1.20 USD
    for i in range(4):
        rows.append(
            {
                "worker": "=HYPERLINK(1)",
                "project": "p<1>",
                "task": f"a{i}",
                "started": f"2024-05-01T10:{10 * i:02d}:00",
                "submitted": f"2024-05-01T10:{10 * i + 10:02d}:00",
                "reward": 0.40,
                "currency": "USD",
                "status": "approved" if i else "rejected",
                "country": "US",
            }
        )
    # worker "rich" in the US: one task of 6 minutes paid 100 USD
    rows.append(
        {
            "worker": "rich",
            "project": "p<1>",
            "task": "b0",
            "started": "2024-05-01T10:00:00",
            "submitted": "2024-05-01T10:06:00",
            "reward": 100,
            "currency": "USD",
            "status": "approved",
            "country": "US",
        }
    )
    return pd.DataFrame(rows)


def test_audit_report_numbers_and_pseudonyms():
    audit = pytest.importorskip("fairpay.auditing.engine").audit
    res = audit(_log(), missing_living="minimum")
    bar = Decimal(str(res.bars["bar_exact"].iloc[0]))
    # top-up by hand: bar x 40/60 h - 1.20 USD, rounded up to the cent
    top = (bar * Decimal(40) / Decimal(60) - Decimal("1.20")).quantize(
        Decimal("0.01"), rounding=ROUND_CEILING
    )
    key = b"a report key of 16+ bytes"
    md = report.report_markdown(res, key=key)
    assert "**FAIL: 1 of 2 workers (50.0%) earned below the bar where they live**" in md
    assert f"Top-ups proposed: {top} USD" in md
    # the one pseudonym scheme: the report's id is the ledger's keyed pseudonym, so they join
    from fairpay.auditing.ledger import pseudonym

    row = next(x for x in md.splitlines() if x.startswith(f"| {pseudonym('=HYPERLINK(1)', key)} |"))
    assert row == (
        f"| {pseudonym('=HYPERLINK(1)', key)} | US | 0.67 | 4 | 1.20 USD | 1.80 USD/h | "
        f"{bar.quantize(Decimal('0.01'), rounding=ROUND_CEILING)} USD/h | {top} USD |"
    )
    assert "HYPERLINK" not in md and "rich" not in md
    # without a key the ids are withheld, never numbered by a second scheme
    plain_md = report.report_markdown(res)
    assert "| (withheld) | US | 0.67 |" in plain_md and "HYPERLINK" not in plain_md
    assert "p\\<1\\>" in md
    assert "Of 5 tasks, 1 rejected and 0 returned earned nothing" in md
    sources = md.split("## Sources", 1)[1]
    source_row = res.bars.iloc[0]
    assert f"<{source_row['bar_url']}>" in sources and "   - Used for: US" in sources
    # unpseudonymised: the ids are there, escaped in HTML
    page = report.report_html(res, pseudonymize=False)
    assert "=HYPERLINK(1)" in page and "p&lt;1&gt;" in page and "<1>" not in page
    assert page.count("<svg") == 2  # per place + ECDF
    assert report.report_html(res) == report.report_html(res)


def test_audit_report_json_has_no_raw_ids():
    audit = pytest.importorskip("fairpay.auditing.engine").audit
    text = report.report_json(audit(_log(), missing_living="minimum"))
    assert "HYPERLINK" not in text and '"rich"' not in text
    doc = json.loads(text)
    assert doc["numbers"]["workers_below"] == 1 and doc["numbers"]["pseudonymized"] is True


# --------------------------------------------------------------------------- CSV safety
@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\r=x", '=HYPERLINK("http://e","x")']
)
def test_formula_cells_are_neutralised(text):
    assert safe_csv_cell(text) == "'" + text
    assert report.safe_csv_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ok", "ok"),
        ("a=b", "a=b"),
        (-5.25, "-5.25"),
        (3, "3"),
        (Decimal("-0.10"), "-0.10"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_plain_cells_and_numbers_unchanged(value, expected):
    assert safe_csv_cell(value) == expected


def test_safe_csv_roundtrip_reads_back_as_text(tmp_path):
    import pandas as pd

    df = pd.DataFrame({"worker": ["=cmd|' /C calc'!A0", "w2"], "top_up": [-1.5, 2.0], "@col": ["x", "+y"]})
    text = frame_to_safe_csv(df, tmp_path / "x.csv")
    rows = list(csv.reader(io.StringIO((tmp_path / "x.csv").read_text(encoding="utf-8"))))
    assert rows == [["worker", "top_up", "'@col"], ["'=cmd|' /C calc'!A0", "-1.5", "x"], ["w2", "2.0", "'+y"]]
    assert pd.read_csv(io.StringIO(text))["top_up"].tolist() == [-1.5, 2.0]  # numbers stay numbers
    # text that starts with "-" is neutralised even when it looks numeric: a spreadsheet would evaluate "-1+2"
    assert write_safe_csv([["-1+2", -1]]) == '"\'-1+2",-1\n'


def test_audit_total_top_up_is_the_exact_sum_of_cents():
    """Forty workers from the bundled pilot: the float sum of top-ups (10.900000000000002-style) must not
    round up to an extra cent; the report's total equals the ledger's exact Decimal sum."""
    pytest.importorskip("fairpay.auditing.ledger")
    import pandas as pd

    pilot = pd.read_csv(ROOT / "examples" / "pilot_boxes.csv")
    start = pd.Timestamp("2024-06-03T09:00:00Z")
    rows = []
    for n, (worker, tasks) in enumerate(pilot.groupby("worker_id", sort=True)):
        t = start + pd.Timedelta(minutes=7 * n)
        for r in tasks.itertuples(index=False):
            end = t + pd.Timedelta(seconds=float(r.seconds))
            rows.append(
                {
                    "worker": worker,
                    "project": "p",
                    "task": r.task_id,
                    "started": t.isoformat(),
                    "submitted": end.isoformat(),
                    "reward": 0.12,
                    "currency": "USD",
                    "status": "approved",
                    "country": "US",
                }
            )
            t = end + pd.Timedelta(seconds=20)
    res = fairpay.audit(pd.DataFrame(rows))
    exact = sum((Decimal(a) for a in res.ledger()["amount"]), Decimal(0))
    assert exact > 0
    md = report.report_markdown(res)
    assert f"Top-ups proposed: {exact:,.2f} USD" in md
    assert md.count(f"| {exact:,.2f} USD |") == 2  # per project and per place rows
    # 0.1 + 0.2 = 0.30000000000000004 in floats: rounding that up would claim 0.31
    from dataclasses import replace

    w = res.workers.copy()
    w["below"] = [True, True] + [False] * (len(w) - 2)
    w["top_up"] = [0.1, 0.2] + [0.0] * (len(w) - 2)
    assert 0.1 + 0.2 > 0.3
    assert "Top-ups proposed: 0.30 USD" in report.report_markdown(replace(res, workers=w))


def test_audit_sources_cite_the_benchmark_the_audit_used():
    """The report cites result.benchmarks (no second lookup): a changed source shows up as is."""
    from dataclasses import replace as dc_replace

    audit = pytest.importorskip("fairpay.auditing.engine").audit
    res = audit(_log(), missing_living="minimum")
    ((place, bm),) = res.benchmarks.items()
    assert bm.hourly == Decimal(str(res.bars["bar_exact"].iloc[0]))
    moved = dc_replace(
        res, benchmarks={place: dc_replace(bm, source="Hand-made test source", url="https://example.org/x")}
    )
    sources = report.report_markdown(moved).split("## Sources", 1)[1]
    assert "Hand-made test source" in sources and "<https://example.org/x>" in sources
    assert "Hand-made test source" not in report.report_markdown(res)


def test_sources_table_merges_entries_a_reader_cannot_tell_apart() -> None:
    # two benchmarks of one source whose hourly figures differ below the printed cent are one row
    # (places of both, first-seen order, none twice); another source, or another printed figure,
    # is a row of its own
    from dataclasses import replace as dc_replace
    from decimal import Decimal

    bm = fairpay.Benchmarks.bundled().lookup("FR")
    cent = Decimal("0.01")
    low = dc_replace(bm, hourly=(bm.hourly / cent).to_integral_value() * cent + Decimal("0.001"))
    high = dc_replace(low, hourly=low.hourly + Decimal("0.005"))
    other = dc_replace(low, source="Another source")
    dearer = dc_replace(low, hourly=low.hourly + Decimal("1"))
    rows = report.benchmark_sources(
        [("Paris", low), ("Lyon", high), ("Paris", high), ("Lille", other), ("Nantes", dearer)]
    )
    assert [r["places"] for r in rows] == [["Paris", "Lyon"], ["Lille"], ["Nantes"]]
    assert rows[0]["hourly"] == f"{(low.hourly / cent).to_integral_value() * cent + cent} EUR/h"
    assert [r["source"] for r in rows] == [bm.source, "Another source", bm.source]
    # entries already made (the vendor documents' own lists) merge by the same rule
    again = report.merge_sources([*rows, *report.benchmark_sources([("Nice", high)])])
    assert [r["places"] for r in again] == [["Paris", "Lyon", "Nice"], ["Lille"], ["Nantes"]]
