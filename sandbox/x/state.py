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
    # Media: only "initialize 1875 / 15 min per user" is seen in a third-party transcription of
    # X's table; the others are guesses at the same order of magnitude (configurable).
    "POST /2/media/upload": 500,
    "POST /2/media/upload/initialize": 1875,
    "POST /2/media/upload/{id}/append": 1875,
    "POST /2/media/upload/{id}/finalize": 1875,
    "GET /2/media/upload": 1875,
    "POST /2/media/metadata": 500,
}

# media_category → the media_key prefix X uses (3_ image, 7_ video, 13_ amplify video, 16_ GIF).
MEDIA_KEY_PREFIX: dict[str, str] = {
    "tweet_image": "3",
    "dm_image": "3",
    "tweet_video": "7",
    "dm_video": "7",
    "amplify_video": "13",
    "tweet_gif": "16",
    "dm_gif": "16",
    "subtitles": "3",
}
TWEET_CATEGORIES = ("tweet_image", "tweet_video", "tweet_gif", "amplify_video")
PROCESSED_CATEGORIES = ("tweet_video", "tweet_gif", "amplify_video", "dm_video", "dm_gif")

PUBLIC_METRICS = (
    "retweet_count",
    "reply_count",
    "like_count",
    "quote_count",
    "bookmark_count",
    "impression_count",
)
NON_PUBLIC_METRICS = ("impression_count", "url_link_clicks", "user_profile_clicks")
# x-openapi.json UserPublicMetrics (required: followers_count, following_count, post_count,
# listed_count); v2 has long answered tweet_count, which is sent too.
USER_METRICS = (
    "followers_count",
    "following_count",
    "post_count",
    "tweet_count",
    "listed_count",
    "like_count",
    "media_count",
)
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
    # public_metrics of the user (followers_count, …), set through the control API.
    figures: dict[str, int] = field(default_factory=dict)


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
    media_keys: list[str] = field(default_factory=list)
    poll: dict[str, Any] | None = None
    reply_settings: str = "everyone"
    metrics: dict[str, int] = field(default_factory=dict)
    deleted: bool = False


@dataclass
class Media:
    """One upload: an initialize (or simple upload) and what followed it."""

    id: str
    owner_id: str
    media_type: str
    media_category: str
    total_bytes: int
    created_at: float
    expires_at: float
    additional_owners: tuple[str, ...] = ()
    segments: dict[int, int] = field(default_factory=dict)  # segment_index -> byte count
    finalized_at: float | None = None
    alt_text: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def media_key(self) -> str:
        return f"{MEDIA_KEY_PREFIX.get(self.media_category, '3')}_{self.id}"

    @property
    def received_bytes(self) -> int:
        return sum(self.segments.values())

    @property
    def processed(self) -> bool:
        """Whether X processes it asynchronously after finalize (videos and GIFs)."""
        return self.media_category in PROCESSED_CATEGORIES

    def may_use(self, user_id: str) -> bool:
        return user_id == self.owner_id or user_id in self.additional_owners


@dataclass
class XConfig:
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    # The length of the per-user windows of ``limits``: X's are 15 minutes; a chaos run shortens
    # them so a 429 burst costs seconds.
    rate_window_seconds: float = WINDOW_15_MIN
    tweets_user_24h: int = 2400
    tweets_app_24h: int = 10000
    max_weighted_length: int = 280
    duplicate_window_seconds: float = 24 * 3600
    access_token_lifetime: int = ACCESS_TOKEN_LIFETIME
    tier: str | None = None  # None (normal), "unenrolled", "v1_subset", "usage_capped"
    media_expires_after_secs: int = 86400  # a media id lives this long after initialize/upload
    media_pending_seconds: float = 1.0  # videos/GIFs: "pending" this long after finalize...
    media_processing_seconds: float = 2.0  # ...then "in_progress" until this long after it
    media_processing_result: str = "succeeded"  # or "failed"

    def to_json(self) -> dict[str, Any]:
        return {
            "limits": dict(self.limits),
            "rate_window_seconds": self.rate_window_seconds,
            "tweets_user_24h": self.tweets_user_24h,
            "tweets_app_24h": self.tweets_app_24h,
            "max_weighted_length": self.max_weighted_length,
            "duplicate_window_seconds": self.duplicate_window_seconds,
            "access_token_lifetime": self.access_token_lifetime,
            "tier": self.tier,
            "media_expires_after_secs": self.media_expires_after_secs,
            "media_pending_seconds": self.media_pending_seconds,
            "media_processing_seconds": self.media_processing_seconds,
            "media_processing_result": self.media_processing_result,
        }


@dataclass
class XState:
    config: XConfig = field(default_factory=XConfig)
    clients: dict[str, XClient] = field(default_factory=dict)
    users: dict[str, XUser] = field(default_factory=dict)
    tokens: TokenStore = field(default_factory=TokenStore)
    tweets: dict[str, Tweet] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
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
