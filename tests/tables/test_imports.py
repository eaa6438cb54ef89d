"""User imports: validated once, stored per country, plausibility warnings, kept by a plain reset."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from fairpay.cli import main
from fairpay.tables import load as data, sources, store as cache

HEADER = list(data.COLUMNS["living_wages"])
EXAMPLES = Path(__file__).parents[2] / "examples"

KE = {
    "country": "KE",
    "area": "national",
    "locality": "national",
    "household": "typical_family",
    "amount": "40000",
    "currency": "KES",
    "period": "month",
    "gross_net": "gross",
    "hours_per_week": "40",
    "reference_year": "2024",
    "method": "anker",
    "confidence": "high",
    "source_name": "Licensed living-wage study (test)",
    "source_url": "https://example.org/licensed-study",
}


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in HEADER})
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sensible_import_gives_no_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["data", "import", "living_wages", str(write(tmp_path / "a.csv", [KE]))], capsys)
    assert code == 0, err
    assert "warning" not in out + err


def test_eur_on_a_kenyan_row_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [KE, dict(KE, currency="EUR", amount="300", locality="Nairobi")]
    code, out, _ = run(["data", "import", "living_wages", str(write(tmp_path / "a.csv", rows))], capsys)
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1
    assert "row(s) 3:" in lines[0] and "KE amounts in EUR" in lines[0] and "legal tender is KES" in lines[0]


def test_an_amount_far_from_the_countrys_figures_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [KE, dict(KE, amount="1000000000000", locality="Mombasa")]  # 1e12 KES a month
    code, out, _ = run(["data", "import", "living_wages", str(write(tmp_path / "a.csv", rows))], capsys)
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("warning:")]
    # bundled KE figures are ~20,000-40,000 KES a month, i.e. ~100-230 KES an hour: 1e12 is far off
    assert len(lines) == 1 and "row(s) 3:" in lines[0] and "more than 10x away" in lines[0]
    meta = cache.read_meta(Path(data.user_rows("living_wages").location))  # type: ignore[union-attr]
    assert meta is not None and meta["warnings"] and "more than 10x" in meta["warnings"][0]


@pytest.mark.parametrize("amount", ["1e999", "1e13000", "99999999999999", "1." + "1" * 40])
def test_absurd_amounts_are_refused_in_one_line(
    amount: str, tmp_path: Path, data_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [KE, dict(KE, amount=amount)]
    code, out, err = run(["data", "import", "living_wages", str(write(tmp_path / "a.csv", rows))], capsys)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "row 3, column 'amount'" in lines[0] and len(lines[0]) < 400
    assert data.user_rows("living_wages") is None


def test_rows_are_read_only_for_the_countries_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    us = dict(KE, country="US", currency="USD", amount="25", period="hour", locality="national")
    rows = [KE, us, dict(us, locality="Ohio"), dict(KE, locality="Nairobi")]
    assert run(["data", "import", "living_wages", str(write(tmp_path / "a.csv", rows))], capsys)[0] == 0
    assert data.user_countries("living_wages") == ["KE", "US"]
    only_us = data.user_rows("living_wages", countries=["us"])
    assert only_us is not None and [r["locality"] for r in only_us.rows] == ["national", "Ohio"]
    assert len(data.user_rows("living_wages").rows) == 4  # type: ignore[union-attr]
    assert data.user_rows("living_wages", countries=["FR"]).rows == ()  # type: ignore[union-attr]
    version = Path(only_us.location).parent
    index = json.loads((version / "index.json").read_text())
    assert index["countries"] == {
        "KE": {"file": "parts/KE.pickle", "rows": 2},
        "US": {"file": "parts/US.pickle", "rows": 2},
    }


def test_later_loads_do_not_validate_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(["data", "import", "living_wages", str(write(tmp_path / "a.csv", [KE]))], capsys)[0] == 0
    sources._forget_loaded()

    def no_validation(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(data, "_validate", no_validation)
    table = data.user_rows("living_wages")
    assert table is not None and table.rows[0]["amount"] == data.Decimal("40000")
    assert table.rows[0]["reference_year"] == 2024


def test_a_damaged_part_falls_back_to_the_previous_import_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["data", "import", "living_wages", str(write(tmp_path / "a.csv", [KE]))], capsys)[0] == 0
    newer = [dict(KE, amount="41000")]
    assert run(["data", "import", "living_wages", str(write(tmp_path / "b.csv", newer))], capsys)[0] == 0
    part = Path(data.user_rows("living_wages").location).parent / "parts" / "KE.pickle"  # type: ignore[union-attr]
    blob = bytearray(part.read_bytes())
    blob[-3] ^= 0xFF  # same size, different bytes
    part.write_bytes(bytes(blob))
    sources._forget_loaded()
    with pytest.warns(UserWarning, match="cannot be read"):
        table = data.user_rows("living_wages")
    assert table is not None and str(table.rows[0]["amount"]) == "40000"
    assert any("earlier import" in n for n in cache.notices())


def test_reset_keeps_imports_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["data", "import", "living_wages", str(write(tmp_path / "a.csv", [KE]))], capsys)[0] == 0
    code, out, _ = run(["data", "reset"], capsys)
    assert code == 0 and "imported tables kept" in out
    assert data.user_rows("living_wages") is not None
    code, out, _ = run(["data", "reset", "--kind", "living_wages", "--imports"], capsys)
    assert code == 0 and "user_living_wages" in out
    assert data.user_rows("living_wages") is None


def test_a_damaged_cache_is_stated_in_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    """The fallback to the last good update reaches the JSON output, not only stderr."""
    rows = [dict(r) for r in data.load("exchange_rates").rows]
    prov = cache.Provenance("test", "http://127.0.0.1/x", "2026-11-20", "2026-11-28T00:00:00+00:00")
    with cache.lock():
        sources.store("exchange_rates", rows, prov, "exchange_rates", "cache")
        sources.store("exchange_rates", rows, prov, "exchange_rates", "cache")
    current = cache.current_version("exchange_rates")
    assert current is not None
    (current / "exchange_rates.csv").write_text("damaged")
    sources._forget_loaded()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["check", str(EXAMPLES / "image_labelling.toml"), "--format", "json"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    notes = [w for w in json.loads(out)["warnings"] if "last good update" in w]
    assert len(notes) == 1 and "v000001" in notes[0] and "exchange_rates" in notes[0]


def test_status_describes_an_import_from_its_provenance_without_reading_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime

    rows = [KE, dict(KE, reference_year="2019", locality="Nairobi"), dict(KE, country="UG", currency="UGX")]
    assert run(["data", "import", "living_wages", str(write(tmp_path / "a.csv", rows))], capsys)[0] == 0
    sources._forget_loaded()
    monkeypatch.setattr(data, "_read_part", lambda *a: pytest.fail("status read the rows"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entries = sources.status(today=datetime.date(2026, 12, 6))
    user = next(e for e in entries if e["kind"] == "living_wages" and e["origin"] == "user")
    assert (user["rows"], user["countries"]) == (3, 2)
    assert user["stale"] == "1 of 3 rows have a reference year before 2023"
