"""Plots: the drawn data equal values computed by hand or by fairpay.worktime.estimates; SVG is byte-stable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

import fairpay  # noqa: E402
from fairpay.report import plots  # noqa: E402
from fairpay.worktime.estimates import coverage  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SPEC = {
    "name": "Plot check",
    "currency": "USD",
    "policy": {"benchmark": "living", "inflate": False},
    "tasks": [{"name": "label", "pay_per_task": "0.50", "seconds": 90, "volume": 100}],
    "workforce": [
        {"country": "US", "subdivision": "US-CA", "share": 0.5},
        {"country": "US", "subdivision": "US-TX", "share": 0.5},
    ],
    "benchmark_overrides": [
        {
            "country": "US",
            "subdivision": "US-CA",
            "amount": "25",
            "currency": "USD",
            "period": "hour",
            "source": "CA",
            "reference_year": 2024,
        },
        {
            "country": "US",
            "subdivision": "US-TX",
            "amount": "16",
            "currency": "USD",
            "period": "hour",
            "source": "TX",
            "reference_year": 2024,
        },
    ],
}


def test_effective_vs_bar_lengths_are_ratios():
    # 0.50 USD per 90 s = 20 USD/h: 20/25 = 80 % (below), 20/16 = 125 % (ok)
    fig = plots.plot_effective_vs_bar(fairpay.check(SPEC))
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([80.0, 125.0])
    assert [p.get_facecolor()[:3] for p in ax.patches] == [
        pytest.approx(tuple(int(plots.BELOW_COLOUR[i : i + 2], 16) / 255 for i in (1, 3, 5))),
        pytest.approx(tuple(int(plots.OK_COLOUR[i : i + 2], 16) / 255 for i in (1, 3, 5))),
    ]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["label | US-CA", "label | US-TX"]  # CA on top
    assert any(line.get_xdata()[0] == 100 for line in ax.lines)  # the bar
    texts = [t.get_text() for t in ax.texts]
    assert "80%  (20.00 vs 25.00 USD/h)" in texts and "125%  (20.00 vs 16.00 USD/h)" in texts


def test_ecdf_steps_and_share_below():
    wages = [12.0, 5.0, 9.0, 20.0]
    ax = plots.plot_wage_ecdf(wages, bar=10.0, unit="USD/h").axes[0]
    line = ax.lines[0]
    assert list(line.get_xdata()) == [5.0, 5.0, 9.0, 12.0, 20.0]
    assert list(line.get_ydata()) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert ax.get_title(loc="left") == "2 of 4 workers (50.0%) below the bar"
    assert any(list(x.get_xdata()) == [10.0, 10.0] for x in ax.lines[1:])


def test_ecdf_needs_a_bar():
    with pytest.raises(fairpay.InvalidInputError, match="bar="):
        plots.plot_wage_ecdf([1.0, 2.0])


def test_coverage_curve_matches_timing_coverage():
    import pandas as pd

    pilot = pd.read_csv(ROOT / "examples" / "pilot_boxes.csv")
    bar, over = 15.0, 10.0
    fig = plots.plot_coverage_curve(
        pilot["seconds"],
        bar,
        overhead_seconds=over,
        worker=pilot["worker_id"],
        current_pay=0.25,
        currency="USD",
    )
    line = fig.axes[0].lines[0]
    xs, ys = list(line.get_xdata()), list(line.get_ydata())
    # per-worker medians by hand (pandas), then the pay that brings each to the bar
    med = pilot.groupby("worker_id")["seconds"].median()
    steps = sorted(bar * (m + over) / 3600 for m in med)
    assert xs[1:-1] == pytest.approx(steps)
    assert ys[1:-1] == pytest.approx([(i + 1) / len(med) for i in range(len(med))])
    # the curve's height just at each step equals fairpay.worktime.estimates.coverage at that pay
    for x, y in list(zip(xs[1:-1], ys[1:-1], strict=True))[::7]:
        got = coverage(
            pilot["seconds"], x * (1 + 1e-12), bar, overhead_seconds=over, worker=pilot["worker_id"]
        )
        assert got >= y - 1e-12
    cov = coverage(pilot["seconds"], 0.25, bar, overhead_seconds=over, worker=pilot["worker_id"])
    expect = sum(1 for m in med if 0.25 * 3600 >= bar * (m + over)) / len(med)
    assert cov == expect
    assert any(
        t.get_text() == f" pay 0.25 (USD): {100 * expect:.0f}% reach the bar" for t in fig.axes[0].texts
    )


def test_coverage_curve_for_a_check_cell_uses_its_bar():
    r = fairpay.check(ROOT / "examples" / "image_labelling.toml")
    cell = next(c for c in r.cells_list if c.coverage is not None and c.country == "US")
    import pandas as pd

    pilot = pd.read_csv(ROOT / "examples" / "pilot_boxes.csv")
    fig = plots.plot_coverage_curve(pilot["seconds"], worker=pilot["worker_id"], cell=cell)
    # the listed pay per hour that leaves the worker the local bar (USD = USD here, fx 1)
    keep = cell.net_pay_per_task / cell.pay_per_task
    bar_listed = float(cell.bar_hourly / (keep * (1 - cell.lost_share)) / cell.fx_rate)
    first = min(pilot.groupby("worker_id")["seconds"].median())
    assert fig.axes[0].lines[0].get_xdata()[1] == pytest.approx(
        bar_listed * (first + float(cell.unpaid_seconds_per_task)) / 3600
    )
    assert f"{100 * cell.coverage:.0f}% reach the bar" in " ".join(t.get_text() for t in fig.axes[0].texts)


def test_audit_plots():
    audit = pytest.importorskip("fairpay.auditing.engine").audit
    import pandas as pd

    rows = [
        {
            "worker": w,
            "project": "p",
            "task": f"{w}{i}",
            "started": f"2024-05-01T10:{10 * i:02d}:00",
            "submitted": f"2024-05-01T10:{10 * i + 10:02d}:00",
            "reward": pay,
            "currency": "USD",
            "status": "approved",
            "country": "US",
        }
        for w, pay in (("a", 1.0), ("b", 10.0))
        for i in range(3)
    ]
    res = audit(pd.DataFrame(rows), missing_living="minimum")
    bar = float(res.bars["bar_local"].iloc[0])
    ax = plots.plot_wage_ecdf(res).axes[0]
    # 3 x 1 USD in 30 min = 6 USD/h; 3 x 10 USD in 30 min = 60 USD/h; one bar, one currency: USD/h on x
    assert list(ax.lines[0].get_xdata()) == pytest.approx([6.0, 6.0, 60.0])
    assert (
        ax.get_title(loc="left")
        == f"{int(6 < bar) + int(60 < bar)} of 2 workers ({50.0 * (int(6 < bar) + int(60 < bar)):.1f}%) below the bar"
    )
    fig = plots.plot_effective_vs_bar(res)
    assert fig.axes[0].patches[0].get_width() == pytest.approx(100 * (6 + 60) / 2 / bar)  # median of 2 = mean


def test_svg_is_byte_stable_and_has_no_date():
    r = fairpay.check(SPEC)
    a = plots.figure_svg(plots.plot_effective_vs_bar(r))
    b = plots.figure_svg(plots.plot_effective_vs_bar(r))
    assert a == b and a.startswith("<svg")
    assert "<dc:date>" not in a


def test_import_fairpay_does_not_load_matplotlib():
    import subprocess

    code = "import sys, fairpay, fairpay.report.document; print('matplotlib' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]


def test_plot_rejects_other_objects():
    with pytest.raises(fairpay.InvalidInputError):
        plots.plot_effective_vs_bar(object())  # type: ignore[arg-type]
