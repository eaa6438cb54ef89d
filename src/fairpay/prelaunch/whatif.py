"""What-if grids: the check's verdict over many pay levels and margins at once, vectorised.

Why: planning means asking "what if we paid 0.10, 0.11, ... or aimed 10 % above the bar?" for
every task and place. Benchmarks, exchange rates and times do not change with the pay, so they
are resolved once per task x place by :func:`fairpay.check`; the grid then broadcasts pay levels
with numpy (100k combinations in well under a second; see ``benchmarks/whatif_speed.py``).

Exactness: the required rate does not depend on the pay, so it is computed exactly (Decimal,
rounded UP) once per task x place x margin. Pay levels are binary floats; a pay passes when it is
at least the exact required rate (compared in float64).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairpay.errors import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

    from fairpay.prelaunch.spec import Policy, Project
    from fairpay.units.fx import ExchangeRates
    from fairpay.wages import Benchmarks


def what_if(
    project: Project | Mapping[str, Any] | str | Path,
    *,
    pays: Sequence[float] | None = None,
    scale: Sequence[float] | None = None,
    margins: Sequence[float] | None = None,
    policy: Policy | Mapping[str, Any] | None = None,
    benchmarks: Benchmarks | None = None,
    rates: ExchangeRates | None = None,
) -> pd.DataFrame:
    """Evaluate every task x place x pay level x margin; one row per combination.

    ``pays``: absolute pay levels per task (pay currency), applied to every task; or ``scale``:
    multipliers of each task's own pay (e.g. ``[0.8, 1.0, 1.2]``). ``margins``: margins above
    the benchmark (default: the policy's). Columns: task, country, subdivision, locality,
    pay_per_task, margin, effective_hourly, bar_hourly, local_currency, ratio, ok,
    required_pay_per_task, pay_currency.
    """
    import numpy as np
    import pandas as pd

    from fairpay.prelaunch.check import _required_exact, check
    from fairpay.units.money import round_up

    if pays is not None and scale is not None:
        raise InvalidInputError("give pays or scale, not both")
    result = check(project, policy=policy, benchmarks=benchmarks, rates=rates)
    cells = result.cells_list
    margin_list = [float(result.policy["margin"])] if margins is None else [float(m) for m in margins]
    if any(not (m >= 0) for m in margin_list):
        raise InvalidInputError(f"margins must be >= 0, got {margin_list}")
    if pays is not None:
        levels = np.asarray(pays, dtype=float)
    elif scale is not None:
        levels = np.asarray(scale, dtype=float)
    else:
        levels = np.asarray([1.0])
        scale = [1.0]
    if levels.ndim != 1 or levels.size == 0 or not np.all(np.isfinite(levels)) or np.any(levels <= 0):
        raise InvalidInputError("pay levels must be a non-empty list of positive numbers")

    n_c, n_m, n_p = len(cells), len(margin_list), levels.size
    # per cell: pay -> effective hourly factor, and the unmargined bar
    factor = np.array(
        [
            float(
                c.net_pay_per_task
                / c.pay_per_task
                * c.fx_rate
                * (1 - c.lost_share)
                * 3600
                / (c.seconds_per_task + c.unpaid_seconds_per_task)
            )
            for c in cells
        ]
    )
    bench = np.array([float(c.benchmark_hourly) for c in cells])
    own_pay = np.array([float(c.pay_per_task) for c in cells])
    required = np.empty((n_c, n_m))  # rounded up: what to pay
    exact_req = np.empty((n_c, n_m))  # unrounded: the pass test
    for i, c in enumerate(cells):
        keep = c.net_pay_per_task / c.pay_per_task
        for j, m in enumerate(margin_list):
            b = c.benchmark_hourly * (1 + Decimal(repr(m)))
            exact = _required_exact(
                b, c.seconds_per_task, c.unpaid_seconds_per_task, c.lost_share, keep, c.fx_rate
            )
            exact_req[i, j] = float(exact)
            required[i, j] = float(round_up(exact, result.pay_currency))
    pay = (own_pay[:, None] * levels[None, :]) if scale is not None else np.broadcast_to(levels, (n_c, n_p))
    pay3 = np.broadcast_to(pay[:, None, :], (n_c, n_m, n_p))
    margin3 = np.broadcast_to(np.asarray(margin_list)[None, :, None], (n_c, n_m, n_p))
    w = pay3 * factor[:, None, None]
    bar = bench[:, None, None] * (1 + margin3)
    ok = pay3 >= exact_req[:, :, None]
    size = n_c * n_m * n_p

    def per_cell(values: list[Any]) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=object), n_m * n_p)

    return pd.DataFrame(
        {
            "task": per_cell([c.task for c in cells]),
            "country": per_cell([c.country for c in cells]),
            "subdivision": per_cell([c.subdivision for c in cells]),
            "locality": per_cell([c.locality for c in cells]),
            "pay_per_task": pay3.reshape(size),
            "margin": margin3.reshape(size),
            "effective_hourly": w.reshape(size),
            "bar_hourly": bar.reshape(size),
            "local_currency": per_cell([c.local_currency for c in cells]),
            "ratio": (w / bar).reshape(size),
            "ok": ok.reshape(size),
            "required_pay_per_task": np.broadcast_to(required[:, :, None], (n_c, n_m, n_p)).reshape(size),
            "pay_currency": result.pay_currency,
        }
    )
