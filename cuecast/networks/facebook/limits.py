"""Facebook's limits for the rate budgets, and its usage headers read as observations.

developers.facebook.com/docs/graph-api/overview/rate-limiting: calls with a Page token fall under
the Page's Business Use Case limit (4,800 calls times engaged users per rolling 24 hours); calls with a
user or app token under the Platform limit (200 calls times users per rolling hour). Neither number
is known to Cuecast in advance, and no publishing cap is documented for Pages, so these budgets
count nothing: they follow the usage the answers report (`X-App-Usage`, `X-Page-Usage`,
`X-Business-Use-Case-Usage`, percentages) and stop before 100 %. How fast a percentage falls in
a rolling window is not documented, hence the 10 % reserve.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cuecast.http import CallRecord
from cuecast.networks.base import (
    LimitKind,
    LimitObservation,
    LimitScope,
    LimitUnit,
    RateLimit,
    WindowKind,
)
from cuecast.networks.facebook import ratelimit

DOCS = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting/"
PAGES_BLOG = "https://developers.facebook.com/blog/post/2016/06/16/page-level-rate-limits/"
ALL_WORK = frozenset({"publish", "reconcile", "metrics"})
# Usage percentages have no documented decay: keep the last tenth unused.
RESERVE = 0.1

APP_USAGE = "app_usage"
PAGE_USAGE = "page_usage"


def usage_limit(name: str, scope: LimitScope, window: timedelta, source: str) -> RateLimit:
    """A Meta usage percentage as a budget (also used by the Instagram and Threads packages)."""
    return RateLimit(
        name=name,
        scope=scope,
        unit=LimitUnit.PERCENT,
        limit=100,
        window=window,
        kind=LimitKind.RATE,
        window_kind=WindowKind.ROLLING,
        source=source,
        purposes=ALL_WORK,
        reported=True,
        reserve=RESERVE,
    )


RATE_LIMITS: tuple[RateLimit, ...] = (
    usage_limit(APP_USAGE, LimitScope.APP, timedelta(hours=1), DOCS),
    usage_limit(PAGE_USAGE, LimitScope.ACCOUNT, timedelta(hours=24), PAGES_BLOG),
)


def retry_after(call: CallRecord) -> datetime | None:
    """A `Retry-After` in seconds, when an answer carries one (Meta's documented answers do not;
    a proxy or a future API may)."""
    value = call.limit_headers.get("retry-after", "").strip()
    return call.started_at + timedelta(seconds=int(value)) if value.isdigit() else None


def usage_observation(
    name: str,
    scope: LimitScope,
    usage: ratelimit.Usage,
    seen_at: datetime,
    retry_at: datetime | None = None,
) -> LimitObservation:
    """A usage report as an observation: 100 units, of which `percent` are used. Throttled, it
    reopens when Meta estimates (whole minutes, plus a minute: calling early prolongs a block),
    else when a `Retry-After` says; with neither, the budget's documented pause applies."""
    resets_at = retry_at
    if usage.regain_minutes:
        resets_at = seen_at + timedelta(minutes=usage.regain_minutes) + ratelimit.REGAIN_MARGIN
    return LimitObservation(
        name,
        scope,
        limit=100,
        remaining=max(0, 100 - usage.percent),
        resets_at=resets_at,
        refused=usage.exhausted,
    )


def read_usage(
    call: CallRecord, account_types: frozenset[str], account_name: str
) -> list[LimitObservation]:
    """The app's and the account's usage in one answer; `account_types` are the BUC types (and
    "page") that describe the connected account."""
    info = ratelimit.parse(call.limit_headers, call.started_at)
    retry_at = retry_after(call)
    if info is None:
        if call.status == 429 and retry_at is not None:  # refused, with no usage report
            return [
                LimitObservation(account_name, LimitScope.ACCOUNT, resets_at=retry_at, refused=True)
            ]
        return []
    seen: dict[str, LimitObservation] = {}
    for usage in info.usages:
        if usage.scope == "app":
            name, scope = APP_USAGE, LimitScope.APP
        elif usage.scope in account_types:
            name, scope = account_name, LimitScope.ACCOUNT
        else:
            continue
        observation = usage_observation(name, scope, usage, info.seen_at, retry_at)
        # Several reports for one budget (X-Page-Usage and the BUC header): the fuller one counts.
        if name not in seen or (observation.remaining or 0) < (seen[name].remaining or 0):
            seen[name] = observation
    return list(seen.values())


def read(call: CallRecord) -> list[LimitObservation]:
    return read_usage(call, frozenset({"page", "pages"}), PAGE_USAGE)
