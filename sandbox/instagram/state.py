"""The Instagram emulator's state: containers, published media, the rolling publish quota.

Accounts, tokens and Page links live in the Facebook emulator's state (Instagram API with
Facebook Login: the IG professional account is linked to a Page, tokens come from Facebook Login).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.common.ids import Snowflake
from sandbox.meta.graph import RollingQuota
from sandbox.meta.media import Container

# developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
MEDIA_METRICS: dict[str, tuple[str, str]] = {
    "views": ("Views", "The number of times your media was played or displayed."),
    "reach": ("Accounts reached", "The number of unique accounts that have seen your media."),
    "likes": ("Likes", "The number of likes on your post."),
    "comments": ("Comments", "The number of comments on your post."),
    "shares": ("Shares", "The number of shares of your post."),
    "saved": ("Saved", "The number of saves of your post."),
    "total_interactions": ("Interactions", "Likes, saves, comments and shares, minus undos."),
    "profile_visits": ("Profile visits", "Profile visits from this post."),
    "follows": ("Follows", "Follows from this post."),
    "ig_reels_avg_watch_time": ("Average watch time", "Average time a reel was played (ms)."),
    "ig_reels_video_view_total_time": ("Watch time", "Total time a reel was played (ms)."),
}
DEPRECATED_METRICS = (
    "impressions",
    "plays",
    "video_views",
    "clips_replays_count",
    "ig_reels_aggregated_all_plays_count",
    "engagement",
)
FIELD_COUNTS = ("like_count", "comments_count")


@dataclass
class IgMedia:
    id: str
    owner_id: str
    media_type: str  # IMAGE | VIDEO | CAROUSEL_ALBUM
    media_product_type: str  # FEED | REELS | STORY
    caption: str
    media_url: str | None
    shortcode: str
    timestamp: float
    container_id: str
    children: list[str] = field(default_factory=list)
    is_child: bool = False
    deleted: bool = False
    metrics: dict[str, int] = field(default_factory=dict)


@dataclass
class InstagramConfig:
    image_processing_seconds: float = 1.0
    video_processing_seconds: float = 5.0
    container_expire_seconds: float = 86400.0
    quota_total: int = 50
    quota_duration: int = 86400
    caption_max: int = 2200
    hashtags_max: int = 30
    mentions_max: int = 20
    carousel_min: int = 2
    carousel_max: int = 10
    require_jpeg: bool = True
    image_max_bytes: int = 8 * 1024 * 1024
    fetch_timeout: float = 5.0
    republish: str = "error"  # "error" | "return_existing"
    media_delete_supported: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class InstagramState:
    config: InstagramConfig = field(default_factory=InstagramConfig)
    containers: dict[str, Container] = field(default_factory=dict)
    media: dict[str, IgMedia] = field(default_factory=dict)
    quota: RollingQuota = field(default_factory=RollingQuota)
    ids: Snowflake = field(default_factory=lambda: Snowflake(epoch_ms=0, shift=12))
