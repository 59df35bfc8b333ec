"""Instagram's limits for the rate budgets, and its usage headers read as observations.

The IG User Media Publish reference: a professional account can publish 50 posts within a 24-hour
moving period (a carousel counts once), enforced at `media_publish`; older pages said 25 and
third-party tools cite 100 [conflict] — Cuecast budgets the reference's 50, and the connector still
reads `content_publishing_limit` before each publish. The budget counts a publish once
`media_publish` may have published it (answered 2xx or 5xx, or not at all): a publish refused
before or by it gives its reservation back. Calls fall under Business Use Case limits,
reported in `X-Business-Use-Case-Usage` (type "instagram") and `X-App-Usage`, as percentages.
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
from cuecast.networks.facebook.limits import APP_USAGE, read_usage, usage_limit

MEDIA_PUBLISH = (
    "https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/"
    "reference/ig-user/media_publish"
)
RATE_LIMITING = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting/"

POSTS_24H = "posts_24h"
ACCOUNT_USAGE = "account_usage"

RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(
        name=POSTS_24H,
        scope=LimitScope.ACCOUNT,
        unit=LimitUnit.POSTS,
        limit=50,
        window=timedelta(hours=24),
        kind=LimitKind.CAP,
        window_kind=WindowKind.ROLLING,
        source=MEDIA_PUBLISH,
        # Instagram counts what `media_publish` published: a publish refused before it (a
        # container error, the limit check, a throttle) or by it does not use the cap.
        counted_calls=r"^POST .*/media_publish$",
    ),
    usage_limit(ACCOUNT_USAGE, LimitScope.ACCOUNT, timedelta(hours=24), RATE_LIMITING),
    usage_limit(APP_USAGE, LimitScope.APP, timedelta(hours=1), RATE_LIMITING),
)


def read(call: CallRecord) -> list[LimitObservation]:
    return read_usage(call, frozenset({"instagram"}), ACCOUNT_USAGE)
