"""Turn a schedule as the user wrote it into an instant in UTC.

Local times are wall-clock times in an IANA zone. Around daylight-saving changes:
- a time that does not exist (the hour skipped in spring) is refused with a message naming it;
- a time that happens twice (the hour repeated in autumn) means its first occurrence.
Offsets relative to a campaign are wall-clock too: "1 day before the start" keeps the hour of the
start even when a DST change lies between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _


class ScheduleError(ValueError):
    """The schedule cannot be turned into a time; the message says why, for the user."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            _("“%(zone)s” is not a time zone we know. Use a name like Europe/Berlin.")
            % {"zone": name}
        ) from None


def localize(wall: datetime, tz_name: str) -> datetime:
    """The UTC instant of a naive wall-clock time in `tz_name`; refuses times that do not exist."""
    tz = zone(tz_name)
    first = wall.replace(tzinfo=tz, fold=0)
    # A wall time exists when it survives the round trip through UTC unchanged.
    round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != wall:
        raise ScheduleError(
            _(
                "%(time)s on %(date)s does not exist in %(zone)s: the clocks skip that hour "
                "for daylight saving time. Please pick another time."
            )
            % {"time": f"{wall:%H:%M}", "date": f"{wall:%Y-%m-%d}", "zone": tz_name}
        )
    return first.astimezone(UTC)


def parse_local(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ScheduleError(
            _("“%(value)s” is not a date and time. Write it like 2026-12-01T09:00.")
            % {"value": value}
        ) from None
    if parsed.tzinfo is not None:
        raise ScheduleError(
            'A local time must not carry an offset; give the time zone separately ("tz").'
        )
    return parsed


@dataclass(frozen=True)
class Cue:
    event_at: datetime  # the campaign's start or end, aware
    offset: timedelta
    tz_name: str
    at_time: time | None = None
    is_end: bool = False  # the cue is the campaign's end


def resolve_cue(cue: Cue) -> datetime:
    """When a cue-relative schedule falls, in UTC."""
    tz = zone(cue.tz_name)
    event_local = cue.event_at.astimezone(tz).replace(tzinfo=None)
    if cue.at_time is not None:
        # "2 days before the end at 09:00": move the date by whole days, then take that local time.
        base_day: date = event_local.date()
        if cue.is_end and event_local.time() == time(0):
            # An end at midnight closes the day before it (a campaign that "ends 20 Dec" runs to
            # 21 Dec 00:00): days before the end count from that last day, as a marketer reads it.
            base_day -= timedelta(days=1)
        day = base_day + _whole_days(cue.offset)
        return localize(datetime.combine(day, cue.at_time), cue.tz_name)
    return localize(event_local + cue.offset, cue.tz_name)


def _whole_days(offset: timedelta) -> timedelta:
    """The offset as whole days (towards the event's side), for schedules that name a clock time."""
    days = offset.days if offset >= timedelta(0) else -((-offset).days)
    return timedelta(days=days)
