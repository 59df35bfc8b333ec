"""Meta campaigns → RemoteCampaign: status, dates and budgets (docs/ad-platforms/meta.md#campaigns).

developers.facebook.com/docs/marketing-api/reference/ad-campaign-group: `effective_status` is the
delivery state including the parents' (ACTIVE, PAUSED, DELETED, ARCHIVED, IN_PROCESS, WITH_ISSUES,
and for children CAMPAIGN_PAUSED, ADSET_PAUSED, PENDING_REVIEW, DISAPPROVED, …); `status` is what
the advertiser set. `start_time` / `stop_time` are ISO 8601 with an offset (`…T00:00:00-0800`);
`stop_time` is absent for open-ended campaigns. `daily_budget` / `lifetime_budget` sit on the
campaign only with Advantage campaign budget; otherwise on the ad sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cuecast.campaigns.sources.base import BudgetPeriod, RemoteCampaign, RemoteStatus
from cuecast.campaigns.sources.meta.money import minor_to_major

CAMPAIGN_FIELDS = (
    "id,name,status,effective_status,start_time,stop_time,daily_budget,lifetime_budget"
)
ADSET_FIELDS = "campaign_id,effective_status,start_time,end_time,daily_budget,lifetime_budget"

STATUS = {
    "ACTIVE": RemoteStatus.ACTIVE,
    "PAUSED": RemoteStatus.PAUSED,
    "CAMPAIGN_PAUSED": RemoteStatus.PAUSED,
    "ADSET_PAUSED": RemoteStatus.PAUSED,
    "DISAPPROVED": RemoteStatus.PAUSED,  # not delivering until the advertiser fixes it
    "DELETED": RemoteStatus.REMOVED,
    "ARCHIVED": RemoteStatus.REMOVED,
    "PENDING_REVIEW": RemoteStatus.PENDING,
    "PREAPPROVED": RemoteStatus.PENDING,
    "PENDING_BILLING_INFO": RemoteStatus.PENDING,
}
# Not a state of their own: IN_PROCESS (a change is being applied) and WITH_ISSUES (delivering,
# with a problem to look at) follow the configured `status`.
FOLLOW_CONFIGURED = frozenset({"IN_PROCESS", "WITH_ISSUES"})
GONE = frozenset({"DELETED", "ARCHIVED"})


def parse_time(value: object) -> datetime | None:
    """Meta's `2026-11-01T00:00:00-0800` (or `+0000`, `Z`) → an aware datetime in UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None  # Meta always sends an offset; a bare time cannot be placed
    return parsed.astimezone(UTC)


def status_of(
    item: dict[str, Any], starts_at: datetime | None, ends_at: datetime | None, now: datetime
) -> RemoteStatus:
    effective = str(item.get("effective_status") or "").upper()
    configured = str(item.get("status") or "").upper()
    raw = configured if effective in FOLLOW_CONFIGURED or not effective else effective
    status = STATUS.get(raw) or STATUS.get(configured) or RemoteStatus.PENDING
    if status is RemoteStatus.REMOVED:
        return status
    if ends_at is not None and ends_at <= now:
        return RemoteStatus.ENDED
    if status is RemoteStatus.ACTIVE and starts_at is not None and starts_at > now:
        return RemoteStatus.PENDING  # scheduled, not delivering yet
    return status


@dataclass(frozen=True)
class AdSetSummary:
    """What a campaign without its own budget or dates takes from its live ad sets."""

    budget_amount: Decimal | None = None
    budget_period: BudgetPeriod | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def summarise_adsets(adsets: list[dict[str, Any]], currency: str) -> AdSetSummary:
    """Sum the budgets of the live ad sets when they are all of one kind (all daily or all
    lifetime); mixed kinds have no single number, so the budget stays unknown. Dates: the
    earliest start and, if every ad set has an end, the latest end."""
    live = [a for a in adsets if str(a.get("effective_status") or "").upper() not in GONE]
    daily = [minor_to_major(a.get("daily_budget"), currency) for a in live]
    lifetime = [minor_to_major(a.get("lifetime_budget"), currency) for a in live]
    amount: Decimal | None = None
    period: BudgetPeriod | None = None
    if live and all(d is not None for d in daily):
        amount, period = sum((d for d in daily if d is not None), Decimal(0)), BudgetPeriod.DAILY
    elif live and all(v is not None for v in lifetime):
        amount = sum((v for v in lifetime if v is not None), Decimal(0))
        period = BudgetPeriod.LIFETIME
    starts = [t for t in (parse_time(a.get("start_time")) for a in live) if t is not None]
    ends = [parse_time(a.get("end_time")) for a in live]
    return AdSetSummary(
        budget_amount=amount,
        budget_period=period,
        starts_at=min(starts) if starts else None,
        ends_at=max(e for e in ends if e is not None) if ends and all(ends) else None,
    )


def needs_adsets(item: dict[str, Any], currency: str) -> bool:
    no_budget = (
        minor_to_major(item.get("daily_budget"), currency) is None
        and minor_to_major(item.get("lifetime_budget"), currency) is None
    )
    return no_budget or not item.get("start_time")


def remote_campaign(
    item: dict[str, Any],
    *,
    currency: str,
    timezone: str,
    now: datetime,
    adsets: AdSetSummary | None = None,
) -> RemoteCampaign:
    adsets = adsets or AdSetSummary()
    daily = minor_to_major(item.get("daily_budget"), currency)
    lifetime = minor_to_major(item.get("lifetime_budget"), currency)
    amount: Decimal | None
    period: BudgetPeriod | None
    if daily is not None:
        amount, period = daily, BudgetPeriod.DAILY
    elif lifetime is not None:
        amount, period = lifetime, BudgetPeriod.LIFETIME
    else:
        amount, period = adsets.budget_amount, adsets.budget_period
    starts_at = parse_time(item.get("start_time")) or adsets.starts_at
    ends_at = parse_time(item.get("stop_time")) or adsets.ends_at
    effective = str(item.get("effective_status") or item.get("status") or "")
    return RemoteCampaign(
        external_id=str(item["id"]),
        name=str(item.get("name") or item["id"]),
        status=status_of(item, starts_at, ends_at, now),
        status_raw=effective,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        budget_amount=amount,
        budget_period=period,
        currency=currency,
    )
