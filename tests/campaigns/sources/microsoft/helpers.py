"""Shared bits for the Microsoft Advertising source tests (MockTransport side)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx

from cuecast import config, http
from cuecast.campaigns.sources.microsoft import MicrosoftAdsConnection, build
from cuecast.networks.base import Account

FIXTURES = Path(__file__).parent / "fixtures"
CFG = dataclasses.replace(
    config.load(),
    microsoft_ads_oauth_url="https://login.microsoft.test/common/oauth2/v2.0",
    microsoft_ads_campaign_url="https://campaign.api.bingads.microsoft.test",
    microsoft_ads_reporting_url="https://reporting.api.bingads.microsoft.test",
    microsoft_ads_customer_url="https://clientcenter.api.bingads.microsoft.test",
    microsoft_ads_client_id="cid",
    microsoft_ads_client_secret="csecret",
    microsoft_ads_developer_token="devtoken",
)
ACCOUNT_ID = "180000001"
CUSTOMER_ID = "160000001"


def load(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return spec


def respond(name: str) -> httpx.Response:
    spec = load(name)
    headers = {"content-type": spec["content_type"], **spec["headers"]}
    if "body" in spec:
        return httpx.Response(spec["status"], headers=headers, content=json.dumps(spec["body"]))
    return httpx.Response(spec["status"], headers=headers, text=spec["text"])


def account(**settings: Any) -> Account:
    return Account(
        external_id=ACCOUNT_ID,
        handle="F12345AB",
        base_url="",
        credentials={"access_token": "AT-secret", "refresh_token": "RT-1", "expires_at": None},
        settings={
            "customer_id": CUSTOMER_ID,
            "currency": "EUR",
            "timezone": "Europe/Berlin",
            "microsoft_timezone": "AmsterdamBerlinBernRomeStockholmVienna",
            **settings,
        },
    )


def connection(handler: Any, **kwargs: Any) -> tuple[MicrosoftAdsConnection, httpx.AsyncClient]:
    client = http.async_client(transport=httpx.MockTransport(handler))
    conn = build(CFG).connect(account(), client)
    for key, value in kwargs.items():
        setattr(conn, key, value)
    return conn, client
