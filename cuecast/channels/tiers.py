"""Which API access tier a channel's app is on at its network, as the user records it.

A network has tiers when its limits data (`Descriptor.rate_limits`, per tier) names them: X's
Free, Basic, Pro and pay-per-use today; networks whose limits are the same for every app offer no
choice. The rate budgets read the tier from `Channel.settings["access_tier"]`; "" means nobody
recorded one, and the budgets then apply what the network's data gives a channel of unknown tier
(X: pay-per-use, the default for new developers since February 2026).

Recording a tier is audited, and releases the channel's posts held because the network refused
the old tier (`cuecast.publishing.holds.release_access_tier`, under the workspace's late policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.channels.models import Channel
from cuecast.networks import registry
from cuecast.networks.base import RateLimit
from cuecast.posts.errors import FieldError, ValidationFailed

UNKNOWN = ""  # no tier recorded
FIELD = "access_tier"

# Names people know from the networks' pricing pages, in the order those pages list them.
_LABELS = {
    "free": gettext_lazy("Free"),
    "basic": gettext_lazy("Basic"),
    "pro": gettext_lazy("Pro"),
    "enterprise": gettext_lazy("Enterprise"),
    "pay_per_use": gettext_lazy("Pay-per-use"),
}
_ORDER = tuple(_LABELS)


def tiers_of(network: str) -> tuple[str, ...]:
    """The access tiers the network's limits data knows ("" left out), in pricing-page order."""
    named = {tier for rule in _rules(network) for tier in rule.tiers if tier != UNKNOWN}
    return tuple(sorted(named, key=lambda t: (_ORDER.index(t) if t in _ORDER else len(_ORDER), t)))


def has_tiers(network: str) -> bool:
    return bool(tiers_of(network))


def tier_label(tier: str) -> str:
    return str(_LABELS.get(tier, tier))


def assumed_tier(network: str) -> str:
    """The tier whose limits a channel of unknown tier gets, if one matches them exactly."""
    rules = _rules(network)

    def applying(tier: str) -> frozenset[int]:
        return frozenset(i for i, r in enumerate(rules) if not r.tiers or tier in r.tiers)

    unknown = applying(UNKNOWN)
    return next((t for t in tiers_of(network) if applying(t) == unknown), UNKNOWN)


def tier_choices(network: str) -> list[tuple[str, str]]:
    """(value, label) for a select: "not recorded" first, then the network's tiers."""
    assumed = assumed_tier(network)
    if assumed:
        unset = _("Not recorded (Cuecast assumes %(tier)s)") % {"tier": tier_label(assumed)}
    else:
        unset = _("Not recorded")
    return [(UNKNOWN, unset), *((t, tier_label(t)) for t in tiers_of(network))]


def check_tier(network: str, tier: str) -> None:
    """Refuse a tier the network's limits data does not know, in a sentence naming the choices."""
    if tier == UNKNOWN or tier in tiers_of(network):
        return
    name = _network_name(network)
    known = tiers_of(network)
    if not known:
        message = _("%(network)s has no access tiers to choose from.") % {"network": name}
    else:
        message = _(
            "“%(tier)s” is not an access tier of %(network)s. Choose one of: %(choices)s."
        ) % {"tier": tier, "network": name, "choices": ", ".join(known)}
    raise ValidationFailed([FieldError(FIELD, message)])


@dataclass(frozen=True)
class TierChange:
    channel: Channel
    changed: bool
    released: int = 0  # held posts that go out (on time or late)
    skipped: int = 0  # held posts whose time passed beyond the late policy
    still_held: int = 0  # held posts another cause still holds


def set_access_tier(
    actor: Actor, channel: Channel, tier: str, *, now: datetime | None = None
) -> TierChange:
    """Record the channel's access tier (admins and owners, like connecting channels)."""
    from cuecast.publishing import holds

    actor.require(Action.MANAGE_CHANNELS)
    now = now or timezone.now()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk, workspace=actor.workspace)
        check_tier(channel.network, tier)
        before = channel.access_tier
        if tier == before:
            return TierChange(channel, changed=False)
        channel.settings = {**channel.settings, FIELD: tier}
        channel.save(update_fields=["settings", "updated_at"])
        history = _("The access tier of %(channel)s was changed to %(tier)s") % {
            "channel": channel.display_name,
            "tier": tier_label(tier) if tier else _("not recorded"),
        }
        kinds = [e.kind for e in holds.release_access_tier(channel, now, history=history)]
        change = TierChange(
            channel,
            changed=True,
            released=kinds.count("released"),
            skipped=kinds.count("skipped"),
            still_held=kinds.count("held"),
        )
        audit(
            actor,
            "channel.access_tier",
            channel,
            before=before,
            after=tier,
            released_targets=change.released,
            skipped_targets=change.skipped,
        )
        return change


def _rules(network: str) -> tuple[RateLimit, ...]:
    try:
        return registry.get(network).descriptor.rate_limits
    except registry.UnknownNetwork:  # a network this Cuecast no longer has: no tiers either
        return ()


def _network_name(network: str) -> str:
    try:
        return registry.get(network).descriptor.name
    except registry.UnknownNetwork:
        return network
