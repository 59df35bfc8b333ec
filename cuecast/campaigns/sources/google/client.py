"""One Google Ads customer's connection: campaigns with status, dates and budget; daily metrics.

Every read is GAQL through `googleAds:search` (api.py; statements in gaql.py) on
`customers/{external_id}`, with `login-customer-id` when the account was reached through a
manager (`settings["login_customer_id"]`). The customer's currency and time zone are read once
per connection (dates and `segments.date` are in that zone; micros in that currency).
docs/ad-platforms/google.md describes the mapping, with sources.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from cuecast.campaigns.sources.base import (
    AdConnection,
    BudgetPeriod,
    DailyMetric,
    RemoteCampaign,
    RemoteStatus,
)
from cuecast.campaigns.sources.google import api, errors, gaql
from cuecast.campaigns.sources.google.oauth import credentials_from_token, token_request
from cuecast.config import Config
from cuecast.networks.base import Account
from cuecast.networks.errors import Disconnected, Permanent

REFRESH_MARGIN = timedelta(seconds=60)  # refresh a token this close to its expiry first
IDS_PER_QUERY = 500  # campaign ids per metrics query, to keep the GAQL short

# campaign.primary_status when campaign.status is ENABLED → Cuecast's status.
# ELIGIBLE, LIMITED, LEARNING, MISCONFIGURED, NOT_ELIGIBLE: enabled and inside its dates → ACTIVE.
PRIMARY: dict[str, RemoteStatus] = {
    "ENDED": RemoteStatus.ENDED,
    "PENDING": RemoteStatus.PENDING,
    "PAUSED": RemoteStatus.PAUSED,  # e.g. its campaign group is paused
    "REMOVED": RemoteStatus.REMOVED,
}
# campaign.serving_status, read only when primary_status says nothing decisive.
SERVING: dict[str, RemoteStatus] = {
    "ENDED": RemoteStatus.ENDED,
    "PENDING": RemoteStatus.PENDING,
}
# primary_status_reasons that mean "the money is used up". CampaignPrimaryStatusReason (v25) has
# none: BUDGET_CONSTRAINED is "the budget is limiting the campaign's ability to serve" — a daily
# budget pacing the campaign, which keeps running and resets every day — and
# CAMPAIGN_GROUP_ALL_GROUP_BUDGETS_ENDED is about group budgets' end TIMES having passed. So
# Google never reports a campaign's budget as exhausted and Cuecast never raises that cue for it;
# the set exists so a future reason can be added in one place (docs/ad-platforms/google.md).
EXHAUSTED_REASONS: frozenset[str] = frozenset()
BUDGET_PERIODS: dict[str, BudgetPeriod] = {
    "DAILY": BudgetPeriod.DAILY,
    "CUSTOM_PERIOD": BudgetPeriod.LIFETIME,  # total_amount_micros over the campaign's flight
}


def remote_status(status: str, primary: str, serving: str) -> RemoteStatus:
    if status == "REMOVED":
        return RemoteStatus.REMOVED
    if status == "PAUSED":
        return RemoteStatus.PAUSED
    if primary in PRIMARY:
        return PRIMARY[primary]
    return SERVING.get(serving, RemoteStatus.ACTIVE)


def status_raw(status: str, primary: str) -> str:
    """Google's words as its UI shows them: the user-set status, then the primary status."""
    shown = status or "UNKNOWN"
    if primary and primary != status:
        shown = f"{shown} ({primary})"
    return shown[:64]


def _reasons(row: dict[str, Any]) -> tuple[str, ...]:
    value = api.field(row, "campaign.primaryStatusReasons")
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


class GoogleAdsConnection(AdConnection):
    def __init__(self, account: Account, http: httpx.AsyncClient, config: Config) -> None:
        super().__init__(account, http)
        self.config = config
        self._customer: tuple[str, str] | None = None  # (currency, time zone)

    @property
    def customer_id(self) -> str:
        return gaql.customer_id(self.account.external_id)

    @property
    def refreshable(self) -> bool:
        return bool(self.account.credentials.get("refresh_token"))

    def _headers(self) -> dict[str, str]:
        login = self.account.settings.get("login_customer_id")
        return api.headers(
            self.config,
            str(self.account.credentials.get("access_token") or ""),
            login_customer_id=str(login) if login else None,
        )

    async def _fresh(self) -> None:
        """Refresh first when the hour-long access token is (nearly) over; the caller persists
        `account.credentials` afterwards (they change only on a refresh)."""
        value = self.account.credentials.get("expires_at")
        if not isinstance(value, str) or not value or not self.refreshable:
            return
        if datetime.fromisoformat(value) - REFRESH_MARGIN <= datetime.now(UTC):
            await self.refresh_credentials()

    async def _search(self, query: str) -> list[dict[str, Any]]:
        await self._fresh()
        return await api.search(
            self.http,
            self.config,
            self.customer_id,
            query,
            headers=self._headers(),
            refreshable=self.refreshable,
        )

    async def customer(self) -> tuple[str, str]:
        """(currency, IANA time zone) of the customer, asked once per connection."""
        if self._customer is None:
            rows = await self._search(gaql.customer_query())
            row = rows[0] if rows else {}
            currency = api.text(row, "customer.currencyCode") or str(
                self.account.settings.get("currency") or ""
            )
            timezone = api.text(row, "customer.timeZone") or str(
                self.account.settings.get("timezone") or ""
            )
            if not timezone:
                raise Permanent(
                    "Google Ads did not say which time zone this account uses.", code="no_timezone"
                )
            self._customer = (currency, timezone)
        return self._customer

    async def list_campaigns(self) -> list[RemoteCampaign]:
        currency, timezone = await self.customer()
        tz = api.zone(timezone)
        rows = await self._search(gaql.campaigns_query(self.config.google_ads_api_version))
        campaigns: dict[str, RemoteCampaign] = {}
        for row in rows:
            campaign = self._campaign(row, currency, timezone, tz)
            if campaign is not None:
                campaigns[campaign.external_id] = campaign
        return list(campaigns.values())

    def _campaign(
        self, row: dict[str, Any], currency: str, timezone: str, tz: Any
    ) -> RemoteCampaign | None:
        campaign_id = api.text(row, "campaign.id")
        if not campaign_id:
            return None
        status = api.text(row, "campaign.status")
        primary = api.text(row, "campaign.primaryStatus")
        serving = api.text(row, "campaign.servingStatus")
        # The newer date-time fields (v23+) win over the older dates (v22 and earlier).
        start = api.text(row, "campaign.startDateTime") or api.text(row, "campaign.startDate")
        end = api.text(row, "campaign.endDateTime") or api.text(row, "campaign.endDate")
        period = BUDGET_PERIODS.get(api.text(row, "campaignBudget.period"))
        if period is BudgetPeriod.LIFETIME:
            amount = api.micros(api.field(row, "campaignBudget.totalAmountMicros"))
        else:
            amount = api.micros(api.field(row, "campaignBudget.amountMicros"))
        return RemoteCampaign(
            external_id=campaign_id,
            name=api.text(row, "campaign.name") or f"Campaign {campaign_id}",
            status=remote_status(status, primary, serving),
            status_raw=status_raw(status, primary),
            starts_at=api.start_at(start, tz),
            ends_at=api.end_at(end, tz),
            timezone=timezone,
            budget_amount=amount,
            budget_period=period if amount is not None else None,
            currency=currency,
            budget_exhausted=bool(EXHAUSTED_REASONS.intersection(_reasons(row))),
        )

    async def daily_metrics(
        self, campaign_ids: list[str], start: date, end: date
    ) -> list[DailyMetric]:
        ids = sorted({str(i) for i in campaign_ids})
        if not ids or end < start:
            return []
        currency, _ = await self.customer()
        metrics: list[DailyMetric] = []
        for at in range(0, len(ids), IDS_PER_QUERY):
            query = gaql.metrics_query(ids[at : at + IDS_PER_QUERY], start, end)
            for row in await self._search(query):
                day = api.text(row, "segments.date")
                campaign_id = api.text(row, "campaign.id")
                if not day or not campaign_id:
                    continue
                metrics.append(
                    DailyMetric(
                        campaign_external_id=campaign_id,
                        day=date.fromisoformat(day),
                        impressions=api.integer(api.field(row, "metrics.impressions")),
                        clicks=api.integer(api.field(row, "metrics.clicks")),
                        spend=api.micros(api.field(row, "metrics.costMicros") or 0) or Decimal(0),
                        conversions=api.decimal(api.field(row, "metrics.conversions")),
                        currency=currency,
                    )
                )
        return metrics

    async def refresh_credentials(self) -> dict[str, Any] | None:
        """A new one-hour access token from the stored refresh token (which Google keeps valid
        until it is revoked, unused for six months, or the app is in Testing mode for 7 days)."""
        refresh_token = self.account.credentials.get("refresh_token")
        if not refresh_token:
            raise Disconnected(errors.EXPIRED_MESSAGE, code="no_refresh_token")
        body = await token_request(
            self.http,
            self.config,
            {"grant_type": "refresh_token", "refresh_token": str(refresh_token)},
            refreshing=True,
        )
        credentials = credentials_from_token(body, previous=self.account.credentials)
        self.account.credentials = credentials
        return credentials
