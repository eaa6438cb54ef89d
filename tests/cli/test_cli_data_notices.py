"""A damaged data folder (fallback to the last good update) is stated in the JSON of ``fairpay
benchmarks`` and ``fairpay rate``, as it is in ``check`` and ``audit`` (issue 12)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from fairpay.cli import main
from fairpay.tables import load as data, sources, store as cache


@pytest.fixture()
def damaged_cpi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two stored CPI updates, the newer one damaged: loads fall back to the older (v000001)."""
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "fairpay-data"))
    sources._forget_loaded()
    rows = [dict(r) for r in data.load("cpi").rows]
    prov = cache.Provenance("test", "http://127.0.0.1/cpi", "2026-11-20", "2026-11-28T00:00:00+00:00")
    with cache.lock():
        sources.store("cpi", rows, prov, "cpi", "cache")
        sources.store("cpi", rows, prov, "cpi", "cache")
    current = cache.current_version("cpi")
    assert current is not None and current.name != "v000001"
    (current / "cpi.csv").write_text("damaged")
    sources._forget_loaded()
    yield
    sources._forget_loaded()


def _json_of(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same notice also goes to stderr as a warning
        code = main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    assert isinstance(result, dict)
    return result


def _fallback_notes(result: dict[str, object]) -> list[str]:
    found = result.get("warnings")
    assert isinstance(found, list)
    return [w for w in found if "last good update" in w]


def test_benchmarks_json_states_the_fallback(damaged_cpi: None, capsys: pytest.CaptureFixture[str]) -> None:
    notes = _fallback_notes(_json_of(["benchmarks", "KE", "--format", "json"], capsys))
    assert len(notes) == 1 and "cpi" in notes[0] and "v000001" in notes[0]


def test_rate_json_states_the_fallback(damaged_cpi: None, capsys: pytest.CaptureFixture[str]) -> None:
    result = _json_of(["rate", "--country", "KE", "--seconds", "60", "--format", "json"], capsys)
    notes = _fallback_notes(result)
    assert len(notes) == 1 and "cpi" in notes[0] and "v000001" in notes[0]
    assert "required_pay_per_task" in result  # the figure is still there, with its caveat


def test_an_intact_data_folder_adds_no_fallback_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "empty"))
    sources._forget_loaded()
    try:
        assert _fallback_notes(_json_of(["benchmarks", "KE", "--format", "json"], capsys)) == []
        assert (
            _fallback_notes(
                _json_of(["rate", "--country", "KE", "--seconds", "60", "--format", "json"], capsys)
            )
            == []
        )
    finally:
        sources._forget_loaded()
