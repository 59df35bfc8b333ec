"""X's figures as data: names, window, calls (docs/networks/x.md, "Metrics").

GET /2/tweets/{id} with tweet.fields=public_metrics,non_public_metrics: public_metrics for any
post, non_public_metrics only on the owner's posts younger than 30 days. Cuecast polls for those
30 days (impressions and link clicks come from the non-public group) and no longer: every read
is billed on X's pay-per-use access.
"""

from __future__ import annotations

from datetime import timedelta

from cuecast.networks.base import Metric, MetricsSpec

NON_PUBLIC_WINDOW = timedelta(days=30)

METRICS = MetricsSpec(
    post=(
        Metric("impressions", ("impression_count",)),
        Metric("likes", ("like_count",)),
        Metric("comments", ("reply_count",)),
        Metric("reposts", ("retweet_count", "repost_count")),
        Metric("clicks", ("url_link_clicks",)),
        Metric("saves", ("bookmark_count",)),
    ),
    kept_only=frozenset(
        {
            "quote_count",
            "user_profile_clicks",
            # Video posts: playback quartiles of the non-public group.
            "playback_0_count",
            "playback_25_count",
            "playback_50_count",
            "playback_75_count",
            "playback_100_count",
        }
    ),
    exposed_for=NON_PUBLIC_WINDOW,
    horizon=NON_PUBLIC_WINDOW,
    calls_per_poll=1,
    # GET /2/users/me?user.fields=public_metrics
    account=(Metric("followers", ("followers_count",)),),
    account_calls=1,
)
