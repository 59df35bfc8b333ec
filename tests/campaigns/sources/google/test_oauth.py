"""Connecting Google Ads over MockTransport: the consent URL, the code exchange, one account per
advertiser customer the consent reaches (directly or through a manager)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cuecast.campaigns.sources.google import DESCRIPTOR, GoogleAdsSource
from cuecast.networks import errors as tree
from cuecast.networks.base import AuthKind

from .conftest import CFG, respond

pytestmark = pytest.mark.anyio
CALLBACK = "http://127.0.0.1:8000/campaigns/sources/google/callback"


def test_descriptor() -> None:
    assert DESCRIPTOR.key == "google" and DESCRIPTOR.name == "Google Ads"
    assert DESCRIPTOR.auth is AuthKind.OAUTH2
    assert DESCRIPTOR.scopes == ("https://www.googleapis.com/auth/adwords",)
    assert DESCRIPTOR.docs_page == "docs/ad-platforms/google.md"


async def test_start_asks_for_offline_access_and_consent() -> None:
    start = await GoogleAdsSource(CFG).oauth().start(redirect_uri=CALLBACK, server_url="")
    parts = urlsplit(start.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CFG.google_ads_oauth_url
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": CALLBACK,
        "scope": "https://www.googleapis.com/auth/adwords",
        "state": start.state,
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
    }
    assert len(start.state) >= 32


async def test_start_without_a_client_says_what_to_set() -> None:
    source = GoogleAdsSource(dataclasses.replace(CFG, google_ads_client_id=""))
    with pytest.raises(tree.Permanent, match="CUECAST_GOOGLE_ADS_CLIENT_ID"):
        await source.oauth().start(redirect_uri=CALLBACK, server_url="")


def _customer(cid: str, name: str, manager: bool = False, tz: str = "Europe/Berlin") -> Any:
    return {
        "customer": {
            "id": cid,
            "descriptiveName": name,
            "currencyCode": "EUR",
            "timeZone": tz,
            "manager": manager,
        }
    }


class FakeGoogle:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/token":
            return httpx.Response(
                200,
                json={
                    "access_token": "AT-1",
                    "expires_in": 3599,
                    "refresh_token": "RT-1",
                    "scope": "https://www.googleapis.com/auth/adwords",
                    "token_type": "Bearer",
                },
            )
        if path == "/v22/customers:listAccessibleCustomers":
            names = ["customers/1111111111", "customers/2222222222", "customers/4444444444"]
            return httpx.Response(200, json={"resourceNames": names})
        customer = path.split("/")[3].split(":")[0]
        query = json.loads(request.content)["query"]
        if customer == "4444444444":
            return respond("customer_not_enabled_403")
        if query.endswith("FROM customer"):
            rows = {
                "1111111111": _customer("1111111111", "ACME GmbH"),
                "2222222222": _customer("2222222222", "Agency MCC", manager=True),
            }
            return httpx.Response(200, json={"results": [rows[customer]]})
        assert customer == "2222222222" and "FROM customer_client" in query
        assert request.headers["login-customer-id"] == "2222222222"
        clients = [
            {"customerClient": {"id": "2222222222", "manager": True, "level": "0"}},
            {
                "customerClient": {
                    "id": "3333333333",
                    "descriptiveName": "ACME Inc.",
                    "currencyCode": "USD",
                    "timeZone": "America/New_York",
                    "manager": False,
                    "level": "1",
                }
            },
            {
                "customerClient": {
                    "id": "1111111111",
                    "descriptiveName": "ACME GmbH",
                    "currencyCode": "EUR",
                    "timeZone": "Europe/Berlin",
                    "manager": False,
                    "level": "2",
                }
            },
        ]
        return httpx.Response(200, json={"results": clients})


async def test_finish_all_lists_every_advertiser_account() -> None:
    fake = FakeGoogle()
    source = GoogleAdsSource(CFG, transport=httpx.MockTransport(fake))
    accounts = await source.oauth().finish_all(code="C0DE", redirect_uri=CALLBACK, session_data={})
    assert [(a.external_id, a.display_name, a.handle) for a in accounts] == [
        ("1111111111", "ACME GmbH", "111-111-1111"),
        ("3333333333", "ACME Inc.", "333-333-3333"),
    ]
    direct, managed = accounts
    assert direct.settings == {"currency": "EUR", "timezone": "Europe/Berlin"}
    assert managed.settings == {
        "currency": "USD",
        "timezone": "America/New_York",
        "login_customer_id": "2222222222",
    }
    assert direct.credentials["refresh_token"] == "RT-1"
    assert direct.token_expires_at is not None
    token = fake.requests[0]
    form = {k: v[0] for k, v in parse_qs(token.content.decode()).items()}
    assert form == {
        "grant_type": "authorization_code",
        "code": "C0DE",
        "redirect_uri": CALLBACK,
        "client_id": "cid",
        "client_secret": "csecret",
    }
    assert all("developer-token" not in r.headers for r in fake.requests)


async def test_a_refused_code_is_permanent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return respond("token_bad_code_400")

    source = GoogleAdsSource(CFG, transport=httpx.MockTransport(handler))
    with pytest.raises(tree.Permanent):
        await source.oauth().finish_all(code="used", redirect_uri=CALLBACK, session_data={})
