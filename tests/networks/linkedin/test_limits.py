"""LinkedIn's bare 429 read as the member's posting day closing until midnight UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cuecast import http
from cuecast.networks import errors
from cuecast.networks.base import LimitObservation, LimitScope, Part, PublishRequest
from cuecast.networks.linkedin import LinkedInConnection, LinkedInNetwork, limits

AT = datetime(2026, 11, 23, 23, 59, 30, tzinfo=UTC)


def call(method: str, path: str, status: int) -> http.CallRecord:
    return http.CallRecord(method, "api.linkedin.com", path, AT, status, {})


def test_a_429_on_publishing_closes_the_day() -> None:
    assert limits.read(call("POST", "/rest/posts", 429)) == [
        LimitObservation(
            "posts_day",
            LimitScope.ACCOUNT,
            resets_at=datetime(2026, 11, 24, tzinfo=UTC),
            refused=True,
        )
    ]
    assert limits.read(call("POST", "/rest/images?action=initializeUpload", 429))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/rest/posts", 201), ("GET", "/rest/posts?q=author", 429)],
)
def test_other_answers_say_nothing(method: str, path: str, status: int) -> None:
    assert limits.read(call(method, path, status)) == []


@pytest.mark.anyio
async def test_the_sandboxs_refusal_is_read(
    sandbox: Any, network: LinkedInNetwork, org_conn: LinkedInConnection
) -> None:
    sandbox.control.fault("linkedin", "rate_limit_burst", endpoint="POST /rest/posts")
    with (
        http.call_scope("linkedin", "publish", channel_id=1) as scope,
        pytest.raises(errors.NetworkError),
    ):
        await org_conn.publish(PublishRequest(parts=(Part("Too many"),), idempotency_key="k"))
    refused = [o for c in scope.calls for o in network.read_limits(c)]
    assert [o.name for o in refused] == ["posts_day"] and refused[0].refused
