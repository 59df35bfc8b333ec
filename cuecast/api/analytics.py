"""`/api/v1/analytics`: the report pages' figures as JSON.

Every endpoint returns what the matching page shows (and its CSV/XLSX exports hold): the same
selector builds all of them. Days are the workspace's days (`timezone`); paid days are the ad
platform's. Money and rates are exact decimals sent as JSON strings ("21.37").

Definitions: engagements = likes + comments + reposts + saves; engagement rate = engagements ÷
impressions in percent; cost per engagement = spend ÷ (engagements + paid clicks). A figure no
network in the report reports is null, never 0.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from cuecast.analytics import best_time, post_report, reports
from cuecast.analytics.figures import Change, Figures, Organic, Paid
from cuecast.analytics.periods import Period, PeriodKey, PeriodRequest, ReportError
from cuecast.api.auth import request_actor
from cuecast.api.errors import NotFound, responses
from cuecast.api.selectors import MAX_ID
from cuecast.posts.errors import FieldError, ValidationFailed

router = Router(tags=["analytics"])

Number = int | Decimal


# --- schemas ------------------------------------------------------------------------------------


class PeriodOut(Schema):
    key: str = Field(description="7d, 28d, 90d, custom, whole (a campaign's run) or previous")
    start: date
    end: date = Field(description="Inclusive.")
    days: int


class OrganicOut(Schema):
    impressions: int | None
    clicks: int | None
    likes: int | None
    comments: int | None
    reposts: int | None
    saves: int | None
    engagements: int | None = Field(description="likes + comments + reposts + saves")
    engagement_rate: Decimal | None = Field(description="Engagements per 100 impressions.")


class PaidOut(Schema):
    impressions: int
    clicks: int
    spend: Decimal = Field(description='Exact, in the campaign\'s currency: "21.37".')
    conversions: Decimal


class FiguresOut(Schema):
    organic: OrganicOut
    paid: PaidOut
    cost_per_engagement: Decimal | None = Field(
        description="spend ÷ (organic engagements + paid clicks); null when nobody engaged."
    )


class CampaignDayOut(FiguresOut):
    day: date


class NetworkOut(Schema):
    network: str
    posts: int = Field(description="Published posts with figures in the period.")
    organic: OrganicOut


class ChangeOut(Schema):
    metric: str
    current: Number | None
    previous: Number | None
    delta: Number | None
    percent: Decimal | None = Field(description="Change in percent; null without a base.")


class ScopeOut(Schema):
    timezone: str = Field(description="Days are days of this zone.")
    period: PeriodOut
    previous: PeriodOut | None = Field(description="The comparison period, with compare=true.")
    network: str = Field(description='The network filter; "" = every network.')
    networks: list[str] = Field(description="The workspace's networks, for the filter.")


class CampaignReportOut(ScopeOut):
    campaign_id: int
    name: str
    platform: str
    currency: str
    days: list[CampaignDayOut]
    total: FiguresOut
    by_network: list[NetworkOut]
    changes: list[ChangeOut]


class OverviewDayOut(Schema):
    day: date
    posts: int = Field(description="Posts published that day (one per channel).")
    organic: OrganicOut


class CampaignRowOut(FiguresOut):
    campaign_id: int
    name: str
    currency: str


class OverviewOut(ScopeOut):
    days: list[OverviewDayOut]
    posts: int
    total: OrganicOut
    by_network: list[NetworkOut]
    by_campaign: list[CampaignRowOut]
    changes: list[ChangeOut]


class ChannelDayOut(OverviewDayOut):
    followers: int | None


class ChannelReportOut(ScopeOut):
    channel_id: int
    name: str
    handle: str
    channel_network: str
    days: list[ChannelDayOut]
    posts: int
    total: OrganicOut
    followers: int | None = Field(description="The latest count in the period.")
    changes: list[ChangeOut]


class ReadingOut(Schema):
    taken_at: datetime
    values: dict[str, int | None] = Field(description="Totals so far, as the network said.")


class TargetMetricsOut(Schema):
    target_id: int
    channel_id: int
    channel_name: str
    network: str
    published_at: datetime | None
    permalink: str
    metrics: list[str]
    readings: list[ReadingOut]
    final_reason: str = Field(description='Why collection ended; "" while it goes on.')
    final_at: datetime | None = Field(description="Final as of this collection.")


class PostReportOut(Schema):
    post_id: int
    timezone: str
    targets: list[TargetMetricsOut]


class SlotOut(Schema):
    weekday: int = Field(description="ISO: 1 = Monday … 7 = Sunday, in `timezone`.")
    hour: int
    posts: int
    impressions: int | None
    engagements: int | None
    value: Decimal | None = Field(description="Engagement rate (%) or engagements per post.")


class BestTimeOut(Schema):
    network: str
    timezone: str
    since: datetime
    measure: str = Field(description="rate (engagement rate in %) or per_post")
    posts: int
    slots: list[SlotOut]
    suggestion: str | None = Field(description="A sentence, when there is enough history.")


class ReportQuery(Schema):
    period: str | None = Field(
        None, description="7d, 28d (default), 90d, custom; campaigns also whole (their default)"
    )
    start: date | None = Field(None, description="First day of a custom period.")
    end: date | None = Field(None, description="Last day of a custom period (inclusive).")
    network: str = Field("", description="One network's key (x, linkedin, …); empty = all.")
    compare: bool = Field(False, description="Also the period before, of the same length.")


# --- conversions --------------------------------------------------------------------------------


def _period(period: Period | None) -> PeriodOut | None:
    if period is None:
        return None
    return PeriodOut(key=period.key, start=period.start, end=period.end, days=period.days)


def _organic(o: Organic) -> OrganicOut:
    return OrganicOut(**vars(o), engagements=o.engagements, engagement_rate=o.engagement_rate)


def _paid(p: Paid) -> PaidOut:
    return PaidOut(**vars(p))


def _figures(f: Figures) -> dict[str, Any]:
    return {
        "organic": _organic(f.organic),
        "paid": _paid(f.paid),
        "cost_per_engagement": f.cost_per_engagement,
    }


def _networks(rows: tuple[reports.NetworkRow, ...]) -> list[NetworkOut]:
    return [NetworkOut(network=r.network, posts=r.posts, organic=_organic(r.organic)) for r in rows]


def _changes(changes: tuple[Change, ...]) -> list[ChangeOut]:
    return [
        ChangeOut(
            metric=c.metric,
            current=c.current,
            previous=c.previous,
            delta=c.delta,
            percent=c.percent,
        )
        for c in changes
    ]


def _scope(scope: reports.Scope) -> dict[str, Any]:
    return {
        "timezone": scope.timezone,
        "period": _period(scope.period),
        "previous": _period(scope.previous),
        "network": scope.network,
        "networks": list(scope.networks),
    }


def _asked(query: ReportQuery, default: str) -> PeriodRequest:
    return PeriodRequest(key=query.period or default, start=query.start, end=query.end)


def _invalid(exc: ReportError) -> ValidationFailed:
    return ValidationFailed([FieldError(exc.field, exc.message)])


def _check_id(kind: str, pk: int) -> None:
    if not 1 <= pk <= MAX_ID:
        raise NotFound(f"There is no {kind} {pk} in this workspace.")


# --- endpoints ----------------------------------------------------------------------------------


@router.get("/overview", response={200: OverviewOut, **responses(401, 403, 422)})
def analytics_overview(request: HttpRequest, query: Query[ReportQuery]) -> OverviewOut:
    """The workspace per day and per network, every campaign's organic and paid figures."""
    try:
        r = reports.overview(
            request_actor(request),
            _asked(query, PeriodKey.LAST_28),
            network=query.network,
            compare=query.compare,
        )
    except ReportError as exc:
        raise _invalid(exc) from exc
    return OverviewOut(
        **_scope(r.scope),
        days=[
            OverviewDayOut(day=d.day, posts=d.posts, organic=_organic(d.organic)) for d in r.days
        ],
        posts=r.posts,
        total=_organic(r.total),
        by_network=_networks(r.by_network),
        by_campaign=[
            CampaignRowOut(
                campaign_id=c.campaign_id, name=c.name, currency=c.currency, **_figures(c.figures)
            )
            for c in r.by_campaign
        ],
        changes=_changes(r.changes),
    )


@router.get(
    "/campaigns/{campaign_id}",
    response={200: CampaignReportOut, **responses(401, 403, 404, 422)},
)
def analytics_campaign(
    request: HttpRequest, campaign_id: int, query: Query[ReportQuery]
) -> CampaignReportOut:
    """Organic next to paid per day (impressions, clicks, engagements, spend, cost per
    engagement), per network and in total; the campaign's whole run unless a period is given."""
    _check_id("campaign", campaign_id)
    try:
        r = reports.campaign_report(
            request_actor(request),
            campaign_id,
            _asked(query, PeriodKey.WHOLE),
            network=query.network,
            compare=query.compare,
        )
    except reports.ReportNotFound:
        raise NotFound(f"There is no campaign {campaign_id} in this workspace.") from None
    except ReportError as exc:
        raise _invalid(exc) from exc
    return CampaignReportOut(
        **_scope(r.scope),
        campaign_id=r.campaign_id,
        name=r.name,
        platform=r.platform,
        currency=r.currency,
        days=[CampaignDayOut(day=d.day, **_figures(d.figures)) for d in r.days],
        total=FiguresOut(**_figures(r.total)),
        by_network=_networks(r.by_network),
        changes=_changes(r.changes),
    )


@router.get(
    "/channels/{channel_id}",
    response={200: ChannelReportOut, **responses(401, 403, 404, 422)},
)
def analytics_channel(
    request: HttpRequest, channel_id: int, query: Query[ReportQuery]
) -> ChannelReportOut:
    """A channel's posts per day and its followers."""
    _check_id("channel", channel_id)
    try:
        r = reports.channel_report(
            request_actor(request),
            channel_id,
            _asked(query, PeriodKey.LAST_28),
            compare=query.compare,
        )
    except reports.ReportNotFound:
        raise NotFound(f"There is no channel {channel_id} in this workspace.") from None
    except ReportError as exc:
        raise _invalid(exc) from exc
    return ChannelReportOut(
        **_scope(r.scope),
        channel_id=r.channel_id,
        name=r.name,
        handle=r.handle,
        channel_network=r.network,
        days=[
            ChannelDayOut(
                day=d.day, posts=d.posts, organic=_organic(d.organic), followers=d.followers
            )
            for d in r.days
        ],
        posts=r.posts,
        total=_organic(r.total),
        followers=r.followers,
        changes=_changes(r.changes),
    )


@router.get("/posts/{post_id}", response={200: PostReportOut, **responses(401, 403, 404, 422)})
def analytics_post(request: HttpRequest, post_id: int) -> PostReportOut:
    """Each published target of the post: its readings over time (a curve per metric) and
    whether collection has ended ("final as of")."""
    _check_id("post", post_id)
    try:
        r = post_report.post_report(request_actor(request), post_id)
    except reports.ReportNotFound:
        raise NotFound(f"There is no post {post_id} in this workspace.") from None
    return PostReportOut(
        post_id=r.post_id,
        timezone=r.timezone,
        targets=[
            TargetMetricsOut(
                target_id=t.target_id,
                channel_id=t.channel_id,
                channel_name=t.channel_name,
                network=t.network,
                published_at=t.published_at,
                permalink=t.permalink,
                metrics=list(t.metrics),
                readings=[ReadingOut(taken_at=x.taken_at, values=x.values) for x in t.readings],
                final_reason=t.final_reason,
                final_at=t.final_at,
            )
            for t in r.targets
        ],
    )


class BestTimeQuery(Schema):
    network: str = Field(description="A network's key: x, linkedin, mastodon, …")


@router.get("/best-time", response={200: BestTimeOut, **responses(401, 403, 422)})
def analytics_best_time(request: HttpRequest, query: Query[BestTimeQuery]) -> BestTimeOut:
    """How the workspace's posts on one network did by the weekday and hour they went out."""
    try:
        heatmap = best_time.heatmap(request_actor(request), query.network)
    except ReportError as exc:
        raise _invalid(exc) from exc
    suggestion = best_time.suggestion_for(heatmap)
    return BestTimeOut(
        network=heatmap.network,
        timezone=heatmap.timezone,
        since=heatmap.since,
        measure=heatmap.measure.value,
        posts=heatmap.posts,
        slots=[
            SlotOut(
                weekday=s.weekday,
                hour=s.hour,
                posts=s.posts,
                impressions=s.impressions,
                engagements=s.engagements,
                value=s.value(heatmap.measure),
            )
            for s in heatmap.slots
        ],
        suggestion=suggestion.sentence() if suggestion else None,
    )
