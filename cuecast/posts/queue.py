"""Queue slots: each channel's weekly posting times, and "the next free slot".

A slot is a weekday and a wall-clock time in the workspace's zone ("Tuesday 09:00"), so it keeps
its hour across daylight-saving changes; a slot that falls in the hour the clocks skip does not
exist that day and is passed over. A slot is taken when an open target of that channel is due at
that very instant.

Picking happens with the channel rows locked (SELECT … FOR UPDATE on PostgreSQL; SQLite takes its
write lock when the transaction begins), inside the transaction that saves the targets, so two
posts queued at the same moment never get the same slot: the second waits, then sees the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from cuecast.accounts.models import Workspace
from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.channels.models import Channel
from cuecast.posts import scheduling
from cuecast.posts.errors import FieldError, ValidationFailed
from cuecast.posts.models import OPEN_STATES, QueueSlot, Target

# How far ahead a free slot is looked for before the queue counts as full.
LOOK_AHEAD_WEEKS = 12
MAX_SLOTS = 100


def slots_of(channel: Channel) -> list[QueueSlot]:
    return list(QueueSlot.objects.filter(channel=channel))


@transaction.atomic
def set_slots(actor: Actor, channel: Channel, slots: Iterable[tuple[int, time]]) -> list[QueueSlot]:
    """Replace a channel's weekly slots (weekday 0 = Monday, wall-clock time, to the minute)."""
    actor.require(Action.MANAGE_CHANNELS)
    channel = Channel.objects.select_for_update().get(pk=channel.pk, workspace=actor.workspace)
    wanted = sorted({(day, at.replace(second=0, microsecond=0)) for day, at in slots})
    errors = [
        FieldError(f"slots[{index}].weekday", _("Weekdays run from Monday to Sunday."))
        for index, (day, _at) in enumerate(wanted)
        if not 0 <= day <= 6
    ]
    if len(wanted) > MAX_SLOTS:
        errors.append(
            FieldError("slots", _("A channel has at most %(max)s slots.") % {"max": MAX_SLOTS})
        )
    if errors:
        raise ValidationFailed(errors)
    QueueSlot.objects.filter(channel=channel).delete()
    created = QueueSlot.objects.bulk_create(
        QueueSlot(channel=channel, weekday=day, at_time=at) for day, at in wanted
    )
    audit(actor, "channel.queue_slots_set", channel, slots=len(created))
    return slots_of(channel)


def upcoming(slots: list[QueueSlot], tz_name: str, after: datetime) -> Iterator[datetime]:
    """The slots' instants strictly after `after`, in order, for LOOK_AHEAD_WEEKS weeks."""
    tz = scheduling.zone(tz_name)
    first_day: date = after.astimezone(tz).date()
    by_weekday: dict[int, list[time]] = {}
    for slot in slots:
        by_weekday.setdefault(slot.weekday, []).append(slot.at_time)
    for offset in range(LOOK_AHEAD_WEEKS * 7 + 1):
        day = first_day + timedelta(days=offset)
        for at in sorted(by_weekday.get(day.weekday(), [])):
            try:
                instant = scheduling.localize(datetime.combine(day, at), tz_name)
            except scheduling.ScheduleError:
                continue  # the clocks skip this slot's hour today
            if instant > after:
                yield instant


def _taken(channel: Channel, after: datetime, exclude_post_id: int | None) -> set[datetime]:
    open_targets = Target.objects.filter(channel=channel, state__in=OPEN_STATES, due_at__gt=after)
    if exclude_post_id is not None:
        # A post being moved into the queue does not block itself.
        open_targets = open_targets.exclude(post_id=exclude_post_id)
    return {due for due in open_targets.values_list("due_at", flat=True) if due is not None}


def next_free_slot(
    channel: Channel, tz_name: str, after: datetime, *, exclude_post_id: int | None = None
) -> datetime | None:
    """The channel's first slot after `after` that no open target holds. Lock the channel first
    (`lock_channels`) when the answer is going to be used."""
    taken = _taken(channel, after, exclude_post_id)
    return next((at for at in upcoming(slots_of(channel), tz_name, after) if at not in taken), None)


def lock_channels(channel_ids: Iterable[int]) -> None:
    """Lock the channels' rows until the transaction ends, always in id order (no deadlocks)."""
    ids = sorted(set(channel_ids))
    list(Channel.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def assign(
    workspace: Workspace,
    channels: list[Channel],
    now: datetime,
    *,
    exclude_post_id: int | None = None,
    field: str = "schedule",
) -> tuple[dict[int, datetime], list[FieldError]]:
    """Each channel's next free slot, by channel id; channels without one are errors naming it.
    Must run inside the transaction that saves the targets."""
    lock_channels(c.pk for c in channels)
    found: dict[int, datetime] = {}
    errors: list[FieldError] = []
    for channel in channels:
        if not QueueSlot.objects.filter(channel=channel).exists():
            errors.append(FieldError(field, no_slots_message(channel)))
            continue
        slot = next_free_slot(channel, workspace.timezone, now, exclude_post_id=exclude_post_id)
        if slot is None:
            errors.append(
                FieldError(
                    field,
                    _("%(channel)s has no free queue slot in the next %(weeks)s weeks.")
                    % {"channel": channel.display_name, "weeks": LOOK_AHEAD_WEEKS},
                )
            )
            continue
        found[channel.pk] = slot
    return found, errors


def no_slots_message(channel: Channel) -> str:
    return _(
        "%(channel)s has no queue slots yet. Set its posting times on the channels page first."
    ) % {"channel": channel.display_name}
