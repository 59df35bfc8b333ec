"""The one outbound client: its connection pool and the remembered SSRF check."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cuecast import config, http

PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """DNS answers chosen by the test (tests never leave 127.0.0.1), counting look-ups."""
    answers: dict[str, Any] = {"address": PUBLIC_ADDRESS, "lookups": 0}

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        answers["lookups"] += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers["address"], port))]

    monkeypatch.setattr(http.socket, "getaddrinfo", getaddrinfo)
    http.forget_safe_urls()
    yield answers
    http.forget_safe_urls()


def test_a_safe_server_is_resolved_once_per_process(resolver: dict[str, Any]) -> None:
    url = "https://mastodon.example"
    assert asyncio.run(http.check_user_url_cached(url)) == url
    assert asyncio.run(http.check_user_url_cached(url)) == url
    assert resolver["lookups"] == 1


def test_a_private_server_is_refused_every_time(resolver: dict[str, Any]) -> None:
    resolver["address"] = "10.0.0.5"
    for _ in range(2):
        with pytest.raises(http.UnsafeUrl):
            asyncio.run(http.check_user_url_cached("https://intranet.example"))
    assert resolver["lookups"] == 2


def test_a_server_that_moved_to_a_private_address_is_refused_once_forgotten(
    resolver: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "https://rebinding.example"
    asyncio.run(http.check_user_url_cached(url))
    resolver["address"] = "127.0.0.1"
    monkeypatch.setattr(http, "SAFE_URL_SECONDS", 0.0)  # the remembered answer has run out
    http.forget_safe_urls()
    with pytest.raises(http.UnsafeUrl):
        asyncio.run(http.check_user_url_cached(url))


def test_the_sandbox_is_trusted_only_while_it_is_configured(
    resolver: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUECAST_SANDBOX", "1")
    monkeypatch.setenv("CUECAST_SANDBOX_URL", "http://127.0.0.1:9")
    config.load.cache_clear()
    try:
        url = "http://127.0.0.1:9/mastodon"
        assert asyncio.run(http.check_user_url_cached(url)) == url
        monkeypatch.setenv("CUECAST_SANDBOX", "0")
        config.load.cache_clear()
        with pytest.raises(http.UnsafeUrl):
            asyncio.run(http.check_user_url_cached(url))
    finally:
        monkeypatch.undo()
        config.load.cache_clear()


class ConnectionCounter:
    """A small HTTP/1.1 server on 127.0.0.1 that answers a wave of requests only once all of them
    have arrived (so the client must hold that many connections at once) and counts the
    connections it accepts."""

    def __init__(self, wave: int) -> None:
        self.wave = wave
        self.connections = 0
        self.waiting: list[asyncio.Future[None]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                await self._all_arrived()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _all_arrived(self) -> None:
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append(arrived)
        if len(self.waiting) == self.wave:
            for future in self.waiting:
                future.set_result(None)
            self.waiting = []
        await arrived


def test_the_pool_keeps_every_connection_it_may_open() -> None:
    """Two waves of concurrent calls: the second reuses the first's connections, none reopened."""
    wave = 30

    async def run() -> int:
        counter = ConnectionCounter(wave)
        server = await asyncio.start_server(counter.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, http.async_client(max_connections=wave) as client:
            for _ in range(2):
                answers = await asyncio.gather(
                    *(client.get(f"http://127.0.0.1:{port}/") for _ in range(wave))
                )
                assert all(a.status_code == 200 for a in answers)
        return counter.connections

    assert asyncio.run(run()) == wave


def test_failed_calls_leave_the_pools_as_ready_as_before() -> None:
    """Calls that fail (nothing listens) must not count as in flight: a later wave that needs every
    connection at once is answered only if each pool still takes its share."""
    wave = 30

    async def run() -> int:
        counter = ConnectionCounter(wave)
        server = await asyncio.start_server(counter.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            closed_port = unused.getsockname()[1]
        async with server, http.async_client(max_connections=wave) as client:
            # One failure: a count it left behind would send one call too many to some pool.
            for _ in range(1):
                with pytest.raises(httpx.ConnectError):
                    await client.get(f"http://127.0.0.1:{closed_port}/")
            answers = await asyncio.wait_for(
                asyncio.gather(*(client.get(f"http://127.0.0.1:{port}/") for _ in range(wave))),
                timeout=30,
            )
            assert all(a.status_code == 200 for a in answers)
        return counter.connections

    assert asyncio.run(run()) == wave
