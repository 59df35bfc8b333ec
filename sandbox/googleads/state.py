"""The Google Ads emulator's in-memory state: Google users, customers, campaigns, budgets, metrics.

Dates and times of a campaign are wall-clock values in its customer's time zone (``time_zone``,
an IANA name), as the API reports them; ``segments.date`` days are the customer's days too.
Money is in micros (x 1,000,000) of the customer's ``currency_code``.
"""

from __future__ import annotations

import hashlib
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
ADWORDS_SCOPE = "https://www.googleapis.com/auth/adwords"
OPENID_SCOPES = ("openid", "email", "profile")

ACCESS_TOKEN_LIFETIME = 3599  # Google answers expires_in 3599 (one hour)
CODE_LIFETIME = 600
DAY = 24 * 3600

OLDEST_VERSION = 21  # versions older than this are sunset (requestError UNSUPPORTED_VERSION)
LATEST_VERSION = 26  # developers.google.com/google-ads/api: "The latest active version is v26"
DATE_TIME_SINCE = 23  # v23 replaced campaign.start_date/end_date by start_date_time/end_date_time
PAGE_SIZE = 10_000  # GoogleAdsService.Search: fixed pages of 10,000 rows
DAILY_OPERATIONS = 15_000  # Basic access: 15,000 operations per day
OPEN_END_DATE = "2037-12-30"  # v22 and earlier: end_date of a campaign that runs indefinitely

CAMPAIGN_STATUSES = ("ENABLED", "PAUSED", "REMOVED")
CHANNEL_TYPES = (
    "SEARCH",
    "DISPLAY",
    "SHOPPING",
    "HOTEL",
    "VIDEO",
    "MULTI_CHANNEL",
    "LOCAL",
    "SMART",
    "PERFORMANCE_MAX",
    "LOCAL_SERVICES",
    "TRAVEL",
    "DEMAND_GEN",
)
PRIMARY_STATUSES = (
    "ELIGIBLE",
    "PAUSED",
    "REMOVED",
    "ENDED",
    "PENDING",
    "MISCONFIGURED",
    "LIMITED",
    "LEARNING",
    "NOT_ELIGIBLE",
)
SERVING_STATUSES = ("SERVING", "NONE", "ENDED", "PENDING", "SUSPENDED")
BUDGET_PERIODS = ("DAILY", "CUSTOM_PERIOD")
MICROS = Decimal(1_000_000)


@dataclass
class GoogleClient:
    client_id: str
    client_secret: str
    name: str


@dataclass
class GoogleUser:
    id: str  # the Google account's numeric subject id
    username: str  # sandbox handle (consent page, faults, logs)
    name: str
    email: str
    customers: list[str] = field(default_factory=list)  # customers the user reaches directly


@dataclass
class Customer:
    id: str  # 10 digits, no dashes
    descriptive_name: str
    currency_code: str
    time_zone: str
    manager: bool = False
    status: str = "ENABLED"  # ENABLED, CANCELED, SUSPENDED, CLOSED
    clients: list[str] = field(default_factory=list)  # a manager's direct client customers
    test_account: bool = False

    @property
    def resource_name(self) -> str:
        return f"customers/{self.id}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass
class Budget:
    id: str
    period: str = "DAILY"  # DAILY or CUSTOM_PERIOD
    amount_micros: int | None = None  # the daily amount (DAILY budgets)
    total_amount_micros: int | None = None  # the whole flight (CUSTOM_PERIOD budgets)
    delivery_method: str = "STANDARD"
    status: str = "ENABLED"


@dataclass
class Campaign:
    id: str
    customer_id: str
    name: str
    status: str  # ENABLED, PAUSED, REMOVED
    channel: str  # advertising_channel_type
    start: datetime  # naive, in the customer's time zone
    end: datetime | None  # naive, in the customer's time zone; None = runs indefinitely
    budget: Budget
    day_granularity: bool = True  # dates only (times 00:00:00 / 23:59:59)
    budget_limited: bool = False  # primary status LIMITED, reason BUDGET_CONSTRAINED
    primary_status: str | None = None  # overrides the derived value
    primary_status_reasons: list[str] | None = None  # overrides the derived value
    serving_status: str | None = None  # overrides the derived value
    generate_metrics: bool = True  # invent daily rows for the days it served

    def resource_name(self) -> str:
        return f"customers/{self.customer_id}/campaigns/{self.id}"

    # --- the two date representations -----------------------------------------------------
    def start_date(self) -> str:
        return self.start.date().isoformat()

    def end_date(self) -> str:
        return self.end.date().isoformat() if self.end is not None else OPEN_END_DATE

    def start_date_time(self) -> str:
        return self.start.strftime("%Y-%m-%d %H:%M:%S")

    def end_date_time(self) -> str | None:
        return self.end.strftime("%Y-%m-%d %H:%M:%S") if self.end is not None else None

    # --- derived statuses --------------------------------------------------------------------
    def derived_serving(self, local_now: datetime) -> str:
        if self.serving_status:
            return self.serving_status
        if self.status == "REMOVED":
            return "NONE"
        if local_now < self.start:
            return "PENDING"
        if self.end is not None and local_now > self.end:
            return "ENDED"
        return "SERVING"

    def derived_primary(self, local_now: datetime) -> tuple[str, list[str]]:
        if self.primary_status:
            return self.primary_status, list(self.primary_status_reasons or [])
        if self.status == "REMOVED":
            return "REMOVED", ["CAMPAIGN_REMOVED"]
        if self.status == "PAUSED":
            return "PAUSED", ["CAMPAIGN_PAUSED"]
        if local_now < self.start:
            return "PENDING", ["CAMPAIGN_PENDING"]
        if self.end is not None and local_now > self.end:
            return "ENDED", ["CAMPAIGN_ENDED"]
        if self.budget_limited:
            return "LIMITED", ["BUDGET_CONSTRAINED"]
        return "ELIGIBLE", list(self.primary_status_reasons or [])


@dataclass
class DailyRow:
    impressions: int
    clicks: int
    cost_micros: int
    conversions: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "impressions": self.impressions,
            "clicks": self.clicks,
            "cost_micros": str(self.cost_micros),
            "cost": str((Decimal(self.cost_micros) / MICROS).quantize(Decimal("0.000001"))),
            "conversions": str(self.conversions),
        }


@dataclass
class PageToken:
    customer_id: str
    query: str
    offset: int
    created_at: float


@dataclass
class GoogleAdsConfig:
    access_token_lifetime: int = ACCESS_TOKEN_LIFETIME
    page_size: int = PAGE_SIZE
    oldest_version: int = OLDEST_VERSION
    latest_version: int = LATEST_VERSION
    daily_operations: int = DAILY_OPERATIONS
    retry_delay_seconds: int = 30  # retryDelay of an injected rate_limit_burst without seconds
    page_token_lifetime: int = 3600

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class GoogleAdsState:
    config: GoogleAdsConfig = field(default_factory=GoogleAdsConfig)
    clients: dict[str, GoogleClient] = field(default_factory=dict)
    users: dict[str, GoogleUser] = field(default_factory=dict)  # by id
    customers: dict[str, Customer] = field(default_factory=dict)  # by id
    campaigns: dict[str, Campaign] = field(default_factory=dict)  # by id
    # (campaign id, day) -> row set through the control API; None hides an invented row
    metric_overrides: dict[tuple[str, date], DailyRow | None] = field(default_factory=dict)
    tokens: TokenStore = field(default_factory=TokenStore)
    offline_grants: set[tuple[str, str]] = field(default_factory=set)  # (user id, client id)
    pending_offline: dict[str, bool] = field(default_factory=dict)  # code -> wants refresh
    page_tokens: dict[str, PageToken] = field(default_factory=dict)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    next_id: int = 23_000_000_001
    requests: int = 0

    def user(self, key: str) -> GoogleUser | None:
        wanted = key.strip().lstrip("@")
        for user in self.users.values():
            if wanted in (user.id, user.username, user.email):
                return user
        return None

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def request_id(self) -> str:
        self.requests += 1
        digest = hashlib.sha256(f"{time.time()}:{self.requests}".encode()).hexdigest()
        return digest[:22]

    def descendants(self, manager_id: str) -> list[str]:
        """Every customer below a manager, at any depth (not the manager itself)."""
        found: list[str] = []
        todo = list(self.customers[manager_id].clients) if manager_id in self.customers else []
        while todo:
            cid = todo.pop(0)
            if cid in found or cid not in self.customers:
                continue
            found.append(cid)
            todo.extend(self.customers[cid].clients)
        return found

    def hierarchy(self, root_id: str) -> list[tuple[Customer, int]]:
        """(customer, level) for the root (level 0) and everything below it."""
        out: list[tuple[Customer, int]] = []
        seen: set[str] = set()
        level_of = [(root_id, 0)]
        while level_of:
            cid, level = level_of.pop(0)
            if cid in seen or cid not in self.customers:
                continue
            seen.add(cid)
            customer = self.customers[cid]
            out.append((customer, level))
            level_of.extend((c, level + 1) for c in customer.clients)
        return out

    def local_now(self, customer: Customer, now: float) -> datetime:
        return datetime.fromtimestamp(now, customer.zone).replace(tzinfo=None)

    def daily_rows(self, campaign: Campaign, today: date) -> dict[date, DailyRow]:
        """The campaign's reporting rows: invented ones for the days it served up to ``today``
        (the customer's day), replaced or hidden by rows set through the control API."""
        rows: dict[date, DailyRow] = {}
        if campaign.generate_metrics:
            last = min(campaign.end.date(), today) if campaign.end is not None else today
            day = campaign.start.date()
            while day <= last:
                rows[day] = invent_row(campaign, day)
                day += timedelta(days=1)
        for (cid, day), row in self.metric_overrides.items():
            if cid != campaign.id:
                continue
            if row is None:
                rows.pop(day, None)
            else:
                rows[day] = row
        return {d: r for d, r in sorted(rows.items()) if r.impressions or r.cost_micros}


CHANNEL_SCALE = {"SEARCH": 1, "DISPLAY": 6, "PERFORMANCE_MAX": 4, "VIDEO": 5}


def invent_row(campaign: Campaign, day: date) -> DailyRow:
    """Deterministic, plausible numbers for one campaign day (spend capped at a daily budget)."""
    seed = hashlib.sha256(f"{campaign.id}:{day.isoformat()}".encode()).digest()
    scale = CHANNEL_SCALE.get(campaign.channel, 2)
    impressions = (400 + int.from_bytes(seed[0:2], "big") % 2600) * scale
    ctr_permille = 8 + seed[2] % 50 if campaign.channel == "SEARCH" else 2 + seed[2] % 8
    clicks = impressions * ctr_permille // 1000
    cpc_micros = (150 + (seed[3] * 7) % 1200) * 1000  # 0.15 .. 1.35 per click
    cost = clicks * cpc_micros // 10_000 * 10_000
    if campaign.budget.period == "DAILY" and campaign.budget.amount_micros:
        cost = min(cost, campaign.budget.amount_micros)
    conversions = (Decimal(clicks) * Decimal(seed[4] % 60) / Decimal(1000)).quantize(
        Decimal("0.01")
    )
    return DailyRow(impressions, clicks, cost, conversions)


def _at(today: date, days: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(today + timedelta(days=days), datetime.min.time()).replace(
        hour=hour, minute=minute, second=second
    )


def seeded_state(now: float | None = None) -> GoogleAdsState:
    state = GoogleAdsState()
    state.clients[CLIENT_ID] = GoogleClient(CLIENT_ID, CLIENT_SECRET, "Cuecast (sandbox)")
    for customer in (
        Customer("5550001001", "Cuecast Demo GmbH", "EUR", "Europe/Berlin"),
        Customer("5550002002", "Other Example AG", "CHF", "Europe/Zurich"),
        Customer(
            "5550009009",
            "Cuecast Agency (manager)",
            "EUR",
            "Europe/Berlin",
            manager=True,
            clients=["5550003003"],
        ),
        Customer("5550003003", "Shop US Inc.", "USD", "America/New_York"),
    ):
        state.customers[customer.id] = customer
    for user in (
        GoogleUser(
            "110248495921238986420", "demo", "Dana Demo", "demo@cuecast.example", ["5550001001"]
        ),
        GoogleUser(
            "110248495921238986421", "other", "Olli Other", "other@cuecast.example", ["5550002002"]
        ),
        GoogleUser(
            "110248495921238986422",
            "agency",
            "Alex Agency",
            "agency@cuecast.example",
            ["5550009009"],
        ),
    ):
        state.users[user.id] = user

    moment = time.time() if now is None else now
    berlin = datetime.fromtimestamp(moment, ZoneInfo("Europe/Berlin")).date()
    zurich = datetime.fromtimestamp(moment, ZoneInfo("Europe/Zurich")).date()
    new_york = datetime.fromtimestamp(moment, ZoneInfo("America/New_York")).date()
    demo = "5550001001"
    campaigns = [
        Campaign(
            "22000000101",
            demo,
            "Winter Sale - Search",
            "ENABLED",
            "SEARCH",
            _at(berlin, -20),
            _at(berlin, 10, 23, 59, 59),
            Budget("33000000101", "DAILY", amount_micros=50_000_000),
        ),
        Campaign(
            "22000000102",
            demo,
            "Spring Launch - Performance Max",
            "ENABLED",
            "PERFORMANCE_MAX",
            _at(berlin, 3, 9),
            _at(berlin, 33, 18),
            Budget("33000000102", "CUSTOM_PERIOD", total_amount_micros=1_500_000_000),
            day_granularity=False,
        ),
        Campaign(
            "22000000103",
            demo,
            "Autumn Awareness - Display",
            "ENABLED",
            "DISPLAY",
            _at(berlin, -40),
            _at(berlin, -5, 23, 59, 59),
            Budget("33000000103", "DAILY", amount_micros=30_000_000),
        ),
        Campaign(
            "22000000104",
            demo,
            "Brand - Search (evergreen)",
            "ENABLED",
            "SEARCH",
            _at(berlin, -120),
            None,
            Budget("33000000104", "DAILY", amount_micros=20_000_000),
            budget_limited=True,
        ),
        Campaign(
            "22000000105",
            demo,
            "Black Friday - Search",
            "PAUSED",
            "SEARCH",
            _at(berlin, -15),
            _at(berlin, 15, 23, 59, 59),
            Budget("33000000105", "DAILY", amount_micros=80_000_000),
        ),
        Campaign(
            "22000000106",
            demo,
            "Summer Teaser - Video",
            "REMOVED",
            "VIDEO",
            _at(berlin, -200),
            _at(berlin, -150, 23, 59, 59),
            Budget("33000000106", "DAILY", amount_micros=10_000_000),
        ),
        Campaign(
            "22000000201",
            "5550002002",
            "Other - Search",
            "ENABLED",
            "SEARCH",
            _at(zurich, -10),
            None,
            Budget("33000000201", "DAILY", amount_micros=25_000_000),
        ),
        Campaign(
            "22000000301",
            "5550003003",
            "Holiday Deals - Shopping",
            "ENABLED",
            "SHOPPING",
            _at(new_york, -7),
            _at(new_york, 21, 23, 59, 59),
            Budget("33000000301", "DAILY", amount_micros=100_000_000),
        ),
    ]
    for campaign in campaigns:
        state.campaigns[campaign.id] = campaign
    return state
