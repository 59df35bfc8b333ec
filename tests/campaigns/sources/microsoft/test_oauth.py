"""The connect flow over MockTransport: authorize URL, code redemption, user → accounts, rotation."""

from __future__ import annotations

import json
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cuecast import http
from cuecast.campaigns.sources.microsoft import build, oauth
from cuecast.networks.base import ClientStore

from .helpers import CFG, connection

pytestmark = pytest.mark.anyio
NO_STORE = cast(ClientStore, None)  # one Microsoft app for everyone: no per-server clients


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Identity:
    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path
        if path.endswith("/token"):
            return httpx.Response(
                200,
                json={
                    "token_type": "Bearer",
                    "access_token": "AT-new",
                    "refresh_token": "RT-new",
                    "expires_in": 3600,
                    "scope": "https://ads.microsoft.com/msads.manage",
                },
            )
        if path == "/CustomerManagement/v13/User/Query":
            return httpx.Response(200, json={"User": {"Id": "77", "CustomerId": "160000001"}})
        if path == "/CustomerManagement/v13/Accounts/Search":
            accounts: list[dict[str, Any]] = [
                {
                    "Id": "180000001",
                    "Name": "Berlin",
                    "Number": "F1",
                    "CurrencyCode": "EUR",
                    "TimeZone": "AmsterdamBerlinBernRomeStockholmVienna",
                    "ParentCustomerId": "160000001",
                    "AccountLifeCycleStatus": "Active",
                },
                {
                    "Id": 180000002,
                    "Name": "NYC",
                    "Number": "F2",
                    "CurrencyCode": "USD",
                    "TimeZone": "EasternTimeUSCanada",
                    "ParentCustomerId": 160000002,
                },
                {
                    "Id": "180000003",
                    "Name": "Odd",
                    "TimeZone": "SomethingNew",
                    "ParentCustomerId": "160000001",
                },
            ]
            return httpx.Response(200, json={"Accounts": accounts})
        return httpx.Response(404)


async def test_start_asks_for_the_ads_scope_with_pkce() -> None:
    start = (
        await build(CFG)
        .oauth()
        .start(redirect_uri="https://cuecast.test/cb", server_url="", clients=NO_STORE)
    )
    parts = urlsplit(start.url)
    query = parse_qs(parts.query)
    assert parts.path.endswith("/common/oauth2/v2.0/authorize")
    assert query["scope"] == ["https://ads.microsoft.com/msads.manage offline_access"]
    assert query["response_type"] == ["code"] and query["client_id"] == ["cid"]
    assert query["code_challenge_method"] == ["S256"]
    assert start.session_data["code_verifier"]


async def test_finish_all_lists_every_ad_account() -> None:
    identity = Identity()
    flow = oauth.MicrosoftAdsOAuthFlow(
        CFG, lambda: http.async_client(transport=httpx.MockTransport(identity))
    )
    accounts = await flow.finish_all(
        code="c0de", redirect_uri="https://cuecast.test/cb", session_data={"code_verifier": "v"}
    )
    assert [a.external_id for a in accounts] == ["180000001", "180000002", "180000003"]
    berlin, nyc, odd = accounts
    assert berlin.settings["customer_id"] == "160000001"
    assert berlin.settings["currency"] == "EUR"
    assert berlin.settings["timezone"] == "Europe/Berlin"
    assert nyc.settings["timezone"] == "America/New_York"
    assert nyc.settings["customer_id"] == "160000002"
    assert (
        odd.settings["timezone"] == "UTC" and odd.settings["microsoft_timezone"] == "SomethingNew"
    )
    assert berlin.credentials["refresh_token"] == "RT-new"
    assert berlin.token_expires_at is not None
    token = parse_qs(identity.seen[0].content.decode())
    assert token["grant_type"] == ["authorization_code"] and token["code_verifier"] == ["v"]
    assert token["client_secret"] == ["csecret"]
    search = json.loads(identity.seen[2].content)
    assert search["Predicates"] == [{"Field": "UserId", "Operator": "Equals", "Value": "77"}]
    assert identity.seen[1].url.host == "clientcenter.api.bingads.microsoft.test"
    assert identity.seen[1].headers["DeveloperToken"] == "devtoken"


async def test_refresh_stores_the_rotated_refresh_token() -> None:
    identity = Identity()
    conn, client = connection(identity)
    async with client:
        credentials = await conn.refresh_credentials()
    assert credentials is not None
    assert credentials["refresh_token"] == "RT-new" and credentials["access_token"] == "AT-new"
    assert conn.account.credentials == credentials
    form = parse_qs(identity.seen[0].content.decode())
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["RT-1"]
