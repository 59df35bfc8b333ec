"""One LinkedIn ad account's connection: campaigns (`adCampaigns?q=search`) and daily
`adAnalytics` per campaign, in UTC days. docs/ad-platforms/linkedin.md has the protocol.

adAnalytics has no paging and answers at most MAX_ELEMENTS elements per call, silently dropping
the rest, so requests are cut into campaign batches times date windows whose product (one element per
campaign per day at most) stays within the cap; an answer that reaches the cap anyway is split
again rather than trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from cuecast.campaigns.sources.base import AdConnection, DailyMetric, RemoteCampaign
from cuecast.campaigns.sources.linkedin_ads import campaigns as mapping
from cuecast.campaigns.sources.linkedin_ads import errors, restli
from cuecast.campaigns.sources.linkedin_ads.oauth import account_id, get
from cuecast.config import Config
from cuecast.networks.base import Account
from cuecast.networks.errors import AuthExpired, Disconnected, Permanent
from cuecast.networks.linkedin.oauth import credentials_from_token, token_request

Clock = Callable[[], datetime]

CAMPAIGN_PAGE = 100
MAX_CAMPAIGN_PAGES = 60  # 5,000 campaigns per account at most (LinkedIn's limit) + slack
MAX_ELEMENTS = 15_000
CAMPAIGN_BATCH = 100  # campaign URNs per adAnalytics call (keeps the URL short)
CAMPAIGN_URN = "urn:li:sponsoredCampaign:"
# ≤ 20 fields per call (ads-reporting). Conversions: externalWebsiteConversions, the conversions
# LinkedIn attributes to the ads through the Insight Tag / conversions API.
ANALYTICS_FIELDS = (
    "dateRange",
    "pivotValues",
    "impressions",
    "clicks",
    "costInLocalCurrency",
    "externalWebsiteConversions",
)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def windows(start: date, end: date, days: int) -> Iterable[tuple[date, date]]:
    """[start, end] cut into consecutive windows of at most `days` days."""
    cursor = start
    while cursor <= end:
        last = min(end, cursor + timedelta(days=days - 1))
        yield cursor, last
        cursor = last + timedelta(days=1)


def _int(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    try:
        return int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return 0


def _decimal(value: object) -> Decimal:
    if value is None or isinstance(value, bool):
        return Decimal(0)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return Decimal(0)
    return number if number.is_finite() else Decimal(0)


def _day(value: object) -> date | None:
    if not isinstance(value, dict):
        return None
    try:
        return date(int(value["year"]), int(value["month"]), int(value["day"]))
    except (KeyError, TypeError, ValueError):
        return None


class LinkedInAdsConnection(AdConnection):
    def __init__(
        self,
        account: Account,
        http: httpx.AsyncClient,
        config: Config,
        *,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(account, http)
        self.config = config
        self._clock: Clock = clock or (lambda: datetime.now(UTC))

    @property
    def ident(self) -> str:
        return account_id(self.account.external_id)

    @property
    def currency(self) -> str:
        return str(self.account.settings.get("currency") or "").upper()

    @property
    def refreshable(self) -> bool:
        return bool(self.account.credentials.get("refresh_token"))

    async def _get(self, path_and_query: str) -> dict[str, Any]:
        token = self.account.credentials.get("access_token")
        if not token:
            if self.refreshable:
                raise AuthExpired(errors.AUTH_MESSAGE, code="no_access_token")
            raise Disconnected(errors.EXPIRED_MESSAGE, code="no_access_token")
        return await get(
            self.http,
            f"{self.config.linkedin_api_url}{path_and_query}",
            str(token),
            refreshable=self.refreshable,
        )

    # --- campaigns -----------------------------------------------------------------------------
    def campaigns_query(self, page_token: str | None = None) -> str:
        params: list[tuple[str, restli.Value]] = [
            ("q", "search"),
            ("search", {"status": {"values": list(mapping.STATUSES)}}),
            ("pageSize", CAMPAIGN_PAGE),
        ]
        if page_token:
            params.append(("pageToken", page_token))
        return f"/rest/adAccounts/{self.ident}/adCampaigns?{restli.query(params)}"

    async def list_campaigns(self) -> list[RemoteCampaign]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(MAX_CAMPAIGN_PAGES):
            body = await self._get(self.campaigns_query(token))
            items.extend(e for e in body.get("elements") or [] if isinstance(e, dict))
            metadata = body.get("metadata")
            token = metadata.get("nextPageToken") if isinstance(metadata, dict) else None
            if not isinstance(token, str) or not token:
                break
        else:
            raise Permanent("LinkedIn's campaign list did not end.", code="paging")
        now = self._clock()
        return [
            mapping.remote_campaign(item, currency=self.currency, now=now)
            for item in items
            if item.get("id") is not None
        ]

    # --- daily metrics -------------------------------------------------------------------------
    @staticmethod
    def analytics_query(campaign_ids: list[str], start: date, end: date) -> str:
        params: list[tuple[str, restli.Value]] = [
            ("q", "analytics"),
            ("pivot", "CAMPAIGN"),
            ("timeGranularity", "DAILY"),
            ("dateRange", {"start": start, "end": end}),
            ("campaigns", [f"{CAMPAIGN_URN}{c}" for c in campaign_ids]),
        ]
        # `fields` is a plain comma list, not a Rest.li value: commas stay literal.
        fields = ",".join(ANALYTICS_FIELDS)
        return f"/rest/adAnalytics?{restli.query(params)}&fields={fields}"

    def _metric(self, element: dict[str, Any]) -> DailyMetric | None:
        pivots = element.get("pivotValues")
        urn = pivots[0] if isinstance(pivots, list) and pivots else element.get("pivotValue")
        date_range = element.get("dateRange")
        day = _day(date_range.get("start")) if isinstance(date_range, dict) else None
        if not isinstance(urn, str) or day is None:
            return None
        return DailyMetric(
            campaign_external_id=urn.rsplit(":", 1)[-1],
            day=day,
            impressions=_int(element.get("impressions")),
            clicks=_int(element.get("clicks")),
            spend=_decimal(element.get("costInLocalCurrency")),
            conversions=_decimal(element.get("externalWebsiteConversions")),
            currency=self.currency,
        )

    async def _analytics(self, ids: list[str], start: date, end: date) -> list[dict[str, Any]]:
        body = await self._get(self.analytics_query(ids, start, end))
        elements = [e for e in body.get("elements") or [] if isinstance(e, dict)]
        if len(elements) < MAX_ELEMENTS:
            return elements
        # At the cap: LinkedIn may have dropped rows. Split and ask again.
        if end > start:
            middle = start + timedelta(days=(end - start).days // 2)
            return [
                *await self._analytics(ids, start, middle),
                *await self._analytics(ids, middle + timedelta(days=1), end),
            ]
        if len(ids) > 1:
            half = len(ids) // 2
            return [
                *await self._analytics(ids[:half], start, end),
                *await self._analytics(ids[half:], start, end),
            ]
        return elements

    async def daily_metrics(
        self, campaign_ids: list[str], start: date, end: date
    ) -> list[DailyMetric]:
        ids = sorted({str(c).rsplit(":", 1)[-1] for c in campaign_ids if str(c)})
        if not ids or end < start:
            return []
        metrics: list[DailyMetric] = []
        for batch in _chunks(ids, CAMPAIGN_BATCH):
            days = max(1, MAX_ELEMENTS // len(batch))
            for first, last in windows(start, end, days):
                for element in await self._analytics(batch, first, last):
                    metric = self._metric(element)
                    if metric is not None and start <= metric.day <= end:
                        metrics.append(metric)
        return sorted(metrics, key=lambda m: (m.campaign_external_id, m.day))

    async def refresh_credentials(self) -> dict[str, Any] | None:
        """A programmatic refresh when LinkedIn issued a refresh token; None otherwise."""
        refresh = self.account.credentials.get("refresh_token")
        if not refresh:
            return None
        body = await token_request(
            self.http,
            self.config,
            {"grant_type": "refresh_token", "refresh_token": str(refresh)},
            refreshing=True,
        )
        credentials = credentials_from_token(body, self.account.credentials)
        self.account.credentials = credentials
        return credentials
