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
from collections.abc import Callable
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.db import DatabaseError
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
# A flush that hits a deadlock or a serialization failure is tried this many times, a moment apart,
# before its batch goes back to wait for the next flush: outcomes are never dropped.
FLUSH_TRIES = 3
FLUSH_RETRY_SECONDS = 0.02
# PostgreSQL's "try the transaction again" errors: deadlock_detected, serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
# A claim that came back full means more is due: the pipeline counts as busy this long after it.
BUSY_AFTER_FULL_CLAIM_SECONDS = 2.0


class Activity:
    """Whether this process's publishing pipeline is busy: calls in flight, or a claim that came
    back full a moment ago. Background jobs of the same process (metric polling) read it to yield
    the cores to publishing during a burst. Written by the pipeline's thread, read by others:
    plain attribute reads and writes, no lock needed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.inflight = 0
        self.busy_until = 0.0

    def claimed(self, count: int, asked: int) -> None:
        if count and count >= asked:
            self.busy_until = self.clock() + BUSY_AFTER_FULL_CLAIM_SECONDS

    def busy(self) -> bool:
        return self.inflight > 0 or self.clock() < self.busy_until


ACTIVITY = Activity()


def is_retryable(error: DatabaseError) -> bool:
    """A deadlock, a serialization failure, or SQLite's busy timeout: the transaction was rolled
    back as a whole and may simply be run again."""
    if getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(error)


class Pipeline:
    def __init__(
        self,
        worker: str,
        stop: threading.Event,
        waker: wakeup.Waker,
        activity: Activity = ACTIVITY,
    ) -> None:
        self.worker = worker
        self.stop = stop
        self.waker = waker
        self.activity = activity
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
                # Outcomes that could not be recorded yet (put back after a failed flush) hold up
                # new claims once they fill the pipeline: nothing piles up while the database
                # refuses.
                backlog = len(self.done) >= capacity
                if not self.stop.is_set() and not backlog and room >= max(1, capacity // 4):
                    jobs = await sync_to_async(dispatcher.claim_jobs)(
                        self.worker, timezone.now(), room, ahead=ahead
                    )
                    for job in jobs:
                        self.inflight[job.target_id] = asyncio.create_task(
                            dispatcher.run_job(job, dispatcher._publish, client, limit, "publish")
                        )
                    claimed = len(jobs)
                    self.activity.claimed(claimed, room)
                self._collect()
                await self._flush_if_due()
                if (self.inflight or self.done) and time.monotonic() >= self.next_heartbeat:
                    await self._heartbeat()
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
                elif self.done:  # a batch put back after a failed flush: try it again soon
                    await asyncio.sleep(FLUSH_SECONDS)
                elif not self.stop.is_set():
                    await self._idle()
            self._collect()
            await self._flush(force=True)
        self.activity.inflight = 0

    def _collect(self) -> None:
        for target_id in [tid for tid, task in self.inflight.items() if task.done()]:
            self.done.append(self.inflight.pop(target_id).result())
        self.activity.inflight = len(self.inflight)

    async def _heartbeat(self) -> None:
        """Keep the leases of calls in flight and of outcomes still waiting to be recorded."""
        ours = [*self.inflight, *(d.job.target_id for d in self.done)]
        await sync_to_async(dispatcher.extend_leases)(self.worker, ours)

    async def _flush_if_due(self) -> None:
        stale = time.monotonic() - self.last_flush >= FLUSH_SECONDS
        if len(self.done) >= FLUSH_SIZE or (self.done and (stale or not self.inflight)):
            await self._flush()

    async def _flush(self, force: bool = False) -> None:
        """Record the finished calls in one transaction. One that fails with a deadlock or a
        serialization failure is tried again; if it still fails, the batch stays for the next
        flush (its leases kept by the heartbeat), or, when the worker stops, the error is raised
        and the leases run out: those targets are recovered and reconciled."""
        if not self.done:
            return
        batch, self.done = self.done, []
        try:
            recorded = await self._commit(batch)
        except DatabaseError as error:
            if force or not is_retryable(error):
                raise
            self.done = batch + self.done
            return
        finally:
            self.last_flush = time.monotonic()
        await sync_to_async(dispatcher.after_commit)(recorded)

    async def _commit(self, batch: list[CallOutcome]) -> dispatcher.Recorded:
        for attempt in range(1, FLUSH_TRIES + 1):
            try:
                return await sync_to_async(dispatcher.commit_publish_outcomes)(batch, self.worker)
            except DatabaseError as error:
                if not is_retryable(error):
                    raise
                log.warning(
                    "recording %s outcomes failed (%s), try %s of %s",
                    len(batch),
                    error,
                    attempt,
                    FLUSH_TRIES,
                )
                if attempt == FLUSH_TRIES:
                    raise
                await asyncio.sleep(FLUSH_RETRY_SECONDS * attempt)
        raise AssertionError("unreachable")

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
