"""One place for holds: a target waits while something outside it says no, and goes on (or is
skipped) when that clears.

Causes (`HoldCause`): its channel is disconnected, an administrator switched its network off, the
network's cap is reached, the API access level lacks publishing, its campaign is not running.
Every cause holds with `hold` and releases with `release`; both write the target's history
(`TargetEvent`) and change only rows in the state they expect, inside one transaction that locks
them first (PostgreSQL), so a worker's claim or a person's cancel never races a half-done change.

A target stores one cause (`Target.hold`), but several may apply at once: held for its paused
campaign, then its channel disconnects. `hold` leaves an already-held target with its cause, and
`release` checks the causes that can be checked again (network switched off, channel
disconnected, campaign not running) before letting a target go: one another cause still holds
stays held, now naming that cause.

Holds for a missing API access level (`HoldCause.ACCESS_TIER`) clear outside Cuecast, when the
app's plan at the network changes: they are released when a person records the channel's new
access tier (`release_access_tier`), and re-checked by the worker's round (`recheck_access`): once
per `ACCESS_RECHECK` one held post per channel is let go to try again, and when a post of the
channel is published after a target was held, that target goes too. A re-check that the network
still refuses is held again by the call's answer (`held_by_call` writes its history).

Released targets follow their workspace's late policy (docs/decisions/0008-late-policy.md): a
target whose time has not come keeps it; one released within `ON_TIME` of its time goes out as
if on time; later than that it goes out now ("Published late: …") while within the workspace's
limit, and is cancelled with a reason starting "Skipped:" beyond it, or at once under "skip".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from cuecast.accounts.models import LatePolicy, Workspace
from cuecast.campaigns.models import Campaign
from cuecast.channels.models import Channel, ChannelStatus, NetworkSwitch
from cuecast.networks import registry
from cuecast.posts.models import (
    HoldCause,
    Schedule,
    ScheduleKind,
    Target,
    TargetEvent,
    TargetState,
)

# Released this soon after its time, a post is on time: no "late" note, never skipped.
ON_TIME = timedelta(minutes=1)
CHUNK = 500
# How often a channel whose posts the network refused for its API access level tries one again:
# plans change by hand, rarely, and each try is a call the network refuses while nothing changed.
ACCESS_RECHECK = timedelta(hours=6)


@dataclass(frozen=True)
class Standing:
    """A cause that holds a target right now, with the sentence shown on the target."""

    cause: HoldCause
    reason: str


# --- sentences ----------------------------------------------------------------------------------


def network_name(key: str) -> str:
    try:
        return registry.get(key).descriptor.name
    except registry.UnknownNetwork:
        return key


def channel_reason(channel: Channel, why: str = "") -> str:
    if not why:
        return _("Held: %(channel)s is disconnected. Reconnect it to release this post.") % {
            "channel": channel.display_name
        }
    return _("Held: %(channel)s is disconnected (%(why)s). Reconnect it to release this post.") % {
        "channel": channel.display_name,
        "why": why,
    }


def network_reason(network: str, why: str) -> str:
    return _(
        "Held: %(network)s is switched off by the administrator of this Cuecast (%(why)s). It "
        "goes out when the network is switched on again."
    ) % {"network": network_name(network), "why": why or _("no reason given")}


def campaign_reason(campaign: Campaign, why: str) -> str:
    from cuecast.campaigns.cues import platform_name

    if campaign.platform:
        why = _("%(why)s on %(platform)s") % {
            "why": why,
            "platform": platform_name(campaign.platform),
        }
    return _(
        "Held: campaign “%(campaign)s” is %(why)s. It goes out when the campaign runs again."
    ) % {"campaign": campaign.name, "why": why}


def describe_duration(span: timedelta) -> str:
    """ "40 min", "3 h 5 min", "2 d 4 h": short, and exact enough for a person to judge."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        if not hours:
            return _("%(days)d d") % {"days": days}
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        if not minutes:
            return _("%(hours)d h") % {"hours": hours}
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def local_time(moment: datetime, workspace: Workspace) -> str:
    local = moment.astimezone(ZoneInfo(workspace.timezone))
    return f"{local.day} {local:%b %Y, %H:%M} {workspace.timezone}"


def _while_held(target: Target, cause: HoldCause) -> str:
    """What kept the target back, as the end of "… while <this>"."""
    campaign = _cued_campaign(target)
    phrases = {
        HoldCause.CAMPAIGN: _("campaign “%(campaign)s” was not running")
        % {"campaign": campaign.name if campaign else "?"},
        HoldCause.CHANNEL: _("%(channel)s was disconnected")
        % {"channel": target.channel.display_name},
        HoldCause.NETWORK: _("%(network)s was switched off")
        % {"network": network_name(target.channel.network)},
        HoldCause.QUOTA: _("the posting cap of %(network)s was used up")
        % {"network": network_name(target.channel.network)},
        HoldCause.ACCESS_TIER: _("the API access level did not allow posting"),
    }
    return phrases.get(cause, _("it was held"))


def _policy_sentence(workspace: Workspace) -> str:
    if workspace.late_policy == LatePolicy.SKIP:
        return _("This workspace skips held posts whose time has passed.")
    return _("This workspace publishes held posts at most %(limit)s late.") % {
        "limit": describe_duration(timedelta(hours=workspace.late_limit_hours))
    }


# --- the late policy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lateness:
    late_by: timedelta  # how far past its time; zero when its time has not come
    skip: bool

    @property
    def is_late(self) -> bool:
        return self.late_by > ON_TIME


def lateness(workspace: Workspace, due: datetime | None, now: datetime) -> Lateness:
    """What the workspace's late policy says about a target due at `due`, released at `now`."""
    late_by = max(now - due, timedelta(0)) if due is not None else timedelta(0)
    if late_by <= ON_TIME:
        return Lateness(late_by, skip=False)
    if workspace.late_policy == LatePolicy.SKIP:
        return Lateness(late_by, skip=True)
    return Lateness(late_by, skip=late_by > timedelta(hours=workspace.late_limit_hours))


def skipped_after_hold(target: Target, cause: HoldCause, late: Lateness) -> str:
    workspace = target.channel.workspace
    assert target.due_at is not None, "only a target with a time can be late"
    return _("Skipped: its time (%(due)s) passed %(late)s ago while %(while)s. %(policy)s") % {
        "due": local_time(target.due_at, workspace),
        "late": describe_duration(late.late_by),
        "while": _while_held(target, cause),
        "policy": _policy_sentence(workspace),
    }


def skipped_after_move(
    campaign: Campaign, workspace: Workspace, due: datetime, late: Lateness
) -> str:
    return _(
        "Skipped: campaign “%(campaign)s” moved, and the new time (%(due)s) had already passed "
        "by %(late)s. %(policy)s"
    ) % {
        "campaign": campaign.name,
        "due": local_time(due, workspace),
        "late": describe_duration(late.late_by),
        "policy": _policy_sentence(workspace),
    }


def published_late(target: Target, cause: HoldCause, late: Lateness) -> str:
    assert target.due_at is not None, "only a target with a time can be late"
    return _("Published late: held for %(late)s past its time (%(due)s) while %(while)s.") % {
        "late": describe_duration(late.late_by),
        "due": local_time(target.due_at, target.channel.workspace),
        "while": _while_held(target, cause),
    }


# --- what holds a target now --------------------------------------------------------------------


def _uses_row_locks() -> bool:
    # SQLite runs one writing transaction at a time (IMMEDIATE): nothing to lock there.
    return bool(connection.features.has_select_for_update)


def read_switches(networks: Iterable[str]) -> dict[str, NetworkSwitch]:
    """The switches of these networks, under a share lock on PostgreSQL (call it in a transaction).

    A switch being flipped waits for the lock, and a reader waits for a switch being flipped, so a
    target written here is either seen by the switch's hold or sees the switch itself. Missing
    rows are created first: a lock needs a row.
    """
    keys = sorted(set(networks))
    if not keys:
        return {}
    if _uses_row_locks():
        NetworkSwitch.objects.bulk_create(
            [NetworkSwitch(network=key) for key in keys], ignore_conflicts=True
        )
        # FOR SHARE, not FOR UPDATE: people creating posts must not queue behind each other,
        # only behind a switch being flipped. Django's ORM has no FOR SHARE.
        table = NetworkSwitch._meta.db_table
        share = f"SELECT id FROM {table} WHERE network = ANY(%s) ORDER BY network FOR SHARE"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(share, [keys])
    return {s.network: s for s in NetworkSwitch.objects.filter(network__in=keys)}


def _cued_campaign(target: Target) -> Campaign | None:
    if target.post_id is None:  # a target being created: its schedule is checked elsewhere
        return None
    schedule: Schedule | None = getattr(target.post, "schedule", None)
    if schedule is None or schedule.kind != ScheduleKind.CUE:
        return None
    return schedule.campaign


@dataclass
class Causes:
    """Checks the causes that can be checked again, caching what a batch of targets shares."""

    now: datetime
    switches: dict[str, NetworkSwitch]
    _campaigns: dict[int, str] = field(default_factory=dict)

    def campaign_stopped(self, campaign: Campaign) -> str:
        from cuecast.campaigns.apply import is_removed, stopped

        if campaign.pk not in self._campaigns:
            self._campaigns[campaign.pk] = stopped(campaign, is_removed(campaign), self.now)
        return self._campaigns[campaign.pk]

    def standing(self, target: Target, *, besides: HoldCause = HoldCause.NONE) -> Standing | None:
        """The first cause other than `besides` that holds the target now, the widest first."""
        channel = target.channel
        switch = self.switches.get(channel.network)
        if besides != HoldCause.NETWORK and switch is not None and not switch.enabled:
            return Standing(HoldCause.NETWORK, network_reason(channel.network, switch.reason))
        if besides != HoldCause.CHANNEL and not channel.is_connected:
            return Standing(HoldCause.CHANNEL, channel_reason(channel, channel.status_reason))
        campaign = _cued_campaign(target)
        if besides != HoldCause.CAMPAIGN and campaign is not None:
            why = self.campaign_stopped(campaign)
            if why:
                return Standing(HoldCause.CAMPAIGN, campaign_reason(campaign, why))
        return None


def standing_cause(target: Target, now: datetime) -> Standing | None:
    """What holds this target right now, if anything (network, channel, campaign). Call it inside
    the transaction that writes the target's new state."""
    return Causes(now, read_switches([target.channel.network])).standing(target)


def hold_for_new_target(channel: Channel, now: datetime) -> Standing | None:
    """The hold a target created (or approved) now starts in: its network switched off or its
    channel disconnected. Call it inside the transaction that writes the target."""
    return Causes(now, read_switches([channel.network])).standing(Target(channel=channel))


# --- hold and release ---------------------------------------------------------------------------


def _locked_ids(targets: QuerySet[Target]) -> list[int]:
    if connection.features.has_select_for_update_of:
        targets = targets.select_for_update(of=("self",))
    elif _uses_row_locks():
        targets = targets.select_for_update()
    return list(targets.order_by("id").values_list("id", flat=True))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def hold(
    targets: QuerySet[Target], cause: HoldCause, reason: str, now: datetime, *, history: str = ""
) -> list[TargetEvent]:
    """Hold every scheduled target among `targets` for `cause`; a "held" event each, with
    `history` (or the reason) as its cause. Others are left alone: a draft is checked when it is
    approved, one on its way finishes, one held already keeps its cause (see the module's doc)."""
    events: list[TargetEvent] = []
    with transaction.atomic():
        ids = _locked_ids(targets.filter(state=TargetState.SCHEDULED))
        for chunk in _chunks(ids):
            rows = Target.objects.filter(pk__in=chunk, state=TargetState.SCHEDULED)
            dues = dict(rows.values_list("id", "due_at"))
            rows.update(state=TargetState.HELD, hold=cause, reason=reason[:500], updated_at=now)
            events += [
                TargetEvent(
                    target_id=tid,
                    kind="held",
                    cause=(history or reason)[:300],
                    from_due=due,
                    to_due=due,
                )
                for tid, due in dues.items()
            ]
        return TargetEvent.objects.bulk_create(events)


def release(
    targets: QuerySet[Target], cause: HoldCause, now: datetime, *, history: str = ""
) -> list[TargetEvent]:
    """Let go of the targets among `targets` held for `cause`: back to the schedule under the
    workspace's late policy, skipped when too late, or still held when another cause stands.
    Returns their events ("released", "skipped" or "held")."""
    history = history or _("The hold was lifted")
    events: list[TargetEvent] = []
    candidates = targets.filter(state=TargetState.HELD, hold=cause)
    with transaction.atomic():
        # Switches before targets, the order `switch_network` takes them in: no deadlock.
        networks = candidates.order_by().values_list("channel__network", flat=True).distinct()
        causes = Causes(now, read_switches(list(networks)))
        for chunk in _chunks(_locked_ids(candidates)):
            loaded = list(
                Target.objects.filter(pk__in=chunk).select_related(
                    "channel__workspace", "post__schedule__campaign"
                )
            )
            events += [_release_one(t, cause, causes, history) for t in loaded]
            Target.objects.bulk_update(
                loaded, ["state", "hold", "reason", "next_attempt_at", "updated_at"]
            )
        return TargetEvent.objects.bulk_create(events)


def _release_one(target: Target, cause: HoldCause, causes: Causes, history: str) -> TargetEvent:
    """Decide one locked target's way out (the caller saves it); returns its event."""
    now, due = causes.now, target.due_at
    target.updated_at = now
    event = TargetEvent(target_id=target.pk, from_due=due, to_due=due, cause=history[:300])
    other = causes.standing(target, besides=cause)
    if other is not None:
        target.hold, target.reason = other.cause, other.reason[:500]
        event.kind = "held"
        event.cause = _("%(history)s; still held: %(reason)s") % {
            "history": history,
            "reason": other.reason,
        }
        event.cause = event.cause[:300]
        return event
    late = lateness(target.channel.workspace, due, now)
    target.hold = HoldCause.NONE
    if late.skip:
        target.state, target.next_attempt_at = TargetState.CANCELLED, None
        target.reason = skipped_after_hold(target, cause, late)[:500]
        event.kind = "skipped"
        return event
    target.state = TargetState.SCHEDULED
    target.next_attempt_at = max(due, now) if due is not None else now
    target.reason = published_late(target, cause, late)[:500] if late.is_late else ""
    event.kind = "released"
    if late.is_late:
        event.cause = f"{history}; {target.reason}"[:300]
    return event


def release_due(now: datetime) -> int:
    """The worker's round: targets held for a cap that has reopened are released, scheduled
    targets of a switched-off network (on their way when it was switched off, and back since) are
    held, and holds for a missing access level are re-checked. Returns how many targets changed."""
    reopened = Target.objects.filter(
        state=TargetState.HELD, hold=HoldCause.QUOTA, next_attempt_at__lte=now
    )
    changed = len(release(reopened, HoldCause.QUOTA, now, history=_("The network's cap reopened")))
    for switch in NetworkSwitch.objects.filter(enabled=False):
        stragglers = Target.objects.filter(
            channel__network=switch.network, state=TargetState.SCHEDULED
        )
        reason = network_reason(switch.network, switch.reason)
        changed += len(hold(stragglers, HoldCause.NETWORK, reason, now))
    return changed + recheck_access(now)


# --- holds a call's answer writes, and the missing access level ---------------------------------


def held_by_call(target_ids: Iterable[int]) -> list[TargetEvent]:
    """The history of targets a call's answer has just held (a cap, the API access level, revoked
    access): a "held" event each, with the reason it shows. Publishing writes those holds itself,
    under its lease guard (cuecast.publishing.outcomes); call this in the same transaction with
    the ids it saved. Targets among them that are not held are passed over."""
    ids = list(target_ids)
    if not ids:
        return []
    held = Target.objects.filter(pk__in=ids, state=TargetState.HELD).exclude(hold=HoldCause.NONE)
    events = [
        TargetEvent(target_id=tid, kind="held", cause=reason[:300], from_due=due, to_due=due)
        for tid, reason, due in held.order_by("id").values_list("id", "reason", "due_at")
    ]
    return TargetEvent.objects.bulk_create(events)


def release_access_tier(channel: Channel, now: datetime, *, history: str) -> list[TargetEvent]:
    """The channel's access tier changed: what the network refused for the old one may go now."""
    return release(
        Target.objects.filter(channel=channel), HoldCause.ACCESS_TIER, now, history=history
    )


def recheck_access(now: datetime) -> int:
    """The worker's re-check of holds for a missing API access level (see the module's doc).
    Returns how many targets changed."""
    held = Target.objects.filter(state=TargetState.HELD, hold=HoldCause.ACCESS_TIER)
    if not held.exists():  # the usual case: no write transaction for nothing (SQLite)
        return 0
    # A post of the same channel went out after this one was held: the level allows posting now.
    published_since = Target.objects.filter(
        channel_id=OuterRef("channel_id"), published_at__gt=OuterRef("updated_at")
    )
    history = _("A later post of this channel was published, so its API access allows posting")
    changed = len(
        release(held.filter(Exists(published_since)), HoldCause.ACCESS_TIER, now, history=history)
    )
    for channel_id in _claim_rechecks(held, now):
        first = held.filter(channel_id=channel_id).order_by("due_at", "id").first()
        if first is not None:
            history = _("Trying again whether the API access level allows posting now")
            changed += len(
                release(held.filter(pk=first.pk), HoldCause.ACCESS_TIER, now, history=history)
            )
    return changed


def _claim_rechecks(held: QuerySet[Target], now: datetime) -> list[int]:
    """Channels whose access-level holds are due a re-check: none held or re-checked within
    `ACCESS_RECHECK`. Each is claimed with a conditional update, so of two workers one re-checks."""
    cutoff = now - ACCESS_RECHECK
    quiet = (
        held.order_by()
        .values("channel_id")
        .annotate(last_held=Max("updated_at"))
        .filter(last_held__lte=cutoff)
        .values_list("channel_id", flat=True)
    )
    due = Channel.objects.filter(pk__in=list(quiet), status=ChannelStatus.CONNECTED).filter(
        Q(access_rechecked_at__isnull=True) | Q(access_rechecked_at__lte=cutoff)
    )
    claimed: list[int] = []
    for channel_id, last in due.order_by("id").values_list("id", "access_rechecked_at"):
        mine = Channel.objects.filter(pk=channel_id, access_rechecked_at=last)
        if last is None:
            mine = Channel.objects.filter(pk=channel_id, access_rechecked_at__isnull=True)
        if mine.update(access_rechecked_at=now):
            claimed.append(channel_id)
    return claimed
