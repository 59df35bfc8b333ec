"""Moving a post to another time, atomically with respect to the workers.

A worker claims a target with a conditional update (`scheduled` and due → `publishing`); moving it
is a conditional update too (`draft|scheduled|held` → the new time). Both touch the same row, so
exactly one wins: a target the worker claimed is left alone and reported back ("Already being
published on X"), and a target that was moved has no old time left to fire at — `due_at` and
`next_attempt_at` change together in the one statement.

The rows are locked first (SELECT … FOR UPDATE on PostgreSQL, where the claim's SKIP LOCKED then
passes them over until the move commits; SQLite takes its write lock when the transaction
begins), so what is reported as moved is exactly what the update changed. There is one UPDATE per
set of targets that end up in the same state at the same time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.campaigns.models import Campaign
from cuecast.networks import registry
from cuecast.posts import queue, scheduling
from cuecast.posts.errors import FieldError, ValidationFailed
from cuecast.posts.models import (
    HoldCause,
    Post,
    ScheduleKind,
    Target,
    TargetEvent,
    TargetState,
)
from cuecast.posts.services import (
    ScheduleSpec,
    check_not_past,
    initial_state,
    resolve_schedule,
    save_schedule,
)

# States a user's move may change; the rest are on their way or finished.
MOVABLE = (TargetState.DRAFT, TargetState.SCHEDULED, TargetState.HELD)


@dataclass(frozen=True)
class LeftAlone:
    """A target the move did not touch, and why (its state)."""

    target_id: int
    network_name: str
    channel_name: str
    state: TargetState


@dataclass(frozen=True)
class RescheduleResult:
    moved: list[int]  # target ids
    left_alone: list[LeftAlone]
    message: str


def actor_name(actor: Actor) -> str:
    if actor.user is not None:
        return actor.user.get_username()
    if actor.api_key is not None:
        return f"API key “{actor.api_key.name}”"
    return "Cuecast"


def reschedule_post(
    actor: Actor, post: Post, spec: ScheduleSpec, *, now: datetime | None = None
) -> RescheduleResult:
    """Move the post's targets that are still draft, scheduled or held to the new schedule (an
    exact time, a local time, a cue, or each channel's next free queue slot)."""
    actor.require(Action.COMPOSE)
    now = now or timezone.now()
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk, workspace=actor.workspace)
        targets = list(
            Target.objects.select_for_update(of=("self",))
            .select_related("channel")
            .filter(post=post)
            .order_by("pk")
        )
        movable = [t for t in targets if t.state in MOVABLE]
        moved: list[int] = []
        if movable:
            due, campaign = _new_due_times(actor, post, spec, movable, now)
            moved = _move(actor, post, movable, due, now)
            _remember(actor, post, spec, campaign, moved, due)
    left = [_left_alone(t) for t in targets if t.pk not in set(moved)]
    return RescheduleResult(moved=moved, left_alone=left, message=outcome_message(len(moved), left))


def _new_due_times(
    actor: Actor, post: Post, spec: ScheduleSpec, movable: list[Target], now: datetime
) -> tuple[dict[int, datetime], Campaign | None]:
    """The new due time of each movable target (by target id); refuses a bad schedule."""
    if spec.kind == ScheduleKind.QUEUE:
        channels = [t.channel for t in movable]
        slots, errors = queue.assign(actor.workspace, channels, now, exclude_post_id=post.pk)
        if errors:
            raise ValidationFailed(errors)
        return {t.pk: slots[t.channel_id] for t in movable}, None
    try:
        due_at, campaign = resolve_schedule(actor, spec)
    except scheduling.ScheduleError as exc:
        raise ValidationFailed([FieldError("schedule", str(exc))]) from None
    errors = check_not_past(due_at, now)
    if errors:
        raise ValidationFailed(errors)
    return {t.pk: due_at for t in movable}, campaign


def _move(
    actor: Actor, post: Post, movable: list[Target], due: dict[int, datetime], now: datetime
) -> list[int]:
    """One conditional UPDATE per set of targets that share a state and a new time."""
    awaiting_approval = post.approved_at is None
    groups: dict[tuple[Any, ...], list[Target]] = defaultdict(list)
    for target in movable:
        key = (target.state, target.hold, target.channel.is_connected, due[target.pk])
        groups[key].append(target)
    moved: list[int] = []
    for (state, _hold, _connected, due_at), members in groups.items():
        fields = _fields_after_move(members[0], due_at, awaiting_approval)
        ids = [t.pk for t in members]
        changed = Target.objects.filter(pk__in=ids, state=state).update(**fields, updated_at=now)
        if changed != len(ids):  # cannot happen under the row locks; never report a guess
            ids = list(
                Target.objects.filter(pk__in=ids, due_at=due_at).values_list("pk", flat=True)
            )
        moved.extend(ids)
    cause = f"Moved by {actor_name(actor)}"
    TargetEvent.objects.bulk_create(
        TargetEvent(
            target_id=t.pk, kind="moved", cause=cause[:300], from_due=t.due_at, to_due=due[t.pk]
        )
        for t in movable
        if t.pk in set(moved)
    )
    return moved


def _fields_after_move(target: Target, due_at: datetime, awaiting_approval: bool) -> dict[str, Any]:
    if target.state == TargetState.DRAFT:
        fields = initial_state(target.channel, due_at, awaiting_approval)
        if fields["state"] == TargetState.SCHEDULED:
            fields["reason"] = ""
        return {**fields, "due_at": due_at}
    if target.state == TargetState.HELD:
        # A network cap reopens at its own time: the target waits for the later of the two.
        return {
            "due_at": due_at,
            "next_attempt_at": Case(
                When(
                    Q(hold=HoldCause.QUOTA) & Q(next_attempt_at__gt=due_at),
                    then=F("next_attempt_at"),
                ),
                default=Value(due_at),
            ),
        }
    return {"due_at": due_at, "next_attempt_at": due_at}


def _remember(
    actor: Actor,
    post: Post,
    spec: ScheduleSpec,
    campaign: Campaign | None,
    moved: list[int],
    due: dict[int, datetime],
) -> None:
    """Keep the new schedule as entered; an occurrence of a series now stands on its own."""
    if not moved:
        return
    save_schedule(post, spec, campaign)
    if post.series_id is not None and not post.edited_alone:
        post.edited_alone = True
        post.save(update_fields=["edited_alone", "updated_at"])
    audit(
        actor,
        "post.rescheduled",
        post,
        kind=str(spec.kind),
        targets=moved,
        due_at=sorted({str(due[pk]) for pk in moved}),
    )


def _left_alone(target: Target) -> LeftAlone:
    try:
        network_name = registry.get(target.channel.network).descriptor.name
    except registry.UnknownNetwork:
        network_name = target.channel.network
    return LeftAlone(
        target_id=target.pk,
        network_name=network_name,
        channel_name=target.channel.display_name,
        state=TargetState(target.state),
    )


def _state_phrase(state: TargetState, networks: str) -> str:
    if state in (TargetState.PUBLISHING, TargetState.UNCONFIRMED):
        return _("Already being published on %(networks)s") % {"networks": networks}
    if state == TargetState.PUBLISHED:
        return _("Already published on %(networks)s") % {"networks": networks}
    if state == TargetState.FAILED:
        return _("Already failed on %(networks)s") % {"networks": networks}
    return _("Cancelled on %(networks)s") % {"networks": networks}


def _phrase_order(state: TargetState) -> int:
    order = [TargetState.PUBLISHING, TargetState.UNCONFIRMED, TargetState.PUBLISHED]
    return order.index(state) if state in order else len(order)


def outcome_message(moved: int, left: list[LeftAlone]) -> str:
    """What a move did, in a sentence: "Already being published on X; the other 2 channels were
    moved." Targets that were left alone are named by their network."""
    if not left:
        return ngettext(
            "Moved: the post's channel goes out at its new time.",
            "Moved: all %(count)d channels go out at their new time.",
            moved,
        ) % {"count": moved}
    by_state: dict[TargetState, list[str]] = defaultdict(list)
    for item in left:
        by_state[item.state].append(item.network_name)
    phrases = [
        _state_phrase(state, ", ".join(names))
        for state, names in sorted(by_state.items(), key=lambda pair: _phrase_order(pair[0]))
    ]
    head = "; ".join(phrases[:1] + [p[:1].lower() + p[1:] for p in phrases[1:]])
    if moved == 0:
        return _("Nothing was moved. %(reasons)s.") % {"reasons": head}
    tail = ngettext(
        "the other channel was moved.", "the other %(count)d channels were moved.", moved
    ) % {"count": moved}
    return f"{head}; {tail}"
