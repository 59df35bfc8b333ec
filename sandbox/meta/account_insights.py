"""Account-level insights with `period=day` (a Facebook Page's, an Instagram account's).

Graph answers one entry per metric with a value for each day of the range, each with the
`end_time` that closes the day (08:00 UTC, the end of a Pacific day). Without `since` and
`until` the range is yesterday through today. The sandbox serves the figure set through the
control API for every day asked: tests move it over time with the sandbox clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

DAY = 86400
# Graph's days end at 07:00 or 08:00 UTC (midnight Pacific); the sandbox uses 08:00.
DAY_END_HOUR = 8


def day_ends(now: float, since: float | None, until: float | None) -> list[datetime]:
    """The end_time of every day in the range, oldest first."""
    until_at = datetime.fromtimestamp(until if until is not None else now, UTC)
    first = until_at - timedelta(days=1) if since is None else datetime.fromtimestamp(since, UTC)
    ends = []
    end = _day_end_after(first)
    while end <= _day_end_after(until_at) and len(ends) < 93:  # Graph caps a range at 93 days
        ends.append(end)
        end += timedelta(days=1)
    return ends


def _day_end_after(moment: datetime) -> datetime:
    end = moment.replace(hour=DAY_END_HOUR, minute=0, second=0, microsecond=0)
    return end if end > moment else end + timedelta(days=1)


def day_entry(
    object_id: str, name: str, value: int, ends: list[datetime], title: str, description: str
) -> dict[str, Any]:
    return {
        "name": name,
        "period": "day",
        "values": [
            {"value": value, "end_time": end.strftime("%Y-%m-%dT%H:%M:%S+0000")} for end in ends
        ],
        "title": title,
        "description": description,
        "id": f"{object_id}/insights/{name}/day",
    }


def float_param(raw: str | None) -> float | None:
    if raw is None or raw == "":
        return None
    return float(raw)
