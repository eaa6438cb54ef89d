"""The user data folder: location, versioned validated writes, the lock, precedence, fallbacks, imports."""

from __future__ import annotations

import csv
import json
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

from fairpay.cli import main
from fairpay.errors import FairpayError, InvalidDataError
from fairpay.tables import load as data, sources, store as cache

LIVING_HEADER = list(data.COLUMNS["living_wages"])


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
def current_csv(name: str, kind: str | None = None) -> Path:
    """The table file of the version CURRENT names (read by hand, not through the store)."""
    folder = cache.table_dir(name)
    ident = (folder / "CURRENT").read_text().strip()
    return folder / ident / f"{kind or name}.csv"


def store_cpi(value: str = "123.5") -> dict[str, Any]:
    with cache.lock():
        return sources.store("cpi", cpi_rows(value), provenance(), "cpi", "cache")


def test_env_var_overrides_the_platform_folder(data_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache.data_dir() == data_folder
    assert cache.table_dir("cpi") == data_folder / "tables" / "cpi"
    assert cache.table_dir(cache.user_name("living_wages")) == data_folder / "tables" / "user_living_wages"
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


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != cache.LOCK_NAME
    }


def test_store_validates_before_replacing(data_folder: Path) -> None:
    store_cpi("123.5")
    before = tree(data_folder)
    with pytest.raises(InvalidDataError) as err, cache.lock():
        sources.store("cpi", cpi_rows("-1") + cpi_rows("x"), provenance(), "cpi", "cache")
    # every failure listed: the negative value, the non-number, and the duplicate key
    assert len(err.value.failures) == 3
    assert tree(data_folder) == before  # no new version, no temporary folder left


def test_sidecar_records_provenance_and_hash(data_folder: Path) -> None:
    import hashlib

    store_cpi()
    path = current_csv("cpi")
    meta = json.loads(path.with_name("cpi.meta.json").read_text())
    assert meta["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert meta["files"] == {"cpi.csv": meta["sha256"]}
    assert (meta["source"], meta["url"], meta["vintage"]) == (
        "test source",
        "http://127.0.0.1/x",
        "2026-11-20",
    )
    assert meta["rows"] == 1 and meta["countries"] == 1 and meta["origin"] == "cache"
    assert path.read_text().splitlines()[0] == ",".join(data.COLUMNS["cpi"])


# --------------------------------------------------------------------------- precedence
def test_cache_beats_bundled_and_says_so(data_folder: Path) -> None:
    bundled = data.load("cpi")
    assert bundled.origin == "bundled" and bundled.location.endswith("cpi.csv")
    store_cpi("123.5")
    table = data.load("cpi")
    assert table.origin == "cache" and table.location == str(current_csv("cpi"))
    assert [str(r["cpi_2010_100"]) for r in table.rows] == ["123.5"]


def test_tampered_only_version_falls_back_to_bundled_and_says_so(data_folder: Path) -> None:
    store_cpi("123.5")
    path = current_csv("cpi")
    path.write_text(path.read_text().replace("123.5", "999"))
    sources._forget_loaded()
    with pytest.warns(UserWarning, match="does not match its checksum"):
        table = data.load("cpi")
    assert table.origin == "bundled"
    assert any("every stored version" in n and "bundled" in n for n in cache.notices())


def test_corrupt_current_version_falls_back_to_the_last_good_update(data_folder: Path) -> None:
    store_cpi("111.5")  # the last good update
    store_cpi("222.5")  # the current one, then damaged
    path = current_csv("cpi")
    path.write_bytes(path.read_bytes()[:-7])
    sources._forget_loaded()
    with pytest.warns(UserWarning, match="last good update"):
        table = data.load("cpi")
    assert table.origin == "cache" and [str(r["cpi_2010_100"]) for r in table.rows] == ["111.5"]
    notes = cache.notices()
    assert len(notes) == 1 and "v000001" in notes[0] and "damaged" in notes[0]


def test_missing_pointer_or_sidecar_falls_back_to_the_last_good_update(data_folder: Path) -> None:
    store_cpi("111.5")
    store_cpi("222.5")
    current_csv("cpi").with_name("cpi.meta.json").unlink()  # crash between table and checksum
    sources._forget_loaded()
    with pytest.warns(UserWarning, match="provenance file is missing"):
        assert [str(r["cpi_2010_100"]) for r in data.load("cpi").rows] == ["111.5"]
    (cache.table_dir("cpi") / "CURRENT").unlink()
    sources._forget_loaded()
    with pytest.warns(UserWarning, match="CURRENT pointer"):
        assert [str(r["cpi_2010_100"]) for r in data.load("cpi").rows] == ["111.5"]


def test_invalid_current_version_falls_back_to_the_last_good_update(data_folder: Path) -> None:
    store_cpi("111.5")
    # A version with matching checksums but rows that no longer validate (another fairpay wrote it).
    with cache.lock():
        cache.write_version(
            "cpi", "cpi", b"country_iso3,year\nKEN,2025\n", provenance(), validate=lambda p: None
        )
    sources._forget_loaded()
    with pytest.warns(UserWarning, match="missing column"):
        table = data.load("cpi")
    assert table.origin == "cache" and [str(r["cpi_2010_100"]) for r in table.rows] == ["111.5"]
    assert "last good update v000001" in cache.notices()[0]


def test_only_the_newest_versions_are_kept(data_folder: Path) -> None:
    for value in ("101.5", "102.5", "103.5", "104.5", "105.5"):
        store_cpi(value)
    assert [v.name[:7] for v in cache.versions("cpi")] == ["v000003", "v000004", "v000005"]
    assert [str(r["cpi_2010_100"]) for r in data.load("cpi").rows] == ["105.5"]


def test_leftovers_of_a_killed_writer_are_cleaned_by_the_next_writer(data_folder: Path) -> None:
    store_cpi("111.5")
    folder = cache.table_dir("cpi")
    (folder / ".tmp-abc123").mkdir()
    (folder / ".tmp-abc123" / "cpi.csv").write_text("half")
    (folder / ".CURRENT.x1y2.tmp").write_text("v0000")
    (data_folder / "tables" / ".tmp-gone-cpi").mkdir()
    sources._forget_loaded()
    assert [str(r["cpi_2010_100"]) for r in data.load("cpi").rows] == ["111.5"]  # readers ignore them
    with cache.lock():
        pass
    left = [p.name for p in data_folder.rglob(".*") if p.name != cache.LOCK_NAME]
    assert left == []


def test_a_writer_killed_mid_write_leaves_the_previous_table(data_folder: Path, tmp_path: Path) -> None:
    """kill -9 a process while it writes a version: the old table loads, the next writer cleans up."""
    import os
    import signal
    import subprocess
    import sys
    import time

    store_cpi("111.5")
    script = (
        "import os, time\n"
        "from fairpay.tables import store as cache, sources\n"
        "rows=[{'country_iso3':'KEN','year':2025,'cpi_2010_100':'999.5','source':'x','source_vintage':'2026'}]\n"
        "def slow(path):\n"
        "    print('validating', flush=True); time.sleep(60)\n"
        "from fairpay.tables import load\n"
        "load.read_rows = lambda *a, **k: slow(None)\n"
        "with cache.lock():\n"
        "    sources.store('cpi', rows, cache.Provenance('s','u','v','r'), 'cpi', 'cache')\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "validating"
        assert list(cache.table_dir("cpi").glob(".tmp-*"))  # mid-write: the temporary folder exists
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    sources._forget_loaded()
    assert [str(r["cpi_2010_100"]) for r in data.load("cpi").rows] == ["111.5"]
    time.sleep(0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sources.status()  # a look at the data folder tidies it when no writer is running
    assert not list(cache.table_dir("cpi").glob(".tmp-*"))


def test_readers_never_see_a_torn_pair_while_a_writer_replaces_the_table(data_folder: Path) -> None:
    """Readers resolve CURRENT, then read the table and its checksum from one immutable folder."""
    store_cpi("100.5")
    stop = threading.Event()
    seen: list[str] = []
    torn: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            found = cache.candidates("cpi")
            if not found:
                torn.append("no table")
                continue
            if found[0].parent != cache.current_version("cpi") and cache.notices():
                torn.append("; ".join(cache.notices()))
            try:
                seen.append(found[0].read_text())
            except FileNotFoundError:  # retired by three newer versions meanwhile: resolve again
                continue

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        threads = [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        for i in range(40):
            store_cpi(f"{200 + i}.5")
        stop.set()
        for t in threads:
            t.join()
    assert torn == [] and len(seen) > 40
    assert not cache.notices()


def test_loading_while_a_writer_replaces_the_table_never_falls_back(data_folder: Path) -> None:
    store_cpi("100.5")
    stop = threading.Event()
    values: set[str] = set()
    origins: set[str] = set()

    def reader() -> None:
        while not stop.is_set():
            data.load.cache_clear()
            table = data.load("cpi")
            origins.add(table.origin)
            values.add(str(table.rows[0]["cpi_2010_100"]))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback would warn
        thread = threading.Thread(target=reader)
        thread.start()
        for i in range(30):
            store_cpi(f"{200 + i}.5")
        stop.set()
        thread.join()
    assert origins == {"cache"} and not cache.notices()
    assert values <= {"100.5"} | {f"{200 + i}.5" for i in range(30)}


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
            sources.store("cpi", cpi_rows(value), provenance(), "cpi", "cache")

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
    assert current_csv("user_living_wages", "living_wages").exists()
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

    assert main(["data", "reset"]) == 0  # a plain reset keeps imports
    assert "imported tables kept" in capsys.readouterr().out
    assert data.user_rows("living_wages") is not None
    assert main(["data", "reset", "--imports"]) == 0
    assert data.user_rows("living_wages") is None


def test_import_rejects_bad_table_listing_every_failure(
    tmp_path: Path, data_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = dict(KE_ROW, currency="KSH", amount="-3", household="family")
    src = write_living(tmp_path / "bad.csv", [KE_ROW, bad])
    assert main(["data", "import", "living_wages", str(src)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "3 problem(s)" in err[0] and "row 3" in err[0]
    assert not (data_folder / "tables").exists() or not list((data_folder / "tables").iterdir())


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
    from fairpay.tables.rates import bundled_rates
    from fairpay.tables.sources import _forget_loaded

    rates, bench = bundled_rates(), benchmark.Benchmarks.bundled()
    assert bundled_rates() is rates and benchmark.Benchmarks.bundled() is bench
    _forget_loaded()
    assert bundled_rates() is not rates
    assert benchmark.Benchmarks.bundled() is not bench


def test_a_table_stored_by_an_older_fairpay_is_named_not_silently_dropped(data_folder: Path) -> None:
    data_folder.mkdir(parents=True)
    (data_folder / "cpi.csv").write_text("country_iso3,year\n")
    with pytest.warns(UserWarning, match="older fairpay"):
        assert data.load("cpi").origin == "bundled"
    assert "data update" in cache.notices()[0]


def test_status_restates_a_fallback_every_time(data_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store_cpi("111.5")
    store_cpi("222.5")
    current_csv("cpi").write_text("damaged")
    sources._forget_loaded()
    for _ in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            entries = sources.status()
        cpi = next(e for e in entries if e["kind"] == "cpi")
        assert cpi["origin"] == "cache" and any("last good update" in w for w in cpi["warnings"])


# --------------------------------------------------------------------------- caches follow the data version
def test_an_update_by_another_process_is_seen_without_being_told(data_folder: Path) -> None:
    import subprocess
    import sys

    from fairpay.wages import Benchmarks

    assert data.load("cpi").origin == "bundled"
    before = Benchmarks.bundled()
    assert Benchmarks.bundled() is before  # cached while the data stay the same
    script = (
        "from fairpay.tables import sources, store as cache\n"
        "prov = cache.Provenance('test source', 'http://127.0.0.1/x', '2026-11-20', '2026-11-28T00:00:00+00:00')\n"
        "rows = [{'country_iso3': 'KEN', 'year': 2025, 'cpi_2010_100': '321.5',\n"
        "         'source': 'World Bank WDI FP.CPI.TOTL (test)', 'source_vintage': '2026-11-20'}]\n"
        "with cache.lock():\n"
        "    sources.store('cpi', rows, prov, 'cpi', 'cache')\n"
    )
    env = {**os.environ, cache.ENV_VAR: str(data_folder)}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=120)
    # no _forget_loaded() here: this process was never told
    table = data.load("cpi")
    assert table.origin == "cache" and [str(r["cpi_2010_100"]) for r in table.rows] == ["321.5"]
    after = Benchmarks.bundled()
    assert after is not before and Benchmarks.bundled() is after


def test_data_version_changes_with_each_stored_version(data_folder: Path) -> None:
    first = cache.data_version()
    assert cache.data_version() == first  # reading changes nothing
    store_cpi("123.5")
    second = cache.data_version()
    store_cpi("124.5")
    assert len({first, second, cache.data_version()}) == 3


def test_a_write_forgets_every_cache_built_on_the_data_even_within_one_clock_tick(
    data_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the data version is frozen, as when two writes fall within the file system's clock tick:
    # a cache of a layer above (here one made in the test) still sees the new rows, because a
    # write forgets every by_data_version cache, without the tables layer importing that layer
    monkeypatch.setattr(cache, "data_version", lambda: ("frozen",))
    made: list[str] = []

    @cache.by_data_version
    def kenya_cpi() -> str:
        made.append(str(data.load("cpi").rows[0]["cpi_2010_100"]))
        return made[-1]

    store_cpi("111.5")
    assert kenya_cpi() == kenya_cpi() == "111.5" and made == ["111.5"]  # cached
    store_cpi("222.5")
    assert kenya_cpi() == "222.5" and made == ["111.5", "222.5"]
    # the library's own caches above the tables layer are among those forgotten
    from fairpay import estimate, wages
    from fairpay.tables import rates

    for built in (wages._bundled, estimate.bundled_model, rates.bundled_rates, data.load):
        assert built in cache._CACHES
