"""Mastodon's X-RateLimit-* headers read as budget observations, by hand and from the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cuecast import http
from cuecast.networks.base import LimitObservation, LimitScope, Part, PublishRequest
from cuecast.networks.mastodon import MastodonNetwork, limits

from .conftest import connection

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HEADERS = {
    "x-ratelimit-limit": "300",
    "x-ratelimit-remaining": "287",
    "x-ratelimit-reset": "2026-11-23T12:05:00.000000Z",
}


def call(method: str, path: str, headers: dict[str, str], status: int = 200) -> http.CallRecord:
    return http.CallRecord(method, "mastodon.example", path, AT, status, headers)


def test_headers_give_the_accounts_five_minutes() -> None:
    assert limits.read(call("POST", "/api/v1/statuses", HEADERS)) == [
        LimitObservation(
            "requests_5min",
            LimitScope.ACCOUNT,
            300,
            287,
            datetime(2026, 11, 23, 12, 5, tzinfo=UTC),
        )
    ]


def test_a_429_is_a_refusal_even_without_headers() -> None:
    [seen] = limits.read(call("POST", "/api/v1/statuses", {}, 429))
    assert seen.refused and seen.name == "requests_5min" and seen.resets_at is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v2/media"), ("GET", "/api/v1/media/12"), ("DELETE", "/api/v1/statuses/9")],
)
def test_calls_under_their_own_tighter_limit_are_not_read_as_the_general_one(
    method: str, path: str
) -> None:
    assert limits.read(call(method, path, {**HEADERS, "x-ratelimit-limit": "30"})) == []


def test_an_answer_without_headers_says_nothing() -> None:
    assert limits.read(call("GET", "/api/v1/statuses/9", {})) == []


@pytest.mark.anyio
async def test_the_sandboxs_answers_are_read(sb: Any) -> None:
    sb.control.config("mastodon", rate_limit=50)
    token = sb.control.tokens("mastodon", "demo")["access_token"]
    conn = connection(f"{sb.url}/mastodon", token)
    try:
        with http.call_scope("mastodon", "publish", channel_id=1) as scope:
            await conn.publish(PublishRequest(parts=(Part("Counting toots"),), idempotency_key="k"))
    finally:
        await conn.http.aclose()
    status = next(c for c in scope.calls if c.path.endswith("/api/v1/statuses"))
    [seen] = MastodonNetwork().read_limits(status)
    assert (seen.limit, seen.remaining) == (50, 50 - len(scope.calls))
    assert seen.resets_at is not None and seen.resets_at.timestamp() % 300 == 0
