"""The Microsoft Advertising source against the sandbox emulator over real HTTP: connect, campaigns
of every type with their dates, the report flow with exact sums, faults."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from cuecast import config, http
from cuecast.campaigns.sources.base import RemoteStatus
from cuecast.campaigns.sources.microsoft import MicrosoftAdsConnection, build, reports
from cuecast.networks import errors as tree
from cuecast.networks.base import Account, ClientStore, ConnectedAccount

pytestmark = pytest.mark.anyio
NO_STORE = cast(ClientStore, None)  # one Microsoft app for everyone: no per-server clients
CALLBACK = "http://127.0.0.1:8000/campaigns/microsoft/callback"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def ms_config(base: str) -> config.Config:
    return dataclasses.replace(
        config.load(),
        microsoft_ads_oauth_url=f"{base}/msads/oauth",
        microsoft_ads_campaign_url=f"{base}/msads/campaign",
        microsoft_ads_reporting_url=f"{base}/msads/reporting",
        microsoft_ads_client_id="cuecast-sandbox",
        microsoft_ads_client_secret="cuecast-sandbox-secret",
        microsoft_ads_developer_token="cuecast-sandbox-developer-token",
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


def consent(sandbox: Any, url: str, user: str = "demo") -> dict[str, str]:
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


async def connect_all(sandbox: Any, user: str = "demo") -> list[ConnectedAccount]:
    flow = build(ms_config(sandbox.url)).oauth()
    start = await flow.start(redirect_uri=CALLBACK, server_url="", clients=NO_STORE)
    query = consent(sandbox, start.url, user)
    assert query["state"] == start.state
    return await flow.finish_all(
        code=query["code"], redirect_uri=CALLBACK, session_data=start.session_data
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with http.async_client() as c:
        yield c


def fast(conn: MicrosoftAdsConnection) -> MicrosoftAdsConnection:
    async def no_sleep(seconds: float) -> None:
        return None

    conn.sleep = no_sleep
    conn.poll_plan = reports.PollPlan(first_delay=0.01, max_delay=0.01, max_wait=0.5)
    return conn


async def connection(
    sandbox: Any, client: httpx.AsyncClient, account_id: str = "180000001"
) -> MicrosoftAdsConnection:
    accounts = {a.external_id: a for a in await connect_all(sandbox)}
    chosen = accounts[account_id]
    account = Account(
        external_id=chosen.external_id,
        handle=chosen.handle,
        base_url="",
        credentials=dict(chosen.credentials),
        settings=dict(chosen.settings),
    )
    return fast(build(ms_config(sandbox.url)).connect(account, client))


async def test_finish_all_yields_each_ad_account_of_the_user(sandbox: Any) -> None:
    accounts = await connect_all(sandbox)
    by_id = {a.external_id: a for a in accounts}
    assert set(by_id) == {"180000001", "180000002"}  # not the other customer's account
    de, us = by_id["180000001"], by_id["180000002"]
    assert de.settings["customer_id"] == "251000001"
    assert (de.settings["currency"], de.settings["timezone"]) == ("EUR", "Europe/Berlin")
    assert (us.settings["currency"], us.settings["timezone"]) == ("USD", "America/New_York")
    assert de.handle == "F1A2B3C4" and de.display_name == "Cuecast Demo DE"
    assert de.credentials["refresh_token"] and de.token_expires_at is not None


async def test_campaigns_of_every_type_with_dates(sandbox: Any, client: httpx.AsyncClient) -> None:
    conn = await connection(sandbox, client)
    found = {c.external_id: c for c in await conn.list_campaigns()}
    assert set(found) == {"510000001", "510000002", "510000003", "510000004", "510000005"}
    today = datetime.now(BERLIN).date()
    search = found["510000001"]
    assert search.starts_at == datetime.combine(
        today - timedelta(days=14), datetime.min.time(), BERLIN
    )
    assert search.ends_at == datetime.combine(
        today + timedelta(days=17), datetime.min.time(), BERLIN
    )
    assert search.status is RemoteStatus.ACTIVE and search.budget_amount == Decimal("50.00")
    shopping = found["510000002"]  # no campaign-level dates: its ad groups' span
    assert shopping.starts_at == datetime.combine(
        today - timedelta(days=7), datetime.min.time(), BERLIN
    )
    assert shopping.ends_at == datetime.combine(
        today + timedelta(days=31), datetime.min.time(), BERLIN
    )
    assert found["510000003"].ends_at is None
    assert found["510000004"].status is RemoteStatus.PAUSED
    brand = found["510000005"]
    assert (brand.status, brand.budget_exhausted) == (RemoteStatus.ACTIVE, True)
    assert all(c.currency == "EUR" and c.timezone == "Europe/Berlin" for c in found.values())


async def test_daily_metrics_match_the_sandbox_to_the_cent(
    sandbox: Any, client: httpx.AsyncClient
) -> None:
    conn = await connection(sandbox, client)
    today = datetime.now(BERLIN).date()
    start, end = today - timedelta(days=7), today - timedelta(days=1)
    rows = await conn.daily_metrics(["510000001", "510000005"], start, end)
    assert rows, "the sandbox seeds daily metrics for active campaigns"
    assert {r.campaign_external_id for r in rows} <= {"510000001", "510000005"}
    assert all(start <= r.day <= end and r.currency == "EUR" for r in rows)
    expected = served(sandbox, ["510000001", "510000005"], start, end)
    assert {(r.campaign_external_id, r.day): r.spend for r in rows} == expected
    assert sum(r.spend for r in rows) == sum(expected.values())


def served(
    sandbox: Any, campaign_ids: list[str], start: date, end: date
) -> dict[tuple[str, date], Decimal]:
    """What the emulator holds, read from its state (the same process in tests)."""
    state = sandbox.state.net("msads", object)
    return {
        (cid, day): row.spend.quantize(Decimal("0.01"))
        for (cid, day), row in state.metrics.items()
        if cid in campaign_ids and start <= day <= end
    }


async def test_no_rows_means_no_metrics(sandbox: Any, client: httpx.AsyncClient) -> None:
    conn = await connection(sandbox, client)
    rows = await conn.daily_metrics(["510000004"], date(2020, 1, 1), date(2020, 1, 3))
    assert rows == []


async def test_expired_access_token_then_refresh(sandbox: Any, client: httpx.AsyncClient) -> None:
    conn = await connection(sandbox, client)
    old_refresh = conn.account.credentials["refresh_token"]
    conn.account.credentials["access_token"] = "not-a-token"
    with pytest.raises(tree.Disconnected):
        await conn.list_campaigns()
    credentials = await conn.refresh_credentials()
    assert credentials is not None and credentials["refresh_token"] != old_refresh
    assert await conn.list_campaigns()
