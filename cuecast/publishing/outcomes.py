"""Record what a publish or reconcile call came to: the target's next state and the attempt's outcome.

Each outcome is one conditional update: it applies only while the target is still in the state and
lease this worker gave it, so a late answer can never overwrite what happened since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from cuecast.channels.models import Channel
from cuecast.channels.services import mark_disconnected
from cuecast.networks import errors
from cuecast.networks.base import PublishResult
from cuecast.posts.models import HoldCause, Target, TargetState
from cuecast.publishing.models import AttemptOutcome, PublishAttempt

MAX_PUBLISH_ATTEMPTS = 8
# How long after an unknown outcome we first look the post up: networks index new posts quickly,
# but not always instantly.
RECONCILE_DELAY = timedelta(seconds=5)


def retry_delay(attempt_count: int) -> timedelta:
    """Backoff for failures that sent nothing: 15 s, 30 s, 1 min … capped at 30 minutes."""
    return timedelta(seconds=min(15 * 2 ** max(0, attempt_count - 1), 1800))


@dataclass(frozen=True)
class Outcome:
    target_state: TargetState
    attempt_outcome: AttemptOutcome
    reason: str = ""
    next_attempt_at: datetime | None = None
    hold: HoldCause = HoldCause.NONE
    result: PublishResult | None = None
    error: errors.NetworkError | None = None


def classify(error: BaseException, *, now: datetime, attempt_count: int) -> Outcome:
    """The engine's rule for each kind of failure (design.md, "a target's life")."""
    message = error.message if isinstance(error, errors.NetworkError) else ""
    net_error = error if isinstance(error, errors.NetworkError) else None
    match error:
        case errors.QuotaExhausted():
            return Outcome(
                TargetState.HELD,
                AttemptOutcome.HELD,
                f"Held: {message}",
                next_attempt_at=error.retry_at or now + timedelta(hours=1),
                hold=HoldCause.QUOTA,
                error=net_error,
            )
        case errors.RateLimited():
            return Outcome(
                TargetState.SCHEDULED,
                AttemptOutcome.RETRY,
                f"Waiting: {message}",
                next_attempt_at=max(error.retry_at or now, now) + timedelta(seconds=1),
                error=net_error,
            )
        case errors.AccessTierMissing():
            return Outcome(
                TargetState.HELD,
                AttemptOutcome.HELD,
                f"Held: {message}",
                hold=HoldCause.ACCESS_TIER,
                error=net_error,
            )
        case errors.Disconnected():
            return Outcome(
                TargetState.HELD,
                AttemptOutcome.HELD,
                f"Held: {message}",
                hold=HoldCause.CHANNEL,
                error=net_error,
            )
        case errors.Duplicate() | errors.OutcomeUnknown():
            # The post may exist: never resend blindly; look it up first.
            return Outcome(
                TargetState.UNCONFIRMED,
                AttemptOutcome.UNKNOWN,
                "We could not confirm whether this was published; checking with the network.",
                next_attempt_at=now + RECONCILE_DELAY,
                error=net_error,
            )
        case errors.Transient() | errors.AuthExpired():
            if attempt_count >= MAX_PUBLISH_ATTEMPTS:
                return Outcome(
                    TargetState.FAILED,
                    AttemptOutcome.FAILED,
                    f"Gave up after {attempt_count} tries: {message}",
                    error=net_error,
                )
            return Outcome(
                TargetState.SCHEDULED,
                AttemptOutcome.RETRY,
                f"Retrying: {message}",
                next_attempt_at=now + retry_delay(attempt_count),
                error=net_error,
            )
        case errors.Permanent():
            return Outcome(TargetState.FAILED, AttemptOutcome.FAILED, message, error=net_error)
        case _:
            # A bug or an error nobody mapped: we cannot know whether the call went out.
            return Outcome(
                TargetState.UNCONFIRMED,
                AttemptOutcome.UNKNOWN,
                "Something unexpected went wrong while publishing; checking with the network.",
                next_attempt_at=now + RECONCILE_DELAY,
            )


def published(result: PublishResult) -> Outcome:
    return Outcome(TargetState.PUBLISHED, AttemptOutcome.PUBLISHED, result=result)


@dataclass(frozen=True)
class Finished:
    """One call's outcome, waiting to be recorded with the rest of its batch."""

    target_id: int
    attempt_id: int
    outcome: Outcome


# The fields an outcome may change; bulk updates write all of them, so unchanged ones are copied.
_TARGET_FIELDS = [
    "state",
    "reason",
    "hold",
    "lease_owner",
    "lease_expires_at",
    "next_attempt_at",
    "updated_at",
    "external_id",
    "permalink",
    "published_parts",
    "published_at",
]


def _apply(target: Target, outcome: Outcome, now: datetime) -> None:
    target.state = outcome.target_state
    target.reason = outcome.reason[:500]
    target.hold = outcome.hold
    target.lease_owner, target.lease_expires_at = "", None
    target.next_attempt_at = outcome.next_attempt_at
    target.updated_at = now
    if outcome.result is not None:
        target.external_id = outcome.result.external_id
        target.permalink = outcome.result.permalink
        target.published_parts = list(outcome.result.part_ids)
        target.published_at = now
        target.next_attempt_at = None
    elif outcome.error is not None and outcome.error.published_part_ids:
        target.published_parts = outcome.error.published_part_ids


def _attempt_row(item: Finished, now: datetime) -> PublishAttempt:
    outcome, error = item.outcome, item.outcome.error
    return PublishAttempt(
        pk=item.attempt_id,
        finished_at=now,
        outcome=outcome.attempt_outcome,
        error_kind=error.kind if error else "",
        message=(outcome.reason or "")[:1000],
        http_status=error.status if error else None,
        external_id=outcome.result.external_id if outcome.result else "",
    )


def record_many(
    finished: list[Finished],
    *,
    worker: str,
    now: datetime,
    from_state: TargetState = TargetState.PUBLISHING,
) -> set[int]:
    """Apply a batch of outcomes in one transaction, a handful of statements for any batch size.
    Returns the ids of the targets that changed (those still ours to change: see `record`)."""
    if not finished:
        return set()
    by_target = {item.target_id: item for item in finished}
    proven = [tid for tid, item in by_target.items() if item.outcome.result is not None]
    with transaction.atomic():
        ours = Target.objects.select_for_update().filter(
            pk__in=list(by_target), state=from_state, lease_owner=worker
        )
        targets = {t.pk: t for t in ours.only("id", *_TARGET_FIELDS, "channel_id")}
        if proven:
            # Proof of publication settles a target even after our lease ran out (see `record`).
            late = Target.objects.select_for_update().filter(
                pk__in=[tid for tid in proven if tid not in targets],
                state__in=[from_state, TargetState.UNCONFIRMED],
            )
            targets.update({t.pk: t for t in late.only("id", *_TARGET_FIELDS, "channel_id")})
        for target in targets.values():
            _apply(target, by_target[target.pk].outcome, now)
        Target.objects.bulk_update(list(targets.values()), _TARGET_FIELDS, batch_size=500)
        PublishAttempt.objects.bulk_update(
            [_attempt_row(item, now) for item in finished],
            ["finished_at", "outcome", "error_kind", "message", "http_status", "external_id"],
            batch_size=500,
        )
        revoked: dict[int, str] = {}
        for target in targets.values():
            if target.hold == HoldCause.CHANNEL:
                error = by_target[target.pk].outcome.error
                revoked[target.channel_id] = error.message if error else "access revoked"
        for channel in Channel.objects.filter(pk__in=list(revoked)):
            mark_disconnected(channel, revoked[channel.pk])
    return set(targets)


@transaction.atomic
def record(
    *,
    target_id: int,
    attempt_id: int,
    worker: str,
    outcome: Outcome,
    now: datetime,
    from_state: TargetState = TargetState.PUBLISHING,
) -> bool:
    """Apply an outcome. Returns False when the target was no longer ours to change."""
    fields: dict[str, object] = {
        "state": outcome.target_state,
        "reason": outcome.reason[:500],
        "hold": outcome.hold,
        "lease_owner": "",
        "lease_expires_at": None,
        "next_attempt_at": outcome.next_attempt_at,
        "updated_at": now,
    }
    if outcome.result is not None:
        fields.update(
            external_id=outcome.result.external_id,
            permalink=outcome.result.permalink,
            published_parts=list(outcome.result.part_ids),
            published_at=now,
            next_attempt_at=None,
        )
    elif outcome.error is not None and outcome.error.published_part_ids:
        fields["published_parts"] = outcome.error.published_part_ids
    guard = Target.objects.filter(pk=target_id)
    if outcome.result is not None:
        # Proof of publication is worth keeping even if our lease ran out meanwhile and the
        # target was marked unconfirmed: it settles that reconciliation.
        guard = guard.filter(state__in=[from_state, TargetState.UNCONFIRMED])
    else:
        guard = guard.filter(state=from_state, lease_owner=worker)
    changed = guard.update(**fields)
    error = outcome.error
    PublishAttempt.objects.filter(pk=attempt_id).update(
        finished_at=now,
        outcome=outcome.attempt_outcome,
        error_kind=error.kind if error else "",
        message=(outcome.reason or "")[:1000],
        http_status=error.status if error else None,
        external_id=outcome.result.external_id if outcome.result else "",
    )
    if changed and outcome.hold == HoldCause.CHANNEL:
        channel = Channel.objects.get(
            pk=Target.objects.values_list("channel_id", flat=True).get(pk=target_id)
        )
        mark_disconnected(channel, error.message if error else "access revoked")
    return bool(changed)
