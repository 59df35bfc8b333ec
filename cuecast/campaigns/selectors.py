"""Read paths for campaigns: the timeline of a flight, its cues and its paid metrics.

These take a campaign the caller has already looked up inside the actor's workspace (the web
views and the API do that); every query below stays inside that campaign's workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet

from cuecast.campaigns.models import AdAccount, Campaign, CampaignEvent, PaidMetricDaily
from cuecast.posts.models import ScheduleKind, Target


@dataclass(frozen=True)
class TimelineTarget:
    """One post on one channel, placed on the flight."""

    target_id: int
    post_id: int
    text: str  # the channel's variant, else the post's text
    channel_id: int
    channel_name: str
    network: str
    state: str  # TargetState value
    due_at: datetime | None  # UTC
    cued: bool  # scheduled relative to this campaign (moves with it)
    cue: str  # "2 days before the end at 10:00 (Europe/Berlin)"; "" when not cued
    hold: str  # HoldCause value, "" when not held
    reason: str  # why held / failed / skipped, as shown to users
    published_at: datetime | None
    permalink: str


@dataclass(frozen=True)
class PaidDay:
    day: date
    impressions: int
    clicks: int
    spend: Decimal
    conversions: Decimal
    currency: str


@dataclass(frozen=True)
class PaidTotals:
    impressions: int
    clicks: int
    spend: Decimal
    conversions: Decimal
    currency: str  # "" when the days disagree or there are none


@dataclass
class Timeline:
    """Everything the campaign page and `GET /api/v1/campaigns/{id}/timeline` show."""

    campaign: Campaign
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    status: str  # CampaignStatus value
    status_raw: str  # the platform's own word ("BudgetPaused"); "" for campaigns entered by hand
    platform: str
    cues: list[CampaignEvent] = field(default_factory=list)
    targets: list[TimelineTarget] = field(default_factory=list)  # by due time
    metrics: list[PaidDay] = field(default_factory=list)  # by day
    totals: PaidTotals | None = None
    account: AdAccount | None = None


def describe_cue(event: str, offset: timedelta | None, at_time: object, tz: str) -> str:
    """A cue schedule the way a person says it: "2 days before the end at 10:00 (Europe/Berlin)"."""
    what = "the start" if event == "start" else "the end"
    offset = offset or timedelta(0)
    if at_time is not None:
        days = abs(offset.days if offset >= timedelta(0) else -((-offset).days))
        when = (
            f"on the day of {what}"
            if days == 0
            else f"{days} day{'s' if days != 1 else ''} {'before' if offset < timedelta(0) else 'after'} {what}"
        )
        return f"{when} at {at_time:%H:%M} ({tz})"
    if offset == timedelta(0):
        return "when the campaign starts" if event == "start" else "when the campaign ends"
    seconds = abs(int(offset.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        f"{n} {unit}{'s' if n != 1 else ''}"
        for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if n
    ]
    side = "before" if offset < timedelta(0) else "after"
    return f"{' '.join(parts)} {side} {what}"


def exact(value: Decimal, min_places: int = 0) -> Decimal:
    """The stored value without the column's padding: 21.370000 → 21.37 (spend keeps at least
    two places: 21 → 21.00); never rounded, so micros survive (0.123456)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    places = len(text.partition(".")[2])
    if places < min_places:
        text = f"{text}{'' if '.' in text else '.'}{'0' * (min_places - places)}"
    return Decimal(text)


def cues(campaign: Campaign) -> QuerySet[CampaignEvent]:
    """The campaign's cues, oldest first."""
    return CampaignEvent.objects.filter(campaign=campaign).order_by("at", "id")


def paid_metrics(
    campaign: Campaign, start: date | None = None, end: date | None = None
) -> list[PaidDay]:
    """Daily paid metrics, `start` to `end` inclusive (either may be left open)."""
    rows = PaidMetricDaily.objects.filter(campaign=campaign)
    if start is not None:
        rows = rows.filter(day__gte=start)
    if end is not None:
        rows = rows.filter(day__lte=end)
    return [
        PaidDay(r.day, r.impressions, r.clicks, exact(r.spend, 2), exact(r.conversions), r.currency)
        for r in rows.order_by("day")
    ]


def totals(days: list[PaidDay]) -> PaidTotals:
    currencies = {d.currency for d in days}
    return PaidTotals(
        impressions=sum(d.impressions for d in days),
        clicks=sum(d.clicks for d in days),
        spend=exact(sum((d.spend for d in days), Decimal(0)), 2),
        conversions=exact(sum((d.conversions for d in days), Decimal(0))),
        currency=currencies.pop() if len(currencies) == 1 else "",
    )


def _timeline_targets(campaign: Campaign) -> list[TimelineTarget]:
    cued = Q(post__schedule__campaign=campaign, post__schedule__kind=ScheduleKind.CUE)
    within = Q(due_at__gte=campaign.starts_at)
    if campaign.ends_at is not None:
        within &= Q(due_at__lte=campaign.ends_at)
    rows = (
        Target.objects.filter(post__workspace_id=campaign.workspace_id)
        .filter(cued | within)
        .select_related("post", "post__schedule", "channel")
        .order_by("due_at", "id")
    )
    found = []
    for target in rows:
        schedule = getattr(target.post, "schedule", None)
        is_cued = (
            schedule is not None
            and schedule.kind == ScheduleKind.CUE
            and schedule.campaign_id == campaign.pk
        )
        found.append(
            TimelineTarget(
                target_id=target.pk,
                post_id=target.post_id,
                text=target.effective_text,
                channel_id=target.channel_id,
                channel_name=target.channel.display_name,
                network=target.channel.network,
                state=target.state,
                due_at=target.due_at,
                cued=is_cued,
                cue=describe_cue(
                    schedule.cue_event,
                    schedule.cue_offset,
                    schedule.cue_time,
                    schedule.timezone or campaign.timezone,
                )
                if is_cued and schedule is not None
                else "",
                hold=target.hold,
                reason=target.reason,
                published_at=target.published_at,
                permalink=target.permalink,
            )
        )
    return found


def campaign_timeline(campaign: Campaign) -> Timeline:
    """The flight (start, end, zone, status), its cues, every target cued to it or due within it
    (any channel, any state, with channel/network/state/due), and its daily paid metrics."""
    days = paid_metrics(campaign)
    return Timeline(
        campaign=campaign,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        timezone=campaign.timezone,
        status=campaign.status,
        status_raw=campaign.status_raw,
        platform=campaign.platform,
        cues=list(cues(campaign)),
        targets=_timeline_targets(campaign),
        metrics=days,
        totals=totals(days) if days else None,
        account=campaign.ad_account,
    )


def ad_accounts(workspace_id: int) -> QuerySet[AdAccount]:
    return AdAccount.objects.filter(workspace_id=workspace_id).order_by("platform", "name", "id")
