"""Fixtures for the Facebook connector: a Config pointed at the sandbox, a connected sandbox Page."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cuecast import config, http
from cuecast.networks.base import Account
from cuecast.networks.facebook import FacebookConnection, FacebookNetwork

DEMO_USER = "cuecast_demo"
# The Meta emulator's app (sandbox/facebook/state.py); config's sandbox default is cuecast-sandbox.
SANDBOX_APP_ID = "900000000000001"
SANDBOX_APP_SECRET = "cuecast-meta-sandbox-secret"


def fb_config(base: str) -> config.Config:
    return dataclasses.replace(
        config.load(),
        facebook_app_id=SANDBOX_APP_ID,
        facebook_app_secret=SANDBOX_APP_SECRET,
        facebook_graph_url=f"{base}/facebook",
        facebook_dialog_url=f"{base}/facebook",
        facebook_web_url=f"{base}/facebook",
        facebook_graph_version="v21.0",
    )


@pytest.fixture
def fbcfg(sandbox: Any) -> config.Config:
    return fb_config(sandbox.url)


@pytest.fixture
def network(fbcfg: config.Config) -> FacebookNetwork:
    return FacebookNetwork(fbcfg)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # Short read timeout so a `timeout_after_accept` fault (3 s) trips it quickly.
    timeout = httpx.Timeout(connect=2.0, read=1.5, write=2.0, pool=2.0)
    async with http.async_client(timeout=timeout) as c:
        yield c


def account_from_tokens(tokens: dict[str, Any]) -> Account:
    return Account(
        external_id=tokens["page_id"],
        handle=tokens["page_name"],
        base_url="",
        credentials={
            "page_access_token": tokens["page_access_token"],
            "user_access_token": tokens["user_access_token"],
        },
    )


@pytest.fixture
def tokens(sandbox: Any) -> dict[str, Any]:
    minted: dict[str, Any] = sandbox.control.tokens("facebook", DEMO_USER)
    return minted


@pytest.fixture
def conn(
    tokens: dict[str, Any], network: FacebookNetwork, client: httpx.AsyncClient
) -> FacebookConnection:
    return network.connect(account_from_tokens(tokens), client)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
