"""Listing campaigns over MockTransport: every type asked for, headers, dates, status, budget."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from cuecast.campaigns.sources.base import BudgetPeriod, RemoteStatus
from cuecast.campaigns.sources.microsoft import campaigns

from .helpers import ACCOUNT_ID, CUSTOMER_ID, connection

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def campaign(cid: str, **fields: Any) -> dict[str, Any]:
    return {
        "Id": cid,
        "Name": f"Campaign {cid}",
        "Status": "Active",
        "DailyBudget": 25.5,
        "BudgetType": "DailyBudgetStandard",
        "TimeZone": "AmsterdamBerlinBernRomeStockholmVienna",
        "CampaignType": "Search",
        **fields,
    }


class CampaignService:
    def __init__(self, rows: list[dict[str, Any]], groups: dict[str, list[dict[str, Any]]]):
        self.rows = rows
        self.groups = groups
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        body = json.loads(request.content)
        if request.url.path == "/CampaignManagement/v13/Campaigns/QueryByAccountId":
            return httpx.Response(200, content=json.dumps({"Campaigns": self.rows}))
        if request.url.path == "/CampaignManagement/v13/AdGroups/QueryByCampaignId":
            return httpx.Response(200, json={"AdGroups": self.groups.get(body["CampaignId"], [])})
        return httpx.Response(404)


async def test_asks_for_every_type_with_the_account_headers() -> None:
    service = CampaignService([], {})
    conn, client = connection(service)
    async with client:
        assert await conn.list_campaigns() == []
    request = service.seen[0]
    body = json.loads(request.content)
    assert body["AccountId"] == ACCOUNT_ID
    assert [t.strip() for t in body["CampaignType"].split(",")] == list(campaigns.CAMPAIGN_TYPES)
    assert request.headers["Authorization"] == "Bearer AT-secret"
    assert request.headers["DeveloperToken"] == "devtoken"
    assert request.headers["CustomerId"] == CUSTOMER_ID
    assert request.headers["CustomerAccountId"] == ACCOUNT_ID


async def test_campaign_dates_ad_group_dates_and_budget() -> None:
    rows = [
        campaign(
            "1",
            UseCampaignLevelDates=True,
            StartDate="2026-11-01T00:00:00",
            EndDate={"Year": 2026, "Month": 12, "Day": 24},
        ),
        campaign("2", UseCampaignLevelDates=False, StartDate=None, EndDate=None),
        campaign("3", TimeZone=None, DailyBudget=None),
    ]
    groups: dict[str, list[dict[str, Any]]] = {
        "2": [
            {
                "Id": "a",
                "Status": "Active",
                "StartDate": {"Year": 2026, "Month": 11, "Day": 10},
                "EndDate": {"Year": 2026, "Month": 11, "Day": 30},
            },
            {
                "Id": "b",
                "Status": "Paused",
                "StartDate": {"Year": 2026, "Month": 11, "Day": 5},
                "EndDate": {"Year": 2026, "Month": 12, "Day": 2},
            },
            {
                "Id": "c",
                "Status": "Deleted",
                "StartDate": {"Year": 2026, "Month": 1, "Day": 1},
                "EndDate": None,
            },
        ],
        "3": [
            {
                "Id": "d",
                "Status": "Active",
                "StartDate": {"Year": 2026, "Month": 11, "Day": 1},
                "EndDate": None,
            },
        ],
    }
    service = CampaignService(rows, groups)
    conn, client = connection(service, clock=lambda: NOW)
    async with client:
        found = {c.external_id: c for c in await conn.list_campaigns()}
    first = found["1"]
    assert first.starts_at == datetime(2026, 11, 1, tzinfo=BERLIN)
    assert first.ends_at == datetime(2026, 12, 25, tzinfo=BERLIN)  # the end day runs to midnight
    assert first.timezone == "Europe/Berlin"
    assert (first.budget_amount, first.budget_period) == (Decimal("25.5"), BudgetPeriod.DAILY)
    assert first.currency == "EUR"
    second = found["2"]
    assert second.starts_at == datetime(2026, 11, 5, tzinfo=BERLIN)
    assert second.ends_at == datetime(2026, 12, 3, tzinfo=BERLIN)
    third = found["3"]
    assert third.starts_at == datetime(2026, 11, 1, tzinfo=BERLIN)  # the account's zone
    assert third.ends_at is None  # an ad group without an end: the campaign has none
    assert third.budget_amount is None and third.budget_period is None
    paths = [r.url.path for r in service.seen]
    assert paths.count("/CampaignManagement/v13/AdGroups/QueryByCampaignId") == 2


BERLIN_START = datetime(2026, 11, 1, tzinfo=BERLIN)
STATUS_ROWS = [
    ("Active", None, None, RemoteStatus.ACTIVE, False),
    ("Paused", None, None, RemoteStatus.PAUSED, False),
    ("BudgetPaused", None, None, RemoteStatus.ACTIVE, True),
    ("BudgetAndManualPaused", None, None, RemoteStatus.PAUSED, True),
    ("Suspended", None, None, RemoteStatus.PAUSED, False),
    ("Deleted", None, datetime(2026, 1, 1, tzinfo=UTC), RemoteStatus.REMOVED, False),
    ("Active", None, datetime(2026, 11, 23, tzinfo=BERLIN), RemoteStatus.ENDED, False),
    ("Paused", None, datetime(2026, 11, 20, tzinfo=BERLIN), RemoteStatus.ENDED, False),
    ("Active", datetime(2026, 12, 1, tzinfo=BERLIN), None, RemoteStatus.PENDING, False),
    ("Active", None, datetime(2026, 11, 24, tzinfo=BERLIN), RemoteStatus.ACTIVE, False),
]


@pytest.mark.parametrize(("raw", "start", "end", "expected", "exhausted"), STATUS_ROWS)
def test_status_mapping(
    raw: str,
    start: datetime | None,
    end: datetime | None,
    expected: RemoteStatus,
    exhausted: bool,
) -> None:
    assert campaigns.status(raw, start, end, NOW) == (expected, exhausted)


def test_lifetime_budget_and_day_parsing() -> None:
    assert campaigns.budget(
        {"BudgetType": "LifetimeBudgetStandard", "LifetimeBudgetAmount": Decimal("900")}
    ) == (Decimal("900"), BudgetPeriod.LIFETIME)
    assert campaigns.parse_day({"Year": 2026, "Month": 2, "Day": 30}) is None
    assert campaigns.parse_day("2026-02-03") == date(2026, 2, 3)
    assert campaigns.parse_day(None) is None
