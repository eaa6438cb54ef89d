"""Per project: workers, share below the bar, median and p10 wage, total top-up, from the pair table.

Why here, in numpy: the pair table is as long as the log can be (one row per worker x project).
The sums (pairs, pairs below, hours, top-ups, pairs per pay currency) are added up bucket by
bucket as the kernel fills the pair table (:func:`project_sums`, exact integers: microseconds and
micro-units of money), so what is left at the end is the quantiles: each project's values in
order, one block of projects at a time (bounded memory). Quantiles are ``quantile_cont`` (linear
between order statistics at ``(n - 1) * q``), over pairs with worked time only.
"""

from __future__ import annotations

from typing import Any

_US_PER_HOUR = 3_600_000_000
#: Projects with at least this many pairs on average are handled one by one (``np.partition``);
#: below it, quantiles come from one sort of all values (many small projects).
MIN_PAIRS_FOR_LOOP = 64
#: Pairs gathered at a time for the quantiles (a block of whole projects, at least one project).
BLOCK_PAIRS = 1 << 18
#: The sums :func:`project_sums` returns, added up across slices of pairs.
SUM_NAMES = ("pairs", "below", "hours_us", "top_micro", "by_currency")


def project_sums(pairs: dict[str, Any], n_projects: int, n_codes: int) -> dict[str, Any]:
    """Per project sums over one slice of pair rows (``SUM_NAMES``; add slices up with ``+``).

    ``by_currency``: pairs per (project, pay currency), shape projects x currencies.
    """
    import numpy as np

    pid = pairs["project"]
    return {
        "pairs": np.bincount(pid, minlength=n_projects).astype(np.int64),
        "below": np.bincount(pid, weights=pairs["below"], minlength=n_projects).astype(np.int64),
        "hours_us": _sums(pid, pairs["hours"], _US_PER_HOUR, n_projects),
        "top_micro": _sums(pid, pairs["top_up"], 1e6, n_projects),
        "by_currency": np.bincount(
            pid.astype(np.int64) * n_codes + pairs["pay_currency"], minlength=n_projects * n_codes
        ).reshape(n_projects, n_codes),
    }


def project_table(
    cols: dict[str, Any],
    projects: list[str],
    codes: list[str],
    worker_bar: Any,
    sums: dict[str, Any],
    order: Any = None,
) -> Any:
    """The ``projects`` DataFrame (see :class:`fairpay.auditing.result.AuditResult`).

    ``cols``: the pair columns; ``sums``: :func:`project_sums` over all of them; ``order``: the
    pairs in project order (:func:`group_order`), if already made. Wages are in the
    project's pay currency per hour (workers live in different currencies); ``median_bar_ratio``
    is the median of wage / bar, comparable across places. ``total_top_up`` sums the per worker x
    project top-ups (each rounded up); the ledger pays per worker, netting across projects, so its
    total can be lower.
    """
    import numpy as np
    import pandas as pd

    per = sums["pairs"]
    below = sums["below"]
    seen = sums["by_currency"]
    first_pay = np.argmax(seen > 0, axis=1)
    if order is None:
        order = group_order(cols["project"], len(per))
    q_wage, q_ratio = _project_quantiles(cols, per, worker_bar, order)
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
            "hours": sums["hours_us"] / _US_PER_HOUR,
            "total_top_up": sums["top_micro"] / 1e6,
            "n_currencies": (seen > 0).sum(axis=1).astype(np.int64),
        }
    )
    return df[per > 0].reset_index(drop=True)


def _project_quantiles(
    cols: dict[str, Any], per: Any, worker_bar: Any, order: Any
) -> tuple[list[Any], list[Any]]:
    """(median and p10 wage, median wage / bar) per project, a block of whole projects at a time,
    two blocks at once (blocks are independent; numpy lets go of the GIL in gathers and partitions)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    n_proj = len(per)
    edges = np.concatenate([[0], np.cumsum(per)])
    q_wage = [np.full(n_proj, np.nan) for _ in range(2)]
    q_ratio = [np.full(n_proj, np.nan)]
    blocks, g0 = [], 0
    while g0 < n_proj:  # projects g0..g1-1: at least one, about BLOCK_PAIRS pairs
        g1 = min(n_proj, max(g0 + 1, int(np.searchsorted(edges, edges[g0] + BLOCK_PAIRS, side="right")) - 1))
        blocks.append((g0, g1))
        g0 = g1

    def block(g0: int, g1: int) -> None:
        i = order[edges[g0] : edges[g1]]
        local = edges[g0 : g1 + 1] - edges[g0]
        hours = cols["hours"][i]
        with np.errstate(divide="ignore", invalid="ignore"):
            wage = cols["earnings"][i] / hours
            ratio = cols["wage_local"][i] / worker_bar.take(cols["worker"][i])
        wage[hours <= 0] = np.nan
        ratio[hours <= 0] = np.nan
        for out, got in zip(q_wage, _quantiles(wage, local, (0.5, 0.1)), strict=True):
            out[g0:g1] = got
        q_ratio[0][g0:g1] = _quantiles(ratio, local, (0.5,))[0]

    with ThreadPoolExecutor(2, thread_name_prefix="fairpay-quantiles") as pool:
        for job in [pool.submit(block, g0, g1) for g0, g1 in blocks]:
            job.result()
    return q_wage, q_ratio


def group_order(group: Any, n_groups: int) -> Any:
    """Positions of ``group`` in group order (stable): one sort of packed (group, position) keys."""
    import numpy as np

    from fairpay.auditing.kernel import sorted_positions

    n = len(group)
    nb = max(1, int(n).bit_length())
    if int(max(n_groups - 1, 0)).bit_length() + nb <= 62:
        order = sorted_positions(group.astype(np.int64), nb)
        return order.astype(np.int32) if n < 2**31 else order
    return np.argsort(group, kind="stable")


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
                for k, x in enumerate(_interpolate(v, qs)):
                    out[k][g] = x
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


def _interpolate(v: Any, qs: tuple[float, ...]) -> list[float]:
    """``quantile_cont`` for each q: linear between the order statistics around ``(n - 1) * q``
    (one partition of ``v`` for all of them)."""
    import numpy as np

    pos = [(len(v) - 1) * q for q in qs]
    lo = [int(np.floor(x)) for x in pos]
    hi = [min(i + 1, len(v) - 1) for i in lo]
    part = np.partition(v, sorted({*lo, *hi}))
    return [
        float(part[i]) + (x - i) * (float(part[j]) - float(part[i]))
        for x, i, j in zip(pos, lo, hi, strict=True)
    ]
