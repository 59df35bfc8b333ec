"""LinkedIn's posting cap for the rate budgets, and its refusals read as observations.

learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits: every endpoint has a daily
limit per application and per member, reset at midnight UTC; the figures are not published (the
Developer Portal shows them per app), and answers carry no rate-limit headers — a limited call
gets a bare 429, "also occasionally for infrastructure protection". Third parties report 150 posts
a day per member [unconfirmed]; Cuecast budgets that. A 429 on publishing is not read as the day's
cap: it pauses the member's budget until its `Retry-After` if one is sent, else for a short
while (the budget's default); the budget holds work until midnight UTC only when its own count
of the day is used up.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from cuecast.http import CallRecord
from cuecast.networks.base import (
    LimitKind,
    LimitObservation,
    LimitScope,
    LimitUnit,
    RateLimit,
    WindowKind,
)

RATE_LIMITS_DOCS = (
    "https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits"
)
REPORTED_CAP = (
    "https://www.ayrshare.com/docs/help-center/product/how_many_posts_and_api_calls_can_i_make"
)
DAY = timedelta(hours=24)

POSTS_DAY = "posts_day"

RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(
        name=POSTS_DAY,
        scope=LimitScope.ACCOUNT,
        unit=LimitUnit.POSTS,
        limit=150,
        window=DAY,
        kind=LimitKind.CAP,
        window_kind=WindowKind.ALIGNED,  # midnight UTC
        source=REPORTED_CAP,
        confirmed=False,
    ),
)

# The calls of a publish: the post itself and its image uploads.
_PUBLISHING = re.compile(r"/rest/(posts|images)(\?|$)")


def next_midnight(moment: datetime) -> datetime:
    """00:00 UTC after `moment` (an aware time)."""
    return datetime.combine(moment.astimezone(UTC).date(), time(0), tzinfo=UTC) + DAY


def read(call: CallRecord) -> list[LimitObservation]:
    if call.status != 429 or call.method.upper() != "POST" or not _PUBLISHING.search(call.path):
        return []
    value = call.limit_headers.get("retry-after", "").strip()
    retry_at = call.started_at + timedelta(seconds=int(value)) if value.isdigit() else None
    return [LimitObservation(POSTS_DAY, LimitScope.ACCOUNT, resets_at=retry_at, refused=True)]
