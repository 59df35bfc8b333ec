"""Facebook Pages' figures as data (docs/networks/facebook.md, "Metrics").

A post's object counts (shares, comments, reactions) and its lifetime insights
(post_media_view, post_total_media_view_unique, post_clicks; the retired post_impressions
names are read where an older API still sends them). Insights are kept two years and update
about daily; Cuecast polls for 90 days.
"""

from __future__ import annotations

from datetime import timedelta

from cuecast.networks.base import Metric, MetricsSpec

METRICS = MetricsSpec(
    post=(
        Metric("impressions", ("post_media_view", "post_impressions")),
        Metric("reach", ("post_total_media_view_unique", "post_impressions_unique")),
        Metric("likes", ("reactions",)),
        Metric("comments", ("comments",)),
        Metric("reposts", ("shares",)),
        Metric("clicks", ("post_clicks",)),
    ),
    # Reactions by type come as post_reactions_by_type_total.like, .love, …
    kept_only=frozenset({"post_reactions_by_type_total"}),
    exposed_for=timedelta(days=730),
    horizon=timedelta(days=90),
    calls_per_poll=2,  # the post's counts, then its insights
    # GET /{page-id}?fields=followers_count, GET /{page-id}/insights?metric=…&period=day
    account=(
        Metric("followers", ("followers_count",)),
        Metric("reach", ("page_total_media_view_unique",)),
    ),
    account_calls=2,
)
