"""The numpy kernel against a plain-Python interval merge (independent method), on random logs."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from fairpay.auditing import kernel
from fairpay.auditing.kernel import ROW_DTYPES, Workspace, sums, union_us


def _merged(intervals: list[tuple[int, int]], gap: int) -> int:
    """Total length of the union, intervals closer than ``gap`` joined (the gap counts as work)."""
    total, cur = 0, None
    for s, e in sorted(intervals):
        if cur is None or s > cur[1] + gap:
            if cur:
                total += cur[1] - cur[0]
            cur = [s, e]
        else:
            cur[1] = max(cur[1], e)
    return total + (cur[1] - cur[0] if cur else 0)


def _random_rows(rnd: random.Random, n: int, n_ccy: int) -> list[tuple[int, ...]]:
    out = []
    for _ in range(n):
        s = rnd.randint(0, 5_000) * 1_000_000 + 1_700_000_000_000_000
        out.append(
            (
                rnd.randint(0, 25),
                rnd.randint(0, 6),
                rnd.randint(0, 3),
                rnd.randint(0, n_ccy - 1),
                rnd.randint(1, 4),
                s,
                s + rnd.choice([0, 1, 500, 40_000_000, 900_000_000]),
                rnd.randint(0, 2_000_000),
            )
        )
    return out


@pytest.mark.parametrize("seed,gap_us,n_ccy", [(1, 0, 1), (2, 0, 3), (3, 30_000_000, 2), (4, 1, 1)])
def test_sums_match_brute_force(seed: int, gap_us: int, n_ccy: int) -> None:
    rnd = random.Random(seed)
    recs = _random_rows(rnd, 800, n_ccy)
    rows = {k: np.array([r[i] for r in recs], dtype=d) for i, (k, d) in enumerate(ROW_DTYPES.items())}
    _assert_brute_force(recs, *sums(rows, n_ccy, gap_us), gap_us, n_ccy)


@pytest.mark.parametrize("close", [False, True])
def test_sums_exact_when_the_sort_key_drops_low_bits_of_starts(
    monkeypatch: pytest.MonkeyPatch, close: bool
) -> None:
    # starts spread over 2^52 us: worker, start and row position need 67 bits, so the sort key
    # keeps starts to 16 us; with ``close``, some tasks of a worker start 1-15 us after the next
    # row of the log (listed latest first), which only an exact re-sort puts in order
    rnd = random.Random(11)
    recs = _random_rows(rnd, 800, 2)
    for i, r in enumerate(recs):
        s = rnd.randint(0, 2**52)
        recs[i] = (*r[:5], s, s + r[6] - r[5], r[7])
    if close:
        for i in range(0, 790, 7):  # row i starts just after row i + 1, same worker
            r, nxt = recs[i], recs[i + 1]
            s = nxt[5] + rnd.randint(1, 15)
            recs[i] = (nxt[0], *r[1:5], s, s + rnd.choice([3, 40, 500]), r[7])
    checked: list[bool] = []
    original = kernel._unsorted_starts

    def unsorted_starts(*args: Any) -> bool:
        checked.append(original(*args))
        return checked[-1]

    monkeypatch.setattr(kernel, "_unsorted_starts", unsorted_starts)
    rows = {k: np.array([r[i] for r in recs], dtype=d) for i, (k, d) in enumerate(ROW_DTYPES.items())}
    _assert_brute_force(recs, *sums(rows, 2, 0), 0, 2)
    assert checked == [close]  # the key was coarse, and the re-sort ran only when needed


def _assert_brute_force(
    recs: list[tuple[int, ...]], workers: Any, pairs: Any, gap_us: int, n_ccy: int
) -> None:
    """Both levels of ``sums`` equal plain-Python sums and merges of ``recs``."""
    for level, key in ((workers, lambda r: (r[0],)), (pairs, lambda r: (r[0], r[1]))):
        groups: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
        for r in recs:
            groups.setdefault(key(r), []).append(r)
        keys = sorted(groups)
        got = (
            list(zip(level.wid.tolist(), level.pid.tolist()))
            if level.pid is not None
            else [(w,) for w in level.wid]
        )
        assert got == keys
        for i, k in enumerate(keys):
            g = groups[k]
            assert level.worked_us[i] == _merged([(r[5], r[6]) for r in g], gap_us)
            assert level.tasks[i] == len(g)
            assert level.counts["approved"][i] == sum(r[4] == 1 for r in g)
            for name, code in (("rejected", 2), ("returned", 3), ("pending", 4)):
                assert level.counts[name][i] == sum(r[4] == code for r in g)
            for c in range(n_ccy):
                assert level.m[c, i] == sum(r[7] for r in g if r[3] == c)
                assert level.n[c, i] == sum(1 for r in g if r[3] == c)
            if level.pid is None:  # places are checked per worker (a pair's place is its worker's)
                assert (level.place_min[i], level.place_max[i]) == (
                    min(r[2] for r in g),
                    max(r[2] for r in g),
                )


def test_a_reused_workspace_changes_nothing_and_leaks_into_no_result() -> None:
    # three slices of different sizes through one workspace, largest first (its memory is then
    # reused by smaller slices): each result equals a fresh workspace's, and the first slice's
    # results are unchanged after the others ran (nothing returned is a view of the workspace)
    rnd = random.Random(9)
    slices = [_random_rows(rnd, n, 2) for n in (900, 200, 600)]

    def rows(recs: list[tuple[int, ...]]) -> dict[str, np.ndarray]:
        return {k: np.array([r[i] for r in recs], dtype=d) for i, (k, d) in enumerate(ROW_DTYPES.items())}

    def flat(level: object) -> list[list[int]]:
        return [
            np.asarray(getattr(level, f)).ravel().tolist() for f in ("wid", "tasks", "worked_us", "m", "n")
        ] + [level.counts[c].tolist() for c in sorted(level.counts)]  # type: ignore[attr-defined]

    work = Workspace()
    shared = [sums(rows(recs), 2, 30_000_000, work) for recs in slices]
    fresh = [sums(rows(recs), 2, 30_000_000) for recs in slices]
    for (w1, p1), (w2, p2) in zip(shared, fresh, strict=True):
        assert flat(w1) == flat(w2) and flat(p1) == flat(p2)
        assert p1.pid.tolist() == p2.pid.tolist()


def test_union_in_chunks_when_offsets_would_overflow() -> None:
    # groups spanning ~2^59 microseconds each: the shared integer line is split into chunks
    big = 2**59
    s = np.array([0, 10, big, 5, 7, big - 3], dtype=np.int64)
    e = np.array([20, 30, big + 4, 6, big, big], dtype=np.int64)
    g = np.array([0, 0, 0, 1, 1, 1])
    order = np.lexsort((s, g))
    s, e = s[order], e[order]
    starts = np.array([0, 3])
    got = union_us(
        np.concatenate([starts] * 8) + np.repeat(np.arange(8) * 6, 2), np.tile(s, 8), np.tile(e, 8), 0
    )
    assert got.tolist() == [30 + 4, 1 + (big - 7)] * 8


@pytest.mark.parametrize("min_pairs", [1, 10**9])  # the per-project loop, and the one-sort path
def test_project_quantiles_match_numpy_on_both_paths(monkeypatch: pytest.MonkeyPatch, min_pairs: int) -> None:
    from fairpay.auditing import projects as audit_projects

    monkeypatch.setattr(audit_projects, "MIN_PAIRS_FOR_LOOP", min_pairs)
    rng = np.random.default_rng(3)
    sizes = [0, 1, 2, 5, 40, 7]
    values = rng.lognormal(1.0, 1.0, sum(sizes))
    values[rng.random(len(values)) < 0.2] = np.nan  # pairs without worked time
    edges = np.concatenate([[0], np.cumsum(sizes)])
    med, p10 = audit_projects._quantiles(values, edges, (0.5, 0.1))
    for g in range(len(sizes)):
        v = values[edges[g] : edges[g + 1]]
        v = v[~np.isnan(v)]
        if not len(v):
            assert np.isnan(med[g]) and np.isnan(p10[g])
        else:
            assert med[g] == pytest.approx(np.quantile(v, 0.5), rel=1e-12)
            assert p10[g] == pytest.approx(np.quantile(v, 0.1), rel=1e-12)


@pytest.mark.parametrize("block", [7, 64, 10**9])  # blocks smaller than a batch, and whole batches
def test_buckets_route_rows_like_a_stable_sort_by_bucket(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    # each bucket must hold exactly its workers' rows, in arrival order (routing a batch in
    # blocks must not change which rows a bucket gets, nor their order): checked against a plain
    # stable sort of all rows by bucket
    from fairpay.auditing import rows as audit_rows

    monkeypatch.setattr(audit_rows, "BLOCK_ROWS", block)
    monkeypatch.setattr(audit_rows, "BLOCK_ROWS_PER_BUCKET", 1)
    rng = np.random.default_rng(5)
    n_workers, n = 40, 3_000
    wid = rng.integers(0, n_workers, n).astype(np.int32)
    cols = {c: rng.integers(0, 100, n).astype(d) for c, d in ROW_DTYPES.items() if c != "wid"}
    cols["wid"] = wid
    buckets = audit_rows.Buckets(np.bincount(wid, minlength=n_workers), 300)
    assert buckets.k == 10
    for lo in range(0, n, 1_000):  # three batches
        buckets.add({c: a[lo : lo + 1_000] for c, a in cols.items()})
    of_row = buckets.of_worker[wid]
    order = np.argsort(of_row, kind="stable")
    for j in range(buckets.k):
        got = buckets.pop(j)
        expected = order[of_row[order] == j]
        for c, a in cols.items():
            assert got[c].tolist() == a[expected].tolist()
