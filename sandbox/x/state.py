"""The X emulator's in-memory state and its pre-seeded accounts and client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.common.ids import Snowflake
from sandbox.common.ratelimit import RateLimiter
from sandbox.common.tokens import TokenStore

CLIENT_ID = "cuecast-sandbox"
CLIENT_SECRET = "cuecast-sandbox-secret"
ACCESS_TOKEN_LIFETIME = 7200
WINDOW_15_MIN = 15 * 60
WINDOW_24_H = 24 * 3600

# Per-user limits per 15-minute window (docs.x.com/x-api/fundamentals/rate-limits).
DEFAULT_LIMITS: dict[str, int] = {
    "POST /2/tweets": 100,
    "DELETE /2/tweets/{id}": 50,
    "GET /2/tweets/{id}": 900,
    "GET /2/tweets": 900,
    "GET /2/users/{id}/tweets": 900,
    "GET /2/users/me": 75,
}

PUBLIC_METRICS = (
    "retweet_count",
    "reply_count",
    "like_count",
    "quote_count",
    "bookmark_count",
    "impression_count",
)
NON_PUBLIC_METRICS = ("impression_count", "url_link_clicks", "user_profile_clicks")
ORGANIC_METRICS = ("impression_count", "like_count", "reply_count", "retweet_count")


@dataclass
class XClient:
    client_id: str
    client_secret: str | None  # None: public client
    name: str
    redirect_uris: tuple[str, ...] = ()  # empty: any redirect URI is accepted


@dataclass
class XUser:
    id: str
    username: str
    name: str
    created_at: str = "2020-01-01T00:00:00.000Z"


@dataclass
class Tweet:
    id: str
    author_id: str
    text: str
    created_at: float
    conversation_id: str
    in_reply_to_tweet_id: str | None = None
    in_reply_to_user_id: str | None = None
    quote_tweet_id: str | None = None
    media_ids: list[str] = field(default_factory=list)
    poll: dict[str, Any] | None = None
    reply_settings: str = "everyone"
    metrics: dict[str, int] = field(default_factory=dict)
    deleted: bool = False


@dataclass
class XConfig:
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    tweets_user_24h: int = 2400
    tweets_app_24h: int = 10000
    max_weighted_length: int = 280
    duplicate_window_seconds: float = 24 * 3600
    access_token_lifetime: int = ACCESS_TOKEN_LIFETIME
    tier: str | None = None  # None (normal), "unenrolled", "v1_subset", "usage_capped"

    def to_json(self) -> dict[str, Any]:
        return {
            "limits": dict(self.limits),
            "tweets_user_24h": self.tweets_user_24h,
            "tweets_app_24h": self.tweets_app_24h,
            "max_weighted_length": self.max_weighted_length,
            "duplicate_window_seconds": self.duplicate_window_seconds,
            "access_token_lifetime": self.access_token_lifetime,
            "tier": self.tier,
        }


@dataclass
class XState:
    config: XConfig = field(default_factory=XConfig)
    clients: dict[str, XClient] = field(default_factory=dict)
    users: dict[str, XUser] = field(default_factory=dict)
    tokens: TokenStore = field(default_factory=TokenStore)
    tweets: dict[str, Tweet] = field(default_factory=dict)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    ids: Snowflake = field(default_factory=Snowflake)

    def user_by_name(self, name: str) -> XUser | None:
        wanted = name.lstrip("@").lower()
        for user in self.users.values():
            if user.username.lower() == wanted or user.id == wanted:
                return user
        return None

    def live_tweet(self, tweet_id: str) -> Tweet | None:
        tweet = self.tweets.get(tweet_id)
        return tweet if tweet is not None and not tweet.deleted else None


def seeded_state() -> XState:
    state = XState()
    state.clients[CLIENT_ID] = XClient(CLIENT_ID, CLIENT_SECRET, "Cuecast (sandbox)")
    for user in (
        XUser(id="1849302716458209280", username="cuecast_demo", name="Cuecast Demo"),
        XUser(id="1849302716458209281", username="cuecast_other", name="Cuecast Other"),
    ):
        state.users[user.id] = user
    return state
