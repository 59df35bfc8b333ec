"""A post's report: each published target's figures over time, from its snapshots.

Snapshots hold a target's cumulative figures as collected (`PostMetricSnapshot`), so each
metric's curve is read straight from them; its latest reading is its total so far. Once Cuecast
stops collecting (the network's window has closed, the channel was disconnected, the post was
deleted), the poll says why, and the report shows the figures as "final as of" the last reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor
from cuecast.analytics.models import METRIC_FIELDS, MetricPoll, PostMetricSnapshot
from cuecast.analytics.reports import ReportNotFound
from cuecast.posts.models import Post, Target


@dataclass(frozen=True)
class Reading:
    """A target's cumulative figures as collected at `taken_at` (UTC)."""

    taken_at: datetime
    values: dict[str, int | None]  # METRIC_FIELDS → value; None = not reported


@dataclass(frozen=True)
class TargetMetrics:
    target_id: int
    channel_id: int
    channel_name: str
    network: str
    published_at: datetime | None
    permalink: str
    metrics: tuple[str, ...]  # the metrics its network reported, in METRIC_FIELDS order
    readings: tuple[Reading, ...]  # oldest first
    final_reason: str  # a FinalReason value; "" while Cuecast still collects
    final_at: datetime | None  # "final as of": the last collection

    @property
    def latest(self) -> Reading | None:
        return self.readings[-1] if self.readings else None


@dataclass(frozen=True)
class PostReport:
    post_id: int
    timezone: str
    targets: tuple[TargetMetrics, ...]


def _readings(post_id: int) -> dict[int, list[Reading]]:
    found: dict[int, list[Reading]] = {}
    rows = PostMetricSnapshot.objects.filter(target__post_id=post_id).order_by(
        "target_id", "taken_at", "id"
    )
    for row in rows:
        values = {name: getattr(row, name) for name in METRIC_FIELDS}
        found.setdefault(row.target_id, []).append(Reading(row.taken_at, values))
    return found


def _target_metrics(
    target: Target, readings: list[Reading], poll: MetricPoll | None
) -> TargetMetrics:
    reported = tuple(
        name for name in METRIC_FIELDS if any(r.values[name] is not None for r in readings)
    )
    final_reason = poll.final_reason if poll is not None else ""
    last = poll.last_polled_at if poll is not None else None
    return TargetMetrics(
        target_id=target.pk,
        channel_id=target.channel_id,
        channel_name=target.channel.display_name,
        network=target.channel.network,
        published_at=target.published_at,
        permalink=target.permalink,
        metrics=reported,
        readings=tuple(readings),
        final_reason=final_reason,
        final_at=(last or (readings[-1].taken_at if readings else None)) if final_reason else None,
    )


def post_report(actor: Actor, post_id: int) -> PostReport:
    """Every published target of the post: a curve per metric from its snapshots, its latest
    figures, and "final as of …" once Cuecast has stopped collecting."""
    actor.require(Action.VIEW)
    post = Post.objects.filter(workspace=actor.workspace, pk=post_id).first()
    if post is None:
        raise ReportNotFound(_("There is no such post in this workspace."))
    readings = _readings(post.pk)
    targets = [
        t
        for t in Target.objects.filter(post=post).select_related("channel").order_by("id")
        if t.published_at is not None or t.pk in readings
    ]
    polls = {p.target_id: p for p in MetricPoll.objects.filter(target__in=targets)}
    return PostReport(
        post_id=post.pk,
        timezone=actor.workspace.timezone,
        targets=tuple(_target_metrics(t, readings.get(t.pk, []), polls.get(t.pk)) for t in targets),
    )
