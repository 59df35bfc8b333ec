"""The LinkedIn Ads connection over httpx.MockTransport: headers, Rest.li query strings, campaign
paging, adAnalytics batching under the 15,000-element cap, connect and refresh."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import pytest

from cuecast import config, http
from cuecast.campaigns.sources.linkedin_ads import LinkedInAdsConnection, LinkedInAdsSource
from cuecast.campaigns.sources.linkedin_ads import client as client_module
from cuecast.networks import errors as tree
from cuecast.networks.base import Account
from cuecast.networks.linkedin.api import API_VERSION

pytestmark = pytest.mark.anyio

CFG = dataclasses.replace(
    config.load(),
    linkedin_api_url="https://api.linkedin.test",
    linkedin_oauth_url="https://www.linkedin.test/oauth/v2",
    linkedin_client_id="client",
    linkedin_client_secret="client-secret",
)
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
DATE = re.compile(r"\(year:(\d+),month:(\d+),day:(\d+)\)")


def account(**credentials: Any) -> Account:
    return Account(
        external_id="508000001",
        handle="Demo Ads",
        base_url="",
        credentials={"access_token": "LI-secret", **credentials},
        settings={"currency": "EUR", "timezone": "UTC"},
    )


class FakeLinkedIn:
    def __init__(self, campaigns: int = 3) -> None:
        self.requests: list[httpx.Request] = []
        self.campaign_count = campaigns
        self.cap = 15_000

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/oauth/v2/accessToken":
            form = parse_qs(request.content.decode())
            token = "LI-new" if form["grant_type"] == ["refresh_token"] else "LI-secret"
            return httpx.Response(200, json={"access_token": token, "expires_in": 5_184_000})
        assert request.headers["linkedin-version"] == API_VERSION
        assert request.headers["x-restli-protocol-version"] == "2.0.0"
        assert request.headers["authorization"] == "Bearer LI-secret"
        raw = request.url.query.decode()
        if path == "/rest/adAccountUsers":
            assert "q=authenticatedUser" in raw
            return httpx.Response(200, json={"elements": [
                {"account": "urn:li:sponsoredAccount:508000001", "role": "VIEWER"},
                {"account": "urn:li:sponsoredAccount:508000002", "role": "ACCOUNT_MANAGER"},
            ]})  # fmt: skip
        if path.startswith("/rest/adAccounts/") and path.count("/") == 3:
            ident = path.rsplit("/", 1)[-1]
            currency = "EUR" if ident.endswith("1") else "USD"
            return httpx.Response(200, json={"id": int(ident), "name": f"Account {ident}",
                                             "currency": currency, "status": "ACTIVE"})  # fmt: skip
        if path == "/rest/adAccounts/508000001/adCampaigns":
            assert "search=(status:(values:List(ACTIVE,PAUSED,ARCHIVED,COMPLETED," in raw
            start = 0
            page_token = parse_qs(raw).get("pageToken")
            if page_token:
                start = int(page_token[0])
            ids = list(range(1, self.campaign_count + 1))[start : start + 2]
            body: dict[str, Any] = {"elements": [
                {"id": i, "name": f"C{i}", "status": "ACTIVE",
                 "runSchedule": {"start": 1_761_955_200_000},
                 "dailyBudget": {"amount": "25.50", "currencyCode": "EUR"}} for i in ids
            ], "metadata": {}}  # fmt: skip
            if start + 2 < self.campaign_count:
                body["metadata"]["nextPageToken"] = str(start + 2)
            return httpx.Response(200, json=body)
        if path == "/rest/adAnalytics":
            return httpx.Response(200, json={"elements": self.analytics(raw)})
        return httpx.Response(404, json={"status": 404, "message": "Not Found"})

    def analytics(self, raw: str) -> list[dict[str, Any]]:
        assert "q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY" in raw
        fields = raw.split("&fields=")[1].split(",")
        assert len(fields) <= 20
        (y1, m1, d1), (y2, m2, d2) = DATE.findall(raw.split("dateRange=")[1])
        first, last = date(int(y1), int(m1), int(d1)), date(int(y2), int(m2), int(d2))
        campaigns = re.search(r"campaigns=List\(([^)]*)\)", raw)
        assert campaigns is not None
        urns = [unquote(u) for u in campaigns.group(1).split(",")]
        elements = []
        day = first
        while day <= last:
            for urn in urns:
                n = int(urn.rsplit(":", 1)[-1])
                elements.append({
                    "dateRange": {"start": {"year": day.year, "month": day.month, "day": day.day},
                                  "end": {"year": day.year, "month": day.month, "day": day.day}},
                    "pivotValues": [urn], "impressions": 100 + n, "clicks": n,
                    "costInLocalCurrency": "1.01", "externalWebsiteConversions": 1,
                })  # fmt: skip
            day += timedelta(days=1)
        return elements[: self.cap]  # LinkedIn truncates silently


def connect(fake: FakeLinkedIn, **credentials: Any) -> LinkedInAdsConnection:
    client = http.async_client(transport=httpx.MockTransport(fake))
    return LinkedInAdsConnection(account(**credentials), client, CFG, clock=lambda: NOW)


async def test_campaigns_follow_page_tokens() -> None:
    fake = FakeLinkedIn(campaigns=5)
    campaigns = await connect(fake).list_campaigns()
    assert [c.external_id for c in campaigns] == ["1", "2", "3", "4", "5"]
    assert len(fake.requests) == 3
    assert campaigns[0].budget_amount == Decimal("25.50")
    assert campaigns[0].starts_at == datetime(2025, 11, 1, tzinfo=UTC)


async def test_metrics_are_exact_and_in_utc_days() -> None:
    fake = FakeLinkedIn()
    metrics = await connect(fake).daily_metrics(["1", "2"], date(2026, 11, 1), date(2026, 11, 3))
    assert len(metrics) == 6
    assert sum(m.spend for m in metrics) == Decimal("6.06")
    assert sum(m.conversions for m in metrics) == Decimal(6)
    assert {m.currency for m in metrics} == {"EUR"}
    assert metrics[0].campaign_external_id == "1" and metrics[0].impressions == 101
    assert len(fake.requests) == 1


async def test_big_requests_are_cut_under_the_element_cap() -> None:
    fake = FakeLinkedIn()
    ids = [str(i) for i in range(1, 251)]  # 250 campaigns x 366 days = 91,500 rows
    metrics = await connect(fake).daily_metrics(ids, date(2025, 11, 1), date(2026, 11, 1))
    assert len(metrics) == 250 * 366
    assert len({(m.campaign_external_id, m.day) for m in metrics}) == len(metrics)
    for request in fake.requests:
        raw = request.url.query.decode()
        urns = raw.split("campaigns=List(")[1].split(")")[0].split(",")
        (y1, m1, d1), (y2, m2, d2) = DATE.findall(raw.split("dateRange=")[1])
        days = (date(int(y2), int(m2), int(d2)) - date(int(y1), int(m1), int(d1))).days + 1
        assert len(urns) * days <= client_module.MAX_ELEMENTS


async def test_an_answer_at_the_cap_is_split_again(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeLinkedIn()
    fake.cap = 10  # truncates at 10 elements; the client believes the cap is 10 too
    monkeypatch.setattr(client_module, "MAX_ELEMENTS", 10)
    metrics = await connect(fake).daily_metrics(
        ["1", "2", "3"], date(2026, 11, 1), date(2026, 11, 10)
    )
    assert len(metrics) == 30


async def test_connect_lists_every_ad_account_of_the_member() -> None:
    fake = FakeLinkedIn()
    source = LinkedInAdsSource(CFG, transport=httpx.MockTransport(fake))
    start = await source.oauth().start(redirect_uri="https://cuecast.test/cb", server_url="")
    assert "scope=r_ads+r_ads_reporting" in start.url
    accounts = await source.oauth().finish_all(
        code="c", redirect_uri="https://cuecast.test/cb", session_data={}
    )
    assert [(a.external_id, a.display_name) for a in accounts] == [
        ("508000001", "Account 508000001"),
        ("508000002", "Account 508000002"),
    ]
    assert accounts[0].settings == {
        "currency": "EUR",
        "timezone": "UTC",
        "role": "VIEWER",
        "status": "ACTIVE",
        "type": "",
        "test": False,
    }
    assert accounts[1].settings["currency"] == "USD"
    assert accounts[0].credentials["access_token"] == "LI-secret"
    assert accounts[0].token_expires_at is not None


async def test_refresh_only_with_a_refresh_token() -> None:
    fake = FakeLinkedIn()
    assert await connect(fake).refresh_credentials() is None
    conn = connect(fake, refresh_token="R", refresh_expires_at="2027-06-01T00:00:00+00:00")
    fresh = await conn.refresh_credentials()
    assert fresh is not None and fresh["access_token"] == "LI-new"
    assert fresh["refresh_token"] == "R" and conn.account.credentials == fresh


async def test_no_token_means_reconnect_or_refresh() -> None:
    fake = FakeLinkedIn()
    conn = connect(fake)
    conn.account.credentials = {}
    with pytest.raises(tree.Disconnected):
        await conn.list_campaigns()
    conn.account.credentials = {"refresh_token": "R"}
    with pytest.raises(tree.AuthExpired):
        await conn.list_campaigns()
