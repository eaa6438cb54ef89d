"""One settings object for the audit: the API, the CLI and the Dask driver read the same fields."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from test_audit_support import RATES, bench, log

import fairpay
from fairpay.auditing.engine import AuditSettings, audit
from fairpay.auditing.presets import PRESETS, Preset
from fairpay.errors import InvalidInputError

ROWS = [
    ("a", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 10, "USD", "approved", "US"),
    ("a", "q", "t2", "2024-03-01 10:59", "2024-03-01 11:30", 2, "USD", "pending", "US"),
    ("b", "p", "t3", "2024-03-01 09:00", "2024-03-01 09:30", 1, "GBP", "approved", "GB"),
]


def test_settings_object_and_keyword_options_are_the_same_call() -> None:
    df = log(ROWS)
    s = AuditSettings(merge_gap_seconds=120, pending="unpaid")
    by_object = audit(df, s, benchmarks=bench(), rates=RATES)
    by_options = audit(df, benchmarks=bench(), rates=RATES, merge_gap_seconds=120, pending="unpaid")
    # an option replaces one field of a given settings object; the others stay
    mixed = audit(df, AuditSettings(merge_gap_seconds=120), benchmarks=bench(), rates=RATES, pending="unpaid")
    assert by_object.settings == by_options.settings == mixed.settings == s
    for other in (by_options, mixed):
        pd.testing.assert_frame_equal(by_object.workers, other.workers, check_exact=True)
    # a: 10:00-11:30 is 1.5 h (t2 overlaps t1); pending counted unpaid -> paid 10 USD, bar 15 USD/h
    a = by_object.workers.set_index("worker").loc["a"]
    assert a["hours"] == pytest.approx(1.5) and a["earnings"] == pytest.approx(10.0)
    assert a["top_up"] == pytest.approx(12.5)  # 15 * 1.5 - 10


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("kind", "livng", "kind 'livng' is not one of living, minimum, higher"),
        ("missing_living", "skip", "missing_living 'skip'"),
        ("pending", "maybe", "pending 'maybe'"),
        ("fx_fallback", "nearest", "fx_fallback 'nearest'"),
        ("merge_gap_seconds", -1, "merge_gap_seconds -1 must be a number >= 0"),
        ("merge_gap_seconds", float("nan"), "merge_gap_seconds nan"),
        ("merge_gap_seconds", True, "merge_gap_seconds True"),
        ("merge_gap_seconds", "30", "merge_gap_seconds '30'"),
        ("year", 1850, "year 1850 is not a plausible calendar year"),
        ("year", "2024", "year '2024'"),
        ("inflate", "no", "inflate 'no' is not True or False"),
        ("preset", "toloka", "preset 'toloka' is not one of"),
        ("columns", "worker=uid", "columns must be a mapping"),
    ],
)
def test_a_bad_setting_is_refused_before_any_row_is_read(field: str, value: object, words: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(words)):
        AuditSettings(**{field: value})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=re.escape(words)):
        audit("/nonexistent/log.parquet", **{field: value})  # the setting fails first, not the path


def test_an_unknown_option_names_the_known_ones() -> None:
    with pytest.raises(
        InvalidInputError, match=r"unknown audit option\(s\) \['merge_gap'\].*'merge_gap_seconds'"
    ):
        audit(log(ROWS), merge_gap=30)
    with pytest.raises(InvalidInputError, match="settings must be an AuditSettings, not dict"):
        audit(log(ROWS), {"kind": "living"})  # type: ignore[arg-type]


def test_settings_are_frozen_and_recorded_as_json() -> None:
    custom = Preset(name="my-export", columns=dict(PRESETS["generic"].columns))
    s = AuditSettings(preset=custom, defaults={"reward": 0.5}, year=2024)
    with pytest.raises(AttributeError):
        s.kind = "living"  # type: ignore[misc]
    record = s.record()
    assert record["preset"] == "my-export" and record["defaults"] == {"reward": 0.5}
    assert json.loads(json.dumps(record)) == record
    fields = [
        "preset",
        "columns",
        "defaults",
        "kind",
        "household",
        "locality",
        "missing_living",
        "year",
        "inflate",
        "fx_fallback",
        "merge_gap_seconds",
        "pending",
        "method",
        "estimate_bound",
        "prefer_gross",
        "encoding",
        "max_task_hours",
        "implausible",
    ]
    assert list(record) == fields


def test_result_summary_records_the_settings() -> None:
    r = audit(log(ROWS), benchmarks=bench(), rates=RATES, preset="generic", kind="living")
    summary = json.loads(json.dumps(r.to_dict()))
    assert summary["settings"]["kind"] == "living" and summary["settings"]["preset"] == "generic"


def test_public_entry_points_take_the_settings_object_not_parameter_lists() -> None:
    from fairpay.auditing.dask import audit_dask

    for fn in (audit, audit_dask):
        params = inspect.signature(fn).parameters
        assert list(params)[:2] == ["log", "settings"]
        assert not set(params) & {f for f in AuditSettings.__dataclass_fields__}  # options go to the object
    assert fairpay.AuditSettings is AuditSettings


def test_dask_driver_uses_only_public_names_of_the_engine() -> None:
    import ast
    import importlib

    import fairpay.auditing.dask as d

    tree = ast.parse(Path(d.__file__).read_text(encoding="utf-8"))
    modules = {  # alias -> stage module, from "from fairpay.auditing import reading as R, ..."
        a.asname or a.name: a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "fairpay.auditing"
        for a in node.names
    }
    names = [
        a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fairpay.auditing.")
        for a in node.names
    ]
    used = [
        (modules[node.value.id], node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
    ]
    assert used  # the driver reaches the engine's stages through their modules
    assert not [n for n in names + [n for _m, n in used] if n.startswith("_")]
    for module, name in used:
        assert hasattr(importlib.import_module(f"fairpay.auditing.{module}"), name), (module, name)


def test_numpy_numbers_are_numbers() -> None:
    import numpy as np

    s = AuditSettings(year=np.int64(2024), merge_gap_seconds=np.float32(1.5))
    assert s.year == 2024 and s.merge_gap_seconds == 1.5
    assert type(s.year) is int and type(s.merge_gap_seconds) is float
    assert json.loads(json.dumps(s.record()))["year"] == 2024


def test_prefer_gross_picks_the_same_figure_as_a_prelaunch_policy() -> None:
    # Kenya: 200 KES/h gross, 260 KES/h net (gross_and_net_kenya). The audit's bar must follow the
    # same rule as a pre-launch check under the same policy.
    from test_audit_support import gross_and_net_kenya

    from fairpay.prelaunch.check import place_bar
    from fairpay.prelaunch.spec import Policy

    kenya = gross_and_net_kenya()
    df = log([("w1", "p", "t1", "2024-03-01 10:00", "2024-03-01 11:00", 1.0, "USD", "approved", "KE")])
    for prefer_gross, hourly in ((True, 200), (False, 260)):
        result = audit(
            df, benchmarks=kenya, rates=RATES, kind="living", inflate=False, prefer_gross=prefer_gross
        )
        assert float(result.workers["bar_local"].iloc[0]) == hourly
        policy = Policy(benchmark="living", inflate=False, prefer_gross=prefer_gross)
        assert place_bar(kenya, "KE", None, None, policy, RATES).hourly == hourly
    with pytest.raises(InvalidInputError, match="prefer_gross"):
        AuditSettings(prefer_gross="no")  # type: ignore[arg-type]
