"""Threads' usage headers read as budget observations, by hand and from the sandbox; its rolling
post and reply caps as data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cuecast import http
from cuecast.networks.base import LimitObservation, LimitScope, Part, PublishRequest
from cuecast.networks.threads import ThreadsConnection, ThreadsNetwork, limits

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def call(headers: dict[str, str], status: int = 200) -> http.CallRecord:
    return http.CallRecord("POST", "graph.threads.net", "/v1.0/9/threads", AT, status, headers)


def test_usage_is_the_accounts() -> None:
    headers = {"x-app-usage": '{"call_count":25,"total_cputime":3,"total_time":4}'}
    assert limits.read(call(headers)) == [
        LimitObservation("app_usage", LimitScope.ACCOUNT, 100, 75)
    ]


def test_a_throttle_reopens_after_metas_estimate_plus_a_minute() -> None:
    entry = {"type": "threads", "call_count": 100, "estimated_time_to_regain_access": 3}
    [seen] = limits.read(call({"x-business-use-case-usage": json.dumps({"9": [entry]})}))
    assert seen.refused and seen.resets_at == AT + timedelta(minutes=4)


def test_a_thread_is_one_post_and_its_replies() -> None:
    caps = {r.name: r for r in limits.RATE_LIMITS}
    assert (caps["posts_24h"].limit, caps["replies_24h"].limit) == (250, 1000)
    assert caps["posts_24h"].units(parts=4) == 1
    assert caps["replies_24h"].units(parts=4) == 3


@pytest.mark.anyio
async def test_the_sandboxs_answers_are_read(
    sandbox: Any, network: ThreadsNetwork, conn: ThreadsConnection
) -> None:
    sandbox.control.config("threads", call_budget=20)
    with http.call_scope("threads", "publish", channel_id=1) as scope:
        await conn.publish(PublishRequest(parts=(Part("Usage, read"),), idempotency_key="k"))
    seen = [o for c in scope.calls for o in network.read_limits(c)]
    assert seen and {o.name for o in seen} == {"app_usage"}
    assert min(o.remaining or 100 for o in seen) < 100
