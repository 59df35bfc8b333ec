"""Fixtures for the Threads connector: a Config pointed at the sandbox, a connected account."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cuecast import config, http
from cuecast.networks.base import Account
from cuecast.networks.threads import ThreadsConnection, ThreadsNetwork

DEMO_USER = "cuecast_demo"


def threads_config(sandbox: Any) -> config.Config:
    # The emulator names its own Threads app (GET /_sandbox): see docs/networks/threads.md.
    app = httpx.get(f"{sandbox.url}/_sandbox/").json()["networks"]["threads"]["app"]
    return dataclasses.replace(
        config.load(),
        threads_api_url=f"{sandbox.url}/threads",
        threads_authorize_url=f"{sandbox.url}/threads/oauth/authorize",
        threads_app_id=app["client_id"],
        threads_app_secret=app["client_secret"],
        sandbox_enabled=True,
    )


@pytest.fixture
def tcfg(sandbox: Any) -> config.Config:
    return threads_config(sandbox)


@pytest.fixture
def network(tcfg: config.Config) -> ThreadsNetwork:
    return ThreadsNetwork(tcfg)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # Short read timeout so a `timeout_after_accept` fault (3 s) trips it quickly.
    timeout = httpx.Timeout(connect=2.0, read=1.5, write=2.0, pool=2.0)
    async with http.async_client(timeout=timeout) as c:
        yield c


def account_from_tokens(tokens: dict[str, Any], *, age: timedelta = timedelta(0)) -> Account:
    now = datetime.now(UTC)
    return Account(
        external_id=str(tokens["user_id"]),
        handle=str(tokens["username"]),
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "expires_at": (now + timedelta(seconds=int(tokens["expires_in"]))).isoformat(),
            "issued_at": (now - age).isoformat(),
        },
    )


async def no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def conn(sandbox: Any, network: ThreadsNetwork, client: httpx.AsyncClient) -> ThreadsConnection:
    tokens = sandbox.control.tokens("threads", DEMO_USER)
    connection = network.connect(account_from_tokens(tokens), client)
    connection.poll_delays = (0.0, 0.3, 0.3, 0.5, 0.5, 0.5, 1.0)
    return connection


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
