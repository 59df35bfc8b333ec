"""The calendar's read path: which targets fall on which day, in the workspace's time zone.

Days are the workspace's local days, so a post due at 23:30 in Berlin sits on that Berlin day
whatever UTC says. Weeks start on Monday.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from cuecast.accounts.models import Workspace
from cuecast.posts.models import Target

View = Literal["week", "month"]


@dataclass(frozen=True)
class Entry:
    target: Target
    local_due: datetime


@dataclass
class Day:
    day: date
    in_range: bool  # False for the neighbouring month's days that fill a month view's weeks
    is_today: bool
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class CalendarPage:
    view: View
    anchor: date
    first: date  # first day of the period shown (a week, or the month's 1st)
    last: date
    weeks: list[list[Day]]
    previous: date
    next: date
    today: date


def parse_anchor(value: str | None, today: date) -> date:
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError:
        return today


def _month_bounds(anchor: date) -> tuple[date, date]:
    first = anchor.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _shift_month(anchor: date, months: int) -> date:
    index = anchor.year * 12 + anchor.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def build(workspace: Workspace, view: View, anchor: date, today: date) -> CalendarPage:
    zone = ZoneInfo(workspace.timezone)
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        grid_start, grid_end = first, last
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    else:
        first, last = _month_bounds(anchor)
        grid_start = first - timedelta(days=first.weekday())
        grid_end = last + timedelta(days=6 - last.weekday())
        previous, following = _shift_month(first, -1), _shift_month(first, 1)

    days: dict[date, Day] = {}
    cursor = grid_start
    while cursor <= grid_end:
        days[cursor] = Day(day=cursor, in_range=first <= cursor <= last, is_today=cursor == today)
        cursor += timedelta(days=1)

    start_utc = datetime.combine(grid_start, time.min, tzinfo=zone)
    end_utc = datetime.combine(grid_end + timedelta(days=1), time.min, tzinfo=zone)
    targets = (
        Target.objects.filter(post__workspace=workspace, due_at__gte=start_utc, due_at__lt=end_utc)
        .select_related("post", "channel")
        .order_by("due_at", "id")
    )
    for target in targets:
        assert target.due_at is not None
        local = target.due_at.astimezone(zone)
        day = days.get(local.date())
        if day is not None:
            day.entries.append(Entry(target=target, local_due=local))

    ordered = list(days.values())
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
    return CalendarPage(
        view=view,
        anchor=anchor,
        first=first,
        last=last,
        weeks=weeks,
        previous=previous,
        next=following,
        today=today,
    )
