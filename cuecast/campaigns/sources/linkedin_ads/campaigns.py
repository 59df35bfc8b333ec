"""LinkedIn campaigns → RemoteCampaign (docs/ad-platforms/linkedin.md#campaigns).

learn.microsoft.com/linkedin/marketing/integrations/ads/account-structure/
create-and-manage-campaigns: `status` ACTIVE, PAUSED, ARCHIVED, COMPLETED, CANCELED, DRAFT,
PENDING_DELETION, REMOVED; `runSchedule` `{start, end?}` in epoch milliseconds; `dailyBudget` /
`totalBudget` `{amount: "50.00", currencyCode}` in major units; `servingStatuses` say why a
campaign does not deliver (CAMPAIGN_TOTAL_BUDGET_HIT, CAMPAIGN_END_DATE_HIT, …).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cuecast.campaigns.sources.base import BudgetPeriod, RemoteCampaign, RemoteStatus

STATUSES = (
    "ACTIVE",
    "PAUSED",
    "ARCHIVED",
    "COMPLETED",
    "CANCELED",
    "DRAFT",
    "PENDING_DELETION",
    "REMOVED",
)
STATUS = {
    "ACTIVE": RemoteStatus.ACTIVE,
    "PAUSED": RemoteStatus.PAUSED,
    "ARCHIVED": RemoteStatus.REMOVED,
    "COMPLETED": RemoteStatus.ENDED,
    "CANCELED": RemoteStatus.REMOVED,
    "CANCELLED": RemoteStatus.REMOVED,  # spelling seen in third-party schemas
    "REMOVED": RemoteStatus.REMOVED,
    "PENDING_DELETION": RemoteStatus.REMOVED,
    "DRAFT": RemoteStatus.PENDING,
}
BUDGET_HIT = frozenset({"CAMPAIGN_TOTAL_BUDGET_HIT", "ACCOUNT_TOTAL_BUDGET_HIT"})


def from_millis(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def money(value: object) -> tuple[Decimal, str] | None:
    """`{"amount": "50.00", "currencyCode": "EUR"}` → (Decimal("50.00"), "EUR"); None if absent."""
    if not isinstance(value, dict):
        return None
    try:
        amount = Decimal(str(value.get("amount")).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0:
        return None
    return amount, str(value.get("currencyCode") or "").upper()


def status_of(
    raw: str, starts_at: datetime | None, ends_at: datetime | None, now: datetime
) -> RemoteStatus:
    status = STATUS.get(raw.upper(), RemoteStatus.PENDING)
    if status in (RemoteStatus.REMOVED, RemoteStatus.ENDED):
        return status
    if ends_at is not None and ends_at <= now:
        return RemoteStatus.ENDED
    if status is RemoteStatus.ACTIVE and starts_at is not None and starts_at > now:
        return RemoteStatus.PENDING
    return status


def remote_campaign(item: dict[str, Any], *, currency: str, now: datetime) -> RemoteCampaign:
    found = item.get("runSchedule")
    schedule: dict[str, Any] = found if isinstance(found, dict) else {}
    starts_at = from_millis(schedule.get("start"))
    ends_at = from_millis(schedule.get("end"))
    daily, total = money(item.get("dailyBudget")), money(item.get("totalBudget"))
    budget, period = (daily, BudgetPeriod.DAILY) if daily else (total, BudgetPeriod.LIFETIME)
    raw = str(item.get("status") or "")
    serving = item.get("servingStatuses")
    serving_set = {str(s) for s in serving} if isinstance(serving, list) else set()
    return RemoteCampaign(
        external_id=str(item["id"]).rsplit(":", 1)[-1],
        name=str(item.get("name") or item["id"]),
        status=status_of(raw, starts_at, ends_at, now),
        status_raw=raw,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone="UTC",
        budget_amount=budget[0] if budget else None,
        budget_period=period if budget else None,
        currency=(budget[1] if budget and budget[1] else currency),
        budget_exhausted=bool(BUDGET_HIT & serving_set),
    )
