"""Exit codes mean one thing: 0 ok, 1 someone below the bar, 2 invalid input, 3 a bug in fairpay
(one line; the traceback only on request). A crash must never look like a verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_audit_cli import _write, hand_data  # noqa: F401 (the fixture patches in hand-set bars)

from fairpay.cli import main


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


def test_a_bug_exits_3_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import fairpay.auditing.engine

    def broken(*a, **k):  # noqa: ANN002, ANN003, ANN202
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(fairpay.auditing.engine, "audit", broken)
    monkeypatch.delenv("FAIRPAY_TRACEBACK", raising=False)
    assert main(["audit", str(_write(tmp_path, 10.0))]) == 3
    err = _err(capsys)
    assert err.count("\n") == 1 and "internal error (a bug in fairpay" in err and "ZeroDivisionError" in err
    monkeypatch.setenv("FAIRPAY_TRACEBACK", "1")
    assert main(["audit", str(_write(tmp_path, 10.0))]) == 3
    assert "Traceback (most recent call last)" in _err(capsys)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--memory-limit", "lots"], "memory_limit"),
        (["--year", "0"], "year"),
        (["--places", "EMPTY"], "is empty"),
        (["--previous-payments", "EMPTY", "--out", "OUT"], "is empty"),
        (["--implausible", "maybe"], "implausible"),
        (["--max-task-hours", "-1"], "max_task_hours"),
    ],
)
def test_bad_options_exit_2_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    args = [str(empty) if a == "EMPTY" else str(tmp_path / "out") if a == "OUT" else a for a in args]
    assert main(["audit", str(_write(tmp_path, 10.0)), *args]) == 2
    err = _err(capsys)
    assert err.count("\n") == 1 and named in err, err


@pytest.mark.parametrize("content", [b"", b"PAR1garbage", b"not parquet at all"])
def test_broken_log_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    path = tmp_path / "log.parquet"
    path.write_bytes(content)
    assert main(["audit", str(path)]) == 2
    err = _err(capsys)
    assert err.count("\n") == 1 and "log.parquet" in err


def test_set_aside_rows_are_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "worker,project,task,started,submitted,reward,currency,status,country\n"
        "a,p,t1,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,15.00,USD,approved,US\n"
        "a,p,t2,2024-03-01T12:00:00Z,2999-03-01T13:00:00Z,1.00,USD,approved,US\n"
    )
    out = tmp_path / "out"
    assert main(["audit", str(log), "--out", str(out), "--implausible", "set_aside"]) == 0
    assert "1 row(s) set aside (after_now)" in _err(capsys)
    lines = (out / "set_aside.csv").read_text().splitlines()
    assert lines[0] == "row,column,value,reason,message" and lines[1].startswith("3,submitted,")
