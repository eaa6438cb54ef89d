"""The user data folder: location, atomic validated writes, the lock, precedence, user imports."""

from __future__ import annotations

import csv
import json
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

from fairpay.cli import main
from fairpay.errors import FairpayError, InvalidDataError
from fairpay.tables import load as data, sources, store as cache

LIVING_HEADER = list(data.COLUMNS["living_wages"])


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    folder = tmp_path / "fairpay-data"
    monkeypatch.setenv(cache.ENV_VAR, str(folder))
    sources._forget_loaded()
    yield folder
    sources._forget_loaded()


def provenance() -> cache.Provenance:
    return cache.Provenance("test source", "http://127.0.0.1/x", "2026-11-20", "2026-11-28T00:00:00+00:00")


def cpi_rows(value: str = "123.5") -> list[dict[str, Any]]:
    return [
        {
            "country_iso3": "KEN",
            "year": 2025,
            "cpi_2010_100": value,
            "source": "World Bank WDI FP.CPI.TOTL (test)",
            "source_vintage": "2026-11-20",
        }
    ]


def write_living(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=LIVING_HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in LIVING_HEADER})
    return path


KE_ROW = {
    "country": "KE",
    "area": "national",
    "locality": "national",
    "household": "typical_family",
    "amount": "99999",
    "currency": "KES",
    "period": "month",
    "gross_net": "gross",
    "hours_per_week": "40",
    "reference_year": "2026",
    "method": "anker",
    "confidence": "high",
    "source_name": "Licensed living-wage study (test)",
    "source_url": "https://example.org/licensed-study",
}


# --------------------------------------------------------------------------- location
def test_env_var_overrides_the_platform_folder(data_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache.data_dir() == data_folder
    assert cache.table_path("cpi") == data_folder / "cpi.csv"
    assert cache.user_table_path("living_wages") == data_folder / "user_living_wages.csv"
    monkeypatch.delenv(cache.ENV_VAR)
    import platformdirs

    assert cache.data_dir() == Path(platformdirs.user_data_dir("fairpay", appauthor=False))


def test_reading_does_not_create_the_folder(data_folder: Path) -> None:
    assert data.load("cpi").origin == "bundled"
    assert data.user_rows("living_wages") is None
    assert not data_folder.exists()


# --------------------------------------------------------------------------- atomic writes
def test_atomic_write_failed_check_keeps_old_bytes(data_folder: Path) -> None:
    target = data_folder / "t.csv"
    cache.atomic_write_bytes(target, b"old")

    def refuse(tmp: Path) -> None:
        assert tmp.parent == target.parent and tmp.read_bytes() == b"new"  # same folder, full bytes
        raise InvalidDataError("t", ["nope"])

    with pytest.raises(InvalidDataError):
        cache.atomic_write_bytes(target, b"new", check=refuse)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in data_folder.iterdir()) == ["t.csv"]  # no temporary left


def test_store_validates_before_replacing(data_folder: Path) -> None:
    with cache.lock():
        sources.store("cpi", cpi_rows("123.5"), provenance(), cache.table_path("cpi"), "cache")
    before = {p.name: p.read_bytes() for p in data_folder.iterdir() if p.name != cache.LOCK_NAME}
    with pytest.raises(InvalidDataError) as err, cache.lock():
        sources.store("cpi", cpi_rows("-1") + cpi_rows("x"), provenance(), cache.table_path("cpi"), "cache")
    # every failure listed: the negative value, the non-number, and the duplicate key
    assert len(err.value.failures) == 3
    after = {p.name: p.read_bytes() for p in data_folder.iterdir() if p.name != cache.LOCK_NAME}
    assert after == before


def test_sidecar_records_provenance_and_hash(data_folder: Path) -> None:
    import hashlib

    with cache.lock():
        sources.store("cpi", cpi_rows(), provenance(), cache.table_path("cpi"), "cache")
    meta = json.loads((data_folder / "cpi.meta.json").read_text())
    assert meta["sha256"] == hashlib.sha256((data_folder / "cpi.csv").read_bytes()).hexdigest()
    assert (meta["source"], meta["url"], meta["vintage"]) == (
        "test source",
        "http://127.0.0.1/x",
        "2026-11-20",
    )
    assert meta["rows"] == 1 and meta["countries"] == 1 and meta["origin"] == "cache"
    assert (data_folder / "cpi.csv").read_text().splitlines()[0] == ",".join(data.COLUMNS["cpi"])


# --------------------------------------------------------------------------- precedence
def test_cache_beats_bundled_and_says_so(data_folder: Path) -> None:
    bundled = data.load("cpi")
    assert bundled.origin == "bundled" and bundled.location.endswith("cpi.csv")
    with cache.lock():
        sources.store("cpi", cpi_rows("123.5"), provenance(), cache.table_path("cpi"), "cache")
    table = data.load("cpi")
    assert table.origin == "cache" and table.location == str(cache.table_path("cpi"))
    assert [str(r["cpi_2010_100"]) for r in table.rows] == ["123.5"]


def test_tampered_cache_is_ignored_with_a_warning(data_folder: Path) -> None:
    with cache.lock():
        sources.store("cpi", cpi_rows("123.5"), provenance(), cache.table_path("cpi"), "cache")
    path = cache.table_path("cpi")
    path.write_text(path.read_text().replace("123.5", "999"))
    sources._forget_loaded()
    with pytest.warns(UserWarning, match="does not match"):
        table = data.load("cpi")
    assert table.origin == "bundled"


def test_invalid_cache_falls_back_to_bundled_with_a_warning(data_folder: Path) -> None:
    # A cache written by some other tool with a matching sidecar but rows that do not validate.
    path = cache.table_path("cpi")
    cache.write_table(path, b"country_iso3,year\nKEN,2025\n", provenance(), validate=lambda p: None)
    sources._forget_loaded()
    with pytest.warns(UserWarning, match="missing column"):
        table = data.load("cpi")
    assert table.origin == "bundled"


def test_lock_excludes_a_second_writer(data_folder: Path) -> None:
    errors: list[BaseException] = []

    def contender() -> None:
        try:
            with cache.lock(timeout=0.2):
                pass
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    with cache.lock():
        thread = threading.Thread(target=contender)
        thread.start()
        thread.join()
    assert len(errors) == 1 and isinstance(errors[0], FairpayError)
    assert "lock" in str(errors[0])
    contender()  # free again once released
    assert len(errors) == 1


def test_concurrent_stores_leave_one_complete_table(data_folder: Path) -> None:
    def writer(value: str) -> None:
        with cache.lock():
            sources.store("cpi", cpi_rows(value), provenance(), cache.table_path("cpi"), "cache")

    threads = [threading.Thread(target=writer, args=(f"{100 + i}.5",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a CSV/sidecar mismatch would warn
        table = data.load("cpi")
    assert table.origin == "cache" and len(table.rows) == 1
    assert str(table.rows[0]["cpi_2010_100"]) in {f"{100 + i}.5" for i in range(6)}


# --------------------------------------------------------------------------- user imports
def test_import_user_living_wages_goes_ahead_and_is_cited(
    tmp_path: Path, data_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_living(tmp_path / "mine.csv", [KE_ROW])
    assert main(["data", "import", "living_wages", str(src)]) == 0
    assert "imported 1 living_wages rows" in capsys.readouterr().out
    assert (data_folder / "user_living_wages.csv").exists()
    user = data.user_rows("living_wages")
    assert user is not None and user.origin == "user" and len(user.rows) == 1
    assert data.load("living_wages").origin == "bundled"  # bundled rows are still there

    assert main(["benchmarks", "KE", "--format", "json"]) == 0
    bench = json.loads(capsys.readouterr().out)
    assert bench["origin"] == "user" and bench["url"] == "https://example.org/licensed-study"
    assert bench["amount"] == "99999"
    # 99999 KES/month at 40 h/week: 99999 * 12 / (40 * 52) = 576.9173 KES/h (rounded)
    assert bench["hourly"].startswith("576.917")

    assert main(["data", "status", "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)["tables"]
    assert any(e["kind"] == "living_wages" and e["origin"] == "user" and e["rows"] == 1 for e in entries)

    assert main(["data", "reset"]) == 0
    assert data.user_rows("living_wages") is None


def test_import_rejects_bad_table_listing_every_failure(
    tmp_path: Path, data_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = dict(KE_ROW, currency="KSH", amount="-3", household="family")
    src = write_living(tmp_path / "bad.csv", [KE_ROW, bad])
    assert main(["data", "import", "living_wages", str(src)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "3 problem(s)" in err[0] and "row 3" in err[0]
    assert not (data_folder / "user_living_wages.csv").exists()


def test_import_refuses_other_kinds_and_file_types(tmp_path: Path) -> None:
    with pytest.raises(InvalidDataError, match="importable kinds"):
        sources.import_user_table("cpi", tmp_path / "x.csv")
    with pytest.raises(InvalidDataError, match="save the sheet as CSV"):
        sources.import_user_table("living_wages", tmp_path / "x.xlsx")


def test_status_on_fresh_install_lists_bundled_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "status", "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)["tables"]
    assert [e["kind"] for e in entries] == list(data.TABLES)
    assert all(e["origin"] == "bundled" for e in entries)
    fx = next(e for e in entries if e["kind"] == "exchange_rates")
    with open(data.bundled_dir() / "exchange_rates.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert fx["rows"] == len(rows)
    assert fx["countries"] == len({r["country_iso3"] for r in rows})
    assert fx["vintage"] == max(r["source_vintage"] for r in rows)


def test_loading_and_status_do_not_import_httpx() -> None:
    import subprocess
    import sys

    code = (
        "import sys, fairpay, fairpay.tables.sources as s, fairpay.tables.load as d; d.load('cpi'); s.status(); "
        "print('httpx' in sys.modules, 'filelock' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_forgetting_loaded_tables_also_drops_rates_and_benchmarks() -> None:
    """After an update or import in the same process, derived caches must not serve old data."""
    from fairpay import wages as benchmark
    from fairpay.tables.sources import _forget_loaded
    from fairpay.units import fx

    rates, bench = fx.ExchangeRates.bundled(), benchmark.Benchmarks.bundled()
    assert fx.ExchangeRates.bundled() is rates and benchmark.Benchmarks.bundled() is bench
    _forget_loaded()
    assert fx.ExchangeRates.bundled() is not rates
    assert benchmark.Benchmarks.bundled() is not bench
