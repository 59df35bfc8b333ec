"""The Microsoft Advertising emulator's in-memory state: client, users, customers, ad accounts,
campaigns, ad groups, daily metrics and submitted reports.

Microsoft names time zones with its own ``TimeZone`` enum (learn.microsoft.com/advertising/guides/
time-zones); ``TIME_ZONES`` maps the values the sandbox uses to an IANA zone and the display label the
report header prints.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.common.ratelimit import RateLimiter
from sandbox.common.tokens import TokenStore

CLIENT_ID = "cuecast-sandbox"
CLIENT_SECRET = "cuecast-sandbox-secret"
DEVELOPER_TOKEN = "cuecast-sandbox-developer-token"
MANAGE_SCOPE = "https://ads.microsoft.com/msads.manage"
OFFLINE_SCOPE = "offline_access"
DEFAULT_SCOPE = f"{MANAGE_SCOPE} {OFFLINE_SCOPE}"

DAY = 24 * 3600
ACCESS_TOKEN_LIFETIME = 3600  # the identity platform issues 60-90 minute access tokens
REFRESH_TOKEN_LIFETIME = 90 * DAY
CODE_LIFETIME = 600

# TimeZone enum value -> (IANA zone, label used in report headers)
TIME_ZONES: dict[str, tuple[str, str]] = {
    "AmsterdamBerlinBernRomeStockholmVienna": (
        "Europe/Berlin",
        "(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
    ),
    "BrusselsCopenhagenMadridParis": (
        "Europe/Paris",
        "(GMT+01:00) Brussels, Copenhagen, Madrid, Paris",
    ),
    "GreenwichMeanTimeDublinEdinburghLisbonLondon": (
        "Europe/London",
        "(GMT) Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London",
    ),
    "EasternTimeUSCanada": ("America/New_York", "(GMT-05:00) Eastern Time (US & Canada)"),
    "CentralTimeUSCanada": ("America/Chicago", "(GMT-06:00) Central Time (US & Canada)"),
    "MountainTimeUSCanada": ("America/Denver", "(GMT-07:00) Mountain Time (US & Canada)"),
    "PacificTimeUSCanadaTijuana": (
        "America/Los_Angeles",
        "(GMT-08:00) Pacific Time (US & Canada); Tijuana",
    ),
    "OsakaSapporoTokyo": ("Asia/Tokyo", "(GMT+09:00) Osaka, Sapporo, Tokyo"),
    "CanberraMelbourneSydney": ("Australia/Sydney", "(GMT+10:00) Canberra, Melbourne, Sydney"),
}
DEFAULT_REPORT_TIME_ZONE = "PacificTimeUSCanadaTijuana"

CAMPAIGN_TYPES = (
    "Search",
    "Shopping",
    "DynamicSearchAds",
    "Audience",
    "Hotel",
    "PerformanceMax",
    "App",
)
CAMPAIGN_STATUSES = (
    "Active",
    "Paused",
    "BudgetPaused",
    "BudgetAndManualPaused",
    "Deleted",
    "Suspended",
)
AD_GROUP_STATUSES = ("Active", "Paused", "Expired", "Deleted")
BUDGET_TYPES = ("DailyBudgetStandard", "DailyBudgetAccelerated", "LifetimeBudgetStandard")


def zone(tz_name: str) -> ZoneInfo:
    return ZoneInfo(TIME_ZONES.get(tz_name, TIME_ZONES[DEFAULT_REPORT_TIME_ZONE])[0])


def zone_label(tz_name: str) -> str:
    return TIME_ZONES.get(tz_name, TIME_ZONES[DEFAULT_REPORT_TIME_ZONE])[1]


def local_today(tz_name: str, now: float) -> date:
    return datetime.fromtimestamp(now, zone(tz_name)).date()


@dataclass
class Client:
    client_id: str
    client_secret: str
    name: str


@dataclass
class User:
    id: str  # numeric, as a string
    username: str  # sandbox handle (consent page, faults, logs)
    name: str
    email: str
    customer_id: str


@dataclass
class Customer:
    id: str
    name: str
    number: str


@dataclass
class AdAccount:
    id: str
    customer_id: str
    name: str
    number: str  # "F123ABCD": not the id
    currency: str
    time_zone: str  # Microsoft's TimeZone enum value


@dataclass
class Campaign:
    id: str
    account_id: str
    name: str
    campaign_type: str
    status: str
    daily_budget: Decimal
    budget_type: str
    start_date: date | None
    end_date: date | None
    use_campaign_level_dates: bool
    time_zone: str


@dataclass
class AdGroup:
    id: str
    campaign_id: str
    name: str
    status: str
    start_date: date | None
    end_date: date | None


@dataclass
class DailyRow:
    impressions: int
    clicks: int
    spend: Decimal
    conversions: Decimal
    revenue: Decimal | None = None


@dataclass
class Report:
    id: str
    user_id: str
    customer_id: str
    request: dict[str, Any]
    submitted_at: float
    polls_left: int
    csv_bytes: bytes | None  # None: no rows
    row_count: int
    download_token: str | None = None
    download_expires_at: float = 0.0


@dataclass
class MsadsConfig:
    access_token_lifetime: int = ACCESS_TOKEN_LIFETIME
    refresh_token_lifetime: int = REFRESH_TOKEN_LIFETIME
    refresh_token_single_use: bool = False  # the identity platform keeps old ones valid
    report_pending_polls: int = 2  # Polls that answer Pending before Success
    download_url_lifetime: int = 300  # the docs: the URL is valid for 5 minutes
    report_request_lifetime: int = 2 * DAY  # a ReportRequestId is valid for 2 days
    max_concurrent_reports: int = 5  # pending reports per customer before 207
    calls_per_minute: int = 1000  # per user and customer, 60-second window (117 beyond)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class MsadsState:
    config: MsadsConfig = field(default_factory=MsadsConfig)
    clients: dict[str, Client] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # by id
    customers: dict[str, Customer] = field(default_factory=dict)
    accounts: dict[str, AdAccount] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    ad_groups: dict[str, AdGroup] = field(default_factory=dict)
    metrics: dict[tuple[str, date], DailyRow] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    tokens: TokenStore = field(default_factory=TokenStore)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(530000001))

    def user(self, key: str) -> User | None:
        wanted = key.strip().lstrip("@")
        for user in self.users.values():
            if wanted in (user.id, user.username, user.email):
                return user
        return None

    def customer_accounts(self, customer_id: str) -> list[AdAccount]:
        return [a for a in self.accounts.values() if a.customer_id == customer_id]

    def account_campaigns(self, account_id: str) -> list[Campaign]:
        return [c for c in self.campaigns.values() if c.account_id == account_id]

    def new_id(self) -> str:
        return str(next(self.ids))


def _noise(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from its inputs (seeded metrics stay the same)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def seed_metrics(state: MsadsState, campaign: Campaign, today: date) -> None:
    """Daily rows from the campaign's first serving day up to yesterday in the account's zone."""
    start = campaign.start_date
    if start is None:
        groups = [g.start_date for g in state.ad_groups.values() if g.campaign_id == campaign.id]
        start = min((d for d in groups if d is not None), default=None)
    if start is None or campaign.status not in ("Active", "BudgetPaused"):
        return
    last = today - timedelta(days=1)
    if campaign.end_date is not None:
        last = min(last, campaign.end_date)
    day = start
    budget = campaign.daily_budget
    while day <= last:
        impressions = 400 + int(_noise(campaign.id, day, "i") * 2600)
        clicks = max(1, int(impressions * (0.01 + _noise(campaign.id, day, "c") * 0.04)))
        cpc = Decimal("0.20") + Decimal(int(_noise(campaign.id, day, "p") * 90)) / 100
        spend = min(budget, (cpc * clicks).quantize(Decimal("0.01")))
        conversions = Decimal(int(clicks * _noise(campaign.id, day, "v") * 0.08))
        state.metrics[(campaign.id, day)] = DailyRow(impressions, clicks, spend, conversions)
        day += timedelta(days=1)


def seeded_state(now: float | None = None) -> MsadsState:
    now = time.time() if now is None else now
    state = MsadsState()
    state.clients[CLIENT_ID] = Client(CLIENT_ID, CLIENT_SECRET, "Cuecast (sandbox)")
    for customer in (
        Customer("251000001", "Cuecast Demo Customer", "C1000001"),
        Customer("251000002", "Other Example Customer", "C1000002"),
    ):
        state.customers[customer.id] = customer
    for user in (
        User("151000001", "demo", "Dana Demo", "demo@cuecast.example", "251000001"),
        User("151000002", "other", "Olli Other", "other@cuecast.example", "251000002"),
    ):
        state.users[user.id] = user
    berlin = "AmsterdamBerlinBernRomeStockholmVienna"
    eastern = "EasternTimeUSCanada"
    for account in (
        AdAccount("180000001", "251000001", "Cuecast Demo DE", "F1A2B3C4", "EUR", berlin),
        AdAccount("180000002", "251000001", "Cuecast Demo US", "F5D6E7F8", "USD", eastern),
        AdAccount("180000003", "251000002", "Other Example", "F9E8D7C6", "GBP", berlin),
    ):
        state.accounts[account.id] = account

    de_today = local_today(berlin, now)
    us_today = local_today(eastern, now)

    def days(base: date, n: int) -> date:
        return base + timedelta(days=n)

    campaigns = [
        # (id, account, name, type, status, budget, budget type, start, end, campaign dates)
        Campaign(
            "510000001", "180000001", "Winter Sale — Search", "Search", "Active",
            Decimal("50.00"), "DailyBudgetStandard",
            days(de_today, -14), days(de_today, 16), True, berlin,
        ),
        Campaign(
            "510000002", "180000001", "Product Feed — Shopping", "Shopping", "Active",
            Decimal("30.00"), "DailyBudgetStandard", None, None, False, berlin,
        ),
        Campaign(
            "510000003", "180000001", "Always-on — Performance Max", "PerformanceMax", "Active",
            Decimal("80.00"), "DailyBudgetStandard", days(de_today, -30), None, True, berlin,
        ),
        Campaign(
            "510000004", "180000001", "Spring Launch — Audience", "Audience", "Paused",
            Decimal("20.00"), "DailyBudgetAccelerated",
            days(de_today, 30), days(de_today, 60), True, berlin,
        ),
        Campaign(
            "510000005", "180000001", "Brand — Search", "Search", "BudgetPaused",
            Decimal("10.00"), "DailyBudgetStandard", days(de_today, -10), None, True, berlin,
        ),
        Campaign(
            "520000001", "180000002", "US Launch — Search", "Search", "Active",
            Decimal("40.00"), "DailyBudgetStandard",
            days(us_today, -5), days(us_today, 25), True, eastern,
        ),
        Campaign(
            "530000000", "180000003", "Other — Search", "Search", "Active",
            Decimal("15.00"), "DailyBudgetStandard", days(de_today, -3), None, True, berlin,
        ),
    ]  # fmt: skip
    for campaign in campaigns:
        state.campaigns[campaign.id] = campaign
    groups = [
        AdGroup("610000001", "510000001", "Winter Sale — all", "Active", days(de_today, -14), None),
        AdGroup("610000021", "510000002", "Feed — shoes", "Active", days(de_today, -7),
                days(de_today, 21)),
        AdGroup("610000022", "510000002", "Feed — bags", "Active", days(de_today, -3),
                days(de_today, 30)),
        AdGroup("610000004", "510000004", "Spring — lookalikes", "Active", days(de_today, 30), None),
        AdGroup("610000005", "510000005", "Brand — exact", "Active", days(de_today, -10), None),
        AdGroup("620000001", "520000001", "US — all", "Active", days(us_today, -5), None),
    ]  # fmt: skip
    for group in groups:
        state.ad_groups[group.id] = group
    for campaign in campaigns:
        account = state.accounts[campaign.account_id]
        seed_metrics(state, campaign, local_today(account.time_zone, now))
    return state
