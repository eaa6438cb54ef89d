"""Reports of a check or an audit: Markdown, self-contained HTML and JSON.

Why: people decide from a page, not from a DataFrame. A report puts the verdict first, then the
numbers per task x place (or per project and place), the budget impact or the top-ups, the
warnings, a transparency section shaped after the Partnership on AI's Transparency Template and
Fairwork's fair-pay principle, and a *sources* section citing every benchmark used (source, URL,
years, method, gross/net, hours basis, adjustments, fallbacks) and the data vintage.

How: one format-neutral document (:func:`build_document`) is rendered three ways, so the three
formats can never disagree. Rules:

- **Deterministic**: same result and data -> byte-identical output; no timestamp unless
  ``timestamp=`` is given; plots are SVG with fixed ids and no date.
- **Never flattering**: effective pay is shown rounded *down*, bars and required amounts rounded
  *up*, and ratios floored to a whole percent (a cell below the bar never reads "100%").
- **Safe to share**: HTML escapes every value (``html.escape``, quotes too) and links only
  ``http(s)`` URLs; Markdown backslash-escapes its markup characters; audit reports show worker
  pseudonyms unless ``pseudonymize=False``.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from fairpay.errors import InvalidInputError
from fairpay.report import safetext
from fairpay.report.safetext import plain
from fairpay.tables.csvsafe import safe_csv_cell  # noqa: F401  (re-exported: fairpay.report.document.safe_csv_cell)
from fairpay.units import figures as fig

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from fairpay.auditing.result import AuditResult
    from fairpay.prelaunch.check import Cell, CheckResult

#: Frameworks the transparency section follows (cited in every report).
FRAMEWORKS: tuple[dict[str, str], ...] = (
    {
        "name": "Partnership on AI - Vendor Engagement Guidance & Transparency Template",
        "url": "https://partnershiponai.org/protecting-ais-essential-workers-introducing-our-vendor-engagement-guidance-"
        "transparency-template",
    },
    {
        "name": "Fairwork Cloudwork Principles - Principle 1: Fair Pay (1.2: paid at least the local minimum wage; "
        "for piece-rate work, the vast majority of workers)",
        "url": "https://fair.work/en/principles/cw01",
    },
)
#: Most workers listed one by one in an audit report (the rest are counted).
MAX_WORKER_ROWS = 100
KIND_TEXT = {
    "living": "the living wage",
    "minimum": "the minimum wage",
    "higher": "the higher of the living wage and the minimum wage",
}
_DATA_TABLES = ("living_wages", "minimum_wages", "minimum_wages_ilostat", "exchange_rates", "cpi")


# =========================================================================== public API
def report_markdown(result: CheckResult | AuditResult, **options: Any) -> str:
    """The report as Markdown text (options: see :func:`build_document`)."""
    return _render_markdown(build_document(result, **options))


def check_markdown(result: CheckResult) -> str:
    """Markdown report of a pre-launch check (what ``fairpay check --format markdown`` prints)."""
    return report_markdown(result)


def report_html(result: CheckResult | AuditResult, *, plots: bool = True, **options: Any) -> str:
    """The report as one self-contained HTML page (inline CSS, inline SVG plots, no scripts).

    ``plots``: embed the figures (needs matplotlib; without it the page says they were left out).
    """
    doc = build_document(result, **options)
    figures = _figures(result, doc, options.get("pilot_times")) if plots else []
    return _render_html(doc, figures)


def report_json(result: CheckResult | AuditResult, **options: Any) -> str:
    """The report as JSON: the same sections as the other formats, with numbers as numbers."""
    return json.dumps(build_document(result, **options), indent=2, ensure_ascii=False) + "\n"


#: Report formats by file extension (or ``fmt``).
_REPORT_FORMATS = {"html": "html", "htm": "html", "md": "markdown", "markdown": "markdown", "json": "json"}


def report_format(path: str | Path, fmt: str | None = None) -> str:
    """The report format for ``path`` (html, markdown or json, from ``fmt`` or the extension).

    Why its own function: a command checks its ``--report`` target before any work, so a typo in
    the extension is not found only after the verdict was printed.
    """
    p = Path(path)
    kind = (fmt or p.suffix.lstrip(".")).lower()
    if kind not in _REPORT_FORMATS:
        raise InvalidInputError(f"report {str(p)!r}: unknown format {kind!r}; use a .html, .md or .json file")
    return _REPORT_FORMATS[kind]


def write_report(
    result: CheckResult | AuditResult, path: str | Path, *, fmt: str | None = None, **options: Any
) -> Path:
    """Write the report to ``path``; the format comes from ``fmt`` or the extension.

    ``.html``/``.htm`` -> HTML, ``.md``/``.markdown`` -> Markdown, ``.json`` -> JSON.
    """
    p = Path(path)
    renderers = {"html": report_html, "markdown": report_markdown, "json": report_json}
    text = renderers[report_format(p, fmt)](result, **options)
    try:
        p.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise InvalidInputError(f"report {str(p)!r}: cannot write ({exc.strerror or exc})") from None
    return p


# =========================================================================== document
def build_document(
    result: CheckResult | AuditResult,
    *,
    title: str | None = None,
    pseudonymize: bool = True,
    key: bytes | str | None = None,
    timestamp: str | bool | None = None,
    pilot_times: Mapping[str, Sequence[float]] | None = None,
    data_vintage: bool = True,
) -> dict[str, Any]:
    """The report as a plain dict (what every format renders).

    ``pseudonymize`` (audits): replace worker ids by keyed HMAC pseudonyms when ``key`` is given
    (:meth:`AuditResult.pseudonymized`, joinable with the pseudonymised tables and ledger), or
    withhold them without a key, so a shared report names nobody. ``timestamp``: ``True`` for the current UTC time, or a string to print; by
    default none, so reports are reproducible. ``pilot_times`` (checks): task -> seconds per
    worker, for coverage curves in HTML. ``data_vintage``: list the data tables' vintages.
    """
    del pilot_times  # used by the HTML figures only
    if hasattr(result, "cells_list"):
        doc = _check_document(cast("CheckResult", result))
    elif hasattr(result, "workers") and hasattr(result, "worker_projects"):
        doc = _audit_document(cast("AuditResult", result), pseudonymize=pseudonymize, key=key)
    else:
        raise InvalidInputError(
            f"a report needs a CheckResult or an AuditResult, not {type(result).__name__}"
        )
    if title:
        doc["title"] = str(title)
    doc["data_vintage"] = _data_vintage() if data_vintage else []
    doc["frameworks"] = [dict(f) for f in FRAMEWORKS]
    from fairpay import __version__

    doc["generated_by"] = f"fairpay {__version__}"
    if timestamp:
        if timestamp is True:
            import datetime

            timestamp = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
        doc["generated_at"] = str(timestamp)
    return doc


# --------------------------------------------------------------------------- formatting
def _down(x: Any, currency: str) -> str:
    """Money the worker gets, by the one display rule (:func:`fairpay.units.figures.worker_side`)."""
    return fig.text(fig.worker_side(x, currency))


def _up(x: Any, currency: str) -> str:
    """A bar, a required amount or a top-up, by the one display rule (rounded up)."""
    return fig.text(fig.bar_side(x, currency))


def _pct_floor(ratio: Any) -> str:
    """A ratio as a whole percentage, floored: 0.999 -> "99%"."""
    return fig.percent_floor(ratio)


def _pct(share: float, places: int = 0) -> str:
    return f"{100 * share:.{places}f}%"


def _below_share(n_below: int, n: int) -> str:
    """A share of workers below the bar, rounded up (never understated), one decimal."""
    return fig.share_text(Decimal(n_below) / Decimal(n), below=True, places=1) if n else "0%"


def _pay(x: Any, currency: str) -> str:
    """A per-task pay as given, with at least the currency's minor-unit digits."""
    return f"{fig.text(fig.as_given(x, currency))} {currency}"


def _place(country: str, subdivision: str | None, locality: str | None = None) -> str:
    # pandas 3 string columns hold NaN (not None) for a missing subdivision or locality
    where = subdivision if isinstance(subdivision, str) and subdivision else country
    return f"{where} ({locality})" if isinstance(locality, str) and locality else str(where)


def _table(
    title: str, columns: list[str], rows: list[list[Any]], note: str = "", flags: list[bool] | None = None
) -> dict[str, Any]:
    return {
        "title": title,
        "columns": columns,
        "rows": [[plain(v) for v in r] for r in rows],
        "note": note,
        "flags": flags or [False] * len(rows),
    }


# --------------------------------------------------------------------------- check
def bar_label(cell: Cell, margin: Any = 0) -> str:
    """What the bar of a cell *is*, in a few words, for every screen (console, reports).

    A figure the spec supplied (``benchmark_overrides``, e.g. a vendor's own number) is labelled
    as an override with its source, never as fairpay's living or minimum wage; a margin on top
    of the benchmark is named, so a bar of benchmark x 1.1 is not called "the living wage".
    """
    bm = cell.benchmark
    if bm.origin == "override" or bm.method == "user_override":
        text = f"OVERRIDE from the spec: {bm.kind} figure per {plain(bm.source)} ({bm.reference_year})"
    else:
        text = f"{bm.kind} wage ({bm.method}, {bm.reference_year})"
    m = Decimal(str(margin or 0))
    if m:
        text += f" + {fig.text((m * 100).normalize())}% margin"
    return text


def _check_document(r: CheckResult) -> dict[str, Any]:
    cells = list(r.cells_list)
    cur = r.pay_currency
    n, flags = len(cells), r.flags
    if flags:
        worst = min(flags, key=lambda c: c.ratio)
        wd = worst.to_dict()
        headline = f"FAIL: {len(flags)} of {n} task x place cells pay below the bar"
        detail = [
            f"Lowest: {plain(worst.task)} in {_place(worst.country, worst.subdivision, worst.locality)} earns "
            f"{wd['effective_hourly']} {worst.local_currency}/h, {_pct_floor(worst.ratio)} of the bar "
            f"of {wd['bar_hourly']} {worst.local_currency}/h; {_pay(worst.required_pay_per_task, cur)} "
            "per task would reach it."
        ]
    else:
        lowest = min(cells, key=lambda c: c.ratio)
        headline = f"PASS: all {n} task x place cells reach the bar"
        detail = [
            f"Closest to the bar: {plain(lowest.task)} in {_place(lowest.country, lowest.subdivision, lowest.locality)} "
            f"at {_pct_floor(lowest.ratio)} of it."
        ]
    b = r.budget
    margin = r.policy.get("margin") or 0
    if flags:
        detail.append(
            f"Paying every place its required rate costs {b['compliant_per_place']} {cur} "
            f"(+{b['increase_per_place']} {cur} on the current {b['current']} {cur})."
        )
    overridden = [
        c for c in cells if c.benchmark.origin == "override" or c.benchmark.method == "user_override"
    ]
    if overridden:
        places = sorted({_place(c.country, c.subdivision, c.locality) for c in overridden})
        detail.append(
            f"{len(overridden)} of {n} cells are decided by a figure supplied in the spec (benchmark override for "
            f"{', '.join(places)}), not by fairpay's bundled data; check its source before relying on it."
        )
    if margin:
        detail.append(
            f"Every bar includes a margin of {fig.text((Decimal(str(margin)) * 100).normalize())}% above the "
            "benchmark (the policy's choice): a bar here is not the benchmark itself."
        )
    forecasts = [c for c in cells if c.forecast is not None]
    if forecasts:
        worst_f = max(forecasts, key=lambda c: c.forecast["share_below"] if c.forecast else 0)
        f = worst_f.forecast or {}
        detail.append(
            f"Production forecast: up to {fig.share_text(f['share_below'], below=True)} of workers "
            f"({fig.share_text(f['interval'][0], below=True)}-{fig.share_text(f['interval'][1], below=True)}, "
            f"{fig.share_text(f['level'], below=False)} interval) would earn below the bar for "
            f"{plain(worst_f.task)} in {_place(worst_f.country, worst_f.subdivision, worst_f.locality)} at the "
            "proposed pay."
        )
    show_cov = any(c.coverage is not None for c in cells)
    columns = [
        "verdict",
        "task",
        "place",
        "ratio",
        "effective/h",
        "bar/h",
        "pay/task",
        "required/task",
        "share",
    ]
    columns += ["pilot workers at bar"] if show_cov else []
    columns += ["forecast below the bar"] if forecasts else []
    columns += ["bar used"]
    rows = []
    for c in cells:
        d = c.to_dict()
        row = [
            "ok" if c.ok else "BELOW",
            c.task,
            _place(c.country, c.subdivision, c.locality),
            _pct_floor(c.ratio),
            f"{d['effective_hourly']} {c.local_currency}",
            f"{d['bar_hourly']} {c.local_currency}",
            _pay(c.pay_per_task, cur),
            _pay(c.required_pay_per_task, cur),
            _pct(float(c.share)),
        ]
        if show_cov:
            row.append("" if c.coverage is None else fig.share_text(c.coverage, below=False))
        if forecasts:
            row.append(
                ""
                if c.forecast is None
                else f"{fig.share_text(c.forecast['share_below'], below=True)} "
                f"({fig.share_text(c.forecast['interval'][0], below=True)}-"
                f"{fig.share_text(c.forecast['interval'][1], below=True)})"
            )
        row.append(bar_label(c, margin))
        rows.append(row)
    cell_table = _table(
        "Per task and place",
        columns,
        rows,
        "Effective hourly = pay after deductions x exchange rate x share of work paid x 3600 / (task seconds + "
        "unpaid seconds). Effective pay is rounded down, bars and required pay up, ratios floored."
        + (
            " Forecast: predicted share of production workers below the bar (90% interval), from the pilot's "
            "per-worker times (fairpay.worktime.forecast)."
            if forecasts
            else ""
        ),
        [not c.ok for c in cells],
    )
    fee = (
        f" (requester fee {_pct_floor(b['requester_fee'])} on top: {b['compliant_per_place_with_fees']} {cur} "
        f"per place, {b['compliant_uniform_with_fees']} {cur} uniform)"
        if Decimal(b.get("requester_fee") or 0)
        else ""
    )
    budget_rows = [
        [
            t["task"],
            f"{t['volume']:,}",
            _pay(t["pay_per_task"], cur),
            f"{t['current']} {cur}",
            f"{t['compliant_per_place']} {cur}",
            _pay(t["uniform_rate"], cur),
            f"{t['compliant_uniform']} {cur}",
        ]
        for t in b["tasks"]
    ]
    budget_rows.append(
        [
            "total",
            "",
            "",
            f"{b['current']} {cur}",
            f"{b['compliant_per_place']} {cur}",
            "",
            f"{b['compliant_uniform']} {cur}",
        ]
    )
    budget = _table(
        "Budget impact",
        ["task", "volume", "pay/task", "current", "compliant per place", "uniform rate", "compliant uniform"],
        budget_rows,
        f"Increase: +{b['increase_per_place']} {cur} paying each place its required rate, "
        f"+{b['increase_uniform']} {cur} paying everyone one uniform rate{fee}.",
    )
    return {
        "kind": "check",
        "title": f"fairpay pre-launch check: {plain(r.project)}",
        "subject": r.project,
        "ok": r.ok,
        "verdict": {"ok": r.ok, "headline": headline, "detail": detail},
        "tables": [cell_table, budget],
        "warnings": list(r.warnings),
        "transparency": _check_transparency(r),
        "sources": source_rows(cells),
        "numbers": {
            "cells": [c.to_dict() for c in cells],
            "budget": b,
            "policy": r.policy,
            "times": list(r.times),
        },
    }


def _check_transparency(r: CheckResult) -> list[dict[str, str]]:
    pol = r.policy
    cells = list(r.cells_list)
    cur = r.pay_currency
    margin = float(pol.get("margin") or 0)
    policy = (
        f"Every task x place must pay at least {KIND_TEXT.get(str(pol.get('benchmark')), pol.get('benchmark'))} "
        f"where the workers live"
        + (f", plus a margin of {_pct(margin, 1)}" if margin else "")
        + f", as effective hourly pay after deductions and unpaid time. Household: "
        f"{pol.get('household') or 'default order'}. Where no living wage is known: "
        + (
            "the minimum wage is used, with a warning."
            if pol.get("missing_living") == "minimum"
            else "the check stops with an error."
        )
    )
    seen: dict[str, str] = {}
    for c in cells:
        where = _place(c.country, c.subdivision, c.locality)
        bm = c.benchmark
        seen.setdefault(
            where,
            f"{where}: {c.to_dict()['bar_hourly']} {c.local_currency}/h ({bar_label(c, margin)}, "
            f"prices of {bm.year})",
        )
    total = sum((c.volume for c in cells), Decimal(0))
    below_vol = sum((c.volume for c in r.flags), Decimal(0))
    below = (
        f"{len(r.flags)} of {len(cells)} task x place cells pay below the bar, carrying "
        f"{_pct(float(below_vol / total), 1) if total else '0%'} of the planned task volume."
    )
    cov = [
        f"{plain(c.task)} in {_place(c.country, c.subdivision, c.locality)}: "
        f"{fig.share_text(1 - c.coverage, below=True)} of pilot workers "
        "would be below the bar at the proposed pay"
        for c in cells
        if c.coverage is not None
    ]
    if cov:
        below += " From the pilot's own times: " + "; ".join(cov) + "."
    times = "; ".join(f"{plain(t['task'])}: {t['description']}" for t in r.times)
    unpaid: dict[str, str] = {}
    for c in cells:
        unpaid.setdefault(
            c.task,
            f"{plain(c.task)}: {c.unpaid_seconds_per_task.normalize():f} s unpaid per task "
            f"(onboarding spread over the tasks a worker does, per-task overhead, the task's own) "
            f"and {_pct(float(c.lost_share), 1)} of work not paid (rejections, returns)",
        )
    keep = {f"{_pct(float(c.net_pay_per_task / c.pay_per_task), 1)}" for c in cells}
    remediation = (
        f"Before launch: raise pay to the required rate per place (+{r.budget['increase_per_place']} "
        f"{cur}) or to one uniform rate (+{r.budget['increase_uniform']} {cur}). "
        "Top-ups paid: none yet (no work done); audit the submission log after launch."
        if r.flags
        else "No change needed at the planned pay. Top-ups paid: none yet (no work done)."
    )
    return [
        {"topic": "Pay policy", "answer": policy},
        {"topic": "Benchmark per location", "answer": "; ".join(seen.values()) + "."},
        {"topic": "Share of workers below the bar", "answer": below},
        {"topic": "How time was estimated", "answer": times + "."},
        {
            "topic": "Unpaid time accounted for",
            "answer": "; ".join(unpaid.values())
            + f". Share of the listed pay that reaches the worker after fees: {', '.join(sorted(keep))}.",
        },
        {"topic": "Remediation (top-ups proposed / paid)", "answer": remediation},
    ]


def _benchmark_source(bm: Any, places: list[str], extra: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "places": places,
        "kind": bm.kind,
        "method": bm.method,
        "household": bm.household,
        "source": bm.source,
        "url": bm.url,
        "reference_year": bm.reference_year,
        "price_year": bm.year,
        "amount_as_published": f"{bm.amount.normalize():f} {bm.currency}/{bm.period}",
        "hourly": f"{_up(bm.hourly, bm.currency)} {bm.currency}/h",
        "gross_net": bm.gross_net,
        "hours_per_week": f"{bm.hours_per_week.normalize():f}",
        "hours_basis": bm.hours_basis,
        "confidence": bm.confidence,
        "origin": bm.origin,
        "adjustments": [*bm.adjustments, *[e for e in extra if e not in bm.adjustments]],
        "fallbacks": list(bm.fallbacks),
    }


def benchmark_sources(items: Sequence[tuple[str, Any]]) -> list[dict[str, Any]]:
    """One source entry per benchmark of ``items`` ((place, benchmark) pairs), with the places that use
    it, in first-seen order: the sources table of the vendor documents and the transparency statement."""
    return merge_sources([_benchmark_source(bench, [where]) for where, bench in items])


def merge_sources(entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Source entries (as :func:`benchmark_sources` makes them) merged: one per source, URL,
    reference year and hourly figure *as printed*, with the places of all, in first-seen order.

    Why the printed figure: two entries a reader cannot tell apart are one row of a sources table.
    """
    out: dict[str, dict[str, Any]] = {}
    for s in entries:
        key = f"{s['source']}|{s['url']}|{s.get('reference_year')}|{s.get('hourly')}"
        if key in out:
            out[key]["places"] = list(dict.fromkeys([*out[key]["places"], *s["places"]]))
        else:
            out[key] = {**s, "places": list(dict.fromkeys(s["places"]))}
    return list(out.values())


def source_rows(cells: Sequence[Cell]) -> list[dict[str, Any]]:
    """The sources table: one row per place whose bar ``cells`` use (benchmark, adjustments,
    exchange rate), shared with the transparency statement."""
    out: dict[str, dict[str, Any]] = {}
    for c in cells:
        where = _place(c.country, c.subdivision, c.locality)
        if where in out:
            continue
        extra = [
            *c.adjustments,
            f"exchange rate {c.pay_currency}->{c.local_currency} "
            f"{fig.text(fig.rate(c.fx_rate))} ({c.fx_year})",
        ]
        out[where] = _benchmark_source(c.benchmark, [where], extra)
    return list(out.values())


# --------------------------------------------------------------------------- audit
#: What a report shows instead of a worker id when no pseudonymisation key is given.
WITHHELD = "(withheld)"


def _pseudonyms(result: AuditResult, pseudonymize: bool, key: bytes | str | None) -> AuditResult:
    """The result as the report shows it: keyed HMAC pseudonyms (the one scheme, the same as the
    pseudonymised tables and ledger of ``fairpay audit --pseudonymize-key-file``, so they join),
    or, without a key, ids withheld; the platform's ids only with ``pseudonymize=False``."""
    if not pseudonymize:
        return result
    if key is not None:
        return result.pseudonymized(key)
    from dataclasses import replace

    def swap(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df["worker"] = WITHHELD
        if "task" in df.columns:  # the last task id can identify a worker on the platform
            df = df.drop(columns=["task"])
        return df

    try:
        return replace(result, workers=swap(result.workers), worker_projects=swap(result.worker_projects))
    except TypeError:  # not a dataclass: a duck-typed result
        result.workers, result.worker_projects = swap(result.workers), swap(result.worker_projects)
        return result


def _audit_document(result: AuditResult, *, pseudonymize: bool, key: bytes | str | None) -> dict[str, Any]:
    r = _pseudonyms(result, pseudonymize, key)
    w = r.workers
    n = len(w)
    below = w[w["below"].astype(bool)]
    totals = _minor_sums(below, "pay_currency", "top_up")
    total_text = ", ".join(f"{_up(v, k)} {k}" for k, v in totals.items()) or "none"
    if len(below):
        headline = f"FAIL: {len(below)} of {n} workers ({_below_share(len(below), n)}) earned below the bar where they live"
    else:
        headline = f"PASS: all {n} workers earned at least the bar where they live"
    detail = [f"Top-ups proposed: {total_text} (each rounded up to the currency's minor unit)."]
    period = r.period
    detail.append(
        f"Audit period: {period[0]} to {period[1]} (UTC; first task accepted to last task submitted)."
        if period
        else "Audit period: not recorded with this result."
    )
    detail.append(
        "Bar per place: "
        + "; ".join(
            f"{_place(b.country, b.subdivision)} {_up(b.bar_local, b.local_currency)} {b.local_currency}/h "
            f"({_audit_bar_name(b.bar_kind)}, {b.bar_method}, prices of {b.bar_year})"
            for b in _bar_rows(r)
        )
        + "."
    )
    proj_rows = []
    for p in r.projects.itertuples(index=False):
        proj_rows.append(
            [
                p.project,
                p.workers_below,
                _below_share(int(p.workers_below), int(p.workers)),
                p.workers,
                f"{_down(p.median_wage, p.pay_currency)} {p.pay_currency}/h"
                if _finite(p.median_wage)
                else "",
                f"{_down(p.p10_wage, p.pay_currency)} {p.pay_currency}/h" if _finite(p.p10_wage) else "",
                _pct_floor(p.median_bar_ratio) if _finite(p.median_bar_ratio) else "",
                f"{float(p.hours):.1f}",
                f"{_up(_exact_minor(p.total_top_up), p.pay_currency)} {p.pay_currency}",
            ]
        )
    projects = _table(
        "Per project",
        [
            "project",
            "workers below the bar",
            "share below the bar",
            "workers",
            "median wage",
            "10th pct wage",
            "median worker's wage / bar (half earn less)",
            "hours",
            "top-ups",
        ],
        proj_rows,
        "Wages in the project's pay currency per hour; the ratio compares each worker with their own "
        "local bar. A median above 100% does not mean compliance: every worker below the bar is owed a "
        "top-up. Project top-ups add up per worker x project; the ledger nets per worker.",
        [int(p.workers_below) > 0 for p in r.projects.itertuples(index=False)],
    )
    place_rows, place_flags = [], []
    for (c, s), g in _groupby_place(w):
        worked = g[g["hours"] > 0]
        ratio = worked["wage_local"] / worked["bar_local"]
        nb = int(g["below"].sum())
        place_rows.append(
            [
                _place(c, s),
                nb,
                _below_share(nb, len(g)),
                len(g),
                f"{_down(worked['wage_local'].median(), g['local_currency'].iloc[0])} {g['local_currency'].iloc[0]}/h"
                if len(worked)
                else "",
                f"{_up(g['bar_local'].iloc[0], g['local_currency'].iloc[0])} {g['local_currency'].iloc[0]}/h",
                _pct_floor(ratio.median()) if len(worked) else "",
                "; ".join(
                    f"{_up(v, k)} {k}"
                    for k, v in _minor_sums(g[g["below"].astype(bool)], "pay_currency", "top_up").items()
                ),
            ]
        )
        place_flags.append(nb > 0)
    places = _table(
        "Per place",
        [
            "place",
            "workers below the bar",
            "share below the bar",
            "workers",
            "median wage",
            "bar",
            "median worker's wage / bar (half earn less)",
            "top-ups",
        ],
        place_rows,
        "Wages and bars in the local currency per hour; the bar of each place is named in the sources.",
        place_flags,
    )
    listed = below.sort_values(["top_up", "worker"], ascending=[False, True]).head(MAX_WORKER_ROWS)
    worker_rows = [
        [
            x.worker,
            _place(x.country, x.subdivision),
            f"{float(x.hours):.2f}",
            x.tasks,
            f"{_down(_exact_micro(x.earnings), x.pay_currency)} {x.pay_currency}",
            f"{_down(x.wage_local, x.local_currency)} {x.local_currency}/h",
            f"{_up(x.bar_local, x.local_currency)} {x.local_currency}/h",
            f"{_up(_exact_minor(x.top_up), x.pay_currency)} {x.pay_currency}",
        ]
        for x in listed.itertuples(index=False)
    ]
    more = len(below) - len(listed)
    if not pseudonymize:
        id_note = "Worker ids are the platform's own: do not share this report outside the team."
    elif key is not None:
        id_note = (
            "Worker ids are keyed pseudonyms (HMAC-SHA256, first 16 hex characters): the same key gives the "
            "same pseudonyms in the pseudonymised tables and ledger, so rows can be joined by whoever holds it."
        )
    else:
        id_note = (
            "Worker ids are withheld: give a pseudonymisation key (fairpay audit --pseudonymize-key-file) "
            "to list keyed pseudonyms that join with the pseudonymised tables and ledger."
        )
    workers_table = _table(
        "Workers below the bar",
        ["worker", "place", "hours", "tasks", "earned", "wage", "bar", "top-up"],
        worker_rows,
        id_note + (f" {more} more workers below the bar are not listed." if more > 0 else ""),
        [True] * len(worker_rows),
    )
    tables = [projects, places] + ([workers_table] if len(below) else [])
    return {
        "kind": "audit",
        "title": "fairpay audit: "
        + plain(_source_name(r.source))
        + (f", {period[0][:10]} to {period[1][:10]}" if period else ""),
        "subject": plain(_source_name(r.source)),
        "period": None if not period else {"from": period[0], "to": period[1]},
        "ok": bool(r.ok),
        "verdict": {"ok": bool(r.ok), "headline": headline, "detail": detail},
        "tables": tables,
        "warnings": list(r.warnings),
        "transparency": _audit_transparency(r, below, total_text),
        "sources": _audit_sources(r),
        "numbers": {
            "workers": n,
            "workers_below": int(len(below)),
            "total_top_up": {k: _up(v, k) for k, v in totals.items()},
            "settings": r.settings.record(),
            "pseudonymized": bool(pseudonymize),
            "projects": fig.json_records(r.projects),
            "workers_below_the_bar": fig.json_records(
                listed.drop(columns=[c for c in ("task",) if c in listed])
            ),
        },
    }


def _exact_minor(x: Any) -> Decimal:
    """A sum of minor-unit amounts held as a float (10.900000000000002) back to its exact value.

    Why: rounding the float *up* would add a cent that nobody owes; every top-up is already a whole
    number of minor units, so the nearest 1e-9 is exact for any realistic total.
    """
    return Decimal(repr(round(float(x), 9)))


def _source_name(source: Any) -> str:
    """The log's file name, not its full path (a path can name people and folders)."""
    text = str(source)
    return Path(text).name if ("/" in text or "\\" in text) else text


def _audit_bar_name(kind: Any) -> str:
    return {"living": "living wage", "minimum": "minimum wage"}.get(str(kind), f"{kind} bar")


def _exact_micro(x: Any) -> Decimal:
    """Earnings (sums of rewards in micro-units, held as a float) back to their exact value."""
    return Decimal(repr(round(float(x), 6)))


def _minor_sums(df: pd.DataFrame, by: str, col: str) -> dict[str, Decimal]:
    """Exact per-``by`` sums of a column of minor-unit amounts (see :func:`_exact_minor`), sorted by key."""
    out: dict[str, Decimal] = {}
    for k, v in zip(df[by], df[col], strict=True):
        out[str(k)] = out.get(str(k), Decimal(0)) + _exact_minor(v)
    return dict(sorted(out.items()))


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _groupby_place(w: pd.DataFrame) -> list[tuple[tuple[str, str | None], pd.DataFrame]]:
    keys = [
        (str(c), None if s is None or (isinstance(s, float) and math.isnan(s)) else str(s))
        for c, s in zip(w["country"], w["subdivision"])
    ]
    groups: dict[tuple[str, str | None], list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    return [(k, w.iloc[idx]) for k, idx in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))]


def _audit_transparency(r: AuditResult, below: pd.DataFrame, total_text: str) -> list[dict[str, str]]:
    s = r.settings
    w = r.workers
    policy = (
        f"Each worker's effective hourly pay over the audited work must reach "
        f"{KIND_TEXT.get(s.kind, s.kind)} where they live (household: {s.household or 'default order'}"
        + (f", locality: {s.locality}" if s.locality else "")
        + "). Where no living wage is known: "
        + ("the minimum wage is used, with a warning" if s.missing_living == "minimum" else "the audit stops")
        + f". Prices and exchange rates of {s.year if s.year else 'the year of the last submission'}"
        + (", benchmarks inflated with CPI" if s.inflate else ", benchmarks not inflated")
        + "."
    )
    bench = "; ".join(
        f"{_place(b.country, b.subdivision)}: {_up(b.bar_local, b.local_currency)} {b.local_currency}/h ({b.bar_kind} "
        f"wage, {b.bar_method}, prices of {b.bar_year})"
        for b in _bar_rows(r)
    )
    proj = "; ".join(
        f"{plain(p.project)}: {p.workers_below} of {p.workers} ({_below_share(int(p.workers_below), int(p.workers))})"
        for p in r.projects.itertuples(index=False)
    )
    share = (
        f"{len(below)} of {len(w)} workers ({_below_share(len(below), len(w))}) below the bar"
        f" overall. Per project: {proj}."
    )
    gap = (
        f", gaps of up to {s.merge_gap_seconds:g} s between tasks counted as work"
        if s.merge_gap_seconds
        else ""
    )
    time = (
        "Worked time is the union of each worker's task intervals, from accepting a task to submitting it: "
        f"overlapping tasks count once{gap}. No self-reported time is used."
    )
    counts = {k: int(w[k].sum()) for k in ("tasks", "approved", "rejected", "returned", "pending")}
    unpaid = (
        f"Of {counts['tasks']:,} tasks, {counts['rejected']:,} rejected and {counts['returned']:,} returned earned "
        f"nothing but their time counts as worked; {counts['pending']:,} pending (not yet reviewed) are counted as "
        f"{'paid' if s.pending == 'paid' else 'unpaid'}. Bonuses already paid count as earnings."
    )
    remediation = (
        f"Top-ups proposed: {total_text}, to the {len(below)} worker(s) below the bar (the amount that "
        "lifts each to the bar, rounded up). Top-ups paid: record them with the back-pay ledger "
        "(AuditResult.ledger(previous_payments)); none are recorded in this report."
    )
    return [
        {"topic": "Pay policy", "answer": policy},
        {"topic": "Benchmark per location", "answer": bench + "."},
        {"topic": "Share of workers below the bar", "answer": share},
        {"topic": "How time was estimated", "answer": time},
        {"topic": "Unpaid time accounted for", "answer": unpaid},
        {"topic": "Remediation (top-ups proposed / paid)", "answer": remediation},
    ]


def _bar_rows(r: AuditResult) -> list[Any]:
    """One row per distinct place of the bars table, sorted by place (the table's order is the scan's)."""
    rows = list(r.bars.drop_duplicates(["country", "subdivision"]).itertuples(index=False))
    return sorted(rows, key=lambda b: (str(b.country), str(b.subdivision or "")))


def _audit_sources(r: AuditResult) -> list[dict[str, Any]]:
    """One entry per bar: the full provenance of the benchmark the audit used (``r.benchmarks``),
    else (a user's own bar object, not a :class:`~fairpay.wages.Benchmark`) what the bars table records."""
    from fairpay.units.places import Place
    from fairpay.wages import Benchmark

    used = r.benchmarks
    out: list[dict[str, Any]] = []
    for b in _bar_rows(r):
        where = _place(b.country, b.subdivision)
        sub = (
            None
            if b.subdivision is None or (isinstance(b.subdivision, float) and math.isnan(b.subdivision))
            else str(b.subdivision)
        )
        bm = used.get(Place(str(b.country), sub))
        if isinstance(bm, Benchmark):
            out.append(_benchmark_source(bm, [where]))
            continue
        out.append(
            {
                "places": [where],
                "kind": b.bar_kind,
                "method": b.bar_method,
                "household": None,
                "source": b.bar_source,
                "url": b.bar_url,
                "reference_year": b.bar_reference_year,
                "price_year": int(b.bar_year),
                "amount_as_published": None,
                "hourly": f"{_up(b.bar_local, b.local_currency)} {b.local_currency}/h",
                "gross_net": b.bar_gross_net,
                "hours_per_week": b.bar_hours_per_week,
                "hours_basis": b.bar_hours_basis,
                "confidence": None,
                "origin": None,
                "adjustments": [x for x in str(b.bar_adjustments or "").split("; ") if x],
                "fallbacks": [x for x in str(b.bar_fallbacks or "").split("; ") if x],
            }
        )
    return out


# --------------------------------------------------------------------------- data vintage
def _data_vintage() -> list[dict[str, str]]:
    """Where each benchmark/FX/CPI table came from and how recent it is (no clock involved)."""
    from fairpay import __version__
    from fairpay.tables import load as data, store as cache

    out = []
    for kind in _DATA_TABLES:
        try:
            tables = [data.load(kind)]
            # an import is described from its provenance: its rows (maybe a million) are not read
            user = data.user_rows(kind, countries=()) if kind in ("living_wages", "minimum_wages") else None
        except Exception as exc:  # pragma: no cover - broken data is reported elsewhere
            out.append({"table": kind, "origin": "unavailable", "vintage": str(exc), "source": ""})
            continue
        if user is not None:
            tables.append(user)
        for t in tables:
            meta = cache.read_meta(Path(t.location)) if t.origin != "bundled" else None
            if meta:
                vintage = f"{meta.get('vintage', '')} (retrieved {meta.get('retrieved_at', '')})"
                source = str(meta.get("source", ""))
            else:
                vintage = _vintage_of(t.rows) if t.origin != "user" else "imported (no provenance recorded)"
                source = data.TABLE_SOURCE_URLS.get(kind, "cited per row")
            origin = f"bundled with fairpay {__version__}" if t.origin == "bundled" else t.origin
            out.append({"table": kind, "origin": origin, "vintage": vintage, "source": source})
    return out


def _vintage_of(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "empty"
    if "source_vintage" in rows[0]:
        vs = sorted({str(r["source_vintage"]) for r in rows if r.get("source_vintage")})
        return vs[-1] if len(vs) == 1 else f"{vs[0]} to {vs[-1]}"
    if "reference_year" in rows[0]:
        ys = [int(r["reference_year"]) for r in rows]
        return f"reference years {min(ys)}-{max(ys)}"
    return "as bundled"


# =========================================================================== Markdown
#: Markdown markup characters escaped everywhere; ``_`` only where it could open or close emphasis
#: (``typical_family`` stays readable) and ``&`` only before an entity-like name.
_MD_SPECIAL = re.compile(r"[\\`*\[\]<>|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|&(?=#?\w+;)")


def _md(text: Any) -> str:
    """Text safe inside Markdown (and a table cell): markup escaped, newlines flattened."""
    s = safetext.markdown_ready(re.sub(r"[\r\n\t]+", " ", str(text)))
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), s)


def _md_url(url: Any) -> str:
    u = str(url or "")
    if re.fullmatch(r"https?://[^\s<>]+", u):
        return f"<{u}>"
    return _md(u)


def _render_markdown(doc: dict[str, Any]) -> str:
    out: list[str] = [f"# {_md(doc['title'])}", ""]
    v = doc["verdict"]
    out += [f"**{_md(v['headline'])}**", ""]
    out += [f"- {_md(d)}" for d in v["detail"]] + [""]
    for t in doc["tables"]:
        out += [f"## {_md(t['title'])}", ""]
        out.append("| " + " | ".join(_md(c) for c in t["columns"]) + " |")
        out.append("|" + "|".join("---" for _ in t["columns"]) + "|")
        out += ["| " + " | ".join(_md(x) for x in row) + " |" for row in t["rows"]]
        out += ([""] + [_md(t["note"])] if t["note"] else []) + [""]
    out += ["## Warnings", ""]
    out += [f"- {_md(w)}" for w in doc["warnings"]] or ["None."]
    out += [
        "",
        "## Transparency",
        "",
        "Shaped after " + " and ".join(f"[{_md(f['name'])}]({f['url']})" for f in doc["frameworks"]) + ".",
        "",
    ]
    for item in doc["transparency"]:
        out += [f"- **{_md(item['topic'])}.** {_md(item['answer'])}"]
    out += ["", "## Sources", ""]
    for i, s in enumerate(doc["sources"], 1):
        out += _md_source(i, s)
    if doc.get("data_vintage"):
        out += ["## Data vintage", "", "| table | origin | vintage | source |", "|---|---|---|---|"]
        out += [
            f"| {_md(d['table'])} | {_md(d['origin'])} | {_md(d['vintage'])} | {_md(d['source'])} |"
            for d in doc["data_vintage"]
        ]
        out.append("")
    foot = f"Generated by {doc['generated_by']}" + (
        f" at {doc['generated_at']}" if doc.get("generated_at") else ""
    )
    out += ["---", "", _md(foot) + "."]
    return "\n".join(out) + "\n"


def _source_lines(s: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs of one source, in report order; empty values left out."""
    pairs = [
        ("Used for", ", ".join(s["places"])),
        (
            "Benchmark",
            ", ".join(
                str(x)
                for x in (s.get("kind") and f"{s['kind']} wage", s.get("method"), s.get("household"))
                if x
            ),
        ),
        ("Reference year", s.get("reference_year")),
        ("Price year", s.get("price_year")),
        ("As published", s.get("amount_as_published")),
        ("Hourly", s.get("hourly")),
        ("Gross/net", s.get("gross_net")),
        (
            "Hours basis",
            f"{s['hours_per_week']} h/week ({s['hours_basis']})"
            if s.get("hours_per_week")
            else s.get("hours_basis"),
        ),
        ("Confidence", s.get("confidence")),
        ("Origin", s.get("origin")),
    ]
    return [(k, str(v)) for k, v in pairs if v not in (None, "")]


def _md_source(i: int, s: Mapping[str, Any]) -> list[str]:
    out = [f"{i}. **{_md(s['source'])}**, {_md_url(s['url'])}"]
    out += [f"   - {k}: {_md(v)}" for k, v in _source_lines(s)]
    out += [f"   - Adjustment: {_md(a)}" for a in s["adjustments"]]
    out += [f"   - Fallback: {_md(f)}" for f in s["fallbacks"]]
    return out + [""]


# =========================================================================== HTML
def _e(text: Any) -> str:
    """Text for HTML: escaped, bidi controls shown, right-to-left text isolated in ``<bdi>``."""
    return safetext.html_text(text)


def _link(url: Any, text: Any = None) -> str:
    u = str(url or "")
    label = _e(text if text is not None else u)
    if re.fullmatch(r"https?://[^\s<>\"']+", u):
        return f'<a href="{html.escape(u, quote=True)}" rel="noopener noreferrer">{label}</a>'
    return label


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1a1a1a;
margin:0;background:#f6f7f9;line-height:1.45}
main{max-width:1080px;margin:0 auto;padding:24px 32px 48px;background:#fff}
@media (max-width:600px){main{padding:12px 12px 32px}body{font-size:15px}}
h1{font-size:1.6em;margin:0 0 12px;overflow-wrap:anywhere}p,li,dd,dt,figcaption{overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}
td.name div{width:max-content;max-width:15em;overflow-wrap:anywhere}h2{font-size:1.2em;margin:32px 0 8px;border-bottom:1px solid #ddd;
padding-bottom:4px}
.verdict{border-radius:6px;padding:14px 18px;margin:12px 0 8px;border-left:8px solid}
.verdict.fail{background:#fdf0e9;border-color:#D55E00}.verdict.pass{background:#e9f3fa;border-color:#0072B2}
.verdict .headline{font-size:1.25em;font-weight:700;margin:0 0 6px}.verdict p{margin:4px 0}
table{border-collapse:collapse;width:auto;min-width:100%;font-size:.88em;margin:6px 0}
th,td{border-bottom:1px solid #e3e3e3;padding:5px 8px;text-align:left;vertical-align:top}
td.below{font-weight:700;color:#a23b00}
th{background:#f0f2f5;font-weight:600}tr.below td{background:#fff4ee}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.note{color:#555;font-size:.85em;margin:4px 0 0}
ul.warnings li{margin:3px 0}
dl.transparency dt{font-weight:600;margin-top:10px}dl.transparency dd{margin:2px 0 0 0}
ol.sources li{margin:0 0 12px}ol.sources dl{display:grid;grid-template-columns:150px 1fr;gap:2px 10px;
margin:4px 0;font-size:.9em}ol.sources dt{color:#555}ol.sources dd{margin:0}
figure{margin:12px 0}figure svg{width:100%;height:auto}figcaption{color:#555;font-size:.85em}
footer{margin-top:32px;color:#777;font-size:.8em}
"""


def _render_html(doc: dict[str, Any], figures: list[tuple[str, str]]) -> str:
    v = doc["verdict"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(doc['title'])}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_e(doc['title'])}</h1>",
        f'<section class="verdict {"pass" if v["ok"] else "fail"}">',
        f'<p class="headline">{_e(v["headline"])}</p>',
    ]
    parts += [f"<p>{_e(d)}</p>" for d in v["detail"]]
    parts.append("</section>")
    for i, t in enumerate(doc["tables"]):
        parts += [
            f"<h2>{_e(t['title'])}</h2>",
            '<div class="scroll">',
            "<table>",
            "<thead><tr>" + "".join(f"<th>{_e(c)}</th>" for c in t["columns"]) + "</tr></thead>",
            "<tbody>",
        ]
        for row, flag in zip(t["rows"], t["flags"], strict=True):
            cells = "".join(_cell(x) for x in row)
            parts.append((_BELOW_TR if flag else "<tr>") + cells + "</tr>")
        parts += ["</tbody>", "</table>", "</div>"]
        if t["note"]:
            parts.append(f'<p class="note">{_e(t["note"])}</p>')
        if i == 0:
            parts += _html_figures(figures)
    parts += ["<h2>Warnings</h2>"]
    parts += (
        ['<ul class="warnings">'] + [f"<li>{_e(w)}</li>" for w in doc["warnings"]] + ["</ul>"]
        if doc["warnings"]
        else ["<p>None.</p>"]
    )
    parts += [
        "<h2>Transparency</h2>",
        "<p>Shaped after " + " and ".join(_link(f["url"], f["name"]) for f in doc["frameworks"]) + ".</p>",
        '<dl class="transparency">',
    ]
    for item in doc["transparency"]:
        parts += [f"<dt>{_e(item['topic'])}</dt>", f"<dd>{_e(item['answer'])}</dd>"]
    parts += ["</dl>", "<h2>Sources</h2>", '<ol class="sources">']
    for s in doc["sources"]:
        parts.append(f"<li><strong>{_e(s['source'])}</strong><br>{_link(s['url'])}<dl>")
        parts += [f"<dt>{_e(k)}</dt><dd>{_e(val)}</dd>" for k, val in _source_lines(s)]
        parts += [f"<dt>Adjustment</dt><dd>{_e(a)}</dd>" for a in s["adjustments"]]
        parts += [f"<dt>Fallback</dt><dd>{_e(f)}</dd>" for f in s["fallbacks"]]
        parts.append("</dl></li>")
    parts.append("</ol>")
    if doc.get("data_vintage"):
        parts += [
            "<h2>Data vintage</h2>",
            '<div class="scroll"><table><thead><tr><th>table</th><th>origin</th><th>vintage</th>'
            "<th>source</th></tr></thead><tbody>",
        ]
        parts += [
            f"<tr><td>{_e(d['table'])}</td><td>{_e(d['origin'])}</td><td>{_e(d['vintage'])}</td>"
            f"<td>{_link(d['source'])}</td></tr>"
            for d in doc["data_vintage"]
        ]
        parts.append("</tbody></table></div>")
    foot = f"Generated by {doc['generated_by']}" + (
        f" at {doc['generated_at']}" if doc.get("generated_at") else ""
    )
    parts += [f"<footer>{_e(foot)}.</footer>", "</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


_NUM_TD = '<td class="num">'
_BELOW_TR = '<tr class="below">'
_NUMERIC = re.compile(r"^[+-]?[\d,]+(\.\d+)?%?( [A-Z]{3}(/h)?)?$")


def _numeric(text: str) -> bool:
    return bool(_NUMERIC.match(text))


def _cell(text: str) -> str:
    """One table cell: numbers right-aligned, a BELOW verdict emphasised, names wrapped at 15em
    (a box of at most that width, so a long name wraps and the table scrolls inside its box at
    phone width instead of squeezing every column)."""
    if text == "BELOW":
        return f'<td class="below">{_e(text)}</td>'
    if _numeric(text):
        return f"{_NUM_TD}{_e(text)}</td>"
    return f'<td class="name"><div>{_e(text)}</div></td>'


def _html_figures(figures: list[tuple[str, str]]) -> list[str]:
    out = []
    for caption, svg in figures:
        out += ["<figure>", svg, f"<figcaption>{_e(caption)}</figcaption>", "</figure>"]
    return out


def _figures(
    result: Any, doc: dict[str, Any], pilot_times: Mapping[str, Sequence[float]] | None
) -> list[tuple[str, str]]:
    """(caption, inline SVG) for the HTML report; a note instead when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        doc["verdict"]["detail"].append(
            "Plots left out: matplotlib is not installed (pip install 'fairpay[plots]')."
        )
        return []
    from fairpay.report import plots

    figs: list[tuple[str, Any]] = []
    if doc["kind"] == "check":
        figs.append(
            (
                "Effective hourly pay as a share of each place's bar (100 % = the bar).",
                plots.plot_effective_vs_bar(result),
            )
        )
        times = dict(pilot_times or {})
        for t in result.times:
            if t.get("per_worker") and t["task"] not in times:
                times[t["task"]] = t["per_worker"]
        for task, ts in times.items():
            cells = [c for c in result.cells_list if c.task == task]
            if not cells or not ts:
                continue
            hardest = max(cells, key=lambda c: c.required_pay_per_task)
            figs.append(
                (
                    f"Coverage curve for {task} in {_place(hardest.country, hardest.subdivision, hardest.locality)} "
                    "(the place needing the highest pay): share of pilot workers whose own time reaches the bar "
                    "at each pay per task.",
                    plots.plot_coverage_curve(list(ts), cell=hardest),
                )
            )
    else:
        figs.append(
            (
                "Workers' effective hourly pay as a share of their local bar, per place (median worker; "
                "whisker: 10th-90th percentile).",
                plots.plot_effective_vs_bar(result),
            )
        )
        if int((result.workers["hours"] > 0).sum()):
            figs.append(
                (
                    "Distribution of workers' effective hourly wages (ECDF) with the bar marked.",
                    plots.plot_wage_ecdf(result),
                )
            )
    return [(caption, plots.figure_svg(fig)) for caption, fig in figs]
