"""The bench's rate-limit scenario on a controlled clock: a Mastodon server that allows fewer posts
per window than documented, and shorter windows, gets every window filled and never refuses.

Two workers run the pipeline's steps (claim with look-ahead, admit, call at the target's time,
record and observe a beat later, as the pipeline's flush does) against the real sandbox, whose
clock is the test's. Counts only: no 429 answers, and the posts fill the windows they span.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from cuecast import http
from cuecast.posts.models import Target, TargetState
from cuecast.publishing import dispatcher
from cuecast.publishing.dispatcher import CallOutcome
from cuecast.publishing.jobs import Job
from tests.publishing.test_budgets_engine import schedule_posts

LIMIT = 20  # posts per window, as the server says in its headers (Mastodon documents 300)
PERIOD = 2  # seconds per window, aligned to the clock (Mastodon documents 5 minutes)
TARGETS = 60
STEP = timedelta(milliseconds=100)  # the clock's tick; an answer is read one tick after its call
LOOKAHEAD = timedelta(seconds=2)  # the worker's default look-ahead
WORKERS = ("worker-a", "worker-b")


class Clock:
    """One time for Cuecast (`timezone.now`, the calls' times) and for the sandbox's windows."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def tick(self) -> None:
        self.now += STEP


@pytest.fixture
def clock(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    # Just after a documented 5-minute boundary (the next one is far, as in most of a burst), half
    # a server's window in.
    start = datetime.fromtimestamp((math.floor(timezone.now().timestamp()) // 300 + 1) * 300, UTC)
    clock = Clock(start + timedelta(seconds=PERIOD / 2))
    sandbox.state.clock = lambda: clock.now.timestamp()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)

    class CallClock(datetime):  # the call ledger's time of each call
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return clock.now

    monkeypatch.setattr(http, "datetime", CallClock)
    yield clock


def _call(jobs: list[Job]) -> list[CallOutcome]:
    for job in jobs:
        job.delay = 0.0  # the clock is the test's: the job's time has come
    return async_to_sync(dispatcher._run_calls)(jobs, dispatcher._publish, "publish")


def run_workers(clock: Clock, ids: list[int], until: datetime) -> None:
    """The pipeline's loop for two workers, one tick at a time: claim (with look-ahead), make the
    calls whose time has come, record the answers of the previous tick."""
    claimed: dict[str, list[Job]] = {w: [] for w in WORKERS}
    answered: dict[str, list[CallOutcome]] = {w: [] for w in WORKERS}
    unsettled: Callable[[], bool] = (
        Target.objects.filter(pk__in=ids).exclude(state=TargetState.PUBLISHED).exists
    )
    while clock.now < until and (unsettled() or any(claimed.values())):
        for worker in WORKERS:
            dispatcher.record_publish_outcomes(answered[worker], worker)
            claimed[worker] += dispatcher.claim_jobs(worker, clock.now, 200, ahead=LOOKAHEAD)
            due = [j for j in claimed[worker] if (j.due_at or clock.now) <= clock.now]
            claimed[worker] = [j for j in claimed[worker] if j not in due]
            answered[worker] = _call(due)
        clock.tick()
    for worker in WORKERS:
        dispatcher.record_publish_outcomes(answered[worker], worker)


def windows_spanned(times: list[float]) -> int:
    return int(max(times) // PERIOD) - int(min(times) // PERIOD) + 1


def test_a_short_window_below_the_documented_limit_is_filled_without_a_429(
    actor: Any, channels: dict[str, Any], sandbox: Any, clock: Clock
) -> None:
    sandbox.control.config("mastodon", rate_limit=LIMIT, rate_period=PERIOD)
    due = clock.now + timedelta(seconds=1)
    ids = schedule_posts(actor, channels["mastodon"], TARGETS, due)

    run_workers(clock, ids, until=due + timedelta(seconds=30 * PERIOD))

    posts = [
        r for r in sandbox.control.requests("mastodon") if r["path"].endswith("/api/v1/statuses")
    ]
    assert [r["status"] for r in posts if r["status"] == 429] == []
    assert Target.objects.filter(pk__in=ids, state=TargetState.PUBLISHED).count() == TARGETS
    received = [r["at"] for r in posts]
    # At best 3 windows of 20; the probe's round trip costs the first window part of its room.
    assert windows_spanned(received) <= math.ceil(TARGETS / LIMIT) + 1
    # Between the first window and the last, every window is filled to the server's limit.
    assert per_window(received)[1:-1] == [LIMIT] * (len(per_window(received)) - 2)


def test_an_account_that_has_published_before_fills_every_window(
    actor: Any, channels: dict[str, Any], sandbox: Any, clock: Clock
) -> None:
    sandbox.control.config("mastodon", rate_limit=LIMIT, rate_period=PERIOD)
    first = schedule_posts(actor, channels["mastodon"], 1, clock.now)
    run_workers(clock, first, until=clock.now + timedelta(seconds=PERIOD))
    clock.now += timedelta(seconds=3 * PERIOD)  # the burst comes windows later...
    window = math.floor(clock.now.timestamp()) // PERIOD * PERIOD
    due = datetime.fromtimestamp(window + PERIOD * 1.5, UTC)  # ...halfway through a window
    ids = schedule_posts(actor, channels["mastodon"], TARGETS, due)

    run_workers(clock, ids, until=due + timedelta(seconds=30 * PERIOD))

    posts = [
        r["at"]
        for r in sandbox.control.requests("mastodon")
        if r["path"].endswith("/api/v1/statuses") and r["at"] >= due.timestamp()
    ]
    assert len(posts) == TARGETS  # none refused, none sent twice
    assert per_window(posts) == [LIMIT] * (TARGETS // LIMIT)


def per_window(times: list[float]) -> list[int]:
    first, last = int(min(times) // PERIOD), int(max(times) // PERIOD)
    return [sum(1 for t in times if int(t // PERIOD) == w) for w in range(first, last + 1)]
