"""Outcome flushes on PostgreSQL survive deadlocks (make test-postgres).

A flush whose transaction PostgreSQL aborts with a deadlock or a serialization failure is run again;
one that keeps failing goes back to wait for the next flush. Lease recovery and flushes lock targets
in the same order (targets by id, then attempts), and recovery skips rows another transaction
holds, so the deadlock seen in chaos runs cannot recur.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django.utils import timezone

from cuecast import config, http
from cuecast.networks.base import PublishResult
from cuecast.posts.models import ScheduleKind, Target, TargetState
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
from cuecast.publishing import dispatcher, pipeline, wakeup
from cuecast.publishing.jobs import load_jobs
from cuecast.publishing.models import AttemptKind, AttemptOutcome, PublishAttempt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER = "w-flush"
# A real PostgreSQL error with the deadlock's SQLSTATE: it aborts the transaction like one.
RAISE_DEADLOCK = (
    "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected (the test''s)' "
    "USING ERRCODE = 'deadlock_detected'; END $$"
)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (make test-postgres)")


def schedule(actor: Any, channel: Any, count: int) -> datetime:
    due = timezone.now() + timedelta(seconds=30)
    for n in range(count):
        create_post(
            actor,
            PostDraft(
                f"Flush {n}", [TargetSpec(channel.pk)], ScheduleSpec(ScheduleKind.AT, at=due)
            ),
        )
    return due + timedelta(seconds=1)


def finished_calls(now: datetime, count: int) -> list[dispatcher.CallOutcome]:
    """Claimed jobs whose calls came back published, as the pipeline holds them before a flush."""
    # Claimed as claim_jobs does, without the rate budget (whose first call is a lone probe).
    ids = dispatcher.claim(WORKER, now, 50)
    jobs = load_jobs(dispatcher.record_attempts(ids, WORKER, now, AttemptKind.PUBLISH), now)
    assert len(jobs) == count
    return [
        dispatcher.CallOutcome(
            job,
            PublishResult(f"ext-{job.target_id}", f"https://m.example/{job.target_id}"),
            http.CallScope("mastodon", "publish"),
            now,
        )
        for job in jobs
    ]


@pytest.fixture
def fail_outcome_updates() -> Iterator[Callable[[int], list[str]]]:
    """Make the next `times` batch updates of targets fail with a deadlock error from PostgreSQL."""
    failed: list[str] = []
    budget = {"left": 0}

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if budget["left"] and "unnest" in sql and "FOR UPDATE" in sql:
            budget["left"] -= 1
            failed.append(sql)
            return execute(RAISE_DEADLOCK, None, many, context)
        return execute(sql, params, many, context)

    def arm(times: int) -> list[str]:
        budget["left"] = times
        return failed

    with connection.execute_wrapper(wrapper):
        yield arm


def published_ids(target_ids: list[int]) -> set[int]:
    rows = Target.objects.filter(pk__in=target_ids, state=TargetState.PUBLISHED)
    return set(rows.values_list("id", flat=True))


def test_a_flush_that_hits_a_deadlock_is_tried_again(actor, channels, fail_outcome_updates) -> None:
    now = schedule(actor, channels["mastodon"], 3)
    calls = finished_calls(now, 3)
    ids = [c.job.target_id for c in calls]
    failed = fail_outcome_updates(1)
    pipe = pipeline.Pipeline(WORKER, threading.Event(), wakeup.Waker(1.0))
    pipe.done = list(calls)

    async_to_sync(pipe._flush)()

    assert len(failed) == 1, "the first try did not hit the deadlock"
    assert pipe.done == []
    assert published_ids(ids) == set(ids)
    attempts = PublishAttempt.objects.filter(target_id__in=ids)
    assert {a.outcome for a in attempts} == {AttemptOutcome.PUBLISHED}


def test_a_flush_that_keeps_failing_keeps_its_batch_for_the_next_one(
    actor, channels, fail_outcome_updates
) -> None:
    now = schedule(actor, channels["mastodon"], 2)
    calls = finished_calls(now, 2)
    ids = [c.job.target_id for c in calls]
    failed = fail_outcome_updates(pipeline.FLUSH_TRIES)
    pipe = pipeline.Pipeline(WORKER, threading.Event(), wakeup.Waker(1.0))
    pipe.done = list(calls)

    async_to_sync(pipe._flush)()
    assert len(failed) == pipeline.FLUSH_TRIES
    assert pipe.done == calls, "the batch was dropped"
    assert published_ids(ids) == set()

    async_to_sync(pipe._flush)()  # the next flush, the deadlock gone
    assert pipe.done == []
    assert published_ids(ids) == set(ids)


def test_recovery_skips_a_target_another_transaction_is_writing(actor, channels) -> None:
    """Recovery never waits on a row a flush holds, so it cannot close a cycle of waits."""
    now = schedule(actor, channels["mastodon"], 3)
    ids = sorted(dispatcher.claim("w-dead", now, 10))
    busy = ids[1]
    holding, release = threading.Event(), threading.Event()

    def hold_row() -> None:
        try:
            with transaction.atomic():
                Target.objects.select_for_update().get(pk=busy)
                holding.set()
                release.wait(30)
        finally:
            connection.close()  # this thread's own connection

    holder = threading.Thread(target=hold_row)
    holder.start()
    try:
        assert holding.wait(10)
        later = now + timedelta(seconds=config.load().worker_lease_seconds + 60)
        assert dispatcher.recover_expired_leases(later) == 2
    finally:
        release.set()
        holder.join(10)
    states = dict(Target.objects.filter(pk__in=ids).values_list("id", "state"))
    assert states[busy] == TargetState.PUBLISHING
    assert {states[ids[0]], states[ids[2]]} == {TargetState.SCHEDULED}
    assert dispatcher.recover_expired_leases(later) == 1
