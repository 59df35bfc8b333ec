"""The worker's publishing loop: a continuous pipeline rather than batch after batch.

`dispatcher.run_once` claims a batch, waits for its slowest call, records, and only then claims
again: one slow answer holds up the batch behind it. Here claiming, calling and recording overlap:
targets are claimed (up to `worker_batch_size` in flight, due within the look-ahead) whenever there
is room, each call goes out at its own second, and finished calls are recorded in small batches
(one transaction each). The exactly-once rules are the dispatcher's own: claim, attempt row
committed before the call, conditional outcome update, heartbeat on the leases still in flight.

When nothing is due the worker sleeps until the next due time (or `waker`'s notification from
PostgreSQL that something new became due), so an idle worker costs almost nothing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.utils import timezone

from cuecast import config
from cuecast.publishing import dispatcher, wakeup
from cuecast.publishing.dispatcher import CallOutcome

log = logging.getLogger("cuecast.publishing")

# Finished calls are recorded when this many have gathered, or this often, whichever comes first:
# fewer, larger transactions without making a published target wait long to show as published.
FLUSH_SIZE = 200
FLUSH_SECONDS = 0.05
# Lease recovery, quota releases and reconciliation run this often while the worker is busy.
CHORES_SECONDS = 1.0


class Pipeline:
    def __init__(self, worker: str, stop: threading.Event, waker: wakeup.Waker) -> None:
        self.worker = worker
        self.stop = stop
        self.waker = waker
        self.inflight: dict[int, asyncio.Task[CallOutcome]] = {}
        self.done: list[CallOutcome] = []
        self.last_flush = time.monotonic()
        self.next_chores = 0.0
        self.next_heartbeat = 0.0

    async def run(self) -> None:
        settings = config.load()
        capacity = max(1, settings.worker_batch_size)
        ahead = timedelta(seconds=settings.worker_lookahead_seconds)
        limit = asyncio.Semaphore(settings.worker_concurrency)
        heartbeat_every = settings.worker_lease_seconds / 3
        async with dispatcher.worker_client() as client:
            while not self.stop.is_set() or self.inflight:
                claimed = 0
                room = capacity - len(self.inflight)
                if not self.stop.is_set() and room >= max(1, capacity // 4):
                    jobs = await sync_to_async(dispatcher.claim_jobs)(
                        self.worker, timezone.now(), room, ahead=ahead
                    )
                    for job in jobs:
                        self.inflight[job.target_id] = asyncio.create_task(
                            dispatcher.run_job(job, dispatcher._publish, client, limit, "publish")
                        )
                    claimed = len(jobs)
                self._collect()
                await self._flush_if_due()
                if self.inflight and time.monotonic() >= self.next_heartbeat:
                    await sync_to_async(dispatcher.extend_leases)(self.worker, list(self.inflight))
                    self.next_heartbeat = time.monotonic() + heartbeat_every
                if time.monotonic() >= self.next_chores and not self.stop.is_set():
                    await sync_to_async(chores)(self.worker)
                    self.next_chores = time.monotonic() + CHORES_SECONDS
                if claimed:
                    continue  # more may be due: fill the pipeline before waiting
                if self.inflight:
                    await asyncio.wait(
                        self.inflight.values(),
                        timeout=FLUSH_SECONDS,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                elif not self.stop.is_set():
                    await self._idle()
            self._collect()
            await self._flush(force=True)

    def _collect(self) -> None:
        for target_id in [tid for tid, task in self.inflight.items() if task.done()]:
            self.done.append(self.inflight.pop(target_id).result())

    async def _flush_if_due(self) -> None:
        stale = time.monotonic() - self.last_flush >= FLUSH_SECONDS
        if len(self.done) >= FLUSH_SIZE or (self.done and (stale or not self.inflight)):
            await self._flush()

    async def _flush(self, force: bool = False) -> None:
        if not self.done:
            return
        batch, self.done = self.done, []
        await sync_to_async(dispatcher.record_publish_outcomes)(batch, self.worker)
        self.last_flush = time.monotonic()

    async def _idle(self) -> None:
        """Sleep until the next target is due (minus the look-ahead) or a notification comes."""
        seconds = await sync_to_async(wakeup.seconds_until_due)(self.waker.max_sleep)
        if seconds > 0:
            await asyncio.to_thread(self.waker.wait, seconds, self.stop)


def chores(worker: str) -> int:
    """What a worker does besides publishing: pick up dead workers' targets, release holds whose
    time has come, and settle unconfirmed targets with the network."""
    dispatcher.recover_expired_leases()
    dispatcher.release_due_holds()
    return dispatcher.reconcile_once(worker=worker)


def run(stop: threading.Event, worker: str) -> None:
    """Run the pipeline on this thread until `stop` is set; in-flight calls are finished first."""
    from asgiref.sync import async_to_sync

    waker = wakeup.Waker.for_database()
    try:
        async_to_sync(Pipeline(worker, stop, waker).run)()
    finally:
        waker.close()
