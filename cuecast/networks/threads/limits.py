"""Threads' limits for the rate budgets, and its usage headers read as observations.

The Threads overview: a profile may publish 250 posts and 1,000 replies within a 24-hour moving
period (a carousel counts once), enforced at `threads_publish`; calls are counted per app and
user in a rolling 24 hours (4,800 times impressions), a figure Cuecast cannot know in advance. The
Graph usage headers are read when graph.threads.net sends them [unconfirmed that it does]; the
budget then stops before 100 %.
"""

from __future__ import annotations

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
from cuecast.networks.facebook.limits import APP_USAGE, retry_after, usage_limit
from cuecast.networks.facebook.ratelimit import REGAIN_MARGIN
from cuecast.networks.threads import ratelimit

OVERVIEW = "https://developers.facebook.com/docs/threads/overview/"
REPLIES = "https://developers.facebook.com/documentation/threads/retrieve-and-manage-replies"
DAY = timedelta(hours=24)

POSTS_24H = "posts_24h"
REPLIES_24H = "replies_24h"

RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(
        name=POSTS_24H,
        scope=LimitScope.ACCOUNT,
        unit=LimitUnit.POSTS,
        limit=250,
        window=DAY,
        kind=LimitKind.CAP,
        window_kind=WindowKind.ROLLING,
        source=OVERVIEW,
    ),
    RateLimit(
        name=REPLIES_24H,
        scope=LimitScope.ACCOUNT,
        unit=LimitUnit.REPLIES,  # a thread's second and later posts are replies
        limit=1000,
        window=DAY,
        kind=LimitKind.CAP,
        window_kind=WindowKind.ROLLING,
        source=REPLIES,
    ),
    # Threads counts calls per app *and user*: the usage is this account's.
    usage_limit(APP_USAGE, LimitScope.ACCOUNT, DAY, OVERVIEW),
)


def read(call: CallRecord) -> list[LimitObservation]:
    """The usage one answer reports, as 100 units of which `percent` are used. Throttled, it
    reopens when Meta estimates, plus a minute (the estimate is in whole minutes), else when a
    `Retry-After` says."""
    usage = ratelimit.parse(call.limit_headers, call.started_at)
    said = retry_after(call)
    if usage is None:
        if call.status == 429 and said is not None:  # refused, with no usage report
            return [LimitObservation(APP_USAGE, LimitScope.ACCOUNT, resets_at=said, refused=True)]
        return []
    estimate = usage.retry_at()
    retry_at = estimate + REGAIN_MARGIN if estimate is not None else said
    return [
        LimitObservation(
            APP_USAGE,
            LimitScope.ACCOUNT,
            limit=100,
            remaining=max(0, 100 - usage.percent),
            resets_at=retry_at,
            refused=usage.percent >= 100 or usage.regain_minutes > 0,
        )
    ]
