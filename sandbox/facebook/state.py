"""The Facebook emulator's state: the Meta app, users, Pages (some linked to an Instagram
professional account), tokens, posts and photos."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.common.ids import Snowflake
from sandbox.common.tokens import TokenStore
from sandbox.facebook.ads_state import AdsState, seed_ads
from sandbox.meta.graph import UsageConfig, UsageMeter

APP_ID = "900000000000001"
APP_SECRET = "cuecast-meta-sandbox-secret"
APP_NAME = "Cuecast (sandbox)"
SHORT_LIFETIME = 3600  # short-lived user token: about an hour
LONG_LIFETIME = 5184000  # long-lived user token: 60 days

DEFAULT_SCOPES = (
    "public_profile",
    "pages_show_list",
    "pages_manage_posts",
    "pages_read_engagement",
    "pages_manage_metadata",
    "read_insights",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_insights",
    "business_management",
    "ads_read",
    "ads_management",
)

# Post insights (developers.facebook.com/docs/graph-api/reference/insights, platform_apis.md §3.4)
POST_METRICS: dict[str, tuple[str, str]] = {
    "post_media_view": ("Media views", "The number of times your post was on screen."),
    "post_total_media_view_unique": ("Media viewers", "The number of people who saw your post."),
    "post_reactions_by_type_total": ("Reactions by type", "Total reactions by type."),
    "post_clicks": ("Post clicks", "The number of clicks anywhere in your post."),
    "post_clicks_by_type": ("Post clicks by type", "Clicks by type."),
    "post_impressions": ("Post impressions", "Deprecated impressions metric."),
    "post_impressions_unique": ("Post reach", "Deprecated reach metric."),
}
OBJECT_COUNTS = ("shares", "reactions", "comments", "likes")
# Page fields with counts (Page reference: followers_count, fan_count).
PAGE_COUNTS = ("followers_count", "fan_count")
# Page insights with period=day (pages-api/platforminsights/page; page_impressions_unique and
# page_fans were retired for these in 2025).
PAGE_METRICS: dict[str, tuple[str, str]] = {
    "page_total_media_view_unique": (
        "Total media viewers",
        "The number of people who saw any content from your Page.",
    ),
    "page_media_view": ("Media views", "The number of times your Page's content was on screen."),
    "page_follows": ("Follows", "The number of followers of your Page."),
}


@dataclass
class FbUser:
    id: str
    username: str
    name: str


@dataclass
class Page:
    id: str
    name: str
    owner_id: str
    category: str = "Software Company"
    instagram_business_account: str | None = None
    # followers_count, fan_count and the day insights, set through the control API.
    figures: dict[str, int] = field(default_factory=dict)


@dataclass
class IgSeed:
    id: str
    username: str
    name: str
    page_id: str
    # followers_count, follows_count and the account's day insights (reach…), set through the
    # Instagram control API.
    figures: dict[str, int] = field(default_factory=dict)


@dataclass
class TokenInfo:
    kind: str  # "user" | "page"
    owner_id: str  # the Facebook user behind the token
    pages: tuple[str, ...]  # user tokens: the Pages granted in the Login dialog
    long_lived: bool = False
    page_id: str | None = None


@dataclass
class Photo:
    id: str
    page_id: str
    url: str | None
    caption: str
    published: bool
    created_at: float
    post_id: str | None = None
    upload_name: str | None = None


@dataclass
class FbPost:
    id: str  # "{page_id}_{post_id}"
    page_id: str
    message: str
    link: str | None
    created_at: float
    published: bool
    photo_ids: list[str] = field(default_factory=list)
    deleted: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class FacebookConfig:
    short_token_lifetime: float = SHORT_LIFETIME
    long_token_lifetime: float = LONG_LIFETIME
    duplicate_window_seconds: float = 86400.0
    duplicate_code: int = 506  # 506 "Duplicate status message" or 368
    blocked: bool = False  # every post answers 368 (temporarily blocked for policy violations)
    revoke_subcode: int = 458  # 458 app removed, 460 password changed
    throttle_code: int = 0  # 0: by token (page 32, user 17, none 4); else this code
    throttle_status: int = 400
    call_budget: int = 200
    usage_window_seconds: float = 3600.0
    max_message_length: int = 63206
    media_fetch_timeout: float = 5.0
    # Marketing API (sandbox/facebook/ads.py)
    ads_call_budget: int = 1000  # calls per usage window per ad account and BUC type = 100 %
    ads_throttle_code: int = 0  # 0: 80000 (ads_insights) / 80004 (ads_management); or 17, 613, 4
    ads_report_polls: int = 2  # polls of a report run before it completes
    ads_report_fail: bool = False  # report runs end in "Job Failed" (-2 / 2490547)
    insights_max_rows: int = 5000  # a sync insights call with more rows: error 100 / 1487534

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def usage(self) -> UsageConfig:
        return UsageConfig(call_budget=self.call_budget, window_seconds=self.usage_window_seconds)


@dataclass
class FacebookState:
    config: FacebookConfig = field(default_factory=FacebookConfig)
    users: dict[str, FbUser] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    instagram: dict[str, IgSeed] = field(default_factory=dict)
    tokens: TokenStore = field(default_factory=TokenStore)
    token_info: dict[str, TokenInfo] = field(default_factory=dict)
    code_pages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    page_tokens: dict[tuple[str, str], str] = field(default_factory=dict)  # (user, page) -> token
    # What each user has granted the app so far: Facebook keeps permissions per app and user,
    # so a later login asking for other scopes adds to them rather than replacing them.
    granted: dict[str, set[str]] = field(default_factory=dict)
    posts: dict[str, FbPost] = field(default_factory=dict)
    photos: dict[str, Photo] = field(default_factory=dict)
    usage: UsageMeter = field(default_factory=UsageMeter)
    ids: Snowflake = field(default_factory=lambda: Snowflake(epoch_ms=0, shift=8))
    ads: AdsState = field(default_factory=seed_ads)

    def user_by_name(self, name: str) -> FbUser | None:
        wanted = name.lstrip("@").lower()
        for user in self.users.values():
            if wanted in (user.username.lower(), user.id):
                return user
        return None

    def page_by_name(self, name: str) -> Page | None:
        wanted = name.lower()
        for page in self.pages.values():
            if wanted in (page.id, page.name.lower()):
                return page
        return None

    def user_pages(self, user_id: str) -> list[Page]:
        return [p for p in self.pages.values() if p.owner_id == user_id]

    def live_post(self, post_id: str) -> FbPost | None:
        post = self.posts.get(post_id)
        return post if post is not None and not post.deleted else None


USERS = (
    FbUser(id="10000000000000001", username="cuecast_demo", name="Cuecast Demo"),
    FbUser(id="10000000000000002", username="cuecast_other", name="Cuecast Other"),
)
PAGES = (
    Page(
        id="100000000000101",
        name="Cuecast Demo Page",
        owner_id="10000000000000001",
        instagram_business_account="17841400000000101",
    ),
    Page(id="100000000000102", name="Cuecast Second Page", owner_id="10000000000000001"),
    Page(
        id="100000000000103",
        name="Cuecast Other Page",
        owner_id="10000000000000002",
        instagram_business_account="17841400000000103",
    ),
)
INSTAGRAM = (
    IgSeed(
        id="17841400000000101",
        username="cuecast_demo_ig",
        name="Cuecast Demo",
        page_id="100000000000101",
    ),
    IgSeed(
        id="17841400000000103",
        username="cuecast_other_ig",
        name="Cuecast Other",
        page_id="100000000000103",
    ),
)


def seeded_state() -> FacebookState:
    state = FacebookState()
    for user in USERS:
        state.users[user.id] = FbUser(user.id, user.username, user.name)
    for page in PAGES:
        state.pages[page.id] = Page(
            page.id, page.name, page.owner_id, page.category, page.instagram_business_account
        )
    for ig in INSTAGRAM:
        state.instagram[ig.id] = IgSeed(ig.id, ig.username, ig.name, ig.page_id)
    return state
