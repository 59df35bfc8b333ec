"""Wall-clock schedules across the 2026 and 2027 daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from cuecast.posts.scheduling import Cue, ScheduleError, localize, resolve_cue


@pytest.mark.parametrize(
    ("wall", "zone", "expected_utc"),
    [
        # Europe/Berlin: CET (+1) → CEST (+2) on 29 Mar 2026 and 28 Mar 2027; back on 25 Oct 2026, 31 Oct 2027.
        ("2026-03-28T09:00", "Europe/Berlin", "2026-03-28T08:00"),
        ("2026-03-29T09:00", "Europe/Berlin", "2026-03-29T07:00"),
        ("2026-10-24T09:00", "Europe/Berlin", "2026-10-24T07:00"),
        ("2026-10-25T09:00", "Europe/Berlin", "2026-10-25T08:00"),
        ("2027-03-27T09:00", "Europe/Berlin", "2027-03-27T08:00"),
        ("2027-03-28T09:00", "Europe/Berlin", "2027-03-28T07:00"),
        ("2027-10-30T09:00", "Europe/Berlin", "2027-10-30T07:00"),
        ("2027-10-31T09:00", "Europe/Berlin", "2027-10-31T08:00"),
        # America/New_York: EST (-5) → EDT (-4) on 8 Mar 2026 and 14 Mar 2027; back on 1 Nov 2026, 7 Nov 2027.
        ("2026-03-07T09:00", "America/New_York", "2026-03-07T14:00"),
        ("2026-03-08T09:00", "America/New_York", "2026-03-08T13:00"),
        ("2026-10-31T09:00", "America/New_York", "2026-10-31T13:00"),
        ("2026-11-01T09:00", "America/New_York", "2026-11-01T14:00"),
        ("2027-03-13T09:00", "America/New_York", "2027-03-13T14:00"),
        ("2027-03-14T09:00", "America/New_York", "2027-03-14T13:00"),
        ("2027-11-06T09:00", "America/New_York", "2027-11-06T13:00"),
        ("2027-11-07T09:00", "America/New_York", "2027-11-07T14:00"),
    ],
)
def test_local_times_keep_their_wall_clock_hour(wall: str, zone: str, expected_utc: str) -> None:
    got = localize(datetime.fromisoformat(wall), zone)
    assert got == datetime.fromisoformat(expected_utc).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("wall", "zone"),
    [
        ("2026-03-29T02:30", "Europe/Berlin"),
        ("2027-03-28T02:00", "Europe/Berlin"),
        ("2026-03-08T02:30", "America/New_York"),
        ("2027-03-14T02:15", "America/New_York"),
    ],
)
def test_a_time_skipped_by_the_clocks_is_refused_by_name(wall: str, zone: str) -> None:
    with pytest.raises(ScheduleError, match="does not exist in " + zone):
        localize(datetime.fromisoformat(wall), zone)


def test_a_repeated_hour_means_its_first_occurrence() -> None:
    # 02:30 happens twice in Berlin on 25 Oct 2026: first at 00:30 UTC (CEST), then 01:30 UTC (CET).
    assert localize(datetime(2026, 10, 25, 2, 30), "Europe/Berlin") == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_unknown_zone_is_named() -> None:
    with pytest.raises(ScheduleError, match="Mars/Olympus"):
        localize(datetime(2026, 5, 1, 9), "Mars/Olympus")


def test_two_days_before_the_end_at_nine_across_the_autumn_change() -> None:
    # Campaign ends 26 Oct 2026 18:00 Berlin (CET, 17:00 UTC); two days before, the clocks were still on CEST.
    end = datetime(2026, 10, 26, 17, 0, tzinfo=UTC)
    due = resolve_cue(
        Cue(event_at=end, offset=-timedelta(days=2), tz_name="Europe/Berlin", at_time=time(9, 0))
    )
    assert due == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)  # 09:00 CEST


def test_one_day_before_the_start_keeps_the_hour_across_the_spring_change() -> None:
    # Start 30 Mar 2026 10:00 Berlin (CEST, 08:00 UTC); a day before is 29 Mar 10:00 CEST = 08:00 UTC…
    start = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert resolve_cue(Cue(start, -timedelta(days=1), "Europe/Berlin")) == datetime(
        2026, 3, 29, 8, 0, tzinfo=UTC
    )
    # …and two days before is 28 Mar 10:00 CET = 09:00 UTC: 49 hours earlier, not 48.
    assert resolve_cue(Cue(start, -timedelta(days=2), "Europe/Berlin")) == datetime(
        2026, 3, 28, 9, 0, tzinfo=UTC
    )


def test_when_the_campaign_starts_is_the_start_itself() -> None:
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert resolve_cue(Cue(start, timedelta(0), "America/New_York")) == start


def test_days_before_a_date_only_end_count_from_the_last_day() -> None:
    # A campaign that "ends 20 Dec" is stored as ending 21 Dec 00:00 Berlin (the close of the 20th).
    end = datetime(2026, 12, 20, 23, 0, tzinfo=UTC)  # 21 Dec 00:00 CET
    two_days_before = Cue(end, -timedelta(days=2), "Europe/Berlin", time(10, 0), is_end=True)
    assert resolve_cue(two_days_before) == datetime(2026, 12, 18, 9, 0, tzinfo=UTC)  # 18 Dec 10:00
    on_the_last_day = Cue(end, timedelta(0), "Europe/Berlin", time(10, 0), is_end=True)
    assert resolve_cue(on_the_last_day) == datetime(2026, 12, 20, 9, 0, tzinfo=UTC)
    # A start at midnight is that day itself, and an end with a time of day keeps its own day.
    assert resolve_cue(Cue(end, timedelta(0), "Europe/Berlin", time(10, 0))) == datetime(
        2026, 12, 21, 9, 0, tzinfo=UTC
    )
    evening_end = datetime(2026, 12, 20, 17, 0, tzinfo=UTC)  # 20 Dec 18:00 CET
    assert resolve_cue(
        Cue(evening_end, -timedelta(days=2), "Europe/Berlin", time(10, 0), is_end=True)
    ) == datetime(2026, 12, 18, 9, 0, tzinfo=UTC)
