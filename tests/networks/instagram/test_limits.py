"""Instagram's usage headers read as budget observations, by hand and from the sandbox; its
rolling publishing cap as data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cuecast import http
from cuecast.networks.base import LimitKind, LimitObservation, LimitScope, WindowKind
from cuecast.networks.instagram import InstagramConnection, InstagramNetwork, limits

from .test_publish import jpeg, request

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def call(headers: dict[str, str], status: int = 200) -> http.CallRecord:
    return http.CallRecord("POST", "graph.facebook.com", "/v25.0/178/media", AT, status, headers)


def test_the_instagram_business_use_case_is_the_accounts_usage() -> None:
    entry = {"type": "instagram", "call_count": 35, "total_cputime": 5, "total_time": 5}
    headers = {"x-business-use-case-usage": json.dumps({"178": [entry]})}
    assert limits.read(call(headers)) == [
        LimitObservation("account_usage", LimitScope.ACCOUNT, 100, 65)
    ]


def test_a_throttled_account_reopens_after_metas_estimate() -> None:
    entry = {
        "type": "instagram",
        "call_count": 100,
        "total_cputime": 5,
        "total_time": 5,
        "estimated_time_to_regain_access": 4,
    }
    [seen] = limits.read(call({"x-business-use-case-usage": json.dumps({"178": [entry]})}))
    assert seen.refused and seen.resets_at == AT + timedelta(minutes=5)


def test_fifty_posts_in_any_24_hours_is_a_rolling_cap() -> None:
    cap = next(r for r in limits.RATE_LIMITS if r.name == "posts_24h")
    assert (cap.limit, cap.kind, cap.window_kind) == (50, LimitKind.CAP, WindowKind.ROLLING)
    assert cap.units(parts=1) == 1 and not cap.reported


@pytest.mark.anyio
async def test_the_sandboxs_answers_are_read(
    igsandbox: Any, network: InstagramNetwork, conn: InstagramConnection
) -> None:
    igsandbox.control.config("facebook", call_budget=20)
    with http.call_scope("instagram", "publish", channel_id=1) as scope:
        await conn.publish(request("A counted photo", jpeg(igsandbox)))
    seen = [o for c in scope.calls for o in network.read_limits(c)]
    account = [o for o in seen if o.name == "account_usage"]
    assert account and all(o.scope == LimitScope.ACCOUNT for o in account)
    assert min(o.remaining or 100 for o in account) < 100
