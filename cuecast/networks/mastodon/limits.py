"""Mastodon's rate limit as data for the rate budgets, and its headers read as observations.

docs.joinmastodon.org/api/rate-limits: every account may make 300 requests in 5 minutes (servers
may change this); media uploads and deletes have their own 30 per 30 minutes. Windows are fixed
periods on the clock (rack-attack divides time by the period), and every answer carries
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (an ISO 8601 time) for the
most restrictive limit that applies to it.

Only the 300 / 5 minutes is budgeted: a post's media uploads are not known before it is published
(the connector's `RateLimited` handles an upload refused). Answers to media and delete calls may
report their own, tighter limit, so they are not read as the general one.
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
from cuecast.networks.mastodon.errors import parse_time

REQUESTS_5MIN = "requests_5min"
DOCS = "https://docs.joinmastodon.org/api/rate-limits/"

RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(
        name=REQUESTS_5MIN,
        scope=LimitScope.ACCOUNT,
        unit=LimitUnit.REQUESTS,  # one status per part; the server's headers count the rest
        limit=300,
        window=timedelta(minutes=5),
        kind=LimitKind.RATE,
        window_kind=WindowKind.ALIGNED,
        source=DOCS,
        purposes=frozenset({"publish", "reconcile", "metrics"}),
        reported=True,
    ),
)

# Calls under their own, tighter limit: their headers may describe that one instead.
_OWN_LIMITS = re.compile(r"/api/v[12]/media(/|$)|^DELETE .*/api/v1/statuses/|/unreblog$")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def read(call: CallRecord) -> list[LimitObservation]:
    if _OWN_LIMITS.search(f"{call.method.upper()} {call.path}"):
        return []
    headers = call.limit_headers
    limit = _int(headers.get("x-ratelimit-limit"))
    remaining = _int(headers.get("x-ratelimit-remaining"))
    resets_at = parse_time(headers.get("x-ratelimit-reset"))
    refused = call.status == 429
    if limit is None and remaining is None and resets_at is None and not refused:
        return []
    return [
        LimitObservation(REQUESTS_5MIN, LimitScope.ACCOUNT, limit, remaining, resets_at, refused)
    ]
