"""Reading Graph insights answers with `period=day` (a Page's, an Instagram account's: the
Instagram API with Facebook Login is the same Graph API, so Instagram reads them here too).

`{"data": [{"name": "reach", "period": "day", "values": [{"value": 12, "end_time":
"2026-11-22T08:00:00+0000"}, …]}]}`: one value per day, each closed by its end_time. Without
since/until the range is yesterday through today, so the last value is usually a day still
running; the last one whose day has ended is the figure worth keeping.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def last_complete_day(body: dict[str, Any], now: datetime) -> dict[str, int]:
    """metric name → the value of the latest day that has ended by `now` (or, if none has, the
    earliest value given)."""
    found: dict[str, int] = {}
    for entry in body.get("data") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        values = [v for v in entry.get("values") or [] if isinstance(v, dict)]
        ended = [v for v in values if _ended(v.get("end_time"), now)]
        chosen = (ended or values[:1])[-1:] if values else []
        value = chosen[0].get("value") if chosen else None
        if isinstance(value, int) and not isinstance(value, bool):
            found[entry["name"]] = value
    return found


def _ended(end_time: Any, now: datetime) -> bool:
    if not isinstance(end_time, str):
        return False
    try:
        return datetime.strptime(end_time, "%Y-%m-%dT%H:%M:%S%z") <= now
    except ValueError:
        return False
