"""How one rate budget counts: its windows, what it takes, and what the network's answers change.

Every function here works on one locked `RateBudget` row and the `RateLimit` it stands for, in
memory; `cuecast.publishing.budgets` locks the rows and writes them back. Windows:
- aligned (LinkedIn's UTC day, Mastodon's 5 minutes): fixed periods on the clock;
- first call (X, Bluesky): a window opens with its first call; until the network names its reset,
  it is assumed to have opened at the reservation, with a margin, and then the network's is used;
- rolling (Instagram, Threads, monthly caps): counted in sub-windows (an hour of a day, a day of a
  month), each counted until it has wholly left the window, so the count never falls short;
- usage percentages (Meta): nothing counted; the last reading decides.

A unit of work is judged at the moment its call will be made (a target claimed ahead goes out at
its own time), against the window that call will land in: the current one, or the next when it
goes out after the current window's end or so close to it (`TAIL_GUARD`) that it may arrive after
the reset. Fixed windows keep what is reserved in the next window in `buckets` (which only rolling
windows use for sub-windows), as `carry`, with what the answers have shown of an aligned window's
length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cuecast import config
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
# A call judged this close to its window's end may reach the network after the reset: it counts in
# both windows (the time between admission and arrival: the claim's commit, the attempt's, a
# round trip on a busy machine; clocks that differ by less than this between Cuecast and the
# network).
TAIL_GUARD = timedelta(seconds=1)
# How long the answer to a call takes to be read, at most, in the normal case: work waiting for a
# probe's answer, or for the network to name a new window's end, looks again after this.
ANSWER_WAIT = timedelta(seconds=1)
# A fixed window's `buckets` keys: units reserved for calls after `window_end`; what an aligned
# window's length is known to be at least (seconds from a call to its window's reported reset,
# less a second for the call's way there), and known to be (see `_learn_period`); the reported
# end of the window before.
CARRY = "carry"
AT_LEAST = "at_least"
PERIOD = "period"
LAST_END = "last_end"


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


def answer_in(call_at: datetime) -> datetime:
    """When work waiting for the answer to a call made at `call_at` should be looked at again.
    Workers claim work ahead of its time by their look-ahead: claimed before the answer is in,
    it would only be put back again, a little later each time."""
    ahead = timedelta(seconds=config.load().worker_lookahead_seconds)
    return call_at + ANSWER_WAIT + ahead


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
        _next_window(row, rule, row.window_end, now)
    if row.window_end is None and rule.window_kind == WindowKind.ALIGNED:
        row.window_end = _aligned_end(rule, now)


def _next_window(row: RateBudget, rule: RateLimit, ended: datetime, now: datetime) -> None:
    """The window ending at `ended` has passed: what was reserved for calls after it counts in
    the next one. An aligned window whose length the network has shown is followed by windows of
    that length; otherwise the next one's end is not known until an answer names it (or the
    documented alignment does), and the carried calls, made within a look-ahead of `ended`, may
    be counted once too often, never once too few."""
    period = row.buckets.get(PERIOD) if rule.window_kind == WindowKind.ALIGNED else None
    kept = {k: row.buckets[k] for k in (AT_LEAST, PERIOD) if k in row.buckets}
    if row.window_reported:
        kept[LAST_END] = _epoch(ended)
    row.used, row.window_end = row.buckets.get(CARRY, 0), None
    if period:
        skipped = int((now - ended).total_seconds() // period)
        row.window_end = ended + timedelta(seconds=(skipped + 1) * period)
        row.used = row.used if skipped == 0 else 0
    row.buckets, row.window_reported = kept, False


def learn_period(
    row: RateBudget, rule: RateLimit, seen: LimitObservation, call_at: datetime
) -> None:
    """An aligned window's length, from the answers: a call made at `call_at` lands in a window
    ending at the reported reset, so the window is at least that long; and two consecutive
    windows' resets are one length apart. A gap between resets is a multiple of the length; it is
    the length itself when the length is known to exceed half of it."""
    if rule.window_kind != WindowKind.ALIGNED or seen.resets_at is None:
        return
    lead = math.floor((seen.resets_at - call_at - ANSWER_WAIT).total_seconds())
    at_least = max(lead, row.buckets.get(AT_LEAST, 0))
    learned = {AT_LEAST: at_least}
    last_end = row.buckets.get(LAST_END)
    gap = math.ceil(seen.resets_at.timestamp() - last_end) if last_end else 0
    if gap > 0 and at_least > gap / 2:
        learned[PERIOD] = min(gap, row.buckets.get(PERIOD) or gap)
    row.buckets = {**row.buckets, **learned}


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


def _percent_high(row: RateBudget, rule: RateLimit) -> bool:
    return row.observed_at is not None and row.used >= _percent_threshold(rule)


def _percent_refusal(row: RateBudget, rule: RateLimit, now: datetime) -> Refusal | None:
    """A high usage reading: one call tests it; the others wait for that call's answer (which
    may say the usage has fallen), and only if it said nothing for the documented pause."""
    if not _percent_high(row, rule):
        return None
    if row.probe_until is not None and row.probe_until > now:
        return Refusal(rule, row, answer_in(row.probe_until - PROBE_TIMEOUT), probe=True)
    retest = row.window_end
    return Refusal(rule, row, retest) if retest is not None and retest > now else None


def refusal(
    row: RateBudget, rule: RateLimit, units: int, now: datetime, at: datetime | None = None
) -> Refusal | None:
    """Why and until when this budget would not take `units` more for a call made at `at` (not
    before `now`); None if it takes them."""
    at = max(at or now, now)
    if row.blocked_until is not None and row.blocked_until > at:  # a call after it is not
        return Refusal(rule, row, row.blocked_until, blocked=True)
    if rule.unit == LimitUnit.PERCENT:
        return _percent_refusal(row, rule, now)
    if _needs_probe(row, rule) and row.probe_until is not None and row.probe_until > now:
        # The probe's answer comes with its batch: try again as soon as it is in.
        return Refusal(rule, row, answer_in(row.probe_until - PROBE_TIMEOUT), probe=True)
    if rule.window_kind != WindowKind.ROLLING and row.window_end is not None:
        return _fixed_refusal(row, rule, units, now, at)
    if used(row, rule) + units > _usable(row, rule):
        return Refusal(rule, row, _reopens(row, rule, units, now))
    return None


def _lands_in(row: RateBudget, at: datetime) -> tuple[bool, bool]:
    """Whether a call made at `at` may count in the current window, and in the next."""
    assert row.window_end is not None
    return at < row.window_end, at >= row.window_end - TAIL_GUARD


def _fixed_refusal(
    row: RateBudget, rule: RateLimit, units: int, now: datetime, at: datetime
) -> Refusal | None:
    assert row.window_end is not None
    current, following = _lands_in(row, at)
    usable = _usable(row, rule)
    if current and row.used + units > usable:
        return Refusal(rule, row, _fixed_reopens(row, rule, now))
    if following and row.buckets.get(CARRY, 0) + units > usable:
        # The next window is spoken for as well: wait for the one after it, or until the next
        # one's first answers name its end.
        period = row.buckets.get(PERIOD)
        after = row.window_end + timedelta(seconds=period) if period else None
        return Refusal(rule, row, after or answer_in(row.window_end))
    return None


def _fixed_reopens(row: RateBudget, rule: RateLimit, now: datetime) -> datetime:
    """When the current fixed window ends. A network that reports its windows (it has named a
    figure) but has not named this one's end yet will in the answers to the window's first calls,
    already made: look again soon, not at the documented end."""
    assert row.window_end is not None
    known = row.window_reported or PERIOD in row.buckets
    if rule.reported and not known and row.live_limit is not None:
        return min(row.window_end, now + ANSWER_WAIT)
    return row.window_end


def spend(
    row: RateBudget, rule: RateLimit, units: int, now: datetime, at: datetime | None = None
) -> None:
    """Reserve `units` for a call made at `at` (it has not been made yet: reserve before the
    call)."""
    at = max(at or now, now)
    if rule.unit == LimitUnit.PERCENT:
        if _percent_high(row, rule):
            # This call tests the usage; if its answer says nothing, the next test is after the
            # documented pause.
            row.window_end = now + rule.window / PERCENT_RETEST_SHARE
            row.probe_until = at + PROBE_TIMEOUT
        return
    if _needs_probe(row, rule):
        row.probe_until = at + PROBE_TIMEOUT
    if rule.window_kind == WindowKind.ROLLING:
        size = bucket_seconds(rule)
        start = str(_epoch(at) // size * size)  # the sub-window the call lands in
        row.buckets = {**row.buckets, start: row.buckets.get(start, 0) + units}
        return
    if row.window_end is None:  # a first-call window opens with this reservation
        row.window_end = at + rule.window + PROVISIONAL_MARGIN
    current, following = _lands_in(row, at)
    if current:
        row.used += units
    if following:
        row.buckets = {**row.buckets, CARRY: row.buckets.get(CARRY, 0) + units}


# --- what the network's answers change ----------------------------------------------------------
def give_back(row: RateBudget, rule: RateLimit, units: int, at: datetime) -> None:
    """Return a reservation the network never used (rolling counts only: the caps that count
    some calls), from the sub-window of the work's first call at `at`, or the latest before it
    (the reservation was made for that call, moments before)."""
    if rule.window_kind != WindowKind.ROLLING or rule.unit == LimitUnit.PERCENT:
        return
    for start in sorted(
        (s for s in row.buckets if int(s) <= at.timestamp()), key=int, reverse=True
    ):
        if row.buckets[start] >= units:
            left = row.buckets[start] - units
            others = {k: v for k, v in row.buckets.items() if k != start}
            row.buckets = {**others, start: left} if left else others
            return


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
    row.observed_at, row.probe_until = now, None
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
