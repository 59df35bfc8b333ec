"""Publishing against the sandbox PDS over real HTTP: posts, threads, images, facets, record keys,
reconciliation, errors, delete, metrics."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cuecast.networks.base import MediaItem, Part, PublishRequest
from cuecast.networks.bluesky import BlueskyConnection, tid
from cuecast.networks.errors import (
    AuthExpired,
    Disconnected,
    OutcomeUnknown,
    Permanent,
    RateLimited,
)

from .conftest import DEMO_HANDLE, account_from_tokens

pytestmark = pytest.mark.anyio

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


def recorder(conn: BlueskyConnection) -> list[dict[str, Any]]:
    saved: list[dict[str, Any]] = []

    async def sink(progress: dict[str, Any]) -> None:
        saved.append(progress)

    conn.progress_sink = sink
    return saved


async def test_single_post(sandbox: Any, conn: BlueskyConnection) -> None:
    saved = recorder(conn)
    result = await conn.publish(
        PublishRequest(parts=(Part("Hello from Cuecast"),), idempotency_key="t1")
    )
    [item] = sandbox.control.received("bluesky")
    assert item["text"] == "Hello from Cuecast" and item["id"] == result.external_id
    rkey = saved[0]["rkeys"][0]
    assert tid.is_valid(rkey) and result.external_id.endswith(f"/app.bsky.feed.post/{rkey}")
    assert result.permalink == f"{sandbox.url}/bluesky/profile/{DEMO_HANDLE}/post/{rkey}"
    assert item["extra"]["createdAt"].endswith("Z")
    assert conn.last_rate_limit is not None


async def test_thread_is_a_reply_chain(sandbox: Any, conn: BlueskyConnection) -> None:
    result = await conn.publish(
        PublishRequest(parts=(Part("one"), Part("two"), Part("three")), idempotency_key="thr")
    )
    received = {r["id"]: r for r in sandbox.control.received("bluesky")}
    a, b, c = result.part_ids
    assert received[a]["extra"]["reply"] is None
    for child, parent in ((b, a), (c, b)):
        reply = received[child]["extra"]["reply"]
        assert reply["root"]["uri"] == a and reply["parent"]["uri"] == parent
        assert reply["parent"]["cid"] == received[parent]["extra"]["cid"]


async def test_thread_resumes_after_already_published_parts(
    sandbox: Any, conn: BlueskyConnection
) -> None:
    first = await conn.publish(PublishRequest(parts=(Part("one"),), idempotency_key="res"))
    result = await conn.publish(
        PublishRequest(
            parts=(Part("one"), Part("two")),
            idempotency_key="res",
            already_published=first.part_ids,
        )
    )
    assert result.external_id == first.external_id
    received = sandbox.control.received("bluesky")
    assert len(received) == 2
    assert received[1]["extra"]["reply"]["root"]["uri"] == first.external_id


async def test_image_post(sandbox: Any, conn: BlueskyConnection, tmp_path: Path) -> None:
    path = tmp_path / "pixel.png"
    path.write_bytes(PNG)
    media = MediaItem(
        path=str(path),
        content_type="image/png",
        size_bytes=len(PNG),
        alt_text="Two by two pixels",
        width=2,
        height=2,
    )
    await conn.publish(PublishRequest(parts=(Part("A picture", (media,)),), idempotency_key="img"))
    [item] = sandbox.control.received("bluesky")
    embed = item["extra"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    [image] = embed["images"]
    assert image["alt"] == "Two by two pixels"
    assert image["aspectRatio"] == {"width": 2, "height": 2}
    assert image["image"]["mimeType"] == "image/png" and image["image"]["size"] == len(PNG)


async def test_facets_resolve_mentions(sandbox: Any, conn: BlueskyConnection) -> None:
    text = "Hi @other.bsky.sandbox and @nobody.example, see https://example.com #cuecast"
    await conn.publish(PublishRequest(parts=(Part(text),), idempotency_key="fct"))
    [item] = sandbox.control.received("bluesky")
    facets = item["extra"]["facets"]
    encoded = text.encode()
    spans = {
        f["features"][0]["$type"].split("#")[1]: encoded[
            f["index"]["byteStart"] : f["index"]["byteEnd"]
        ].decode()
        for f in facets
    }
    assert spans == {
        "mention": "@other.bsky.sandbox",
        "link": "https://example.com",
        "tag": "#cuecast",
    }
    mention = next(f for f in facets if "mention" in f["features"][0]["$type"])
    assert mention["features"][0]["did"] == "did:plc:cuecastother5sandbox2bsky"


async def test_retry_with_recorded_key_does_not_post_twice(
    sandbox: Any, conn: BlueskyConnection
) -> None:
    saved = recorder(conn)
    request = PublishRequest(parts=(Part("only once"),), idempotency_key="dup")
    first = await conn.publish(request)
    again = await conn.publish(
        PublishRequest(parts=request.parts, idempotency_key="dup", progress=saved[0])
    )
    assert again.external_id == first.external_id
    assert len(sandbox.control.received("bluesky")) == 1


@pytest.mark.parametrize("mode", ["internal_error", "invalid_request"])
async def test_taken_key_on_create_is_read_back(
    sandbox: Any, conn: BlueskyConnection, mode: str
) -> None:
    """createRecord with a key that exists (500 on the reference PDS): the post is found."""
    sandbox.control.config("bluesky", duplicate_rkey=mode)
    saved = recorder(conn)
    first = await conn.publish(PublishRequest(parts=(Part("taken"),), idempotency_key="tk"))
    part = Part("taken")
    ref = await conn._publish_part(
        part, saved[0]["rkeys"][0], root=None, parent=None, maybe_exists=False
    )
    assert ref.uri == first.external_id
    assert len(sandbox.control.received("bluesky")) == 1


async def test_timeout_after_accept_then_reconcile(sandbox: Any, conn: BlueskyConnection) -> None:
    saved = recorder(conn)
    sandbox.control.fault(
        "bluesky",
        "timeout_after_accept",
        endpoint="POST /xrpc/com.atproto.repo.createRecord",
        seconds=3,
    )
    request = PublishRequest(
        parts=(Part("slow"),), idempotency_key="slow", attempt_started_at=datetime.now(UTC)
    )
    with pytest.raises(OutcomeUnknown):
        await conn.publish(request)
    progress = saved[0]
    found = await conn.find_published(
        PublishRequest(parts=request.parts, idempotency_key="slow", progress=progress)
    )
    assert found is not None
    assert len(sandbox.control.received("bluesky")) == 1
    # and a retry of the publish itself returns the same post without a second create
    again = await conn.publish(
        PublishRequest(parts=request.parts, idempotency_key="slow", progress=progress)
    )
    assert again.external_id == found.external_id
    assert len(sandbox.control.received("bluesky")) == 1


async def test_5xx_before_accept_is_outcome_unknown_then_absent(
    sandbox: Any, conn: BlueskyConnection
) -> None:
    saved = recorder(conn)
    sandbox.control.fault(
        "bluesky", "error_5xx", endpoint="POST /xrpc/com.atproto.repo.createRecord", status=503
    )
    request = PublishRequest(parts=(Part("five"),), idempotency_key="5xx")
    with pytest.raises(OutcomeUnknown):
        await conn.publish(request)
    lookup = PublishRequest(parts=request.parts, idempotency_key="5xx", progress=saved[0])
    assert await conn.find_published(lookup) is None
    assert sandbox.control.received("bluesky") == []


async def test_find_published_without_recorded_keys_is_none(conn: BlueskyConnection) -> None:
    assert (
        await conn.find_published(PublishRequest(parts=(Part("x"),), idempotency_key="n")) is None
    )


async def test_expired_token_refresh_then_publish(sandbox: Any, conn: BlueskyConnection) -> None:
    old = dict(conn.account.credentials)
    sandbox.control.fault("bluesky", "expire_token", user=DEMO_HANDLE)
    with pytest.raises(AuthExpired):
        await conn.publish(PublishRequest(parts=(Part("later"),), idempotency_key="exp"))
    fresh = await conn.refresh_credentials()
    assert fresh is not None and fresh["refreshJwt"] != old["refreshJwt"]
    assert conn.account.credentials == fresh
    await conn.publish(PublishRequest(parts=(Part("later"),), idempotency_key="exp"))
    assert len(sandbox.control.received("bluesky")) == 1


async def test_used_refresh_token_is_refused(
    sandbox: Any, conn: BlueskyConnection, network: Any, client: Any, tokens: dict[str, Any]
) -> None:
    await conn.refresh_credentials()
    stale = network.connect(account_from_tokens(tokens, sandbox.url), client)
    with pytest.raises(Disconnected) as caught:
        await stale.refresh_credentials()
    assert "Connect the Bluesky account again" in caught.value.message


async def test_revoked_session_disconnects(sandbox: Any, conn: BlueskyConnection) -> None:
    sandbox.control.fault("bluesky", "revoke_token", user=DEMO_HANDLE)
    with pytest.raises((AuthExpired, Disconnected)):
        await conn.publish(PublishRequest(parts=(Part("nope"),), idempotency_key="rv"))
    with pytest.raises(Disconnected):
        await conn.refresh_credentials()
    assert sandbox.control.received("bluesky") == []


async def test_rate_limited_names_the_reset(sandbox: Any, conn: BlueskyConnection) -> None:
    sandbox.control.fault("bluesky", "rate_limit_burst")
    with pytest.raises(RateLimited) as caught:
        await conn.publish(PublishRequest(parts=(Part("busy"),), idempotency_key="rl"))
    assert caught.value.retry_at is not None


async def test_too_long_is_refused_before_sending(sandbox: Any, conn: BlueskyConnection) -> None:
    with pytest.raises(Permanent) as caught:
        await conn.publish(PublishRequest(parts=(Part("a" * 301),), idempotency_key="long"))
    assert "Bluesky allows 300" in caught.value.message
    assert sandbox.control.requests("bluesky") == []


async def test_delete_then_lookup_is_none(sandbox: Any, conn: BlueskyConnection) -> None:
    saved = recorder(conn)
    request = PublishRequest(parts=(Part("bye"),), idempotency_key="del")
    result = await conn.publish(request)
    await conn.delete(result.external_id)
    await conn.delete(result.external_id)  # already gone: still fine
    lookup = PublishRequest(parts=request.parts, idempotency_key="del", progress=saved[0])
    assert await conn.find_published(lookup) is None
    with pytest.raises(Permanent):
        await conn.fetch_metrics(result.external_id)


async def test_metrics(sandbox: Any, conn: BlueskyConnection) -> None:
    result = await conn.publish(PublishRequest(parts=(Part("count me"),), idempotency_key="m"))
    sandbox.control.metrics(
        "bluesky", result.external_id, {"likeCount": 7, "repostCount": 2, "quoteCount": 1}
    )
    metrics = await conn.fetch_metrics(result.external_id)
    assert metrics["likeCount"] == 7 and metrics["repostCount"] == 2
    assert metrics["quoteCount"] == 1 and metrics["replyCount"] == 0
