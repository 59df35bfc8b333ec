"""The dispatcher: claims due targets in leased batches and publishes them concurrently.

Exactly once, in order of commits (design.md, "rules that make exactly once true"):
1. claim: due `scheduled` targets become `publishing` with a lease (commit);
2. an attempt row is written for each before any call is made (commit);
3. the calls run concurrently; each outcome is recorded with a conditional update (commit);
4. a lease that expires with its attempt still pending means the worker died mid-call: the target
   becomes `unconfirmed`, and `reconcile` looks it up on the network before anything is resent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Hashable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast import config, http
from cuecast.analytics import plan as analytics_plan
from cuecast.channels.models import NetworkSwitch
from cuecast.channels.services import store_credentials
from cuecast.compliance import ledger
from cuecast.logging import log_context
from cuecast.networks import errors, registry
from cuecast.networks.base import Connection, PublishResult
from cuecast.posts.models import HoldCause, Target, TargetState
from cuecast.publishing import budgets, holds, metrics, outcomes
from cuecast.publishing.jobs import Job, load_jobs
from cuecast.publishing.models import AttemptKind, AttemptOutcome, PublishAttempt

log = logging.getLogger("cuecast.publishing")

_T = TypeVar("_T", bound=Hashable)
# How much later than its time a target refused by a rate budget is looked at again, at least.
BUDGET_RECHECK = timedelta(milliseconds=250)

MAX_RECONCILE_TRIES = 6


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def claim(
    worker: str,
    now: datetime,
    limit: int,
    *,
    state: TargetState = TargetState.SCHEDULED,
    ahead: timedelta = timedelta(0),
) -> list[int]:
    """Lease up to `limit` targets in `state` due by `now + ahead` to this worker. Several workers
    may call this at once: on PostgreSQL, SKIP LOCKED hands each row to one of them; SQLite has one
    writer at a time. A target claimed ahead is sent at its own time (`Job.due_at`)."""
    with transaction.atomic():
        due = Target.objects.filter(state=state, next_attempt_at__lte=now + ahead)
        if state == TargetState.SCHEDULED:
            # A network switched off holds its targets; one that came back from a call meanwhile
            # must not be sent before the hold catches it.
            off = NetworkSwitch.objects.filter(enabled=False).values("network")
            due = due.exclude(channel__network__in=off)
        if state != TargetState.SCHEDULED:
            # Unconfirmed targets stay unconfirmed while reconciled; the lease alone marks the claim.
            due = due.exclude(lease_expires_at__gt=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        new_state = TargetState.PUBLISHING if state == TargetState.SCHEDULED else state
        Target.objects.filter(pk__in=ids, state=state).update(
            state=new_state,
            lease_owner=worker,
            lease_expires_at=now + ahead + timedelta(seconds=config.load().worker_lease_seconds),
            updated_at=now,
        )
    return ids


def extend_leases(worker: str, target_ids: list[int], now: datetime | None = None) -> int:
    """Heartbeat: a live worker keeps the leases of the calls it still has in flight, so a slow
    network never makes a live worker's targets look abandoned."""
    now = _now(now)
    return Target.objects.filter(
        pk__in=target_ids,
        state__in=[TargetState.PUBLISHING, TargetState.UNCONFIRMED],
        lease_owner=worker,
    ).update(lease_expires_at=now + timedelta(seconds=config.load().worker_lease_seconds))


@transaction.atomic
def record_attempts(
    target_ids: list[int], worker: str, now: datetime, kind: AttemptKind
) -> dict[int, int]:
    """Write one pending attempt per target before any call goes out. Returns target → attempt id.

    Only for targets whose lease is still this worker's: on a loaded machine the lease may run
    out between the claim and this commit, and another worker's recovery, seeing no pending
    attempt, may have put the target back on the schedule. Calling for it then could publish it
    twice; leaving it out costs nothing (it is someone else's now)."""
    held = set(
        Target.objects.select_for_update()
        .filter(pk__in=target_ids, lease_owner=worker, lease_expires_at__gt=now)
        .order_by("id")  # the lock order every writer of targets keeps (no deadlocks)
        .values_list("id", flat=True)
    )
    target_ids = [tid for tid in target_ids if tid in held]
    if not target_ids:
        return {}
    attempts = PublishAttempt.objects.bulk_create(
        PublishAttempt(target_id=tid, kind=kind, worker=worker, started_at=now)
        for tid in target_ids
    )
    if kind == AttemptKind.PUBLISH:
        from django.db.models import F

        Target.objects.filter(pk__in=target_ids).update(attempt_count=F("attempt_count") + 1)
    if attempts and attempts[0].pk is None:  # backends that don't return ids from bulk inserts
        rows = PublishAttempt.objects.filter(
            target_id__in=target_ids, worker=worker, started_at=now, kind=kind
        )
        return dict(rows.values_list("target_id", "id"))
    return {a.target_id: a.pk for a in attempts}


# Expired leases recovered per transaction: a dead worker's whole batch in a few round trips.
RECOVER_BATCH = 500


def recover_expired_leases(now: datetime | None = None) -> int:
    """Targets whose worker died: with an attempt pending they are unconfirmed, else scheduled.

    Target rows are locked first, in id order, and only then their attempts, the order
    `outcomes.record_many` uses: a live worker's flush and this recovery may wait for each other
    but never deadlock. On PostgreSQL a target another transaction holds is skipped (its worker is
    recording it right now, or the next round takes it)."""
    now = _now(now)
    recovered = 0
    while True:
        with transaction.atomic():
            ids = _lock_expired(now)
            if not ids:
                return recovered
            recovered += _recover(ids, now)
        if len(ids) < RECOVER_BATCH:
            return recovered


def _lock_expired(now: datetime) -> list[int]:
    expired = Target.objects.filter(
        state=TargetState.PUBLISHING, lease_expires_at__lt=now
    ).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        expired = expired.select_for_update(skip_locked=True, of=("self",))
    return list(expired.values_list("id", flat=True)[:RECOVER_BATCH])


def _recover(ids: list[int], now: datetime) -> int:
    """Recover locked, expired targets (inside the caller's transaction)."""
    pending = PublishAttempt.objects.filter(
        target_id__in=ids, kind=AttemptKind.PUBLISH, outcome=AttemptOutcome.PENDING
    )
    begun = set(pending.values_list("target_id", flat=True))
    pending.update(
        outcome=AttemptOutcome.UNKNOWN,
        finished_at=now,
        message="The worker stopped during the call.",
    )
    still_expired = Target.objects.filter(state=TargetState.PUBLISHING, lease_expires_at__lt=now)
    released = {"lease_owner": "", "lease_expires_at": None, "updated_at": now}
    unconfirmed = still_expired.filter(pk__in=[tid for tid in ids if tid in begun]).update(
        state=TargetState.UNCONFIRMED,
        next_attempt_at=now,
        reason="We could not confirm whether this was published; checking with the network.",
        **released,
    )
    scheduled = still_expired.filter(pk__in=[tid for tid in ids if tid not in begun]).update(
        state=TargetState.SCHEDULED, next_attempt_at=now, **released
    )
    return unconfirmed + scheduled


def _save_progress(target_id: int, progress: dict[str, Any]) -> None:
    target = Target.objects.get(pk=target_id)
    target.progress = {**target.progress, **progress}
    target.save(update_fields=["progress", "updated_at"])


def _progress_sink(target_id: int) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def sink(progress: dict[str, Any]) -> None:
        await sync_to_async(_save_progress)(target_id, progress)

    return sink


CallFn = Callable[[Connection, Job], Awaitable[PublishResult | None]]


async def _call_with_fresh_credentials(
    job: Job, conn: Connection, call: CallFn, now: datetime
) -> PublishResult | None:
    """Run the call; refresh credentials ahead of expiry, or once after an AuthExpired."""

    async def refresh() -> bool:
        credentials = await conn.refresh_credentials()
        if credentials is None:
            return False
        expires = credentials.get("expires_at")
        expires_at = datetime.fromisoformat(expires) if isinstance(expires, str) else None
        # Persist at once: a rotated refresh token that is lost would disconnect the channel.
        await sync_to_async(store_credentials)(job.channel_id, credentials, expires_at)
        return True

    ahead = registry.get(job.network).descriptor.refresh_ahead
    if job.token_expires_at is not None and job.token_expires_at < now + ahead:
        await refresh()
    try:
        return await call(conn, job)
    except errors.AuthExpired:
        if not await refresh():
            raise
        return await call(conn, job)


def call_timeout() -> httpx.Timeout:
    seconds = config.load().worker_call_timeout_seconds
    return httpx.Timeout(seconds, connect=min(5.0, seconds))


def worker_client() -> httpx.AsyncClient:
    settings = config.load()
    return http.async_client(max_connections=settings.worker_concurrency, timeout=call_timeout())


@dataclasses.dataclass
class CallOutcome:
    """What one job's call came to, with the calls it made (for the ledger and the budgets)."""

    job: Job
    result: PublishResult | BaseException | None
    scope: http.CallScope
    started_at: datetime


async def run_job(
    job: Job, call: CallFn, client: httpx.AsyncClient, limit: asyncio.Semaphore, purpose: str
) -> CallOutcome:
    """One job's call, in its own call scope (every request it makes is counted). A job claimed
    ahead of its time waits for it first."""
    wait = job.delay - (time.monotonic() - job.claimed_at_monotonic)
    if wait > 0:
        await asyncio.sleep(wait)
    with (
        log_context(target_id=job.target_id, channel_id=job.channel_id, network=job.network),
        http.call_scope(
            job.network,
            purpose,
            workspace_id=job.workspace_id,
            channel_id=job.channel_id,
            target_id=job.target_id,
        ) as scope,
    ):
        async with limit:
            started = timezone.now()
            if not _lease_covers_call(job):
                # The lease might run out mid-call and the target be recovered and sent by another
                # worker: send nothing; the conditional record decides what becomes of it.
                lost = errors.Transient(
                    _("The worker ran out of time for this post; nothing was sent.")
                )
                return CallOutcome(job, lost, scope, started)
            try:
                conn = registry.get(job.network).connect(job.account, client)
                conn.progress_sink = _progress_sink(job.target_id)
                result: PublishResult | BaseException | None = await _call_with_fresh_credentials(
                    job, conn, call, started
                )
            except Exception as exc:  # recorded as the job's outcome, never lost
                result = exc
    return CallOutcome(job, result, scope, started)


# A call starts only if the lease still has this much time beyond the call's own timeout.
LEASE_MARGIN_SECONDS = 0.5


def _lease_covers_call(job: Job) -> bool:
    """Conservative: the lease as claimed, without the heartbeat's extensions (a heartbeat that
    could not run is exactly the case this guards against)."""
    settings = config.load()
    elapsed = time.monotonic() - job.claimed_at_monotonic
    left = job.delay + settings.worker_lease_seconds - elapsed
    # A lease set shorter than the call timeout (tests) still leaves half of it for the call.
    needed = min(settings.worker_call_timeout_seconds, settings.worker_lease_seconds / 2)
    return left >= needed + LEASE_MARGIN_SECONDS


async def _run_calls(jobs: list[Job], call: CallFn, purpose: str) -> list[CallOutcome]:
    limit = asyncio.Semaphore(config.load().worker_concurrency)
    async with worker_client() as client:
        return list(
            await asyncio.gather(*(run_job(job, call, client, limit, purpose) for job in jobs))
        )


async def _publish(conn: Connection, job: Job) -> PublishResult:
    return await conn.publish(job.request)


async def _find(conn: Connection, job: Job) -> PublishResult | None:
    return await conn.find_published(job.request)


def admit_within_budgets(worker: str, target_ids: list[int], now: datetime) -> list[int]:
    """Keep the claimed targets the networks' rate budgets allow now; the others go back without a
    call: to wait for their window (still scheduled), or held until a daily cap reopens."""
    rows = Target.objects.filter(pk__in=target_ids).values_list(
        "id", "channel_id", "channel__network", "channel__settings", "next_attempt_at"
    )
    by_id = {
        tid: budgets.BudgetRequest(
            key=tid,
            network=network,
            channel_id=channel_id,
            tier=str((channel_settings or {}).get("access_tier", "")),
            at=due_at,  # a target claimed ahead is sent at its time: judged in that window
        )
        for tid, channel_id, network, channel_settings, due_at in rows
    }
    admission = budgets.admit([by_id[tid] for tid in target_ids if tid in by_id], now)
    mine = Target.objects.filter(state=TargetState.PUBLISHING, lease_owner=worker)
    released = {"lease_owner": "", "lease_expires_at": None, "updated_at": now}
    # One UPDATE per distinct reopening time, not per target: a burst over a full window is
    # thousands of targets waiting for the same instant.
    due = dict(
        Target.objects.filter(pk__in=list(admission.waiting)).values_list("id", "next_attempt_at")
    )
    waiting = {
        # Never earlier than its own time plus a beat: a target waiting for a budget's first
        # answer must not sort before the rest of a burst and be claimed again and again.
        tid: max(retry_at, due.get(tid) or now, now) + BUDGET_RECHECK
        for tid, retry_at in admission.waiting.items()
    }
    for retry_at, ids in _group(waiting.items()).items():
        mine.filter(pk__in=ids).update(
            state=TargetState.SCHEDULED,
            next_attempt_at=retry_at,
            reason=_("Waiting for the network's rate limit; it goes out at %(time)s UTC.")
            % {"time": f"{retry_at:%H:%M:%S}"},
            **released,
        )
    for (reopens_at, reason), ids in _group(admission.held.items()).items():
        mine.filter(pk__in=ids).update(
            state=TargetState.HELD,
            hold=HoldCause.QUOTA,
            next_attempt_at=reopens_at,
            reason=f"Held: {reason}"[:500],
            **released,
        )
    if admission.held:
        holds.held_by_call(admission.held)  # their history says why, as for any other hold
    for tid in [*admission.waiting, *admission.held]:
        metrics.record_budget_wait(by_id[tid].network)
    return admission.granted


def _group(items: Iterable[tuple[int, _T]]) -> dict[_T, list[int]]:
    grouped: dict[_T, list[int]] = {}
    for key, value in items:
        grouped.setdefault(value, []).append(key)
    return grouped


def claim_jobs(
    worker: str, now: datetime, limit: int, *, ahead: timedelta = timedelta(0)
) -> list[Job]:
    """Claim due targets, reserve their rate budget, record an attempt for each (committed before
    any call), load their jobs."""
    claimed_at = time.monotonic()  # before the claim: the lease's clock starts no later
    target_ids = claim(worker, now, limit, ahead=ahead)
    if not target_ids:
        return []
    metrics.record_claimed(len(target_ids), "publish")
    target_ids = admit_within_budgets(worker, target_ids, now)
    if not target_ids:
        return []
    attempt_ids = record_attempts(target_ids, worker, now, AttemptKind.PUBLISH)
    jobs = load_jobs(attempt_ids, now)
    for job in jobs:
        job.claimed_at_monotonic = claimed_at
        if job.due_at is not None and job.due_at > now:
            job.delay = (job.due_at - now).total_seconds()
    return jobs


def publish_outcome(done: CallOutcome, attempt_count: int, now: datetime) -> outcomes.Outcome:
    result, job = done.result, done.job
    if isinstance(result, PublishResult):
        return outcomes.published(result)
    if isinstance(result, BaseException):
        if not isinstance(result, errors.NetworkError):
            log.error(
                "target %s: unexpected error while publishing", job.target_id, exc_info=result
            )
        return outcomes.classify(result, now=now, attempt_count=attempt_count)
    # publish never returns None; treat it as a bug, conservatively
    return outcomes.classify(RuntimeError("no result"), now=now, attempt_count=1)


@dataclasses.dataclass(frozen=True)
class Recorded:
    """A committed batch of publish outcomes, for what follows the commit."""

    done: list[CallOutcome]
    finished: list[outcomes.Finished]
    changed: set[int]
    now: datetime


def record_publish_outcomes(done: list[CallOutcome], worker: str) -> set[int]:
    """Record a batch of publish calls: outcomes, attempts and the calls made, in one transaction."""
    if not done:
        return set()
    recorded = commit_publish_outcomes(done, worker)
    after_commit(recorded)
    return recorded.changed


def commit_publish_outcomes(done: list[CallOutcome], worker: str) -> Recorded:
    """The transaction of `record_publish_outcomes`: all of it or nothing, so a batch that fails
    (a deadlock) can be committed again as a whole."""
    now = timezone.now()
    counts = dict(
        Target.objects.filter(pk__in=[d.job.target_id for d in done]).values_list(
            "id", "attempt_count"
        )
    )
    finished = [
        outcomes.Finished(
            d.job.target_id,
            d.job.attempt_id,
            publish_outcome(d, counts.get(d.job.target_id, 1), now),
        )
        for d in done
    ]
    with transaction.atomic():
        changed = outcomes.record_many(finished, worker=worker, now=now)
        ledger.record_calls(d.scope for d in done)
        published = [f.target_id for f in finished if f.outcome.result and f.target_id in changed]
        if published:
            analytics_plan.start_polls(published, now)
    return Recorded(done, finished, changed, now)


def after_commit(recorded: Recorded) -> None:
    """What a committed batch tells the budgets, the metrics and the log (once per batch)."""
    budgets.observe([d.scope for d in recorded.done], recorded.now)
    for item, call in zip(recorded.finished, recorded.done, strict=True):
        network, due = call.job.network, call.job.due_at
        lateness = (
            (call.started_at - due).total_seconds()
            if item.outcome.result is not None and due is not None
            else None
        )
        metrics.record_outcome(network, str(item.outcome.target_state), lateness)
        if log.isEnabledFor(logging.INFO):
            with log_context(
                target_id=item.target_id, channel_id=call.job.channel_id, network=network
            ):
                log.info(
                    "target %s: %s %s",
                    item.target_id,
                    item.outcome.target_state,
                    item.outcome.reason,
                )


def run_once(
    now: datetime | None = None, *, worker: str | None = None, limit: int | None = None
) -> int:
    """Publish one batch of due targets. Returns how many were claimed."""
    now = _now(now)
    worker = worker or new_worker_id()
    jobs = claim_jobs(worker, now, limit or config.load().worker_batch_size)
    if not jobs:
        return 0
    # async_to_sync, not asyncio.run: the ORM calls made during the batch (storing refreshed
    # tokens) then run back on this thread, with its database connection.
    done = async_to_sync(_run_calls)(jobs, _publish, "publish")
    record_publish_outcomes(done, worker)
    return len(jobs)


def reconcile_once(
    now: datetime | None = None, *, worker: str | None = None, limit: int = 50
) -> int:
    """Settle unconfirmed targets by asking the network whether the post exists."""
    now = _now(now)
    worker = worker or new_worker_id()
    claimed_at = time.monotonic()
    target_ids = claim(worker, now, limit, state=TargetState.UNCONFIRMED)
    if not target_ids:
        return 0
    attempt_ids = record_attempts(target_ids, worker, now, AttemptKind.RECONCILE)
    first_started = dict(
        PublishAttempt.objects.filter(target_id__in=target_ids, kind=AttemptKind.PUBLISH)
        .order_by("-started_at")
        .values_list("target_id", "started_at")
    )
    jobs = load_jobs(attempt_ids, now)
    for job in jobs:  # look for the post since the attempt whose outcome is unknown
        job.claimed_at_monotonic = claimed_at
        started = first_started.get(job.target_id, now)
        job.request = dataclasses.replace(job.request, attempt_started_at=started)
    done = async_to_sync(_run_calls)(jobs, _find, "reconcile")
    finished = max(now, timezone.now())
    with transaction.atomic():
        for item in done:
            outcome = _reconcile_outcome(item.job, item.result, finished)
            outcomes.record(
                target_id=item.job.target_id,
                attempt_id=item.job.attempt_id,
                worker=worker,
                outcome=outcome,
                now=finished,
                from_state=TargetState.UNCONFIRMED,
            )
            log.info("target %s: reconciled → %s", item.job.target_id, outcome.target_state)
        ledger.record_calls(item.scope for item in done)
    budgets.observe([item.scope for item in done], finished)
    metrics.record_claimed(len(target_ids), "reconcile")
    return len(target_ids)


def _reconcile_outcome(
    job: Job, result: PublishResult | BaseException | None, now: datetime
) -> outcomes.Outcome:
    if isinstance(result, PublishResult):
        return outcomes.Outcome(TargetState.PUBLISHED, AttemptOutcome.FOUND, result=result)
    if result is None:
        last_publish = (
            PublishAttempt.objects.filter(target_id=job.target_id, kind=AttemptKind.PUBLISH)
            .order_by("-started_at", "-id")
            .first()
        )
        if last_publish is not None and last_publish.error_kind == errors.Duplicate.kind:
            # The network refused it as a copy of an earlier post that is not this target's:
            # sending again would only be refused again.
            return outcomes.Outcome(
                TargetState.FAILED,
                AttemptOutcome.NOT_FOUND,
                _(
                    "The network refused this post as a duplicate of an earlier one. Change the "
                    "text to publish it."
                ),
            )
        # Proven absent: publishing again cannot make a duplicate.
        return outcomes.Outcome(
            TargetState.SCHEDULED, AttemptOutcome.NOT_FOUND, next_attempt_at=now
        )
    tries = PublishAttempt.objects.filter(
        target_id=job.target_id, kind=AttemptKind.RECONCILE
    ).count()
    message = result.message if isinstance(result, errors.NetworkError) else "an unexpected error"
    if tries >= MAX_RECONCILE_TRIES:
        return outcomes.Outcome(
            TargetState.UNCONFIRMED,
            AttemptOutcome.UNKNOWN,
            f"We could not find out whether this was published ({message}). Please check the "
            "channel and tell us whether it went out.",
        )
    return outcomes.Outcome(
        TargetState.UNCONFIRMED,
        AttemptOutcome.UNKNOWN,
        f"Still checking whether this was published ({message}).",
        next_attempt_at=now + outcomes.retry_delay(tries),
        error=result if isinstance(result, errors.NetworkError) else None,
    )


def release_due_holds(now: datetime | None = None) -> int:
    """Targets held for a cap that has reopened go back to the schedule (under the workspace's
    late policy), and scheduled targets of a switched-off network are held. Returns how many
    changed (cuecast.publishing.holds.release_due)."""
    from cuecast.publishing import holds

    return holds.release_due(_now(now))


def run_until_idle(now: datetime | None = None, *, max_rounds: int = 20) -> int:
    """Publish and reconcile until nothing is due at `now` (tests and `cuecast worker --once`)."""
    total = 0
    for _round in range(max_rounds):
        recover_expired_leases(now)
        release_due_holds(now)
        done = run_once(now) + reconcile_once(now)
        total += done
        if not done:
            break
    return total
