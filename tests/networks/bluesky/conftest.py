"""Fixtures for the Bluesky connector: a Config pointed at the sandbox PDS, a connected account."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cuecast import config, http
from cuecast.networks.base import Account
from cuecast.networks.bluesky import BlueskyConnection, BlueskyNetwork

DEMO_HANDLE = "cuecast-demo.bsky.sandbox"
OTHER_HANDLE = "other.bsky.sandbox"
POST = "app.bsky.feed.post"


def bluesky_config(base: str) -> config.Config:
    return dataclasses.replace(
        config.load(), bluesky_default_pds=f"{base}/bluesky", bluesky_web_url=f"{base}/bluesky"
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def bcfg(sandbox: Any) -> config.Config:
    return bluesky_config(sandbox.url)


@pytest.fixture
def network(bcfg: config.Config) -> BlueskyNetwork:
    return BlueskyNetwork(bcfg)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # Short read timeout so a `timeout_after_accept` fault (3 s) trips it quickly.
    timeout = httpx.Timeout(connect=2.0, read=1.5, write=2.0, pool=2.0)
    async with http.async_client(timeout=timeout) as c:
        yield c


def account_from_tokens(tokens: dict[str, Any], base: str) -> Account:
    return Account(
        external_id=tokens["did"],
        handle=tokens["handle"],
        base_url=f"{base}/bluesky",
        credentials={
            "accessJwt": tokens["accessJwt"],
            "refreshJwt": tokens["refreshJwt"],
            "did": tokens["did"],
        },
    )


@pytest.fixture
def tokens(sandbox: Any) -> dict[str, Any]:
    minted: dict[str, Any] = sandbox.control.tokens("bluesky", DEMO_HANDLE)
    return minted


@pytest.fixture
def conn(
    sandbox: Any, network: BlueskyNetwork, client: httpx.AsyncClient, tokens: dict[str, Any]
) -> BlueskyConnection:
    return network.connect(account_from_tokens(tokens, sandbox.url), client)


def app_password(handle: str = DEMO_HANDLE) -> str:
    """The seeded account's app password, read from the emulator's state (not hard-coded twice)."""
    from sandbox.bluesky.state import seeded_state

    state = seeded_state()
    account = state.account(handle)
    assert account is not None
    return next(iter(account.app_passwords.values()))
