"""Poisoned and broken answers from a fault-injecting server on 127.0.0.1, through the CLI.

The server answers like the World Bank, ILOSTAT and the ECB with *full-size* tables built from
the bundled ones (so a faithful answer stores without any flag), then injects one fault at a time.
Each fault must leave the stored data byte-for-byte as it was, print one error line and exit 2,
unless the matching accept flag is given. Request loops on the server side are bounded.
"""

from __future__ import annotations

import gzip
import http.server
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fairpay.cli import main
from fairpay.errors import SourceError
from fairpay.tables import load as data, sources, store as cache
from fairpay.tables.sources import http as fhttp

WB = "/v2/country/all/indicator/"
WB_CODES = {"exchange_rates": "PA.NUS.FCRF", "cpi": "FP.CPI.TOTL", "ppp": "PA.NUS.PRVT.PP"}
ILO = "/data/indicator/"
ECB = "/stats/eurofxref/eurofxref-hist.xml"
VINTAGE = "2026-11-20"  # newer than every bundled vintage (2025-10-07, 2026-07-13)

Handler = http.server.BaseHTTPRequestHandler
Route = Callable[[Handler, dict[str, str]], None]


# --------------------------------------------------------------------------- answers
def bundled(kind: str) -> list[dict[str, Any]]:
    return [dict(r) for r in data.read_rows(kind, data.bundled_dir() / f"{kind}.csv", origin="bundled").rows]


def alpha2(iso3: str) -> str:
    return sources.alpha2_of(iso3) or "XX"


def wb_body(kind: str, rows: list[dict[str, Any]], vintage: str = VINTAGE, total: int | None = None) -> bytes:
    """A one-page World Bank API v2 answer; values are written as raw JSON text (so 1e999 stays)."""
    column = {"exchange_rates": "lcu_per_usd", "cpi": "cpi_2010_100", "ppp": "lcu_per_intl_dollar"}[kind]
    items = [
        f'{{"indicator":{{"id":"{WB_CODES[kind]}"}},"country":{{"id":"{alpha2(r["country_iso3"])}"}},'
        f'"countryiso3code":"{r["country_iso3"]}","date":"{r["year"]}","value":{r[column]}}}'
        for r in rows
    ]
    meta = {"page": 1, "pages": 1, "per_page": 5000, "total": len(items) if total is None else total}
    meta["lastupdated"] = vintage
    return ("[" + json.dumps(meta) + ",[" + ",".join(items) + "]]").encode()


ILO_HEADER = (
    "ref_area,source,indicator,sex,classif1,time,obs_value,obs_status,note_classif,note_indicator,note_source"
)


def ilo_body(rows: list[dict[str, Any]]) -> bytes:
    """An ILOSTAT rplumber CSV with the bundled rows' own codes and notes."""
    lines = [ILO_HEADER] + [
        ",".join(
            [
                r["country_iso3"],
                r.get("ilostat_source_code") or "",
                "EAR_INEE_NOC_NB_A",
                "",
                "CUR_TYPE_LCU",
                str(r["year"]),
                str(r["monthly_minimum_wage_lcu"]),
                "",
                "",
                r.get("note_indicator") or "",
                r.get("note_source") or "",
            ]
        )
        for r in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def ecb_body(days: dict[str, dict[str, str]]) -> bytes:
    cubes = "".join(
        f'<Cube time="{day}">'
        + "".join(f'<Cube currency="{c}" rate="{r}"/>' for c, r in rates.items())
        + "</Cube>"
        for day, rates in sorted(days.items(), reverse=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><gesmes:subject>Reference rates</gesmes:subject>'
        f"<Cube>{cubes}</Cube></gesmes:Envelope>"
    ).encode()


ECB_DAYS = {
    "2026-11-25": {"USD": "1.04", "JPY": "156.0", "GBP": "0.832"},
    "2026-11-26": {"USD": "1.05", "JPY": "157.5", "GBP": "0.84"},
    "2026-11-27": {"USD": "1.06", "JPY": "159.0", "GBP": "0.848"},
}


def good_routes() -> dict[str, Route]:
    routes: dict[str, Route] = {
        WB + code: send(wb_body(kind, bundled(kind))) for kind, code in WB_CODES.items()
    }
    routes[ILO] = send(ilo_body(bundled("minimum_wages_ilostat")), "text/csv")
    routes[ECB] = send(ecb_body(ECB_DAYS), "text/xml")
    return routes


# --------------------------------------------------------------------------- server
def send(body: bytes, content_type: str = "application/json;charset=utf-8", **headers: str) -> Route:
    def route(handler: Handler, query: dict[str, str]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        for key, value in headers.items():
            handler.send_header(key.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def redirect(location: str) -> Route:
    def route(handler: Handler, query: dict[str, str]) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def drip(total_bytes: int = 120, every: float = 0.5) -> Route:
    """Headers at once, then one byte every ``every`` seconds (bounded: ``total_bytes`` bytes)."""

    def route(handler: Handler, query: dict[str, str]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(total_bytes))
        handler.end_headers()
        for _ in range(total_bytes):
            try:
                handler.wfile.write(b" ")
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(every)

    return route


def drip_headers(every: float = 0.5, lines: int = 120) -> Route:
    """The status line, then one header byte every ``every`` seconds (bounded)."""

    def route(handler: Handler, query: dict[str, str]) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(lines):
            try:
                handler.wfile.write(b"X")
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(every)

    return route


def truncated(body: bytes) -> Route:
    def route(handler: Handler, query: dict[str, str]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body) + 5000))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        handler.close_connection = True

    return route


class Server:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        owner = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                parsed = urllib.parse.urlsplit(self.path)
                owner.hits.append(parsed.path)
                if len(owner.hits) > 500:  # a bounded server: no client may loop it forever
                    self.send_error(503)
                    return
                route = owner.routes.get(parsed.path)
                if route is None:
                    self.send_error(404)
                    return
                try:
                    route(self, dict(urllib.parse.parse_qsl(parsed.query)))
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        class Quiet(http.server.ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client hanging up on a refused answer is expected here

        self.httpd = Quiet(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server() -> Iterator[Server]:
    srv = Server()
    srv.routes = good_routes()
    yield srv
    srv.close()


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != cache.LOCK_NAME
    }


def update(server: Server, source: str, table: str, *flags: str, timeout: str = "5") -> int:
    args = ["data", "update", "--source", source, "--table", table, "--base-url", server.url]
    return main(args + ["--retries", "0", "--timeout", timeout, *flags])


# --------------------------------------------------------------------------- faithful answers
def test_faithful_full_answers_store_without_any_flag(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    for source, table in [
        ("worldbank", "exchange_rates"),
        ("worldbank", "cpi"),
        ("worldbank", "ppp"),
        ("ilostat", "minimum_wages_ilostat"),
        ("ecb", "exchange_rates"),
    ]:
        assert update(server, source, table) == 0, capsys.readouterr().err
        assert data.load(table).origin == "cache"
    rows = {(r["country_iso3"], r["year"]): r for r in data.load("exchange_rates").rows}
    # ECB 2026, hand-computed: JPY per USD = 156/1.04 = 157.5/1.05 = 159/1.06 = 150
    assert rows[("JPN", 2026)]["lcu_per_usd"] == Decimal("150")
    # the next World Bank update (still without 2026) keeps the ECB years instead of losing them
    assert update(server, "worldbank", "exchange_rates") == 0, capsys.readouterr().err
    again = {(r["country_iso3"], r["year"]): r for r in data.load("exchange_rates").rows}
    assert again.keys() == rows.keys() and again[("JPN", 2026)]["source"].startswith("ECB ")
    assert len(data.load("exchange_rates").rows) == len(bundled("exchange_rates")) + len(
        [r for r in rows if r[1] == 2026]
    )


# --------------------------------------------------------------------------- poison
def kenya(kind: str, value: str, year: int = 2025) -> list[dict[str, Any]]:
    column = {"exchange_rates": "lcu_per_usd", "cpi": "cpi_2010_100", "ppp": "lcu_per_intl_dollar"}[kind]
    return [
        dict(r, **{column: value}) if (r["country_iso3"], r["year"]) == ("KEN", year) else r
        for r in bundled(kind)
    ]


def ilo_kenya(value: str) -> list[dict[str, Any]]:
    return [
        dict(r, monthly_minimum_wage_lcu=value) if (r["country_iso3"], r["year"]) == ("KEN", 2024) else r
        for r in bundled("minimum_wages_ilostat")
    ]


def fx_route(rows: list[dict[str, Any]], **kw: Any) -> dict[str, Route]:
    return {WB + WB_CODES["exchange_rates"]: send(wb_body("exchange_rates", rows, **kw))}


def ecb_with(day: str, currency: str, rate: str) -> bytes:
    days = {d: dict(r) for d, r in ECB_DAYS.items()}
    days[day][currency] = rate
    return ecb_body(days)


def three_countries() -> list[dict[str, Any]]:
    return [r for r in bundled("exchange_rates") if r["country_iso3"] in {"KEN", "IND", "PHL"}]


def duplicated() -> list[dict[str, Any]]:
    rows = bundled("exchange_rates")
    return rows + [r for r in rows if (r["country_iso3"], r["year"]) == ("KEN", 2025)]


ILO_ROWS = bundled("minimum_wages_ilostat")
FIRST_70 = sorted({r["country_iso3"] for r in ILO_ROWS})[:70]
GOOD_FX = wb_body("exchange_rates", bundled("exchange_rates"))

# name: (source, table, routes to override, fragment of the one-line error)
POISON: dict[str, tuple[str, str, Callable[[Server], dict[str, Route]], str]] = {
    "wb-1e999": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(kenya("exchange_rates", "1e999")),
        "implausible",
    ),
    "wb-1e12": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(kenya("exchange_rates", "1e12")),
        "implausible",
    ),
    "wb-1e-9": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(kenya("exchange_rates", "1e-9")),
        "implausible",
    ),
    "wb-1000-digits": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(kenya("exchange_rates", "1" * 30 + "." + "3" * 1000)),
        "digits",
    ),
    "wb-negative": (
        "worldbank",
        "cpi",
        lambda s: {WB + "FP.CPI.TOTL": send(wb_body("cpi", kenya("cpi", "-268", year=2024)))},
        "implausible",
    ),
    "wb-nan-string": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(kenya("exchange_rates", '"NaN"')),
        "is not a number",
    ),
    "wb-nan-literal": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(kenya("exchange_rates", "NaN")),
        "malformed JSON",
    ),
    "wb-revision-50pct": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(kenya("exchange_rates", "194")),  # bundled KEN 2025: 129.3
        "--accept-changes",
    ),
    "wb-three-countries": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(three_countries()),
        "countries would be lost",
    ),
    "wb-older-vintage": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(bundled("exchange_rates"), vintage="2025-01-31"),
        "older than the current",
    ),
    "wb-duplicate-rows": ("worldbank", "exchange_rates", lambda s: fx_route(duplicated()), "duplicate"),
    "wb-fewer-rows-than-announced": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(bundled("exchange_rates"), total=3000),
        "announced 3000",
    ),
    "html-error-page-200": (
        "worldbank",
        "exchange_rates",
        lambda s: {
            WB + "PA.NUS.FCRF": send(b"<!DOCTYPE html><html><body>Service down</body></html>", "text/html")
        },
        "HTML page",
    ),
    "html-page-as-json": (
        "worldbank",
        "exchange_rates",
        lambda s: {WB + "PA.NUS.FCRF": send(b"\n<html><body>maintenance</body></html>")},
        "HTML page",
    ),
    "wrong-content-type": (
        "worldbank",
        "exchange_rates",
        lambda s: {WB + "PA.NUS.FCRF": send(GOOD_FX, "application/pdf")},
        "unexpected Content-Type",
    ),
    "empty-body": (
        "worldbank",
        "exchange_rates",
        lambda s: {WB + "PA.NUS.FCRF": send(b"")},
        "malformed JSON",
    ),
    "truncated-body": (
        "worldbank",
        "exchange_rates",
        lambda s: {WB + "PA.NUS.FCRF": truncated(GOOD_FX)},
        "incomplete",
    ),
    "bad-gzip": (
        "worldbank",
        "exchange_rates",
        lambda s: {WB + "PA.NUS.FCRF": send(b"\x1f\x8b\x08\x00garbage-not-gzip", Content_Encoding="gzip")},
        "cannot be decoded",
    ),
    "gzip-of-poison": (
        "worldbank",
        "exchange_rates",
        lambda s: {
            WB + "PA.NUS.FCRF": send(
                gzip.compress(wb_body("exchange_rates", kenya("exchange_rates", "1e12"))),
                Content_Encoding="gzip",
            )
        },
        "implausible",
    ),
    "cross-host-redirect": (
        "worldbank",
        "exchange_rates",
        lambda s: {WB + "PA.NUS.FCRF": redirect(f"http://localhost:{s.port}/evil")},
        "another host",
    ),
    "redirect-loop": (
        "worldbank",
        "exchange_rates",
        lambda s: {WB + "PA.NUS.FCRF": redirect("/a"), "/a": redirect("/b"), "/b": redirect("/a")},
        "redirect loop",
    ),
    "ilostat-cut-at-row-boundary": (
        "ilostat",
        "minimum_wages_ilostat",
        lambda s: {ILO: send(ilo_body([r for r in ILO_ROWS if r["country_iso3"] in FIRST_70]), "text/csv")},
        "103 of 173 countries would be lost",
    ),
    "ilostat-1e12-kes-month": (
        "ilostat",
        "minimum_wages_ilostat",
        lambda s: {ILO: send(ilo_body(ilo_kenya("1e12")), "text/csv")},
        "implausible",
    ),
    "ilostat-kes-per-month-in-cents": (
        "ilostat",
        "minimum_wages_ilostat",
        # 15,201.65 KES -> 1,520,165 (a unit slip): 11,700 US$ a month would pass the range, not the revision
        lambda s: {ILO: send(ilo_body(ilo_kenya("1520165")), "text/csv")},
        "--accept-changes",
    ),
    "ilostat-nan": (
        "ilostat",
        "minimum_wages_ilostat",
        lambda s: {ILO: send(ilo_body(ilo_kenya("NaN")), "text/csv")},
        "not a number",
    ),
    "ilostat-duplicate-rows": (
        "ilostat",
        "minimum_wages_ilostat",
        lambda s: {ILO: send(ilo_body(ILO_ROWS + ILO_ROWS[:1]), "text/csv")},
        "duplicate",
    ),
    "ecb-absurd-day": (
        "ecb",
        "exchange_rates",
        lambda s: {ECB: send(ecb_with("2026-11-26", "JPY", "3900000000"), "text/xml")},
        "implausible",
    ),
    "ecb-fivefold-day": (
        "ecb",
        "exchange_rates",
        lambda s: {ECB: send(ecb_with("2026-11-26", "GBP", "4.2"), "text/xml")},
        "in one fixing",
    ),
    "ecb-nan-rate": (
        "ecb",
        "exchange_rates",
        lambda s: {ECB: send(ecb_with("2026-11-26", "JPY", "NaN"), "text/xml")},
        "bad rate entry",
    ),
    "ecb-older-vintage": (
        "ecb",
        "exchange_rates",
        lambda s: {
            ECB: send(ecb_body({"2026-10-01": {"USD": "1.05", "JPY": "157.5", "GBP": "0.84"}}), "text/xml")
        },
        "older than the current 2026-11-27",
    ),
    "wb-future-vintage": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(bundled("exchange_rates"), vintage="2099-01-01"),
        "in the future",
    ),
    "wb-deeply-nested": (
        "worldbank",
        "exchange_rates",
        lambda s: {WB + "PA.NUS.FCRF": send(b"[" * 100000 + b"]" * 100000)},
        "malformed JSON",
    ),
    "wb-value-dropped": (
        "worldbank",
        "exchange_rates",
        lambda s: fx_route(kenya("exchange_rates", "null")),
        "country-year(s) would be lost (KEN 2025)",
    ),
    "ecb-wrong-content-type": (
        "ecb",
        "exchange_rates",
        lambda s: {ECB: send(ecb_body(ECB_DAYS), "application/json")},
        "Content-Type",
    ),
}


@pytest.mark.parametrize("name", sorted(POISON))
def test_poison_leaves_data_untouched_one_line_exit_2(
    name: str, server: Server, data_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, table, routes, fragment = POISON[name]
    assert update(server, source, table) == 0  # a good update first: the data to preserve
    loaded = data.load(table).rows
    before = snapshot(data_folder)
    capsys.readouterr()
    server.routes.update(routes(server))
    start = time.monotonic()
    code = update(server, source, table)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"fairpay: error: {table}: {source}: "), err
    assert fragment in lines[0] and "kept the previous data" in lines[0]
    assert len(lines[0]) < 2000
    assert snapshot(data_folder) == before
    sources._forget_loaded()
    assert data.load(table).rows == loaded
    assert "/evil" not in server.hits
    assert time.monotonic() - start < 5


def test_there_are_more_than_twenty_kinds_of_poison() -> None:
    assert len(POISON) > 20


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        ("wb-revision-50pct", "--accept-changes"),
        ("wb-three-countries", "--allow-removals"),
        ("wb-older-vintage", "--allow-older"),
    ],
)
def test_the_matching_flag_stores_what_was_refused(
    name: str, flag: str, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    source, table, routes, _ = POISON[name]
    assert update(server, source, table) == 0
    server.routes.update(routes(server))
    assert update(server, source, table) == 2
    assert update(server, source, table, flag) == 0, capsys.readouterr().err
    meta = cache.read_meta(Path(data.load(table).location))
    assert meta is not None and meta["accepted"] == {flag[2:].replace("-", "_"): True}


def test_implausible_values_are_refused_even_with_every_flag(server: Server) -> None:
    assert update(server, "worldbank", "exchange_rates") == 0
    server.routes.update(POISON["wb-1e12"][2](server))
    assert (
        update(server, "worldbank", "exchange_rates", "--accept-changes", "--allow-removals", "--allow-older")
        == 2
    )
    assert max(r["lcu_per_usd"] for r in data.load("exchange_rates").rows) < Decimal("1e6")


def test_a_year_on_year_jump_in_a_new_year_needs_accepting(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = bundled("cpi")
    ken = max((r for r in rows if r["country_iso3"] == "KEN"), key=lambda r: r["year"])
    jump = dict(ken, year=ken["year"] + 1, cpi_2010_100=str(ken["cpi_2010_100"] * 5))
    server.routes[WB + "FP.CPI.TOTL"] = send(wb_body("cpi", rows + [jump]))
    assert update(server, "worldbank", "cpi") == 2
    err = capsys.readouterr().err
    assert f"KEN {ken['year'] + 1}" in err and "x5" in err and "band x0.8..x2" in err


# --------------------------------------------------------------------------- the deadline
def test_a_dripping_body_cannot_outlast_the_deadline(server: Server, data_folder: Path) -> None:
    server.routes[WB + "PA.NUS.FCRF"] = drip()
    start = time.monotonic()
    assert update(server, "worldbank", "exchange_rates", timeout="3") == 2
    assert time.monotonic() - start < 4.5
    assert not data_folder.exists() or snapshot(data_folder) == {}


def test_dripping_headers_cannot_outlast_the_deadline(server: Server) -> None:
    server.routes["/x"] = drip_headers()
    start = time.monotonic()
    with pytest.raises(SourceError, match="deadline"):
        fhttp.fetch("test", f"{server.url}/x", policy=fhttp.Policy(deadline=1.5, read_timeout=1.0, retries=2))
    assert time.monotonic() - start < 2.5


def test_retries_and_backoff_stay_within_the_deadline() -> None:
    """A port that refuses connections: 3 retries with 30 s backoff would take 90 s; the deadline says 1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(SourceError, match="deadline"):
        fhttp.fetch(
            "test", f"http://127.0.0.1:{port}/x", policy=fhttp.Policy(deadline=1.0, retries=3, backoff=30)
        )
    assert time.monotonic() - start < 1.5


def test_the_default_deadline_is_bounded() -> None:
    assert fhttp.DEFAULT_POLICY.deadline <= 300
    assert fhttp.DEFAULT_POLICY.read_timeout <= fhttp.DEFAULT_POLICY.deadline


def test_a_same_host_redirect_is_followed(server: Server) -> None:
    server.routes["/old"] = redirect("/new")
    server.routes["/new"] = send(b"[]")
    response = fhttp.fetch("test", f"{server.url}/old", policy=fhttp.Policy(retries=0))
    assert response.content == b"[]" and response.url.endswith("/new")


def test_an_old_crisis_in_the_ecb_history_needs_no_accepting(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real feed goes back to 1999 (ISK doubled in a day in October 2008): only moves that feed a
    stored row are listed."""
    days = {
        **ECB_DAYS,
        "2008-10-08": {"USD": "1.37", "ISK": "150"},
        "2008-10-09": {"USD": "1.37", "ISK": "305"},
    }
    server.routes[ECB] = send(ecb_body(days), "text/xml")
    assert update(server, "ecb", "exchange_rates") == 0, capsys.readouterr().err


def test_every_needed_flag_is_named_at_once(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    assert update(server, "worldbank", "exchange_rates") == 0
    older_smaller_changed = [r for r in kenya("exchange_rates", "194") if r["country_iso3"] != "IND"]
    server.routes.update(fx_route(older_smaller_changed, vintage="2026-01-01"))
    capsys.readouterr()
    assert update(server, "worldbank", "exchange_rates") == 2
    err = capsys.readouterr().err
    assert "older than the current 2026-11-20" in err and "1 of 212 countries would be lost (IND)" in err
    assert "KEN 2025" in err and "rerun with --allow-older --allow-removals --accept-changes" in err
    assert update(server, "worldbank", "exchange_rates", "--allow-older", "--allow-removals") == 2
    assert (
        update(server, "worldbank", "exchange_rates", "--allow-older", "--allow-removals", "--accept-changes")
        == 0
    )


def test_a_stalled_source_costs_one_deadline_not_one_per_table(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    for code in WB_CODES.values():
        server.routes[WB + code] = drip()
    start = time.monotonic()
    args = ["data", "update", "--source", "worldbank", "--base-url", server.url, "--timeout", "2"]
    assert main(args) == 2
    assert time.monotonic() - start < 3.5
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and "deadline" in lines[0]
    assert all("not tried, the source did not answer for" in line for line in lines[1:])
