"""The vectorised what-if grid agrees with the one-cell-at-a-time check."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from fairpay.errors import InvalidInputError
from fairpay.prelaunch.check import check
from fairpay.prelaunch.whatif import what_if

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "vendor_transcription.toml"


def test_grid_matches_scalar_check_at_sampled_points():
    scale = [0.5, 1.0, 1.7]
    margins = [0.0, 0.25]
    grid = what_if(SPEC, scale=scale, margins=margins)
    base = check(SPEC)
    assert len(grid) == len(base.cells_list) * len(scale) * len(margins)
    import tomllib

    raw = tomllib.loads(SPEC.read_text())
    project = {**{k: v for k, v in raw.items() if k != "project"}, **raw["project"]}
    for s in scale:
        for m in margins:
            spec = dict(project)
            spec["tasks"] = [
                {**t, "pay_per_task": str(Decimal(str(t["pay_per_task"])) * Decimal(str(s)))}
                for t in project["tasks"]
            ]
            scalar = check(spec, policy={"margin": m})
            for cell in scalar.cells_list:
                row = grid[
                    (grid.task == cell.task)
                    & (grid.country == cell.country)
                    & np.isclose(grid.margin, m)
                    & np.isclose(grid.pay_per_task, float(cell.pay_per_task))
                ]
                assert len(row) == 1
                r = row.iloc[0]
                assert r.effective_hourly == pytest.approx(float(cell.effective_hourly), rel=1e-12)
                assert r.bar_hourly == pytest.approx(float(cell.bar_hourly), rel=1e-12)
                assert bool(r.ok) == cell.ok
                assert r.required_pay_per_task == float(cell.required_pay_per_task)


def test_absolute_pays_and_bad_levels():
    grid = what_if(SPEC, pays=[0.1, 0.2])
    assert set(grid.pay_per_task) == {0.1, 0.2}
    # raising pay never turns a pass into a fail
    for (_task, _country), g in grid.groupby(["task", "country"]):
        oks = list(g.sort_values("pay_per_task").ok)
        assert oks == sorted(oks)
    with pytest.raises(InvalidInputError):
        what_if(SPEC, pays=[0.1], scale=[1.0])
    with pytest.raises(InvalidInputError):
        what_if(SPEC, pays=[-1.0])
    with pytest.raises(InvalidInputError):
        what_if(SPEC, pays=[0.1], margins=[-0.5])
