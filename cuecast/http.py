"""The one outbound HTTP client. Every call to a network goes through here.

It sets timeouts, refuses redirects, names Cuecast in the User-Agent, logs each call without its
secrets, and guards user-supplied URLs (a Mastodon instance, a media URL) against server-side
request forgery: private, loopback and link-local addresses are refused, except the configured
sandbox. Tests may pass a `transport`; nothing else should build an httpx client.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from django.utils.translation import gettext as _

from cuecast import config

log = logging.getLogger("cuecast.http")

USER_AGENT = "Cuecast/0.1 (+https://github.com/cuecast)"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=20.0, pool=10.0)


class UnsafeUrl(ValueError):
    """A user-supplied URL points somewhere Cuecast must not call."""


def _is_sandbox(url: str) -> bool:
    settings = config.load()
    if not settings.sandbox_enabled:
        return False
    target, sandbox = urlsplit(url), urlsplit(settings.sandbox_url)
    return (target.scheme, target.hostname, target.port) == (
        sandbox.scheme,
        sandbox.hostname,
        sandbox.port,
    )


def check_user_url(url: str) -> str:
    """Return the URL if Cuecast may call it on a user's behalf, else raise UnsafeUrl."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeUrl(
            _("“%(url)s” is not a web address (it must start with https://).") % {"url": url}
        )
    if _is_sandbox(url):
        return url
    if parts.scheme != "https":
        raise UnsafeUrl(_("“%(url)s” must use https://.") % {"url": url})
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeUrl(
            _("The server “%(host)s” could not be found.") % {"host": parts.hostname}
        ) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise UnsafeUrl(
                _(
                    "“%(host)s” points to a private or local address; Cuecast only calls "
                    "public servers."
                )
                % {"host": parts.hostname}
            )
    return url


# A server address found safe is trusted for this long in this process, so a worker does not
# resolve the same Mastodon instance once per post. The guard was never proof against DNS that
# changes between the check and the connection (httpx resolves again); five minutes keeps that
# window the order of a DNS TTL. Refusals are not remembered: they are raised every time.
SAFE_URL_SECONDS = 300.0
SAFE_URL_MAX = 10_000
_safe_urls: dict[tuple[str, bool, str], float] = {}
_safe_urls_lock = threading.Lock()


async def check_user_url_cached(url: str) -> str:
    """`check_user_url`, remembered per URL (and sandbox setting) for `SAFE_URL_SECONDS`; the DNS
    lookup of a URL not yet known runs off the event loop. Raises UnsafeUrl like the original."""
    settings = config.load()
    key = (url, settings.sandbox_enabled, settings.sandbox_url)
    if _safe_urls.get(key, 0.0) > time.monotonic():
        return url
    await asyncio.to_thread(check_user_url, url)
    with _safe_urls_lock:
        if len(_safe_urls) >= SAFE_URL_MAX:
            _safe_urls.clear()  # rare: thousands of distinct servers; all are checked again
        _safe_urls[key] = time.monotonic() + SAFE_URL_SECONDS
    return url


def forget_safe_urls() -> None:
    """Check every server address again on its next use (tests; after a configuration change)."""
    with _safe_urls_lock:
        _safe_urls.clear()


@dataclass
class CallRecord:
    """One outbound call, as the call ledger and the rate budgets see it. `status` stays 0 when no
    answer came (timeout, connection refused): the call still counts, the network may have seen it."""

    method: str
    host: str
    path: str
    started_at: datetime
    status: int = 0
    # The answer's rate-limit and usage headers only (lower-case names); never auth headers.
    limit_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class CallScope:
    """Who a group of outbound calls is made for. Set with `call_scope()` around the work; every
    call made through this module's clients inside it (in the same task) is recorded here."""

    network: str
    purpose: str  # publish | reconcile | refresh | metrics | connect | sync
    workspace_id: int | None = None
    channel_id: int | None = None
    target_id: int | None = None
    calls: list[CallRecord] = field(default_factory=list)


_scope: ContextVar[CallScope | None] = ContextVar("cuecast_call_scope", default=None)


@contextmanager
def call_scope(
    network: str,
    purpose: str,
    *,
    workspace_id: int | None = None,
    channel_id: int | None = None,
    target_id: int | None = None,
) -> Iterator[CallScope]:
    """Record the calls made inside the block. Context variables are per asyncio task, so
    concurrent jobs in one `gather` each see their own scope."""
    scope = CallScope(network, purpose, workspace_id, channel_id, target_id)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current_scope() -> CallScope | None:
    return _scope.get()


def _is_limit_header(name: str) -> bool:
    return name == "retry-after" or any(
        word in name for word in ("ratelimit", "rate-limit", "limit-", "usage")
    )


async def _log_request(request: httpx.Request) -> None:
    # The path only: query strings can carry tokens (OAuth codes), and headers always do.
    log.debug(
        "→ %s %s://%s%s", request.method, request.url.scheme, request.url.host, request.url.path
    )
    scope = _scope.get()
    if scope is not None:
        record = CallRecord(request.method, request.url.host, request.url.path, datetime.now(UTC))
        scope.calls.append(record)
        request.extensions["cuecast_call"] = record


async def _log_response(response: httpx.Response) -> None:
    request = response.request
    record = request.extensions.get("cuecast_call")
    if isinstance(record, CallRecord):
        record.status = response.status_code
        record.limit_headers = {
            name: value for name, value in response.headers.items() if _is_limit_header(name)
        }
    # Refusals are worth a line at the default level; every successful call is not.
    level = logging.INFO if response.status_code >= 400 else logging.DEBUG
    log.log(
        level,
        "← %s %s%s %s",
        request.method,
        request.url.host,
        request.url.path,
        response.status_code,
    )


# httpcore's pool looks at every connection it holds (a socket check for each idle one) twice per
# request, so its cost per request grows with the pool. A client with many connections spreads
# them over pools of at most this many, and each request goes to the least busy pool.
POOL_SHARD_SIZE = 8


class _ShardedTransport(httpx.AsyncBaseTransport):
    """Several small connection pools behind one transport; a request goes to the pool with the
    fewest requests in flight, so no pool queues while another has room."""

    def __init__(self, max_connections: int) -> None:
        count = max(1, -(-max_connections // POOL_SHARD_SIZE))
        sizes = [max_connections // count + (i < max_connections % count) for i in range(count)]
        self._pools = [
            httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=size, max_keepalive_connections=size)
            )
            for size in sizes
        ]
        self._busy = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._pools)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._busy[index] -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Released(response.stream, lambda: self._release(index))
        return response

    def _release(self, index: int) -> None:
        self._busy[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _Released(httpx.AsyncByteStream):
    """A response body that tells its pool's counter when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:  # once, however often the body is closed
                release()


def async_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout | None = None,
    max_connections: int = 100,
) -> httpx.AsyncClient:
    # Keep every connection the pool may open: with fewer kept alive, each answer beyond them
    # closes its connection and the next call opens (and handshakes) a new one. Proxies from the
    # environment still apply: their mounts are more specific than "all://".
    mounts = None if transport is not None else {"all://": _ShardedTransport(max_connections)}
    return httpx.AsyncClient(
        timeout=timeout or DEFAULT_TIMEOUT,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
        mounts=mounts,
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        event_hooks={"request": [_log_request], "response": [_log_response]},
    )
