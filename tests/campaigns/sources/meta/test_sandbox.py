"""The Meta ads source against the Facebook emulator's Marketing API over real HTTP: connect,
campaigns with their budgets and statuses, daily Insights summed to the cent."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cuecast import config, http
from cuecast.campaigns.sources.base import BudgetPeriod, RemoteStatus
from cuecast.campaigns.sources.meta import MetaAdsConnection, MetaAdsSource
from cuecast.networks import errors as tree
from cuecast.networks.base import Account
from tests.campaigns.sources.meta.consent import consent

pytestmark = pytest.mark.anyio

REDIRECT = "https://cuecast.test/campaigns/callback/meta"
DEMO_ACT = "act_1029384756000001"
BERLIN = ZoneInfo("Europe/Berlin")


def ads_state(sandbox: Any) -> Any:
    from sandbox.facebook.state import FacebookState

    return sandbox.state.net("facebook", FacebookState).ads


def demo_account(sandbox: Any) -> Account:
    minted = sandbox.control.tokens("facebook", "cuecast_demo", scope="ads_read")
    return Account(
        external_id=DEMO_ACT,
        handle="Cuecast Demo Ads",
        base_url="",
        credentials={"access_token": minted["user_access_token"]},
        settings={"currency": "EUR", "timezone": "Europe/Berlin"},
    )


async def test_connect_lists_the_ad_accounts(sandbox: Any) -> None:
    flow = MetaAdsSource(config.load()).oauth()
    start = await flow.start(redirect_uri=REDIRECT, server_url="", clients=None)
    assert "/facebook/v25.0/dialog/oauth" in start.url
    answer = consent(start.url, "cuecast_demo")
    assert answer["state"] == start.state
    accounts = await flow.finish_all(
        code=answer["code"], redirect_uri=REDIRECT, session_data=start.session_data
    )
    assert [(a.external_id, a.display_name) for a in accounts] == [(DEMO_ACT, "Cuecast Demo Ads")]
    demo = accounts[0]
    assert demo.settings["currency"] == "EUR"
    assert demo.settings["timezone"] == "Europe/Berlin"
    assert demo.settings["account_status"] == "ACTIVE"
    assert demo.credentials["access_token"] and demo.token_expires_at is not None


async def test_campaigns_budgets_dates_and_statuses(sandbox: Any) -> None:
    async with http.async_client() as client:
        conn = MetaAdsConnection(demo_account(sandbox), client, config.load())
        campaigns = {c.name: c for c in await conn.list_campaigns()}
    assert set(campaigns) == {
        "Winter Sale (CBO)",
        "Spring Launch",
        "Autumn Leads",
        "Brand Always-on",
    }
    winter = campaigns["Winter Sale (CBO)"]
    assert (winter.status, winter.budget_amount, winter.budget_period) == (
        RemoteStatus.ACTIVE,
        Decimal("50.00"),
        BudgetPeriod.DAILY,
    )
    assert winter.timezone == "Europe/Berlin" and winter.currency == "EUR"
    seeded = ads_state(sandbox).campaigns["120210000000000101"]
    assert winter.starts_at is not None and winter.starts_at.timestamp() == seeded.start_time
    assert winter.ends_at is not None and winter.ends_at.timestamp() == seeded.stop_time
    spring = campaigns["Spring Launch"]
    assert spring.status is RemoteStatus.PENDING  # starts in five days
    assert (spring.budget_amount, spring.budget_period) == (
        Decimal("1500.00"),
        BudgetPeriod.LIFETIME,
    )
    autumn = campaigns["Autumn Leads"]  # budget on its ad set, stopped three days ago
    assert autumn.status is RemoteStatus.ENDED
    assert (autumn.budget_amount, autumn.budget_period) == (Decimal("30.00"), BudgetPeriod.DAILY)
    brand = campaigns["Brand Always-on"]
    assert brand.status is RemoteStatus.PAUSED and brand.ends_at is None


def expected(sandbox: Any, ids: list[str], start: date, end: date) -> dict[tuple[str, date], Any]:
    return {
        key: row
        for key, row in ads_state(sandbox).metrics.items()
        if key[0] in ids and start <= key[1] <= end
    }


async def fetch(sandbox: Any, ids: list[str], start: date, end: date) -> list[Any]:
    async with http.async_client() as client:
        conn = MetaAdsConnection(demo_account(sandbox), client, config.load())
        return await conn.daily_metrics(ids, start, end)


@pytest.mark.parametrize("max_rows", [None, 7])
async def test_daily_metrics_match_the_sandbox_to_the_cent(
    sandbox: Any, max_rows: int | None
) -> None:
    if max_rows is not None:  # more rows than this per sync call: 100/1487534, the range is cut
        sandbox.control.config("facebook", insights_max_rows=max_rows)
    today = datetime.now(BERLIN).date()
    start, end = today - timedelta(days=20), today - timedelta(days=1)
    ids = ["120210000000000101", "120210000000000103", "120210000000000104"]
    metrics = await fetch(sandbox, ids, start, end)
    served = expected(sandbox, ids, start, end)
    assert served, "the sandbox has rows in this window"
    assert {(m.campaign_external_id, m.day) for m in metrics} == set(served)
    for m in metrics:
        row = served[(m.campaign_external_id, m.day)]
        assert (m.impressions, m.clicks, m.spend) == (row.impressions, row.clicks, row.spend)
        wanted = sum((v for k, v in row.actions.items() if k in ("purchase", "lead")), Decimal(0))
        assert m.conversions == wanted
        assert m.currency == "EUR"
    assert sum(m.spend for m in metrics) == sum(r.spend for r in served.values())


async def test_throttling_is_rate_limited_with_a_time(sandbox: Any) -> None:
    sandbox.control.config("facebook", ads_call_budget=1)
    async with http.async_client() as client:
        conn = MetaAdsConnection(demo_account(sandbox), client, config.load())
        with pytest.raises(tree.RateLimited) as caught:
            for _ in range(5):
                await conn.list_campaigns()
    assert caught.value.retry_at is not None
