"""Metric polling with several workers on PostgreSQL: SKIP LOCKED hands each due poll to one
worker, so no target is polled twice at once (run by make test-postgres)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections

from cuecast.analytics import polling
from cuecast.analytics.models import MetricPoll, PostMetricSnapshot
from cuecast.compliance.models import ApiCall
from tests.analytics.metric_world import MetricsWorld

TARGETS = 24


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_poll_the_same_target(actor: Any, sandbox: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (make test-postgres)")
    world = MetricsWorld(actor, sandbox, "mastodon")
    targets = [world.publish(f"Post {n} for two workers") for n in range(TARGETS)]
    for n, target in enumerate(targets):
        world.set_figures(target, {"favourites_count": n})
    # Plans the polls; the channel's daily reading, due at once, is the rate budget's first
    # call (its probe), so the budget knows the account's limit before the workers start.
    assert polling.poll_due(world.now) == 1
    due = world.now + timedelta(minutes=15)
    world.now = due

    start = threading.Barrier(2)
    claimed: dict[str, int] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            total = 0
            # Posts only: the channel's daily reading falls due again at the workspace's
            # midnight, which can lie inside these 15 minutes (the world starts at real time).
            while done := polling.poll_posts_due(due, worker=name, limit=3):
                total += done
            claimed[name] = total
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert sum(claimed.values()) == TARGETS  # every post once

    for target in targets:
        assert PostMetricSnapshot.objects.filter(target=target).count() == 1
        assert ApiCall.objects.filter(target_id=target.pk, purpose="metrics").count() == 1
    assert set(MetricPoll.objects.values_list("polls_done", flat=True)) == {1}
    fetched = [
        r["path"]
        for r in sandbox.control.requests("mastodon")
        if r["method"] == "GET" and "/api/v1/statuses/" in r["path"]
    ]
    assert len(fetched) == len(set(fetched)) == TARGETS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_another_worker_is_claiming_are_skipped(actor: Any, sandbox: Any) -> None:
    """While one worker's claim holds rows locked (its transaction not yet committed), a second
    worker's claim skips them instead of taking them too or waiting."""
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (make test-postgres)")
    from django.db import transaction

    world = MetricsWorld(actor, sandbox, "mastodon")
    targets = [world.publish(f"Locked or not {n}") for n in range(4)]
    polling.poll_due(world.now)  # plans the polls
    due = world.now + timedelta(minutes=15)
    locked_ids = list(
        MetricPoll.objects.filter(target__in=targets[:2]).values_list("id", flat=True)
    )
    holding, release = threading.Event(), threading.Event()

    def first_worker() -> None:
        try:
            with transaction.atomic():
                list(MetricPoll.objects.select_for_update().filter(pk__in=locked_ids))
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert holding.wait(30)
        claimed = polling.claim_posts("second", due, limit=10)
    finally:
        release.set()
        thread.join(30)
    assert len(claimed) == 2 and not set(claimed) & set(locked_ids)
