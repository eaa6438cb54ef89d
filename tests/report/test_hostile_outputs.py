"""Hostile names and ids through every output: console, JSON, Markdown, HTML, CSV tables and bonus files.

Each output is parsed back the way its reader would: CSV by Python's csv module and by pandas (no
row split, no live formula), HTML by html.parser (no live script, no event handler, no javascript:
URL), and every screen is checked for raw bidirectional controls.
"""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from fairpay.cli import main

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: worker ids / project names a hostile platform export might carry
HOSTILE_IDS = [
    "\r=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","x")',
    "+1-cmd",
    "@SUM(A1)",
    "\tx",
    "a\nb",
    "<img src=x onerror=alert(1)>",
    "[/bar][b]",
    "pay\u202e19.0",
    "$x$ cost",
    '"quoted, comma"',
]
HOSTILE_TASKS = [
    "[/bar] crash",
    "[b]vanish[/b]",
    "$x$ and $",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "\u202eh/DSU 19.0",
    "x" * 80,
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert_html(page: str) -> None:
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "iframe", "object", "embed", "img"), tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action", "xlink:href") and value:
                assert value.strip().lower().startswith(("http://", "https://", "#")), (tag, name, value)
    assert not any(ch in page for ch in BIDI.replace("\u2068", "").replace("\u2069", ""))


def assert_safe_csv(path: Path, expected_rows: int | None = None) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for row in rows:
        for cell in row:
            if NUMBER.fullmatch(cell):  # a negative amount is a number, not a formula
                continue
            assert not cell.lstrip(" ").startswith(TRIGGERS), (path.name, cell)
    header = path.name != "bonus_prolific.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, header=0 if header else None)
    assert len(frame) == len(rows) - (1 if header else 0), path.name  # pandas sees the same rows
    if expected_rows is not None:
        assert len(rows) - (1 if header else 0) == expected_rows, path.name
    return rows


def hostile_spec() -> dict:
    return {
        "name": "<b>project</b> [red]x[/red] \u202e",
        "currency": "USD",
        "policy": {"benchmark": "living"},
        "tasks": [
            {"name": name, "pay_per_task": "0.10", "seconds": 30, "volume": 10} for name in HOSTILE_TASKS
        ],
        "workforce": [{"country": "US"}],
        "benchmark_overrides": [
            {
                "country": "US",
                "amount": 20,
                "currency": "USD",
                "period": "hour",
                "source": "<script>alert('src')</script>",
                "url": "javascript:alert(1)",
                "reference_year": 2024,
            }
        ],
    }


def test_check_outputs_with_hostile_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(hostile_spec()), encoding="utf-8")
    # by hand: 0.10 USD per 30 s = 12.00 USD/h < 20 USD/h for every task
    assert main(["check", str(path), "--report", str(tmp_path / "r.html")]) == 1
    console = capsys.readouterr().out
    for name in ("[/bar] crash", "[b]vanish[/b]", "$x$ and $", "<script>alert(1)</script>"):
        assert name in console, name  # printed literally, not eaten as markup
    assert "<U+202E>h/DSU 19.0" in console and not any(ch in console for ch in BIDI)
    assert console.count("BELOW") == len(HOSTILE_TASKS) and "12.00 USD" in console
    assert main(["check", str(path), "--format", "markdown"]) == 1
    markdown = capsys.readouterr().out
    assert not any(ch in markdown for ch in BIDI)
    assert not re.search(r"(?<!\\)<(script|iframe)", markdown)  # only escaped \<script\> remains
    assert "(javascript" not in markdown and "<javascript" not in markdown
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert_inert_html(page)
    assert "$x$ and $" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert main(["check", str(path), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [c["task"] for c in doc["cells"]] == HOSTILE_TASKS  # JSON carries the data as given


def test_audit_outputs_with_hostile_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = pd.read_csv(ROOT / "examples" / "audit_log.csv", dtype=str, keep_default_na=False)
    workers = sorted(log["worker"].unique())
    rename = {w: HOSTILE_IDS[i % len(HOSTILE_IDS)] + f"#{i}" for i, w in enumerate(workers)}
    log["worker"] = log["worker"].map(rename)
    log["project"] = log["project"].map({"bbox-v2": "=1+1 \r\nbbox", "sentiment-v1": "@proj\u202e"})
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False, quoting=csv.QUOTE_ALL)  # CR and LF kept inside the ids
    out = tmp_path / "out"
    args = ["audit", str(path), "--fx-fallback", "nearest_earlier", "--out", str(out)]
    code = main([*args, "--bonus-file", "generic", "--report", str(tmp_path / "a.html")])
    assert code == 1
    capsys.readouterr()
    n_workers = len(workers)
    rows = assert_safe_csv(out / "workers.csv", n_workers)
    # every hostile id is still there, neutralised with one apostrophe at most
    ids = {r[0] for r in rows[1:]}
    assert ids == {("'" + v) if v.lstrip(" ").startswith(TRIGGERS) else v for v in rename.values()}
    assert_safe_csv(out / "worker_projects.csv")
    assert_safe_csv(out / "projects.csv", 2)
    assert_safe_csv(out / "ledger.csv", n_workers)
    bonus = assert_safe_csv(out / "bonus_generic.csv")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # the bonus file pays exactly the audit's total, cent for cent
    from decimal import Decimal

    assert sum(Decimal(r[2]) for r in bonus[1:]) == Decimal(summary["total_top_up"]["USD"])
    assert_inert_html((tmp_path / "a.html").read_text(encoding="utf-8"))
    # the other bonus formats
    main([*args, "--bonus-file", "prolific"])
    assert_safe_csv(out / "bonus_prolific.csv", len(bonus) - 1)
    main([*args, "--bonus-file", "mturk"])
    assert_safe_csv(out / "bonus_mturk.csv", len(bonus) - 1)
