"""Bluesky's limits as data for the rate budgets, and its `ratelimit-*` headers read as observations.

docs.bsky.app/docs/advanced-guides/rate-limits: every account (DID) has 5,000 write points an hour
and 35,000 a day (a created record costs 3, an update 2, a delete 1); a PDS takes 3,000 requests
in 5 minutes from one IP address. The PDS counts in windows that open with the first request
(rate-limiter-flexible) and answers with `ratelimit-limit|remaining|reset|policy` for the tightest
bucket; `ratelimit-policy` (`<limit>;w=<seconds>`) says which one, so an answer feeds the budget
of that window's length.

The per-IP limit is budgeted app-wide: Cuecast's workers on several machines then share one
budget, which can only under-use it.
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
from cuecast.networks.bluesky import ratelimit

DOCS = "https://docs.bsky.app/docs/advanced-guides/rate-limits"

WRITE_POINTS_PER_HOUR = 5000
WRITE_POINTS_PER_DAY = 35000
POINTS_CREATE = 3
POINTS_UPDATE = 2
POINTS_DELETE = 1
REQUESTS_PER_5_MIN = 3000  # per IP address, on the PDS

WRITE_POINTS_HOUR = "write_points_hour"
WRITE_POINTS_DAY = "write_points_day"
REQUESTS_5MIN = "requests_5min"
# Resets are whole Unix seconds: the window may really end up to a second later.
RESET_MARGIN = timedelta(seconds=1)

RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(
        name=WRITE_POINTS_HOUR,
        scope=LimitScope.ACCOUNT,
        unit=LimitUnit.PARTS,  # every post of a thread is a created record
        limit=WRITE_POINTS_PER_HOUR,
        window=timedelta(hours=1),
        kind=LimitKind.RATE,
        window_kind=WindowKind.FIRST_CALL,
        source=DOCS,
        cost=POINTS_CREATE,
        reported=True,
    ),
    RateLimit(
        name=WRITE_POINTS_DAY,
        scope=LimitScope.ACCOUNT,
        unit=LimitUnit.PARTS,
        limit=WRITE_POINTS_PER_DAY,
        window=timedelta(hours=24),
        kind=LimitKind.CAP,
        window_kind=WindowKind.FIRST_CALL,
        source=DOCS,
        cost=POINTS_CREATE,
        reported=True,
    ),
    RateLimit(
        name=REQUESTS_5MIN,
        scope=LimitScope.APP,
        unit=LimitUnit.REQUESTS,  # a post's record; its image uploads show in the headers
        limit=REQUESTS_PER_5_MIN,
        window=timedelta(minutes=5),
        kind=LimitKind.RATE,
        window_kind=WindowKind.FIRST_CALL,
        source=DOCS,
        purposes=frozenset({"publish", "reconcile", "metrics"}),
        reported=True,
    ),
)

_BY_WINDOW: dict[int, tuple[str, LimitScope]] = {
    3600: (WRITE_POINTS_HOUR, LimitScope.ACCOUNT),
    86400: (WRITE_POINTS_DAY, LimitScope.ACCOUNT),
    300: (REQUESTS_5MIN, LimitScope.APP),
}


def read(call: CallRecord) -> list[LimitObservation]:
    info = ratelimit.parse(call.limit_headers, call.started_at)
    refused = call.status == 429
    if info is None or info.window_seconds not in _BY_WINDOW:
        # A refusal that names no window: the account's hourly points are the likeliest.
        return (
            [LimitObservation(WRITE_POINTS_HOUR, LimitScope.ACCOUNT, refused=True)]
            if refused
            else []
        )
    name, scope = _BY_WINDOW[info.window_seconds]
    resets_at = info.reset_at + RESET_MARGIN if info.reset_at is not None else None
    return [LimitObservation(name, scope, info.limit, info.remaining, resets_at, refused)]
