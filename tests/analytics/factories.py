"""Small factories for report tests: published targets and the metric rows the collector writes.

Reports read tables; these write the rows directly, the way `cuecast.analytics.polling` does
(daily deltas denormalised with workspace, channel, network and campaign)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cuecast.accounts.models import Workspace
from cuecast.analytics.models import MetricPoll, PostMetricDay, PostMetricSnapshot
from cuecast.campaigns.models import Campaign, PaidMetricDaily
from cuecast.channels.models import Channel
from cuecast.posts.models import CueEvent, Post, Schedule, ScheduleKind, Target, TargetState


def channel(workspace: Workspace, network: str, name: str = "", external_id: str = "") -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        external_id=external_id or f"{network}-{Channel.objects.count() + 1}",
        handle=f"@{name or network}",
        display_name=name or f"ACME on {network}",
        credentials={"access_token": "t"},
    )


def campaign(workspace: Workspace, name: str = "Winter sale", **fields: Any) -> Campaign:
    defaults: dict[str, Any] = {
        "starts_at": datetime.fromisoformat("2026-11-01T00:00:00+01:00"),
        "ends_at": datetime.fromisoformat("2026-12-01T00:00:00+01:00"),
        "timezone": "Europe/Berlin",
        "currency": "EUR",
    }
    return Campaign.objects.create(workspace=workspace, name=name, **{**defaults, **fields})


def published(on: Channel, at: datetime, text: str = "Hello", permalink: str = "") -> Target:
    post = Post.objects.create(workspace=on.workspace, text=text)
    return Target.objects.create(
        post=post,
        channel=on,
        state=TargetState.PUBLISHED,
        due_at=at,
        published_at=at,
        external_id=f"ext-{post.pk}",
        permalink=permalink,
    )


def cue(target: Target, to: Campaign) -> Schedule:
    """Tie the target's post to the campaign, as a post cued to its start is."""
    return Schedule.objects.create(
        post=target.post,
        kind=ScheduleKind.CUE,
        campaign=to,
        cue_event=CueEvent.START,
        cue_offset=(target.published_at or to.starts_at) - to.starts_at,
        timezone=to.timezone,
    )


def day(
    target: Target, when: date, campaign: Campaign | None = None, **values: int | None
) -> PostMetricDay:
    channel_ = target.channel
    return PostMetricDay.objects.create(
        target=target,
        workspace=channel_.workspace,
        channel=channel_,
        network=channel_.network,
        campaign=campaign,
        day=when,
        **values,
    )


def snapshot(target: Target, at: datetime, **values: int | None) -> PostMetricSnapshot:
    return PostMetricSnapshot.objects.create(target=target, taken_at=at, raw=dict(values), **values)


def final_poll(target: Target, reason: str, last_polled_at: datetime) -> MetricPoll:
    return MetricPoll.objects.create(
        target=target,
        next_poll_at=None,
        horizon_ends_at=last_polled_at,
        last_polled_at=last_polled_at,
        final_reason=reason,
    )


def paid(
    campaign_: Campaign,
    when: date,
    impressions: int,
    clicks: int,
    spend: str,
    conversions: str = "0",
    currency: str = "EUR",
) -> PaidMetricDaily:
    return PaidMetricDaily.objects.create(
        campaign=campaign_,
        day=when,
        impressions=impressions,
        clicks=clicks,
        spend=Decimal(spend),
        conversions=Decimal(conversions),
        currency=currency,
    )
