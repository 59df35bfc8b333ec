"""`outcomes.record_many`: a batch of outcomes in one transaction, each applied only while the
target is still this worker's (or, with proof of publication, still open).

Runs on SQLite (one conditional UPDATE per target) and again on PostgreSQL (one UPDATE … FROM
unnest for the whole batch): both paths must agree on every rule below.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from cuecast.channels.models import ChannelStatus
from cuecast.networks import errors
from cuecast.networks.base import PublishResult
from cuecast.posts.models import HoldCause, ScheduleKind, Target, TargetState
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
from cuecast.publishing import dispatcher, outcomes
from cuecast.publishing.models import AttemptKind, AttemptOutcome, PublishAttempt

WORKER = "w-outcomes"


@pytest.fixture
def claimed(actor, channels, sandbox) -> tuple[dict[int, int], datetime]:
    """Four targets on the Mastodon channel, claimed by WORKER with an attempt each."""
    due = timezone.now() + timedelta(seconds=30)
    for n in range(4):
        create_post(
            actor,
            PostDraft(
                f"Outcome {n}",
                [TargetSpec(channels["mastodon"].pk)],
                ScheduleSpec(ScheduleKind.AT, at=due),
            ),
        )
    now = due + timedelta(seconds=1)
    ids = dispatcher.claim(WORKER, now, 10)
    assert len(ids) == 4
    return dispatcher.record_attempts(ids, WORKER, now, AttemptKind.PUBLISH), now


def finished(attempts: dict[int, int], target_id: int, outcome: outcomes.Outcome):
    return outcomes.Finished(target_id, attempts[target_id], outcome)


def test_each_outcome_lands_on_its_own_target_and_attempt(claimed) -> None:
    attempts, now = claimed
    a, b, c, d = sorted(attempts)
    Target.objects.filter(pk=c).update(published_parts=["part-kept"])
    batch = [
        finished(attempts, a, outcomes.published(PublishResult("111", "https://m/1", ("111",)))),
        finished(
            attempts,
            b,
            outcomes.classify(errors.Transient("busy", status=503), now=now, attempt_count=1),
        ),
        finished(
            attempts, c, outcomes.classify(errors.Permanent("too long"), now=now, attempt_count=1)
        ),
        finished(
            attempts,
            d,
            outcomes.classify(
                errors.Transient("half a thread", published_part_ids=["p1"]),
                now=now,
                attempt_count=1,
            ),
        ),
    ]
    assert outcomes.record_many(batch, worker=WORKER, now=now) == {a, b, c, d}

    rows = {t.pk: t for t in Target.objects.filter(pk__in=attempts)}
    assert rows[a].state == TargetState.PUBLISHED
    assert (rows[a].external_id, rows[a].permalink) == ("111", "https://m/1")
    assert rows[a].published_parts == ["111"] and rows[a].published_at == now
    assert rows[a].next_attempt_at is None
    assert rows[b].state == TargetState.SCHEDULED and rows[b].reason == "Retrying: busy"
    assert rows[b].next_attempt_at == now + outcomes.retry_delay(1)
    assert rows[c].state == TargetState.FAILED and rows[c].reason == "too long"
    assert rows[c].published_parts == ["part-kept"], "an error without parts keeps the stored ones"
    assert rows[d].published_parts == ["p1"]
    assert all(t.lease_owner == "" and t.lease_expires_at is None for t in rows.values())
    assert all(t.external_id == "" and t.published_at is None for t in (rows[b], rows[c]))

    found = {p.target_id: p for p in PublishAttempt.objects.filter(pk__in=attempts.values())}
    assert found[a].outcome == AttemptOutcome.PUBLISHED and found[a].external_id == "111"
    assert found[b].outcome == AttemptOutcome.RETRY and found[b].http_status == 503
    assert found[b].error_kind == errors.Transient.kind and found[b].message == "Retrying: busy"
    assert found[c].outcome == AttemptOutcome.FAILED and found[c].http_status is None
    assert all(p.finished_at == now for p in found.values())


def test_a_target_no_longer_ours_is_left_alone_but_its_attempt_is_closed(claimed) -> None:
    attempts, now = claimed
    a, b, *_ = sorted(attempts)
    # Our lease ran out; another worker recovered the target and claimed it again.
    Target.objects.filter(pk=a).update(lease_owner="w-other")
    Target.objects.filter(pk=b).update(state=TargetState.SCHEDULED, lease_owner="")
    failure = outcomes.classify(errors.Transient("busy"), now=now, attempt_count=1)
    changed = outcomes.record_many(
        [finished(attempts, a, failure), finished(attempts, b, failure)], worker=WORKER, now=now
    )
    assert changed == set()
    assert Target.objects.get(pk=a).lease_owner == "w-other"
    assert Target.objects.get(pk=b).state == TargetState.SCHEDULED
    outcomes_of = set(
        PublishAttempt.objects.filter(target_id__in=[a, b]).values_list("outcome", flat=True)
    )
    assert outcomes_of == {AttemptOutcome.RETRY}


def test_proof_of_publication_settles_a_target_whose_lease_ran_out(claimed) -> None:
    attempts, now = claimed
    a, b, *_ = sorted(attempts)
    # Recovered as unconfirmed meanwhile (a), or published by a reconciliation already (b).
    Target.objects.filter(pk=a).update(state=TargetState.UNCONFIRMED, lease_owner="")
    Target.objects.filter(pk=b).update(state=TargetState.PUBLISHED, external_id="first")
    proof = outcomes.published(PublishResult("222", "https://m/2"))
    changed = outcomes.record_many(
        [finished(attempts, a, proof), finished(attempts, b, proof)], worker=WORKER, now=now
    )
    assert changed == {a}
    assert Target.objects.get(pk=a).state == TargetState.PUBLISHED
    assert Target.objects.get(pk=b).external_id == "first"


def test_a_revoked_token_disconnects_the_channel_of_a_changed_target(claimed, channels) -> None:
    attempts, now = claimed
    a, *_ = sorted(attempts)
    revoked = outcomes.classify(
        errors.Disconnected("The token was revoked."), now=now, attempt_count=1
    )
    assert outcomes.record_many([finished(attempts, a, revoked)], worker=WORKER, now=now) == {a}
    target = Target.objects.get(pk=a)
    assert target.state == TargetState.HELD and target.hold == HoldCause.CHANNEL
    channels["mastodon"].refresh_from_db()
    assert channels["mastodon"].status == ChannelStatus.DISCONNECTED


def test_the_same_batch_recorded_twice_changes_nothing_the_second_time(claimed) -> None:
    """What makes a retried flush safe: the first commit cleared the leases."""
    attempts, now = claimed
    batch = [
        finished(attempts, tid, outcomes.classify(errors.Transient("x"), now=now, attempt_count=1))
        for tid in attempts
    ]
    assert outcomes.record_many(batch, worker=WORKER, now=now) == set(attempts)
    assert outcomes.record_many(batch, worker=WORKER, now=now + timedelta(seconds=1)) == set()
