"""Report periods: a run of whole days in the workspace's time zone, and the one before it.

A period is what the period switcher offers (the last 7, 28 or 90 days, today included; a custom
range; a campaign's whole run) resolved against "today" in the workspace's zone. Comparison is
always with the period of the same length just before, so "this week vs last week" lines up day
for day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

# A custom range longer than this is refused: two years of days is already a long table.
MAX_DAYS = 731


class PeriodKey(StrEnum):
    LAST_7 = "7d"
    LAST_28 = "28d"
    LAST_90 = "90d"
    CUSTOM = "custom"
    WHOLE = "whole"  # a campaign's whole run (campaign reports only)
    PREVIOUS = "previous"  # the comparison period; never asked for directly


LAST_DAYS = {PeriodKey.LAST_7: 7, PeriodKey.LAST_28: 28, PeriodKey.LAST_90: 90}


class ReportError(ValueError):
    """A report that cannot be made as asked (a period, a network); the message is a sentence for
    the person who asked, and `field` names the query parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    key: str  # a PeriodKey value
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(PeriodKey.PREVIOUS, end - timedelta(days=self.days - 1), end)


@dataclass(frozen=True)
class PeriodRequest:
    """What the person asked for, before it is resolved against today (query parameters)."""

    key: str = PeriodKey.LAST_28
    start: date | None = None
    end: date | None = None


def today_in(zone: str, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(zone)).date()


def last_days(count: int, today: date, key: str = PeriodKey.CUSTOM) -> Period:
    return Period(key, today - timedelta(days=count - 1), today)


def resolve(request: PeriodRequest, today: date, whole: tuple[date, date] | None = None) -> Period:
    """The period asked for. `whole` is a campaign's run; other reports offer no "whole"."""
    if request.key in LAST_DAYS:
        return last_days(LAST_DAYS[PeriodKey(request.key)], today, request.key)
    if request.key == PeriodKey.WHOLE and whole is not None:
        return Period(PeriodKey.WHOLE, whole[0], max(whole))
    if request.key == PeriodKey.CUSTOM:
        return _custom(request)
    raise ReportError("period", _("Choose a period from the list."))


def _custom(request: PeriodRequest) -> Period:
    if request.start is None:
        raise ReportError("start", _("Enter the first day of the period."))
    if request.end is None:
        raise ReportError("end", _("Enter the last day of the period."))
    if request.end < request.start:
        raise ReportError("end", _("The last day must not be before the first day."))
    period = Period(PeriodKey.CUSTOM, request.start, request.end)
    if period.days > MAX_DAYS:
        raise ReportError(
            "end", _("A period can be at most %(days)d days long.") % {"days": MAX_DAYS}
        )
    return period


def parse_day(value: str | None, field: str) -> date | None:
    """A day from a query parameter (YYYY-MM-DD); empty is None."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ReportError(
            field, _("“%(value)s” is not a date. Use the form 2026-11-23.") % {"value": value}
        ) from None
