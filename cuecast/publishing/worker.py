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
    return [
        ("campaign sync", campaign_sync.sync_due),
        ("housekeeping", housekeeping_if_due),
    ]


_next_housekeeping = 0.0


def housekeeping_if_due() -> int:
    global _next_housekeeping
    if time.monotonic() < _next_housekeeping:
        return 0
    housekeeping()
    _next_housekeeping = time.monotonic() + HOUSEKEEPING_EVERY
    return 0


def run_background_forever(stop: threading.Event) -> None:
    while not stop.is_set():
        busy = 0
        for name, job in background_jobs():
            if stop.is_set():
                break
            try:
                close_old_connections()
                busy += job()
            except Exception:
                log.exception("%s round failed", name)
        if not busy:
            stop.wait(BACKGROUND_POLL_SECONDS)


def run_all(stop: threading.Event | None = None, *, worker_id: str | None = None) -> None:
    """What `cuecast worker` runs: publishing in this thread, background jobs in another."""
    stop = stop or threading.Event()
    background = threading.Thread(
        target=run_background_forever, args=(stop,), name="background-jobs", daemon=True
    )
    background.start()
    try:
        run_forever(stop, worker_id=worker_id)
    finally:
        stop.set()
        background.join(timeout=30)
