"""LinkedIn's figures as data (docs/networks/linkedin.md, "Metrics").

organizationalEntityShareStatistics: lifetime organic statistics of a page's post, for a rolling
12 months. Cuecast polls for 90 days. Member posts have no statistics Cuecast may read (their
poll ends as "not reported").
"""

from __future__ import annotations

from datetime import timedelta

from cuecast.networks.base import Metric, MetricsSpec

METRICS = MetricsSpec(
    post=(
        Metric("impressions", ("impressionCount",)),
        Metric("reach", ("uniqueImpressionsCount",)),
        Metric("likes", ("likeCount",)),
        Metric("comments", ("commentCount",)),
        Metric("reposts", ("shareCount",)),
        Metric("clicks", ("clickCount",)),
    ),
    # engagement is a ratio ((clicks + likes + comments + shares) / impressions): left out.
    kept_only=frozenset({"commentMentionsCount", "shareMentionsCount"}),
    exposed_for=timedelta(days=365),
    horizon=timedelta(days=90),
    calls_per_poll=1,
    # GET /rest/networkSizes/{organization urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER
    account=(Metric("followers", ("firstDegreeSize",)),),
    account_calls=1,
)
