"""The contract every network meets: a descriptor (data) and a connection (per account, behaviour).

A network package (`cuecast/networks/<key>/`) exports `build(settings) -> Network`. Its descriptor
is a frozen dataclass the UI, the validators and the docs read; its `Connection` does the few
things the publishing engine needs. Connections are async: the dispatcher runs many at once.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import httpx

if TYPE_CHECKING:
    from cuecast.http import CallRecord


class AuthKind(StrEnum):
    OAUTH2 = "oauth2"
    OAUTH2_PKCE = "oauth2_pkce"
    APP_PASSWORD = "app_password"  # noqa: S105 (a kind of auth, not a password)


class TextCounting(StrEnum):
    X_WEIGHTED = "x_weighted"  # twitter-text: weights, URLs as 23, NFC
    MASTODON = (
        "mastodon"  # code points, URLs as the instance's reserved length, mentions by username
    )
    GRAPHEMES = "graphemes"
    UTF8_BYTES_FOR_EMOJI = "utf8_bytes_for_emoji"
    CODE_POINTS = "code_points"


class Idempotency(StrEnum):
    KEY_HEADER = "key_header"  # Mastodon's Idempotency-Key
    CONTAINER = "container"  # Instagram / Threads two-phase containers
    RECORD_KEY = "record_key"  # Bluesky client-chosen rkey
    NONE = "none"  # reconcile by looking the post up


@dataclass(frozen=True)
class TextLimit:
    max_length: int
    counting: TextCounting
    url_length: int | None = None


class LimitScope(StrEnum):
    APP = "app"  # Cuecast's app at the network: shared by every workspace
    ACCOUNT = "account"  # one connected account (a channel)


class LimitUnit(StrEnum):
    """What a limit counts, so a unit of work's cost follows from the posts it makes."""

    PARTS = "parts"  # every post a publish sends, a thread's replies included (X, Bluesky)
    POSTS = "posts"  # one per publish; a thread's replies are counted apart (Threads, Instagram)
    REPLIES = "replies"  # a thread's parts after the first (Threads' reply cap)
    REQUESTS = "requests"  # API requests of any kind, `cost` per unit of work
    READS = "reads"  # posts read (X's monthly read cap), `cost` per unit of work
    PERCENT = "percent"  # a usage percentage the network reports (Meta); Cuecast counts nothing


class LimitKind(StrEnum):
    RATE = "rate"  # a short window: work waits for it, nothing is held
    CAP = "cap"  # a daily or monthly cap: work is held, with the time it reopens


class WindowKind(StrEnum):
    ALIGNED = "aligned"  # fixed windows on the UTC clock (LinkedIn's day, Mastodon's 5 minutes)
    FIRST_CALL = "first_call"  # a window opens with the first call in it (X, Bluesky)
    ROLLING = "rolling"  # any window of that length (Instagram's and Threads' 24 hours)


@dataclass(frozen=True)
class RateLimit:
    """One published limit or cap, as data (docs/networks/<key>.md, "Limits Cuecast enforces").

    Several entries may share a `name` (one per access tier, or per purpose with its own cost):
    the name is the budget, counted once per scope; the entry that applies gives the numbers."""

    name: str  # stable: part of the budget's key in the database
    scope: LimitScope
    unit: LimitUnit
    limit: int
    window: timedelta
    kind: LimitKind
    window_kind: WindowKind
    source: str  # where the figure comes from
    # Which work the limit counts: publish | reconcile | metrics.
    purposes: frozenset[str] = frozenset({"publish"})
    # The access tiers it applies to; empty: every tier. "" in it: a channel whose tier is unknown.
    tiers: frozenset[str] = frozenset()
    cost: int = 1  # units per counted post, or per unit of work for REQUESTS
    # The network reports this limit in its headers (`Network.read_limits`): Cuecast then learns
    # the live figure with one call before trusting the documented one.
    reported: bool = False
    # Share of the limit left unused, only where the network's window semantics are unknown.
    reserve: float = 0.0
    confirmed: bool = True  # False: the figure is from third parties, not the network's docs
    # The calls the network counts ("METHOD path" regex), when it counts only some: a unit of work
    # none of whose calls matching it may have been carried out (answered 2xx or 5xx, or not at
    # all) gives its reservation back. Empty: every reserved unit counts.
    counted_calls: str = ""

    def applies(self, tier: str, purpose: str) -> bool:
        return purpose in self.purposes and (not self.tiers or tier in self.tiers)

    def units(self, parts: int) -> int:
        """What one unit of work of `parts` posts costs against this limit."""
        if self.unit in (LimitUnit.PARTS, LimitUnit.REQUESTS):
            return parts * self.cost
        if self.unit == LimitUnit.REPLIES:
            return max(parts - 1, 0) * self.cost
        if self.unit == LimitUnit.PERCENT:
            return 0  # Meta counts; Cuecast only reads its percentages
        return self.cost  # POSTS, READS: once per unit of work


@dataclass(frozen=True)
class LimitObservation:
    """What one answer's headers (or its refusal) said about a limit, in Cuecast's terms."""

    name: str  # the RateLimit.name it is about
    scope: LimitScope
    limit: int | None = None
    remaining: int | None = None
    resets_at: datetime | None = None
    refused: bool = False  # this limit refused the call (a 429, a throttle)


@dataclass(frozen=True)
class MediaRules:
    max_images: int
    image_types: frozenset[str]
    max_image_bytes: int
    max_alt_text: int = 1500
    min_media: int = 0  # Instagram: no text-only posts
    # Allowed width/height range of images, e.g. Instagram's 4:5 to 1.91:1; None: any.
    aspect_ratio: tuple[float, float] | None = None


@dataclass(frozen=True)
class Capabilities:
    threads: bool
    first_comment: bool
    idempotency: Idempotency
    lookup: bool
    delete: bool
    metrics: bool
    needs_server_url: bool = False  # federated: the user names their server


@dataclass(frozen=True)
class Metric:
    """One of Cuecast's figures and the network's own names that carry it. The connector returns
    the network's names; the first of `native` present in its answer gives the value."""

    name: str  # cuecast.analytics.models.METRIC_FIELDS, or "followers" / "reach" for a channel
    native: tuple[str, ...]


@dataclass(frozen=True)
class MetricsSpec:
    """What a network reports about a published post and a channel, and for how long (data the
    polling plan, the normaliser and docs/networks/<key>.md read)."""

    post: tuple[Metric, ...] = ()
    # Names the connector may return that Cuecast keeps (in the snapshot's `raw`) but does not
    # map onto one of its figures, e.g. X's quote_count.
    kept_only: frozenset[str] = frozenset()
    # How long after publishing the network serves a post's figures; None: while the post exists.
    exposed_for: timedelta | None = None
    # How long after publishing Cuecast polls: within `exposed_for`, and as long as it is worth it.
    horizon: timedelta = timedelta(0)
    # Calls one poll of a post makes when nothing goes wrong (the plan's call count).
    calls_per_poll: int = 1
    account: tuple[Metric, ...] = ()  # channel figures: "followers", "reach"
    account_calls: int = 0  # calls one reading of the channel's figures makes

    def native_names(self) -> frozenset[str]:
        """Every name the connector may return for a post."""
        return frozenset(n for m in self.post for n in m.native) | self.kept_only

    def knows(self, name: str) -> bool:
        """Whether a name the connector returned is documented here. A breakdown comes as
        `metric.key` (Facebook's reactions by type) and is known by its metric."""
        return name in self.native_names() or name.split(".", 1)[0] in self.kept_only


@dataclass(frozen=True)
class Descriptor:
    key: str  # stable: stored in the database and the API; never rename
    name: str
    auth: AuthKind
    scopes: tuple[str, ...]
    text: TextLimit
    media: MediaRules
    capabilities: Capabilities
    docs_page: str  # docs/networks/<key>.md
    # How long before expiry the engine refreshes a token. Minutes where the network refreshes
    # expired tokens too; days where an expired token cannot be renewed (60-day Meta tokens).
    refresh_ahead: timedelta = timedelta(minutes=5)
    # Which per-post options the network takes (PostOption values); the composer offers these.
    post_options: frozenset[str] = frozenset()
    # The network's published limits and caps that Cuecast's rate budgets enforce.
    rate_limits: tuple[RateLimit, ...] = ()
    # Which figures the network reports for posts and channels, and for how long.
    metrics: MetricsSpec = MetricsSpec()


class PostOption(StrEnum):
    """Per-post settings some networks have; values are validated by the posts service."""

    CONTENT_WARNING = "content_warning"  # Mastodon spoiler_text
    VISIBILITY = "visibility"  # Mastodon: public | unlisted | private | direct
    LANGUAGE = "language"  # ISO 639-1, e.g. "de"


VISIBILITIES = ("public", "unlisted", "private", "direct")


@dataclass(frozen=True)
class TextCount:
    count: int
    limit: int

    @property
    def over_by(self) -> int:
        return max(0, self.count - self.limit)

    @property
    def fits(self) -> bool:
        return self.count <= self.limit


@dataclass(frozen=True)
class MediaItem:
    path: str  # local file path
    content_type: str
    size_bytes: int
    alt_text: str = ""
    width: int | None = None
    height: int | None = None
    # Where the network can fetch the file itself (Instagram and Threads take image URLs):
    # Cuecast's public URL for it; empty when Cuecast has no public address.
    url: str = ""


@dataclass(frozen=True)
class Part:
    """One message of a post: a single post has one part; a thread has several."""

    text: str
    media: tuple[MediaItem, ...] = ()


@dataclass(frozen=True)
class PublishRequest:
    parts: tuple[Part, ...]
    idempotency_key: str  # stable per target; networks with idempotency send it
    already_published: tuple[str, ...] = ()  # part ids that went out on an earlier attempt
    attempt_started_at: datetime | None = None  # for reconciliation look-ups
    # What earlier attempts recorded with `Connection.record_progress` (container ids, a chosen
    # record key): lets a retry or a reconciliation continue instead of starting over.
    progress: dict[str, Any] = field(default_factory=dict)
    # Per-post settings (PostOption → value), only those the network's descriptor lists.
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    external_id: str  # the first part's id: the post's identity on the network
    permalink: str
    part_ids: tuple[str, ...] = ()


@dataclass
class Account:
    """What a connection knows of its channel. `credentials` may be replaced by a refresh."""

    external_id: str
    handle: str
    base_url: str
    credentials: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)  # e.g. the instance's limits


@dataclass(frozen=True)
class ConnectedAccount:
    """What a finished OAuth flow yields; the channels service stores it as a Channel."""

    external_id: str
    handle: str
    display_name: str
    base_url: str
    credentials: dict[str, Any]
    token_expires_at: datetime | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # non-secret, e.g. the instance's limits


@dataclass(frozen=True)
class AuthorizationStart:
    url: str  # where to send the user's browser
    state: str
    session_data: dict[str, Any]  # kept server-side (the session) until the callback


class ClientStore(Protocol):
    """Persists per-server OAuth app registrations (Mastodon registers one app per instance).

    Async because OAuth flows are: a store backed by the database does its I/O off the loop."""

    async def get(
        self, network: str, base_url: str, redirect_uri: str
    ) -> dict[str, Any] | None: ...

    async def save(
        self, network: str, base_url: str, redirect_uri: str, client: dict[str, Any]
    ) -> None: ...


class OAuthFlow(abc.ABC):
    """Browser-based connect: `start` gives the consent URL; the callback calls `finish_all`."""

    @abc.abstractmethod
    async def start(
        self, *, redirect_uri: str, server_url: str, clients: ClientStore
    ) -> AuthorizationStart: ...

    @abc.abstractmethod
    async def finish(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> ConnectedAccount: ...

    async def finish_all(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> list[ConnectedAccount]:
        """Every account one consent grants (Facebook Pages, Instagram accounts, LinkedIn
        organisations); the user picks which to connect when there are several. Networks whose
        consent names one account keep this default."""
        return [await self.finish(code=code, redirect_uri=redirect_uri, session_data=session_data)]


class AppPasswordFlow(abc.ABC):
    """Connect with an identifier and an app password (Bluesky). The password is exchanged for
    a session at once and never stored."""

    @abc.abstractmethod
    async def login(
        self, *, server_url: str, identifier: str, password: str
    ) -> ConnectedAccount: ...


class Connection(abc.ABC):
    """One account's client. Raises only `cuecast.networks.errors` exceptions."""

    def __init__(self, account: Account, http: httpx.AsyncClient) -> None:
        self.account = account
        self.http = http
        self.progress_sink: Callable[[dict[str, Any]], Awaitable[None]] | None = None

    async def record_progress(self, progress: dict[str, Any]) -> None:
        """Persist what a later attempt must know (a container id, a record key) BEFORE the call
        that depends on it; the dispatcher stores it on the target at once."""
        if self.progress_sink is not None:
            await self.progress_sink(progress)

    @abc.abstractmethod
    async def publish(self, request: PublishRequest) -> PublishResult: ...

    @abc.abstractmethod
    async def find_published(self, request: PublishRequest) -> PublishResult | None:
        """Reconcile: the post if this request already created it on the network, else None."""

    @abc.abstractmethod
    async def delete(self, external_id: str) -> None: ...

    @abc.abstractmethod
    async def fetch_metrics(self, external_id: str) -> dict[str, int]: ...

    async def fetch_account_metrics(self) -> dict[str, int]:
        """The channel's own figures (followers, reach), with the network's names; {} where the
        network reports none (`descriptor.metrics.account`)."""
        return {}

    @abc.abstractmethod
    async def refresh_credentials(self) -> dict[str, Any] | None:
        """New credentials after a refresh (also set on `self.account`), or None if not refreshable."""


class Network(abc.ABC):
    descriptor: Descriptor

    @property
    def key(self) -> str:
        return self.descriptor.key

    def text_limit(self, account_settings: dict[str, Any] | None = None) -> TextLimit:
        """The limit for one account; federated networks read it from the server's configuration."""
        return self.descriptor.text

    @abc.abstractmethod
    def count_text(self, text: str, limit: TextLimit | None = None) -> TextCount: ...

    def oauth(self) -> OAuthFlow:
        raise NotImplementedError(f"{self.descriptor.name} does not connect through OAuth.")

    def app_password(self) -> AppPasswordFlow:
        raise NotImplementedError(f"{self.descriptor.name} does not connect with an app password.")

    def read_limits(self, call: CallRecord) -> list[LimitObservation]:
        """What one call's answer says about the network's limits (its rate-limit headers, a
        refusal). Foreign header formats are read here, in the network's package, only."""
        return []

    @abc.abstractmethod
    def connect(self, account: Account, http: httpx.AsyncClient) -> Connection: ...
