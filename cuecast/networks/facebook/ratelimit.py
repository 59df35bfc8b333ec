"""Graph API usage headers as data (developers.facebook.com/docs/graph-api/overview/rate-limiting).

Platform rate limits (app and user tokens) report `X-App-Usage: {"call_count": %, "total_cputime":
%, "total_time": %}`; Page tokens are under Business Use Case limits and report
`X-Business-Use-Case-Usage: {"<object id>": [{"type": "pages", "call_count": %, "total_cputime": %,
"total_time": %, "estimated_time_to_regain_access": <minutes>}]}`; Pages calls may also carry
`X-Page-Usage` (the X-App-Usage shape, sometimes with `estimated_time_to_regain_access`). Values
are percentages of the allowance; at 100 calls are throttled. Facebook sends no Retry-After.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

APP_HEADER = "x-app-usage"
PAGE_HEADER = "x-page-usage"
BUC_HEADER = "x-business-use-case-usage"
REGAIN_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class Usage:
    """One usage report: percentages of the allowance used, and when access returns if throttled."""

    scope: str  # "app", "page" or the BUC type ("pages", ...)
    object_id: str  # the BUC object's id; "" for app and page usage
    call_count: int
    total_cputime: int
    total_time: int
    regain_minutes: int | None = None  # estimated_time_to_regain_access

    @property
    def percent(self) -> int:
        return max(self.call_count, self.total_cputime, self.total_time)

    @property
    def exhausted(self) -> bool:
        return self.percent >= 100 or bool(self.regain_minutes)


@dataclass(frozen=True)
class RateLimitInfo:
    seen_at: datetime
    usages: tuple[Usage, ...]

    @property
    def percent(self) -> int:
        """The highest usage among the reports: how close this token is to being throttled."""
        return max((u.percent for u in self.usages), default=0)

    def retry_at(self) -> datetime | None:
        """When Facebook expects access to return: the latest estimate among the reports, plus
        REGAIN_MARGIN (the estimate is in whole minutes, and calling while still throttled only
        prolongs the block)."""
        minutes = [u.regain_minutes for u in self.usages if u.regain_minutes]
        if not minutes:
            return None
        return self.seen_at + timedelta(minutes=max(minutes)) + REGAIN_MARGIN


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return 0
    return 0


def _usage(scope: str, object_id: str, data: Mapping[str, Any]) -> Usage:
    regain = data.get("estimated_time_to_regain_access")
    return Usage(
        scope=scope,
        object_id=object_id,
        call_count=_int(data.get("call_count")),
        total_cputime=_int(data.get("total_cputime")),
        total_time=_int(data.get("total_time")),
        regain_minutes=_int(regain) if regain is not None else None,
    )


def _json(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def parse(headers: Mapping[str, str], now: datetime | None = None) -> RateLimitInfo | None:
    """The usage reports in a response's headers, or None when it carried none."""
    headers = {str(k).lower(): v for k, v in headers.items()}
    usages: list[Usage] = []
    for name, scope in ((APP_HEADER, "app"), (PAGE_HEADER, "page")):
        data = _json(headers.get(name))
        if isinstance(data, dict):
            usages.append(_usage(scope, "", data))
    buc = _json(headers.get(BUC_HEADER))
    if isinstance(buc, dict):
        for object_id, entries in buc.items():
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, dict):
                    usages.append(_usage(str(entry.get("type") or "buc"), str(object_id), entry))
    if not usages:
        return None
    return RateLimitInfo(seen_at=now or datetime.now(UTC), usages=tuple(usages))
