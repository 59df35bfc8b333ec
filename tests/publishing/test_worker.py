"""The worker loop: it publishes, keeps house, and stops when told."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from cuecast.accounts.services import create_api_key
from cuecast.api.models import IdempotentRequest
from cuecast.publishing import worker


def test_housekeeping_forgets_old_idempotency_answers_only(actor) -> None:
    key, _ = create_api_key(actor, name="k")
    old = IdempotentRequest.objects.create(
        api_key=key, key="old", request_hash="0" * 64, method="POST", path="/"
    )
    new = IdempotentRequest.objects.create(
        api_key=key, key="new", request_hash="0" * 64, method="POST", path="/"
    )
    IdempotentRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    worker.housekeeping()
    assert list(IdempotentRequest.objects.values_list("pk", flat=True)) == [new.pk]


def test_run_forever_polls_until_stopped(transactional_db, caplog) -> None:
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with caplog.at_level("INFO", logger="cuecast.worker"):
        worker.run_forever(stop, worker_id="w-test")
    assert [r.getMessage() for r in caplog.records] == [
        "worker w-test started",
        "worker w-test stopped",
    ]


def test_a_slow_campaign_sync_does_not_hold_up_publishing(transactional_db, monkeypatch) -> None:
    """Syncs run in their own thread: while one hangs, the publishing loop keeps going."""
    from cuecast.campaigns import sync as campaign_sync
    from cuecast.publishing import dispatcher

    sync_started, release_sync = threading.Event(), threading.Event()
    rounds: list[int] = []

    def slow_sync(now=None) -> int:
        sync_started.set()
        release_sync.wait(10)  # an ad platform's report that takes its time
        return 0

    def counting_claim(worker, now, limit, *, ahead=None) -> list:
        rounds.append(1)
        return []

    monkeypatch.setattr(campaign_sync, "sync_due", slow_sync)
    # Only the slow sync beside publishing: the other background jobs are not this test's subject.
    monkeypatch.setattr(worker, "background_jobs", lambda: [("campaign sync", slow_sync)])
    monkeypatch.setattr(dispatcher, "claim_jobs", counting_claim)
    monkeypatch.setenv("CUECAST_WORKER_POLL_SECONDS", "0.01")
    from cuecast.publishing import wakeup

    monkeypatch.setattr(wakeup, "LISTENING_MAX_SLEEP", 0.01)  # PostgreSQL: wake as often
    worker.config.load.cache_clear()
    stop = threading.Event()
    runner = threading.Thread(target=worker.run_all, args=(stop,), kwargs={"worker_id": "w"})
    runner.start()
    try:
        assert sync_started.wait(5)
        deadline = threading.Event()
        deadline.wait(0.5)
        assert len(rounds) >= 3, "publishing waited for the slow sync"
    finally:
        release_sync.set()
        stop.set()
        runner.join(10)
        worker.config.load.cache_clear()
    assert not runner.is_alive()


@pytest.mark.postgres
def test_an_idle_worker_is_woken_by_postgres_when_a_target_becomes_due(
    transactional_db, actor, channels
) -> None:
    """The trigger notifies listeners; the waker returns long before its own timeout."""
    from django.db import connection

    from cuecast.posts.models import ScheduleKind
    from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
    from cuecast.publishing import wakeup

    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (make test-postgres)")
    waker = wakeup.Waker.for_database()
    assert isinstance(waker, wakeup.ListeningWaker)
    woke = threading.Event()

    def listen() -> None:
        waker.wait(30, threading.Event())
        woke.set()

    listener = threading.Thread(target=listen)
    listener.start()
    try:
        create_post(
            actor,
            PostDraft(
                "Due now",
                [TargetSpec(channels["mastodon"].pk)],
                ScheduleSpec(ScheduleKind.AT, at=timezone.now() + timedelta(seconds=5)),
            ),
        )
        assert woke.wait(10), "no notification reached the idle worker"
    finally:
        listener.join(35)
        waker.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_metric_polling_yields_to_a_busy_pipeline_but_never_for_more_than_a_minute() -> None:
    from cuecast.publishing import pipeline

    clock = FakeClock()
    activity = pipeline.Activity(clock)
    rounds: list[float] = []

    def poll() -> int:
        rounds.append(clock.now)
        return 1

    job = worker.YieldToPublishing(poll, activity=activity, max_yield=60, clock=clock)
    assert job() == 1, "an idle pipeline lets polling run"

    activity.inflight = 40  # a burst: calls in flight
    for _ in range(11):
        clock.now += 5
        assert job() == 0
    clock.now += 5  # 60 s since the last round
    assert job() == 1, "polling starved past its bound"
    clock.now += 5
    assert job() == 0, "after a forced round, polling yields again"
    assert rounds == [1000.0, 1060.0]


def test_a_full_claim_keeps_the_pipeline_busy_for_a_moment() -> None:
    from cuecast.publishing import pipeline

    clock = FakeClock()
    activity = pipeline.Activity(clock)
    activity.claimed(12, asked=50)
    assert not activity.busy(), "a partial claim: nothing more is due"
    activity.claimed(50, asked=50)
    assert activity.busy()
    clock.now += pipeline.BUSY_AFTER_FULL_CLAIM_SECONDS
    assert not activity.busy()
