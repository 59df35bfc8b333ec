"""`cuecast worker`: the loop around the dispatcher. Idle workers sleep between polls."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

from cuecast import config
from cuecast.campaigns import sync as campaign_sync
from cuecast.publishing import dispatcher

log = logging.getLogger("cuecast.worker")


# Stored API answers are kept this long for Idempotency-Key replays, then forgotten.
IDEMPOTENCY_RETENTION = timedelta(hours=24)
HOUSEKEEPING_EVERY = 3600.0


def housekeeping() -> None:
    from cuecast.api.idempotency import purge_before

    purge_before(timezone.now() - IDEMPOTENCY_RETENTION)


def run_forever(stop: threading.Event | None = None, *, worker_id: str | None = None) -> None:
    stop = stop or threading.Event()
    worker_id = worker_id or dispatcher.new_worker_id()
    poll = config.load().worker_poll_seconds
    log.info("worker %s started", worker_id)
    next_housekeeping = 0.0
    while not stop.is_set():
        try:
            close_old_connections()
            if time.monotonic() >= next_housekeeping:
                housekeeping()
                next_housekeeping = time.monotonic() + HOUSEKEEPING_EVERY
            dispatcher.recover_expired_leases()
            dispatcher.release_due_holds()
            busy = dispatcher.run_once(worker=worker_id) + dispatcher.reconcile_once(
                worker=worker_id
            )
        except Exception:
            # The loop must outlive one bad batch; each target's state is already safe in the
            # database, and expired leases are recovered on the next round.
            log.exception("worker %s: batch failed", worker_id)
            busy = 0
        if not busy:
            stop.wait(poll)
    log.info("worker %s stopped", worker_id)


# Ad accounts are due every half hour at most: a few seconds of polling delay cost nothing.
SYNC_POLL_SECONDS = 5.0


def run_campaign_sync_forever(stop: threading.Event) -> None:
    """Campaign syncs in a loop of their own: an ad platform's slow report (Microsoft's can take
    minutes) must never hold up a post that is due."""
    while not stop.is_set():
        try:
            close_old_connections()
            busy = campaign_sync.sync_due()  # ad accounts whose next_sync_at has come (leased)
        except Exception:
            log.exception("campaign sync round failed")
            busy = 0
        if not busy:
            stop.wait(SYNC_POLL_SECONDS)


def run_all(stop: threading.Event | None = None, *, worker_id: str | None = None) -> None:
    """What `cuecast worker` runs: publishing in this thread, campaign syncs in another."""
    stop = stop or threading.Event()
    syncing = threading.Thread(
        target=run_campaign_sync_forever, args=(stop,), name="campaign-sync", daemon=True
    )
    syncing.start()
    try:
        run_forever(stop, worker_id=worker_id)
    finally:
        stop.set()
        syncing.join(timeout=30)
