"""Names of metrics and networks as people read them, in their language (one list for the
screen, the exports, the charts and the e-mail)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cuecast.networks import registry

METRICS: dict[str, Promise] = {
    "impressions": _("Impressions"),
    "clicks": _("Clicks"),
    "likes": _("Likes"),
    "comments": _("Comments"),
    "reposts": _("Reposts"),
    "saves": _("Saves"),
    "reach": _("Reach"),
    "video_views": _("Video views"),
    "engagements": _("Engagements"),
    "engagement_rate": _("Engagement rate (%)"),
    "organic_impressions": _("Organic impressions"),
    "organic_clicks": _("Organic clicks"),
    "paid_impressions": _("Paid impressions"),
    "paid_clicks": _("Paid clicks"),
    "spend": _("Spend"),
    "cost_per_engagement": _("Cost per engagement"),
    "posts": _("Posts published"),
    "followers": _("Followers"),
}


def metric(key: str) -> str:
    return str(METRICS.get(key, key))


def network_names() -> dict[str, str]:
    return {key: network.descriptor.name for key, network in registry.networks().items()}


def network(key: str) -> str:
    return network_names().get(key, key)
