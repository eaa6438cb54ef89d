"""The vendor documents (vetting, contract annex, monitoring, close-out, company transparency report)
as one format-neutral document each, rendered by the report module's Markdown and HTML renderers.

Why: one document model means the formats never disagree, and the report module's rules hold
here too: values escaped in HTML and Markdown, worker pay rounded down and bars and required amounts
rounded up, ratios floored, no timestamp, CSV only through the safe CSV writer. Worker ids never
appear: monitoring and the transparency report show counts only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairpay.errors import InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    from fairpay.prelaunch.check import CheckResult
    from fairpay.vendors.monitoring import Monitoring
    from fairpay.vendors.transparency import Portfolio
    from fairpay.vendors.vetting import Annex, VendorCheck

PHASE_TITLES = {
    "vetting": "Vendor vetting",
    "contract": "Contract negotiation",
    "monitoring": "Project management and monitoring",
    "post_project": "Post-project",
}


def _r() -> Any:
    from fairpay.report import document

    return document


def _finish(doc: dict[str, Any], data_vintage: bool = True) -> dict[str, Any]:
    from fairpay import __version__

    r = _r()
    doc.setdefault("warnings", [])
    doc.setdefault("transparency", [])
    doc.setdefault("sources", [])
    doc["data_vintage"] = r._data_vintage() if data_vintage else []
    doc["frameworks"] = [dict(f) for f in r.FRAMEWORKS]
    doc["generated_by"] = f"fairpay {__version__}"
    return doc


def render_document(doc: dict[str, Any], fmt: str) -> str:
    """A document as ``markdown``/``md``, ``html`` or ``json`` text (deterministic)."""
    r = _r()
    if fmt in ("markdown", "md"):
        return r._render_markdown(doc)
    if fmt in ("html", "htm"):
        return r._render_html(doc, [])
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    raise InvalidInputError(f"format {fmt!r} is not one of markdown, html, json")


def write_document(doc: dict[str, Any], path: str | Path) -> Path:
    """Write a document; the format comes from the extension (.html/.htm, .md/.markdown, .json)."""
    p = Path(path)
    kind = p.suffix.lstrip(".").lower()
    if kind not in ("html", "htm", "md", "markdown", "json"):
        raise InvalidInputError(f"report {str(p)!r}: unknown format {kind!r}; use a .html, .md or .json file")
    try:
        p.write_text(render_document(doc, kind), encoding="utf-8", newline="\n")
    except OSError as exc:
        raise InvalidInputError(f"report {str(p)!r}: cannot write ({exc.strerror or exc})") from None
    return p


def _gap_items(gaps: Sequence[Any], answered: int, asked: int) -> list[dict[str, str]]:
    items = [
        {
            "topic": "Disclosure completeness",
            "answer": f"{answered} of {asked} questions answered ({_r()._pct_floor(Decimal(answered) / asked)}).",
        }
    ]
    for phase, title in PHASE_TITLES.items():
        mine = [g for g in gaps if g.phase == phase]
        answer = (
            "; ".join(f"{g.location + ': ' if g.location else ''}{g.question} ({g.field})" for g in mine)
            if mine
            else "No gaps."
        )
        items.append({"topic": f"Gaps at {title.lower()} ({len(mine)})", "answer": answer})
    return items


def _money(x: Decimal | str | None, currency: str | None, *, up: bool) -> str:
    """Money as shown: to the currency's minor unit, a bar, price or shortfall rounded up, what a
    worker gets rounded down (:func:`fairpay.units.money.round_amount`, never against the worker)."""
    if x is None or currency is None:
        return "unknown"
    from fairpay.units.money import round_amount

    return f"{round_amount(Decimal(str(x)), currency, 'up' if up else 'down')} {currency}"


def _hours(x: Decimal | str) -> str:
    """Hours to 2 decimals, rounded down (hours at or above the bar are never overstated)."""
    from decimal import ROUND_FLOOR

    return str(Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_FLOOR))


# --------------------------------------------------------------------------------- vetting
def vendor_check_document(vc: VendorCheck, *, data_vintage: bool = True) -> dict[str, Any]:
    """The vetting report: verdict, one row per location, gaps by phase, sources."""
    r = _r()
    below = [v for v in vc.locations if v.ok is False]
    unknown = [v for v in vc.locations if v.ok is None]
    n = len(vc.locations)
    if below:
        headline = f"FAIL: {len(below)} of {n} locations pay below the bar"
    elif unknown:
        headline = f"UNKNOWN: the wage cannot be computed for {len(unknown)} of {n} locations"
    else:
        headline = f"PASS: all {n} locations reach the bar"
    detail = []
    counted = [v for v in vc.locations if v.headcount is not None]
    if below and counted:
        in_below = sum(v.headcount or 0 for v in counted if v.ok is False)
        total = sum(v.headcount or 0 for v in counted)
        detail.append(
            f"{in_below:,} of {total:,} disclosed workers work in locations below the bar"
            + ("" if len(counted) == len(vc.locations) else " (some locations give no headcount)")
            + "."
        )
    for v in below:
        detail.append(
            f"{v.location}: workers earn about {_money(v.implied_hourly_local, v.local_currency, up=False)}/h, "
            f"{r._pct_floor(v.ratio)} of the bar of {_money(v.bar_hourly, v.local_currency, up=True)}/h; "
            f"paying {_money(v.required_rate_pay, v.pay_currency, up=True)} "
            f"{'per hour' if v.pay_basis == 'hourly' else 'per task'} would reach it"
            + (
                f", and at the vendor's pass-through the client price would be "
                f"{_money(v.break_even_price, vc.client_currency, up=True)} {_basis(v.client_price_basis)}."
                if v.break_even_price is not None
                else "."
            )
        )
    detail += [f"{v.location}: {v.notes[0]}" for v in unknown]
    rows, flags = [], []
    for v in vc.locations:
        rows.append(
            [
                v.location,
                "" if v.headcount is None else f"{v.headcount:,}",
                {"hourly": "hourly", "per_task": "per task"}.get(v.pay_basis or "", "unknown"),
                _money(v.implied_hourly_local, v.local_currency, up=False),
                _money(v.bar_hourly, v.local_currency, up=True),
                "unknown" if v.ratio is None else r._pct_floor(v.ratio),
                {True: "ok", False: "BELOW", None: "UNKNOWN"}[v.ok]
                + (" (upper bound)" if v.upper_bound else ""),
                _money(v.required_rate_pay, v.pay_currency, up=True)
                + ("" if v.required_rate_pay is None else "/h" if v.pay_basis == "hourly" else "/task"),
                ""
                if v.client_price is None
                else f"{r._pay(v.client_price, vc.client_currency)} {_basis(v.client_price_basis)}",
                "unknown" if v.pass_through is None else r._pct_floor(v.pass_through),
                _money(v.break_even_price, vc.client_currency, up=True),
            ]
        )
        flags.append(v.ok is not True)
    table = r._table(
        "Per location",
        [
            "location",
            "headcount",
            "pay basis",
            "implied wage/h",
            "bar/h",
            "ratio",
            "verdict",
            "required worker rate",
            "client price",
            "pass-through",
            "break-even price",
        ],
        rows,
        "Implied wage = (weekly pay x (1 - payout fee) - weekly fees) / (paid + unpaid hours at work), in the "
        "bar's currency. Pass-through = what reaches the worker per unit the client buys / the client's price. "
        "Break-even price = the client price at which, at the same pass-through, the wage reaches the bar. "
        "Worker pay rounded down; bars, required rates and prices up; ratios floored.",
        flags,
    )
    notes = [f"{v.location}: {n}" for v in vc.locations for n in v.notes]
    doc = {
        "kind": "vendor_check",
        "title": f"fairpay vendor check: {vc.vendor}",
        "subject": vc.vendor,
        "ok": vc.ok,
        "verdict": {"ok": vc.ok, "headline": headline, "detail": detail},
        "tables": [table],
        "warnings": notes + list(vc.warnings),
        "transparency": _gap_items(vc.gaps, vc.answered, vc.asked),
        "sources": _r().benchmark_sources([(v.location, v.benchmark) for v in vc.locations]),
        "numbers": vc.to_dict(),
    }
    return _finish(doc, data_vintage)


def _pct_below(share: Decimal) -> str:
    """A share *below* the bar, rounded UP to 0.1 %: one worker below never reads "0.0%"."""
    from decimal import ROUND_CEILING

    return f"{(share * 100).quantize(Decimal('0.1'), rounding=ROUND_CEILING)}%"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _basis(basis: str | None) -> str:
    return {"per_task": "per task", "per_hour": "per hour"}.get(basis or "", "")


# --------------------------------------------------------------------------------- annex
def annex_document(annex: Annex, *, data_vintage: bool = True) -> dict[str, Any]:
    """The contract annex: minimum pay per location, conditions, indexation, citations."""
    r = _r()
    rows = [
        [
            a.location,
            a.basis,
            f"{r._pay(a.minimum, a.currency)}",
            f"{a.benchmark.kind} wage ({a.benchmark.method}, {a.benchmark.reference_year}; prices of {a.benchmark.year})",
            a.detail,
        ]
        for a in annex.rows
    ]
    table = r._table(
        "Minimum worker pay",
        ["location", "basis", "minimum (gross)", "benchmark", "how computed"],
        rows,
        "Minimums are rounded up to the currency's minor unit. Each benchmark is cited in full under Sources.",
    )
    cond = r._table("Conditions", ["#", "condition"], [[i, c] for i, c in enumerate(annex.conditions, 1)])
    cond["rows"].append([str(len(annex.conditions) + 1), f"Indexation: {annex.indexation}"])
    cond["flags"].append(False)
    doc = {
        "kind": "annex",
        "title": f"Annex: minimum worker pay, {annex.vendor}"
        + (f", {annex.project}" if annex.project else ""),
        "subject": annex.vendor,
        "ok": True,
        "verdict": {
            "ok": True,
            "headline": f"Minimum pay for {len({a.location for a in annex.rows})} locations, in prices of {annex.year}",
            "detail": [
                f"Bar: {r.KIND_TEXT.get(annex.policy.get('benchmark'), annex.policy.get('benchmark'))}"
                + (f", plus a margin of {annex.policy['margin']:g}" if annex.policy.get("margin") else "")
                + ".",
                f"Indexation: {annex.indexation}",
            ],
        },
        "tables": [table, cond],
        "sources": _r().benchmark_sources([(a.location, a.benchmark) for a in annex.rows]),
        "numbers": {"rows": [annex_csv_row(a, annex) for a in annex.rows], "policy": annex.policy},
    }
    return _finish(doc, data_vintage)


ANNEX_CSV_COLUMNS: tuple[str, ...] = (
    "location",
    "basis",
    "minimum",
    "currency",
    "benchmark_kind",
    "benchmark_method",
    "benchmark_source",
    "benchmark_url",
    "reference_year",
    "price_year",
    "indexation",
    "how_computed",
)


def annex_csv_row(a: Any, annex: Annex) -> dict[str, Any]:
    """One annex row as CSV/JSON fields (the minimum as exact decimal text)."""
    b = a.benchmark
    return {
        "location": a.location,
        "basis": a.basis,
        "minimum": format(a.minimum, "f"),
        "currency": a.currency,
        "benchmark_kind": b.kind,
        "benchmark_method": b.method,
        "benchmark_source": b.source,
        "benchmark_url": b.url,
        "reference_year": b.reference_year,
        "price_year": b.year,
        "indexation": annex.indexation,
        "how_computed": a.detail,
    }


def annex_csv(annex: Annex, path: str | Path | None = None) -> str:
    """The annex as CSV through the safe CSV writer (formula-like text neutralised)."""
    from fairpay.tables.csvsafe import write_safe_csv

    rows = [[annex_csv_row(a, annex)[c] for c in ANNEX_CSV_COLUMNS] for a in annex.rows]
    return write_safe_csv(rows, path, header=ANNEX_CSV_COLUMNS)


# --------------------------------------------------------------------------------- monitoring
def monitoring_document(m: Monitoring, *, data_vintage: bool = True) -> dict[str, Any]:
    """The monitoring report: per period the shares below the bar, the trend and the shortfall cost."""
    r = _r()
    bad = [p for p in m.periods if not p.ok]
    who = m.vendor or "vendor pay reports"
    if bad:
        headline = f"FAIL: {len(bad)} of {len(m.periods)} periods have workers below the bar"
    else:
        headline = f"PASS: nobody reported below the bar in {len(m.periods)} periods"
    trend = m.trend()
    detail = []
    last = m.periods[-1]
    detail.append(
        f"Latest period {last.period}: {last.workers_below:,} of {last.workers:,} workers "
        f"({_pct_below(last.share_workers_below)}) below the bar."
    )
    if len(trend) > 1:
        detail.append(
            "Trend in workers below: "
            + " -> ".join(_pct_below(t["share_workers_below"]) for t in trend)
            + "."
        )
    rows = []
    for p in m.periods:
        rows.append(
            [
                p.period,
                f"{p.workers:,}",
                f"{p.workers_below:,}",
                _pct_below(p.share_workers_below),
                _hours(p.hours),
                _pct_below(p.share_hours_below),
                "; ".join(_money(v, k, up=True) for k, v in sorted(p.shortfall.items())) or "0",
            ]
        )
    table = r._table(
        "Per period",
        [
            "period",
            "workers",
            "below the bar",
            "share of workers below",
            "hours",
            "share of hours below",
            "shortfall cost",
        ],
        rows,
        "A row (a group of workers paid alike, or one worker) is below when (gross pay - deductions) / (paid + unpaid "
        "hours) is below the bar. Shortfall cost = what would lift every row below to the bar, rounded up per row.",
        [not p.ok for p in m.periods],
    )
    loc_rows, loc_flags = [], []
    for p in m.periods:
        for d in p.locations:
            loc_rows.append(
                [
                    p.period,
                    d["location"],
                    f"{d['workers']:,}",
                    f"{d['workers_below']:,}",
                    d["hours"],
                    d["hours_below"],
                ]
            )
            loc_flags.append(d["workers_below"] > 0)
    locs = r._table(
        "Per period and location",
        ["period", "location", "workers", "below", "hours", "hours below"],
        loc_rows,
        "",
        loc_flags,
    )
    doc = {
        "kind": "monitoring",
        "title": f"fairpay vendor monitoring: {who}",
        "subject": who,
        "ok": m.ok,
        "verdict": {"ok": m.ok, "headline": headline, "detail": detail},
        "tables": [table, locs],
        "warnings": list(m.warnings),
        "transparency": [
            {
                "topic": "What the vendor reported",
                "answer": (
                    "one row per worker (pseudonymised; ids are never shown)"
                    if m.worker_level
                    else "aggregated rows per location or pay grade"
                ),
            }
        ],
        "sources": _r().benchmark_sources([(b.subdivision or b.country, b) for b in m.benchmarks]),
        "numbers": m.to_dict(),
    }
    return _finish(doc, data_vintage)


# --------------------------------------------------------------------------------- close-out
def closeout_document(
    *,
    check: CheckResult | None = None,
    vetting: VendorCheck | None = None,
    monitoring: Monitoring | None = None,
    audit: Any = None,
    title: str | None = None,
    data_vintage: bool = True,
) -> dict[str, Any]:
    """The post-project close-out: the pre-launch check, the vendor's vetting and pay reports and any
    audit joined in one document; ``ok`` only when every part given is ok."""
    r = _r()
    parts: list[tuple[str, bool, str]] = []
    tables: list[dict[str, Any]] = []
    warnings: list[str] = []
    sources: list[dict[str, Any]] = []
    if check is not None:
        d = r.build_document(check, data_vintage=False)
        parts.append(("Pre-launch check", check.ok, d["verdict"]["headline"]))
        tables += [{**t, "title": f"Pre-launch check: {t['title']}"} for t in d["tables"]]
        warnings += d["warnings"]
        sources += d["sources"]
    if vetting is not None:
        d = vendor_check_document(vetting, data_vintage=False)
        parts.append(("Vendor vetting", vetting.ok, d["verdict"]["headline"]))
        tables += [{**t, "title": f"Vendor vetting: {t['title']}"} for t in d["tables"]]
        warnings += d["warnings"]
        sources += d["sources"]
    if monitoring is not None:
        d = monitoring_document(monitoring, data_vintage=False)
        parts.append(("Vendor monitoring", monitoring.ok, d["verdict"]["headline"]))
        tables += [{**t, "title": f"Monitoring: {t['title']}"} for t in d["tables"][:1]]
        warnings += d["warnings"]
        sources += d["sources"]
    if audit is not None:
        d = r.build_document(audit, data_vintage=False)
        parts.append(("Audit of submissions", bool(audit.ok), d["verdict"]["headline"]))
        tables += [{**t, "title": f"Audit: {t['title']}"} for t in d["tables"][:2]]
        warnings += d["warnings"]
        sources += d["sources"]
    if not parts:
        raise InvalidInputError(
            "a close-out needs at least one of: a check, a vetting, pay reports, an audit"
        )
    ok = all(p[1] for p in parts)
    summary = r._table(
        "What each stage found",
        ["stage", "verdict", "finding"],
        [[name, "ok" if good else "NOT OK", text] for name, good, text in parts],
        "",
        [not good for _, good, _ in parts],
    )
    failing = [name for name, good, _ in parts if not good]
    doc = {
        "kind": "closeout",
        "title": title or "fairpay close-out report",
        "subject": title or "close-out",
        "ok": ok,
        "verdict": {
            "ok": ok,
            "headline": "PASS: every stage reached the bar"
            if ok
            else f"FAIL: {', '.join(failing)} found pay below the bar",
            "detail": [f"{name}: {text}" for name, _, text in parts],
        },
        "tables": [summary, *tables],
        "warnings": list(dict.fromkeys(warnings)),
        "transparency": _gap_items(vetting.gaps, vetting.answered, vetting.asked)
        if vetting is not None
        else [],
        "sources": _r().merge_sources(sources),
    }
    return _finish(doc, data_vintage)


# --------------------------------------------------------------------------------- company report
def transparency_document(p: Portfolio, *, data_vintage: bool = True) -> dict[str, Any]:
    """The company transparency report over a portfolio (counts and totals; no worker ids)."""
    from fairpay.vendors.transparency import portfolio_figures

    r = _r()
    f = portfolio_figures(p)
    ok = f["ok"]
    detail = [
        f"{_count(f['projects'], 'project')} and {_count(f['vendors'], 'vendor')} covered.",
        f"Pre-launch checks passed: {f['checks_passed']} of {f['checks']}"
        + (f" ({r._pct_floor(Decimal(f['checks_passed']) / f['checks'])})." if f["checks"] else "."),
        f"Workers at or above the bar: {f['workers_at_or_above']:,} of {f['workers']:,}"
        + (f" ({r._pct_floor(Decimal(f['workers_at_or_above']) / f['workers'])})" if f["workers"] else "")
        + "; hours at or above the bar: "
        + (
            r._pct_floor(f["share_hours_at_or_above"])
            if f["share_hours_at_or_above"] is not None
            else "none reported"
        )
        + ".",
    ]
    if f["disclosure_completeness"]["asked"]:
        detail.append(
            f"Vendor disclosures: {f['disclosure_completeness']['answered']} of "
            f"{f['disclosure_completeness']['asked']} questions answered."
        )
    by_country = r._table(
        "Workers and hours by country",
        ["country", "workers", "at or above the bar", "hours", "hours at or above the bar"],
        [
            [
                c["country"],
                f"{c['workers']:,}",
                f"{c['workers_at_or_above']:,}",
                _hours(c["hours"]),
                _hours(c["hours_at_or_above"]),
            ]
            for c in f["by_country"]
        ],
        "Workers: each audit's workers plus, per vendor pay-report series, the workers of its latest period. "
        "Hours: every hour reported (all periods), rounded down. Nobody is named.",
        [c["workers_at_or_above"] < c["workers"] for c in f["by_country"]],
    )
    projects = r._table(
        "Projects",
        ["project", "pre-launch check", "places below the bar", "file"],
        [
            [x["project"], "passed" if x["ok"] else "FAILED", str(x["cells_below"]), x["file"]]
            for x in f["project_checks"]
        ],
        "",
        [not x["ok"] for x in f["project_checks"]],
    )
    vendors = r._table(
        "Vendors",
        ["vendor", "locations", "locations below or unknown", "disclosure completeness", "gaps", "file"],
        [
            [
                v["vendor"],
                str(v["locations"]),
                str(v["locations_not_ok"]),
                f"{v['answered']} of {v['asked']} ({r._pct_floor(Decimal(v['answered']) / v['asked'])})",
                str(v["gaps"]),
                v["file"],
            ]
            for v in f["vendor_checks"]
        ],
        "",
        [v["locations_not_ok"] > 0 for v in f["vendor_checks"]],
    )
    topups = r._table(
        "Top-ups",
        ["currency", "proposed (audits)", "vendor shortfall (pay reports)", "paid"],
        [
            [
                c,
                _money(v["proposed"], c, up=True),
                _money(v["vendor_shortfall"], c, up=True),
                _money(v["paid"], c, up=False),
            ]
            for c, v in sorted(f["top_ups"].items())
        ],
        "Proposed: back-pay audits found owed. Vendor shortfall: what would lift every reported row below the bar "
        "to it. Paid: payments files in the folder (worker, currency, amount).",
    )
    gaps = [
        {"topic": f"{PHASE_TITLES[ph]}: {len(items)} gaps", "answer": "; ".join(items) or "No gaps."}
        for ph, items in f["gaps_by_phase"].items()
    ]
    policy = {
        "topic": "Pay policy",
        "answer": "; ".join(f["policies"]) or "no project specs or checks in the folder",
    }
    doc = {
        "kind": "transparency",
        "title": f"Data-enrichment transparency report: {p.name}",
        "subject": p.name,
        "ok": ok,
        "verdict": {
            "ok": ok,
            "headline": "Everyone covered is paid at or above the bar"
            if ok
            else "Some work covered pays below the bar",
            "detail": detail,
        },
        "tables": [by_country, projects, vendors, topups],
        "warnings": list(p.warnings),
        "transparency": [policy, *gaps],
        "sources": _r().merge_sources(f["sources"]),
        "numbers": {k: v for k, v in f.items() if k != "sources"},
    }
    return _finish(doc, data_vintage)
