"""One HTTP GET helper for every source: timeouts, bounded retries, a size cap, one-line errors.

Why a small explicit loop rather than httpx's transport retries: ``HTTPTransport(retries=n)``
retries only failed *connections*; the open-data APIs also answer 429 (with ``Retry-After``) and
503 under load, and a body can be cut short mid-transfer. The loop below retries exactly those:

* connection errors, timeouts and truncated bodies (httpx raises ``TransportError``);
* HTTP 429, waiting ``Retry-After`` seconds (or until its HTTP date), capped at
  ``Policy.max_retry_after`` so a hostile header cannot park the updater for hours;
* HTTP 5xx, with exponential backoff ``backoff * 2**attempt`` (capped at ``max_backoff``).

Anything else (404, 400, a body over ``max_bytes``) fails at once. Every failure becomes a
:class:`~fairpay.errors.SourceError` naming the source and the URL. Waiting goes through
``Policy.sleep`` so tests can record delays instead of sleeping.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from fairpay.errors import SourceError

__all__ = ["Policy", "Response", "DEFAULT_POLICY", "fetch"]

USER_AGENT = "fairpay (https://pypi.org/project/fairpay/) httpx"


@dataclass(frozen=True)
class Policy:
    """How patiently to fetch. Defaults suit the public APIs; tests shrink the waits."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3  # extra attempts after the first
    backoff: float = 1.0  # first wait (s) after a 5xx / connection error; doubles each time
    max_backoff: float = 30.0
    max_retry_after: float = 120.0  # longest Retry-After honoured (s)
    max_bytes: int = 64 * 1024 * 1024  # refuse bodies larger than this
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


def _read_bounded(response: httpx.Response, limit: int) -> bytes:
    """Read the body, stopping as soon as it exceeds ``limit`` bytes (a declared or actual size)."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge(int(declared))
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise _TooLarge(size)
        chunks.append(chunk)
    return b"".join(chunks)


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def _describe(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc}); offline?"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection broken mid-response, body incomplete ({exc})"
    return f"{type(exc).__name__}: {exc}"


def fetch(
    source: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    policy: Policy = DEFAULT_POLICY,
    client: httpx.Client | None = None,
) -> Response:
    """GET ``url`` with ``policy``'s timeouts, retries and size cap; raise SourceError on failure."""
    owned = client is None
    if client is None:
        client = httpx.Client(
            timeout=httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        )
    shown = str(httpx.URL(url, params=params)) if params else url
    last_problem = "no attempt made"
    try:
        for attempt in range(policy.retries + 1):
            wait = min(policy.backoff * (2**attempt), policy.max_backoff)
            try:
                with client.stream("GET", url, params=params) as resp:
                    status = resp.status_code
                    if status == 429 or status >= 500:
                        last_problem = f"HTTP {status} {resp.reason_phrase}".rstrip()
                        if status == 429:
                            after = _retry_after(resp.headers.get("retry-after"))
                            if after is not None:
                                if after > policy.max_retry_after:
                                    raise SourceError(
                                        f"{source}: {shown}: HTTP 429, server asks to retry after "
                                        f"{after:g} s (more than {policy.max_retry_after:g} s)"
                                    )
                                wait = after
                        if attempt < policy.retries:
                            policy.sleep(wait)
                        continue
                    if status >= 400:
                        raise SourceError(f"{source}: {shown}: HTTP {status} {resp.reason_phrase}".rstrip())
                    content = _read_bounded(resp, policy.max_bytes)
                    return Response(str(resp.url), status, dict(resp.headers), content)
            except _TooLarge as exc:
                raise SourceError(
                    f"{source}: {shown}: response of {exc.size} bytes exceeds the "
                    f"{policy.max_bytes}-byte limit"
                ) from None
            except httpx.TransportError as exc:
                last_problem = _describe(exc)
                if attempt < policy.retries:
                    policy.sleep(wait)
                continue
            except httpx.InvalidURL as exc:
                raise SourceError(f"{source}: {shown}: invalid URL ({exc})") from exc
        raise SourceError(f"{source}: {shown}: {last_problem} (after {policy.retries + 1} attempts)")
    finally:
        if owned:
            client.close()
