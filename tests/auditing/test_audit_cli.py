"""``fairpay audit``: exit 1 when someone is below the bar, 0 when not, 2 on invalid input; files written."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_audit_support import RATES, bench, log

from fairpay.cli import main


@pytest.fixture(autouse=True)
def hand_data(monkeypatch: pytest.MonkeyPatch) -> None:
    import fairpay.tables.rates
    import fairpay.wages

    monkeypatch.setattr(fairpay.wages, "benchmarks", lambda *a: bench())
    monkeypatch.setattr(fairpay.tables.rates, "bundled_rates", lambda: RATES)


def _write(tmp_path: Path, reward: float, country: str = "US") -> Path:
    path = tmp_path / "log.parquet"
    log(
        [("a", "p", "A1", "2024-03-01 10:00", "2024-03-01 11:00", reward, "USD", "approved", country)]
    ).to_parquet(path)
    return path


def test_exit_1_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["audit", str(_write(tmp_path, 10.0)), "--out", str(out), "--bonus-file", "generic"])
    assert code == 1
    assert "1 workers, 1 below the bar; top-up needed: 5.00 USD" in capsys.readouterr().out  # 15 - 10
    assert (out / "bonus_generic.csv").read_text().splitlines()[1].startswith("a,USD,5.00,")
    assert {p.name for p in out.iterdir()} >= {
        "workers.csv",
        "worker_projects.csv",
        "projects.csv",
        "ledger.csv",
    }


def test_exit_0_when_nobody_is_below(tmp_path: Path) -> None:
    assert main(["audit", str(_write(tmp_path, 15.0))]) == 0


def test_exit_2_on_invalid_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "worker,project,started,submitted,reward,currency,status,country\n"
        "a,p,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z,1,USD,approved,Narnia\n"
    )
    assert main(["audit", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 2, column 'country', value 'Narnia'" in err


def test_pseudonymised_tables(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_bytes(b"a-secret-key-of-32-bytes-length!")
    out = tmp_path / "out"
    assert (
        main(
            [
                "audit",
                str(_write(tmp_path, 10.0)),
                "--out",
                str(out),
                "--pseudonymize-key-file",
                str(key),
                "--bonus-file",
                "prolific",
            ]
        )
        == 1
    )
    assert ",a," not in (out / "workers.csv").read_text()
    assert (out / "bonus_prolific.csv").read_text() == "a,5.00\n"  # the bonus file must carry real ids to pay


@pytest.mark.parametrize(("flag", "hourly"), [("--prefer-gross", "200"), ("--no-prefer-gross", "260")])
def test_prefer_gross_flag_reaches_the_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str, hourly: str
) -> None:
    import pandas as pd
    from test_audit_support import gross_and_net_kenya

    import fairpay.wages

    monkeypatch.setattr(fairpay.wages, "benchmarks", lambda *a: gross_and_net_kenya())
    out = tmp_path / "out"
    main(["audit", str(_write(tmp_path, 1.0, "KE")), "--kind", "living", "--out", str(out), flag])
    workers = pd.read_csv(out / "workers.csv", dtype=str)
    assert float(workers["bar_local"].iloc[0]) == float(hourly)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the file is empty"), (b"  \n", "the file is empty"), (b"short", "at least 16 bytes")],
)
def test_a_bad_key_file_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    # an empty key once left the real worker ids in the tables, and a short one failed only after
    # the audit had printed its verdict line: both are refused first, with nothing written
    key = tmp_path / "key"
    key.write_bytes(content)
    out = tmp_path / "out"
    code = main(
        ["audit", str(_write(tmp_path, 10.0)), "--out", str(out), "--pseudonymize-key-file", str(key)]
    )
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "" and not out.exists()
    assert captured.err.count("\n") == 1 and message in captured.err and str(key) in captured.err
    missing = tmp_path / "none"
    assert (
        main(
            ["audit", str(_write(tmp_path, 10.0)), "--out", str(out), "--pseudonymize-key-file", str(missing)]
        )
        == 2
    )
    assert "cannot be read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "target", "message"),
    [
        ("--out", "FILE", "a file is there"),
        ("--report", "report.docx", "unknown format 'docx'"),
        ("--report", "missing/report.html", "does not exist"),
    ],
)
def test_a_bad_output_target_is_refused_before_the_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, target: str, message: str
) -> None:
    # found after the audit, these printed the verdict line, then an error: a crash that looked
    # like a verdict on stdout
    (tmp_path / "FILE").write_text("not a folder")
    code = main(["audit", str(_write(tmp_path, 10.0)), flag, str(tmp_path / target)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err


def test_previous_payments_are_checked_before_the_audit_and_need_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # without --out the payments were read and silently unused (the ledger is written there);
    # a file without worker, currency, amount was refused only after the verdict line
    log_path = _write(tmp_path, 10.0)
    paid = tmp_path / "paid.csv"
    paid.write_text("a,b\n1,2\n")
    assert main(["audit", str(log_path), "--previous-payments", str(paid)]) == 2
    assert "need --out DIR" in capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["audit", str(log_path), "--previous-payments", str(paid), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not out.exists()
    assert str(paid) in captured.err and "worker, currency, amount" in captured.err
    paid.write_text("worker,currency,amount\na,USD,2.00\n")  # 5.00 owed (15 - 10), 2.00 paid before
    assert main(["audit", str(log_path), "--previous-payments", str(paid), "--out", str(out)]) == 1
    ledger = (out / "ledger.csv").read_text().splitlines()
    assert ledger[1].startswith("a,USD,5.00,2.00,3.00,")
