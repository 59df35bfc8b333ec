"""The LinkedIn emulator's in-memory state: clients, members, organizations, posts, images."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.common.ids import Snowflake
from sandbox.common.ratelimit import RateLimiter
from sandbox.common.tokens import TokenStore
from sandbox.linkedin.ads_state import LinkedInAds, seed_ads

PARTNER_CLIENT_ID = "cuecast-sandbox"
PARTNER_CLIENT_SECRET = "cuecast-sandbox-secret"
BASIC_CLIENT_ID = "cuecast-sandbox-basic"
BASIC_CLIENT_SECRET = "cuecast-sandbox-basic-secret"

DAY = 24 * 3600
ACCESS_TOKEN_LIFETIME = 60 * DAY  # 5,184,000 s
REFRESH_TOKEN_LIFETIME = 365 * DAY  # 31,536,000 s, fixed from the first authorization
CODE_LIFETIME = 30 * 60

# Marketing/Community Management versions are monthly (YYYYMM) and live about a year.
OLDEST_VERSION = "202512"
LATEST_VERSION = "202611"

# Per-endpoint daily caps (LinkedIn publishes none; ~150 posts/day/member is the figure reported).
DEFAULT_MEMBER_DAILY = 5000
DEFAULT_APP_DAILY = 100000
MEMBER_DAILY_LIMITS: dict[str, int] = {"POST /rest/posts": 150}

METRICS = (
    "impressionCount",
    "uniqueImpressionsCount",
    "clickCount",
    "likeCount",
    "commentCount",
    "shareCount",
    "engagement",
)


@dataclass
class LinkedInClient:
    client_id: str
    client_secret: str
    name: str
    refresh_tokens: bool  # programmatic refresh tokens: approved (MDP/CMA) partners only


@dataclass
class Organization:
    id: str  # numeric, as a string
    name: str
    vanity_name: str
    # The page's follower count (firstDegreeSize), set through the control API.
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:li:organization:{self.id}"


@dataclass
class Member:
    id: str  # person id (the OpenID ``sub``)
    username: str  # sandbox handle for the consent page, faults and logs
    given_name: str
    family_name: str
    email: str
    admin_of: list[str] = field(default_factory=list)  # organization ids (ADMINISTRATOR)

    @property
    def urn(self) -> str:
        return f"urn:li:person:{self.id}"

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass
class Image:
    id: str  # the id part of urn:li:image:{id}
    owner: str  # person or organization URN
    upload_token: str
    created_at: float
    uploaded_at: float | None = None
    ready_at: float | None = None
    data: bytes = b""
    content_type: str = "application/octet-stream"

    @property
    def urn(self) -> str:
        return f"urn:li:image:{self.id}"

    def status(self, now: float) -> str:
        if self.uploaded_at is None:
            return "WAITING_UPLOAD"
        if self.ready_at is not None and now < self.ready_at:
            return "PROCESSING"
        return "AVAILABLE"


@dataclass
class Post:
    urn: str
    author: str
    commentary: str  # stored little text, after any truncation
    sent_commentary: str  # what the client sent
    visibility: str
    distribution: dict[str, Any]
    lifecycle_state: str
    reshare_disabled: bool
    content: dict[str, Any] | None
    created_at: float
    member_id: str  # who created it
    media: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    deleted: bool = False


@dataclass
class LinkedInConfig:
    oldest_version: str = OLDEST_VERSION
    latest_version: str = LATEST_VERSION
    access_token_lifetime: int = ACCESS_TOKEN_LIFETIME
    refresh_token_lifetime: int = REFRESH_TOKEN_LIFETIME
    max_commentary_length: int = 3000
    duplicate_window_seconds: float = DAY
    duplicates_include_deleted: bool = True
    image_processing_seconds: float = 1.0
    max_multi_images: int = 20
    default_member_daily_limit: int = DEFAULT_MEMBER_DAILY
    default_app_daily_limit: int = DEFAULT_APP_DAILY
    member_daily_limits: dict[str, int] = field(default_factory=lambda: dict(MEMBER_DAILY_LIMITS))
    app_daily_limits: dict[str, int] = field(default_factory=dict)
    # The counters' window, aligned to UTC midnight; a chaos run shortens it to seconds.
    rate_window_seconds: int = DAY
    analytics_max_fields: int = 20  # adAnalytics rejects more fields than this
    analytics_max_elements: int = 15000  # adAnalytics silently cuts its elements here

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["member_daily_limits"] = dict(self.member_daily_limits)
        data["app_daily_limits"] = dict(self.app_daily_limits)
        return data


@dataclass
class LinkedInState:
    config: LinkedInConfig = field(default_factory=LinkedInConfig)
    clients: dict[str, LinkedInClient] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)  # by member URN
    organizations: dict[str, Organization] = field(default_factory=dict)  # by numeric id
    tokens: TokenStore = field(default_factory=TokenStore)
    refresh_started: dict[str, float] = field(default_factory=dict)  # refresh value -> 1st auth
    posts: dict[str, Post] = field(default_factory=dict)  # by URN
    images: dict[str, Image] = field(default_factory=dict)  # by image id
    limiter: RateLimiter = field(default_factory=RateLimiter)
    # LinkedIn activity ids carry the millisecond timestamp in their top bits (ms << 22)
    ids: Snowflake = field(default_factory=lambda: Snowflake(epoch_ms=0, shift=22))
    ads: LinkedInAds = field(default_factory=seed_ads)

    def member(self, key: str) -> Member | None:
        wanted = key.strip().lstrip("@")
        for member in self.members.values():
            if wanted in (member.urn, member.id, member.username):
                return member
        return None

    def org_by_urn(self, urn: str) -> Organization | None:
        prefix = "urn:li:organization:"
        if not urn.startswith(prefix):
            return None
        return self.organizations.get(urn[len(prefix) :])

    def admin_urns(self, member: Member) -> list[str]:
        return [self.organizations[o].urn for o in member.admin_of if o in self.organizations]

    def live_post(self, urn: str) -> Post | None:
        post = self.posts.get(urn)
        return post if post is not None and not post.deleted else None


def seeded_state() -> LinkedInState:
    state = LinkedInState()
    for client in (
        LinkedInClient(PARTNER_CLIENT_ID, PARTNER_CLIENT_SECRET, "Cuecast (sandbox)", True),
        LinkedInClient(BASIC_CLIENT_ID, BASIC_CLIENT_SECRET, "Cuecast Basic (sandbox)", False),
    ):
        state.clients[client.client_id] = client
    for org in (
        Organization("104857601", "Cuecast Demo GmbH", "cuecast-demo"),
        Organization("104857602", "Cuecast Labs", "cuecast-labs"),
        Organization("104857603", "Other Example AG", "other-example"),
    ):
        state.organizations[org.id] = org
    for member in (
        Member(
            "Cu3cDemo01",
            "demo",
            "Dana",
            "Demo",
            "demo@cuecast.example",
            admin_of=["104857601", "104857602"],
        ),
        Member(
            "Cu3cOther2",
            "other",
            "Olli",
            "Other",
            "other@cuecast.example",
            admin_of=["104857603"],
        ),
    ):
        state.members[member.urn] = member
    return state
