"""Plots of a check or an audit, as matplotlib Figures (the ``plots`` extra).

Why: a programme manager sees in one picture which places fall short and by how much; an ethics
board sees how many workers are below the bar, not just the average. Every function returns a
:class:`matplotlib.figure.Figure` built without pyplot (no global state, no GUI backend, safe in
threads and notebooks) and draws nothing it was not given: no smoothing, no interpolation.

- :func:`plot_effective_vs_bar` - effective hourly as a share of the local bar, per task x place
  (check) or per place (audit: the median worker, with the 10th-90th percentile range).
- :func:`plot_wage_ecdf` - the empirical distribution of worker wages with the bar marked.
- :func:`plot_coverage_curve` - pay per task -> share of (pilot) workers reaching the bar.

:func:`figure_svg` renders a Figure as byte-stable SVG text (fixed hash salt, no date, text as
paths) for the self-contained HTML report. matplotlib is imported inside the functions.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeGuard

from fairpay.errors import InvalidInputError
from fairpay.report.safetext import chart

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from fairpay.auditing.result import AuditResult
    from fairpay.prelaunch.check import Cell, CheckResult

#: Colour-blind-safe pair (Okabe-Ito): reaches the bar / below the bar; the bar itself in black.
OK_COLOUR = "#0072B2"
BELOW_COLOUR = "#D55E00"
BAR_COLOUR = "#000000"
#: rcParams that make SVG output identical run after run (and machine to machine for one version).
SVG_RC: dict[str, Any] = {
    "svg.hashsalt": "fairpay",
    "svg.fonttype": "path",
    "svg.image_inline": True,
    "font.family": "DejaVu Sans",
}


def _new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("fairpay plots need matplotlib: pip install 'fairpay[plots]'") from exc
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _place_label(country: str, subdivision: str | None, locality: str | None = None) -> str:
    where = subdivision or country
    return f"{where} ({locality})" if locality else where


#: Characters per line of a row label; longer names wrap instead of squeezing the chart.
LABEL_WIDTH = 34


def _label(text: str, width: int = LABEL_WIDTH) -> str:
    """A user-supplied label made safe for matplotlib (:func:`fairpay.report.safetext.chart`) and
    wrapped at ``width`` characters (at most three lines, the rest elided), so a long name neither
    squeezes the chart nor runs off it."""
    import textwrap

    from fairpay.report.safetext import visible

    lines = textwrap.wrap(visible(text), width, break_long_words=True, break_on_hyphens=False) or [""]
    if len(lines) > 3:
        lines = [*lines[:2], lines[2][: width - 1] + "\u2026"]
    return "\n".join(chart(line) for line in lines)  # escape after wrapping: "\$" is never split


def _is_check(obj: Any) -> TypeGuard[CheckResult]:
    return hasattr(obj, "cells_list") and hasattr(obj, "budget")


def _is_audit(obj: Any) -> TypeGuard[AuditResult]:
    return hasattr(obj, "workers") and hasattr(obj, "worker_projects")


#: One bar of the effective-vs-bar chart: label, ratio to the bar, ok, caption, 10th-90th band.
_BarRow = tuple[str, float, bool, str, tuple[float, float] | None]


# --------------------------------------------------------------------------- effective vs bar
def plot_effective_vs_bar(result: CheckResult | AuditResult, *, title: str | None = None) -> Figure:
    """Effective hourly pay as a percentage of the local bar, with the bar at 100 %.

    Places have different currencies, so the common scale is the ratio to each place's own bar;
    each bar is labelled with the amounts in the local currency. A check draws one bar per task x
    place; an audit one per place (the median worker's ratio, whisker from the 10th to the 90th
    percentile of workers, and how many workers are below).
    """
    rows: list[_BarRow]
    if _is_check(result):
        rows = [
            (
                _label(f"{c.task} | {_place_label(c.country, c.subdivision, c.locality)}"),
                float(c.ratio),
                c.ok,
                f"{c.to_dict()['effective_hourly']} vs {c.to_dict()['bar_hourly']} {c.local_currency}/h",
                None,
            )
            for c in result.cells_list
        ]
        default_title = _label(f"{result.project}: effective hourly vs the bar", width=90)
    elif _is_audit(result):
        rows = _audit_place_rows(result)
        default_title = "Workers' effective hourly vs the bar, per place (median, 10th-90th percentile)"
    else:
        raise InvalidInputError(
            f"plot_effective_vs_bar needs a CheckResult or an AuditResult, not {type(result).__name__}"
        )
    if not rows:
        raise InvalidInputError("nothing to plot: the result has no rows")
    lines = sum(max(1, r[0].count("\n") + 1) for r in rows)
    fig, ax = _new_figure(9.0, 1.2 + 0.45 * len(rows) + 0.15 * (lines - len(rows)))
    ys = list(range(len(rows)))[::-1]
    pct = [100 * r[1] for r in rows]
    colours = [OK_COLOUR if r[2] else BELOW_COLOUR for r in rows]
    ax.barh(ys, pct, color=colours, height=0.6)
    for y, r in zip(ys, rows, strict=True):
        if r[4] is not None:
            lo, hi = r[4]
            ax.plot([100 * lo, 100 * hi], [y, y], color="#444444", linewidth=1.2)
    top = max([*pct, *[100 * r[4][1] for r in rows if r[4] is not None], 100.0])
    for y, p, r in zip(ys, pct, rows, strict=True):
        right = max(p, 100.0, 100 * r[4][1] if r[4] is not None else 0.0)
        ax.text(right + top * 0.01, y, f"{_percent(r[1])}  ({r[3]})", va="center", fontsize=8)
    ax.axvline(100, color=BAR_COLOUR, linewidth=1.5, linestyle="--")
    ax.text(100, len(rows) - 0.4, " bar", va="bottom", fontsize=8)
    ax.set_yticks(ys, [r[0] for r in rows], fontsize=9)
    ax.set_xlim(0, top * 1.55)
    ax.set_ylim(-0.7, len(rows) - 0.1)
    ax.set_xlabel("effective hourly pay, % of the local bar (below 100 % = underpaid)")
    ax.set_title(chart(title) if title else default_title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _percent(ratio: float) -> str:
    from fairpay.units.figures import percent_floor

    return percent_floor(Decimal(repr(ratio)))


def _audit_place_rows(result: AuditResult) -> list[_BarRow]:
    import numpy as np

    w = result.workers
    w = w[w["hours"] > 0]
    out: list[_BarRow] = []
    keys = w[["country", "subdivision"]].astype(object).where(w[["country", "subdivision"]].notna(), None)
    groups: dict[tuple[str, str | None], list[int]] = {}
    for i, (c, s) in enumerate(keys.itertuples(index=False, name=None)):
        groups.setdefault((c, s), []).append(i)
    for (c, s), idx in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        sub = w.iloc[idx]
        ratio = (sub["wage_local"] / sub["bar_local"]).to_numpy(dtype=float)
        med = float(np.median(ratio))
        lo, hi = (float(x) for x in np.quantile(ratio, [0.1, 0.9]))
        n_below = int(sub["below"].sum())
        label = _label(f"{_place_label(c, s)} ({len(sub)} workers)")
        local = str(sub["local_currency"].iloc[0])
        note = f"{n_below} below; bar {_money_up(Decimal(repr(float(sub['bar_local'].iloc[0]))), local)} {local}/h"
        out.append((label, med, n_below == 0, note, (lo, hi)))
    return out


def _money_up(x: Decimal, currency: str) -> str:
    """A bar by the one display rule (rounded up to the minor unit)."""
    from fairpay.units import figures as fig

    return fig.text(fig.bar_side(x, currency))


# --------------------------------------------------------------------------- ECDF
def wage_ecdf_data(result: AuditResult) -> tuple[list[float], float, str]:
    """(values, bar, unit) that :func:`plot_wage_ecdf` draws for an audit.

    One local currency and one bar for everyone: wages in that currency and the bar itself.
    Otherwise each wage as a percentage of its own bar, with the bar at 100.
    Workers with no worked time have no wage and are left out (the plot title counts them).
    """
    w = result.workers
    w = w[w["hours"] > 0]
    if w["local_currency"].nunique() == 1 and w["bar_local"].nunique() == 1:
        return (
            [float(x) for x in w["wage_local"]],
            float(w["bar_local"].iloc[0]),
            f"{w['local_currency'].iloc[0]}/h",
        )
    return [float(x) for x in 100 * w["wage_local"] / w["bar_local"]], 100.0, "% of the local bar"


def plot_wage_ecdf(
    data: AuditResult | Sequence[float], bar: float | None = None, *, unit: str = "", title: str | None = None
) -> Figure:
    """The share of workers earning at most each wage (a step function), with the bar marked.

    ``data``: an :class:`AuditResult` (see :func:`wage_ecdf_data` for the scale) or a sequence of
    hourly wages with ``bar`` in the same unit. The curve's height at the bar, read from the
    left, is the share of workers below it; the title states it exactly.
    """
    if _is_audit(data):
        values, bar_value, unit = wage_ecdf_data(data)
        dropped = int((data.workers["hours"] <= 0).sum())
    else:
        if bar is None:
            raise InvalidInputError("plot_wage_ecdf: give bar= (the hourly bar, same unit as the wages)")
        values, bar_value, dropped = [float(v) for v in data], float(bar), 0  # type: ignore[union-attr]
    values = [v for v in values if not math.isnan(v)]
    if not values:
        raise InvalidInputError("plot_wage_ecdf: no wages to plot")
    xs = sorted(values)
    n = len(xs)
    below = sum(1 for v in xs if v < bar_value)
    fig, ax = _new_figure(8.0, 4.2)
    ax.step(
        [xs[0], *xs], [0.0, *[(i + 1) / n for i in range(n)]], where="post", color=OK_COLOUR, linewidth=1.8
    )
    ax.axvline(bar_value, color=BAR_COLOUR, linestyle="--", linewidth=1.5)
    ax.axvspan(min(xs[0], bar_value) - abs(bar_value) * 0.05, bar_value, color=BELOW_COLOUR, alpha=0.08)
    bar_text = " bar = 100%" if unit.startswith("%") else f" bar {bar_value:,.2f}"
    ax.text(bar_value, 1.02, bar_text, fontsize=8, va="bottom")
    ax.set_ylim(0, 1.08)
    ax.set_xlabel(f"effective hourly wage ({unit})" if unit else "effective hourly wage")
    ax.set_ylabel("share of workers earning at most x")
    head = f"{below} of {n} workers ({100 * below / n:.1f}%) below the bar"
    if dropped:
        head += f"; {dropped} with no worked time not shown"
    ax.set_title(chart(title) if title else head, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


# --------------------------------------------------------------------------- coverage curve
def coverage_thresholds(
    times: Any, bar_hourly: float, *, overhead_seconds: float = 0.0, worker: Any = None
) -> list[float]:
    """Per worker, the smallest pay per task that gets them to the bar: ``bar x (t + o) / 3600``.

    ``t`` is the worker's median time when ``worker`` ids are given, else each time is one unit
    (as in :func:`fairpay.worktime.estimates.coverage`). Sorted ascending: the coverage curve's steps.
    """
    from fairpay.worktime.estimates import worker_times

    t = worker_times(times, worker, None, None)
    return sorted(float(bar_hourly) * (float(x) + float(overhead_seconds)) / 3600 for x in t)


def plot_coverage_curve(
    times: Any,
    bar_hourly: float | None = None,
    *,
    overhead_seconds: float = 0.0,
    worker: Any = None,
    current_pay: float | None = None,
    currency: str = "",
    targets: Sequence[float] = (),
    cell: Cell | None = None,
    title: str | None = None,
) -> Figure:
    """Pay per task (x) against the share of workers whose own time reaches the bar (y).

    ``times`` in seconds (``worker`` ids make it per-worker medians); ``bar_hourly`` in the pay
    currency, as in :func:`fairpay.worktime.estimates.coverage`. ``current_pay`` is marked with its coverage;
    each share in ``targets`` with :func:`fairpay.worktime.estimates.pay_for_coverage`. Give a check's ``cell``
    instead of ``bar_hourly`` to use its bar, deductions, unpaid share, exchange rate and unpaid
    seconds: the bar is then the *listed* pay per hour that leaves the worker the local bar.
    """
    from fairpay.worktime.estimates import coverage, pay_for_coverage

    if cell is not None:
        keep_fx = (cell.net_pay_per_task / cell.pay_per_task) * cell.fx_rate * (1 - cell.lost_share)
        bar_hourly = float(cell.bar_hourly / keep_fx)
        overhead_seconds = float(cell.unpaid_seconds_per_task)
        current_pay = float(cell.pay_per_task) if current_pay is None else current_pay
        currency = currency or cell.pay_currency
        title = title or (
            f"{cell.task} | {_place_label(cell.country, cell.subdivision, cell.locality)}: "
            "pilot workers reaching the bar"
        )
        if len(title) > 90:
            title = title[:89] + "\u2026"
    if bar_hourly is None:
        raise InvalidInputError("plot_coverage_curve: give bar_hourly= or cell=")
    steps = coverage_thresholds(times, bar_hourly, overhead_seconds=overhead_seconds, worker=worker)
    n = len(steps)
    x_max = max([steps[-1], current_pay or 0.0]) * 1.15
    fig, ax = _new_figure(8.0, 4.2)
    ax.step(
        [0.0, *steps, x_max],
        [0.0, *[(i + 1) / n for i in range(n)], 1.0],
        where="post",
        color=OK_COLOUR,
        linewidth=1.8,
    )
    unit = f" ({currency})" if currency else ""
    if current_pay is not None:
        cov = coverage(times, current_pay, bar_hourly, overhead_seconds=overhead_seconds, worker=worker)
        ax.axvline(current_pay, color=BELOW_COLOUR if cov < 1 else OK_COLOUR, linestyle="--", linewidth=1.5)
        ax.text(current_pay, 0.03, f" pay {current_pay:g}{unit}: {100 * cov:.0f}% reach the bar", fontsize=8)
    for share in targets:
        pay = pay_for_coverage(times, bar_hourly, share, overhead_seconds=overhead_seconds, worker=worker)
        ax.plot([pay], [share], marker="o", color=BAR_COLOUR)
        ax.annotate(
            f"{100 * share:.0f}% at {pay:.4f}",
            (pay, share),
            textcoords="offset points",
            xytext=(6, -12),
            fontsize=8,
        )
    ax.set_xlim(0, x_max)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(f"pay per task{unit}")
    ax.set_ylabel("share of workers reaching the bar")
    per_hour = f" {currency}/h" if currency else " per hour"
    ax.set_title(
        chart(title) if title else f"Coverage: {n} workers, bar {bar_hourly:,.2f}{per_hour}",
        fontsize=10,
        loc="left",
    )
    ax.spines[["top", "right"]].set_visible(False)
    return fig


# --------------------------------------------------------------------------- SVG
def figure_svg(fig: Figure) -> str:
    """The figure as SVG text, byte-identical for the same figure (no date, fixed ids).

    The XML prolog and DOCTYPE are dropped so the SVG can sit inline in an HTML page.
    """
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(SVG_RC):  # type: ignore[arg-type]  # keys checked by matplotlib at run time
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
