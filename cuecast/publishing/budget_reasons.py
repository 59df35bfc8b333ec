"""The sentence a marketer reads when a network's cap holds a post, e.g. "X allows 17 posts a day
on the Free tier; this account has used them; it reopens at 14:05 UTC."."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cuecast.networks.base import LimitScope, LimitUnit, RateLimit, WindowKind

_TIER_NAMES = {"free": "Free", "basic": "Basic", "pro": "Pro", "pay_per_use": "pay-per-use"}


def _unit_words(rule: RateLimit, count: int) -> str:
    if rule.unit in (LimitUnit.PARTS, LimitUnit.POSTS) and rule.cost > 1:
        return ngettext("write point", "write points", count)
    return {
        LimitUnit.PARTS: ngettext("post", "posts", count),
        LimitUnit.POSTS: ngettext("post", "posts", count),
        LimitUnit.REPLIES: ngettext("reply", "replies", count),
        LimitUnit.REQUESTS: ngettext("request", "requests", count),
        LimitUnit.READS: ngettext("post read", "post reads", count),
        LimitUnit.PERCENT: ngettext("percent", "percent", count),
    }[rule.unit]


def _period_words(rule: RateLimit) -> str:
    hours = rule.window.total_seconds() / 3600
    if hours >= 24 * 28:
        return _("a month")
    if hours == 24:
        return _("in any 24 hours") if rule.window_kind == WindowKind.ROLLING else _("a day")
    if hours >= 1:
        return ngettext("an hour", "in %(count)d hours", round(hours)) % {"count": round(hours)}
    minutes = round(hours * 60)
    return ngettext("a minute", "in %(count)d minutes", minutes) % {"count": minutes}


def _when_words(reopens: datetime, now: datetime) -> str:
    moment = reopens.astimezone(UTC)
    if moment.date() == now.astimezone(UTC).date():
        return _("at %(time)s UTC") % {"time": moment.strftime("%H:%M")}
    return _("on %(date)s at %(time)s UTC") % {
        "date": moment.strftime("%Y-%m-%d"),
        "time": moment.strftime("%H:%M"),
    }


def refused_reason(network_name: str, rule: RateLimit, reopens: datetime, now: datetime) -> str:
    """The network refused more before Cuecast's count of its cap was reached: its figure is not
    known (LinkedIn publishes none), so none is quoted."""
    values = {
        "network": network_name,
        "unit": _unit_words(rule, 2),
        "when": _when_words(reopens, now),
    }
    if rule.scope == LimitScope.APP:
        return (
            _(
                "%(network)s has stopped taking %(unit)s from Cuecast's app for now; it reopens "
                "%(when)s."
            )
            % values
        )
    return (
        _("%(network)s has stopped taking %(unit)s from this account for now; it reopens %(when)s.")
        % values
    )


def held_reason(
    network_name: str, rule: RateLimit, figure: int, tier: str, reopens: datetime, now: datetime
) -> str:
    """Why a cap holds the work and when it reopens; `figure` is the limit in force (the
    network's own when it told us)."""
    values = {
        "network": network_name,
        "count": number_format(figure, force_grouping=True),
        "unit": _unit_words(rule, figure),
        "period": _period_words(rule),
        "tier": "",
        "when": _when_words(reopens, now),
    }
    if rule.tiers and tier:
        values["tier"] = _(" on the %(tier)s tier") % {"tier": _TIER_NAMES.get(tier, tier)}
    if rule.scope == LimitScope.APP:
        return (
            _(
                "%(network)s allows %(count)s %(unit)s %(period)s%(tier)s for Cuecast's app, "
                "shared by every connected account; they are used up; it reopens %(when)s."
            )
            % values
        )
    return (
        _(
            "%(network)s allows %(count)s %(unit)s %(period)s%(tier)s; this account has used "
            "them; it reopens %(when)s."
        )
        % values
    )
