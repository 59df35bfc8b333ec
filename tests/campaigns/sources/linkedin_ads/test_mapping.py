"""Rest.li encoding, runSchedule times, budgets and statuses of LinkedIn campaigns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from cuecast.campaigns.sources.base import BudgetPeriod, RemoteStatus
from cuecast.campaigns.sources.linkedin_ads import campaigns as mapping
from cuecast.campaigns.sources.linkedin_ads import restli
from cuecast.campaigns.sources.linkedin_ads.client import LinkedInAdsConnection, windows

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
MS = 1_000


def test_restli_lists_records_and_urns() -> None:
    assert restli.encode(["urn:li:sponsoredCampaign:1", "urn:li:sponsoredCampaign:2"]) == (
        "List(urn%3Ali%3AsponsoredCampaign%3A1,urn%3Ali%3AsponsoredCampaign%3A2)"
    )
    assert restli.encode({"status": {"values": ["ACTIVE", "PAUSED"]}}) == (
        "(status:(values:List(ACTIVE,PAUSED)))"
    )
    assert restli.date_range(date(2026, 11, 1), date(2026, 11, 22)) == (
        "(start:(year:2026,month:11,day:1),end:(year:2026,month:11,day:22))"
    )
    # reserved characters inside a value never read as structure
    assert restli.encode("a,b (c):d") == "a%2Cb%20%28c%29%3Ad"
    assert restli.encode([]) == "List()"
    assert restli.query([("q", "search"), ("pageSize", 100)]) == "q=search&pageSize=100"


def test_analytics_query_shape() -> None:
    query = LinkedInAdsConnection.analytics_query(
        ["456", "789"], date(2026, 11, 1), date(2026, 11, 22)
    )
    assert query == (
        "/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY"
        "&dateRange=(start:(year:2026,month:11,day:1),end:(year:2026,month:11,day:22))"
        "&campaigns=List(urn%3Ali%3AsponsoredCampaign%3A456,urn%3Ali%3AsponsoredCampaign%3A789)"
        "&fields=dateRange,pivotValues,impressions,clicks,costInLocalCurrency,"
        "externalWebsiteConversions"
    )


def test_windows_cover_the_range_without_overlap() -> None:
    cut = list(windows(date(2026, 1, 1), date(2026, 1, 10), 4))
    assert cut == [
        (date(2026, 1, 1), date(2026, 1, 4)),
        (date(2026, 1, 5), date(2026, 1, 8)),
        (date(2026, 1, 9), date(2026, 1, 10)),
    ]
    assert list(windows(date(2026, 1, 1), date(2026, 1, 1), 150)) == [
        (date(2026, 1, 1), date(2026, 1, 1))
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"amount": "50.00", "currencyCode": "EUR"}, (Decimal("50.00"), "EUR")),
        ({"amount": "1234.5", "currencyCode": "usd"}, (Decimal("1234.5"), "USD")),
        ({"amount": "0", "currencyCode": "EUR"}, None),
        ({"amount": "x", "currencyCode": "EUR"}, None),
        ({"currencyCode": "EUR"}, None),
        (None, None),
        ("50", None),
    ],
)
def test_money(value: object, expected: tuple[Decimal, str] | None) -> None:
    assert mapping.money(value) == expected


def test_millis() -> None:
    assert mapping.from_millis(1_764_547_200_000) == datetime(2025, 12, 1, tzinfo=UTC)
    assert mapping.from_millis(None) is None and mapping.from_millis(True) is None
    assert mapping.from_millis(0) is None


PAST = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp()) * MS
FUTURE = int(datetime(2026, 12, 24, tzinfo=UTC).timestamp()) * MS


@pytest.mark.parametrize(
    ("status", "schedule", "expected"),
    [
        ("ACTIVE", {"start": PAST}, RemoteStatus.ACTIVE),
        ("ACTIVE", {"start": FUTURE}, RemoteStatus.PENDING),
        ("ACTIVE", {"start": PAST - 9 * MS, "end": PAST}, RemoteStatus.ENDED),
        ("PAUSED", {"start": PAST}, RemoteStatus.PAUSED),
        ("PAUSED", {"start": PAST - 9 * MS, "end": PAST}, RemoteStatus.ENDED),
        ("COMPLETED", {"start": PAST}, RemoteStatus.ENDED),
        ("ARCHIVED", {"start": PAST}, RemoteStatus.REMOVED),
        ("CANCELED", {"start": PAST}, RemoteStatus.REMOVED),
        ("REMOVED", {"start": PAST}, RemoteStatus.REMOVED),
        ("PENDING_DELETION", {"start": PAST}, RemoteStatus.REMOVED),
        ("DRAFT", {"start": FUTURE}, RemoteStatus.PENDING),
        ("SOMETHING_NEW", {}, RemoteStatus.PENDING),
    ],
)
def test_status(status: str, schedule: dict[str, Any], expected: RemoteStatus) -> None:
    campaign = mapping.remote_campaign(
        {"id": 1, "name": "c", "status": status, "runSchedule": schedule}, currency="EUR", now=NOW
    )
    assert campaign.status is expected and campaign.status_raw == status


def test_campaign_fields() -> None:
    campaign = mapping.remote_campaign(
        {
            "id": 456,
            "name": "Webinar",
            "status": "ACTIVE",
            "runSchedule": {"start": PAST, "end": FUTURE},
            "totalBudget": {"amount": "5000.00", "currencyCode": "EUR"},
            "servingStatuses": ["CAMPAIGN_TOTAL_BUDGET_HIT"],
        },
        currency="USD",
        now=NOW,
    )
    assert campaign.external_id == "456" and campaign.timezone == "UTC"
    assert campaign.starts_at == datetime(2026, 11, 1, tzinfo=UTC)
    assert campaign.ends_at == datetime(2026, 12, 24, tzinfo=UTC)
    assert (campaign.budget_amount, campaign.budget_period, campaign.currency) == (
        Decimal("5000.00"),
        BudgetPeriod.LIFETIME,
        "EUR",
    )
    assert campaign.budget_exhausted


def test_daily_budget_is_preferred_and_open_end_stays_open() -> None:
    campaign = mapping.remote_campaign(
        {
            "id": "urn:li:sponsoredCampaign:9",
            "status": "ACTIVE",
            "runSchedule": {"start": PAST},
            "dailyBudget": {"amount": "50.00", "currencyCode": "EUR"},
            "totalBudget": {"amount": "900.00", "currencyCode": "EUR"},
        },
        currency="EUR",
        now=NOW,
    )
    assert campaign.external_id == "9" and campaign.ends_at is None
    assert (campaign.budget_amount, campaign.budget_period) == (
        Decimal("50.00"),
        BudgetPeriod.DAILY,
    )
    assert not campaign.budget_exhausted
