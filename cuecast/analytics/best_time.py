"""Best time to post: how the workspace's own posts did by the weekday and hour they went out.

Each published target counts in the slot (weekday and hour, in the workspace's time zone) of its
publish time, with everything it gained since (`PostMetricDay`). A slot's engagement rate is its
posts' engagements ÷ their impressions; for a network that reports no impressions (Mastodon),
the slot shows engagements per post instead. Every slot shows how many posts it rests on.

The composer suggests a slot only when there is enough to go on: at least `MIN_POSTS` published
posts on that network in the last `HISTORY_DAYS` days, and at least `MIN_SLOT_POSTS` of them in
the slot suggested. Fewer, and one lucky post would decide it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cuecast.accounts.models import Workspace
from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor
from cuecast.analytics import labels
from cuecast.analytics.figures import ENGAGEMENT_FIELDS, rate
from cuecast.analytics.models import PostMetricDay
from cuecast.analytics.periods import ReportError
from cuecast.networks import registry
from cuecast.posts.models import Target

HISTORY_DAYS = 365
MIN_POSTS = 30
MIN_SLOT_POSTS = 5
PER_POST_PLACES = Decimal("0.1")


class Measure(StrEnum):
    RATE = "rate"  # engagements per 100 impressions
    PER_POST = "per_post"  # engagements per post, where the network reports no impressions


@dataclass(frozen=True)
class Slot:
    weekday: int  # ISO: 1 = Monday … 7 = Sunday
    hour: int  # 0 to 23, in the workspace's zone
    posts: int
    impressions: int | None
    engagements: int | None

    def value(self, measure: Measure) -> Decimal | None:
        if measure == Measure.RATE:
            return rate(self.engagements, self.impressions)
        if self.engagements is None or not self.posts:
            return None
        return (Decimal(self.engagements) / self.posts).quantize(
            PER_POST_PLACES, rounding=ROUND_HALF_UP
        )


@dataclass(frozen=True)
class Heatmap:
    network: str
    timezone: str
    since: datetime  # posts published from here on count
    measure: Measure
    slots: tuple[Slot, ...]  # only slots with posts, Monday 00:00 first

    @property
    def posts(self) -> int:
        return sum(s.posts for s in self.slots)

    def best(self) -> Slot | None:
        """The slot with the highest value among those resting on enough posts."""
        candidates = [
            s for s in self.slots if s.posts >= MIN_SLOT_POSTS and s.value(self.measure) is not None
        ]
        if self.posts < MIN_POSTS or not candidates:
            return None
        return max(candidates, key=lambda s: (s.value(self.measure), s.posts, -s.weekday, -s.hour))


@dataclass(frozen=True)
class Suggestion:
    network: str
    slot: Slot
    measure: Measure

    def sentence(self) -> str:
        """ "Your LinkedIn posts do best on Tuesdays at 10:00 (42 posts)." """
        return ngettext(
            "Your %(network)s posts do best on %(weekday)s at %(hour)s (%(posts)d post).",
            "Your %(network)s posts do best on %(weekday)s at %(hour)s (%(posts)d posts).",
            self.slot.posts,
        ) % {
            "network": labels.network(self.network),
            "weekday": weekday_plural(self.slot.weekday),
            "hour": hour_label(self.slot.hour),
            "posts": self.slot.posts,
        }


def weekday_name(iso_weekday: int) -> str:
    names = (
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    )
    return names[iso_weekday - 1]


def weekday_plural(iso_weekday: int) -> str:
    names = (
        _("Mondays"),
        _("Tuesdays"),
        _("Wednesdays"),
        _("Thursdays"),
        _("Fridays"),
        _("Saturdays"),
        _("Sundays"),
    )
    return names[iso_weekday - 1]


def hour_label(hour: int) -> str:
    return formats.time_format(time(hour), "H:i")


def _published(workspace: Workspace, since: datetime) -> QuerySet[Target]:
    return Target.objects.filter(post__workspace=workspace, published_at__gte=since)


def _weekday(field: str, zone: str) -> ExtractIsoWeekDay:
    return ExtractIsoWeekDay(field, tzinfo=ZoneInfo(zone))


def _hour(field: str, zone: str) -> ExtractHour:
    return ExtractHour(field, tzinfo=ZoneInfo(zone))


def _posts_per_slot(
    workspace: Workspace, since: datetime, network: str
) -> dict[tuple[str, int, int], int]:
    targets = _published(workspace, since)
    if network:
        targets = targets.filter(channel__network=network)
    rows = (
        targets.annotate(
            network=F("channel__network"),
            weekday=_weekday("published_at", workspace.timezone),
            hour=_hour("published_at", workspace.timezone),
        )
        .order_by()
        .values("network", "weekday", "hour")
        .annotate(posts=Count("id"))
    )
    return {(r["network"], r["weekday"], r["hour"]): r["posts"] for r in rows}


def _sums_per_slot(
    workspace: Workspace, since: datetime, network: str
) -> dict[tuple[str, int, int], Mapping[str, Any]]:
    rows = PostMetricDay.objects.filter(workspace=workspace, target__published_at__gte=since)
    if network:
        rows = rows.filter(network=network)
    sums = {name: Sum(name) for name in ("impressions", *ENGAGEMENT_FIELDS)}
    grouped = (
        rows.annotate(
            weekday=_weekday("target__published_at", workspace.timezone),
            hour=_hour("target__published_at", workspace.timezone),
        )
        .order_by()
        .values("network", "weekday", "hour")
        .annotate(**sums)
    )
    return {(r["network"], r["weekday"], r["hour"]): r for r in grouped}


def _engagements(row: Mapping[str, Any]) -> int | None:
    known = [int(row[name]) for name in ENGAGEMENT_FIELDS if row.get(name) is not None]
    return sum(known) if known else None


def _heatmaps(workspace: Workspace, network: str, now: datetime | None) -> dict[str, Heatmap]:
    since = (now or timezone.now()) - timedelta(days=HISTORY_DAYS)
    posts = _posts_per_slot(workspace, since, network)
    sums = _sums_per_slot(workspace, since, network)
    slots: dict[str, list[Slot]] = {}
    for (net, weekday, hour), count in sorted(posts.items()):
        row = sums.get((net, weekday, hour), {})
        impressions = row.get("impressions")
        slots.setdefault(net, []).append(
            Slot(
                weekday,
                hour,
                count,
                None if impressions is None else int(impressions),
                _engagements(row),
            )
        )
    return {
        net: Heatmap(net, workspace.timezone, since, _measure(found), tuple(found))
        for net, found in slots.items()
    }


def _measure(slots: Sequence[Slot]) -> Measure:
    return Measure.RATE if any(s.impressions for s in slots) else Measure.PER_POST


# A year of history changes little from one hour to the next, and summing it means reading every
# daily row of the workspace's posts (seconds for 100,000 posts): each process keeps the result
# for an hour (Django's cache), per network for the heatmap page and for every network at once
# for the composer's suggestions.
CACHE_SECONDS = 3600


def _cache_key(workspace: Workspace, network: str, now: datetime) -> str:
    hour = now.astimezone(UTC).strftime("%Y%m%d%H")
    return f"cuecast:best-time:{workspace.pk}:{workspace.timezone}:{network or '*'}:{hour}"


def _cached(workspace: Workspace, network: str, now: datetime | None) -> dict[str, Heatmap]:
    at = now or timezone.now()
    key = _cache_key(workspace, network, at)
    found: dict[str, Heatmap] | None = cache.get(key)
    if found is None:
        found = _heatmaps(workspace, network, at)
        cache.set(key, found, CACHE_SECONDS)
    return found


def heatmap(actor: Actor, network: str, now: datetime | None = None) -> Heatmap:
    """The workspace's slots on one network (empty when it has no published posts there)."""
    actor.require(Action.VIEW)
    if network not in registry.networks():
        raise ReportError("network", _("Choose a network from the list."))
    found = _cached(actor.workspace, network, now).get(network)
    if found is None:
        since = (now or timezone.now()) - timedelta(days=HISTORY_DAYS)
        return Heatmap(network, actor.workspace.timezone, since, Measure.RATE, ())
    return found


def suggestion_for(heatmap: Heatmap) -> Suggestion | None:
    best = heatmap.best()
    return Suggestion(heatmap.network, best, heatmap.measure) if best is not None else None


def suggestions(workspace: Workspace, now: datetime | None = None) -> list[Suggestion]:
    """One suggestion per network with enough history, in the registry's order."""
    maps = _cached(workspace, "", now)
    found = [suggestion_for(maps[key]) for key in registry.networks() if key in maps]
    return [s for s in found if s is not None]
