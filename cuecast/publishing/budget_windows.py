"""How one rate budget counts: its windows, what it takes, and what the network's answers change.

Every function here works on one locked `RateBudget` row and the `RateLimit` it stands for, in
memory; `cuecast.publishing.budgets` locks the rows and writes them back. Windows:
- aligned (LinkedIn's UTC day, Mastodon's 5 minutes): fixed periods on the clock;
- first call (X, Bluesky): a window opens with its first call; until the network names its reset,
  it is assumed to have opened at the reservation, with a margin, and then the network's is used;
- rolling (Instagram, Threads, monthly caps): counted in sub-windows (an hour of a day, a day of a
  month), each counted until it has wholly left the window, so the count never falls short;
- usage percentages (Meta): nothing counted; the last reading decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cuecast.networks.base import LimitKind, LimitObservation, LimitUnit, RateLimit, WindowKind
from cuecast.publishing.models import RateBudget

# A probe whose answer never came (the worker died) stops blocking the budget after this long.
PROBE_TIMEOUT = timedelta(minutes=1)
# A first-call window Cuecast opened itself may open a little later at the network.
PROVISIONAL_MARGIN = timedelta(minutes=1)
# A refusal that names no reset (no headers, no Retry-After) closes its budget this long.
UNKNOWN_RESET_WAIT = timedelta(minutes=1)
# A usage percentage at or over its threshold is tested again with one call after window / this.
PERCENT_RETEST_SHARE = 12


@dataclass(frozen=True)
class Refusal:
    rule: RateLimit
    row: RateBudget
    until: datetime
    probe: bool = False  # waiting for a probe's answer, not for the limit
    blocked: bool = False  # the network refused (a 429, nothing left), not Cuecast's count

    @property
    def holds(self) -> bool:
        """A used-up cap holds the work; waiting for a probe's answer never does."""
        return self.rule.kind == LimitKind.CAP and not self.probe


def _epoch(moment: datetime) -> int:
    return math.floor(moment.timestamp())


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def bucket_seconds(rule: RateLimit) -> int:
    """Sub-window of a rolling budget: a 24th of the window, a day for monthly ones."""
    window = int(rule.window.total_seconds())
    return max(1, window // 24) if window <= 2 * 86_400 else 86_400


def _aligned_end(rule: RateLimit, now: datetime) -> datetime:
    period = int(rule.window.total_seconds())
    return _at((_epoch(now) // period + 1) * period)


def _live_buckets(row: RateBudget, rule: RateLimit, now: datetime) -> dict[str, int]:
    """Sub-windows still inside the rolling window: an event in one has surely left the window
    once the sub-window's end has."""
    size, window = bucket_seconds(rule), rule.window.total_seconds()
    horizon = now.timestamp() - window - size
    return {start: n for start, n in row.buckets.items() if int(start) > horizon}


def roll(row: RateBudget, rule: RateLimit, now: datetime) -> None:
    """Bring a row to `now`: end blocks and windows that have passed."""
    if row.blocked_until is not None and row.blocked_until <= now:
        row.blocked_until = None
    if rule.unit == LimitUnit.PERCENT:
        return
    if rule.window_kind == WindowKind.ROLLING:
        row.buckets = _live_buckets(row, rule, now)
        return
    if row.window_end is not None and row.window_end <= now:
        row.used, row.window_end, row.window_reported = 0, None, False
    if row.window_end is None and rule.window_kind == WindowKind.ALIGNED:
        row.window_end = _aligned_end(rule, now)


def figure(row: RateBudget, rule: RateLimit) -> int:
    """The limit: the network's own when it told us, else the documented one."""
    return row.live_limit if row.live_limit is not None else rule.limit


def used(row: RateBudget, rule: RateLimit) -> int:
    if rule.window_kind == WindowKind.ROLLING and rule.unit != LimitUnit.PERCENT:
        return sum(row.buckets.values())
    return row.used


def window_end(row: RateBudget, rule: RateLimit) -> datetime | None:
    """When the current count ends: the fixed window's end; the oldest sub-window's leaving; a
    usage block's end."""
    if rule.unit == LimitUnit.PERCENT:
        return row.blocked_until
    if rule.window_kind != WindowKind.ROLLING:
        return row.window_end
    starts = sorted(int(s) for s in row.buckets)
    return _at(starts[0] + bucket_seconds(rule) + rule.window.total_seconds()) if starts else None


def _usable(row: RateBudget, rule: RateLimit) -> int:
    return math.floor(figure(row, rule) * (1 - rule.reserve))


def _needs_probe(row: RateBudget, rule: RateLimit) -> bool:
    """A limit the network reports, whose live figure Cuecast has not learned yet."""
    return (
        rule.reported
        and rule.unit != LimitUnit.PERCENT
        and row.live_limit is None
        and not row.probed
    )


def _rolling_reopens(row: RateBudget, rule: RateLimit, units: int, now: datetime) -> datetime:
    """When enough sub-windows have left the window for `units` more to fit."""
    size, window = bucket_seconds(rule), rule.window.total_seconds()
    to_free = used(row, rule) + units - _usable(row, rule)
    for start in sorted(row.buckets, key=int):
        to_free -= row.buckets[start]
        if to_free <= 0:
            return _at(int(start) + size + window)
    return now + rule.window


def _reopens(row: RateBudget, rule: RateLimit, units: int, now: datetime) -> datetime:
    if rule.window_kind == WindowKind.ROLLING:
        return _rolling_reopens(row, rule, units, now)
    return row.window_end or now + rule.window


def _percent_threshold(rule: RateLimit) -> float:
    return 100 * (1 - rule.reserve)


def refusal(row: RateBudget, rule: RateLimit, units: int, now: datetime) -> Refusal | None:
    """Why and until when this budget would not take `units` more; None if it takes them."""
    if row.blocked_until is not None and row.blocked_until > now:
        return Refusal(rule, row, row.blocked_until, blocked=True)
    if rule.unit == LimitUnit.PERCENT:
        high = row.observed_at is not None and row.used >= _percent_threshold(rule)
        retest = row.window_end
        return Refusal(rule, row, retest) if high and retest is not None and retest > now else None
    if _needs_probe(row, rule) and row.probe_until is not None and row.probe_until > now:
        # The probe's answer comes with its batch: try again as soon as it is in.
        return Refusal(rule, row, now, probe=True)
    if used(row, rule) + units > _usable(row, rule):
        return Refusal(rule, row, _reopens(row, rule, units, now))
    return None


def spend(row: RateBudget, rule: RateLimit, units: int, now: datetime) -> None:
    """Reserve `units` (the call has not been made yet: reserve before the call)."""
    if rule.unit == LimitUnit.PERCENT:
        if row.observed_at is not None and row.used >= _percent_threshold(rule):
            row.window_end = now + rule.window / PERCENT_RETEST_SHARE  # this call re-reads it
        return
    if _needs_probe(row, rule):
        row.probe_until = now + PROBE_TIMEOUT
    if rule.window_kind == WindowKind.ROLLING:
        size = bucket_seconds(rule)
        start = str(_epoch(now) // size * size)
        row.buckets = {**row.buckets, start: row.buckets.get(start, 0) + units}
        return
    if row.window_end is None:  # a first-call window opens with this reservation
        row.window_end = now + rule.window + PROVISIONAL_MARGIN
    row.used += units


# --- what the network's answers change ----------------------------------------------------------
def block(row: RateBudget, until: datetime) -> None:
    row.blocked_until = max(until, row.blocked_until or until)


def answer_order(seen: LimitObservation) -> tuple[datetime, bool, int]:
    """Oldest window first, and within a window the fullest answer last, so what a batch's
    answers leave behind is the network's latest word."""
    oldest = datetime.min.replace(tzinfo=UTC)
    return (seen.resets_at or oldest, seen.refused, -(seen.remaining or 0))


def observe_percent(
    row: RateBudget, rule: RateLimit, seen: LimitObservation, now: datetime
) -> None:
    """A usage reading; at the threshold the budget pauses and then tests with one call."""
    if seen.remaining is not None:
        row.used = 100 - seen.remaining
    row.observed_at = now
    retest = now + rule.window / PERCENT_RETEST_SHARE
    row.window_end = retest if row.used >= _percent_threshold(rule) else None
    if seen.refused or row.used >= 100:
        block(row, seen.resets_at if seen.resets_at and seen.resets_at > now else retest)
        row.window_end = row.blocked_until  # when access returns, one call reads the usage again


def _observe_window(row: RateBudget, seen: LimitObservation, now: datetime) -> None:
    """The network's window and count: its reset is adopted, its count raises ours (ours also
    holds reservations whose calls it has not seen yet)."""
    if seen.resets_at is not None and seen.resets_at <= now:
        return  # an answer from a window that has ended since
    network_used = None
    if seen.limit is not None and seen.remaining is not None:
        network_used = max(seen.limit - seen.remaining, 0)
    current = row.window_end is not None and row.window_end > now
    if seen.resets_at is not None and seen.resets_at != row.window_end:
        row.used = max(row.used if current else 0, network_used or 0)
        row.window_end = seen.resets_at
    elif network_used is not None and current:
        row.used = max(row.used, network_used)
    row.window_reported = row.window_reported or seen.resets_at is not None


def observe_count(row: RateBudget, rule: RateLimit, seen: LimitObservation, now: datetime) -> None:
    """A counted limit's figures: the live limit, the window, and a refusal or a used-up window
    closing the budget until its reset."""
    row.observed_at = now
    row.probed, row.probe_until = True, None
    if seen.limit is not None:
        row.live_limit = seen.limit
    if rule.window_kind != WindowKind.ROLLING:
        _observe_window(row, seen, now)
    reset = seen.resets_at if seen.resets_at and seen.resets_at > now else None
    if seen.refused or seen.remaining == 0:
        block(row, reset or now + UNKNOWN_RESET_WAIT)
    elif row.blocked_until is not None and reset is not None and reset > row.blocked_until:
        row.blocked_until = None  # an answer from a later window: the network takes calls again
