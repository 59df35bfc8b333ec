"""LinkedIn's bare 429 read as a refusal of the member's posting; the budget decides how long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cuecast import http
from cuecast.networks import errors
from cuecast.networks.base import LimitObservation, LimitScope, Part, PublishRequest
from cuecast.networks.linkedin import LinkedInConnection, LinkedInNetwork, limits

AT = datetime(2026, 11, 23, 23, 59, 30, tzinfo=UTC)


def call(method: str, path: str, status: int) -> http.CallRecord:
    return http.CallRecord(method, "api.linkedin.com", path, AT, status, {})


def test_a_429_on_publishing_is_a_refusal_that_names_no_reset() -> None:
    # A bare 429 may be a short burst's throttle: the budget decides how long (ADR 0006).
    assert limits.read(call("POST", "/rest/posts", 429)) == [
        LimitObservation("posts_day", LimitScope.ACCOUNT, refused=True)
    ]
    assert limits.read(call("POST", "/rest/images?action=initializeUpload", 429))


def test_a_429_with_retry_after_reopens_then() -> None:
    refused = http.CallRecord("POST", "api.linkedin.com", "/rest/posts", AT, 429)
    refused.limit_headers = {"retry-after": "120"}
    [seen] = limits.read(refused)
    assert seen.resets_at == AT + timedelta(seconds=120) and seen.refused


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
