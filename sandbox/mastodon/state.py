"""The Mastodon instance's in-memory state and its pre-seeded accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.common.ids import Snowflake
from sandbox.common.ratelimit import RateLimiter
from sandbox.common.tokens import TokenStore

OOB = "urn:ietf:wg:oauth:2.0:oob"
IDEMPOTENCY_SECONDS = 3600


@dataclass
class MastodonApp:
    id: str
    name: str
    website: str | None
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    client_id: str
    client_secret: str


@dataclass
class Account:
    id: str
    username: str
    display_name: str
    created_at: str = "2024-01-01T00:00:00.000Z"


@dataclass
class Media:
    id: str
    account_id: str
    type: str
    content_type: str
    filename: str
    data: bytes
    description: str | None
    ready_at: float
    status_id: str | None = None


@dataclass
class Status:
    id: str
    account_id: str
    text: str
    created_at: float
    visibility: str
    sensitive: bool
    spoiler_text: str
    language: str | None
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    media_ids: list[str]
    poll: dict[str, Any] | None
    application: str | None
    idempotency_key: str | None = None
    metrics: dict[str, int] = field(default_factory=dict)
    deleted: bool = False


@dataclass
class MastodonConfig:
    max_characters: int = 500
    characters_reserved_per_url: int = 23
    max_media_attachments: int = 4
    image_size_limit: int = 16 * 1024 * 1024
    video_size_limit: int = 99 * 1024 * 1024
    media_sync_threshold: int = 64 * 1024  # images up to this size are processed synchronously
    media_processing_seconds: float = 2.0
    rate_limit: int = 300
    rate_period: float = 300
    media_rate_limit: int = 30
    media_rate_period: float = 1800
    delete_rate_limit: int = 30
    delete_rate_period: float = 1800

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class MastodonState:
    config: MastodonConfig = field(default_factory=MastodonConfig)
    apps: dict[str, MastodonApp] = field(default_factory=dict)  # by client_id
    accounts: dict[str, Account] = field(default_factory=dict)
    tokens: TokenStore = field(default_factory=TokenStore)
    statuses: dict[str, Status] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    ids: Snowflake = field(default_factory=lambda: Snowflake(epoch_ms=0, shift=16))

    def account_by_name(self, name: str) -> Account | None:
        wanted = name.lstrip("@").split("@")[0].lower()
        for account in self.accounts.values():
            if account.username.lower() == wanted or account.id == wanted:
                return account
        return None

    def live_status(self, status_id: str) -> Status | None:
        status = self.statuses.get(status_id)
        return status if status is not None and not status.deleted else None


def seeded_state() -> MastodonState:
    state = MastodonState()
    for account in (
        Account(id="110000000000000001", username="demo", display_name="Cuecast Demo"),
        Account(id="110000000000000002", username="other", display_name="Cuecast Other"),
    ):
        state.accounts[account.id] = account
    return state
