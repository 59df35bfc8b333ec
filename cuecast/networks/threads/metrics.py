"""Threads' figures as data (docs/networks/threads.md, "Metrics").

Media insights views, likes, replies, reposts, quotes, shares (nested replies not counted).
Meta states no retention for them [unconfirmed]; Cuecast polls for 90 days, as for Meta's
other networks.
"""

from __future__ import annotations

from datetime import timedelta

from cuecast.networks.base import Metric, MetricsSpec

METRICS = MetricsSpec(
    post=(
        Metric("impressions", ("views",)),
        Metric("likes", ("likes",)),
        Metric("comments", ("replies",)),
        Metric("reposts", ("reposts",)),
    ),
    kept_only=frozenset({"quotes", "shares"}),
    exposed_for=None,
    horizon=timedelta(days=90),
    calls_per_poll=1,
    # GET /{threads-user-id}/threads_insights?metric=followers_count
    account=(Metric("followers", ("followers_count",)),),
    account_calls=1,
)
