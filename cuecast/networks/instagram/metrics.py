"""Instagram's figures as data (docs/networks/instagram.md, "Metrics").

The media's like_count and comments_count fields and its insights views, reach, likes,
comments, shares, saved, total_interactions (impressions and plays were retired on 21 April
2025). Insights are kept two years and may lag up to 48 hours; Cuecast polls for 90 days.
"""

from __future__ import annotations

from datetime import timedelta

from cuecast.networks.base import Metric, MetricsSpec

METRICS = MetricsSpec(
    post=(
        Metric("impressions", ("views",)),
        Metric("reach", ("reach",)),
        Metric("likes", ("likes", "like_count")),
        Metric("comments", ("comments", "comments_count")),
        Metric("reposts", ("shares",)),
        Metric("saves", ("saved",)),
    ),
    kept_only=frozenset({"total_interactions"}),
    exposed_for=timedelta(days=730),
    horizon=timedelta(days=90),
    calls_per_poll=2,  # the media's fields, then its insights
    # GET /{ig-user-id}?fields=followers_count, GET /{ig-user-id}/insights?metric=reach&period=day
    account=(
        Metric("followers", ("followers_count",)),
        Metric("reach", ("reach",)),
    ),
    account_calls=2,
)
