"""Record what a publish or reconcile call came to: the target's next state and the attempt's outcome.

Each outcome is one conditional update: it applies only while the target is still in the state and
lease this worker gave it, so a late answer can never overwrite what happened since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from cuecast.channels.models import Channel
from cuecast.channels.services import mark_disconnected
from cuecast.networks import errors
from cuecast.networks.base import PublishResult
from cuecast.posts.models import HoldCause, Target, TargetState
from cuecast.publishing import holds
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


def _target_fields(outcome: Outcome, now: datetime) -> dict[str, object]:
    """The columns an outcome writes on its target; a column left out keeps its value."""
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
        fields["published_parts"] = list(outcome.error.published_part_ids)
    return fields


def _attempt_fields(outcome: Outcome, now: datetime) -> dict[str, object]:
    error = outcome.error
    return {
        "finished_at": now,
        "outcome": outcome.attempt_outcome,
        "error_kind": error.kind if error else "",
        "message": (outcome.reason or "")[:1000],
        "http_status": error.status if error else None,
        "external_id": outcome.result.external_id if outcome.result else "",
    }


def record_many(
    finished: list[Finished],
    *,
    worker: str,
    now: datetime,
    from_state: TargetState = TargetState.PUBLISHING,
) -> set[int]:
    """Apply a batch of outcomes in one transaction. Returns the ids of the targets that changed:
    those still leased to this worker in `from_state`, and, with proof of publication, those
    whose lease ran out meanwhile (see `record`). Every attempt gets its outcome either way.

    Target rows are locked in id order, before any attempt row, as `dispatcher` does everywhere:
    two transactions that lock in the same order wait for each other but cannot deadlock."""
    if not finished:
        return set()
    by_target = {item.target_id: item for item in finished}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            changed = _record_targets_pg(by_target, worker, now, from_state)
            _record_attempts_pg(finished, now)
        else:
            changed = _record_targets_one_by_one(by_target, worker, now, from_state)
            for item in finished:
                PublishAttempt.objects.filter(pk=item.attempt_id).update(
                    **_attempt_fields(item.outcome, now)
                )
        _disconnect_revoked(changed, by_target)
        holds.held_by_call([t for t in changed if by_target[t].outcome.hold])
    return set(changed)


def _record_targets_one_by_one(
    by_target: dict[int, Finished], worker: str, now: datetime, from_state: TargetState
) -> dict[int, int]:
    """One conditional UPDATE per target (SQLite: one writer at a time, no round trips)."""
    changed: list[int] = []
    for target_id in sorted(by_target):
        outcome = by_target[target_id].outcome
        if _guarded(target_id, outcome, worker, from_state).update(**_target_fields(outcome, now)):
            changed.append(target_id)
    return dict(Target.objects.filter(pk__in=changed).values_list("id", "channel_id"))


def _guarded(
    target_id: int, outcome: Outcome, worker: str, from_state: TargetState
) -> QuerySet[Target]:
    guard = Target.objects.filter(pk=target_id)
    if outcome.result is not None:
        # Proof of publication is worth keeping even if our lease ran out meanwhile and the
        # target was marked unconfirmed: it settles that reconciliation.
        return guard.filter(state__in=[from_state, TargetState.UNCONFIRMED])
    return guard.filter(state=from_state, lease_owner=worker)


# One statement for the whole batch: the rows come in as arrays (one per column). Django's
# bulk_update would build and compile a CASE WHEN per column per row, which cost more CPU than
# everything else a flush does. NULL in external_id, permalink, published_parts or published_at
# means "keep the stored value". The `locked` CTE takes the row locks in id order (ORDER BY is
# applied before FOR UPDATE) and re-checks the guard on the newest row version.
_TARGETS_SQL = """
WITH v AS (
    SELECT * FROM unnest(
        %s::bigint[], %s::text[], %s::text[], %s::text[], %s::timestamptz[],
        %s::text[], %s::text[], %s::text[], %s::timestamptz[]
    ) AS v(id, state, reason, hold, next_attempt_at,
           external_id, permalink, published_parts, published_at)
), locked AS (
    SELECT t.id FROM {table} AS t JOIN v ON v.id = t.id
    WHERE (t.state = %s AND t.lease_owner = %s)
       OR (v.external_id IS NOT NULL AND t.state IN (%s, %s))
    ORDER BY t.id
    FOR UPDATE OF t
)
UPDATE {table} AS t SET
    state = v.state, reason = v.reason, hold = v.hold,
    lease_owner = '', lease_expires_at = NULL,
    next_attempt_at = v.next_attempt_at, updated_at = %s,
    external_id = COALESCE(v.external_id, t.external_id),
    permalink = COALESCE(v.permalink, t.permalink),
    published_parts = COALESCE(v.published_parts::jsonb, t.published_parts),
    published_at = COALESCE(v.published_at, t.published_at)
FROM v, locked
WHERE t.id = v.id AND t.id = locked.id
RETURNING t.id, t.channel_id
"""

_ATTEMPTS_SQL = """
UPDATE {table} AS a SET
    finished_at = %s, outcome = v.outcome, error_kind = v.error_kind, message = v.message,
    http_status = v.http_status, external_id = v.external_id
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::integer[], %s::text[])
    AS v(id, outcome, error_kind, message, http_status, external_id)
WHERE a.id = v.id
"""


def _record_targets_pg(
    by_target: dict[int, Finished], worker: str, now: datetime, from_state: TargetState
) -> dict[int, int]:
    """PostgreSQL: every target of the batch in one UPDATE. Returns target id → channel id."""
    columns: list[list[Any]] = [[] for _ in range(9)]
    for target_id in sorted(by_target):
        fields = _target_fields(by_target[target_id].outcome, now)
        parts = fields.get("published_parts")
        row = [
            target_id,
            fields["state"],
            fields["reason"],
            fields["hold"],
            fields["next_attempt_at"],
            # Proof of publication carries an external id (possibly empty): never NULL then.
            fields.get("external_id"),
            fields.get("permalink"),
            json.dumps(parts) if parts is not None else None,
            fields.get("published_at"),
        ]
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    sql = _TARGETS_SQL.format(table=connection.ops.quote_name(Target._meta.db_table))
    params: list[Any] = [*columns, from_state, worker, from_state, TargetState.UNCONFIRMED, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {target_id: channel_id for target_id, channel_id in cursor.fetchall()}


def _record_attempts_pg(finished: list[Finished], now: datetime) -> None:
    columns: list[list[Any]] = [[] for _ in range(6)]
    for item in sorted(finished, key=lambda item: item.attempt_id):
        fields = _attempt_fields(item.outcome, now)
        row = [
            item.attempt_id,
            fields["outcome"],
            fields["error_kind"],
            fields["message"],
            fields["http_status"],
            fields["external_id"],
        ]
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    sql = _ATTEMPTS_SQL.format(table=connection.ops.quote_name(PublishAttempt._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *columns])


def _disconnect_revoked(changed: dict[int, int], by_target: dict[int, Finished]) -> None:
    """Channels whose access was revoked are marked disconnected (their targets are held)."""
    revoked: dict[int, str] = {}
    for target_id, channel_id in changed.items():
        outcome = by_target[target_id].outcome
        if outcome.hold == HoldCause.CHANNEL:
            revoked[channel_id] = outcome.error.message if outcome.error else "access revoked"
    for channel in Channel.objects.filter(pk__in=list(revoked)):
        mark_disconnected(channel, revoked[channel.pk])


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
    changed = _guarded(target_id, outcome, worker, from_state).update(
        **_target_fields(outcome, now)
    )
    PublishAttempt.objects.filter(pk=attempt_id).update(**_attempt_fields(outcome, now))
    error = outcome.error
    if changed and outcome.hold == HoldCause.CHANNEL:
        channel = Channel.objects.get(
            pk=Target.objects.values_list("channel_id", flat=True).get(pk=target_id)
        )
        mark_disconnected(channel, error.message if error else "access revoked")
    if changed and outcome.hold:
        holds.held_by_call([target_id])
    return bool(changed)
