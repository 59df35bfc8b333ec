"""Fixtures for the X connector: a Config pointed at the sandbox, a connected sandbox account."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cuecast import config, http
from cuecast.networks.base import Account
from cuecast.networks.x import XConnection, XNetwork

DEMO_ID = "1849302716458209280"
DEMO_USER = "cuecast_demo"


def x_config(base: str) -> config.Config:
    return dataclasses.replace(
        config.load(),
        x_api_url=f"{base}/x",
        x_authorize_url=f"{base}/x/i/oauth2/authorize",
        x_web_url=f"{base}/x",
        x_client_id="cuecast-sandbox",
        x_client_secret="cuecast-sandbox-secret",
    )


@pytest.fixture
def xcfg(sandbox: Any) -> config.Config:
    return x_config(sandbox.url)


@pytest.fixture
def network(xcfg: config.Config) -> XNetwork:
    return XNetwork(xcfg)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # Short read timeout so a `timeout_after_accept` fault (3 s) trips it quickly.
    timeout = httpx.Timeout(connect=2.0, read=1.5, write=2.0, pool=2.0)
    async with http.async_client(timeout=timeout) as c:
        yield c


def account_from_tokens(tokens: dict[str, Any]) -> Account:
    return Account(
        external_id=tokens["user_id"],
        handle=tokens["username"],
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "refresh_token": tokens.get("refresh_token"),
            "expires_at": None,
        },
    )


@pytest.fixture
def conn(sandbox: Any, network: XNetwork, client: httpx.AsyncClient) -> XConnection:
    tokens = sandbox.control.tokens("x", DEMO_USER)
    return network.connect(account_from_tokens(tokens), client)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
