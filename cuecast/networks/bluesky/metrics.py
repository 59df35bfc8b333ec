"""Bluesky's figures as data (docs/networks/bluesky.md, "Metrics").

The AppView's postView counts likes, reposts, replies, quotes and bookmarks; Bluesky has no
impressions or reach. The counts stay readable as long as the post exists; Cuecast polls for
30 days.
"""

from __future__ import annotations

from datetime import timedelta

from cuecast.networks.base import Metric, MetricsSpec

METRICS = MetricsSpec(
    post=(
        Metric("likes", ("likeCount",)),
        Metric("comments", ("replyCount",)),
        Metric("reposts", ("repostCount",)),
        Metric("saves", ("bookmarkCount",)),
    ),
    kept_only=frozenset({"quoteCount"}),
    exposed_for=None,
    horizon=timedelta(days=30),
    calls_per_poll=1,
    # GET app.bsky.actor.getProfile?actor=<did>
    account=(Metric("followers", ("followersCount",)),),
    account_calls=1,
)
