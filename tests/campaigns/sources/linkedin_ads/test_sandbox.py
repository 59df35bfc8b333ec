"""The LinkedIn Ads source against the LinkedIn emulator's Marketing API over real HTTP: connect,
campaigns (runSchedule, status, budgets), daily adAnalytics summed to the cent, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cuecast import config, http
from cuecast.campaigns.sources.base import BudgetPeriod, RemoteStatus
from cuecast.campaigns.sources.linkedin_ads import LinkedInAdsConnection, LinkedInAdsSource
from cuecast.networks import errors as tree
from cuecast.networks.base import Account
from tests.campaigns.sources.meta.consent import consent

pytestmark = pytest.mark.anyio

REDIRECT = "http://127.0.0.1:8000/campaigns/callback/linkedin_ads"
DEMO = "508800001"
IDS = ["700000001", "700000003", "700000004"]


def ads_state(sandbox: Any) -> Any:
    from sandbox.linkedin.state import LinkedInState

    return sandbox.state.net("linkedin", LinkedInState).ads


def demo_account(sandbox: Any) -> Account:
    minted = sandbox.control.tokens("linkedin", "demo", scope="r_ads r_ads_reporting")
    return Account(
        external_id=DEMO,
        handle="Cuecast Demo Sponsored",
        base_url="",
        credentials={"access_token": minted["access_token"]},
        settings={"currency": "EUR", "timezone": "UTC"},
    )


async def test_connect_lists_the_members_ad_accounts(sandbox: Any) -> None:
    flow = LinkedInAdsSource(config.load()).oauth()
    start = await flow.start(redirect_uri=REDIRECT, server_url="", clients=None)
    answer = consent(start.url, "demo")
    assert answer["state"] == start.state
    accounts = await flow.finish_all(
        code=answer["code"], redirect_uri=REDIRECT, session_data=start.session_data
    )
    assert [(a.external_id, a.display_name) for a in accounts] == [(DEMO, "Cuecast Demo Sponsored")]
    assert accounts[0].settings["currency"] == "EUR"
    assert accounts[0].settings["timezone"] == "UTC"
    assert accounts[0].settings["role"] == "ACCOUNT_MANAGER"


async def test_campaigns(sandbox: Any) -> None:
    async with http.async_client() as client:
        conn = LinkedInAdsConnection(demo_account(sandbox), client, config.load())
        campaigns = {c.external_id: c for c in await conn.list_campaigns()}
    assert set(campaigns) == {"700000001", "700000002", "700000003", "700000004"}
    webinar = campaigns["700000001"]
    seeded = ads_state(sandbox).campaigns["700000001"]
    assert webinar.status is RemoteStatus.ACTIVE and webinar.name == "Webinar Signups"
    assert webinar.starts_at == datetime.fromtimestamp(seeded.start_ms / 1000, UTC)
    assert seeded.end_ms is not None
    assert webinar.ends_at == datetime.fromtimestamp(seeded.end_ms / 1000, UTC)
    assert (webinar.budget_amount, webinar.budget_period, webinar.currency) == (
        Decimal("50.00"),
        BudgetPeriod.DAILY,
        "EUR",
    )
    launch = campaigns["700000002"]
    assert launch.status is RemoteStatus.PENDING  # ACTIVE, starts in five days
    assert (launch.budget_amount, launch.budget_period) == (
        Decimal("3000.00"),
        BudgetPeriod.LIFETIME,
    )
    assert campaigns["700000003"].status is RemoteStatus.ENDED  # COMPLETED
    assert campaigns["700000004"].status is RemoteStatus.PAUSED


async def fetch(sandbox: Any, start: date, end: date) -> list[Any]:
    async with http.async_client() as client:
        conn = LinkedInAdsConnection(demo_account(sandbox), client, config.load())
        return await conn.daily_metrics(IDS, start, end)


async def test_daily_metrics_match_the_sandbox_to_the_cent(sandbox: Any) -> None:
    today = datetime.now(UTC).date()
    start, end = today - timedelta(days=30), today - timedelta(days=1)
    metrics = await fetch(sandbox, start, end)
    served = {
        key: row
        for key, row in ads_state(sandbox).metrics.items()
        if key[0] in IDS and start <= key[1] <= end
    }
    assert served
    assert {(m.campaign_external_id, m.day) for m in metrics} == set(served)
    for m in metrics:
        row = served[(m.campaign_external_id, m.day)]
        assert (m.impressions, m.clicks, m.spend, m.conversions) == (
            row.impressions,
            row.clicks,
            row.cost,
            Decimal(row.conversions),
        )
        assert m.currency == "EUR"
    assert sum(m.spend for m in metrics) == sum(r.cost for r in served.values())


async def test_a_small_element_cap_is_worked_around(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cuecast.campaigns.sources.linkedin_ads import client as client_module

    sandbox.control.config("linkedin", analytics_max_elements=10)
    monkeypatch.setattr(client_module, "MAX_ELEMENTS", 10)
    today = datetime.now(UTC).date()
    start, end = today - timedelta(days=30), today - timedelta(days=1)
    metrics = await fetch(sandbox, start, end)
    served = [k for k in ads_state(sandbox).metrics if k[0] in IDS and start <= k[1] <= end]
    assert len(metrics) == len(served)


async def test_429_is_quota_exhausted_until_midnight_utc(sandbox: Any) -> None:
    sandbox.control.fault(
        "linkedin", "rate_limit_burst", endpoint="GET /rest/adAccounts/{id}/adCampaigns"
    )
    before = datetime.now(UTC)
    async with http.async_client() as client:
        conn = LinkedInAdsConnection(demo_account(sandbox), client, config.load())
        with pytest.raises(tree.QuotaExhausted) as caught:
            await conn.list_campaigns()
    after = datetime.now(UTC)
    # The midnight after the moment the answer came, which lies between the two readings (the
    # error mapping reads the real clock): a midnight between them makes two days possible.
    assert caught.value.retry_at in {_next_midnight(before), _next_midnight(after)}


def _next_midnight(moment: datetime) -> datetime:
    tomorrow = moment.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC)
