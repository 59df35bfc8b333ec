"""The Threads emulator's state: the Threads app, users, tokens, containers, posts, quotas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.common.ids import Snowflake
from sandbox.common.tokens import TokenStore
from sandbox.meta.graph import RollingQuota, UsageConfig, UsageMeter
from sandbox.meta.media import Container

APP_ID = "900000000000002"
APP_SECRET = "cuecast-threads-sandbox-secret"
APP_NAME = "Cuecast (sandbox)"
DEFAULT_SCOPES = (
    "threads_basic",
    "threads_content_publish",
    "threads_manage_insights",
    "threads_manage_replies",
    "threads_read_replies",
    "threads_delete",
)
# developers.facebook.com/docs/threads/insights (media insights)
MEDIA_METRICS: dict[str, str] = {
    "views": "The number of times the post was viewed.",
    "likes": "The number of likes on the post.",
    "replies": "The number of replies on the post (top-level only).",
    "reposts": "The number of times the post was reposted.",
    "quotes": "The number of times the post was quoted.",
    "shares": "The number of times the post was shared.",
}


@dataclass
class ThreadsUser:
    id: str
    username: str
    name: str
    # The user's insights (followers_count, views, …), set through the control API.
    figures: dict[str, int] = field(default_factory=dict)


@dataclass
class ThreadsMedia:
    id: str
    owner_id: str
    media_type: str  # TEXT_POST | IMAGE | VIDEO | CAROUSEL_ALBUM
    text: str
    media_url: str | None
    shortcode: str
    timestamp: float
    container_id: str
    reply_to_id: str | None = None
    quote_post_id: str | None = None
    children: list[str] = field(default_factory=list)
    is_child: bool = False
    deleted: bool = False
    metrics: dict[str, int] = field(default_factory=dict)


@dataclass
class ThreadsConfig:
    short_token_lifetime: float = 3600.0
    long_token_lifetime: float = 5184000.0
    refresh_min_age: float = 86400.0
    text_max: int = 500
    links_max: int = 5
    text_processing_seconds: float = 0.0
    image_processing_seconds: float = 1.0
    video_processing_seconds: float = 5.0
    container_expire_seconds: float = 86400.0
    quota_total: int = 250
    reply_quota_total: int = 1000
    delete_quota_total: int = 100
    quota_duration: int = 86400
    carousel_min: int = 2
    carousel_max: int = 20
    image_max_bytes: int = 8 * 1024 * 1024
    fetch_timeout: float = 5.0
    republish: str = "error"  # "error" | "return_existing"
    revoke_subcode: int = 458
    throttle_code: int = 17
    throttle_status: int = 400
    call_budget: int = 200
    usage_window_seconds: float = 3600.0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def usage(self) -> UsageConfig:
        return UsageConfig(call_budget=self.call_budget, window_seconds=self.usage_window_seconds)


@dataclass
class ThreadsState:
    config: ThreadsConfig = field(default_factory=ThreadsConfig)
    users: dict[str, ThreadsUser] = field(default_factory=dict)
    tokens: TokenStore = field(default_factory=TokenStore)
    long_lived: set[str] = field(default_factory=set)
    containers: dict[str, Container] = field(default_factory=dict)
    media: dict[str, ThreadsMedia] = field(default_factory=dict)
    posts_quota: RollingQuota = field(default_factory=RollingQuota)
    replies_quota: RollingQuota = field(default_factory=RollingQuota)
    deletes_quota: RollingQuota = field(default_factory=RollingQuota)
    usage: UsageMeter = field(default_factory=UsageMeter)
    ids: Snowflake = field(default_factory=lambda: Snowflake(epoch_ms=0, shift=12))

    def user_by_name(self, name: str) -> ThreadsUser | None:
        wanted = name.lstrip("@").lower()
        for user in self.users.values():
            if wanted in (user.id, user.username.lower()):
                return user
        return None

    def live_media(self, media_id: str) -> ThreadsMedia | None:
        media = self.media.get(media_id)
        return media if media is not None and not media.deleted else None


def seeded_state() -> ThreadsState:
    state = ThreadsState()
    for user in (
        ThreadsUser(id="25000000000000001", username="cuecast_demo", name="Cuecast Demo"),
        ThreadsUser(id="25000000000000002", username="cuecast_other", name="Cuecast Other"),
    ):
        state.users[user.id] = user
    return state
