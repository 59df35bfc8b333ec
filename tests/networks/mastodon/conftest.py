"""Fixtures for the Mastodon connector: the sandbox instance, a browser-like consent, mock servers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cuecast import config
from cuecast.http import async_client
from cuecast.networks.base import Account
from cuecast.networks.mastodon import MastodonConnection, MastodonNetwork

MOCK_BASE = "https://mastodon.example"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _point_at(monkeypatch: pytest.MonkeyPatch, url: str, tmp_path: Any) -> None:
    """check_user_url lets loopback through only for the configured sandbox (config is cached)."""
    monkeypatch.setenv("CUECAST_SANDBOX_URL", url)
    monkeypatch.setenv("CUECAST_SANDBOX", "1")
    monkeypatch.setenv("CUECAST_DATA_DIR", str(tmp_path / "data"))
    config.load.cache_clear()


@pytest.fixture
def sb(sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Any]:
    """The shared sandbox, reset, with Cuecast's config pointing at it for this test."""
    _point_at(monkeypatch, sandbox.url, tmp_path)
    yield sandbox
    config.load.cache_clear()  # monkeypatch restores the environment after this


@pytest.fixture
def mock_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[str]:
    """Treat MOCK_BASE as the sandbox so the SSRF guard does no DNS look-up for it."""
    _point_at(monkeypatch, MOCK_BASE, tmp_path)
    yield MOCK_BASE
    config.load.cache_clear()


class MemoryClients:
    def __init__(self) -> None:
        self.saved: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.saves = 0

    async def get(self, network: str, base_url: str, redirect_uri: str) -> dict[str, Any] | None:
        return self.saved.get((network, base_url, redirect_uri))

    async def save(
        self, network: str, base_url: str, redirect_uri: str, client: dict[str, Any]
    ) -> None:
        self.saves += 1
        self.saved[(network, base_url, redirect_uri)] = client


@pytest.fixture
def clients() -> MemoryClients:
    return MemoryClients()


def consent(url: str, user: str = "demo", decision: str = "authorize") -> dict[str, str]:
    """Open the authorize page like a browser, submit its form, return the redirect's query."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        form = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert form is not None
        fields = {
            unescape(name): unescape(value)
            for name, value in re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text
            )
        }
        fields.update(user=user, decision=decision)
        action = urlsplit(url)._replace(path=unescape(form.group(1)), query="").geturl()
        answer = browser.post(action, data=fields)
        assert answer.status_code in (302, 303), answer.text
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        return {k: v[0] for k, v in query.items()}


def connection(
    base: str,
    token: str,
    *,
    account_id: str = "110000000000000001",
    handle: str = "@demo@sandbox",
    settings: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float | None = None,
) -> MastodonConnection:
    account = Account(
        external_id=account_id,
        handle=handle,
        base_url=base,
        credentials=credentials or {"access_token": token},
        settings=settings or {},
    )
    http = async_client(transport=transport, timeout=httpx.Timeout(timeout) if timeout else None)
    conn = MastodonNetwork().connect(account, http)

    async def no_sleep(_: float) -> None:
        return None

    if transport is not None:
        conn._sleep = no_sleep
    return conn
