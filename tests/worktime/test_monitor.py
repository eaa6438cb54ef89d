"""fairpay.monitor and the `monitor`, `forecast`, `time` commands: hand-computed cases and exit codes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import fairpay
from fairpay.cli import main
from fairpay.errors import InvalidInputError
from fairpay.worktime.monitor import MonitorReport, monitor


def production(n: int = 10, step: int = 30) -> pd.DataFrame:
    """Worker i (1..n) did one approved task of step*i seconds (generic preset, ISO times)."""
    start = pd.Timestamp("2024-03-01T09:00:00Z")
    return pd.DataFrame(
        {
            "worker": [f"w{i:02d}" for i in range(1, n + 1)],
            "started": [start] * n,
            "submitted": [start + pd.Timedelta(seconds=step * i) for i in range(1, n + 1)],
            "status": ["approved"] * n,
        }
    )


def strict_json(text: str) -> dict:
    def refuse(name: str) -> None:
        raise AssertionError(f"JSON holds {name}")

    return json.loads(text, parse_constant=refuse)


def test_top_ups_so_far_by_hand_and_raise() -> None:
    # bar 15/h, rate 0.50: break-even 0.5*3600/15 = 120 s -> workers 5..10 (150..300 s) below: 6 of 10
    # owed 15*30i/3600 - 0.5 = 0.125 i - 0.5, rounded up to the cent:
    # i=5..10: 0.13 + 0.25 + 0.38 + 0.50 + 0.63 + 0.75 = 2.64
    r = monitor(production(), "0.50", "15", target=0.1)
    assert isinstance(r, MonitorReport)
    assert r.share_below_so_far == pytest.approx(0.6)
    assert r.top_ups_so_far == Decimal("2.64") and r.workers_owed == 6
    assert r.action == "raise" and r.needs_action
    assert r.raise_to is not None and r.raise_to > Decimal("0.50")
    assert r.forecast.share_at(float(r.raise_to)) <= 0.1
    assert "audited worked time" in r.forecast.basis
    strict_json(json.dumps(r.to_dict(), allow_nan=False))


def test_continue_when_the_rate_is_ample() -> None:
    # rate 3.00: break-even 720 s, 2.4x the slowest worker's 300 s
    r = monitor(production(), "3.00", "15", target=0.1)
    assert r.action == "continue" and not r.needs_action
    assert r.share_below_so_far == 0 and r.top_ups_so_far == 0


def test_wait_with_too_few_workers_never_all_clear() -> None:
    r = monitor(production(3), "3.00", "15")
    assert r.action == "wait" and r.needs_action and r.forecast.share_below is None


def test_complete_batch_hands_over_to_the_audit() -> None:
    r = monitor(production(), "0.50", "15", planned_tasks=10)
    assert r.action == "top up" and any("fairpay audit" in m for m in r.messages)
    done = monitor(production(), "3.00", "15", planned_tasks=10)
    assert done.action == "continue"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rate": "-1"}, "rate"),
        ({"rate": "abc"}, "rate"),
        ({"bar": "0"}, "bar"),
        ({"target": 1.5}, "target"),
        ({"target": "most"}, "target"),
        ({"planned_tasks": 0}, "planned_tasks"),
        ({"step": "0"}, "step"),
    ],
)
def test_bad_monitor_input(kwargs: dict, match: str) -> None:
    args = {"rate": "0.5", "bar": "15", **kwargs}
    rate, bar = args.pop("rate"), args.pop("bar")
    with pytest.raises(InvalidInputError, match=match):
        monitor(production(), rate, bar, **args)


def test_public_exports() -> None:
    assert fairpay.monitor is monitor
    assert fairpay.MonitorReport is MonitorReport


# ------------------------------------------------------------------ CLI


def test_cli_monitor_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prod.csv"
    df = production()
    df.assign(
        started=df["started"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        submitted=df["submitted"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ).to_csv(path, index=False)
    assert main(["monitor", str(path), "--rate", "0.50", "--bar", "15", "--format", "json"]) == 1
    out = strict_json(capsys.readouterr().out)
    assert out["action"] == "raise" and out["top_ups_so_far"] == "2.64"
    assert main(["monitor", str(path), "--rate", "3", "--bar", "15"]) == 0
    text = capsys.readouterr().out
    assert "CONTINUE" in text and "basis: audited worked time" in text
    assert main(["monitor", str(path), "--rate", "x", "--bar", "15"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rate" in err


def per_task_csv(tmp_path: Path, n_workers: int, order: list[str] | None = None) -> Path:
    lines = ["worker_id,seconds" + (",AcceptTime" if order else "")]
    for i in range(n_workers):
        lines.append(f"w{i},{30 + 11 * i}" + (f",{order[i]}" if order else ""))
    path = tmp_path / "pilot.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_forecast_huge_rate_writes_plain_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = per_task_csv(tmp_path, 8)
    assert main(["forecast", str(path), "--rate", "1e308", "--bar", "15", "--format", "json"]) == 0
    out = strict_json(capsys.readouterr().out)
    assert out["forecast"]["threshold_seconds"] is None


def test_cli_forecast_tiny_pilot_never_exits_0_on_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = per_task_csv(tmp_path, 4)
    # a very high rate: every pilot worker far above the bar, still no all-clear from 4 workers
    assert main(["forecast", str(path), "--rate", "50", "--bar", "15", "--target", "0.1"]) == 1
    captured = capsys.readouterr()
    assert "no point estimate" in captured.out and "Warning" not in captured.err


def test_cli_forecast_accepts_mturk_accept_time_as_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    times = [f"Wed Jan 16 10:0{i}:00 PST 2019" for i in range(8)]
    path = per_task_csv(tmp_path, 8, times)
    assert main(["forecast", str(path), "--rate", "0.3", "--bar", "15", "--order-column", "AcceptTime"]) == 0
    capsys.readouterr()
    bad = per_task_csv(tmp_path, 8, [*times[:7], "next tuesday"])
    assert main(["forecast", str(bad), "--rate", "0.3", "--bar", "15", "--order-column", "AcceptTime"]) == 2
    err = capsys.readouterr().err
    assert "row 7" in err and "'AcceptTime'" in err and err.count("\n") == 1


def test_cli_forecast_and_time_with_mturk_preset_say_their_basis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.worktime.test_audited_time import mturk_log

    path = mturk_log(tmp_path)
    assert (
        main(["forecast", str(path), "--preset", "mturk", "--rate", "0.1", "--bar", "15", "--format", "json"])
        == 0
    )
    out = strict_json(capsys.readouterr().out)
    assert "audited worked time" in out["forecast"]["basis"]
    assert out["forecast"]["share_below"] is None  # 4 workers: degenerate
    assert any("held tasks" in n for n in out["notes"])
    assert main(["time", str(path), "--preset", "mturk"]) == 0
    text = capsys.readouterr().out
    assert "basis: audited worked time" in text and "±0 %" not in text and "held tasks" in text


def test_cli_time_two_workers_claims_no_precision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "two.csv"
    path.write_text("worker_id,seconds\na,60\na,60\nb,60\nb,60\n")
    assert main(["time", str(path), "--worker-column", "worker_id"]) == 0
    text = capsys.readouterr().out
    assert "±0 %" not in text and "unknown precision" in text


def _real_batch(name: str) -> Path | None:
    here = Path(__file__).resolve().parents[2]
    for base in (here.parent / "shared" / "real_logs", Path("/work/shared/real_logs")):
        if (base / "mturk" / name).is_file():
            return base / "mturk" / name
    return None


@pytest.mark.skipif(
    _real_batch("face_bbox.csv") is None, reason="../shared/real_logs not present (not shipped)"
)
def test_top_ups_so_far_equal_the_audits_on_a_real_batch() -> None:
    path = _real_batch("face_bbox.csv")
    audit = fairpay.audit(path, preset="mturk", country="US", kind="minimum")
    bar = audit.workers["bar_local"].iloc[0]  # one place, paid in USD: the same bar for everyone
    r = monitor(path, "0.01", str(bar), preset="mturk")  # every task paid $0.01
    assert r.top_ups_so_far == Decimal(str(round(float(audit.workers["top_up"].sum()), 2)))
    assert r.workers_owed == int(audit.workers["below"].sum())
    assert r.held_tasks is not None  # 2.6x: workers held several HITs
