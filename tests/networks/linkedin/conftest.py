"""Fixtures for the LinkedIn connector: a Config pointed at the sandbox, connected sandbox channels."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cuecast import config, http
from cuecast.networks.base import Account
from cuecast.networks.linkedin import LinkedInConnection, LinkedInNetwork

MEMBER = "demo"
MEMBER_URN = "urn:li:person:Cu3cDemo01"
ORG_URN = "urn:li:organization:104857601"
BASIC_CLIENT = "cuecast-sandbox-basic"


def li_config(base: str, **changes: Any) -> config.Config:
    return dataclasses.replace(
        config.load(),
        linkedin_api_url=f"{base}/linkedin",
        linkedin_oauth_url=f"{base}/linkedin/oauth/v2",
        linkedin_web_url=f"{base}/linkedin",
        linkedin_client_id="cuecast-sandbox",
        linkedin_client_secret="cuecast-sandbox-secret",
        **changes,
    )


@pytest.fixture
def licfg(sandbox: Any) -> config.Config:
    return li_config(sandbox.url)


@pytest.fixture
def network(licfg: config.Config) -> LinkedInNetwork:
    return LinkedInNetwork(licfg)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # Short read timeout so a `timeout_after_accept` fault (3 s) trips it quickly.
    timeout = httpx.Timeout(connect=2.0, read=1.5, write=2.0, pool=2.0)
    async with http.async_client(timeout=timeout) as c:
        yield c


def account_from_tokens(tokens: dict[str, Any], author: str) -> Account:
    now = datetime.now(UTC)
    credentials: dict[str, Any] = {
        "access_token": tokens["access_token"],
        "expires_at": (now + timedelta(seconds=int(tokens["expires_in"]))).isoformat(),
    }
    if tokens.get("refresh_token"):
        credentials["refresh_token"] = tokens["refresh_token"]
        credentials["refresh_expires_at"] = (
            now + timedelta(seconds=int(tokens["refresh_token_expires_in"]))
        ).isoformat()
    return Account(external_id=author, handle="demo", base_url="", credentials=credentials)


@pytest.fixture
def org_conn(
    sandbox: Any, network: LinkedInNetwork, client: httpx.AsyncClient
) -> LinkedInConnection:
    tokens = sandbox.control.tokens("linkedin", MEMBER)
    return network.connect(account_from_tokens(tokens, ORG_URN), client)


@pytest.fixture
def member_conn(
    sandbox: Any, network: LinkedInNetwork, client: httpx.AsyncClient
) -> LinkedInConnection:
    tokens = sandbox.control.tokens("linkedin", MEMBER)
    return network.connect(account_from_tokens(tokens, MEMBER_URN), client)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
