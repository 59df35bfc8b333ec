"""X's rate-limit headers read as budget observations (`XNetwork.read_limits`), by hand and from
the sandbox's real answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cuecast import http
from cuecast.networks.base import LimitObservation, LimitScope, Part, PublishRequest
from cuecast.networks.x import XConnection, XNetwork, limits

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RESET = 1_795_000_000  # Unix seconds


def call(method: str, path: str, headers: dict[str, str], status: int = 200) -> http.CallRecord:
    return http.CallRecord(method, "api.x.com", path, AT, status, headers)


def window(prefix: str, limit: int, remaining: int, reset: int = RESET) -> dict[str, str]:
    return {
        f"{prefix}-limit": str(limit),
        f"{prefix}-remaining": str(remaining),
        f"{prefix}-reset": str(reset),
    }


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC) + timedelta(seconds=1)  # whole seconds, +1


def test_a_post_reports_its_window_and_both_days() -> None:
    headers = {
        **window("x-rate-limit", 100, 97),
        **window("x-user-limit-24hour", 17, 3, RESET + 3600),
        **window("x-app-limit-24hour", 1667, 1500, RESET + 7200),
    }
    assert limits.read(call("POST", "/2/tweets", headers, 201)) == [
        LimitObservation("tweets_15min", LimitScope.ACCOUNT, 100, 97, at(RESET)),
        LimitObservation("tweets_24h_user", LimitScope.ACCOUNT, 17, 3, at(RESET + 3600)),
        LimitObservation("tweets_24h_app", LimitScope.APP, 1667, 1500, at(RESET + 7200)),
    ]


def test_a_429_is_laid_on_the_used_up_day_not_on_the_window() -> None:
    headers = {
        **window("x-rate-limit", 100, 60),
        **window("x-user-limit-24hour", 17, 0, RESET + 3600),
        **window("x-app-limit-24hour", 10000, 9000),
    }
    seen = {o.name: o.refused for o in limits.read(call("POST", "/2/tweets", headers, 429))}
    assert seen == {"tweets_15min": False, "tweets_24h_user": True, "tweets_24h_app": False}


def test_a_429_with_days_left_is_the_windows() -> None:
    headers = window("x-rate-limit", 100, 0)
    [seen] = limits.read(call("POST", "/2/tweets", headers, 429))
    assert seen.name == "tweets_15min" and seen.refused and seen.remaining == 0


def test_a_429_without_headers_still_names_the_endpoints_budget() -> None:
    assert limits.read(call("POST", "/2/tweets", {}, 429)) == [
        LimitObservation("tweets_15min", LimitScope.ACCOUNT, refused=True)
    ]


@pytest.mark.parametrize(
    ("method", "path", "budget"),
    [
        ("GET", "/2/users/1849302716458209280/tweets", "timeline_15min"),
        ("GET", "/2/tweets/1849", "lookup_15min"),
        ("GET", "/2/tweets", "lookup_15min"),
        ("POST", "/x/2/tweets", "tweets_15min"),  # the sandbox's prefix
    ],
)
def test_each_endpoint_feeds_its_budget(method: str, path: str, budget: str) -> None:
    [seen] = limits.read(call(method, path, window("x-rate-limit", 900, 899)))
    assert seen.name == budget


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/2/tweets/1849"), ("POST", "/2/media/upload"), ("POST", "/2/oauth2/token")],
)
def test_calls_outside_the_budgets_are_not_read(method: str, path: str) -> None:
    assert limits.read(call(method, path, window("x-rate-limit", 50, 49))) == []


def test_the_descriptor_carries_the_limits_and_the_network_reads_them() -> None:
    from cuecast.networks.x import DESCRIPTOR

    assert DESCRIPTOR.rate_limits == limits.RATE_LIMITS
    assert {r.name for r in DESCRIPTOR.rate_limits} >= {"tweets_15min", "tweets_24h_app"}


@pytest.mark.anyio
async def test_the_sandboxs_answers_are_read_as_it_counts(
    sandbox: Any, network: XNetwork, conn: XConnection
) -> None:
    sandbox.control.config("x", limits={"POST /2/tweets": 7}, tweets_user_24h=40)
    with http.call_scope("x", "publish", channel_id=1) as scope:
        await conn.publish(PublishRequest(parts=(Part("one"), Part("two")), idempotency_key="k"))
    posts = [c for c in scope.calls if c.path.endswith("/2/tweets")]
    assert len(posts) == 2
    last = {o.name: o for o in network.read_limits(posts[-1])}
    assert (last["tweets_15min"].limit, last["tweets_15min"].remaining) == (7, 5)
    assert (last["tweets_24h_user"].limit, last["tweets_24h_user"].remaining) == (40, 38)
    assert last["tweets_24h_app"].scope == LimitScope.APP
    reset = int(posts[-1].limit_headers["x-rate-limit-reset"])
    assert last["tweets_15min"].resets_at == at(reset)
