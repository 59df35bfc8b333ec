"""The Bluesky PDS emulator's in-memory state and its pre-seeded accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sandbox.bluesky.ids import TidClock
from sandbox.bluesky.limits import PointsLimiter
from sandbox.common.tokens import TokenStore

POST = "app.bsky.feed.post"
SERVICE_DID = "did:web:pds.bsky.sandbox"
HANDLE_DOMAIN = ".bsky.sandbox"

# Metric names of app.bsky.feed.defs#postView.
METRICS = ("likeCount", "repostCount", "replyCount", "quoteCount", "bookmarkCount")
DUPLICATE_RKEY_MODES = ("internal_error", "invalid_request")


@dataclass
class Account:
    did: str
    handle: str
    email: str
    password: str  # the account password (full access)
    app_passwords: dict[str, str]  # name -> password ("xxxx-xxxx-xxxx-xxxx")
    display_name: str
    description: str = ""
    created_at: str = "2024-01-01T00:00:00.000Z"
    # followersCount and followsCount of the profile, set through the control API.
    figures: dict[str, int] = field(default_factory=dict)


@dataclass
class Blob:
    cid: str
    did: str  # the uploader: blobs live in one account's repo
    mime_type: str
    size: int
    data: bytes
    uploaded_at: float


@dataclass
class Record:
    did: str
    collection: str
    rkey: str
    cid: str
    value: dict[str, Any]
    created_at: float  # indexedAt
    metrics: dict[str, int] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"at://{self.did}/{self.collection}/{self.rkey}"


@dataclass
class Repo:
    did: str
    records: dict[tuple[str, str], Record] = field(default_factory=dict)  # (collection, rkey)
    head: str = ""  # commit cid
    rev: str = ""


@dataclass
class BlueskyConfig:
    access_jwt_lifetime: int = 2 * 3600  # reference PDS: "120mins"
    refresh_jwt_lifetime: int = 90 * 24 * 3600  # reference PDS: "90days"
    refresh_grace_seconds: int = 0  # reference PDS: 2 h; 0 = the used refresh token dies at once
    max_graphemes: int = 300
    max_text_bytes: int = 3000
    max_images: int = 4
    image_max_size: int = 1_000_000  # app.bsky.embed.images#image.image maxSize
    blob_upload_limit: int = 52_428_800  # Bluesky-hosted PDS (a self-hosted PDS defaults to 5 MiB)
    global_limit: int = 3000  # all requests, per IP
    global_window: int = 300
    write_points_hour: int = 5000  # per account (DID)
    write_hour_seconds: int = 3600  # that window's length; a chaos run shortens it
    write_points_day: int = 35000
    create_points: int = 3
    update_points: int = 2
    delete_points: int = 1
    session_limit_5min: int = 30  # createSession, per identifier (+ IP)
    session_limit_day: int = 300
    upload_blob_limit_day: int = 1000  # uploadBlob, per IP
    require_tid_rkey: bool = True  # stricter than the reference PDS (record-key syntax only)
    check_facet_ranges: bool = True  # stricter than the reference PDS (no range check)
    duplicate_rkey: str = "internal_error"  # or "invalid_request"

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BlueskyState:
    config: BlueskyConfig = field(default_factory=BlueskyConfig)
    accounts: dict[str, Account] = field(default_factory=dict)  # by DID
    repos: dict[str, Repo] = field(default_factory=dict)  # by DID
    blobs: dict[tuple[str, str], Blob] = field(default_factory=dict)  # (did, cid)
    tokens: TokenStore = field(default_factory=TokenStore)
    # refresh token value -> jti handed out when it was rotated (reuse in the grace period
    # yields a refresh token with the same id, as on the reference PDS)
    rotated: dict[str, str] = field(default_factory=dict)
    token_jti: dict[str, str] = field(default_factory=dict)  # refresh token value -> jti
    limiter: PointsLimiter = field(default_factory=PointsLimiter)
    tids: TidClock = field(default_factory=TidClock)
    jwt_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def account(self, identifier: str) -> Account | None:
        """By DID, handle (with or without ``@``) or email, case-insensitive for the latter two."""
        wanted = identifier.strip().lstrip("@").lower()
        for account in self.accounts.values():
            if wanted in (account.did.lower(), account.handle.lower(), account.email.lower()):
                return account
        return None

    def repo(self, did: str) -> Repo:
        repo = self.repos.get(did)
        if repo is None:
            repo = self.repos[did] = Repo(did=did)
        return repo

    def record_by_uri(self, uri: str) -> Record | None:
        if not uri.startswith("at://"):
            return None
        parts = uri[len("at://") :].split("/")
        if len(parts) != 3:
            return None
        authority, collection, rkey = parts
        account = self.account(authority)
        if account is None:
            return None
        return self.repo(account.did).records.get((collection, rkey))

    def find_post(self, post_id: str) -> Record | None:
        """A post by at-uri, or by rkey alone (first match)."""
        if post_id.startswith("at://"):
            return self.record_by_uri(post_id)
        for repo in self.repos.values():
            found = repo.records.get((POST, post_id))
            if found is not None:
                return found
        return None


def seeded_state() -> BlueskyState:
    state = BlueskyState()
    for account in (
        Account(
            did="did:plc:cuecastdemo4sandbox7bsky",
            handle="cuecast-demo.bsky.sandbox",
            email="demo@cuecast.sandbox",
            password="cuecast-demo-password",
            app_passwords={"cuecast": "cdmo-7k2p-x4qa-9fzt"},
            display_name="Cuecast Demo",
            description="The demo account of the Cuecast sandbox.",
        ),
        Account(
            did="did:plc:cuecastother5sandbox2bsky",
            handle="other.bsky.sandbox",
            email="other@cuecast.sandbox",
            password="cuecast-other-password",
            app_passwords={"cuecast": "othr-3m8w-q6ve-2hjn"},
            display_name="Cuecast Other",
            description="A second account, to mention and reply to.",
        ),
    ):
        state.accounts[account.did] = account
        state.repo(account.did)
    return state
