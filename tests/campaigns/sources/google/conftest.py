"""Shared helpers for the Google Ads source tests: a config pointed at a fake host, fixtures."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cuecast import config, http
from cuecast.campaigns.sources.google import GoogleAdsConnection, GoogleAdsSource
from cuecast.networks.base import Account

FIXTURES = Path(__file__).parent / "fixtures"
CUSTOMER = "1234567890"
CFG = dataclasses.replace(
    config.load(),
    google_ads_api_url="https://googleads.test",
    google_ads_api_version="v22",
    google_ads_oauth_url="https://accounts.test/o/oauth2/v2/auth",
    google_ads_token_url="https://oauth2.test/token",
    google_ads_client_id="cid",
    google_ads_client_secret="csecret",
    google_ads_developer_token="",
)


def load(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return spec


def respond(name: str) -> httpx.Response:
    spec = load(name)
    headers = {"content-type": spec["content_type"], **spec["headers"]}
    if "body" in spec:
        return httpx.Response(spec["status"], headers=headers, content=json.dumps(spec["body"]))
    return httpx.Response(spec["status"], headers=headers, text=spec["text"])


def account(
    *,
    refresh: bool = True,
    expires_in: timedelta = timedelta(hours=1),
    settings: dict[str, Any] | None = None,
) -> Account:
    credentials: dict[str, Any] = {
        "access_token": "AT-secret",
        "expires_at": (datetime.now(UTC) + expires_in).isoformat(),
    }
    if refresh:
        credentials["refresh_token"] = "RT-secret"
    return Account(
        external_id=CUSTOMER,
        handle="123-456-7890",
        base_url="",
        credentials=credentials,
        settings=dict(settings or {}),
    )


def connection(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    refresh: bool = True,
    cfg: config.Config = CFG,
    acct: Account | None = None,
) -> tuple[GoogleAdsConnection, httpx.AsyncClient]:
    client = http.async_client(transport=httpx.MockTransport(handler))
    conn = GoogleAdsSource(cfg).connect(acct or account(refresh=refresh), client)
    return conn, client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
