"""The Microsoft Advertising source and its per-account connection (read-only)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx

from cuecast import http as cuecast_http
from cuecast.campaigns.sources.base import (
    AdConnection,
    AdSource,
    DailyMetric,
    RemoteCampaign,
    SourceDescriptor,
)
from cuecast.campaigns.sources.microsoft import api, campaigns, errors, oauth, reports
from cuecast.campaigns.sources.microsoft.timezones import FALLBACK_ZONE
from cuecast.config import Config
from cuecast.networks.base import Account, AuthKind, OAuthFlow
from cuecast.networks.errors import AuthExpired

DESCRIPTOR = SourceDescriptor(
    key="microsoft",
    name="Microsoft Advertising",
    auth=AuthKind.OAUTH2,
    scopes=oauth.SCOPES,
    docs_page="docs/ad-platforms/microsoft.md",
)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


class MicrosoftAdsConnection(AdConnection):
    """One ad account. `account.external_id` is the AccountId; settings hold customer_id,
    currency and timezone (IANA) from the connect flow."""

    def __init__(
        self,
        account: Account,
        http: httpx.AsyncClient,
        config: Config,
        *,
        poll_plan: reports.PollPlan | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = _now,
    ) -> None:
        super().__init__(account, http)
        self.config = config
        self.poll_plan = poll_plan or reports.PollPlan()
        self.sleep = sleep
        self.clock = clock

    # -- plumbing -------------------------------------------------------------------------------

    @property
    def account_id(self) -> str:
        return self.account.external_id

    @property
    def customer_id(self) -> str:
        return str(self.account.settings.get("customer_id") or "")

    @property
    def timezone(self) -> str:
        return str(self.account.settings.get("timezone") or FALLBACK_ZONE)

    @property
    def currency(self) -> str:
        return str(self.account.settings.get("currency") or "")

    def _headers(self) -> dict[str, str]:
        token = self.account.credentials.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthExpired(errors.AUTH_MESSAGE, code="no_access_token")
        return api.headers(self.config, token, self.customer_id, self.account_id)

    async def _post(self, base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await api.post(self.http, f"{base}{path}", body, self._headers())

    # -- campaigns ------------------------------------------------------------------------------

    async def list_campaigns(self) -> list[RemoteCampaign]:
        body = await self._post(
            self.config.microsoft_ads_campaign_url,
            f"{api.CAMPAIGN_PATH}/Campaigns/QueryByAccountId",
            {
                "AccountId": self.account_id,
                "CampaignType": ", ".join(campaigns.CAMPAIGN_TYPES),
            },
        )
        found = body.get("Campaigns") or []
        if not isinstance(found, list):
            raise errors.unreadable("a campaign list")
        now = self.clock()
        result: list[RemoteCampaign] = []
        for campaign in found:
            if not isinstance(campaign, dict) or not api.text(campaign.get("Id")):
                continue
            if campaigns.uses_campaign_dates(campaign):
                days = campaigns.campaign_days(campaign)
            else:
                days = campaigns.ad_group_days(await self._ad_groups(api.text(campaign["Id"])))
            result.append(
                campaigns.to_remote(
                    campaign,
                    days=days,
                    account_zone=self.timezone,
                    currency=self.currency,
                    now=now,
                )
            )
        return result

    async def _ad_groups(self, campaign_id: str) -> list[dict[str, Any]]:
        body = await self._post(
            self.config.microsoft_ads_campaign_url,
            f"{api.CAMPAIGN_PATH}/AdGroups/QueryByCampaignId",
            {"CampaignId": campaign_id},
        )
        groups = body.get("AdGroups") or []
        if not isinstance(groups, list):
            raise errors.unreadable("an ad group list")
        return [group for group in groups if isinstance(group, dict)]

    # -- metrics --------------------------------------------------------------------------------

    async def daily_metrics(
        self, campaign_ids: list[str], start: date, end: date
    ) -> list[DailyMetric]:
        if end < start:
            return []
        base = self.config.microsoft_ads_reporting_url
        raw_zone = self.account.settings.get("microsoft_timezone")
        submitted = await self._post(
            base,
            f"{api.REPORTING_PATH}/GenerateReport/Submit",
            reports.submit_body(
                self.account_id,
                campaign_ids,
                start,
                end,
                raw_zone if isinstance(raw_zone, str) and raw_zone else None,
            ),
        )
        request_id = api.text(submitted.get("ReportRequestId"))
        if not request_id:
            raise errors.unreadable("a report request without an id")
        url = await self._wait_for(base, request_id)
        if url is None:
            return []  # Success without a download URL: the report has no rows
        text = reports.unzip(await self._download(url))
        return reports.parse_csv(text, default_currency=self.currency, campaign_ids=campaign_ids)

    async def _wait_for(self, base: str, request_id: str) -> str | None:
        path = f"{api.REPORTING_PATH}/GenerateReport/Poll"
        delays = iter(self.poll_plan.delays())
        while True:
            body = await self._post(base, path, {"ReportRequestId": request_id})
            state, url = reports.poll_result(body)
            if state == "Success":
                return url
            if state == "Error":
                raise reports.failed()
            delay = next(delays, None)
            if delay is None:
                raise reports.too_slow()
            await self.sleep(delay)

    async def _download(self, url: str) -> bytes:
        # A pre-signed URL: no Authorization or DeveloperToken header goes with it.
        try:
            response = await self.http.get(url)
        except httpx.TransportError as exc:
            raise errors.from_transport(exc) from None
        if response.status_code != 200:
            raise errors.from_response(response)
        return response.content

    # -- credentials ----------------------------------------------------------------------------

    async def refresh_credentials(self) -> dict[str, Any] | None:
        if not self.account.credentials.get("refresh_token"):
            return None
        credentials = await oauth.refresh(self.http, self.config, self.account.credentials)
        self.account.credentials = credentials
        return credentials


class MicrosoftAdsSource(AdSource):
    descriptor = DESCRIPTOR

    def __init__(self, config: Config) -> None:
        self.config = config

    def oauth(self) -> OAuthFlow:
        return oauth.MicrosoftAdsOAuthFlow(self.config, cuecast_http.async_client)

    def connect(self, account: Account, http: httpx.AsyncClient) -> MicrosoftAdsConnection:
        return MicrosoftAdsConnection(account, http, self.config)
