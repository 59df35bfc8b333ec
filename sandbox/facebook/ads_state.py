"""The Meta Marketing API part of the Facebook emulator's state: ad accounts, campaigns, ad sets,
daily insights rows and async report runs.

Money: budgets are integers in the currency's minor unit (served as strings, as Meta does);
spend is a ``Decimal`` in major units. Days are dates in the ad account's ``timezone_name``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.common.ids import Snowflake

CAMPAIGN_STATUSES = ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED")
CAMPAIGN_EFFECTIVE = (*CAMPAIGN_STATUSES, "IN_PROCESS", "WITH_ISSUES")
ADSET_EFFECTIVE = (
    *CAMPAIGN_EFFECTIVE,
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
    "PENDING_REVIEW",
    "DISAPPROVED",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
)
DEFAULT_ACTIONS = ("link_click", "offsite_conversion.fb_pixel_purchase", "lead")


@dataclass
class AdAccount:
    account_id: str  # numeric; the node id is "act_{account_id}"
    name: str
    currency: str
    timezone_name: str
    users: tuple[str, ...]  # Facebook user ids with a role on the account
    account_status: int = 1  # 1 ACTIVE, 2 DISABLED, 3 UNSETTLED, 101 CLOSED ...

    @property
    def id(self) -> str:
        return f"act_{self.account_id}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)


@dataclass
class AdCampaign:
    id: str
    account_id: str
    name: str
    status: str  # configured status: ACTIVE, PAUSED, DELETED, ARCHIVED
    objective: str
    start_time: float  # epoch seconds
    stop_time: float | None
    created_time: float
    updated_time: float
    daily_budget: int | None = None  # minor units; None: the budget sits on the ad sets
    lifetime_budget: int | None = None
    effective_override: str | None = None  # e.g. WITH_ISSUES, IN_PROCESS

    @property
    def effective_status(self) -> str:
        return self.effective_override or self.status


@dataclass
class AdSet:
    id: str
    campaign_id: str
    account_id: str
    name: str
    status: str
    start_time: float
    end_time: float | None
    daily_budget: int | None = None
    lifetime_budget: int | None = None


@dataclass
class DailyRow:
    impressions: int = 0
    clicks: int = 0
    spend: Decimal = Decimal("0")
    actions: dict[str, Decimal] = field(default_factory=dict)  # action_type -> count


@dataclass
class ReportRun:
    id: str
    account_id: str
    params: dict[str, Any]  # the parsed query: level, since, until, increment, fields, campaigns
    created_at: float
    polls: int = 0
    rows: list[dict[str, Any]] | None = None  # snapshot taken when the run completes
    failed: bool = False


@dataclass
class AdsState:
    accounts: dict[str, AdAccount] = field(default_factory=dict)  # by numeric account id
    campaigns: dict[str, AdCampaign] = field(default_factory=dict)
    adsets: dict[str, AdSet] = field(default_factory=dict)
    metrics: dict[tuple[str, date], DailyRow] = field(default_factory=dict)  # (campaign, day)
    runs: dict[str, ReportRun] = field(default_factory=dict)
    ids: Snowflake = field(default_factory=lambda: Snowflake(epoch_ms=0, shift=12))

    def account(self, raw: str) -> AdAccount | None:
        return self.accounts.get(raw.removeprefix("act_"))

    def user_accounts(self, user_id: str) -> list[AdAccount]:
        return [a for a in self.accounts.values() if user_id in a.users]

    def is_ad_object(self, object_id: str) -> bool:
        return object_id in self.campaigns or object_id in self.adsets or object_id in self.runs

    def account_of(self, object_id: str) -> AdAccount | None:
        if object_id.startswith("act_"):
            return self.account(object_id)
        for table in (self.campaigns, self.adsets, self.runs):
            found = table.get(object_id)
            if found is not None:
                return self.accounts.get(found.account_id)
        return None


# --- seeding --------------------------------------------------------------------------------
DEMO_ACCOUNT_ID = "1029384756000001"
OTHER_ACCOUNT_ID = "1029384756000002"


def local_midnight(day: date, zone: ZoneInfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def _seeded_row(campaign_id: str, day: date, scale: int) -> DailyRow:
    """Deterministic, plausible numbers for one campaign day."""
    digest = hashlib.sha256(f"{campaign_id}:{day.isoformat()}".encode()).digest()
    impressions = scale + digest[0] * 7 + digest[1]
    clicks = max(1, impressions // (40 + digest[2] % 40))
    spend = (Decimal(impressions) * Decimal("0.0123") + Decimal(digest[3]) / 100).quantize(
        Decimal("0.01")
    )
    actions = {
        "link_click": Decimal(max(clicks - digest[4] % 5, 0)),
        "offsite_conversion.fb_pixel_purchase": Decimal(digest[5] % 4),
    }
    if digest[6] % 3 == 0:
        actions["lead"] = Decimal(1 + digest[7] % 3)
    return DailyRow(impressions=impressions, clicks=clicks, spend=spend, actions=actions)


def seed_ads(now: float | None = None) -> AdsState:
    """The demo ad account (EUR, Europe/Berlin) with four campaigns around today, and a second
    account of the other user. Dates are relative to ``now`` so the demo always has a running
    campaign, one about to start and one that ended."""
    ads = AdsState()
    stamp = time.time() if now is None else now
    demo = AdAccount(
        DEMO_ACCOUNT_ID, "Cuecast Demo Ads", "EUR", "Europe/Berlin", ("10000000000000001",)
    )
    other = AdAccount(
        OTHER_ACCOUNT_ID, "Cuecast Other Ads", "USD", "America/Los_Angeles", ("10000000000000002",)
    )
    for account in (demo, other):
        ads.accounts[account.account_id] = account
    zone = demo.zone
    today = datetime.fromtimestamp(stamp, zone).date()

    def at(days: int, hour: int = 0) -> float:
        return local_midnight(today + timedelta(days=days), zone) + hour * 3600

    created = at(-30)
    seeds: list[tuple[str, str, str, float, float | None, int | None, int | None]] = [
        # id, name, status, start, stop, daily (cents), lifetime (cents)
        ("120210000000000101", "Winter Sale (CBO)", "ACTIVE", at(-10), at(20), 5000, None),
        ("120210000000000102", "Spring Launch", "ACTIVE", at(5, 9), at(35), None, None),
        ("120210000000000103", "Autumn Leads", "ACTIVE", at(-40), at(-3), None, None),
        ("120210000000000104", "Brand Always-on", "PAUSED", at(-20), None, 2000, None),
    ]
    objectives = ("OUTCOME_SALES", "OUTCOME_TRAFFIC", "OUTCOME_LEADS", "OUTCOME_AWARENESS")
    for (cid, name, status, start, stop, daily, lifetime), objective in zip(
        seeds, objectives, strict=True
    ):
        ads.campaigns[cid] = AdCampaign(
            id=cid,
            account_id=demo.account_id,
            name=name,
            status=status,
            objective=objective,
            start_time=start,
            stop_time=stop,
            created_time=min(created, start),
            updated_time=min(created, start),
            daily_budget=daily,
            lifetime_budget=lifetime,
        )
    # budgets on ad sets for the campaigns without a campaign budget
    adsets = [
        ("120210000000001021", "120210000000000102", "Spring DE", at(5, 9), at(35), None, 100000),
        ("120210000000001022", "120210000000000102", "Spring AT", at(7, 9), at(30), None, 50000),
        ("120210000000001031", "120210000000000103", "Leads DACH", at(-40), at(-3), 3000, None),
    ]
    for sid, cid, name, start, end, daily, lifetime in adsets:
        ads.adsets[sid] = AdSet(sid, cid, demo.account_id, name, "ACTIVE", start, end)
        ads.adsets[sid].daily_budget = daily
        ads.adsets[sid].lifetime_budget = lifetime
    ads.campaigns["120210000000000201"] = AdCampaign(
        id="120210000000000201",
        account_id=other.account_id,
        name="Other Campaign",
        status="ACTIVE",
        objective="OUTCOME_TRAFFIC",
        start_time=at(-5),
        stop_time=None,
        created_time=at(-6),
        updated_time=at(-6),
        daily_budget=1000,
    )
    # daily rows from each delivering campaign's first day up to yesterday
    for campaign in ads.campaigns.values():
        if campaign.account_id != demo.account_id:
            continue
        first = datetime.fromtimestamp(campaign.start_time, zone).date()
        last = today - timedelta(days=1)
        if campaign.stop_time is not None:
            last = min(last, datetime.fromtimestamp(campaign.stop_time - 1, zone).date())
        if campaign.status == "PAUSED":
            last = min(last, today - timedelta(days=8))
        day = first
        while day <= last:
            ads.metrics[(campaign.id, day)] = _seeded_row(campaign.id, day, 800)
            day += timedelta(days=1)
    return ads
