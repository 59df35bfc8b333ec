"""Targets that need a person's check, and the two ways a person settles them.

Reconciliation runs by itself: it looks an unconfirmed target up on its network until it finds
it (published), proves it absent (sent again), or gives up (`MAX_RECONCILE_TRIES`, or a network
that cannot look posts up). A target it gave up on stays `unconfirmed` with no next attempt:
that is "needs your check". The person looks at the evidence (cuecast.publishing.evidence) and
the channel's profile, then says either

- "It was published" (optionally with its link): the target is published, with the post's id on
  the network when the link names it;
- "Publish again": the post is not there. The target is scheduled now with a FRESH idempotency
  key and no recorded progress, so the network's own duplicate protection (Mastodon's key,
  Bluesky's record key, an Instagram or Threads container) does not swallow the new attempt as a
  repeat of the lost one.

Both are conditional updates on "still needs a check": a target that moved meanwhile (a late
reconciliation found it, someone else settled it) is refused with `TargetMoved`. Both write an
audit event and the target's history.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast.accounts.models import Workspace
from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.posts.errors import FieldError, ValidationFailed
from cuecast.posts.models import HoldCause, Target, TargetEvent, TargetState
from cuecast.publishing import evidence, holds
from cuecast.publishing.models import AttemptKind, PublishAttempt

NEEDS_CHECK = Q(state=TargetState.UNCONFIRMED, next_attempt_at__isnull=True)


class TargetMoved(Exception):
    """The target no longer needs a check; the message says what to do, in a sentence."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This post changed while you were looking at it (it may have been found or "
                "settled meanwhile). Reload the page to see where it stands."
            )
        )


def needs_check(workspace: Workspace) -> QuerySet[Target]:
    """The workspace's targets that automatic reconciliation gave up on, oldest first."""
    return (
        Target.objects.filter(NEEDS_CHECK, post__workspace=workspace)
        .select_related("channel__workspace", "post")
        .order_by("due_at", "id")
    )


def needs_check_count(workspace: Workspace) -> int:
    return Target.objects.filter(NEEDS_CHECK, post__workspace=workspace).count()


def _target(actor: Actor, target_id: int) -> Target:
    """The actor's workspace's target, or Target.DoesNotExist (another workspace's too)."""
    actor.require(Action.COMPOSE)
    return Target.objects.select_related("channel__workspace", "post").get(
        pk=target_id, post__workspace=actor.workspace
    )


def _who(actor: Actor) -> str:
    if actor.user is not None:
        return actor.user.get_username()
    if actor.api_key is not None:
        return _("API key “%(name)s”") % {"name": actor.api_key.name}
    return _("someone")


def _when_it_went_out(target: Target, now: datetime) -> datetime:
    """The start of the last publish attempt: the post went out then, if it went out at all."""
    started = (
        PublishAttempt.objects.filter(target=target, kind=AttemptKind.PUBLISH)
        .order_by("-started_at", "-id")
        .values_list("started_at", flat=True)
        .first()
    )
    return started or now


def _checked_permalink(permalink: str) -> str:
    permalink = permalink.strip()
    if permalink and (len(permalink) > 500 or not evidence.is_web_link(permalink)):
        raise ValidationFailed(
            [
                FieldError(
                    "permalink",
                    _("Paste the post's address as shown in the browser, starting with https://."),
                )
            ]
        )
    return permalink


@transaction.atomic
def confirm_published(
    actor: Actor, target_id: int, *, permalink: str = "", now: datetime | None = None
) -> Target:
    """The person saw the post on the network: record the target as published."""
    target = _target(actor, target_id)
    permalink = _checked_permalink(permalink)
    now = now or timezone.now()
    external_id = evidence.external_id_from_link(target.channel, permalink) if permalink else ""
    who = _who(actor)
    changed = Target.objects.filter(NEEDS_CHECK, pk=target.pk).update(
        state=TargetState.PUBLISHED,
        permalink=permalink,
        external_id=external_id,
        published_at=_when_it_went_out(target, now),
        reason=_("%(who)s confirmed it was published.") % {"who": who},
        hold=HoldCause.NONE,
        lease_owner="",
        lease_expires_at=None,
        updated_at=now,
    )
    if not changed:
        raise TargetMoved
    _history(target, "confirmed", _("%(who)s confirmed it was published") % {"who": who})
    _start_metrics(target.pk, now)
    audit(
        actor,
        "target.confirmed_published",
        target,
        post=target.post_id,
        permalink=permalink,
        external_id=external_id,
    )
    target.refresh_from_db()
    return target


@transaction.atomic
def publish_again(actor: Actor, target_id: int, *, now: datetime | None = None) -> Target:
    """The person found no post on the network: send it again now, as a new post."""
    target = _target(actor, target_id)
    now = now or timezone.now()
    who = _who(actor)
    fields: dict[str, object] = {
        "state": TargetState.SCHEDULED,
        "next_attempt_at": now,
        # A fresh key and no recorded progress: the lost attempt's key, record key or container
        # would make the network treat this as its repeat and create nothing.
        "idempotency_key": uuid.uuid4(),
        "progress": {},
        "published_parts": [],
        "external_id": "",
        "permalink": "",
        "attempt_count": 0,
        "hold": HoldCause.NONE,
        "reason": _("%(who)s found no post on the network and asked to publish it again.")
        % {"who": who},
        "lease_owner": "",
        "lease_expires_at": None,
        "updated_at": now,
    }
    standing = holds.standing_cause(target, now)
    if standing is not None:  # e.g. the network was switched off meanwhile: it waits, held
        fields.update(state=TargetState.HELD, hold=standing.cause, reason=standing.reason[:500])
    changed = Target.objects.filter(NEEDS_CHECK, pk=target.pk).update(**fields)
    if not changed:
        raise TargetMoved
    _history(target, "republish", _("%(who)s asked to publish it again") % {"who": who})
    audit(actor, "target.publish_again", target, post=target.post_id, held=standing is not None)
    target.refresh_from_db()
    return target


def _start_metrics(target_id: int, now: datetime) -> None:
    """Its metrics come back like any published post's (when the link named its id)."""
    from cuecast.analytics import plan

    plan.start_polls([target_id], now)


def _history(target: Target, kind: str, cause: str) -> None:
    TargetEvent.objects.create(
        target=target, kind=kind, cause=cause[:300], from_due=target.due_at, to_due=target.due_at
    )
