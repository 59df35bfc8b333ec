"""The one outbound HTTP client. Every call to a network goes through here.

It sets timeouts, refuses redirects, names Cuecast in the User-Agent, logs each call without its
secrets, and guards user-supplied URLs (a Mastodon instance, a media URL) against server-side
request forgery: private, loopback and link-local addresses are refused, except the configured
sandbox. Tests may pass a `transport`; nothing else should build an httpx client.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterator
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


def async_client(
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout | None = None,
    max_connections: int = 100,
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=timeout or DEFAULT_TIMEOUT,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20),
        event_hooks={"request": [_log_request], "response": [_log_response]},
    )
