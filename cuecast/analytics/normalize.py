"""A network's own metric names → Cuecast's figures, by the network's `MetricsSpec` (data).

Connectors return what the network answered, in its names (X's `like_count`, Mastodon's
`favourites_count`). Reports compare networks, so a snapshot stores Cuecast's figures
(`METRIC_FIELDS`) next to the untouched answer (`raw`). A figure the network does not report
stays None, never 0: "no impressions on Mastodon" is not "zero impressions".
"""

from __future__ import annotations

from collections.abc import Mapping

from cuecast.analytics.models import METRIC_FIELDS
from cuecast.networks.base import Metric, MetricsSpec

CHANNEL_FIELDS = ("followers", "reach")


def _pick(
    metrics: tuple[Metric, ...], raw: Mapping[str, int], fields: tuple[str, ...]
) -> dict[str, int | None]:
    found: dict[str, int | None] = dict.fromkeys(fields)
    for metric in metrics:
        if metric.name not in found or found[metric.name] is not None:
            continue
        found[metric.name] = next((raw[n] for n in metric.native if n in raw), None)
    return found


def post_figures(spec: MetricsSpec, raw: Mapping[str, int]) -> dict[str, int | None]:
    """Every METRIC_FIELDS name → its value from `raw`, or None where the network has none."""
    return _pick(spec.post, raw, METRIC_FIELDS)


def channel_figures(spec: MetricsSpec, raw: Mapping[str, int]) -> dict[str, int | None]:
    """followers and reach of a channel from the network's answer; None where it has none."""
    return _pick(spec.account, raw, CHANNEL_FIELDS)


def unknown_names(spec: MetricsSpec, raw: Mapping[str, int]) -> list[str]:
    """Names the connector returned that the spec does not document (a network added one)."""
    return sorted(name for name in raw if not spec.knows(name))
