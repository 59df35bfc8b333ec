"""When a published post's figures are collected: often at first, then hourly, then daily, until
its network's horizon (`MetricsSpec.horizon`, docs/networks/<key>.md "Metrics").

Engagement comes in the first hours and then tails off, so the plan decays: +15 min, +1 h,
+3 h, +6 h, +12 h, +24 h, then one poll a day, and a last one an hour before the horizon so the
final figures are read while the network still serves them (X drops a post's impressions at 30
days). Offsets count from `published_at` in UTC, so daylight-saving changes never move a poll.

The schedule is a pure function (`offsets`, `schedule`); `MetricPoll` rows carry the next time
only, like a target carries its own due time (decision 0001), and the plan is recomputed from
`published_at` whenever a poll is done.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache

from django.db.models import Exists, OuterRef

from cuecast.analytics import services
from cuecast.analytics.models import FinalReason, MetricPoll
from cuecast.networks import registry
from cuecast.networks.base import MetricsSpec
from cuecast.posts.models import Target, TargetState

DECAY = (
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
EVERY_DAY = timedelta(days=1)
# The closing poll comes this long before the horizon, while the network still answers.
CLOSING_MARGIN = timedelta(hours=1)
BATCH = 500


@cache
def offsets(horizon: timedelta) -> tuple[timedelta, ...]:
    """The planned polls as offsets from publishing, strictly inside the horizon."""
    if horizon <= timedelta(0):
        return ()
    planned = [offset for offset in DECAY if offset < horizon]
    day = DECAY[-1] + EVERY_DAY
    while day < horizon:
        planned.append(day)
        day += EVERY_DAY
    closing = horizon - CLOSING_MARGIN if horizon > CLOSING_MARGIN else horizon / 2
    if not planned or closing > planned[-1]:
        planned.append(closing)
    return tuple(planned)


def schedule(published_at: datetime, horizon: timedelta) -> list[datetime]:
    # In UTC: adding a day to a time in Europe/Berlin would be wall-clock arithmetic in Python.
    start = published_at.astimezone(UTC)
    return [start + offset for offset in offsets(horizon)]


def next_poll_after(
    published_at: datetime, horizon: timedelta, moment: datetime
) -> datetime | None:
    """The first planned poll after `moment`; None when the plan is over. Missed polls (a
    stopped worker) are skipped, not caught up: one poll reads the same cumulative figures."""
    return next((at for at in schedule(published_at, horizon) if at > moment), None)


def polls_planned(published_at: datetime, horizon: timedelta, until: datetime) -> int:
    return sum(1 for at in schedule(published_at, horizon) if at <= until)


def spec_of(network: str) -> MetricsSpec:
    return registry.get(network).descriptor.metrics


# --- MetricPoll rows ---------------------------------------------------------------------------


def _new_poll(target: Target, published_at: datetime) -> MetricPoll:
    spec = spec_of(target.channel.network)
    first = next_poll_after(published_at, spec.horizon, published_at)
    supported = registry.get(target.channel.network).descriptor.capabilities.metrics
    return MetricPoll(
        target=target,
        next_poll_at=first if supported else None,
        horizon_ends_at=published_at + spec.horizon,
        final_reason=FinalReason.NONE if supported and first else FinalReason.UNSUPPORTED,
    )


def start_polls(target_ids: Iterable[int], published_at: datetime) -> int:
    """Plan the metric polls of freshly published targets (the dispatcher calls this). Each
    target's own `published_at` is used where it is set. Idempotent: a target with a poll keeps
    it. Returns how many polls were created."""
    targets = (
        Target.objects.filter(pk__in=list(target_ids), state=TargetState.PUBLISHED)
        .exclude(external_id="")
        .filter(~Exists(MetricPoll.objects.filter(target=OuterRef("pk"))))
        .select_related("channel")
    )
    polls = [_new_poll(t, t.published_at or published_at) for t in targets]
    MetricPoll.objects.bulk_create(polls, ignore_conflicts=True)
    return len(polls)


def ensure_polls(now: datetime) -> int:
    """Polls for published targets that have none (marked published by hand, published before
    metrics were collected), and polls resumed where a disconnection or a switch has ended.
    Returns how many polls were started or resumed."""
    missing = (
        Target.objects.filter(state=TargetState.PUBLISHED, published_at__isnull=False)
        .exclude(external_id="")
        .filter(~Exists(MetricPoll.objects.filter(target=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    # Each of these has its own published_at, which start_polls prefers to `now`.
    return start_polls(list(missing), now) + _resume(now)


def _resume(now: datetime) -> int:
    resumed = 0
    for poll in services.resumable_polls(now):
        target = poll.target
        spec = spec_of(target.channel.network)
        published = target.published_at or (poll.horizon_ends_at - spec.horizon)
        resumed += services.resume(poll, next_poll_after(published, spec.horizon, now))
    return resumed


# --- the plan against the ledger ----------------------------------------------------------------


def planned_polls(target: Target, until: datetime) -> int:
    """How many polls the plan makes for this target up to `until` (past its window: none)."""
    if target.published_at is None:
        return 0
    spec = spec_of(target.channel.network)
    return polls_planned(target.published_at, spec.horizon, until)


def planned_calls(target: Target, until: datetime) -> int:
    """How many metric calls the plan makes for this target up to `until`: what the ledger
    (`compliance.ApiCall`, purpose "metrics") should show when every poll went through."""
    return planned_polls(target, until) * spec_of(target.channel.network).calls_per_poll
