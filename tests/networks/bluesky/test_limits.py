"""Bluesky's ratelimit-* headers read as budget observations, by hand and from the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cuecast import http
from cuecast.networks.base import LimitObservation, LimitScope, Part, PublishRequest
from cuecast.networks.bluesky import BlueskyConnection, BlueskyNetwork, limits

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RESET = 1_795_000_000


def call(headers: dict[str, str], status: int = 200) -> http.CallRecord:
    path = "/xrpc/com.atproto.repo.createRecord"
    return http.CallRecord("POST", "pds.example", path, AT, status, headers)


def headers(limit: int, remaining: int, window: int) -> dict[str, str]:
    return {
        "ratelimit-limit": str(limit),
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": str(RESET),
        "ratelimit-policy": f"{limit};w={window}",
    }


@pytest.mark.parametrize(
    ("window", "budget", "scope"),
    [
        (3600, "write_points_hour", LimitScope.ACCOUNT),
        (86400, "write_points_day", LimitScope.ACCOUNT),
        (300, "requests_5min", LimitScope.APP),
    ],
)
def test_the_policys_window_names_the_budget(window: int, budget: str, scope: LimitScope) -> None:
    reset = datetime.fromtimestamp(RESET, UTC) + timedelta(seconds=1)
    assert limits.read(call(headers(5000, 4997, window))) == [
        LimitObservation(budget, scope, 5000, 4997, reset)
    ]


def test_a_429_names_its_window() -> None:
    [seen] = limits.read(call(headers(35000, 0, 86400), status=429))
    assert seen.name == "write_points_day" and seen.refused


def test_a_bare_429_is_laid_on_the_accounts_hour() -> None:
    assert limits.read(call({}, status=429)) == [
        LimitObservation("write_points_hour", LimitScope.ACCOUNT, refused=True)
    ]


def test_an_unknown_window_is_not_guessed() -> None:
    assert limits.read(call(headers(30, 29, 60))) == []


def test_a_post_costs_three_points_per_part() -> None:
    hour = next(r for r in limits.RATE_LIMITS if r.name == "write_points_hour")
    assert hour.units(parts=3) == 9


@pytest.mark.anyio
async def test_the_sandboxs_answers_are_read(
    sandbox: Any, network: BlueskyNetwork, conn: BlueskyConnection
) -> None:
    sandbox.control.config("bluesky", write_points_hour=12, global_limit=100000)
    with http.call_scope("bluesky", "publish", channel_id=1) as scope:
        await conn.publish(PublishRequest(parts=(Part("Points, counted"),), idempotency_key="k"))
    create = next(c for c in scope.calls if c.path.endswith("com.atproto.repo.createRecord"))
    [seen] = network.read_limits(create)
    assert (seen.name, seen.limit, seen.remaining) == ("write_points_hour", 12, 9)
    assert seen.resets_at is not None and seen.resets_at > datetime.now(UTC)
