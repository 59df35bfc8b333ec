"""Recurrence rules in wall-clock terms, and the instants they name.

A rule ("every Monday and Wednesday at 09:00 Europe/Berlin, until 30 June") is expanded by
python-dateutil's rrule over *naive local* date-times, and each occurrence is then localised on its
own with `scheduling.localize`, so 09:00 stays 09:00 on both sides of a daylight-saving change
(08:00 UTC in winter, 07:00 UTC in summer, for Berlin).

Around the changes, as RFC 5545 (iCalendar) and every calendar app do it:
- an occurrence in the hour the clocks skip (02:30 on the spring-forward day) goes out at the same
  distance after the change, i.e. one hour later on the wall clock (03:30), and carries a note
  saying so;
- an occurrence in the hour that happens twice (02:30 on the fall-back day) means the first one.

Monthly rules on day 29 to 31 fall on the month's last day in months that are shorter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from dateutil import rrule
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cuecast.posts import scheduling
from cuecast.posts.models import SeriesFrequency

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_INTERVAL = 52
MAX_COUNT = 1000
_FREQUENCIES: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    SeriesFrequency.DAILY: rrule.DAILY,
    SeriesFrequency.WEEKLY: rrule.WEEKLY,
    SeriesFrequency.MONTHLY: rrule.MONTHLY,
}


def weekday_names() -> list[str]:
    """Monday … Sunday in the active language (Django's own translations)."""
    return [str(WEEKDAYS[day]) for day in range(7)]


@dataclass(frozen=True)
class Rule:
    """When a series falls. `weekdays` are 0 (Monday) … 6 (Sunday)."""

    frequency: SeriesFrequency
    starts_on: date
    at_time: time
    tz_name: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    month_day: int | None = None
    until: date | None = None
    count: int | None = None


@dataclass(frozen=True)
class Occurrence:
    wall: datetime  # the naive local time the rule names
    at: datetime  # the UTC instant it goes out
    note: str = field(default="", compare=False)  # why `at` is not `wall` (a skipped hour)

    @property
    def shifted(self) -> bool:
        return bool(self.note)


class RuleError(ValueError):
    """A rule that cannot be used; `field` names the part that is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        self.field = field_name
        super().__init__(message)


def check(rule: Rule) -> list[RuleError]:
    """Everything wrong with a rule, each naming its part (weekdays, until, count…)."""
    errors: list[RuleError] = []
    try:
        scheduling.zone(rule.tz_name)
    except scheduling.ScheduleError as exc:
        errors.append(RuleError("tz", str(exc)))
    if not 1 <= rule.interval <= MAX_INTERVAL:
        errors.append(
            RuleError("interval", _("Repeat every 1 to %(max)s periods.") % {"max": MAX_INTERVAL})
        )
    if rule.frequency == SeriesFrequency.WEEKLY and not rule.weekdays:
        errors.append(RuleError("weekdays", _("Choose at least one weekday.")))
    if any(not 0 <= day <= 6 for day in rule.weekdays):
        errors.append(RuleError("weekdays", _("Weekdays run from Monday to Sunday.")))
    if rule.month_day is not None and not 1 <= rule.month_day <= 31:
        errors.append(RuleError("month_day", _("A day of the month is between 1 and 31.")))
    if rule.until is not None and rule.count is not None:
        errors.append(RuleError("until", _("Give an end date or a number of posts, not both.")))
    if rule.until is not None and rule.until < rule.starts_on:
        errors.append(RuleError("until", _("The end date is before the first day.")))
    if rule.count is not None and not 1 <= rule.count <= MAX_COUNT:
        errors.append(
            RuleError("count", _("A series has 1 to %(max)s posts.") % {"max": MAX_COUNT})
        )
    return errors


def _recurrence(rule: Rule) -> rrule.rrule:
    """The rule over naive local date-times (wall clock); never over UTC."""
    byweekday: list[int] | None = None
    bymonthday: int | tuple[int, ...] | None = None
    bysetpos: int | None = None
    if rule.frequency == SeriesFrequency.WEEKLY:
        byweekday = sorted(rule.weekdays) or [rule.starts_on.weekday()]
    elif rule.frequency == SeriesFrequency.MONTHLY:
        day = rule.month_day or rule.starts_on.day
        # Days 29 to 31: the latest of 28..day the month has ("31" = the last day of a 30-day month).
        bymonthday, bysetpos = (tuple(range(28, day + 1)), -1) if day > 28 else (day, None)
    return rrule.rrule(
        _FREQUENCIES[rule.frequency],
        dtstart=datetime.combine(rule.starts_on, rule.at_time),
        interval=rule.interval,
        wkst=rrule.MO,
        byweekday=byweekday,
        bymonthday=bymonthday,
        bysetpos=bysetpos,
        until=datetime.combine(rule.until, time.max) if rule.until is not None else None,
        count=rule.count,
    )


def occurrence_at(wall: datetime, tz_name: str) -> Occurrence:
    """The instant of one wall-clock occurrence; a time in a skipped hour moves past the gap."""
    try:
        return Occurrence(wall=wall, at=scheduling.localize(wall, tz_name))
    except scheduling.ScheduleError:
        # PEP 495: fold=0 reads a time in the gap with the offset from before the change, which
        # lands it as far after the change as it was meant to be after the hour (RFC 5545).
        at = wall.replace(tzinfo=scheduling.zone(tz_name), fold=0).astimezone(UTC)
        actual = at.astimezone(scheduling.zone(tz_name))
        note = _(
            "%(time)s does not exist on %(date)s in %(zone)s: the clocks skip that hour. "
            "This post goes out at %(actual)s instead, as calendars do."
        ) % {
            "time": f"{wall:%H:%M}",
            "date": f"{wall:%Y-%m-%d}",
            "zone": tz_name,
            "actual": f"{actual:%H:%M}",
        }
        return Occurrence(wall=wall, at=at, note=note)


def between(rule: Rule, start: datetime, end: datetime) -> list[Occurrence]:
    """Occurrences with `start <= at < end` (both aware), in order."""
    tz = scheduling.zone(rule.tz_name)
    # A day's margin each side: the wall clock and UTC differ by at most a day.
    low = start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    high = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    found = (
        occurrence_at(wall, rule.tz_name) for wall in _recurrence(rule).between(low, high, inc=True)
    )
    return [occ for occ in found if start <= occ.at < end]


def first_after(rule: Rule, start: datetime) -> Occurrence | None:
    """The first occurrence at or after `start`, or None when the rule has ended."""
    tz = scheduling.zone(rule.tz_name)
    wall = start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    for candidate in _recurrence(rule).xafter(wall, inc=True):
        occ = occurrence_at(candidate, rule.tz_name)
        if occ.at >= start:
            return occ
    return None


def last_wall(rule: Rule) -> datetime | None:
    """The wall-clock time of the rule's last occurrence, or None when it has no end (or none)."""
    if rule.count is None and rule.until is None:
        return None
    walls = list(_recurrence(rule))  # bounded: a count is at most MAX_COUNT, until is a date
    return walls[-1] if walls else None


def describe(rule: Rule) -> str:
    """The rule in a sentence: "Every week on Monday, Wednesday at 09:00 (Europe/Berlin), 10 times"."""
    names = weekday_names()
    clock = f"{rule.at_time:%H:%M}"
    if rule.frequency == SeriesFrequency.DAILY:
        text = ngettext("Every day at %(time)s", "Every %(n)d days at %(time)s", rule.interval) % {
            "n": rule.interval,
            "time": clock,
        }
    elif rule.frequency == SeriesFrequency.WEEKLY:
        days = ", ".join(names[d] for d in sorted(rule.weekdays or (rule.starts_on.weekday(),)))
        text = ngettext(
            "Every week on %(days)s at %(time)s",
            "Every %(n)d weeks on %(days)s at %(time)s",
            rule.interval,
        ) % {"n": rule.interval, "days": days, "time": clock}
    else:
        text = ngettext(
            "Every month on day %(day)d at %(time)s",
            "Every %(n)d months on day %(day)d at %(time)s",
            rule.interval,
        ) % {"n": rule.interval, "day": rule.month_day or rule.starts_on.day, "time": clock}
    text += f" ({rule.tz_name})"
    text += ", " + _("from %(date)s") % {"date": rule.starts_on.isoformat()}
    if rule.until is not None:
        text += ", " + _("until %(date)s") % {"date": rule.until.isoformat()}
    if rule.count is not None:
        text += ", " + ngettext("%(n)d time", "%(n)d times", rule.count) % {"n": rule.count}
    return text + "."
