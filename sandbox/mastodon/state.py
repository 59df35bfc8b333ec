"""The Mastodon instance's in-memory state and its pre-seeded accounts."""

from __future__ import annotations

from collections import Counter
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
    # followers_count and following_count, set through the control API.
    figures: dict[str, int] = field(default_factory=dict)


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
    # Kept as statuses come and go, so that answering for one status or account never walks every
    # status (a load test creates a hundred thousand): live statuses per account, the newest one's
    # time per account, live replies per status.
    live_counts: Counter[str] = field(default_factory=Counter)
    last_status_at: dict[str, float] = field(default_factory=dict)
    reply_counts: Counter[str] = field(default_factory=Counter)

    def add_status(self, status: Status) -> None:
        self.statuses[status.id] = status
        self.live_counts[status.account_id] += 1
        newest = self.last_status_at.get(status.account_id, status.created_at)
        self.last_status_at[status.account_id] = max(newest, status.created_at)
        if status.in_reply_to_id:
            self.reply_counts[status.in_reply_to_id] += 1

    def delete_status(self, status: Status) -> None:
        status.deleted = True
        self.live_counts[status.account_id] -= 1
        if status.in_reply_to_id:
            self.reply_counts[status.in_reply_to_id] -= 1
        if self.last_status_at.get(status.account_id) == status.created_at:  # rare: walk once
            times = [
                s.created_at
                for s in self.statuses.values()
                if s.account_id == status.account_id and not s.deleted
            ]
            self.last_status_at.pop(status.account_id, None)
            if times:
                self.last_status_at[status.account_id] = max(times)

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
