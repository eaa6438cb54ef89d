"""One HTTP GET helper for every source: a deadline, bounded retries, a size cap, one-line errors.

Why a small explicit loop rather than httpx's transport retries: ``HTTPTransport(retries=n)``
retries only failed *connections*; the open-data APIs also answer 429 (with ``Retry-After``) and
503 under load, and a body can be cut short mid-transfer. The loop below retries exactly those:

* connection errors, timeouts and truncated bodies (httpx raises ``TransportError``);
* HTTP 429, waiting ``Retry-After`` seconds (or until its HTTP date), capped at
  ``Policy.max_retry_after`` so a hostile header cannot park the updater for hours;
* HTTP 5xx, with exponential backoff ``backoff * 2**attempt`` (capped at ``max_backoff``).

Why a deadline and not only timeouts: httpx's timeouts bound each socket read, so a server that
sends one byte every half second never trips them. ``Policy.deadline`` bounds the whole request,
retries and waits included: each attempt runs in a worker thread the caller stops waiting for
when the deadline passes (the worker also stops reading at its next chunk).

Why redirects are followed by hand: a redirect to another host would otherwise be stored under
the original host's provenance. Redirects within the same scheme, host and port are followed (at
most ``MAX_REDIRECTS``, never the same URL twice); any other is refused.

Anything else (404, 400, a body over ``max_bytes``, a body that cannot be decoded, an HTML page
or a content type the source never serves) fails at once. Every failure becomes a
:class:`~fairpay.errors.SourceError` naming the source and the URL. Waiting goes through
``Policy.sleep`` so tests can record delays instead of sleeping.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from fairpay.errors import SourceError

__all__ = ["Policy", "Response", "DEFAULT_POLICY", "MAX_REDIRECTS", "Unreachable", "fetch"]

USER_AGENT = "fairpay (https://pypi.org/project/fairpay/) httpx"
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Policy:
    """How patiently to fetch. Defaults suit the public APIs; tests shrink the waits.

    ``deadline`` is the most one request may take in total (connect, every read, every retry and
    wait); ``read_timeout`` only bounds a single silent read within it.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3  # extra attempts after the first
    backoff: float = 1.0  # first wait (s) after a 5xx / connection error; doubles each time
    max_backoff: float = 30.0
    max_retry_after: float = 120.0  # longest Retry-After honoured (s)
    max_bytes: int = 64 * 1024 * 1024  # refuse bodies larger than this
    deadline: float = 120.0  # whole request, retries included (s)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Response:
    """A complete, size-checked response body and the URL it came from."""

    url: str
    status_code: int
    headers: Mapping[str, str]
    content: bytes

    def text(self) -> str:
        """The body as UTF-8 (the open-data APIs all serve UTF-8); strict, never guessed."""
        try:
            return self.content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(f"body is not UTF-8 text ({exc})") from exc


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    import datetime

    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


class Unreachable(SourceError):
    """The source gave no usable answer in time (deadline, timeouts, refused connections, 5xx):
    the updater skips its other tables instead of waiting for each in turn."""


class _Fail(Exception):
    """A final failure inside an attempt (no retry); the message completes "source: url: "."""


class _Retry(Exception):
    """A failure worth another attempt; ``wait`` overrides the backoff (Retry-After)."""

    def __init__(self, problem: str, wait: float | None = None) -> None:
        super().__init__(problem)
        self.wait = wait


class _PastDeadline(Exception):
    pass


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _media_type(headers: Mapping[str, str]) -> str:
    return str(headers.get("content-type", "")).split(";", 1)[0].strip().lower()


def _looks_like_html(content: bytes) -> bool:
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def _next_hop(target: httpx.URL, resp: httpx.Response, seen: set[str]) -> httpx.URL:
    """Where a redirect leads, recorded in ``seen``; _Fail if it may not be followed.

    Why: a redirect to another host would be stored under the asked host's provenance, and one
    without a Location or back to a URL already visited can never end in data.
    """
    location = resp.headers.get("location")
    if not location:
        raise _Fail(f"HTTP {resp.status_code} redirect without a Location header")
    nxt = target.join(location)
    if not _same_origin(target, nxt):
        raise _Fail(
            f"refused redirect to another host ({nxt.scheme}://{nxt.host}"
            f"{'' if nxt.port is None else f':{nxt.port}'}); data is only taken from "
            "the host asked"
        )
    if str(nxt) in seen:
        raise _Fail(f"redirect loop (back to {nxt})")
    seen.add(str(nxt))
    return nxt


def _check_status(resp: httpx.Response) -> None:
    """_Retry on 429 (with its Retry-After) and 5xx, _Fail on a 4xx or 1xx status.

    Why: only a busy or failing server may answer differently next time; a 4xx will not.
    """
    status = resp.status_code
    if status == 429:
        raise _Retry(f"HTTP 429 {resp.reason_phrase}".rstrip(), _retry_after(resp.headers.get("retry-after")))
    if status >= 500:
        raise _Retry(f"HTTP {status} {resp.reason_phrase}".rstrip())
    if status >= 400 or status < 200:
        raise _Fail(f"HTTP {status} {resp.reason_phrase}".rstrip())


def _check_media_type(headers: Mapping[str, str], accept: Sequence[str] | None) -> None:
    """_Fail on an HTML page or a declared Content-Type the source never serves.

    Why before reading the body: an error page or a portal's login form is not data, whatever
    its size; a missing Content-Type is left to the parser.
    """
    media = _media_type(headers)
    if media in {"text/html", "application/xhtml+xml"}:
        raise _Fail(f"the server sent an HTML page (Content-Type {media}), not data")
    if accept is not None and media and media not in accept:
        raise _Fail(f"unexpected Content-Type {media!r}; expected one of: {', '.join(accept)}")


def _bounded_body(resp: httpx.Response, policy: Policy, deadline: float, cancelled: threading.Event) -> bytes:
    """The whole body, read chunk by chunk; _Fail over ``policy.max_bytes`` or if it is HTML,
    _PastDeadline once the deadline passes or the caller stopped waiting.

    Why by chunks: a declared Content-Length may be absent or false, and a server that trickles
    bytes never trips a read timeout.
    """
    declared = resp.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise _Fail(f"response of {int(declared)} bytes exceeds the {policy.max_bytes}-byte limit")
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_bytes():
        if cancelled.is_set() or time.monotonic() > deadline:
            raise _PastDeadline
        size += len(chunk)
        if size > policy.max_bytes:
            raise _Fail(f"response of {size} bytes exceeds the {policy.max_bytes}-byte limit")
        chunks.append(chunk)
    content = b"".join(chunks)
    if _looks_like_html(content):
        raise _Fail("the server sent an HTML page, not data")
    return content


def _attempt(
    client: httpx.Client,
    url: str,
    params: Mapping[str, Any] | None,
    policy: Policy,
    deadline: float,
    cancelled: threading.Event,
    accept: Sequence[str] | None,
) -> Response:
    """One attempt: follow same-origin redirects, read the bounded body before the deadline."""
    target = httpx.URL(url, params=params) if params else httpx.URL(url)
    seen = {str(target)}
    for _hop in range(MAX_REDIRECTS + 1):
        remaining = max(0.01, deadline - time.monotonic())
        timeout = httpx.Timeout(
            min(policy.read_timeout, remaining), connect=min(policy.connect_timeout, remaining)
        )
        with client.stream("GET", target, timeout=timeout) as resp:
            status = resp.status_code
            if 300 <= status < 400 and status != 304:
                target = _next_hop(target, resp, seen)
                continue
            _check_status(resp)
            _check_media_type(resp.headers, accept)
            content = _bounded_body(resp, policy, deadline, cancelled)
            return Response(str(resp.url), status, dict(resp.headers), content)
    raise _Fail(f"more than {MAX_REDIRECTS} redirects")


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc}); offline?"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection broken mid-response, body incomplete ({exc})"
    return f"{type(exc).__name__}: {exc}"


def _run_before(deadline: float, work: Callable[[], Response], cancelled: threading.Event) -> Response:
    """Run ``work`` in a daemon thread and wait for it no later than ``deadline``."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="fairpay-fetch", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        cancelled.set()
        raise _PastDeadline
    if "error" in box:
        raise box["error"]
    return box["result"]


def _retry_wait(source: str, shown: str, exc: _Retry, policy: Policy, backoff: float) -> float:
    """Seconds to wait before retrying after ``exc``: its Retry-After if it gave one, else ``backoff``.

    Why a refusal above ``policy.max_retry_after``: a hostile or confused header must not park
    the updater for hours; the failure says what the server asked for.
    """
    if exc.wait is None:
        return backoff
    if exc.wait > policy.max_retry_after:
        raise SourceError(
            f"{source}: {shown}: {exc}, server asks to retry after {exc.wait:g} s "
            f"(more than {policy.max_retry_after:g} s)"
        ) from None
    return exc.wait


def _pause_before_retry(
    source: str, shown: str, policy: Policy, deadline: float, wait: float, last_problem: str
) -> None:
    """Sleep ``wait`` seconds before the next attempt; Unreachable if that would pass the deadline.

    Why fail now: a retry that cannot finish in time only delays the same answer.
    """
    if time.monotonic() + wait > deadline:
        raise Unreachable(
            f"{source}: {shown}: {last_problem}; a retry in {wait:g} s would pass the "
            f"{policy.deadline:g} s deadline"
        )
    policy.sleep(wait)


def fetch(
    source: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    policy: Policy = DEFAULT_POLICY,
    client: httpx.Client | None = None,
    accept: Sequence[str] | None = None,
) -> Response:
    """GET ``url`` within ``policy.deadline``; raise SourceError (one line) on any failure.

    ``accept`` lists the media types the source serves; a response declaring another is refused
    (a missing Content-Type is judged by the parser instead).
    """
    start = time.monotonic()
    deadline = start + policy.deadline
    owned = client is None
    if client is None:
        client = httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=False)
    shown = str(httpx.URL(url, params=params)) if params else url
    last_problem = "no attempt made"
    cancelled = threading.Event()
    try:
        for attempt in range(policy.retries + 1):
            wait = min(policy.backoff * (2**attempt), policy.max_backoff)
            try:
                return _run_before(
                    deadline,
                    lambda: _attempt(client, url, params, policy, deadline, cancelled, accept),
                    cancelled,
                )
            except _Fail as exc:
                raise SourceError(f"{source}: {shown}: {exc}") from None
            except _PastDeadline:
                raise Unreachable(
                    f"{source}: {shown}: no complete answer within the {policy.deadline:g} s deadline"
                    + (f" (last problem: {last_problem})" if attempt else "")
                ) from None
            except _Retry as exc:
                last_problem = str(exc)
                wait = _retry_wait(source, shown, exc, policy, wait)
            except httpx.DecodingError as exc:
                raise SourceError(f"{source}: {shown}: the body cannot be decoded ({exc})") from None
            except httpx.TooManyRedirects as exc:  # pragma: no cover - redirects are followed by hand
                raise SourceError(f"{source}: {shown}: {exc}") from None
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                raise SourceError(f"{source}: {shown}: invalid URL ({exc})") from None
            except httpx.TransportError as exc:
                last_problem = _describe(exc)
            except httpx.HTTPError as exc:
                raise SourceError(f"{source}: {shown}: {_describe(exc)}") from None
            if attempt < policy.retries:
                _pause_before_retry(source, shown, policy, deadline, wait, last_problem)
        raise Unreachable(f"{source}: {shown}: {last_problem} (after {policy.retries + 1} attempts)")
    finally:
        if owned:
            client.close()
