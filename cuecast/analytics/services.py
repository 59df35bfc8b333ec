"""Write paths of the metrics collector: snapshots with their daily deltas, channel days, and
polls that end (final) or resume.

Snapshots are cumulative, as networks report them. Each one also adds its gain to the target's
`PostMetricDay` row for the workspace's local day. The gain is the new figure minus what the
day rows already hold for the target, so the day rows of a target always sum to the latest figure
the network reported, exactly (docs/decisions/0009-metric-snapshots.md). A counter that goes
down (an unlike, a deleted comment) gives a negative gain on that day: the days then still sum
to the network's figure. A figure the network stops sending (X's impressions after 30 days)
keeps its last value: no gain, no loss.

Nothing here deletes collected figures. A disconnected channel or a switched-off network ends
its polls with that reason; reconnecting (or switching on) resumes the ones still inside their
window.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q, Sum

from cuecast.analytics.models import (
    METRIC_FIELDS,
    ChannelMetricDay,
    FinalReason,
    MetricPoll,
    PostMetricDay,
    PostMetricSnapshot,
)
from cuecast.channels.models import Channel, ChannelStatus, NetworkSwitch
from cuecast.posts.models import Schedule, Target

Figures = Mapping[str, int | None]

# Why a poll ended that can be undone: the channel comes back, the network is switched on.
RESUMABLE = (FinalReason.DISCONNECTED, FinalReason.SWITCHED_OFF)


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def _day_totals(target_id: int) -> dict[str, int | None]:
    sums = PostMetricDay.objects.filter(target_id=target_id).aggregate(
        **{name: Sum(name) for name in METRIC_FIELDS}
    )
    return {name: sums[name] for name in METRIC_FIELDS}


def gains(figures: Figures, so_far: Mapping[str, int | None]) -> dict[str, int]:
    """What each reported figure adds to what the day rows hold (negative when it dropped)."""
    return {
        name: value - (so_far.get(name) or 0)
        for name, value in figures.items()
        if value is not None and (value != so_far.get(name) or so_far.get(name) is None)
    }


@transaction.atomic
def record_snapshot(
    target: Target, taken_at: datetime, figures: Figures, raw: Mapping[str, int]
) -> PostMetricSnapshot:
    """Store one collection of a target's figures and add its gain to the local day's row."""
    snapshot = PostMetricSnapshot.objects.create(
        target=target,
        taken_at=taken_at,
        raw=dict(raw),
        **{n: figures.get(n) for n in METRIC_FIELDS},
    )
    changes = gains(figures, _day_totals(target.pk))
    if changes:
        _add_to_day(target, local_day(taken_at, target.channel.workspace.timezone), changes)
    return snapshot


def _add_to_day(target: Target, day: date, changes: dict[str, int]) -> None:
    channel = target.channel
    row, _created = PostMetricDay.objects.select_for_update().get_or_create(
        target=target,
        day=day,
        defaults={
            "workspace_id": channel.workspace_id,
            "channel": channel,
            "network": channel.network,
            "campaign_id": _campaign_of(target),
        },
    )
    for name, change in changes.items():
        setattr(row, name, (getattr(row, name) or 0) + change)
    row.save(update_fields=list(changes))


def _campaign_of(target: Target) -> int | None:
    """The campaign a post is cued to, for campaign reports."""
    return (
        Schedule.objects.filter(post_id=target.post_id)
        .values_list("campaign_id", flat=True)
        .first()
    )


def record_channel_figures(
    channel: Channel, taken_at: datetime, figures: Figures, raw: Mapping[str, int]
) -> ChannelMetricDay:
    """The channel's figures for its workspace's local day; a second reading that day replaces
    the first (followers is a level, not a sum)."""
    row, _created = ChannelMetricDay.objects.update_or_create(
        channel=channel,
        day=local_day(taken_at, channel.workspace.timezone),
        defaults={
            "workspace_id": channel.workspace_id,
            "followers": figures.get("followers"),
            "reach": figures.get("reach"),
            "raw": dict(raw),
            "taken_at": taken_at,
        },
    )
    return row


def finalise(poll_ids: list[int], reason: FinalReason, message: str = "") -> int:
    """End these polls with a reason; everything collected stays."""
    return MetricPoll.objects.filter(pk__in=poll_ids, next_poll_at__isnull=False).update(
        next_poll_at=None,
        final_reason=reason,
        last_error=message[:500],
        lease_owner="",
        lease_expires_at=None,
    )


def switched_off_networks() -> set[str]:
    return set(NetworkSwitch.objects.filter(enabled=False).values_list("network", flat=True))


def finalise_closed(now: datetime) -> int:
    """End the polls that can no longer run: past their window, their channel disconnected,
    their network switched off. Cheap bulk updates, run before each claim."""
    open_polls = MetricPoll.objects.filter(next_poll_at__isnull=False)
    ended = open_polls.filter(horizon_ends_at__lte=now).update(
        next_poll_at=None, final_reason=FinalReason.HORIZON, lease_owner="", lease_expires_at=None
    )
    ended += open_polls.filter(target__channel__status=ChannelStatus.DISCONNECTED).update(
        next_poll_at=None,
        final_reason=FinalReason.DISCONNECTED,
        lease_owner="",
        lease_expires_at=None,
    )
    off = switched_off_networks()
    if off:
        ended += open_polls.filter(target__channel__network__in=off).update(
            next_poll_at=None,
            final_reason=FinalReason.SWITCHED_OFF,
            lease_owner="",
            lease_expires_at=None,
        )
    return ended


def resumable_polls(now: datetime) -> list[MetricPoll]:
    """Polls ended by a disconnection or a switch that no longer applies, still in their window."""
    off = switched_off_networks()
    return list(
        MetricPoll.objects.filter(
            next_poll_at__isnull=True, final_reason__in=RESUMABLE, horizon_ends_at__gt=now
        )
        .filter(target__channel__status=ChannelStatus.CONNECTED)
        .exclude(Q(target__channel__network__in=off))
        .select_related("target__channel")
    )


def resume(poll: MetricPoll, next_poll_at: datetime | None) -> bool:
    """Open a resumable poll again at its next planned time (None: its plan is over)."""
    if next_poll_at is None:
        return bool(
            MetricPoll.objects.filter(pk=poll.pk, next_poll_at__isnull=True).update(
                final_reason=FinalReason.HORIZON
            )
        )
    return bool(
        MetricPoll.objects.filter(
            pk=poll.pk, next_poll_at__isnull=True, final_reason__in=RESUMABLE
        ).update(next_poll_at=next_poll_at, final_reason=FinalReason.NONE, last_error="")
    )
