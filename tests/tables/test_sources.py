"""Updaters against a real HTTP server on 127.0.0.1 serving each source's true format.

Every fault (timeout, 500, 429, truncated body, malformed JSON/CSV/XML, schema change, empty
result, invalid values, oversize body) must leave the data folder byte-for-byte as before.
Nothing here reaches the internet: every base URL points at the server the fixture starts.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from fairpay.cli import main
from fairpay.errors import SourceError
from fairpay.tables import load as data, sources, store as cache
from fairpay.tables.sources import http as fhttp

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sources"
WB_FX = "/v2/country/all/indicator/PA.NUS.FCRF"
WB_CPI = "/v2/country/all/indicator/FP.CPI.TOTL"
WB_PPP = "/v2/country/all/indicator/PA.NUS.PRVT.PP"
ILO = "/data/indicator/"
ECB = "/stats/eurofxref/eurofxref-hist.xml"


# --------------------------------------------------------------------------- local server
@dataclass
class Reply:
    """One canned response; ``truncate`` announces more bytes than it sends, then hangs up."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False


Route = Callable[[dict[str, str]], Reply]


class Server:
    """A threaded HTTP server with per-path scripted replies (the last one repeats)."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply | Route]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query))
                owner.requests.append((parsed.path, query))
                script = owner.routes.get(parsed.path)
                if not script:
                    reply = Reply(404, b"not found")
                else:
                    item = script.pop(0) if len(script) > 1 else script[0]
                    reply = item(query) if callable(item) else item
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    length = len(reply.body) + (1000 if reply.truncate else 0)
                    self.send_header("Content-Length", str(length))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if reply.truncate:
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def set(self, path: str, *replies: Reply | Route) -> None:
        self.routes[path] = list(replies)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def wb_pages(query: dict[str, str]) -> Reply:
    """The World Bank FX indicator, page by page, as the API paginates."""
    return Reply(
        200,
        fixture_bytes(f"wb_fx_page{query.get('page', '1')}.json"),
        {"Content-Type": "application/json;charset=utf-8"},
    )


def serve_all_good(server: Server) -> None:
    server.set(WB_FX, wb_pages)
    server.set(WB_CPI, Reply(200, fixture_bytes("wb_cpi.json"), {"Content-Type": "application/json"}))
    server.set(WB_PPP, Reply(200, fixture_bytes("wb_ppp.json"), {"Content-Type": "application/json"}))
    server.set(ILO, Reply(200, fixture_bytes("ilostat_minimum_wage.csv"), {"Content-Type": "text/csv"}))
    server.set(ECB, Reply(200, fixture_bytes("ecb_eurofxref.xml"), {"Content-Type": "text/xml"}))


@pytest.fixture()
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


class Sleeps:
    """Records requested waits (and waits at most 10 ms) so backoff is observable but fast."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(min(seconds, 0.01))


def policy(sleeps: Sleeps | None = None, **kw: float) -> fhttp.Policy:
    base = dict(connect_timeout=1.0, read_timeout=0.5, retries=2, backoff=0.05, max_backoff=0.2)
    base.update(kw)
    return fhttp.Policy(**base, sleep=sleeps or Sleeps())  # type: ignore[arg-type]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under the data folder (except the lock) with its bytes."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != cache.LOCK_NAME
    }


# The fixtures hold a handful of countries: against the full bundled table a real update would be
# refused for losing the rest (see test_poison.py), so these mapping tests allow that explicitly.
GROW = {"allow_removals": True, "accept_changes": True}


def update_ok(server: Server, source: str) -> list[sources.Outcome]:
    outcomes = sources.update([source], base_urls={source: server.url}, policy=policy(), **GROW)
    assert outcomes and all(o.ok for o in outcomes), [o.message for o in outcomes]
    return outcomes


# --------------------------------------------------------------------------- happy paths
def test_worldbank_update_maps_to_bundled_columns(server: Server, data_folder: Path) -> None:
    serve_all_good(server)
    outcomes = update_ok(server, "worldbank")
    assert {o.kind for o in outcomes} == {"exchange_rates", "cpi", "ppp"}
    # both pages were fetched, with the documented query
    fx_requests = [q for p, q in server.requests if p == WB_FX]
    assert [q["page"] for q in fx_requests] == ["1", "2"]
    assert fx_requests[0]["format"] == "json" and fx_requests[0]["date"].startswith("2015:")

    table = data.load("exchange_rates")
    assert table.origin == "cache" and Path(table.location) == cache.candidates("exchange_rates")[0]
    rows = {(r["country_iso3"], r["year"]): r for r in table.rows}
    # the aggregate (AFE) and the null KEN 2015 value are not rows
    assert set(rows) == {("KEN", 2025), ("KEN", 2026), ("HRV", 2025), ("BGR", 2026)}
    assert rows[("KEN", 2026)]["lcu_per_usd"] == Decimal("128.25")
    assert rows[("KEN", 2026)]["currency"] == "KES"
    assert rows[("KEN", 2025)]["lcu_per_usd"] == Decimal("129.302572099377")  # exact JSON text
    # same country-year as the bundled table: its curated unit and note are reused
    assert rows[("HRV", 2025)]["currency"] == "EUR"
    assert rows[("HRV", 2025)]["lcu_note"].startswith("LCU changed HRK->EUR in 2023")
    # Bulgaria 2026: the bundled series is BGN but the euro is legal tender -> no guessed unit
    assert rows[("BGR", 2026)]["currency"] is None
    assert "BGN" in rows[("BGR", 2026)]["lcu_note"] and "EUR" in rows[("BGR", 2026)]["lcu_note"]
    assert {r["source_vintage"] for r in table.rows} == {"2026-11-20"}
    assert list(table.rows[0])[: len(data.COLUMNS["exchange_rates"])] == list(data.COLUMNS["exchange_rates"])

    meta = cache.read_meta(Path(table.location))
    assert meta is not None
    assert meta["vintage"] == "2026-11-20" and meta["rows"] == 4 and meta["url"].startswith(server.url)
    assert meta["retrieved_at"] and meta["source"] == "World Bank WDI PA.NUS.FCRF"

    cpi = {(r["country_iso3"], r["year"]): r["cpi_2010_100"] for r in data.load("cpi").rows}
    assert cpi == {("KEN", 2024): Decimal("257.35339300785"), ("KEN", 2025): Decimal("268.0")}
    ppp = {(r["country_iso3"], r["year"]): r for r in data.load("ppp").rows}
    assert ppp[("HRV", 2024)]["currency"] == "EUR"
    assert ppp[("HRV", 2024)]["lcu_note"].startswith("PPP series is expressed in EUR")


def test_ilostat_update_keeps_lcu_rows_and_infers_units(server: Server) -> None:
    serve_all_good(server)
    update_ok(server, "ilostat")
    table = data.load("minimum_wages_ilostat")
    assert table.origin == "cache"
    rows = {(r["country_iso3"], r["year"]): r for r in table.rows}
    # USD/PPP rows and the pre-2015 year are not local-currency rows of the table
    assert set(rows) == {("BGR", 2025), ("HKG", 2025), ("KEN", 2024), ("KEN", 2025)}
    # unchanged notes: the curated row's unit and flags carry over
    assert rows[("BGR", 2025)]["currency_inferred"] == "EUR"
    assert rows[("BGR", 2025)]["flags"].startswith("ILOSTAT series is expressed in EUR")
    # new year: unit from the T30 note as the bundled table maps it; period from T7:124
    assert rows[("KEN", 2025)]["currency_inferred"] == "KES"
    assert rows[("KEN", 2025)]["monthly_minimum_wage_lcu"] == Decimal("17200.5")
    assert rows[("HKG", 2025)]["period"] == "hour" and rows[("HKG", 2025)]["currency_inferred"] == "HKD"
    assert "HOURLY" in rows[("HKG", 2025)]["flags"]
    assert rows[("KEN", 2024)]["ilostat_source_code"] == "FX:3253"


def test_ecb_fills_years_after_the_world_bank_series(server: Server) -> None:
    serve_all_good(server)
    update_ok(server, "ecb")
    rows = {(r["country_iso3"], r["year"]): r for r in data.load("exchange_rates").rows}
    # hand-computed: JPY per USD = 157.5/1.05 = 150 and 165/1.10 = 150
    assert rows[("JPN", 2026)]["lcu_per_usd"] == Decimal("150")
    assert rows[("GBR", 2026)]["lcu_per_usd"] == Decimal("0.8")  # 0.84/1.05, 0.88/1.10
    # EUR per USD = (1/1.05 + 1/1.10) / 2 = 0.93073593073...
    assert abs(rows[("DEU", 2026)]["lcu_per_usd"] - Decimal("0.9307359307")) < Decimal("1e-10")
    assert rows[("HRV", 2026)]["currency"] == "EUR"
    assert "2 daily cross rates" in rows[("DEU", 2026)]["lcu_note"]
    # the World Bank rows stay; 2025 already has a World Bank figure, so no ECB row replaces it
    assert rows[("JPN", 2025)]["lcu_per_usd"] == Decimal("149.657926890952")
    assert rows[("JPN", 2025)]["source"].startswith("World Bank")
    assert ("KEN", 2026) not in rows  # the ECB does not quote KES
    assert ("BGR", 2026) not in rows  # no BGN quote in the feed


def test_update_then_reset_returns_to_bundled(server: Server, data_folder: Path) -> None:
    serve_all_good(server)
    update_ok(server, "worldbank")
    assert data.load("cpi").origin == "cache"
    sources.reset()
    assert data.load("cpi").origin == "bundled"
    assert not cache.table_dir("cpi").exists()


# --------------------------------------------------------------------------- network behaviour
def test_429_retry_after_is_honoured(server: Server) -> None:
    serve_all_good(server)
    server.set(
        WB_CPI, Reply(429, b"slow down", {"Retry-After": "7"}), Reply(200, fixture_bytes("wb_cpi.json"))
    )
    sleeps = Sleeps()
    outcomes = sources.update(
        ["worldbank"], base_urls={"worldbank": server.url}, policy=policy(sleeps), kinds=["cpi"], **GROW
    )
    assert outcomes[0].ok, outcomes[0].message
    assert sleeps.calls == [7.0]  # the server's wait, not the 0.05 s backoff


def test_429_retry_after_really_waits() -> None:
    srv = Server()
    try:
        srv.set("/x", Reply(429, b"", {"Retry-After": "1"}), Reply(200, b"ok"))
        start = time.monotonic()
        response = fhttp.fetch("test", f"{srv.url}/x", policy=fhttp.Policy(retries=1))
        assert response.content == b"ok"
        assert time.monotonic() - start >= 1.0
    finally:
        srv.close()


def test_5xx_backs_off_exponentially_then_succeeds(server: Server) -> None:
    server.set("/x", Reply(503), Reply(502), Reply(200, b"fine"))
    sleeps = Sleeps()
    response = fhttp.fetch("test", f"{server.url}/x", policy=policy(sleeps, backoff=0.01, max_backoff=1.0))
    assert response.content == b"fine"
    assert sleeps.calls == [0.01, 0.02]


def test_404_fails_at_once_naming_source_and_url(server: Server) -> None:
    sleeps = Sleeps()
    with pytest.raises(SourceError) as err:
        fhttp.fetch("worldbank", f"{server.url}/missing", policy=policy(sleeps))
    assert "worldbank" in str(err.value) and f"{server.url}/missing" in str(err.value)
    assert "404" in str(err.value) and sleeps.calls == []


def test_connection_refused_is_an_offline_error() -> None:
    srv = Server()
    url = srv.url
    srv.close()
    with pytest.raises(SourceError, match="cannot connect"):
        fhttp.fetch("ecb", f"{url}/x", policy=policy(retries=1))


# --------------------------------------------------------------------------- fault injection
WB_MALFORMED = b'[{"page":1,"pages":1,"per_page":50,"total":2,"lastupdated":"2026-11-20"},[{"indicator":'
WB_SCHEMA_CHANGED = json.dumps(
    [
        {"page": 1, "pages": 1, "per_page": 50, "total": 1, "lastupdated": "2026-11-20"},
        [
            {
                "indicator": {"id": "FP.CPI.TOTL"},
                "country": {"id": "KE"},
                "iso3": "KEN",
                "date": "2025",
                "value": 268.0,
            }
        ],
    ]
).encode()
WB_NEGATIVE = json.dumps(
    [
        {"page": 1, "pages": 1, "per_page": 50, "total": 1, "lastupdated": "2026-11-20"},
        [
            {
                "indicator": {"id": "FP.CPI.TOTL"},
                "country": {"id": "KE"},
                "countryiso3code": "KEN",
                "date": "2025",
                "value": -5,
            }
        ],
    ]
).encode()
WB_SHORT = json.dumps(
    [
        {"page": 1, "pages": 1, "per_page": 50, "total": 3, "lastupdated": "2026-11-20"},
        [
            {
                "indicator": {"id": "FP.CPI.TOTL"},
                "country": {"id": "KE"},
                "countryiso3code": "KEN",
                "date": "2025",
                "value": 268.0,
            }
        ],
    ]
).encode()
ILO_RAGGED = fixture_bytes("ilostat_minimum_wage.csv").replace(b'"HKG","FX:7384",', b'"HKG",')
ILO_RENAMED = fixture_bytes("ilostat_minimum_wage.csv").replace(b'"obs_value"', b'"value"', 1)
ECB_ENTITY = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'

FAULTS: dict[str, tuple[str, str, list[Reply], str]] = {
    # name: (source, path, replies, expected fragment of the one-line error)
    "timeout": ("worldbank", WB_CPI, [Reply(200, b"[]", delay=1.5)], "timed out"),
    "http-500": ("worldbank", WB_CPI, [Reply(500, b"oops")], "HTTP 500"),
    "http-429-forever": ("worldbank", WB_CPI, [Reply(429, b"", {"Retry-After": "0"})], "HTTP 429"),
    "429-retry-after-too-long": (
        "worldbank",
        WB_CPI,
        [Reply(429, b"", {"Retry-After": "86400"})],
        "retry after 86400",
    ),
    "truncated-body": (
        "worldbank",
        WB_CPI,
        [Reply(200, fixture_bytes("wb_cpi.json")[:-40], truncate=True)],
        "incomplete",
    ),
    "malformed-json": ("worldbank", WB_CPI, [Reply(200, WB_MALFORMED)], "malformed JSON"),
    "api-error-message": ("worldbank", WB_CPI, [Reply(200, fixture_bytes("wb_error.json"))], "Invalid value"),
    "schema-change-json": ("worldbank", WB_CPI, [Reply(200, WB_SCHEMA_CHANGED)], "schema changed"),
    "empty-result": ("worldbank", WB_CPI, [Reply(200, fixture_bytes("wb_empty.json"))], "no rows"),
    "fewer-rows-than-announced": ("worldbank", WB_CPI, [Reply(200, WB_SHORT)], "announced 3"),
    "invalid-value": ("worldbank", WB_CPI, [Reply(200, WB_NEGATIVE)], "outside the plausible"),
    "malformed-csv": ("ilostat", ILO, [Reply(200, ILO_RAGGED)], "fields"),
    "schema-change-csv": ("ilostat", ILO, [Reply(200, ILO_RENAMED)], "schema changed"),
    "empty-csv": ("ilostat", ILO, [Reply(200, b"")], "empty response"),
    "malformed-xml": ("ecb", ECB, [Reply(200, fixture_bytes("ecb_eurofxref.xml")[:300])], "malformed XML"),
    "xml-entities": ("ecb", ECB, [Reply(200, ECB_ENTITY)], "DOCTYPE"),
    "oversize-body": ("ecb", ECB, [Reply(200, b"x" * 5000)], "exceeds"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_leaves_previous_data_intact(server: Server, data_folder: Path, fault: str) -> None:
    source, path, replies, fragment = FAULTS[fault]
    serve_all_good(server)
    update_ok(server, source)  # a previous good update: the data to preserve
    loaded_before = {k: data.load(k).rows for k in sources.SOURCES[source][2]}
    before = snapshot(data_folder)
    assert before

    server.set(path, *replies)
    sleeps = Sleeps()
    kinds = {"worldbank": ["cpi"], "ilostat": None, "ecb": None}[source]
    outcomes = sources.update(
        [source],
        base_urls={source: server.url},
        policy=policy(
            sleeps,
            read_timeout=0.3,
            max_bytes=4096 if fault == "oversize-body" else 1 << 20,
            max_retry_after=60,
        ),
        kinds=kinds,
        **GROW,
    )
    failed = [o for o in outcomes if not o.ok]
    assert len(failed) == 1, [o.message for o in outcomes]
    message = failed[0].message
    assert fragment in message and "\n" not in message
    assert source in message and server.url in message and "kept the previous data" in message
    assert snapshot(data_folder) == before  # byte-for-byte, sidecars included
    assert not [p for p in data_folder.rglob(".*") if p.name != cache.LOCK_NAME]
    sources._forget_loaded()
    for kind, rows in loaded_before.items():
        assert data.load(kind).rows == rows


def test_fault_with_no_previous_update_keeps_bundled(server: Server, data_folder: Path) -> None:
    server.set(WB_CPI, Reply(500))
    outcomes = sources.update(
        ["worldbank"], base_urls={"worldbank": server.url}, policy=policy(retries=0), kinds=["cpi"]
    )
    assert not outcomes[0].ok
    assert not cache.table_dir("cpi").exists()
    assert data.load("cpi").origin == "bundled"


def test_world_bank_data_changing_while_paging_is_refused(server: Server) -> None:
    page2 = fixture_bytes("wb_fx_page2.json").replace(b"2026-11-20", b"2026-11-21")
    server.set(WB_FX, lambda q: Reply(200, fixture_bytes("wb_fx_page1.json") if q["page"] == "1" else page2))
    with pytest.raises(SourceError, match="changed while paging"):
        from fairpay.tables.sources import worldbank

        worldbank.fetch("exchange_rates", base_url=server.url, policy=policy())


# --------------------------------------------------------------------------- CLI
def test_cli_update_and_status(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    serve_all_good(server)
    code = main(
        ["data", "update", "--source", "worldbank", "--base-url", server.url, "--retries", "0"]
        + ["--allow-removals", "--accept-changes"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count("updated ") == 3 and "vintage 2026-11-20" in out
    assert main(["data", "status", "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    by_kind = {(e["kind"], e["origin"]): e for e in status["tables"]}
    assert by_kind[("exchange_rates", "cache")]["vintage"] == "2026-11-20"
    assert by_kind[("exchange_rates", "cache")]["rows"] == 4
    assert by_kind[("living_wages", "bundled")]["rows"] > 0


def test_cli_update_failure_prints_one_line_per_table_and_exits_2(
    server: Server, data_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_all_good(server)
    assert main(["data", "update", "--source", "ilostat", "--base-url", server.url, "--allow-removals"]) == 0
    before = snapshot(data_folder)
    server.set(ILO, Reply(500, b"down"))
    capsys.readouterr()
    code = main(
        [
            "data",
            "update",
            "--source",
            "ilostat",
            "--base-url",
            server.url,
            "--retries",
            "0",
            "--allow-removals",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fairpay: error: minimum_wages_ilostat: ilostat:")
    assert "HTTP 500" in lines[0]
    assert snapshot(data_folder) == before


def test_cli_unknown_source_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "update", "--source", "imf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown source 'imf'" in err[0]


def test_base_url_from_environment(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_all_good(server)
    monkeypatch.setenv("FAIRPAY_ECB_URL", server.url + "/")
    assert sources.base_url("ecb") == server.url
    assert all(o.ok for o in sources.update(["ecb"], policy=policy(), **GROW))
