"""GoogleAdsConnection over MockTransport: the wire format Google documents (proto3 JSON,
lowerCamelCase, int64 as strings, paging by nextPageToken), both date-field generations, the
status table, exact micros, headers, refreshing an hour-old token."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from cuecast.campaigns.sources.base import BudgetPeriod, RemoteStatus
from cuecast.campaigns.sources.google import api, client
from cuecast.networks import errors as tree

from .conftest import CFG, CUSTOMER, account, connection

pytestmark = pytest.mark.anyio
BERLIN = ZoneInfo("Europe/Berlin")
CUSTOMER_ROW = {
    "customer": {
        "resourceName": f"customers/{CUSTOMER}",
        "id": CUSTOMER,
        "descriptiveName": "ACME GmbH",
        "currencyCode": "EUR",
        "timeZone": "Europe/Berlin",
        "manager": False,
    }
}


def campaign_row(cid: str, **campaign: Any) -> dict[str, Any]:
    budget = campaign.pop("budget", {"amountMicros": "50000000", "period": "DAILY"})
    return {
        "campaign": {
            "resourceName": f"customers/{CUSTOMER}/campaigns/{cid}",
            "id": cid,
            **campaign,
        },
        "campaignBudget": {"resourceName": f"customers/{CUSTOMER}/campaignBudgets/9", **budget},
    }


class FakeAds:
    """A tiny Google Ads: answers the customer query and serves `pages` for everything else."""

    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self.pages = pages
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "AT-new", "expires_in": 3599})
        body = json.loads(request.content)
        if body["query"].endswith("FROM customer"):
            return httpx.Response(200, json={"results": [CUSTOMER_ROW]})
        index = int(body.get("pageToken", "0") or 0)
        page: dict[str, Any] = {"results": self.pages[index], "fieldMask": "campaign.id"}
        if index + 1 < len(self.pages):
            page["nextPageToken"] = str(index + 1)
        return httpx.Response(200, json=page)


async def test_campaigns_with_the_older_date_fields() -> None:
    fake = FakeAds(
        [
            [
                campaign_row(
                    "111",
                    name="Winter sale",
                    status="ENABLED",
                    primaryStatus="ELIGIBLE",
                    servingStatus="SERVING",
                    advertisingChannelType="SEARCH",
                    startDate="2026-11-01",
                    endDate="2026-11-30",
                ),
                campaign_row(
                    "112",
                    name="Always on",
                    status="ENABLED",
                    primaryStatus="LIMITED",
                    primaryStatusReasons=["BUDGET_CONSTRAINED"],
                    startDate="2026-01-01",
                    endDate="2037-12-30",
                ),
            ]
        ]
    )
    conn, http = connection(fake)
    async with http:
        campaigns = {c.external_id: c for c in await conn.list_campaigns()}
    winter = campaigns["111"]
    assert winter.starts_at == datetime(2026, 11, 1, tzinfo=BERLIN)
    assert winter.ends_at == datetime(2026, 12, 1, tzinfo=BERLIN)  # the END of Nov 30
    assert winter.timezone == "Europe/Berlin"
    assert winter.status is RemoteStatus.ACTIVE and winter.status_raw == "ENABLED (ELIGIBLE)"
    assert winter.budget_amount == Decimal("50") and winter.budget_period is BudgetPeriod.DAILY
    assert winter.currency == "EUR"
    always = campaigns["112"]
    assert always.ends_at is None  # 2037-12-30 is "runs indefinitely"
    assert always.status is RemoteStatus.ACTIVE
    assert always.budget_exhausted is False  # BUDGET_CONSTRAINED is pacing, not exhaustion
    search = fake.requests[-1]
    assert search.url.path == f"/v22/customers/{CUSTOMER}/googleAds:search"
    assert "campaign.start_date," in json.loads(search.content)["query"]


async def test_campaigns_with_the_newer_date_time_fields() -> None:
    fake = FakeAds(
        [
            [
                campaign_row(
                    "111",
                    name="Winter sale",
                    status="ENABLED",
                    primaryStatus="ELIGIBLE",
                    startDateTime="2026-11-01 00:00:00",
                    endDateTime="2026-11-30 23:59:59",
                ),
                campaign_row(
                    "113",
                    name="Launch hour",
                    status="ENABLED",
                    primaryStatus="PENDING",
                    startDateTime="2026-12-03 09:30:00",
                    endDateTime="2026-12-03 18:00:00",
                ),
                campaign_row(
                    "114", name="Open", status="PAUSED", startDateTime="2026-02-01 00:00:00"
                ),
                # A row that (oddly) carries both generations: the newer one wins.
                campaign_row(
                    "115",
                    name="Both",
                    status="ENABLED",
                    startDate="2026-01-01",
                    startDateTime="2026-01-02 00:00:00",
                    endDate="2026-01-31",
                    endDateTime="2026-01-30 23:59:59",
                ),
            ]
        ]
    )
    conn, http = connection(fake, cfg=dataclasses.replace(CFG, google_ads_api_version="v23"))
    async with http:
        campaigns = {c.external_id: c for c in await conn.list_campaigns()}
    # Same flight as the v22 test: both generations give the same instants.
    assert campaigns["111"].starts_at == datetime(2026, 11, 1, tzinfo=BERLIN)
    assert campaigns["111"].ends_at == datetime(2026, 12, 1, tzinfo=BERLIN)
    assert campaigns["113"].starts_at == datetime(2026, 12, 3, 9, 30, tzinfo=BERLIN)
    assert campaigns["113"].ends_at == datetime(2026, 12, 3, 18, tzinfo=BERLIN)
    assert campaigns["113"].status is RemoteStatus.PENDING
    assert campaigns["114"].ends_at is None and campaigns["114"].status is RemoteStatus.PAUSED
    assert campaigns["115"].starts_at == datetime(2026, 1, 2, tzinfo=BERLIN)
    assert campaigns["115"].ends_at == datetime(2026, 1, 31, tzinfo=BERLIN)
    assert fake.requests[-1].url.path == f"/v23/customers/{CUSTOMER}/googleAds:search"
    assert "campaign.start_date_time" in json.loads(fake.requests[-1].content)["query"]


@pytest.mark.parametrize(
    ("status", "primary", "serving", "expected"),
    [
        ("ENABLED", "ENDED", "ENDED", RemoteStatus.ENDED),
        ("ENABLED", "PENDING", "PENDING", RemoteStatus.PENDING),
        ("ENABLED", "ELIGIBLE", "SERVING", RemoteStatus.ACTIVE),
        ("ENABLED", "LIMITED", "SERVING", RemoteStatus.ACTIVE),
        ("ENABLED", "LEARNING", "SERVING", RemoteStatus.ACTIVE),
        ("ENABLED", "NOT_ELIGIBLE", "SERVING", RemoteStatus.ACTIVE),
        ("ENABLED", "PAUSED", "SERVING", RemoteStatus.PAUSED),  # campaign group paused
        ("ENABLED", "", "ENDED", RemoteStatus.ENDED),  # no primary status: serving_status
        ("ENABLED", "", "PENDING", RemoteStatus.PENDING),
        ("ENABLED", "", "", RemoteStatus.ACTIVE),
        ("PAUSED", "PAUSED", "SERVING", RemoteStatus.PAUSED),
        ("PAUSED", "ENDED", "ENDED", RemoteStatus.PAUSED),  # the user's pause is what holds posts
        ("REMOVED", "REMOVED", "NONE", RemoteStatus.REMOVED),
    ],
)
def test_status_table(status: str, primary: str, serving: str, expected: RemoteStatus) -> None:
    assert client.remote_status(status, primary, serving) is expected


def test_no_primary_status_reason_means_budget_exhausted() -> None:
    assert not client.EXHAUSTED_REASONS


async def test_budgets_in_exact_micros_and_custom_periods() -> None:
    fake = FakeAds(
        [
            [
                campaign_row(
                    "1", status="ENABLED", budget={"amountMicros": "12345678", "period": "DAILY"}
                ),
                campaign_row(
                    "2",
                    status="ENABLED",
                    budget={"totalAmountMicros": "9007199254740993", "period": "CUSTOM_PERIOD"},
                ),
                campaign_row("3", status="ENABLED", budget={}),
            ]
        ]
    )
    conn, http = connection(fake)
    async with http:
        campaigns = {c.external_id: c for c in await conn.list_campaigns()}
    assert campaigns["1"].budget_amount == Decimal("12.345678")
    # Beyond a float's 53 bits: still exact.
    assert campaigns["2"].budget_amount == Decimal("9007199254.740993")
    assert campaigns["2"].budget_period is BudgetPeriod.LIFETIME
    assert campaigns["3"].budget_amount is None and campaigns["3"].budget_period is None


async def test_pages_are_followed() -> None:
    pages = [
        [campaign_row(str(100 + p * 10 + i), status="ENABLED") for i in range(3)] for p in range(3)
    ]
    fake = FakeAds(pages)
    conn, http = connection(fake)
    async with http:
        campaigns = await conn.list_campaigns()
    assert len(campaigns) == 9
    tokens = [json.loads(r.content).get("pageToken") for r in fake.requests[1:]]
    assert tokens == [None, "1", "2"]


async def test_daily_metrics_are_exact() -> None:
    rows: list[dict[str, Any]] = [
        {
            "campaign": {"id": "111"},
            "segments": {"date": "2026-11-01"},
            "metrics": {
                "impressions": "1200",
                "clicks": "31",
                "costMicros": "10010000",
                "conversions": 2.333333333333333,
            },
        },
        {
            "campaign": {"id": "111"},
            "segments": {"date": "2026-11-02"},
            "metrics": {"impressions": "5", "costMicros": "990000", "conversions": 0},
        },
        {"campaign": {"id": "111"}, "segments": {"date": "2026-11-03"}, "metrics": {}},
    ]
    fake = FakeAds([rows])
    conn, http = connection(fake)
    async with http:
        metrics = await conn.daily_metrics(["111"], date(2026, 11, 1), date(2026, 11, 3))
    assert [m.day for m in metrics] == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert metrics[0].spend == Decimal("10.01") and metrics[0].clicks == 31
    assert metrics[0].conversions == Decimal("2.333333333333333")
    assert metrics[1].clicks == 0 and metrics[1].conversions == Decimal(0)
    assert metrics[2].spend == Decimal(0) and metrics[2].impressions == 0
    assert sum((m.spend for m in metrics), Decimal(0)) == Decimal("11.00")
    assert {m.currency for m in metrics} == {"EUR"}
    query = json.loads(fake.requests[-1].content)["query"]
    assert "segments.date BETWEEN '2026-11-01' AND '2026-11-03'" in query


async def test_no_ids_no_call() -> None:
    fake = FakeAds([[]])
    conn, http = connection(fake)
    async with http:
        assert await conn.daily_metrics([], date(2026, 11, 1), date(2026, 11, 3)) == []
    assert fake.requests == []


async def test_headers_developer_token_only_when_configured_and_login_customer() -> None:
    fake = FakeAds([[]])
    conn, http = connection(fake)
    async with http:
        await conn.list_campaigns()
    sent = fake.requests[-1].headers
    assert sent["authorization"] == "Bearer AT-secret"
    assert "developer-token" not in sent and "login-customer-id" not in sent

    fake = FakeAds([[]])
    cfg = dataclasses.replace(CFG, google_ads_developer_token="DEVTOKEN1234567890abcd")
    acct = account(settings={"login_customer_id": "9876543210", "timezone": "Europe/Berlin"})
    conn, http = connection(fake, cfg=cfg, acct=acct)
    async with http:
        await conn.list_campaigns()
    sent = fake.requests[-1].headers
    assert sent["developer-token"] == "DEVTOKEN1234567890abcd"
    assert sent["login-customer-id"] == "9876543210"


async def test_an_expired_access_token_is_refreshed_first() -> None:
    fake = FakeAds([[]])
    acct = account(expires_in=timedelta(seconds=-5))
    conn, http = connection(fake, acct=acct)
    async with http:
        await conn.list_campaigns()
    token_call = fake.requests[0]
    assert token_call.url.path == "/token"
    form = dict(x.split("=", 1) for x in token_call.content.decode().split("&"))
    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == "RT-secret"
    assert fake.requests[-1].headers["authorization"] == "Bearer AT-new"
    # The refresh token is kept: Google does not send it again.
    assert conn.account.credentials["refresh_token"] == "RT-secret"
    assert datetime.fromisoformat(conn.account.credentials["expires_at"]) > datetime.now(UTC)


def test_dates_in_the_customer_zone() -> None:
    assert api.start_at("2026-03-29", BERLIN) == datetime(2026, 3, 29, tzinfo=BERLIN)
    # The day the clocks go forward still ends at the next midnight.
    end = api.end_at("2026-03-29", BERLIN)
    assert end is not None and end.astimezone(UTC) == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert api.end_at("", BERLIN) is None
    with pytest.raises(tree.Permanent):
        api.start_at("29.03.2026", BERLIN)
