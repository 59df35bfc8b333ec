"""The decaying polling plan: a pure function of the publishing time and the network's horizon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cuecast.analytics import plan
from cuecast.networks import registry

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def test_the_first_day_decays_then_one_poll_a_day() -> None:
    offsets = plan.offsets(timedelta(days=5))
    assert offsets == (
        timedelta(minutes=15),
        HOUR,
        3 * HOUR,
        6 * HOUR,
        12 * HOUR,
        DAY,
        2 * DAY,
        3 * DAY,
        4 * DAY,
        5 * DAY - HOUR,  # the closing poll, while the network still answers
    )


@pytest.mark.parametrize("network", registry.keys())
def test_every_network_is_polled_inside_its_window_only(network: str) -> None:
    spec = registry.get(network).descriptor.metrics
    offsets = plan.offsets(spec.horizon)
    assert offsets, f"{network} has no plan"
    assert offsets[0] == timedelta(minutes=15)
    assert all(0 < o.total_seconds() < spec.horizon.total_seconds() for o in offsets)
    assert offsets[-1] == spec.horizon - plan.CLOSING_MARGIN
    if spec.exposed_for is not None:
        assert spec.horizon <= spec.exposed_for, "polled longer than the network serves figures"
    # One poll a day after the first day: as many days as the horizon has, plus the first day's.
    assert len(offsets) == len(plan.DECAY) + (spec.horizon - DAY).days


def test_x_is_polled_for_its_30_days_of_non_public_metrics_and_no_longer() -> None:
    published = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    horizon = registry.get("x").descriptor.metrics.horizon
    times = plan.schedule(published, horizon)
    assert horizon == timedelta(days=30)
    assert times[-1] == published + timedelta(days=30) - HOUR
    assert plan.next_poll_after(published, horizon, times[-1]) is None
    assert plan.polls_planned(published, horizon, published + timedelta(days=400)) == len(times)


@given(
    horizon_hours=st.integers(min_value=1, max_value=24 * 800),
    minutes_after=st.integers(min_value=0, max_value=24 * 60 * 800),
)
def test_plan_properties(horizon_hours: int, minutes_after: int) -> None:
    horizon = timedelta(hours=horizon_hours)
    offsets = plan.offsets(horizon)
    assert offsets and list(offsets) == sorted(set(offsets))  # strictly increasing
    assert offsets[-1] < horizon
    gaps = [b - a for a, b in pairwise(offsets)]
    assert all(gap <= DAY for gap in gaps)  # never more than a day without a reading
    published = datetime(2026, 3, 1, tzinfo=UTC)
    moment = published + timedelta(minutes=minutes_after)
    following = plan.next_poll_after(published, horizon, moment)
    if following is None:
        assert moment >= published + offsets[-1]
    else:
        assert following > moment and following - published in offsets
        assert plan.polls_planned(published, horizon, moment) == offsets.index(
            following - published
        )


def test_daylight_saving_never_moves_a_poll() -> None:
    """Polls count from publishing in UTC: across Berlin's change to winter time the polls stay
    exactly a day apart (local wall-clock times shift by an hour, the plan does not)."""
    berlin = ZoneInfo("Europe/Berlin")
    published = datetime(2026, 10, 23, 12, 0, tzinfo=berlin)  # DST ends on 25 October
    times = plan.schedule(published, timedelta(days=10))
    daily = [t for t in times if t - published >= DAY][:-1]
    assert all(b - a == DAY for a, b in pairwise(daily))
    local_hours = {t.astimezone(berlin).hour for t in daily}
    assert local_hours == {11, 12}  # before and after the change


def test_no_horizon_no_plan() -> None:
    assert plan.offsets(timedelta(0)) == ()
    assert (
        plan.next_poll_after(datetime(2026, 1, 1, tzinfo=UTC), timedelta(0), datetime.now(UTC))
        is None
    )
