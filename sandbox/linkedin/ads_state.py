"""The LinkedIn Marketing API part of the LinkedIn emulator's state: sponsored (ad) accounts with
their members' roles, campaigns and daily analytics rows (UTC days)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

CAMPAIGN_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "ARCHIVED",
    "COMPLETED",
    "CANCELED",
    "DRAFT",
    "PENDING_DELETION",
    "REMOVED",
)
ACCOUNT_STATUSES = ("ACTIVE", "CANCELED", "DRAFT", "PENDING_DELETION", "REMOVED")
DEMO_ACCOUNT = "508800001"
OTHER_ACCOUNT = "508800002"


@dataclass
class SponsoredAccount:
    id: str  # numeric
    name: str
    currency: str
    reference: str  # the organization URN
    roles: dict[str, str]  # member URN -> role (ACCOUNT_BILLING_ADMIN, ACCOUNT_MANAGER, VIEWER...)
    status: str = "ACTIVE"

    @property
    def urn(self) -> str:
        return f"urn:li:sponsoredAccount:{self.id}"


@dataclass
class SponsoredCampaign:
    id: str
    account_id: str
    name: str
    status: str
    start_ms: int
    end_ms: int | None
    daily_budget: Decimal | None
    total_budget: Decimal | None
    created_ms: int
    modified_ms: int
    objective: str = "WEBSITE_VISIT"
    type: str = "SPONSORED_UPDATES"

    @property
    def urn(self) -> str:
        return f"urn:li:sponsoredCampaign:{self.id}"


@dataclass
class AnalyticsRow:
    impressions: int = 0
    clicks: int = 0
    cost: Decimal = Decimal("0")  # costInLocalCurrency
    conversions: int = 0  # externalWebsiteConversions
    landing_page_clicks: int = 0
    leads: int = 0  # oneClickLeads


@dataclass
class LinkedInAds:
    accounts: dict[str, SponsoredAccount] = field(default_factory=dict)
    campaigns: dict[str, SponsoredCampaign] = field(default_factory=dict)
    metrics: dict[tuple[str, date], AnalyticsRow] = field(default_factory=dict)
    next_id: int = 700000100

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def member_accounts(self, member_urn: str) -> list[SponsoredAccount]:
        return [a for a in self.accounts.values() if member_urn in a.roles]


def _row(campaign_id: str, day: date) -> AnalyticsRow:
    digest = hashlib.sha256(f"li:{campaign_id}:{day.isoformat()}".encode()).digest()
    impressions = 500 + digest[0] * 5 + digest[1]
    clicks = max(1, impressions // (60 + digest[2] % 60))
    cost = (Decimal(impressions) * Decimal("0.031") + Decimal(digest[3]) / 100).quantize(
        Decimal("0.01")
    )
    return AnalyticsRow(
        impressions=impressions,
        clicks=clicks,
        cost=cost,
        conversions=digest[4] % 4,
        landing_page_clicks=max(clicks - digest[5] % 3, 0),
        leads=digest[6] % 2,
    )


def seed_ads(now: float | None = None) -> LinkedInAds:
    """The demo member's EUR account with four campaigns around today (UTC days) and the other
    member's account."""
    ads = LinkedInAds()
    stamp = time.time() if now is None else now
    today = datetime.fromtimestamp(stamp, UTC).date()

    def ms(days: int, hour: int = 0) -> int:
        moment = datetime.combine(today + timedelta(days=days), datetime.min.time(), UTC)
        return int((moment.timestamp() + hour * 3600) * 1000)

    demo_member = "urn:li:person:Cu3cDemo01"
    other_member = "urn:li:person:Cu3cOther2"
    ads.accounts[DEMO_ACCOUNT] = SponsoredAccount(
        DEMO_ACCOUNT,
        "Cuecast Demo Sponsored",
        "EUR",
        "urn:li:organization:104857601",
        {demo_member: "ACCOUNT_MANAGER"},
    )
    ads.accounts[OTHER_ACCOUNT] = SponsoredAccount(
        OTHER_ACCOUNT,
        "Other Example Sponsored",
        "USD",
        "urn:li:organization:104857603",
        {other_member: "ACCOUNT_BILLING_ADMIN"},
    )
    seeds: list[tuple[str, str, str, int, int | None, str | None, str | None]] = [
        ("700000001", "Webinar Signups", "ACTIVE", ms(-10), ms(20), "50.00", None),
        ("700000002", "Product Launch", "ACTIVE", ms(5, 8), ms(35), None, "3000.00"),
        ("700000003", "Hiring Push", "COMPLETED", ms(-40), ms(-3), "40.00", None),
        ("700000004", "Thought Leadership", "PAUSED", ms(-20), None, "25.00", None),
    ]
    for cid, name, status, start, end, daily, total in seeds:
        ads.campaigns[cid] = SponsoredCampaign(
            id=cid,
            account_id=DEMO_ACCOUNT,
            name=name,
            status=status,
            start_ms=start,
            end_ms=end,
            daily_budget=Decimal(daily) if daily else None,
            total_budget=Decimal(total) if total else None,
            created_ms=min(start, ms(-45)),
            modified_ms=min(start, ms(-45)),
        )
    ads.campaigns["700000009"] = SponsoredCampaign(
        "700000009", OTHER_ACCOUNT, "Other Campaign", "ACTIVE", ms(-5), None,
        Decimal("10.00"), None, ms(-6), ms(-6),
    )  # fmt: skip
    for campaign in list(ads.campaigns.values()):
        if campaign.account_id != DEMO_ACCOUNT:
            continue
        day = datetime.fromtimestamp(campaign.start_ms / 1000, UTC).date()
        last = today - timedelta(days=1)
        if campaign.end_ms is not None:
            last = min(last, datetime.fromtimestamp(campaign.end_ms / 1000 - 1, UTC).date())
        if campaign.status == "PAUSED":
            last = min(last, today - timedelta(days=8))
        while day <= last:
            ads.metrics[(campaign.id, day)] = _row(campaign.id, day)
            day += timedelta(days=1)
    return ads
