"""`cuecast worker`: the loop around the dispatcher. Idle workers sleep between polls."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

from cuecast import config
from cuecast.campaigns import sync as campaign_sync
from cuecast.logging import log_context
from cuecast.publishing import dispatcher, pipeline

log = logging.getLogger("cuecast.worker")


# Stored API answers are kept this long for Idempotency-Key replays, then forgotten.
IDEMPOTENCY_RETENTION = timedelta(hours=24)
HOUSEKEEPING_EVERY = 3600.0


def housekeeping() -> None:
    from cuecast.api.idempotency import purge_before

    purge_before(timezone.now() - IDEMPOTENCY_RETENTION)


def run_forever(stop: threading.Event | None = None, *, worker_id: str | None = None) -> None:
    """The publishing loop (cuecast.publishing.pipeline) until `stop` is set. A batch that fails
    is logged and the loop goes on: every target's state is safe in the database, and leases of a
    failed round are recovered."""
    stop = stop or threading.Event()
    worker_id = worker_id or dispatcher.new_worker_id()
    with log_context(worker=worker_id):
        _publish_until_stopped(stop, worker_id)


def _publish_until_stopped(stop: threading.Event, worker_id: str) -> None:
    log.info("worker %s started", worker_id)
    while not stop.is_set():
        try:
            close_old_connections()
            pipeline.run(stop, worker_id)
        except Exception:
            log.exception("worker %s: publishing loop failed; restarting it", worker_id)
            stop.wait(config.load().worker_poll_seconds)
    log.info("worker %s stopped", worker_id)


# Background jobs are due every few minutes at most: a few seconds of polling delay cost nothing.
BACKGROUND_POLL_SECONDS = 5.0


def background_jobs() -> list[tuple[str, Callable[[], int]]]:
    """Due-row jobs that run beside publishing, each returning how much it did. Campaign syncs
    are among them: an ad platform's slow report (Microsoft's can take minutes) must never hold up
    a post that is due, so none of these run in the publishing loop."""
    from cuecast.analytics import emails, polling
    from cuecast.channels import refresh
    from cuecast.posts import series

    return [
        ("campaign sync", campaign_sync.sync_due),
        ("token refresh", refresh.refresh_due),
        ("metric polls", YieldToPublishing(polling.poll_due)),
        ("recurring posts", lambda: series.materialize_due(timezone.now())),
        ("report e-mails", emails.send_due_reports),
        ("housekeeping", housekeeping_if_due),
    ]


# Metric polling yields to a busy pipeline, but never for longer than this: under sustained load
# metrics still come in, a round at least this often.
POLLING_MAX_YIELD_SECONDS = 60.0


class YieldToPublishing:
    """A background job that skips its rounds while this process's publishing pipeline is busy
    (`pipeline.ACTIVITY`): during a burst, metric polling of the posts just published would take
    the cores the burst needs (~15 % of a worker's CPU). It is never held back for longer than
    `max_yield` seconds since its last round."""

    def __init__(
        self,
        job: Callable[[], int],
        *,
        activity: pipeline.Activity | None = None,
        max_yield: float = POLLING_MAX_YIELD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job = job
        self.activity = activity or pipeline.ACTIVITY
        self.max_yield = max_yield
        self.clock = clock
        self.last_round = clock()

    def __call__(self) -> int:
        now = self.clock()
        if self.activity.busy() and now - self.last_round < self.max_yield:
            return 0  # publishing first; the caller sleeps and asks again
        self.last_round = now
        return self.job()


_next_housekeeping = 0.0


def housekeeping_if_due() -> int:
    global _next_housekeeping
    if time.monotonic() < _next_housekeeping:
        return 0
    housekeeping()
    _next_housekeeping = time.monotonic() + HOUSEKEEPING_EVERY
    return 0


def run_background_forever(stop: threading.Event, name: str, job: Callable[[], int]) -> None:
    """One background job in a loop of its own thread: a slow one (a Microsoft report that takes
    minutes) delays neither publishing nor the other jobs."""
    while not stop.is_set():
        busy = 0
        try:
            close_old_connections()
            busy = job()
        except Exception:
            log.exception("%s round failed", name)
        if not busy:
            stop.wait(BACKGROUND_POLL_SECONDS)
    close_old_connections()


def run_all(stop: threading.Event | None = None, *, worker_id: str | None = None) -> None:
    """What `cuecast worker` runs: publishing in this thread, each background job in another."""
    stop = stop or threading.Event()
    threads = [
        threading.Thread(
            target=run_background_forever, args=(stop, name, job), name=name, daemon=True
        )
        for name, job in background_jobs()
    ]
    for thread in threads:
        thread.start()
    try:
        run_forever(stop, worker_id=worker_id)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
