"""Reports: pure read functions returning plain dataclasses.

These are the single source of every figure Cuecast shows: the report pages, the REST API, the
CSV and XLSX exports and the weekly e-mail all render the dataclasses built here, so what one
shows is what the others show. Every query is scoped to the asking actor's workspace, and days
are days of the workspace's time zone (the collector writes `PostMetricDay` in that zone). Paid
days are the ad platform's reporting days, in the ad account's zone.

Sums are made by the database (`values(...).annotate(Sum(...))` over `PostMetricDay`'s indexes):
a report reads grouped rows — a few per day — however many posts it covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Max, Min, QuerySet
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from cuecast.accounts.models import Workspace
from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor
from cuecast.analytics.figures import (
    Change,
    Figures,
    Organic,
    OrganicSums,
    Paid,
    figures_changes,
    money,
    organic_changes,
    organic_sums,
    paid_sums,
    sum_rows,
    total_organic,
    total_paid,
)
from cuecast.analytics.models import (
    ChannelMetricDay,
    PostMetricDay,
)
from cuecast.analytics.periods import Period, PeriodRequest, ReportError, resolve, today_in
from cuecast.campaigns.models import Campaign, PaidMetricDaily
from cuecast.campaigns.selectors import exact
from cuecast.channels.models import Channel
from cuecast.networks import registry
from cuecast.posts.models import Target


class ReportNotFound(LookupError):
    """The campaign, channel or post is not in the actor's workspace (or does not exist)."""


# -- shared pieces -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkRow:
    network: str
    posts: int  # overview: published in the period; campaign: published on the campaign
    organic: Organic


@dataclass(frozen=True)
class Scope:
    """What every report was made for: the zone its days are in, the period, the filter."""

    timezone: str
    period: Period
    network: str  # "" = every network
    networks: tuple[str, ...]  # the workspace's networks, for the filter
    previous: Period | None  # the comparison period, when asked for


def workspace_networks(workspace: Workspace) -> tuple[str, ...]:
    found = set(
        Channel.objects.filter(workspace=workspace)
        .order_by()
        .values_list("network", flat=True)
        .distinct()
    )
    return tuple(key for key in registry.networks() if key in found)


def _scope(
    actor: Actor,
    asked: PeriodRequest,
    network: str,
    compare: bool,
    today: date | None,
    whole: tuple[date, date] | None = None,
) -> Scope:
    zone = actor.workspace.timezone
    period = resolve(asked, today or today_in(zone), whole)
    networks = workspace_networks(actor.workspace)
    if network and network not in registry.networks():
        raise ReportError("network", _("Choose a network from the list."))
    return Scope(zone, period, network, networks, period.previous() if compare else None)


def _in(rows: QuerySet[Any], period: Period) -> QuerySet[Any]:
    return rows.filter(day__gte=period.start, day__lte=period.end)


def _organic_rows(workspace: Workspace, network: str) -> QuerySet[PostMetricDay]:
    rows = PostMetricDay.objects.filter(workspace=workspace)
    return rows.filter(network=network) if network else rows


def _grouped(rows: QuerySet[PostMetricDay], period: Period, *keys: str) -> list[dict[str, Any]]:
    """One pass over the period's rows: sums per combination of `keys` (day, network, …)."""
    return list(_in(rows, period).order_by().values(*keys).annotate(**organic_sums()))


def _reported(sums: dict[Any, OrganicSums]) -> set[str]:
    """The metrics some network in the report reports (the others stay "—", not 0)."""
    return {name for found in sums.values() for name in found.organic().reported()}


def _networks(by_network: dict[str, OrganicSums], posts: dict[str, int]) -> tuple[NetworkRow, ...]:
    order = list(registry.networks())
    keys = sorted(set(by_network), key=lambda k: (order.index(k) if k in order else len(order), k))
    # A network's own row leaves what it does not report empty (Mastodon has no impressions).
    return tuple(NetworkRow(key, posts.get(key, 0), by_network[key].organic()) for key in keys)


def _organic_total(rows: QuerySet[PostMetricDay], period: Period, reported: set[str]) -> Organic:
    sums = _in(rows, period).order_by().aggregate(**organic_sums())
    known = {name for name, value in sums.items() if value is not None}
    return Organic.from_sums(sums, reported | known)


def _day_bounds(period: Period, zone: str) -> tuple[datetime, datetime]:
    """The instants the period's days span in the zone: [first midnight, the midnight after)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(period.start, time(0), tz)
    return start, datetime.combine(period.end + timedelta(days=1), time(0), tz)


def _published(targets: QuerySet[Target], scope: Scope) -> list[dict[str, Any]]:
    """Posts published per day of the zone and network (a post to three channels counts 3)."""
    start, end = _day_bounds(scope.period, scope.timezone)
    rows = (
        targets.filter(published_at__gte=start, published_at__lt=end)
        .annotate(
            day=TruncDate("published_at", tzinfo=ZoneInfo(scope.timezone)),
            network=F("channel__network"),
        )
        .order_by()
        .values("day", "network")
        .annotate(posts=Count("id"))
    )
    return [dict(row) for row in rows]


def _count_by(rows: list[dict[str, Any]], key: str) -> dict[Any, int]:
    found: dict[Any, int] = {}
    for row in rows:
        found[row[key]] = found.get(row[key], 0) + row["posts"]
    return found


# -- a campaign: organic next to paid, per day, per network, against the period before -----------


@dataclass(frozen=True)
class CampaignDay:
    day: date
    figures: Figures


@dataclass(frozen=True)
class CampaignReport:
    campaign_id: int
    name: str
    platform: str  # the ad platform's key; "" for a campaign entered by hand
    currency: str
    scope: Scope
    days: tuple[CampaignDay, ...]
    total: Figures
    by_network: tuple[NetworkRow, ...]
    changes: tuple[Change, ...]  # empty unless a comparison was asked for


def _campaign(actor: Actor, campaign_id: int) -> Campaign:
    actor.require(Action.VIEW)
    found = Campaign.objects.filter(workspace=actor.workspace, pk=campaign_id).first()
    if found is None:
        raise ReportNotFound(_("There is no such campaign in this workspace."))
    return found


def campaign_run(campaign: Campaign, zone: str, today: date) -> tuple[date, date]:
    """The campaign's whole run in the zone's days: its flight up to today, widened to every day
    it has figures for (posts keep gaining after a flight ends)."""
    tz = ZoneInfo(zone)
    start = campaign.starts_at.astimezone(tz).date()
    end = today
    if campaign.ends_at is not None:  # an end at midnight belongs to the day before
        end = min(today, (campaign.ends_at - timedelta(microseconds=1)).astimezone(tz).date())
    organic = PostMetricDay.objects.filter(campaign=campaign).aggregate(
        first=Min("day"), last=Max("day")
    )
    paid = PaidMetricDaily.objects.filter(campaign=campaign).aggregate(
        first=Min("day"), last=Max("day")
    )
    firsts = [d for d in (organic["first"], paid["first"]) if d is not None]
    lasts = [d for d in (organic["last"], paid["last"]) if d is not None]
    start = min([start, *firsts])
    return start, max([end, start, *lasts])


def _paid_by_day(campaign: Campaign, period: Period) -> dict[date, Paid]:
    rows = _in(PaidMetricDaily.objects.filter(campaign=campaign), period)
    return {
        r.day: Paid(r.impressions, r.clicks, money(r.spend), exact(r.conversions)) for r in rows
    }


def _paid_total(campaign: Campaign, period: Period) -> Paid:
    return Paid.from_sums(
        _in(PaidMetricDaily.objects.filter(campaign=campaign), period).aggregate(**paid_sums())
    )


def campaign_currency(campaign: Campaign) -> str:
    if campaign.currency:
        return campaign.currency
    found = (
        PaidMetricDaily.objects.filter(campaign=campaign)
        .exclude(currency="")
        .values_list("currency", flat=True)
        .first()
    )
    return found or ""


def _campaign_posts(campaign: Campaign) -> dict[str, int]:
    """The campaign's published posts per network: targets of posts cued to it."""
    rows = (
        Target.objects.filter(post__schedule__campaign=campaign, published_at__isnull=False)
        .order_by()
        .values("channel__network")
        .annotate(posts=Count("id"))
    )
    return {row["channel__network"]: row["posts"] for row in rows}


def campaign_report(
    actor: Actor,
    campaign_id: int,
    asked: PeriodRequest,
    *,
    network: str = "",
    compare: bool = False,
    today: date | None = None,
) -> CampaignReport:
    """Per day: organic impressions, clicks and engagements of the posts cued to the campaign
    (one network or all), next to the campaign's paid impressions, clicks and spend, with the
    cost per engagement; per network; and, if asked, against the period before."""
    campaign = _campaign(actor, campaign_id)
    zone = actor.workspace.timezone
    whole = campaign_run(campaign, zone, today or today_in(zone))
    scope = _scope(actor, asked, network, compare, today, whole)
    organic = _organic_rows(actor.workspace, network).filter(campaign=campaign)
    grouped = _grouped(organic, scope.period, "day", "network")
    by_network = sum_rows(grouped, "network")
    reported = _reported(by_network)
    by_day = sum_rows(grouped, "day")
    paid = _paid_by_day(campaign, scope.period)
    days = tuple(
        CampaignDay(
            d,
            Figures(by_day.get(d, OrganicSums()).organic(reported), paid.get(d, Paid())),
        )
        for d in scope.period.dates()
    )
    networks = _networks(by_network, _campaign_posts(campaign))
    total = Figures(
        total_organic(r.organic for r in networks).filled(reported), total_paid(paid.values())
    )
    changes: tuple[Change, ...] = ()
    if scope.previous is not None:
        before = Figures(
            _organic_total(organic, scope.previous, reported),
            _paid_total(campaign, scope.previous),
        )
        changes = tuple(figures_changes(total, before))
    return CampaignReport(
        campaign_id=campaign.pk,
        name=campaign.name,
        platform=campaign.platform,
        currency=campaign_currency(campaign),
        scope=scope,
        days=days,
        total=total,
        by_network=networks,
        changes=changes,
    )


# -- the workspace: every channel and campaign ----------------------------------------------------


@dataclass(frozen=True)
class OverviewDay:
    day: date
    posts: int  # published that day
    organic: Organic


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: int
    name: str
    currency: str
    figures: Figures


@dataclass(frozen=True)
class Overview:
    scope: Scope
    days: tuple[OverviewDay, ...]
    posts: int
    total: Organic
    by_network: tuple[NetworkRow, ...]
    by_campaign: tuple[CampaignRow, ...]
    changes: tuple[Change, ...]


def _workspace_targets(workspace: Workspace, network: str) -> QuerySet[Target]:
    targets = Target.objects.filter(channel__workspace=workspace)
    return targets.filter(channel__network=network) if network else targets


def _by_campaign(
    workspace: Workspace, organic: dict[Any, OrganicSums], period: Period
) -> tuple[CampaignRow, ...]:
    paid_rows = {
        r["campaign_id"]: Paid.from_sums(r)
        for r in _in(PaidMetricDaily.objects.filter(campaign__workspace=workspace), period)
        .order_by()
        .values("campaign_id")
        .annotate(**paid_sums())
    }
    ids = set(organic) | set(paid_rows)
    campaigns = Campaign.objects.filter(workspace=workspace, pk__in=ids).order_by("name", "pk")
    return tuple(
        CampaignRow(
            c.pk,
            c.name,
            campaign_currency(c),
            Figures(organic.get(c.pk, OrganicSums()).organic(), paid_rows.get(c.pk, Paid())),
        )
        for c in campaigns
    )


def overview(
    actor: Actor,
    asked: PeriodRequest,
    *,
    network: str = "",
    compare: bool = False,
    today: date | None = None,
) -> Overview:
    """The workspace at a glance: organic figures per day and per network, every campaign's
    organic and paid figures, and, if asked, the change against the period before."""
    actor.require(Action.VIEW)
    scope = _scope(actor, asked, network, compare, today)
    organic = _organic_rows(actor.workspace, network)
    # Grouped by day and network (a few hundred groups, summed in memory by the database); the
    # campaigns in a second, small grouping: all three at once makes groups enough to spill.
    grouped = _grouped(organic, scope.period, "day", "network")
    by_network = sum_rows(grouped, "network")
    reported = _reported(by_network)
    by_day = sum_rows(grouped, "day")
    published = _published(_workspace_targets(actor.workspace, network), scope)
    posts_by_day = _count_by(published, "day")
    days = tuple(
        OverviewDay(d, posts_by_day.get(d, 0), by_day.get(d, OrganicSums()).organic(reported))
        for d in scope.period.dates()
    )
    networks = _networks(by_network, _count_by(published, "network"))
    total = total_organic(r.organic for r in networks).filled(reported)
    changes: tuple[Change, ...] = ()
    if scope.previous is not None:
        before = _organic_total(organic, scope.previous, reported)
        changes = tuple(organic_changes(total, before))
    return Overview(
        scope=scope,
        days=days,
        posts=sum(posts_by_day.values()),
        total=total,
        by_network=networks,
        by_campaign=_by_campaign(
            actor.workspace,
            sum_rows(
                _grouped(organic.exclude(campaign=None), scope.period, "campaign_id"), "campaign_id"
            ),
            scope.period,
        ),
        changes=changes,
    )


# -- a channel: its posts' figures per day and its followers ---------------------------------------


@dataclass(frozen=True)
class ChannelDay:
    day: date
    posts: int
    organic: Organic
    followers: int | None  # as counted that day; None when not collected


@dataclass(frozen=True)
class ChannelReport:
    channel_id: int
    name: str
    handle: str
    network: str
    scope: Scope
    days: tuple[ChannelDay, ...]
    posts: int
    total: Organic
    followers: int | None  # the latest count in the period
    changes: tuple[Change, ...]


def _followers_by_day(channel: Channel, period: Period) -> dict[date, int | None]:
    rows = _in(ChannelMetricDay.objects.filter(channel=channel), period)
    return dict(rows.values_list("day", "followers"))


def channel_report(
    actor: Actor,
    channel_id: int,
    asked: PeriodRequest,
    *,
    compare: bool = False,
    today: date | None = None,
) -> ChannelReport:
    """A channel's posts per day (what they gained, how many were published) and its followers."""
    actor.require(Action.VIEW)
    channel = Channel.objects.filter(workspace=actor.workspace, pk=channel_id).first()
    if channel is None:
        raise ReportNotFound(_("There is no such channel in this workspace."))
    scope = _scope(actor, asked, "", compare, today)
    organic = _organic_rows(actor.workspace, "").filter(channel=channel)
    by_day = sum_rows(_grouped(organic, scope.period, "day"), "day")
    reported = _reported(by_day)
    published = _count_by(_published(Target.objects.filter(channel=channel), scope), "day")
    followers = _followers_by_day(channel, scope.period)
    days = tuple(
        ChannelDay(
            d,
            published.get(d, 0),
            by_day.get(d, OrganicSums()).organic(reported),
            followers.get(d),
        )
        for d in scope.period.dates()
    )
    total = total_organic(d.organic for d in days).filled(reported)
    changes: tuple[Change, ...] = ()
    if scope.previous is not None:
        changes = tuple(organic_changes(total, _organic_total(organic, scope.previous, reported)))
    counted = [d.followers for d in days if d.followers is not None]
    return ChannelReport(
        channel_id=channel.pk,
        name=channel.display_name,
        handle=channel.handle,
        network=channel.network,
        scope=scope,
        days=days,
        posts=sum(published.values()),
        total=total,
        followers=counted[-1] if counted else None,
        changes=changes,
    )
