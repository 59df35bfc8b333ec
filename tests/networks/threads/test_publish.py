"""Publishing against the Threads emulator over real HTTP: text, thread, image, carousel, the
publishing cap, container reuse, reconciliation after a lost answer, delete and insights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cuecast.networks import errors as tree
from cuecast.networks.base import MediaItem, Part, PublishRequest
from cuecast.networks.threads import ThreadsConnection

from .conftest import DEMO_USER

pytestmark = pytest.mark.anyio


class Progress:
    """What the dispatcher does with record_progress: merge by top-level key."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    async def __call__(self, progress: dict[str, Any]) -> None:
        self.data = {**self.data, **progress}


def image(sandbox: Any, name: str = "pixel.png", alt: str = "") -> MediaItem:
    kind = "image/png" if name.endswith(".png") else "image/jpeg"
    return MediaItem(
        path="/dev/null",
        content_type=kind,
        size_bytes=72,
        alt_text=alt,
        url=f"{sandbox.url}/threads/_files/{name}",
    )


def request(*parts: Part, **kwargs: Any) -> PublishRequest:
    return PublishRequest(parts=parts, idempotency_key="key-1", **kwargs)


async def test_text_post(sandbox: Any, conn: ThreadsConnection) -> None:
    sink = Progress()
    conn.progress_sink = sink
    result = await conn.publish(request(Part("Hello from Cuecast 👋")))
    [post] = sandbox.control.received("threads")
    assert post["id"] == result.external_id and post["text"] == "Hello from Cuecast 👋"
    assert result.permalink.startswith("https://www.threads.net/@cuecast_demo/post/")
    assert result.part_ids == (result.external_id,)
    # The container was recorded before it was published.
    assert sink.data["containers"]["0"] == post["extra"]["container_id"]


async def test_thread_is_a_reply_chain(sandbox: Any, conn: ThreadsConnection) -> None:
    sink = Progress()
    conn.progress_sink = sink
    result = await conn.publish(request(Part("one"), Part("two"), Part("three")))
    posts = sandbox.control.received("threads")
    assert [p["text"] for p in posts] == ["one", "two", "three"]
    assert [p["in_reply_to_id"] for p in posts] == [None, *result.part_ids[:2]]
    assert set(sink.data["containers"]) == {"0", "1", "2"}


async def test_a_retry_skips_published_parts(sandbox: Any, conn: ThreadsConnection) -> None:
    first = await conn.publish(request(Part("one")))
    result = await conn.publish(
        request(Part("one"), Part("two"), already_published=(first.external_id,))
    )
    posts = sandbox.control.received("threads")
    assert [p["text"] for p in posts] == ["one", "two"]
    assert posts[1]["in_reply_to_id"] == first.external_id
    assert result.part_ids == (first.external_id, posts[1]["id"])


async def test_image_post_with_alt_text(sandbox: Any, conn: ThreadsConnection) -> None:
    await conn.publish(request(Part("A picture", (image(sandbox, alt="Two pixels"),))))
    [post] = sandbox.control.received("threads")
    assert post["extra"]["media_type"] == "IMAGE"
    assert post["extra"]["media_urls"] == [f"{sandbox.url}/threads/_files/pixel.png"]


async def test_carousel(sandbox: Any, conn: ThreadsConnection) -> None:
    items = (image(sandbox, "a.png"), image(sandbox, "b.jpg"))
    await conn.publish(request(Part("Two pictures", items)))
    [post] = sandbox.control.received("threads")
    assert post["extra"]["media_type"] == "CAROUSEL_ALBUM" and len(post["media_ids"]) == 2


async def test_an_unfetchable_image_fails_with_a_sentence(
    sandbox: Any, conn: ThreadsConnection
) -> None:
    with pytest.raises(tree.Permanent) as caught:
        await conn.publish(request(Part("x", (image(sandbox, "missing.png"),))))
    assert "CUECAST_PUBLIC_URL" in caught.value.message
    assert sandbox.control.received("threads") == []


async def test_without_a_public_address_nothing_is_sent(
    sandbox: Any, conn: ThreadsConnection
) -> None:
    item = MediaItem(path="/dev/null", content_type="image/png", size_bytes=1, url="")
    with pytest.raises(tree.Permanent) as caught:
        await conn.publish(request(Part("x", (item,))))
    assert "CUECAST_PUBLIC_URL" in caught.value.message
    assert sandbox.control.requests("threads") == []


async def test_more_than_five_links_is_refused_before_anything_is_created(
    sandbox: Any, conn: ThreadsConnection
) -> None:
    text = " ".join(f"https://example.com/{i}" for i in range(6))
    with pytest.raises(tree.Permanent) as caught:
        await conn.publish(request(Part(text)))
    assert caught.value.code == "link-limit"
    assert sandbox.control.requests("threads") == []


async def test_a_used_up_cap_holds_before_creating_anything(
    sandbox: Any, conn: ThreadsConnection
) -> None:
    sandbox.control.config("threads", exhaust_quota={"user": DEMO_USER, "kind": "posts"})
    with pytest.raises(tree.QuotaExhausted) as caught:
        await conn.publish(request(Part("held")))
    assert caught.value.retry_at is not None
    assert caught.value.retry_at > datetime.now(UTC) + timedelta(hours=23)
    assert not any(r["method"] == "POST" for r in sandbox.control.requests("threads"))


async def test_the_cap_reopens_when_the_oldest_post_leaves_the_window(
    sandbox: Any, conn: ThreadsConnection
) -> None:
    await conn.publish(request(Part("an early post")))
    sandbox.control.config("threads", quota_total=1)
    with pytest.raises(tree.QuotaExhausted) as caught:
        await conn.publish(request(Part("held")))
    assert caught.value.retry_at is not None
    assert caught.value.retry_at < datetime.now(UTC) + timedelta(hours=24, minutes=2)


async def test_the_reply_cap_holds_a_thread(sandbox: Any, conn: ThreadsConnection) -> None:
    sandbox.control.config("threads", exhaust_quota={"user": DEMO_USER, "kind": "replies"})
    with pytest.raises(tree.QuotaExhausted) as caught:
        await conn.publish(request(Part("one"), Part("two")))
    assert caught.value.code == "reply_limit"
    assert sandbox.control.received("threads") == []


async def test_a_retry_reuses_the_recorded_container(sandbox: Any, conn: ThreadsConnection) -> None:
    sandbox.control.fault("threads", "error_5xx", endpoint="POST /{version}/{id}/threads_publish")
    sink = Progress()
    conn.progress_sink = sink
    with pytest.raises(tree.OutcomeUnknown):
        await conn.publish(request(Part("again")))
    assert sandbox.control.received("threads") == []
    # Reconciliation proves it absent (the container was never published) ...
    assert await conn.find_published(request(Part("again"), progress=sink.data)) is None
    # ... so the retry publishes the same container.
    result = await conn.publish(request(Part("again"), progress=sink.data))
    [post] = sandbox.control.received("threads")
    assert post["extra"]["container_id"] == sink.data["containers"]["0"]
    assert result.external_id == post["id"]


async def test_changed_text_gets_a_new_container(sandbox: Any, conn: ThreadsConnection) -> None:
    sink = Progress()
    conn.progress_sink = sink
    sandbox.control.fault("threads", "error_5xx", endpoint="POST /{version}/{id}/threads_publish")
    with pytest.raises(tree.OutcomeUnknown):
        await conn.publish(request(Part("first words")))
    old = sink.data["containers"]["0"]
    await conn.publish(request(Part("better words"), progress=dict(sink.data)))
    [post] = sandbox.control.received("threads")
    assert post["text"] == "better words" and post["extra"]["container_id"] != old


async def test_timeout_after_publish_is_found_by_reconciliation(
    sandbox: Any, conn: ThreadsConnection
) -> None:
    sandbox.control.fault(
        "threads",
        "timeout_after_accept",
        endpoint="POST /{version}/{id}/threads_publish",
        seconds=3,
    )
    sink = Progress()
    conn.progress_sink = sink
    started = datetime.now(UTC)
    with pytest.raises(tree.OutcomeUnknown):
        await conn.publish(request(Part("did it go?")))
    [post] = sandbox.control.received("threads")
    found = await conn.find_published(
        request(Part("did it go?"), progress=sink.data, attempt_started_at=started)
    )
    assert found is not None and found.external_id == post["id"]
    assert found.permalink == post["extra"]["permalink"]
    # A publish retry with that progress would not send it again.
    with pytest.raises(tree.OutcomeUnknown):
        await conn.publish(request(Part("did it go?"), progress=sink.data))
    assert len(sandbox.control.received("threads")) == 1


async def test_reconcile_tells_same_words_apart(sandbox: Any, conn: ThreadsConnection) -> None:
    """The emulator ignores `since`; Cuecast filters by time itself."""
    now = datetime.now(UTC)
    sandbox.state.clock = lambda: (now - timedelta(hours=1)).timestamp()
    await conn.publish(request(Part("same words")))
    sandbox.state.clock = lambda: now.timestamp()
    sink = Progress()
    conn.progress_sink = sink
    second = await conn.publish(request(Part("same words")))
    found = await conn.find_published(
        request(Part("same words"), progress=sink.data, attempt_started_at=now)
    )
    assert found is not None and found.external_id == second.external_id


async def test_without_a_recorded_container_nothing_was_published(
    sandbox: Any, conn: ThreadsConnection
) -> None:
    await conn.publish(request(Part("posted elsewhere")))
    assert await conn.find_published(request(Part("posted elsewhere"))) is None


async def test_delete_and_metrics(sandbox: Any, conn: ThreadsConnection) -> None:
    result = await conn.publish(request(Part("measure me")))
    sandbox.control.metrics("threads", result.external_id, {"views": 120, "likes": 7})
    metrics = await conn.fetch_metrics(result.external_id)
    assert metrics == {
        "views": 120,
        "likes": 7,
        "replies": 0,
        "reposts": 0,
        "quotes": 0,
        "shares": 0,
    }
    await conn.delete(result.external_id)
    await conn.delete(result.external_id)  # already gone: done
    with pytest.raises(tree.Permanent):
        await conn.fetch_metrics(result.external_id)


async def test_revoked_token_disconnects(sandbox: Any, conn: ThreadsConnection) -> None:
    sandbox.control.fault("threads", "revoke_token", user=DEMO_USER)
    with pytest.raises(tree.Disconnected) as caught:
        await conn.publish(request(Part("nope")))
    assert "connect" in caught.value.message.lower()


async def test_throttle_names_when_to_return(sandbox: Any, conn: ThreadsConnection) -> None:
    sandbox.control.fault("threads", "rate_limit_burst")
    with pytest.raises(tree.RateLimited) as caught:
        await conn.publish(request(Part("slow down")))
    assert not isinstance(caught.value, tree.QuotaExhausted)
    assert caught.value.retry_at is not None
    assert caught.value.retry_at > datetime.now(UTC) + timedelta(minutes=30)
