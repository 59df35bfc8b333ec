"""A fixed window counts each call in the window it will land in, and learns an aligned window's
length only from windows that follow each other (budget_windows.py; issue #4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cuecast.networks.base import LimitObservation, LimitScope
from cuecast.networks.mastodon.limits import RATE_LIMITS
from cuecast.publishing import budget_windows as windows
from cuecast.publishing.models import RateBudget

[RULE] = RATE_LIMITS  # Mastodon: 300 requests per aligned 5 minutes, reported in headers
START = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
PERIOD = timedelta(seconds=10)  # the server's window, shorter than documented


def seconds(n: float) -> datetime:
    return START + timedelta(seconds=n)


def learned_row() -> RateBudget:
    """A budget that has read the server's figure (20) and its current window's end (10 s)."""
    row = RateBudget(key="k", network="mastodon", name=RULE.name, scope="account")
    windows.roll(row, RULE, START)
    windows.observe_count(row, RULE, report(remaining=19, reset=seconds(10)), START)
    return row


def report(*, remaining: int, reset: datetime) -> LimitObservation:
    return LimitObservation(RULE.name, LimitScope.ACCOUNT, 20, remaining, reset)


def test_a_call_claimed_ahead_counts_in_the_window_it_lands_in() -> None:
    row = learned_row()
    now = seconds(8)
    windows.spend(row, RULE, 1, now, at=seconds(10.5))  # sent after the reset
    assert (row.used, row.buckets[windows.CARRY]) == (1, 1)  # the probe's, and the next window's
    windows.roll(row, RULE, seconds(10))
    assert row.used == 1  # the carried call counts in the window it lands in


def test_a_call_just_before_the_reset_counts_in_both_windows() -> None:
    row = learned_row()
    windows.spend(row, RULE, 1, seconds(9.5))  # may arrive after the reset
    assert (row.used, row.buckets[windows.CARRY]) == (2, 1)


def test_a_full_window_sends_work_to_the_next_one_not_to_the_documented_end() -> None:
    row = learned_row()
    row.used = 20
    refusal = windows.refusal(row, RULE, 1, seconds(2))
    assert refusal is not None and refusal.until == seconds(10)
    assert windows.refusal(row, RULE, 1, seconds(2), at=seconds(10.25)) is None


def test_a_block_stops_only_calls_made_before_it_ends() -> None:
    row = learned_row()
    windows.observe_count(row, RULE, report(remaining=0, reset=seconds(10)), seconds(1))
    assert windows.refusal(row, RULE, 1, seconds(2)) is not None
    assert windows.refusal(row, RULE, 1, seconds(2), at=seconds(10.25)) is None


def observe_at(row: RateBudget, called: datetime, reset: datetime) -> None:
    windows.roll(row, RULE, called)
    seen = report(remaining=18, reset=reset)
    windows.learn_period(row, RULE, seen, called)
    windows.observe_count(row, RULE, seen, called)


def test_the_length_is_learned_from_consecutive_windows() -> None:
    row = learned_row()
    observe_at(row, seconds(10.2), reset=seconds(20))
    assert row.buckets[windows.PERIOD] == 10
    windows.roll(row, RULE, seconds(20.1))  # the next window's end is known without asking
    assert row.window_end == seconds(30)


def test_a_gap_of_several_windows_is_not_taken_for_the_length() -> None:
    row = learned_row()
    observe_at(row, seconds(25), reset=seconds(30))  # two windows later, late in its window
    assert windows.PERIOD not in row.buckets
