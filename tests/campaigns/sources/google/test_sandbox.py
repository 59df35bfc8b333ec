"""The Google Ads source against the sandbox emulator over real HTTP (127.0.0.1): connecting
(consent page, code exchange, every advertiser account incl. one behind a manager), campaigns
in both date-field generations, exact micros sums, a 429 with retryDelay, an expired token."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from cuecast import config, http
from cuecast.campaigns.sources.base import BudgetPeriod, RemoteStatus
from cuecast.campaigns.sources.google import GoogleAdsConnection, GoogleAdsSource, gaql
from cuecast.networks import errors as tree
from cuecast.networks.base import Account
from tests.conftest import require

pytestmark = pytest.mark.anyio
require(
    importlib.util.find_spec("sandbox.googleads") is not None,
    "the Google Ads emulator (sandbox/googleads) has not landed",
)

CALLBACK = "http://127.0.0.1:8000/campaigns/sources/google/callback"
DEMO_CUSTOMER = "5550001001"
MANAGER = "5550009009"
MANAGED_CUSTOMER = "5550003003"
BERLIN = ZoneInfo("Europe/Berlin")


def gcfg(base: str, version: str = "v23") -> config.Config:
    return dataclasses.replace(
        config.load(),
        google_ads_api_url=f"{base}/googleads",
        google_ads_api_version=version,
        google_ads_oauth_url=f"{base}/googleads/oauth/authorize",
        google_ads_token_url=f"{base}/googleads/oauth/token",
        google_ads_client_id="cuecast-sandbox",
        google_ads_client_secret="cuecast-sandbox-secret",
        google_ads_developer_token="",
    )


class FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")


def consent(sandbox: Any, url: str, user: str) -> dict[str, str]:
    """Open the consent page, pick `user`, press Allow; the callback's query."""
    with httpx.Client(timeout=10, follow_redirects=False) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        form = FormReader()
        form.feed(page.text)
        answer = browser.post(
            f"{sandbox.url}{form.action}",
            data={**form.fields, "user": user, "decision": "authorize"},
        )
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def connect(sandbox: Any, user: str, version: str = "v23") -> list[Any]:
    source = GoogleAdsSource(gcfg(sandbox.url, version))
    flow = source.oauth()
    start = await flow.start(redirect_uri=CALLBACK, server_url="")
    answer = consent(sandbox, start.url, user)
    assert answer["state"] == start.state
    return await flow.finish_all(
        code=answer["code"], redirect_uri=CALLBACK, session_data=start.session_data
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with http.async_client() as c:
        yield c


def demo_account(sandbox: Any, **token: Any) -> Account:
    tokens = sandbox.control.tokens("googleads", "demo", **token)
    expires = datetime.now(UTC) + timedelta(seconds=int(tokens["expires_in"]))
    return Account(
        external_id=DEMO_CUSTOMER,
        handle="555-000-1001",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "expires_at": expires.isoformat(),
        },
        settings={"currency": "EUR", "timezone": "Europe/Berlin"},
    )


def conn_for(sandbox: Any, client: httpx.AsyncClient, version: str, acct: Account) -> Any:
    conn: GoogleAdsConnection = GoogleAdsSource(gcfg(sandbox.url, version)).connect(acct, client)
    return conn


async def test_connect_offers_the_advertiser_account(sandbox: Any) -> None:
    accounts = await connect(sandbox, "demo")
    assert [a.external_id for a in accounts] == [DEMO_CUSTOMER]
    (account,) = accounts
    assert account.display_name == "Cuecast Demo GmbH" and account.handle == "555-000-1001"
    assert account.settings == {"currency": "EUR", "timezone": "Europe/Berlin"}
    assert account.credentials["refresh_token"]  # access_type=offline + prompt=consent
    assert account.token_expires_at is not None
    assert account.token_expires_at - datetime.now(UTC) < timedelta(hours=1, seconds=5)


async def test_connect_through_a_manager(sandbox: Any, client: httpx.AsyncClient) -> None:
    accounts = await connect(sandbox, "agency")
    assert [a.external_id for a in accounts] == [MANAGED_CUSTOMER]
    (account,) = accounts
    assert account.settings == {
        "currency": "USD",
        "timezone": "America/New_York",
        "login_customer_id": MANAGER,
    }
    acct = Account(
        external_id=account.external_id,
        handle=account.handle,
        base_url="",
        credentials=dict(account.credentials),
        settings=dict(account.settings),
    )
    campaigns = await conn_for(sandbox, client, "v23", acct).list_campaigns()
    assert [c.external_id for c in campaigns] == ["22000000301"]
    assert campaigns[0].currency == "USD" and campaigns[0].timezone == "America/New_York"


async def test_reconnecting_still_gets_a_refresh_token(sandbox: Any) -> None:
    await connect(sandbox, "demo")
    (again,) = await connect(sandbox, "demo")  # prompt=consent: Google issues it again
    assert again.credentials["refresh_token"]


@pytest.mark.parametrize("version", ["v22", "v23", "v26"])
async def test_campaigns(sandbox: Any, client: httpx.AsyncClient, version: str) -> None:
    conn = conn_for(sandbox, client, version, demo_account(sandbox))
    names = {
        "22000000101": "Winter Sale",
        "22000000102": "Spring Launch",
        "22000000103": "Autumn Awareness",
        "22000000104": "Brand",
        "22000000105": "Black Friday",
        "22000000106": "Summer Teaser",
    }
    campaigns = {names[c.external_id]: c for c in await conn.list_campaigns()}
    assert set(campaigns) == set(names.values())
    statuses = {name: c.status for name, c in campaigns.items()}
    assert statuses == {
        "Winter Sale": RemoteStatus.ACTIVE,
        "Spring Launch": RemoteStatus.PENDING,
        "Autumn Awareness": RemoteStatus.ENDED,
        "Brand": RemoteStatus.ACTIVE,
        "Black Friday": RemoteStatus.PAUSED,
        "Summer Teaser": RemoteStatus.REMOVED,
    }
    assert campaigns["Brand"].status_raw == "ENABLED (LIMITED)"
    assert not any(c.budget_exhausted for c in campaigns.values())  # BUDGET_CONSTRAINED ≠ spent
    winter = campaigns["Winter Sale"]
    today = datetime.now(BERLIN).date()
    assert winter.starts_at == datetime.combine(
        today - timedelta(days=20), datetime.min.time(), BERLIN
    )
    assert winter.ends_at == datetime.combine(
        today + timedelta(days=11), datetime.min.time(), BERLIN
    )
    assert winter.budget_amount == Decimal("50") and winter.budget_period is BudgetPeriod.DAILY
    assert winter.currency == "EUR" and winter.timezone == "Europe/Berlin"
    assert campaigns["Brand"].ends_at is None
    spring = campaigns["Spring Launch"]
    assert spring.budget_amount == Decimal("1500") and spring.budget_period is BudgetPeriod.LIFETIME
    spring_day = today + timedelta(days=3)
    if gaql.uses_date_time(version):  # hour-level flight, only the newer fields carry the hours
        assert spring.starts_at == datetime.combine(
            spring_day, datetime.min.time(), BERLIN
        ).replace(hour=9)
        assert spring.ends_at == datetime.combine(
            today + timedelta(days=33), datetime.min.time(), BERLIN
        ).replace(hour=18)
    else:
        assert spring.starts_at == datetime.combine(spring_day, datetime.min.time(), BERLIN)
        assert spring.ends_at == datetime.combine(
            today + timedelta(days=34), datetime.min.time(), BERLIN
        )


async def test_both_generations_give_the_same_day_flights(
    sandbox: Any, client: httpx.AsyncClient
) -> None:
    old = await conn_for(sandbox, client, "v22", demo_account(sandbox)).list_campaigns()
    new = await conn_for(sandbox, client, "v23", demo_account(sandbox)).list_campaigns()
    by_id = {c.external_id: c for c in new}
    for campaign in old:
        if campaign.external_id == "22000000102":
            continue  # the one hour-level flight
        twin = by_id[campaign.external_id]
        assert (campaign.starts_at, campaign.ends_at) == (twin.starts_at, twin.ends_at)


async def test_daily_metrics_match_the_sandbox_to_the_micro(
    sandbox: Any, client: httpx.AsyncClient
) -> None:
    acct = demo_account(sandbox)
    conn = conn_for(sandbox, client, "v23", acct)
    today = datetime.now(BERLIN).date()
    # A day with amounts a float would not keep.
    special = today - timedelta(days=2)
    sandbox.control.metrics(
        "googleads",
        "22000000101",
        {
            special.isoformat(): {
                "impressions": 1001,
                "clicks": 37,
                "cost_micros": "12345679",
                "conversions": "3.3333333333",
            }
        },
    )
    campaigns = await conn.list_campaigns()
    ids = [c.external_id for c in campaigns]
    start, end = today - timedelta(days=29), today
    metrics = await conn.daily_metrics(ids, start, end)
    assert metrics and {m.currency for m in metrics} == {"EUR"}
    assert all(start <= m.day <= end for m in metrics)
    row = next(m for m in metrics if m.campaign_external_id == "22000000101" and m.day == special)
    assert (row.impressions, row.clicks) == (1001, 37)
    assert row.spend == Decimal("12.345679")
    assert row.conversions == Decimal("3.3333333333")

    # The same query straight to the emulator: the sum of its cost_micros, to the micro.
    raw = await client.post(
        f"{sandbox.url}/googleads/v23/customers/{DEMO_CUSTOMER}/googleAds:search",
        headers={"Authorization": f"Bearer {acct.credentials['access_token']}"},
        json={"query": gaql.metrics_query(sorted(ids), start, end)},
    )
    assert raw.status_code == 200, raw.text
    served = raw.json().get("results", [])
    assert len(served) == len(metrics)
    micros = sum(int(r["metrics"]["costMicros"]) for r in served)
    assert sum((m.spend for m in metrics), Decimal(0)) == Decimal(micros).scaleb(-6)
    assert sum(m.clicks for m in metrics) == sum(int(r["metrics"].get("clicks", 0)) for r in served)


async def test_paging_through_small_pages(sandbox: Any, client: httpx.AsyncClient) -> None:
    sandbox.control.config("googleads", page_size=2)
    conn = conn_for(sandbox, client, "v23", demo_account(sandbox))
    assert len(await conn.list_campaigns()) == 6
    searches = [
        r for r in sandbox.control.requests("googleads") if r["path"].endswith("googleAds:search")
    ]
    assert len(searches) >= 4  # the customer query, then three pages of campaigns


async def test_an_expired_token_is_refreshed(sandbox: Any, client: httpx.AsyncClient) -> None:
    acct = demo_account(sandbox, expires_in=0)
    acct.credentials["expires_at"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    conn = conn_for(sandbox, client, "v23", acct)
    assert await conn.list_campaigns()
    assert (
        conn.account.credentials["access_token"] != "" and conn.account.credentials["refresh_token"]
    )
    # Without the local expiry the emulator answers OAUTH_TOKEN_EXPIRED → AuthExpired.
    stale = demo_account(sandbox, expires_in=0)
    stale.credentials["expires_at"] = None
    with pytest.raises(tree.AuthExpired) as caught:
        await conn_for(sandbox, client, "v23", stale).list_campaigns()
    assert caught.value.code == "OAUTH_TOKEN_EXPIRED"


async def test_rate_limited_with_retry_delay(sandbox: Any, client: httpx.AsyncClient) -> None:
    sandbox.control.fault("googleads", "rate_limit_burst", seconds=45)
    before = datetime.now(UTC)
    with pytest.raises(tree.RateLimited) as caught:
        await conn_for(sandbox, client, "v23", demo_account(sandbox)).list_campaigns()
    assert caught.value.code == "RESOURCE_EXHAUSTED"
    assert caught.value.retry_at is not None
    assert before + timedelta(seconds=44) <= caught.value.retry_at <= before + timedelta(seconds=48)


async def test_a_cancelled_customer_disconnects(sandbox: Any, client: httpx.AsyncClient) -> None:
    sandbox.control.config("googleads", customers=[{"id": DEMO_CUSTOMER, "status": "CANCELED"}])
    with pytest.raises(tree.Disconnected) as caught:
        await conn_for(sandbox, client, "v23", demo_account(sandbox)).list_campaigns()
    assert caught.value.code == "CUSTOMER_NOT_ENABLED"


def test_metrics_window_uses_customer_days() -> None:
    # segments.date strings are taken as the customer's days, never shifted through UTC.
    assert gaql.metrics_query(["1"], date(2026, 3, 29), date(2026, 3, 29)).count("2026-03-29") == 2
