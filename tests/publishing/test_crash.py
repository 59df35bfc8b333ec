"""Real worker processes: one is SIGKILLed in the middle of a batch; every target still ends
published exactly once (the sandbox's received list proves it). On PostgreSQL, several workers
share the work without a target ever being claimed twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cuecast import config
from cuecast.posts.models import ScheduleKind, Target, TargetState
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
from cuecast.publishing.models import AttemptKind, AttemptOutcome, PublishAttempt

pytestmark = pytest.mark.django_db(transaction=True)

FINAL = {TargetState.PUBLISHED, TargetState.FAILED, TargetState.CANCELLED, TargetState.HELD}


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(sandbox_url: str, lease_seconds: float = 3) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CUECAST_DATABASE_URL": database_url(),
        "CUECAST_DATA_DIR": str(config.load().data_dir),
        "CUECAST_SANDBOX_URL": sandbox_url,
        "CUECAST_WORKER_LEASE_SECONDS": str(lease_seconds),
        "CUECAST_WORKER_POLL_SECONDS": "0.1",
        "CUECAST_WORKER_BATCH": "10",
        "CUECAST_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "cuecast.cli", "worker"], env=env)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.1)


def schedule_many(actor, channels, count: int) -> None:
    due = timezone.now() + timedelta(seconds=1)
    for i in range(count):
        create_post(
            actor,
            PostDraft(
                f"Crash-safe post number {i}",
                [TargetSpec(channels["x"].pk), TargetSpec(channels["mastodon"].pk)],
                ScheduleSpec(ScheduleKind.AT, at=due),
            ),
        )
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()))


def assert_each_published_exactly_once(sandbox, count: int) -> None:
    states = Counter(Target.objects.values_list("state", flat=True))
    assert states == {TargetState.PUBLISHED: 2 * count}, states
    for network, key in (("x", "text"), ("mastodon", "status")):
        texts = Counter(
            item.get("text") or item.get(key) or "" for item in sandbox.control.received(network)
        )
        duplicates = {t: n for t, n in texts.items() if n > 1}
        assert not duplicates, f"{network} received twice: {duplicates}"
        assert len(texts) == count, f"{network} received {len(texts)} of {count}"


def test_sigkill_mid_batch_loses_nothing_and_doubles_nothing(actor, channels, sandbox) -> None:
    count = 20
    # Slow answers keep calls in flight, so the kill lands between "attempt recorded" and "answer".
    sandbox.control.fault("x", "slow", seconds=2, count=15)
    sandbox.control.fault("mastodon", "slow", seconds=2, count=15)
    schedule_many(actor, channels, count)

    first = start_worker(sandbox.url)
    try:
        wait_for(
            lambda: PublishAttempt.objects.filter(outcome=AttemptOutcome.PENDING).count() >= 5,
            30,
            "the first worker to have calls in flight",
        )
        time.sleep(0.5)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)

    second = start_worker(sandbox.url)
    try:
        wait_for(
            lambda: not Target.objects.exclude(state__in=FINAL).exists(),
            90,
            "every target to reach a final state",
        )
    finally:
        second.terminate()
        second.wait(10)

    assert_each_published_exactly_once(sandbox, count)
    # The kill really did land mid-call: some attempts' outcomes were unknown and reconciled.
    assert PublishAttempt.objects.filter(
        kind=AttemptKind.PUBLISH, outcome=AttemptOutcome.UNKNOWN
    ).exists()
    assert PublishAttempt.objects.filter(kind=AttemptKind.RECONCILE).exists()


@pytest.mark.postgres
def test_several_workers_share_the_work_without_double_claims(actor, channels, sandbox) -> None:
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (make test-postgres)")
    count = 75
    schedule_many(actor, channels, count)
    workers = [start_worker(sandbox.url, lease_seconds=60) for _ in range(3)]
    try:
        wait_for(
            lambda: not Target.objects.exclude(state__in=FINAL).exists(),
            90,
            "every target to be published",
        )
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(10)
    assert_each_published_exactly_once(sandbox, count)
    per_target = Counter(PublishAttempt.objects.values_list("target_id", flat=True))
    assert set(per_target.values()) == {1}, "a target was claimed more than once"
    assert len(set(PublishAttempt.objects.values_list("worker", flat=True))) >= 2
