"""The Meta ads connection over httpx.MockTransport: paths, paging, ad-set fallbacks, Insights
splitting on "too much data", the async report run on timeouts, conversions from `actions`."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from cuecast import config, http
from cuecast.campaigns.sources.base import BudgetPeriod, RemoteStatus
from cuecast.campaigns.sources.meta import MetaAdsConnection, MetaAdsSource, errors
from cuecast.networks import errors as tree
from cuecast.networks.base import Account

pytestmark = pytest.mark.anyio

CFG = dataclasses.replace(
    config.load(),
    facebook_graph_url="https://graph.facebook.test",
    facebook_graph_version="v21.0",
    meta_ads_graph_version="v25.0",
)
ROOT = "/v25.0"
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def account(**settings: Any) -> Account:
    return Account(
        external_id="act_42",
        handle="Demo Ads",
        base_url="",
        credentials={"access_token": "USER-secret"},
        settings={"currency": "EUR", "timezone": "Europe/Berlin", **settings},
    )


class FakeGraph:
    """Just enough of the Marketing API to drive the connection, recording every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.insights_limit_days = 99  # more days than this in one sync call: 100/1487534
        self.sync_timeout = False
        self.polls_needed = 2
        self.polled = 0
        self.rows: list[dict[str, Any]] = []

    def q(self, request: httpx.Request) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["authorization"] == "Bearer USER-secret"
        path, q = request.url.path, self.q(request)
        if path == f"{ROOT}/act_42/campaigns":
            assert q["fields"].split(",") == [
                "id", "name", "status", "effective_status", "start_time", "stop_time",
                "daily_budget", "lifetime_budget",
            ]  # fmt: skip
            if q.get("after") != "page2":
                return httpx.Response(200, json={
                    "data": [{"id": "1", "name": "CBO", "status": "ACTIVE",
                              "effective_status": "ACTIVE", "start_time": "2026-11-01T00:00:00+0100",
                              "stop_time": "2026-12-01T00:00:00+0100", "daily_budget": "5000"}],
                    "paging": {"cursors": {"after": "page2"}, "next": "https://x/next"},
                })  # fmt: skip
            return httpx.Response(200, json={
                "data": [{"id": "2", "name": "Ad-set budgets", "status": "ACTIVE",
                          "effective_status": "ACTIVE", "start_time": "2026-11-10T00:00:00+0100"}],
                "paging": {"cursors": {"after": "end"}},
            })  # fmt: skip
        if path == f"{ROOT}/act_42/adsets":
            return httpx.Response(200, json={"data": [
                {"campaign_id": "2", "effective_status": "ACTIVE", "daily_budget": "1000",
                 "start_time": "2026-11-10T00:00:00+0100", "end_time": "2026-11-30T00:00:00+0100"},
                {"campaign_id": "2", "effective_status": "ACTIVE", "daily_budget": "2550",
                 "start_time": "2026-11-12T00:00:00+0100", "end_time": "2026-12-02T00:00:00+0100"},
            ]})  # fmt: skip
        if path == f"{ROOT}/act_42/insights" and request.method == "GET":
            span = json.loads(q["time_range"])
            days = (date.fromisoformat(span["until"]) - date.fromisoformat(span["since"])).days + 1
            if self.sync_timeout:
                return httpx.Response(400, json={"error": {
                    "message": "timed out", "code": 100, "error_subcode": 1504018}})  # fmt: skip
            if days > self.insights_limit_days:
                return httpx.Response(400, json={"error": {
                    "message": "Please reduce the amount of data", "code": 100,
                    "error_subcode": 1487534}})  # fmt: skip
            return httpx.Response(200, json={"data": self.select(q)})
        if path == f"{ROOT}/act_42/insights" and request.method == "POST":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            assert form["level"] == "campaign" and form["time_increment"] == "1"
            return httpx.Response(200, json={"report_run_id": "777"})
        if path == f"{ROOT}/777":
            self.polled += 1
            done = self.polled > self.polls_needed
            return httpx.Response(200, json={
                "id": "777", "async_status": "Job Completed" if done else "Job Running",
                "async_percent_completion": 100 if done else 50})  # fmt: skip
        if path == f"{ROOT}/777/insights":
            return httpx.Response(200, json={"data": self.rows})
        return httpx.Response(404, json={"error": {"message": "Unknown path", "code": 803}})

    def select(self, q: dict[str, str]) -> list[dict[str, Any]]:
        span = json.loads(q["time_range"])
        wanted = set(json.loads(q["filtering"])[0]["value"])
        since, until = span["since"], span["until"]
        return [
            r for r in self.rows if r["campaign_id"] in wanted and since <= r["date_start"] <= until
        ]


def rows() -> list[dict[str, Any]]:
    return [
        {"campaign_id": "1", "date_start": "2026-11-01", "impressions": "1200", "clicks": "35",
         "spend": "21.40", "actions": [{"action_type": "link_click", "value": "30"},
                                        {"action_type": "purchase", "value": "2"},
                                        {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "2"},
                                        {"action_type": "lead", "value": "1"}]},
        {"campaign_id": "1", "date_start": "2026-11-02", "impressions": "800", "clicks": "10",
         "spend": "0.10"},
        {"campaign_id": "2", "date_start": "2026-11-03", "impressions": "5", "clicks": "0",
         "spend": "0.20", "actions": [{"action_type": "lead", "value": "3"}]},
    ]  # fmt: skip


def connect(fake: FakeGraph, **settings: Any) -> MetaAdsConnection:
    client = http.async_client(transport=httpx.MockTransport(fake))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return MetaAdsConnection(account(**settings), client, CFG, sleep=sleep, clock=lambda: NOW)


async def test_campaigns_follow_paging_and_fall_back_to_adsets() -> None:
    fake = FakeGraph()
    campaigns = await connect(fake).list_campaigns()
    assert [c.external_id for c in campaigns] == ["1", "2"]
    cbo, adset_budget = campaigns
    assert (cbo.budget_amount, cbo.budget_period) == (Decimal("50.00"), BudgetPeriod.DAILY)
    assert cbo.starts_at == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert cbo.ends_at == datetime(2026, 11, 30, 23, tzinfo=UTC)
    assert cbo.status is RemoteStatus.ACTIVE and cbo.currency == "EUR"
    assert (adset_budget.budget_amount, adset_budget.budget_period) == (
        Decimal("35.50"),
        BudgetPeriod.DAILY,
    )
    assert adset_budget.ends_at == datetime(2026, 12, 1, 23, tzinfo=UTC)  # the latest ad set
    assert [r.url.path for r in fake.requests] == [
        f"{ROOT}/act_42/campaigns",
        f"{ROOT}/act_42/campaigns",
        f"{ROOT}/act_42/adsets",
    ]


async def test_daily_metrics_exact_with_default_conversions() -> None:
    fake = FakeGraph()
    fake.rows = rows()
    metrics = await connect(fake).daily_metrics(["1", "2"], date(2026, 11, 1), date(2026, 11, 3))
    assert [(m.campaign_external_id, m.day) for m in metrics] == [
        ("1", date(2026, 11, 1)),
        ("1", date(2026, 11, 2)),
        ("2", date(2026, 11, 3)),
    ]
    first = metrics[0]
    assert (first.impressions, first.clicks, first.spend) == (1200, 35, Decimal("21.40"))
    assert first.conversions == Decimal(3)  # purchase 2 + lead 1; never the pixel duplicate
    assert sum(m.spend for m in metrics) == Decimal("21.70")
    assert all(m.currency == "EUR" for m in metrics)
    query = {k: v[0] for k, v in parse_qs(fake.requests[0].url.query.decode()).items()}
    assert query["level"] == "campaign" and query["time_increment"] == "1"
    assert json.loads(query["time_range"]) == {"since": "2026-11-01", "until": "2026-11-03"}
    assert query["fields"] == "campaign_id,impressions,clicks,spend,actions,date_start"


async def test_conversion_action_types_are_configurable() -> None:
    fake = FakeGraph()
    fake.rows = rows()
    conn = connect(fake, conversion_action_types=["offsite_conversion.fb_pixel_purchase"])
    metrics = await conn.daily_metrics(["1"], date(2026, 11, 1), date(2026, 11, 1))
    assert metrics[0].conversions == Decimal(2)


async def test_too_much_data_halves_the_range_until_it_fits() -> None:
    fake = FakeGraph()
    fake.rows = rows()
    fake.insights_limit_days = 1
    metrics = await connect(fake).daily_metrics(["1", "2"], date(2026, 11, 1), date(2026, 11, 3))
    assert len(metrics) == 3
    assert sum(m.impressions for m in metrics) == 2005
    spans = [
        json.loads(parse_qs(r.url.query.decode())["time_range"][0])
        for r in fake.requests
        if r.url.path.endswith("/insights")
    ]
    assert spans[0] == {"since": "2026-11-01", "until": "2026-11-03"}
    assert {"since": "2026-11-03", "until": "2026-11-03"} in spans


async def test_too_much_data_for_one_campaign_day_is_permanent() -> None:
    fake = FakeGraph()
    fake.insights_limit_days = 0
    with pytest.raises(errors.TooMuchData):
        await connect(fake).daily_metrics(["1"], date(2026, 11, 1), date(2026, 11, 1))


async def test_a_sync_timeout_runs_the_report_asynchronously() -> None:
    fake = FakeGraph()
    fake.rows = rows()
    fake.sync_timeout = True
    metrics = await connect(fake).daily_metrics(["1", "2"], date(2026, 11, 1), date(2026, 11, 3))
    assert len(metrics) == 3
    methods = [(r.method, r.url.path) for r in fake.requests]
    assert methods[:2] == [("GET", f"{ROOT}/act_42/insights"), ("POST", f"{ROOT}/act_42/insights")]
    assert methods[-1] == ("GET", f"{ROOT}/777/insights")
    assert fake.polled == 3


async def test_a_run_that_never_completes_is_transient() -> None:
    fake = FakeGraph()
    fake.sync_timeout = True
    fake.polls_needed = 10_000
    conn = connect(fake)
    conn.poll_delays = (1, 1)
    with pytest.raises(tree.Transient, match="too long"):
        await conn.daily_metrics(["1"], date(2026, 11, 1), date(2026, 11, 1))


async def test_nothing_asked_nothing_fetched() -> None:
    fake = FakeGraph()
    assert await connect(fake).daily_metrics([], date(2026, 11, 1), date(2026, 11, 3)) == []
    assert await connect(fake).daily_metrics(["1"], date(2026, 11, 3), date(2026, 11, 1)) == []
    assert fake.requests == []


async def test_without_a_token_the_account_is_disconnected() -> None:
    fake = FakeGraph()
    conn = connect(fake)
    conn.account.credentials = {}
    with pytest.raises(tree.Disconnected):
        await conn.list_campaigns()
    assert await conn.refresh_credentials() is None


async def test_source_descriptor_and_start_url() -> None:
    source = MetaAdsSource(dataclasses.replace(CFG, facebook_app_id="app", facebook_app_secret="s"))
    assert source.key == "meta" and source.descriptor.name == "Meta Ads"
    start = await source.oauth().start(redirect_uri="https://cuecast.test/cb", server_url="")
    assert "/v25.0/dialog/oauth" in start.url and "scope=ads_read" in start.url
