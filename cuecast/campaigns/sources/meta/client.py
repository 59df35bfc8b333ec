"""One Meta ad account's connection: campaigns (with ad-set budgets and dates where the campaign
has none) and daily Insights, synchronous first, asynchronous when Meta times out.

docs/ad-platforms/meta.md describes the protocol with sources. Every call is a GET (or the POST
that starts an async report run, which changes nothing), so all of them may be retried.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from cuecast.campaigns.sources.base import AdConnection, DailyMetric, RemoteCampaign
from cuecast.campaigns.sources.meta import campaigns as mapping
from cuecast.campaigns.sources.meta import errors
from cuecast.campaigns.sources.meta.descriptor import DEFAULT_CONVERSION_ACTIONS
from cuecast.campaigns.sources.meta.money import decimal_string
from cuecast.campaigns.sources.meta.oauth import act_id, graph_root
from cuecast.config import Config
from cuecast.networks.base import Account
from cuecast.networks.errors import Disconnected, Permanent, Transient
from cuecast.networks.facebook import login
from cuecast.networks.facebook.errors import read_error

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]

PAGE_LIMIT = 500
MAX_PAGES = 200
INSIGHT_FIELDS = "campaign_id,impressions,clicks,spend,actions,date_start"
CAMPAIGN_FILTER_MAX = 100  # campaign ids per Insights `filtering` clause
# Polling an async report run (developers.facebook.com/docs/marketing-api/insights/
# best-practices: runs may take long; poll with growing pauses). About 10 minutes in all.
POLL_DELAYS: tuple[float, ...] = (1, 2, 3, 5, 5, 10, 10, 15, 15, 30, 30, 60, 60, 60, 60, 60, 60, 60)
DONE, FAILED = "Job Completed", frozenset({"Job Failed", "Job Skipped"})


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class MetaAdsConnection(AdConnection):
    poll_delays: tuple[float, ...] = POLL_DELAYS

    def __init__(
        self,
        account: Account,
        http: httpx.AsyncClient,
        config: Config,
        *,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(account, http)
        self.config = config
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Clock = clock or (lambda: datetime.now(UTC))

    # --- plumbing ------------------------------------------------------------------------------
    @property
    def act(self) -> str:
        return act_id(self.account.external_id)

    @property
    def currency(self) -> str:
        return str(self.account.settings.get("currency") or "").upper()

    @property
    def timezone(self) -> str:
        return str(self.account.settings.get("timezone") or "UTC")

    @property
    def conversion_actions(self) -> frozenset[str]:
        chosen = self.account.settings.get("conversion_action_types")
        if isinstance(chosen, list | tuple) and chosen:
            return frozenset(str(c) for c in chosen)
        return frozenset(DEFAULT_CONVERSION_ACTIONS)

    async def _call(
        self, method: str, path: str, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        token = self.account.credentials.get("access_token")
        if not token:
            raise Disconnected(errors.DISCONNECTED_MESSAGE, code="no_access_token")
        try:
            response = await self.http.request(
                method,
                f"{graph_root(self.config)}/{path.lstrip('/')}",
                params=params if method == "GET" else None,
                data=params if method != "GET" else None,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.TransportError as exc:
            raise errors.from_transport(exc) from None
        if not response.is_success:
            raise errors.from_response(response)
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Transient("Meta answered with something Cuecast cannot read.", code="bad_body")
        if isinstance(body.get("error"), dict):  # an error envelope with a 2xx status
            raise errors.from_error(read_error(response), response.status_code, response)
        return body

    async def _all(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every item of a Graph list, following `paging.cursors.after` while `next` is given."""
        items: list[dict[str, Any]] = []
        params = {"limit": str(PAGE_LIMIT), **params}
        for _ in range(MAX_PAGES):
            body = await self._call("GET", path, params)
            items.extend(i for i in body.get("data") or [] if isinstance(i, dict))
            after = login.next_cursor(body)
            if after is None:
                return items
            params = {**params, "after": after}
        raise Permanent("Meta's list did not end; Cuecast stopped reading it.", code="paging")

    # --- campaigns -----------------------------------------------------------------------------
    async def list_campaigns(self) -> list[RemoteCampaign]:
        items = await self._all(f"{self.act}/campaigns", {"fields": mapping.CAMPAIGN_FIELDS})
        items = [i for i in items if i.get("id")]
        by_campaign: dict[str, list[dict[str, Any]]] = {}
        if any(mapping.needs_adsets(i, self.currency) for i in items):
            adsets = await self._all(f"{self.act}/adsets", {"fields": mapping.ADSET_FIELDS})
            for adset in adsets:
                by_campaign.setdefault(str(adset.get("campaign_id")), []).append(adset)
        now = self._clock()
        result = []
        for item in items:
            summary = None
            if mapping.needs_adsets(item, self.currency):
                summary = mapping.summarise_adsets(
                    by_campaign.get(str(item["id"]), []), self.currency
                )
            result.append(
                mapping.remote_campaign(
                    item, currency=self.currency, timezone=self.timezone, now=now, adsets=summary
                )
            )
        return result

    # --- daily metrics -------------------------------------------------------------------------
    def _insight_params(self, campaign_ids: list[str], start: date, end: date) -> dict[str, str]:
        return {
            "level": "campaign",
            "time_increment": "1",
            "time_range": json.dumps(
                {"since": start.isoformat(), "until": end.isoformat()}, separators=(",", ":")
            ),
            "fields": INSIGHT_FIELDS,
            "filtering": json.dumps(
                [{"field": "campaign.id", "operator": "IN", "value": campaign_ids}],
                separators=(",", ":"),
            ),
        }

    def _metric(self, row: dict[str, Any]) -> DailyMetric | None:
        campaign_id, day = row.get("campaign_id"), row.get("date_start")
        if not campaign_id or not isinstance(day, str):
            return None
        try:
            parsed_day = date.fromisoformat(day)
        except ValueError:
            return None
        wanted = self.conversion_actions
        conversions = Decimal(0)
        for action in row.get("actions") or []:
            if isinstance(action, dict) and action.get("action_type") in wanted:
                conversions += decimal_string(action.get("value"))
        return DailyMetric(
            campaign_external_id=str(campaign_id),
            day=parsed_day,
            impressions=int(decimal_string(row.get("impressions"))),
            clicks=int(decimal_string(row.get("clicks"))),
            spend=decimal_string(row.get("spend")),
            conversions=conversions,
            currency=self.currency,
        )

    async def daily_metrics(
        self, campaign_ids: list[str], start: date, end: date
    ) -> list[DailyMetric]:
        ids = sorted({str(c) for c in campaign_ids if str(c)})
        if not ids or end < start:
            return []
        rows: list[dict[str, Any]] = []
        for batch in _chunks(ids, CAMPAIGN_FILTER_MAX):
            rows.extend(await self._insights(batch, start, end))
        metrics = [m for m in (self._metric(r) for r in rows) if m is not None]
        return sorted(metrics, key=lambda m: (m.campaign_external_id, m.day))

    async def _insights(self, ids: list[str], start: date, end: date) -> list[dict[str, Any]]:
        """Synchronous Insights; on "too much data" (100/1487534, sync and async alike) narrow the
        query — halve the days, then the campaigns; on a sync timeout run it asynchronously."""
        params = self._insight_params(ids, start, end)
        try:
            return await self._all(f"{self.act}/insights", params)
        except errors.TooMuchData:
            if end > start:
                middle = start + timedelta(days=(end - start).days // 2)
                return [
                    *await self._insights(ids, start, middle),
                    *await self._insights(ids, middle + timedelta(days=1), end),
                ]
            if len(ids) > 1:
                half = len(ids) // 2
                return [
                    *await self._insights(ids[:half], start, end),
                    *await self._insights(ids[half:], start, end),
                ]
            raise
        except errors.InsightsTimeout:
            return await self._report_run(params)

    async def _report_run(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """The async flow: POST /act_{id}/insights → report_run_id; poll GET /{run} until
        `async_status` is "Job Completed"; read GET /{run}/insights (paged)."""
        started = await self._call("POST", f"{self.act}/insights", params)
        run = started.get("report_run_id")
        if not isinstance(run, str | int) or not str(run):
            raise Transient("Meta did not start the report.", code="no_report_run_id")
        run_id = str(run)
        for delay in (0.0, *self.poll_delays):
            if delay:
                await self._sleep(delay)
            state = await self._call(
                "GET",
                run_id,
                {"fields": "async_status,async_percent_completion,error_code,error_subcode"},
            )
            status = str(state.get("async_status") or "")
            if status == DONE:
                return await self._all(f"{run_id}/insights", {})
            if status in FAILED:
                code = state.get("error_code")
                raise Transient(
                    "Meta could not build the report; Cuecast will try again.",
                    code=f"report_{code}" if code is not None else "report_failed",
                )
        raise Transient(
            "Meta's report took too long; Cuecast will try again later.", code="report_timeout"
        )

    async def refresh_credentials(self) -> dict[str, Any] | None:
        """Long-lived user tokens cannot be renewed without the person: reconnect instead."""
        return None
