"""Fixtures for the Instagram connector: a Config pointed at the sandbox, a connected account."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cuecast import config, http
from cuecast.networks.base import Account
from cuecast.networks.instagram import InstagramConnection, InstagramNetwork

IG_USER = "cuecast_demo_ig"


def ig_config(base: str) -> config.Config:
    # The Facebook emulator's app (numeric, like a real Meta app id).
    try:
        from sandbox.facebook.state import APP_ID, APP_SECRET
    except ImportError:  # pragma: no cover - emulator not there yet
        APP_ID, APP_SECRET = "cuecast-sandbox", "cuecast-sandbox-secret"
    return dataclasses.replace(
        config.load(),
        instagram_graph_url=f"{base}/instagram",
        facebook_graph_url=f"{base}/facebook",
        facebook_dialog_url=f"{base}/facebook",
        facebook_graph_version="v21.0",
        facebook_app_id=APP_ID,
        facebook_app_secret=APP_SECRET,
    )


@pytest.fixture
def igsandbox(sandbox: Any) -> Any:
    """The sandbox, when its Instagram emulator is registered."""
    from sandbox.registry import NETWORKS

    if "instagram" not in NETWORKS:
        pytest.skip("the sandbox has no Instagram emulator registered yet")
    sandbox.control.config("instagram", image_processing_seconds=0)
    return sandbox


@pytest.fixture
def igcfg(igsandbox: Any) -> config.Config:
    return ig_config(igsandbox.url)


@pytest.fixture
def network(igcfg: config.Config) -> InstagramNetwork:
    return InstagramNetwork(igcfg)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    timeout = httpx.Timeout(connect=2.0, read=1.5, write=2.0, pool=2.0)
    async with http.async_client(timeout=timeout) as c:
        yield c


@pytest.fixture
def conn(
    igsandbox: Any, network: InstagramNetwork, client: httpx.AsyncClient
) -> InstagramConnection:
    tokens = igsandbox.control.tokens("instagram", IG_USER)
    account = Account(
        external_id=str(tokens["ig_user_id"]),
        handle=str(tokens["username"]),
        base_url="",
        credentials={"access_token": tokens["access_token"], "page_id": tokens["page_id"]},
    )
    connection = network.connect(account, client)
    connection.poll_delays = (0.2,) * 20
    return connection


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
