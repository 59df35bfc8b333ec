"""Publishing against the sandbox: single posts, threads, media, idempotency and reconciliation."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cuecast.networks.base import MediaItem, Part, PublishRequest
from cuecast.networks.errors import (
    Disconnected,
    OutcomeUnknown,
    Permanent,
    RateLimited,
    Transient,
)

from .conftest import connection

pytestmark = pytest.mark.anyio


def _conn(sb: Any, user: str = "demo", **kwargs: Any) -> Any:
    token = sb.control.tokens("mastodon", user, scope="read write")
    return connection(
        f"{sb.url}/mastodon",
        token["access_token"],
        account_id=token["user_id"],
        handle=f"@{user}@sandbox",
        **kwargs,
    )


def _png(path: Path, size: int = 2) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * size for _ in range(size))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(png)
    return path


async def test_single_post(sb: Any) -> None:
    conn = _conn(sb)
    result = await conn.publish(
        PublishRequest(parts=(Part("Hello from Cuecast"),), idempotency_key="t1")
    )
    assert result.part_ids == (result.external_id,)
    assert result.permalink == f"{sb.url}/mastodon/@demo/{result.external_id}"
    received = sb.control.received("mastodon")
    assert [(r["id"], r["text"], r["idempotency_key"]) for r in received] == [
        (result.external_id, "Hello from Cuecast", "t1:0")
    ]
    assert conn.rate_limit is not None and conn.rate_limit.limit == 300
    assert conn.rate_limit.reset_at is not None and conn.rate_limit.reset_at.tzinfo is not None


async def test_thread_is_a_reply_chain(sb: Any) -> None:
    conn = _conn(sb)
    parts = (Part("one"), Part("two"), Part("three"))
    result = await conn.publish(PublishRequest(parts=parts, idempotency_key="thr"))
    received = {r["id"]: r for r in sb.control.received("mastodon")}
    a, b, c = result.part_ids
    assert received[a]["in_reply_to_id"] is None
    assert received[b]["in_reply_to_id"] == a and received[c]["in_reply_to_id"] == b
    assert [received[i]["idempotency_key"] for i in (a, b, c)] == ["thr:0", "thr:1", "thr:2"]


async def test_thread_resumes_after_already_published_parts(sb: Any) -> None:
    conn = _conn(sb)
    first = await conn.publish(PublishRequest(parts=(Part("one"),), idempotency_key="res"))
    result = await conn.publish(
        PublishRequest(
            parts=(Part("one"), Part("two")),
            idempotency_key="res",
            already_published=first.part_ids,
        )
    )
    assert result.external_id == first.external_id
    assert result.permalink == first.permalink
    received = sb.control.received("mastodon")
    assert len(received) == 2 and received[1]["in_reply_to_id"] == first.external_id


async def test_failure_mid_thread_reports_published_parts(sb: Any) -> None:
    conn = _conn(sb)
    sb.control.fault("mastodon", "revoke_token", endpoint="POST /api/v1/statuses", count=1)
    with pytest.raises(Disconnected):
        await conn.publish(PublishRequest(parts=(Part("a"),), idempotency_key="rv"))
    conn = _conn(sb)
    sb.control.config("mastodon", max_characters=10)
    with pytest.raises(Permanent) as caught:
        await conn.publish(
            PublishRequest(parts=(Part("short"), Part("far too long here")), idempotency_key="mid")
        )
    assert len(caught.value.published_part_ids) == 1
    assert "longer than this Mastodon server allows" in caught.value.message


async def test_same_key_twice_returns_the_original(sb: Any) -> None:
    conn = _conn(sb)
    request = PublishRequest(parts=(Part("only once"),), idempotency_key="dup")
    first = await conn.publish(request)
    again = await conn.publish(request)
    assert again.external_id == first.external_id
    assert len(sb.control.received("mastodon")) == 1


async def test_timeout_after_accept_then_reconcile_finds_the_original(sb: Any) -> None:
    conn = _conn(sb, timeout=1.0)
    started = datetime.now(UTC)
    request = PublishRequest(
        parts=(Part("Launch day! https://example.com/launch @friend@other.example"), Part("more")),
        idempotency_key="tmo",
        attempt_started_at=started,
    )
    sb.control.fault(
        "mastodon", "timeout_after_accept", endpoint="POST /api/v1/statuses", seconds=3
    )
    with pytest.raises(OutcomeUnknown) as caught:
        await conn.publish(request)
    assert caught.value.published_part_ids == []
    received = sb.control.received("mastodon")
    assert len(received) == 1  # the first part was created before the timeout

    # Reconcile: the first part is found; the second never went out, so the rest must be sent.
    with pytest.raises(Transient) as partial:
        await _conn(sb).find_published(request)
    assert getattr(partial.value, "published_part_ids", None) == [received[0]["id"]]

    single = PublishRequest(
        parts=request.parts[:1], idempotency_key="tmo", attempt_started_at=started
    )
    found = await _conn(sb).find_published(single)
    assert found is not None and found.external_id == received[0]["id"]
    assert found.permalink.endswith(f"/@demo/{found.external_id}")
    # A retry inside the key's hour is harmless too: Mastodon answers with the original.
    again = await _conn(sb).publish(single)
    assert again.external_id == found.external_id
    assert len(sb.control.received("mastodon")) == 1


async def test_reconcile_returns_none_when_nothing_went_out(sb: Any) -> None:
    conn = _conn(sb)
    await conn.publish(PublishRequest(parts=(Part("something else"),), idempotency_key="x"))
    request = PublishRequest(
        parts=(Part("never sent"),), idempotency_key="y", attempt_started_at=datetime.now(UTC)
    )
    assert await conn.find_published(request) is None
    assert len(sb.control.received("mastodon")) == 1  # the look-up sent nothing


async def test_5xx_on_create_is_outcome_unknown(sb: Any) -> None:
    sb.control.fault("mastodon", "error_5xx", endpoint="POST /api/v1/statuses", status=503)
    with pytest.raises(OutcomeUnknown):
        await _conn(sb).publish(PublishRequest(parts=(Part("x"),), idempotency_key="5xx"))


async def test_rate_limit_burst(sb: Any) -> None:
    sb.control.fault("mastodon", "rate_limit_burst", endpoint="POST /api/v1/statuses")
    with pytest.raises(RateLimited) as caught:
        await _conn(sb).publish(PublishRequest(parts=(Part("x"),), idempotency_key="rl"))
    assert caught.value.retry_at is not None and caught.value.retry_at > datetime.now(UTC)


async def test_image_upload_waits_for_processing(sb: Any, tmp_path: Path) -> None:
    sb.control.config("mastodon", media_sync_threshold=0, media_processing_seconds=1.0)
    conn = _conn(sb)
    conn.media_poll_delays = (0.3,) * 20
    image = _png(tmp_path / "pic.png")
    item = MediaItem(
        path=str(image),
        content_type="image/png",
        size_bytes=image.stat().st_size,
        alt_text="A red square",
    )
    result = await conn.publish(
        PublishRequest(parts=(Part("with a picture", (item,)),), idempotency_key="img")
    )
    calls = [(r["endpoint"], r["status"]) for r in sb.control.requests("mastodon")]
    assert ("POST /api/v2/media", 202) in calls
    assert ("GET /api/v1/media/{id}", 206) in calls and ("GET /api/v1/media/{id}", 200) in calls
    received = sb.control.received("mastodon")
    assert received[0]["id"] == result.external_id and len(received[0]["media_ids"]) == 1
    status = await conn.lookup(result.external_id)
    assert status["media_attachments"][0]["description"] == "A red square"


async def test_delete_and_metrics(sb: Any) -> None:
    conn = _conn(sb)
    result = await conn.publish(PublishRequest(parts=(Part("measure me"),), idempotency_key="m"))
    sb.control.metrics("mastodon", result.external_id, {"favourites_count": 7, "reblogs_count": 2})
    metrics = await conn.fetch_metrics(result.external_id)
    assert metrics["favourites_count"] == 7 and metrics["reblogs_count"] == 2
    assert set(metrics) >= {"replies_count", "reblogs_count", "favourites_count"}
    await conn.delete(result.external_id)
    await conn.delete(result.external_id)  # already gone: still fine
    with pytest.raises(Permanent):
        await conn.fetch_metrics(result.external_id)
    assert await conn.refresh_credentials() is None
