"""The Dask engine gives exactly the in-process results (local mode, small synthetic log)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from test_audit_support import RATES, bench, log

pytest.importorskip("dask.dataframe")

from fairpay.auditing.dask import audit_dask  # noqa: E402
from fairpay.auditing.engine import audit  # noqa: E402


def _synthetic(tmp_path: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    from make_logs import generate

    return generate(20_000, tmp_path / "log.parquet", seed=5, workers=300, projects=20)


def _norm(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys).reset_index(drop=True).astype({k: str for k in keys})


class _Bars:
    """Every place gets a bar of 9 USD/h, the UK 7 GBP/h (hand-set for this test)."""

    def bar(self, pl, **kw):  # noqa: ANN001, ANN003
        from decimal import Decimal

        from test_audit_support import hand_bar

        return (
            hand_bar(pl, Decimal("7"), "GBP", 2024)
            if pl.country == "GB"
            else hand_bar(pl, Decimal("9"), "USD", 2024)
        )


def test_dask_matches_in_process_exactly(tmp_path: Path) -> None:
    import dask
    import dask.dataframe as dd

    path = _synthetic(tmp_path)
    local = audit(path, benchmarks=_Bars(), rates=RATES, merge_gap_seconds=30)
    with dask.config.set(scheduler="threads"):
        ddf = dd.read_parquet(path).repartition(npartitions=4)
        dist = audit_dask(ddf, benchmarks=_Bars(), rates=RATES, merge_gap_seconds=30)
    pd.testing.assert_frame_equal(
        _norm(local.workers, ["worker"]), _norm(dist.workers, ["worker"]), check_exact=True
    )
    pd.testing.assert_frame_equal(
        _norm(local.worker_projects, ["worker", "project"]),
        _norm(dist.worker_projects, ["worker", "project"]),
        check_exact=True,
    )
    pd.testing.assert_frame_equal(local.projects, dist.projects, check_exact=True)
    assert local.workers["below"].sum() > 0 and len(local.workers) > 250  # the comparison is not vacuous


def test_dask_reports_bad_rows_with_global_row_numbers() -> None:
    import dask.dataframe as dd

    df = log(
        [
            (f"w{i}", "p", f"t{i}", "2024-03-01 10:00", "2024-03-01 11:00", 1, "USD", "approved", "US")
            for i in range(10)
        ]
    )
    df.loc[7, "status"] = "lost"
    from fairpay.errors import InvalidDataError

    with pytest.raises(InvalidDataError, match=r"row 7, column 'status', value 'lost'"):
        audit_dask(dd.from_pandas(df, npartitions=3), benchmarks=bench(), rates=RATES)


def test_dask_refuses_repeated_rows_instead_of_paying_twice() -> None:
    import dask.dataframe as dd

    from fairpay.errors import InvalidDataError

    rows = [
        (f"w{i}", "p", f"t{i}", "2024-03-01 10:00", "2024-03-01 11:00", 1, "USD", "approved", "US")
        for i in range(6)
    ]
    rows.append(rows[4])  # an exact copy (row 6 repeats row 4)
    rows.append(rows[2][:7] + ("rejected", "US"))  # same worker + task, different status
    with pytest.raises(InvalidDataError) as exc:
        audit_dask(dd.from_pandas(log(rows), npartitions=3), benchmarks=bench(), rates=RATES)
    got = sorted((r.row, r.reason) for r in exc.value.records)
    assert got == [(6, "duplicate_exact"), (7, "duplicate_conflict")]
