"""Collecting metrics: due polls are claimed in leased batches, fetched concurrently, recorded.

The same pattern as publishing (design.md, decision 0001): the `MetricPoll` row carries its own
next time; workers claim due rows with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, one
writer on SQLite), so two workers never poll one target at once, and a dead worker's polls are
picked up when its lease runs out. Channel figures (followers, reach) are read once a day per
channel the same way (`ChannelMetricPoll`).

Outcomes of a poll:
- figures: a snapshot and the day's gain are stored, the next poll comes from the plan; after
  the plan's last poll the poll is final (HORIZON);
- rate limited, or not admitted by the rate budgets: moved to the time given, not counted;
- the post is gone on the network: final (DELETED), everything collected stays;
- the channel's access was revoked: the channel is disconnected, its polls final (DISCONNECTED);
- anything else: tried again later, the error kept for the channel page.

`poll_due` is what the worker loop calls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from asgiref.sync import async_to_sync
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast import config
from cuecast.analytics import normalize, plan, services
from cuecast.analytics.fetching import PURPOSE, ChannelAccess, Fetched, fetch_all
from cuecast.analytics.models import ChannelMetricPoll, FinalReason, MetricPoll
from cuecast.channels.models import Channel, ChannelStatus
from cuecast.channels.services import mark_disconnected
from cuecast.compliance import ledger
from cuecast.networks import errors, registry
from cuecast.networks.base import Connection, MetricsSpec
from cuecast.posts.models import Target, TargetState
from cuecast.publishing import budgets
from cuecast.publishing.dispatcher import new_worker_id

log = logging.getLogger("cuecast.analytics")

# When a network says "too many" without saying until when.
RATE_LIMITED_WAIT = timedelta(minutes=15)
# A poll that failed for a passing reason (a 5xx, a timeout) is tried again after this.
RETRY_AFTER = timedelta(minutes=10)
# A channel reading that failed is tried again after this; it is due once a day anyway.
CHANNEL_RETRY_AFTER = timedelta(hours=1)
# Error codes the connectors give a post that no longer exists on the network.
GONE_CODES = frozenset({"not_found", "record-not-found", "no_statistics"})
# ensure_polls scans published targets; in the worker loop once a minute is plenty.
ENSURE_EVERY_SECONDS = 60.0

_next_ensure = 0.0  # time.monotonic() of the worker loop's next scan
J = TypeVar("J")


@dataclass
class PostJob:
    poll_id: int
    target: Target
    access: ChannelAccess
    published_at: datetime
    horizon_ends_at: datetime


@dataclass
class ChannelJob:
    poll_id: int
    channel: Channel
    access: ChannelAccess


def poll_due(now: datetime | None = None, *, worker: str | None = None, limit: int = 200) -> int:
    """One round of metric collection: polls of published posts, then channel figures.
    Returns how many polls were claimed (0: nothing was due)."""
    given = now is not None
    now = now if now is not None else timezone.now()
    worker = worker or new_worker_id()
    _ensure(now, every_round=given)
    return poll_posts_due(now, worker=worker, limit=limit) + poll_channels_due(
        now, worker=worker, limit=limit
    )


def _ensure(now: datetime, *, every_round: bool) -> None:
    """Missing polls are created, ended ones resumed and closed ones ended on every round run
    at a given time (tests, `worker --once`), and once a minute in the worker loop (a claimed
    poll whose channel or network has gone meanwhile is ended when its job is loaded)."""
    global _next_ensure
    if every_round or time.monotonic() >= _next_ensure:
        plan.ensure_polls(now)
        ensure_channel_polls(now)
        services.finalise_closed(now)
        _next_ensure = time.monotonic() + ENSURE_EVERY_SECONDS


# --- claiming -----------------------------------------------------------------------------------


def _claim(
    due: models.QuerySet[Any], model: type[models.Model], worker: str, now: datetime, limit: int
) -> list[int]:
    """Lease up to `limit` due rows to this worker. On PostgreSQL SKIP LOCKED hands each row to
    one worker; the conditional update makes a second claimant on SQLite get nothing."""
    expires = now + timedelta(seconds=config.load().worker_lease_seconds)
    with transaction.atomic():
        due = due.exclude(lease_expires_at__gt=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.order_by("next_poll_at", "id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        free = model._default_manager.filter(pk__in=ids).exclude(lease_expires_at__gt=now)
        free.update(lease_owner=worker, lease_expires_at=expires)
    owned = model._default_manager.filter(pk__in=ids, lease_owner=worker, lease_expires_at=expires)
    return list(owned.values_list("id", flat=True))


def claim_posts(worker: str, now: datetime, limit: int) -> list[int]:
    due = MetricPoll.objects.filter(next_poll_at__lte=now, horizon_ends_at__gt=now)
    return _claim(due, MetricPoll, worker, now, limit)


def claim_channels(worker: str, now: datetime, limit: int) -> list[int]:
    due = ChannelMetricPoll.objects.filter(
        next_poll_at__lte=now, channel__status=ChannelStatus.CONNECTED
    ).exclude(channel__network__in=services.switched_off_networks())
    return _claim(due, ChannelMetricPoll, worker, now, limit)


# --- posts --------------------------------------------------------------------------------------


def poll_posts_due(now: datetime, *, worker: str, limit: int = 200) -> int:
    poll_ids = claim_posts(worker, now, limit)
    if not poll_ids:
        return 0
    jobs = _post_jobs(poll_ids, worker)
    fetched = _fetch_within_budgets(
        jobs,
        now,
        lambda job: job.access,
        lambda job: job.target.pk,
        _fetch_post,
        _defer_post,
        lambda job: _spec(job.target).calls_per_poll,
    )
    for one in fetched:
        _settle_post(one, now, worker)
    return len(poll_ids)


def _post_jobs(poll_ids: list[int], worker: str) -> list[PostJob]:
    polls = MetricPoll.objects.filter(pk__in=poll_ids, lease_owner=worker).select_related(
        "target__channel__workspace"
    )
    jobs = []
    off = services.switched_off_networks()
    for poll in polls:
        target = poll.target
        ended = _ended_reason(target, off)
        if ended:
            _update_poll(poll.pk, worker, next_poll_at=None, final_reason=ended)
            continue
        published = target.published_at or poll.horizon_ends_at - _spec(target).horizon
        access = ChannelAccess.of(target.channel)
        jobs.append(PostJob(poll.pk, target, access, published, poll.horizon_ends_at))
    return jobs


def _ended_reason(target: Target, switched_off: set[str]) -> FinalReason | None:
    """Why a claimed poll must not call after all (its channel or network went meanwhile)."""
    if target.state != TargetState.PUBLISHED or not target.external_id:
        return FinalReason.UNSUPPORTED
    if target.channel.status != ChannelStatus.CONNECTED:
        return FinalReason.DISCONNECTED
    if target.channel.network in switched_off:
        return FinalReason.SWITCHED_OFF
    return None


async def _fetch_post(conn: Connection, job: PostJob) -> dict[str, int]:
    return await conn.fetch_metrics(job.target.external_id)


def _spec(target: Target) -> MetricsSpec:
    return plan.spec_of(target.channel.network)


def _update_poll(poll_id: int, worker: str, **fields: Any) -> int:
    """Write a poll's outcome if this worker still holds it, and let the lease go."""
    return MetricPoll.objects.filter(pk=poll_id, lease_owner=worker).update(
        lease_owner="", lease_expires_at=None, **fields
    )


def _settle_post(fetched: Fetched[PostJob], now: datetime, worker: str) -> None:
    job, result = fetched.job, fetched.result
    if isinstance(result, dict):
        _collected(job, result, fetched.calls, now, worker)
    elif isinstance(result, errors.RateLimited):
        _defer_post(job, result.retry_at or now + RATE_LIMITED_WAIT, now, result.message)
    elif isinstance(result, errors.Disconnected):
        mark_disconnected(job.target.channel, result.message)
        services.finalise_closed(now)
    elif isinstance(result, errors.Permanent) and _gone(result):
        _update_poll(
            job.poll_id,
            worker,
            next_poll_at=None,
            final_reason=FinalReason.DELETED,
            last_error=result.message[:500],
        )
    else:
        _failed_post(job, result, now, worker)


def _gone(error: errors.Permanent) -> bool:
    return error.code in GONE_CODES or error.status == 404


def _collected(job: PostJob, raw: dict[str, int], calls: int, now: datetime, worker: str) -> None:
    spec = _spec(job.target)
    if not raw and calls == 0:  # the connector knows this post has no figures to read
        _update_poll(job.poll_id, worker, next_poll_at=None, final_reason=FinalReason.UNSUPPORTED)
        return
    unknown = normalize.unknown_names(spec, raw)
    if unknown:
        log.warning("%s sent metrics Cuecast does not map: %s", job.access.network, unknown)
    services.record_snapshot(job.target, now, normalize.post_figures(spec, raw), raw)
    following = plan.next_poll_after(job.published_at, spec.horizon, now)
    _update_poll(
        job.poll_id,
        worker,
        next_poll_at=following,
        final_reason=FinalReason.NONE if following else FinalReason.HORIZON,
        polls_done=F("polls_done") + 1,
        last_polled_at=now,
        last_error="",
    )


def _defer_post(job: PostJob, until: datetime, now: datetime, message: str) -> None:
    """Not now (rate limited, or over budget): at `until`, never past the window, not counted."""
    until = max(until, now + timedelta(seconds=1))
    if until >= job.horizon_ends_at:
        MetricPoll.objects.filter(pk=job.poll_id).update(
            next_poll_at=None,
            final_reason=FinalReason.HORIZON,
            last_error=message[:500],
            lease_owner="",
            lease_expires_at=None,
        )
        return
    MetricPoll.objects.filter(pk=job.poll_id).update(
        next_poll_at=until, last_error=message[:500], lease_owner="", lease_expires_at=None
    )


def _failed_post(job: PostJob, error: BaseException, now: datetime, worker: str) -> None:
    """A passing failure is tried again soon (never after the next planned poll); any other
    waits for the next planned poll. Not counted as a poll either way."""
    if not isinstance(error, errors.NetworkError):
        log.error("metrics of target %s: unexpected error", job.target.pk, exc_info=error)
    message = error.message if isinstance(error, errors.NetworkError) else _unexpected()
    planned = plan.next_poll_after(job.published_at, _spec(job.target).horizon, now)
    retry = planned
    if isinstance(error, errors.Transient | errors.OutcomeUnknown | errors.AuthExpired):
        soon = now + RETRY_AFTER
        retry = soon if planned is None else min(soon, planned)
    _defer_post(job, retry or job.horizon_ends_at, now, message)


# --- channels -----------------------------------------------------------------------------------


def ensure_channel_polls(now: datetime) -> int:
    """A daily reading for every connected channel whose network reports channel figures."""
    networks = [k for k, net in registry.networks().items() if net.descriptor.metrics.account]
    missing = Channel.objects.filter(
        status=ChannelStatus.CONNECTED, network__in=networks, metric_poll__isnull=True
    ).values_list("pk", flat=True)
    polls = [ChannelMetricPoll(channel_id=pk, next_poll_at=now) for pk in missing]
    ChannelMetricPoll.objects.bulk_create(polls, ignore_conflicts=True)
    return len(polls)


def poll_channels_due(now: datetime, *, worker: str, limit: int = 200) -> int:
    poll_ids = claim_channels(worker, now, limit)
    if not poll_ids:
        return 0
    polls = ChannelMetricPoll.objects.filter(pk__in=poll_ids, lease_owner=worker).select_related(
        "channel__workspace"
    )
    jobs = [ChannelJob(p.pk, p.channel, ChannelAccess.of(p.channel)) for p in polls]
    fetched = _fetch_within_budgets(
        jobs,
        now,
        lambda job: job.access,
        lambda job: None,
        _fetch_channel,
        _defer_channel,
        lambda job: plan.spec_of(job.access.network).account_calls,
    )
    for one in fetched:
        _settle_channel(one, now, worker)
    return len(poll_ids)


async def _fetch_channel(conn: Connection, job: ChannelJob) -> dict[str, int]:
    return await conn.fetch_account_metrics()


def next_channel_reading(now: datetime, zone: str) -> datetime:
    """Midnight after `now` in the workspace's zone (DST-safe: a wall-clock midnight)."""
    tz = ZoneInfo(zone)
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=tz)


def _settle_channel(fetched: Fetched[ChannelJob], now: datetime, worker: str) -> None:
    job, result = fetched.job, fetched.result
    channel = job.channel
    if isinstance(result, dict):
        if result:  # a LinkedIn member's own channel has none to read
            spec = plan.spec_of(channel.network)
            services.record_channel_figures(
                channel, now, normalize.channel_figures(spec, result), result
            )
        _update_channel(
            job.poll_id,
            worker,
            next_channel_reading(now, channel.workspace.timezone),
            last_polled_at=now,
            last_error="",
        )
        return
    if isinstance(result, errors.Disconnected):
        mark_disconnected(channel, result.message)
    if isinstance(result, errors.RateLimited):
        _defer_channel(job, result.retry_at or now + RATE_LIMITED_WAIT, now, result.message)
        return
    message = result.message if isinstance(result, errors.NetworkError) else _unexpected()
    _defer_channel(job, now + CHANNEL_RETRY_AFTER, now, message)


def _update_channel(poll_id: int, worker: str, next_poll_at: datetime, **fields: Any) -> int:
    return ChannelMetricPoll.objects.filter(pk=poll_id, lease_owner=worker).update(
        next_poll_at=next_poll_at, lease_owner="", lease_expires_at=None, **fields
    )


def _defer_channel(job: ChannelJob, until: datetime, now: datetime, message: str) -> None:
    ChannelMetricPoll.objects.filter(pk=job.poll_id).update(
        next_poll_at=max(until, now + timedelta(seconds=1)),
        last_error=message[:500],
        lease_owner="",
        lease_expires_at=None,
    )


# --- rate budgets and the ledger ----------------------------------------------------------------


def _fetch_within_budgets(
    jobs: Sequence[J],
    now: datetime,
    access_of: Callable[[J], ChannelAccess],
    target_of: Callable[[J], int | None],
    fetch: Callable[[Connection, J], Awaitable[dict[str, int]]],
    defer: Callable[[J, datetime, datetime, str], None],
    calls_of: Callable[[J], int],
) -> list[Fetched[J]]:
    """The one place metric polling meets the rate budgets (cuecast/publishing/budgets.py):
    `admit` before the calls (a poll not granted moves to its time and is not counted), the
    calls, then every call into the ledger (the call counts) and `observe` for the budgets."""
    by_key = dict(enumerate(jobs))
    admission = budgets.admit(
        [
            budgets.BudgetRequest(
                key=key,
                network=access_of(job).network,
                channel_id=access_of(job).channel_id,
                tier=str(access_of(job).account.settings.get("access_tier", "")),
                purpose=PURPOSE,
                parts=calls_of(job),  # what one poll costs in requests
            )
            for key, job in by_key.items()
        ],
        now,
    )
    for key, retry_at in admission.waiting.items():
        defer(by_key[key], retry_at, now, _waiting())
    for key, (reopens_at, reason) in admission.held.items():
        defer(by_key[key], reopens_at, now, reason)
    admitted = [by_key[key] for key in admission.granted]
    fetched = async_to_sync(fetch_all)(admitted, access_of, target_of, fetch, now)
    scopes = [scope for one in fetched for scope in one.scopes]
    ledger.record_calls(scopes)
    budgets.observe(scopes, now)
    return fetched


def _waiting() -> str:
    return _("Waiting for the network's rate limit before reading the figures.")


def _unexpected() -> str:
    return _("Cuecast could not read the figures; it will try again.")
