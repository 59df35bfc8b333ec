"""Switching a network off for the whole Cuecast instance, and on again (staff only).

Off: every future post to the network, in every workspace, is held with the reason; new posts to
it are created held (`cuecast.publishing.holds.hold_for_new_target`), and the worker's round
holds any that come back from a call that was under way. On: they are released under each
workspace's late policy. Each affected workspace gets an audit event naming who did it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast.accounts.models import AuditEvent, User
from cuecast.channels.models import Channel, NetworkSwitch
from cuecast.networks import registry
from cuecast.posts.models import HoldCause, Target, TargetState

log = logging.getLogger("cuecast.channels")


class SwitchRefused(Exception):
    """The switch cannot be flipped as asked; the message says why, in a sentence."""


@dataclass(frozen=True)
class SwitchResult:
    switch: NetworkSwitch
    held: int = 0
    released: int = 0
    skipped: int = 0
    still_held: int = 0


def switches() -> dict[str, NetworkSwitch]:
    """Every known network's switch (a network never switched is on), by key."""
    stored = {s.network: s for s in NetworkSwitch.objects.select_related("changed_by")}
    return {key: stored.get(key) or NetworkSwitch(network=key) for key in registry.networks()}


def switched_off() -> dict[str, NetworkSwitch]:
    return {s.network: s for s in NetworkSwitch.objects.filter(enabled=False)}


def switch_network(
    key: str,
    *,
    enabled: bool,
    reason: str = "",
    by: User | None = None,
    now: datetime | None = None,
) -> SwitchResult:
    """Switch a network on or off for everyone. `by` is the staff member (None: the CLI, run by
    whoever operates the server). Switching off needs a reason: every held post shows it."""
    from cuecast.publishing import holds

    if by is not None and not by.is_staff:
        raise SwitchRefused(_("Only an administrator of this Cuecast can switch networks."))
    try:
        registry.get(key)
    except registry.UnknownNetwork:
        raise SwitchRefused(
            _("Cuecast does not know a network called “%(key)s”.") % {"key": key}
        ) from None
    reason = reason.strip()
    if not enabled and not reason:
        raise SwitchRefused(_("Say why the network is switched off: every held post shows it."))
    now = now or timezone.now()
    with transaction.atomic():
        switch = _locked_switch(key)
        switch.enabled, switch.reason = enabled, reason[:500]
        switch.changed_by, switch.changed_at = by, now
        switch.save()
        targets = Target.objects.filter(channel__network=key)
        if enabled:
            result = _released(switch, targets, now)
        else:
            sentence = holds.network_reason(key, reason)
            targets.filter(state=TargetState.HELD, hold=HoldCause.NETWORK).update(
                reason=sentence[:500], updated_at=now
            )
            events = holds.hold(targets, HoldCause.NETWORK, sentence, now, history=sentence)
            result = SwitchResult(switch, held=len(events))
        _audit(switch, by)
    log.info("network %s switched %s by %s", key, "on" if enabled else "off", by or "the CLI")
    return result


def _locked_switch(key: str) -> NetworkSwitch:
    NetworkSwitch.objects.bulk_create([NetworkSwitch(network=key)], ignore_conflicts=True)
    return NetworkSwitch.objects.select_for_update().get(network=key)


def _released(switch: NetworkSwitch, targets: QuerySet[Target], now: datetime) -> SwitchResult:
    from cuecast.publishing import holds

    history = _("%(network)s was switched on again") % {
        "network": holds.network_name(switch.network)
    }
    kinds = [e.kind for e in holds.release(targets, HoldCause.NETWORK, now, history=history)]
    return SwitchResult(
        switch,
        released=kinds.count("released"),
        skipped=kinds.count("skipped"),
        still_held=kinds.count("held"),
    )


def _audit(switch: NetworkSwitch, by: User | None) -> None:
    """One audit event in every workspace with a channel on the network: their admins see who
    switched it, when, and why."""
    workspace_ids = (
        Channel.objects.filter(network=switch.network)
        .order_by()
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    action = "network.switched_on" if switch.enabled else "network.switched_off"
    AuditEvent.objects.bulk_create(
        AuditEvent(
            workspace_id=workspace_id,
            actor=by,
            action=action,
            object_type="networkswitch",
            object_id=str(switch.pk),
            data={"network": switch.network, "reason": switch.reason},
        )
        for workspace_id in workspace_ids
    )
