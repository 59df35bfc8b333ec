"""Publishing, threads, reconcile, delete, metrics and error mapping against the sandbox (real HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cuecast.networks import errors as tree
from cuecast.networks.base import Part, PublishRequest
from cuecast.networks.x import XConnection

from .conftest import DEMO_ID, DEMO_USER

pytestmark = pytest.mark.anyio


def request(
    *texts: str, already: tuple[str, ...] = (), started: datetime | None = None
) -> PublishRequest:
    return PublishRequest(
        parts=tuple(Part(t) for t in texts),
        idempotency_key="target-1",
        already_published=already,
        attempt_started_at=started,
    )


def received(sandbox: Any) -> list[dict[str, Any]]:
    return sandbox.control.received("x")  # type: ignore[no-any-return]


async def test_publish_single(sandbox: Any, conn: XConnection) -> None:
    result = await conn.publish(request("Hello from Cuecast https://example.com/launch 🚀"))
    posts = received(sandbox)
    assert len(posts) == 1
    assert posts[0]["id"] == result.external_id and posts[0]["user"] == DEMO_USER
    assert result.part_ids == (result.external_id,)
    assert result.permalink == f"{sandbox.url}/x/{DEMO_USER}/status/{result.external_id}"
    info = conn.rate_limits["POST /2/tweets"]
    assert info.window is not None and info.window.remaining is not None
    assert info.user_24h is not None and info.app_24h is not None
    assert conn.last_rate_limit is info


async def test_publish_thread_as_reply_chain(sandbox: Any, conn: XConnection) -> None:
    result = await conn.publish(request("1/3 thread", "2/3 thread", "3/3 thread"))
    posts = received(sandbox)
    assert [p["id"] for p in posts] == list(result.part_ids)
    assert posts[0]["in_reply_to_id"] is None
    assert posts[1]["in_reply_to_id"] == posts[0]["id"]
    assert posts[2]["in_reply_to_id"] == posts[1]["id"]
    assert result.external_id == posts[0]["id"]


async def test_thread_continues_after_already_published(sandbox: Any, conn: XConnection) -> None:
    first = await conn.publish(request("part one"))
    result = await conn.publish(request("part one", "part two", already=first.part_ids))
    posts = received(sandbox)
    assert len(posts) == 2  # part one was not sent again
    assert posts[1]["in_reply_to_id"] == first.external_id
    assert result.part_ids == (first.external_id, posts[1]["id"])


async def test_thread_failure_reports_published_parts(sandbox: Any, conn: XConnection) -> None:
    # X refuses the second part (too long): the first part's id comes back with the error.
    with pytest.raises(tree.Permanent) as caught:
        await conn.publish(request("thread head", "b" * 281, "never sent"))
    posts = received(sandbox)
    assert [p["text"] for p in posts] == ["thread head"]
    assert caught.value.published_part_ids == [posts[0]["id"]]


async def test_thread_5xx_midway_is_outcome_unknown_with_parts(
    sandbox: Any, conn: XConnection
) -> None:
    head = await conn.publish(request("midway head"))
    sandbox.control.fault("x", "error_5xx", endpoint="POST /2/tweets", status=503)
    with pytest.raises(tree.OutcomeUnknown) as caught:
        await conn.publish(request("midway head", "midway tail", already=head.part_ids))
    assert caught.value.published_part_ids == list(head.part_ids)
    assert len(received(sandbox)) == 1


async def test_reconcile_after_timeout_after_accept(sandbox: Any, conn: XConnection) -> None:
    started = datetime.now(UTC)
    text = "Reconcile me: https://example.com/a/long/link?x=1 — café 日本"
    sandbox.control.fault("x", "timeout_after_accept", endpoint="POST /2/tweets", seconds=3)
    with pytest.raises(tree.OutcomeUnknown) as caught:
        await conn.publish(request(text, started=started))
    assert caught.value.published_part_ids == []
    posts = received(sandbox)
    assert len(posts) == 1  # X did create it
    found = await conn.find_published(request(text, started=started))
    assert found is not None and found.external_id == posts[0]["id"]
    assert found.part_ids == (posts[0]["id"],)
    # A different text is not mistaken for it.
    assert await conn.find_published(request("something else", started=started)) is None
    timeline = [
        r for r in sandbox.control.requests("x") if r["endpoint"] == "GET /2/users/{id}/tweets"
    ]
    assert timeline and "start_time=" in timeline[-1]["query"]


async def test_reconcile_finds_thread_prefix(sandbox: Any, conn: XConnection) -> None:
    started = datetime.now(UTC)
    head = await conn.publish(request("prefix head", started=started))
    second = await conn.publish(
        request("prefix head", "prefix middle", "prefix tail", already=head.part_ids)
    )
    await conn.delete(second.part_ids[2])
    found = await conn.find_published(
        request("prefix head", "prefix middle", "prefix tail", started=started)
    )
    assert found is not None and found.part_ids == second.part_ids[:2]


async def test_duplicate_maps_to_duplicate(sandbox: Any, conn: XConnection) -> None:
    await conn.publish(request("same words twice"))
    with pytest.raises(tree.Duplicate) as caught:
        await conn.publish(request("same words twice"))
    assert caught.value.status == 403


async def test_too_long_is_permanent(sandbox: Any, conn: XConnection) -> None:
    with pytest.raises(tree.Permanent) as caught:
        await conn.publish(request("a" * 281))
    assert caught.value.code == "invalid_request" and "too long" in caught.value.message
    assert received(sandbox) == []
    ok = await conn.publish(request("a" * 280))
    assert ok.external_id


async def test_delete(sandbox: Any, conn: XConnection) -> None:
    result = await conn.publish(request("to be deleted"))
    await conn.delete(result.external_id)
    await conn.delete(result.external_id)  # already gone is fine
    with pytest.raises(tree.Permanent) as caught:
        await conn.fetch_metrics(result.external_id)
    assert caught.value.code == "not_found"


async def test_metrics(sandbox: Any, conn: XConnection) -> None:
    result = await conn.publish(request("measure me"))
    sandbox.control.metrics(
        "x",
        result.external_id,
        {"like_count": 7, "retweet_count": 2, "impression_count": 120, "url_link_clicks": 5},
    )
    metrics = await conn.fetch_metrics(result.external_id)
    assert metrics["like_count"] == 7 and metrics["retweet_count"] == 2
    assert metrics["impression_count"] == 120 and metrics["url_link_clicks"] == 5
    assert {"reply_count", "quote_count", "bookmark_count", "user_profile_clicks"} <= set(metrics)


async def test_metrics_of_someone_elses_post_are_public_only(
    sandbox: Any, conn: XConnection, network: Any, client: Any
) -> None:
    from .conftest import account_from_tokens

    other = network.connect(
        account_from_tokens(sandbox.control.tokens("x", "cuecast_other")), client
    )
    theirs = await other.publish(request("not yours"))
    metrics = await conn.fetch_metrics(theirs.external_id)
    assert "like_count" in metrics and "url_link_clicks" not in metrics


@pytest.mark.parametrize(
    ("fault", "expected", "code"),
    [
        ({"kind": "error_5xx", "status": 503}, tree.OutcomeUnknown, "http_503"),
        ({"kind": "rate_limit_burst"}, tree.RateLimited, "rate-limited"),
        ({"kind": "expire_token"}, tree.AuthExpired, "unauthorized"),
        ({"kind": "tier", "tier": "unenrolled"}, tree.AccessTierMissing, "client-not-enrolled"),
        ({"kind": "tier", "tier": "v1_subset"}, tree.AccessTierMissing, "453"),
        ({"kind": "tier", "tier": "usage_capped"}, tree.QuotaExhausted, "usage-capped"),
    ],
)
async def test_create_faults(
    sandbox: Any, conn: XConnection, fault: dict[str, Any], expected: type[Exception], code: str
) -> None:
    spec = dict(fault)
    kind = spec.pop("kind")
    sandbox.control.fault("x", kind, endpoint="POST /2/tweets", **spec)
    with pytest.raises(tree.NetworkError) as caught:
        await conn.publish(request(f"fault {kind}"))
    assert type(caught.value) is expected and caught.value.code == code
    if isinstance(caught.value, tree.RateLimited) and kind == "rate_limit_burst":
        assert caught.value.retry_at is not None and caught.value.retry_at > datetime.now(UTC)
    if kind == "error_5xx":
        assert len(received(sandbox)) == 0  # a 5xx here did create nothing, yet we cannot know


async def test_read_5xx_is_transient(sandbox: Any, conn: XConnection) -> None:
    result = await conn.publish(request("read me"))
    sandbox.control.fault("x", "error_5xx", endpoint="GET /2/tweets/{id}", status=502)
    with pytest.raises(tree.Transient):
        await conn.fetch_metrics(result.external_id)


async def test_expired_token_refresh_then_retry(sandbox: Any, conn: XConnection) -> None:
    sandbox.control.fault("x", "expire_token", endpoint="POST /2/tweets")
    with pytest.raises(tree.AuthExpired):
        await conn.publish(request("after refresh"))
    assert received(sandbox) == []
    await conn.refresh_credentials()
    result = await conn.publish(request("after refresh"))
    assert [p["id"] for p in received(sandbox)] == [result.external_id]


async def test_revoked_token_disconnects(sandbox: Any, conn: XConnection) -> None:
    sandbox.control.fault("x", "revoke_token", endpoint="POST /2/tweets")
    with pytest.raises(tree.AuthExpired):
        await conn.publish(request("revoked"))
    with pytest.raises(tree.Disconnected):
        await conn.refresh_credentials()


def test_demo_id_is_the_seeded_user() -> None:
    assert DEMO_ID == "1849302716458209280"
