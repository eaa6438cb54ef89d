"""Per project: workers, share below the bar, median and p10 wage, total top-up, from the pair table.

Why here, in numpy: the pair table is as long as the log can be (one row per worker x project);
grouping it by project needs one integer sort, and the quantiles need each project's values in
order. Sums are exact (microseconds; micro-units of money), quantiles are ``quantile_cont``
(linear between order statistics at ``(n - 1) * q``), over pairs with worked time only.
"""

from __future__ import annotations

from typing import Any

_US_PER_HOUR = 3_600_000_000
#: Projects with at least this many pairs on average are handled one by one (``np.partition``);
#: below it, quantiles come from one sort of all values (many small projects).
MIN_PAIRS_FOR_LOOP = 64


def project_table(cols: dict[str, Any], projects: list[str], codes: list[str], worker_bar: Any) -> Any:
    """The ``projects`` DataFrame (see :class:`fairpay.auditing.engine.AuditResult`) from the pair columns.

    Wages are in the project's pay currency per hour (workers live in different currencies);
    ``median_bar_ratio`` is the median of wage / bar, comparable across places. ``total_top_up``
    sums the per worker x project top-ups (each rounded up); the ledger pays per worker, netting
    across projects, so its total can be lower.
    """
    import numpy as np
    import pandas as pd

    pid = cols["project"]
    n_proj = len(projects)
    per = np.bincount(pid, minlength=n_proj)
    edges = np.concatenate([[0], np.cumsum(per)])
    below = np.bincount(pid, weights=cols["below"], minlength=n_proj).astype(np.int64)
    hours_us = _sums(pid, cols["hours"], _US_PER_HOUR, n_proj)
    top_micro = _sums(pid, cols["top_up"], 1e6, n_proj)
    # pairs per (project, pay currency), one currency at a time (no pair-long int64 temporaries)
    pay = cols["pay_currency"]
    seen = np.stack([np.bincount(pid[pay == c], minlength=n_proj) for c in range(len(codes))], axis=1)
    first_pay = np.argmax(seen > 0, axis=1)
    # quantiles: each measure gathered into project order in chunks (the pair table can be long)
    order = np.argsort(pid.astype(np.int16) if n_proj < 2**15 else pid, kind="stable").astype(np.int32)
    bar_of = worker_bar.take

    def wage_quantiles() -> list[Any]:
        wage = _gather(order, lambda i: cols["earnings"][i] / cols["hours"][i], cols["hours"])
        return _quantiles(wage, edges, (0.5, 0.1))

    def ratio_quantiles() -> list[Any]:
        ratio = _gather(order, lambda i: cols["wage_local"][i] / bar_of(cols["worker"][i]), cols["hours"])
        return _quantiles(ratio, edges, (0.5,))

    # the two measures are independent: numpy releases the GIL in gathers and partitions
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="fairpay-projects") as pool:
        ratio_job = pool.submit(ratio_quantiles)
        q_wage = wage_quantiles()
        q_ratio = ratio_job.result()
    df = pd.DataFrame(
        {
            "project": pd.array(projects, dtype="str"),
            "pay_currency": pd.array([codes[i] for i in first_pay], dtype="str"),
            "workers": per.astype(np.int64),
            "workers_below": below,
            "share_below": below / per,
            "median_wage": q_wage[0],
            "p10_wage": q_wage[1],
            "median_bar_ratio": q_ratio[0],
            "hours": hours_us / _US_PER_HOUR,
            "total_top_up": top_micro / 1e6,
            "n_currencies": (seen > 0).sum(axis=1).astype(np.int64),
        }
    )
    return df[per > 0].reset_index(drop=True)


def _sums(group: Any, values: Any, scale: float, n_groups: int) -> Any:
    """Exact integer sums of round(values * scale) (non-negative) per group."""
    import numpy as np

    units = values * scale
    np.rint(units, out=units)
    if float(units.sum()) < 2**52:  # float bincount is exact: every partial sum is an integer below 2**53
        return np.bincount(group, weights=units, minlength=n_groups).astype(np.int64)
    order = np.argsort(group, kind="stable")
    per = np.bincount(group, minlength=n_groups)
    out = np.zeros(n_groups, dtype=np.int64)
    out[per > 0] = np.add.reduceat(np.take(units.astype(np.int64), order), (np.cumsum(per) - per)[per > 0])
    return out


def _gather(order: Any, measure: Any, hours: Any, chunk: int = 1 << 20) -> Any:
    """``measure(rows)`` in ``order``, NaN where no time was worked; built in chunks (no full-size temporaries)."""
    import numpy as np

    out = np.empty(len(order))
    with np.errstate(divide="ignore", invalid="ignore"):
        for lo in range(0, len(order), chunk):
            i = order[lo : lo + chunk]
            v = measure(i)
            v[hours[i] <= 0] = np.nan
            out[lo : lo + chunk] = v
    return out


def _quantiles(values: Any, edges: Any, qs: tuple[float, ...]) -> list[Any]:
    """Per group (``values`` grouped, group g = ``values[edges[g]:edges[g+1]]``; NaN = no value), each q."""
    import numpy as np

    n_groups = len(edges) - 1
    out = [np.full(n_groups, np.nan) for _ in qs]
    if n_groups and len(values) >= MIN_PAIRS_FOR_LOOP * n_groups:
        for g in range(n_groups):
            v = values[edges[g] : edges[g + 1]]
            v = v[~np.isnan(v)]
            if len(v):
                for k, q in enumerate(qs):
                    out[k][g] = _interpolate(v, q)
        return out
    # many small groups: sort values within groups (NaN last), then index arithmetic
    group = np.repeat(np.arange(n_groups), np.diff(edges))
    order = np.lexsort((values, group))
    v = values[order]
    valid = np.bincount(group, weights=~np.isnan(values), minlength=n_groups).astype(np.int64)
    has = valid > 0
    for k, q in enumerate(qs):
        pos = (valid[has] - 1) * q
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, valid[has] - 1)
        a, b = v[edges[:-1][has] + lo], v[edges[:-1][has] + hi]
        out[k][has] = a + (pos - lo) * (b - a)
    return out


def _interpolate(v: Any, q: float) -> float:
    """``quantile_cont``: linear between the order statistics around ``(n - 1) * q``."""
    import numpy as np

    pos = (len(v) - 1) * q
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(v) - 1)
    part = np.partition(v, [lo, hi])
    a, b = float(part[lo]), float(part[hi])
    return a + (pos - lo) * (b - a)
