"""Facebook's usage headers read as budget observations, by hand and from the sandbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cuecast import http
from cuecast.networks.base import LimitObservation, LimitScope, Part, PublishRequest
from cuecast.networks.facebook import FacebookConnection, FacebookNetwork, limits

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def call(headers: dict[str, str], status: int = 200) -> http.CallRecord:
    return http.CallRecord("POST", "graph.facebook.com", "/v25.0/1000/feed", AT, status, headers)


def buc(page_id: str, percent: int, regain: int = 0, kind: str = "pages") -> str:
    entry = {
        "type": kind,
        "call_count": percent,
        "total_cputime": 10,
        "total_time": 10,
        "estimated_time_to_regain_access": regain,
    }
    return json.dumps({page_id: [entry]})


def test_app_and_page_usage_are_read_as_percent_budgets() -> None:
    headers = {
        "x-app-usage": '{"call_count":12,"total_cputime":3,"total_time":4}',
        "x-business-use-case-usage": buc("1000", 40),
    }
    assert limits.read(call(headers)) == [
        LimitObservation("app_usage", LimitScope.APP, 100, 88),
        LimitObservation("page_usage", LimitScope.ACCOUNT, 100, 60),
    ]


def test_the_fuller_of_two_page_reports_counts() -> None:
    headers = {
        "x-page-usage": '{"call_count":70,"total_cputime":3,"total_time":4}',
        "x-business-use-case-usage": buc("1000", 40),
    }
    [page] = limits.read(call(headers))
    assert page.remaining == 30


def test_a_throttle_reopens_when_meta_estimates_plus_a_minute() -> None:
    [page] = limits.read(call({"x-business-use-case-usage": buc("1000", 100, regain=9)}, 400))
    assert page.refused and page.remaining == 0
    assert page.resets_at == AT + timedelta(minutes=10)


def test_other_business_use_cases_are_not_the_pages() -> None:
    headers = {"x-business-use-case-usage": buc("act_1", 90, kind="ads_management")}
    assert limits.read(call(headers)) == []


def test_no_usage_headers_no_observation() -> None:
    assert limits.read(call({})) == []


@pytest.mark.anyio
async def test_the_sandboxs_answers_are_read(
    sandbox: Any, network: FacebookNetwork, conn: FacebookConnection
) -> None:
    sandbox.control.config("facebook", call_budget=10)
    with http.call_scope("facebook", "publish", channel_id=1) as scope:
        await conn.publish(PublishRequest(parts=(Part("Usage, read"),), idempotency_key="k"))
    feed = next(c for c in scope.calls if c.path.endswith("/feed"))
    seen = {o.name: o for o in network.read_limits(feed)}
    page = seen["page_usage"]
    assert page.scope == LimitScope.ACCOUNT and page.limit == 100
    assert page.remaining is not None and 0 < page.remaining < 100  # each call is 10 % here
