"""Mastodon's figures as data (docs/networks/mastodon.md, "Metrics").

A Status carries public counters only (replies_count, reblogs_count, favourites_count,
quotes_count since 4.5): no impressions, reach or clicks. They stay readable as long as the
status exists; Cuecast polls for 30 days, when a post's conversation is long over.
"""

from __future__ import annotations

from datetime import timedelta

from cuecast.networks.base import Metric, MetricsSpec

METRICS = MetricsSpec(
    post=(
        Metric("likes", ("favourites_count",)),
        Metric("comments", ("replies_count",)),
        Metric("reposts", ("reblogs_count",)),
    ),
    kept_only=frozenset({"quotes_count"}),
    exposed_for=None,
    horizon=timedelta(days=30),
    calls_per_poll=1,
    # GET /api/v1/accounts/verify_credentials
    account=(Metric("followers", ("followers_count",)),),
    account_calls=1,
)
