"""Microsoft Advertising campaigns → RemoteCampaign: dates, status, budget.

Listing (learn.microsoft.com/en-us/advertising/campaign-management-service/getcampaignsbyaccountid
?view=bingads-13): `POST /CampaignManagement/v13/Campaigns/QueryByAccountId` with `AccountId` and
`CampaignType`. **`CampaignType` defaults to Search only**, so every type is asked for by name
(`CAMPAIGN_TYPES`, comma-joined as the REST SDK serialises flags).

Dates are calendar days in the campaign's time zone (Campaign.TimeZone, else the account's), with
no time of day. A start day becomes 00:00 of that day; an end day becomes 00:00 of the FOLLOWING day
(the campaign serves through its end date). Campaign-level `StartDate`/`EndDate` are used when the
campaign says `UseCampaignLevelDates` (or, with no flag, when they are present); otherwise the
flight is the earliest ad-group start to the latest ad-group end
(`POST /CampaignManagement/v13/AdGroups/QueryByCampaignId`), and an ad group without an end date
means the campaign has none. Dates arrive as `{"Year", "Month", "Day"}` objects (the `Date` data
object); ISO strings are accepted too.

Status (…/campaign-management-service/campaignstatus?view=bingads-13):
| Microsoft              | Cuecast | budget_exhausted | why |
| Active                 | active (pending before the start day, ended after the end day) | no | |
| Paused                 | paused  | no  | paused by a person |
| BudgetPaused           | active  | yes | the system stopped delivery for the day because the budget is spent; it resumes by itself, so the flight goes on and cued posts are not held |
| BudgetAndManualPaused  | paused  | yes | paused by a person AND out of budget |
| Suspended              | paused  | no  | held by Microsoft (e.g. a fraud review); not delivering |
| Deleted                | removed | no  | |
Whatever the status, a campaign whose end is past is `ended` (unless deleted).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from cuecast.campaigns.sources.base import BudgetPeriod, RemoteCampaign, RemoteStatus
from cuecast.campaigns.sources.microsoft import api
from cuecast.campaigns.sources.microsoft.timezones import iana_zone, zone

CAMPAIGN_TYPES = (
    "Search",
    "Shopping",
    "DynamicSearchAds",
    "Audience",
    "Hotel",
    "PerformanceMax",
    "App",
)

STATUS: dict[str, tuple[RemoteStatus, bool]] = {
    "Active": (RemoteStatus.ACTIVE, False),
    "Paused": (RemoteStatus.PAUSED, False),
    "BudgetPaused": (RemoteStatus.ACTIVE, True),
    "BudgetAndManualPaused": (RemoteStatus.PAUSED, True),
    "Suspended": (RemoteStatus.PAUSED, False),
    "Deleted": (RemoteStatus.REMOVED, False),
}

LIFETIME_TYPES = frozenset({"LifetimeBudgetStandard"})


def parse_day(value: Any) -> date | None:
    """A Microsoft `Date` object ({Year, Month, Day}) or an ISO date(-time) string."""
    if isinstance(value, dict):
        try:
            return date(int(value["Year"]), int(value["Month"]), int(value["Day"]))
        except (KeyError, TypeError, ValueError):
            return None
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def start_of(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(tz))


def end_of(day: date, tz: str) -> datetime:
    """The end of a day-granular end date: 00:00 of the next day, in the zone."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(tz))


def uses_campaign_dates(campaign: dict[str, Any]) -> bool:
    flag = campaign.get("UseCampaignLevelDates")
    if flag is True:
        return True
    if flag is False:
        return False
    return parse_day(campaign.get("StartDate")) is not None


def campaign_days(campaign: dict[str, Any]) -> tuple[date | None, date | None]:
    return parse_day(campaign.get("StartDate")), parse_day(campaign.get("EndDate"))


def ad_group_days(ad_groups: Iterable[dict[str, Any]]) -> tuple[date | None, date | None]:
    """Earliest start and latest end over the (not deleted) ad groups; no end if any has none."""
    starts: list[date] = []
    ends: list[date] = []
    open_ended = False
    any_group = False
    for group in ad_groups:
        if group.get("Status") == "Deleted":
            continue
        any_group = True
        start = parse_day(group.get("StartDate"))
        end = parse_day(group.get("EndDate"))
        if start is not None:
            starts.append(start)
        if end is None:
            open_ended = True
        else:
            ends.append(end)
    if not any_group:
        return None, None
    return (min(starts) if starts else None), (None if open_ended or not ends else max(ends))


def decimal_or_none(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def budget(campaign: dict[str, Any]) -> tuple[Decimal | None, BudgetPeriod | None]:
    kind = api.text(campaign.get("BudgetType"))
    if kind in LIFETIME_TYPES:
        amount = decimal_or_none(campaign.get("LifetimeBudgetAmount"))
        return amount, BudgetPeriod.LIFETIME
    amount = decimal_or_none(campaign.get("DailyBudget"))
    if amount is None:
        return None, None
    return amount, BudgetPeriod.DAILY


def status(
    raw: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    now: datetime,
) -> tuple[RemoteStatus, bool]:
    mapped, exhausted = STATUS.get(raw, (RemoteStatus.PAUSED, False))
    if mapped is RemoteStatus.REMOVED:
        return mapped, False
    if ends_at is not None and ends_at <= now:
        return RemoteStatus.ENDED, False
    if mapped is RemoteStatus.ACTIVE and starts_at is not None and starts_at > now:
        return RemoteStatus.PENDING, exhausted
    return mapped, exhausted


def to_remote(
    campaign: dict[str, Any],
    *,
    days: tuple[date | None, date | None],
    account_zone: str,
    currency: str,
    now: datetime,
) -> RemoteCampaign:
    raw_zone = api.text(campaign.get("TimeZone"))
    tz = iana_zone(raw_zone) if raw_zone else account_zone
    start_day, end_day = days
    starts_at = start_of(start_day, tz) if start_day else None
    ends_at = end_of(end_day, tz) if end_day else None
    raw_status = api.text(campaign.get("Status"))
    mapped, exhausted = status(raw_status, starts_at, ends_at, now)
    amount, period = budget(campaign)
    return RemoteCampaign(
        external_id=api.text(campaign.get("Id")),
        name=api.text(campaign.get("Name")),
        status=mapped,
        status_raw=raw_status,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=tz,
        budget_amount=amount,
        budget_period=period,
        currency=currency,
        budget_exhausted=exhausted,
    )
