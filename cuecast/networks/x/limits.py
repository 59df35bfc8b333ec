"""X's limits and caps as data for the rate budgets, and its rate-limit headers read as observations.

Figures: docs.x.com's current table (pay-per-use, the default for new developers since February
2026, and the legacy Pro tier: `POST /2/tweets` 100 per 15 minutes per user and 10,000 per 24 hours
per app) and the legacy tiered table (Free 17 and Basic 100 per 24 hours per user; 17 and 1,667 per
24 hours per app). Monthly caps come from X's tier announcements (see docs/networks/x.md, "Limits
Cuecast enforces"). A channel whose tier is not known ("") is read as pay-per-use.

Headers (docs.x.com/x-api/fundamentals/rate-limits): `x-rate-limit-limit|remaining|reset` for the
endpoint's window, `x-user-limit-24hour-*` and `x-app-limit-24hour-*` on `POST /2/tweets`; resets
are Unix seconds. X's windows open with the first call in them, so its own reset is adopted.
"""

from __future__ import annotations

import re
from datetime import timedelta

from cuecast.http import CallRecord
from cuecast.networks.base import (
    LimitKind,
    LimitObservation,
    LimitScope,
    LimitUnit,
    RateLimit,
    WindowKind,
)
from cuecast.networks.x import ratelimit

FREE, BASIC, PRO, PAY_PER_USE = "free", "basic", "pro", "pay_per_use"
UNKNOWN = ""  # a channel whose access tier nobody recorded: X's default today, pay-per-use
CURRENT = frozenset({UNKNOWN, PAY_PER_USE, PRO})
TIERS = (FREE, BASIC, PRO, PAY_PER_USE)

DOCS = "https://docs.x.com/x-api/fundamentals/rate-limits"
TIERED_DOCS = "https://developer.x.com/en/docs/twitter-api/rate-limits"
BASIC_ANSWER = "https://github.com/tweepy/tweepy/discussions/2129"
POST_CAP = "https://docs.x.com/x-api/fundamentals/post-cap"
TIER_NEWS = "reference/platform_apis.md §1.7 (tier announcements, 2023-2024)"

QUARTER_HOUR = timedelta(minutes=15)
DAY = timedelta(hours=24)
MONTH = timedelta(days=31)  # X's month starts on the billing date; 31 rolling days never over-admit
# A timeline page is up to 100 posts, and each post read counts against the monthly read cap.
TIMELINE_PAGE_READS = 100
# Resets are whole Unix seconds: the window may really end up to a second later.
RESET_MARGIN = timedelta(seconds=1)

TWEETS_15MIN = "tweets_15min"
TWEETS_24H_USER = "tweets_24h_user"
TWEETS_24H_APP = "tweets_24h_app"
POSTS_MONTH_USER = "posts_month_user"
POSTS_MONTH_APP = "posts_month_app"
TIMELINE_15MIN = "timeline_15min"
LOOKUP_15MIN = "lookup_15min"
READS_MONTH = "post_reads_month"


def _tweets_24h(scope: LimitScope, limit: int, tiers: frozenset[str], source: str) -> RateLimit:
    return RateLimit(
        name=TWEETS_24H_USER if scope == LimitScope.ACCOUNT else TWEETS_24H_APP,
        scope=scope,
        unit=LimitUnit.PARTS,
        limit=limit,
        window=DAY,
        kind=LimitKind.CAP,
        window_kind=WindowKind.FIRST_CALL,
        source=source,
        tiers=tiers,
        reported=True,
    )


def _posts_month(scope: LimitScope, limit: int, tier: str) -> RateLimit:
    return RateLimit(
        name=POSTS_MONTH_USER if scope == LimitScope.ACCOUNT else POSTS_MONTH_APP,
        scope=scope,
        unit=LimitUnit.PARTS,
        limit=limit,
        window=MONTH,
        kind=LimitKind.CAP,
        window_kind=WindowKind.ROLLING,
        source=TIER_NEWS,
        tiers=frozenset({tier}),
        confirmed=False,
    )


def _quarter_hour(name: str, limit: int, purpose: str, unit: LimitUnit) -> RateLimit:
    return RateLimit(
        name=name,
        scope=LimitScope.ACCOUNT,
        unit=unit,
        limit=limit,
        window=QUARTER_HOUR,
        kind=LimitKind.RATE,
        window_kind=WindowKind.FIRST_CALL,
        source=DOCS,
        purposes=frozenset({purpose}),
        reported=True,  # every tier's window is in the headers; the live figure wins
    )


def _reads_month(
    limit: int, tiers: frozenset[str], source: str, confirmed: bool
) -> list[RateLimit]:
    """The monthly post-read cap, counted by metric polls (one post each) and reconciliations (a
    timeline page each)."""
    return [
        RateLimit(
            name=READS_MONTH,
            scope=LimitScope.APP,
            unit=LimitUnit.READS,
            limit=limit,
            window=MONTH,
            kind=LimitKind.CAP,
            window_kind=WindowKind.ROLLING,
            source=source,
            purposes=frozenset({purpose}),
            tiers=tiers,
            cost=cost,
            confirmed=confirmed,
        )
        for purpose, cost in (("metrics", 1), ("reconcile", TIMELINE_PAGE_READS))
    ]


RATE_LIMITS: tuple[RateLimit, ...] = (
    _quarter_hour(TWEETS_15MIN, 100, "publish", LimitUnit.PARTS),
    _tweets_24h(LimitScope.APP, 10_000, CURRENT, DOCS),
    # No per-user day is documented for these tiers; the app's day bounds it, and X's
    # x-user-limit-24hour-* headers, when sent, give the live figure.
    _tweets_24h(LimitScope.ACCOUNT, 10_000, CURRENT, DOCS),
    _tweets_24h(LimitScope.ACCOUNT, 17, frozenset({FREE}), TIERED_DOCS),
    _tweets_24h(LimitScope.APP, 17, frozenset({FREE}), TIERED_DOCS),
    _tweets_24h(LimitScope.ACCOUNT, 100, frozenset({BASIC}), BASIC_ANSWER),
    _tweets_24h(LimitScope.APP, 1_667, frozenset({BASIC}), BASIC_ANSWER),
    _posts_month(LimitScope.APP, 500, FREE),
    _posts_month(LimitScope.ACCOUNT, 3_000, BASIC),
    _posts_month(LimitScope.APP, 50_000, BASIC),
    _posts_month(LimitScope.APP, 300_000, PRO),
    _quarter_hour(TIMELINE_15MIN, 900, "reconcile", LimitUnit.REQUESTS),
    _quarter_hour(LOOKUP_15MIN, 900, "metrics", LimitUnit.REQUESTS),
    *_reads_month(100, frozenset({FREE}), TIER_NEWS, confirmed=False),
    *_reads_month(10_000, frozenset({BASIC}), POST_CAP, confirmed=True),
    *_reads_month(1_000_000, frozenset({PRO}), POST_CAP, confirmed=True),
    *_reads_month(3_000_000, frozenset({UNKNOWN, PAY_PER_USE}), POST_CAP, confirmed=False),
)

# The endpoint a call went to → the budget its x-rate-limit-* window feeds.
_ENDPOINTS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"/2/tweets$"), TWEETS_15MIN),
    ("GET", re.compile(r"/2/users/[^/]+/tweets$"), TIMELINE_15MIN),
    ("GET", re.compile(r"/2/tweets(/[^/]+)?$"), LOOKUP_15MIN),
)


def _budget_for(call: CallRecord) -> str | None:
    for method, path, name in _ENDPOINTS:
        if call.method.upper() == method and path.search(call.path):
            return name
    return None


def _observation(
    name: str, scope: LimitScope, window: ratelimit.Window, refused: bool
) -> LimitObservation:
    resets_at = window.reset_at + RESET_MARGIN if window.reset_at is not None else None
    return LimitObservation(name, scope, window.limit, window.remaining, resets_at, refused)


def read(call: CallRecord) -> list[LimitObservation]:
    """The windows one answer reports. A 429 is laid on the 24-hour window that is used up, else
    on the endpoint's own window (X names no other reason in its headers)."""
    name = _budget_for(call)
    if name is None:
        return []
    refused = call.status == 429
    info = ratelimit.parse(name, call.limit_headers)
    if info is None:
        return [LimitObservation(name, LimitScope.ACCOUNT, refused=True)] if refused else []
    daily_refused = refused and info.daily_exhausted
    seen: list[LimitObservation] = []
    if info.window is not None:
        seen.append(
            _observation(name, LimitScope.ACCOUNT, info.window, refused and not daily_refused)
        )
    if name == TWEETS_15MIN:
        for window, budget, scope in (
            (info.user_24h, TWEETS_24H_USER, LimitScope.ACCOUNT),
            (info.app_24h, TWEETS_24H_APP, LimitScope.APP),
        ):
            if window is not None:
                seen.append(_observation(budget, scope, window, refused and window.exhausted))
    return seen
