"""Recurrence rules keep their wall-clock time across daylight-saving changes (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from cuecast.posts.models import SeriesFrequency
from cuecast.posts.recurrence import Rule, between, check, describe, first_after, last_wall


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def monday_and_wednesday(zone: str, at: time = time(9, 0)) -> Rule:
    return Rule(
        frequency=SeriesFrequency.WEEKLY,
        starts_on=date(2026, 1, 5),
        at_time=at,
        tz_name=zone,
        weekdays=(0, 2),
        until=date(2026, 12, 31),
    )


def test_berlin_nine_oclock_is_eight_utc_in_winter_and_seven_in_summer() -> None:
    # Summer time in 2026: 29 March to 25 October (both Sundays).
    found = between(monday_and_wednesday("Europe/Berlin"), utc("2026-03-01"), utc("2026-12-01"))
    assert {o.wall.time() for o in found} == {time(9, 0)}
    assert {o.wall.weekday() for o in found} == {0, 2}
    for occ in found:
        summer = date(2026, 3, 29) <= occ.wall.date() < date(2026, 10, 25)
        assert occ.at.hour == (7 if summer else 8), occ
        assert not occ.shifted
    by_day = {o.wall.date(): o.at for o in found}
    assert by_day[date(2026, 3, 25)] == utc("2026-03-25T08:00")  # last Wednesday of winter
    assert by_day[date(2026, 3, 30)] == utc("2026-03-30T07:00")  # first Monday of summer
    assert by_day[date(2026, 10, 21)] == utc("2026-10-21T07:00")
    assert by_day[date(2026, 10, 26)] == utc("2026-10-26T08:00")  # winter again


def test_new_york_nine_oclock_is_fourteen_utc_in_winter_and_thirteen_in_summer() -> None:
    # Daylight time in 2026: 8 March to 1 November.
    found = between(monday_and_wednesday("America/New_York"), utc("2026-02-01"), utc("2026-12-01"))
    for occ in found:
        summer = date(2026, 3, 8) <= occ.wall.date() < date(2026, 11, 1)
        assert occ.at.hour == (13 if summer else 14), occ
    by_day = {o.wall.date(): o.at for o in found}
    assert by_day[date(2026, 3, 4)] == utc("2026-03-04T14:00")
    assert by_day[date(2026, 3, 9)] == utc("2026-03-09T13:00")
    assert by_day[date(2026, 10, 28)] == utc("2026-10-28T13:00")
    assert by_day[date(2026, 11, 2)] == utc("2026-11-02T14:00")


@pytest.mark.parametrize(
    ("zone", "gap_day", "expected_utc", "after_gap"),
    [
        ("Europe/Berlin", date(2026, 3, 29), "2026-03-29T01:30", "03:30"),
        ("America/New_York", date(2026, 3, 8), "2026-03-08T07:30", "03:30"),
    ],
)
def test_an_occurrence_in_the_skipped_hour_goes_out_just_after_it_and_says_so(
    zone: str, gap_day: date, expected_utc: str, after_gap: str
) -> None:
    rule = Rule(SeriesFrequency.DAILY, date(2026, 3, 1), time(2, 30), zone, until=date(2026, 4, 5))
    found = {o.wall.date(): o for o in between(rule, utc("2026-03-01"), utc("2026-04-06"))}
    assert len(found) == 36  # one every day: the gap day is not lost
    skipped = found[gap_day]
    assert skipped.at == utc(expected_utc)
    assert skipped.shifted
    assert "02:30" in skipped.note and after_gap in skipped.note and zone in skipped.note
    assert [d for d, o in found.items() if o.shifted] == [gap_day]


def test_an_occurrence_in_the_repeated_hour_means_the_first_one() -> None:
    rule = Rule(SeriesFrequency.DAILY, date(2026, 10, 24), time(2, 30), "Europe/Berlin", count=3)
    found = between(rule, utc("2026-10-01"), utc("2026-11-01"))
    assert [o.at for o in found] == [
        utc("2026-10-24T00:30"),  # CEST
        utc("2026-10-25T00:30"),  # 02:30 CEST, the first of the two 02:30s
        utc("2026-10-26T01:30"),  # CET
    ]


def test_count_and_until_end_the_rule() -> None:
    counted = Rule(
        SeriesFrequency.WEEKLY, date(2027, 1, 4), time(9), "Europe/Berlin", weekdays=(0,), count=3
    )
    assert len(between(counted, utc("2027-01-01"), utc("2028-01-01"))) == 3
    assert last_wall(counted) == datetime(2027, 1, 18, 9, 0)
    assert first_after(counted, utc("2027-01-19")) is None
    dated = Rule(
        SeriesFrequency.DAILY, date(2027, 1, 1), time(9), "Europe/Berlin", until=date(2027, 1, 10)
    )
    found = between(dated, utc("2027-01-01"), utc("2028-01-01"))
    assert found[-1].wall == datetime(2027, 1, 10, 9, 0) and len(found) == 10


def test_interval_and_monthly_last_day() -> None:
    fortnightly = Rule(
        SeriesFrequency.WEEKLY, date(2027, 1, 4), time(9), "UTC", interval=2, weekdays=(4,), count=3
    )
    walls = [o.wall.date() for o in between(fortnightly, utc("2027-01-01"), utc("2028-01-01"))]
    assert walls == [date(2027, 1, 8), date(2027, 1, 22), date(2027, 2, 5)]
    month_end = Rule(
        SeriesFrequency.MONTHLY, date(2027, 1, 31), time(9), "UTC", month_day=31, count=4
    )
    walls = [o.wall.date() for o in between(month_end, utc("2027-01-01"), utc("2028-01-01"))]
    assert walls == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]


def test_a_rule_that_cannot_work_names_each_part() -> None:
    bad = Rule(
        SeriesFrequency.WEEKLY,
        date(2027, 5, 1),
        time(9),
        "Mars/Olympus",
        interval=0,
        weekdays=(),
        until=date(2027, 4, 1),
        count=5,
    )
    fields = [e.field for e in check(bad)]
    assert fields == ["tz", "interval", "weekdays", "until", "until"]
    messages = " ".join(str(e) for e in check(bad))
    assert "Mars/Olympus" in messages and "weekday" in messages and "not both" in messages


def test_describe_says_the_rule_in_a_sentence() -> None:
    rule = Rule(
        SeriesFrequency.WEEKLY,
        date(2027, 3, 1),
        time(9),
        "Europe/Berlin",
        weekdays=(2, 0),
        count=10,
    )
    assert describe(rule) == (
        "Every week on Monday, Wednesday at 09:00 (Europe/Berlin), from 2027-03-01, 10 times."
    )
