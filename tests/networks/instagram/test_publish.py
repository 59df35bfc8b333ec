"""Connect, publish, reconcile, metrics and renewal against the sandbox's Instagram emulator."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from cuecast.networks import errors as tree
from cuecast.networks.base import MediaItem, Part, PublishRequest
from cuecast.networks.instagram import InstagramConnection, InstagramNetwork

pytestmark = pytest.mark.anyio


def jpeg(sandbox: Any, name: str = "photo.jpg") -> MediaItem:
    # The emulator serves sample files at /instagram/_files/<name> (image/jpeg for *.jpg).
    return MediaItem(
        path="/unused.jpg",
        content_type="image/jpeg",
        size_bytes=100,
        alt_text="A photo",
        url=f"{sandbox.url}/instagram/_files/{name}",
    )


def request(
    text: str,
    *media: MediaItem,
    progress: dict[str, Any] | None = None,
    started: datetime | None = None,
) -> PublishRequest:
    return PublishRequest(
        parts=(Part(text, tuple(media)),),
        idempotency_key="target-1",
        progress=progress or {},
        attempt_started_at=started,
    )


class Progress:
    def __init__(self, conn: InstagramConnection) -> None:
        self.saved: dict[str, Any] = {}

        async def sink(progress: dict[str, Any]) -> None:
            self.saved.update(progress)

        conn.progress_sink = sink


async def test_connect_follows_the_consent_page(igsandbox: Any, network: InstagramNetwork) -> None:
    flow = network.oauth()
    start = await flow.start(
        redirect_uri="http://127.0.0.1:8000/callback", server_url="", clients=None
    )  # type: ignore[arg-type]
    assert "instagram_content_publish" in start.url
    async with httpx.AsyncClient() as browser:
        page = await browser.get(start.url)
        assert page.status_code == 200
        action = re.search(r'action="([^"]+)"', page.text)
        assert action is not None
        hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        pages = re.findall(r'name="pages" value="([^"]+)"', page.text)
        form = [*hidden.items(), ("user", "cuecast_demo"), ("decision", "authorize")]
        form += [("pages", p) for p in pages]
        answer = await browser.post(
            f"{igsandbox.url}{action.group(1)}",
            content=urlencode(form),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    location = answer.headers["location"]
    code = re.search(r"code=([^&]+)", location)
    assert code is not None and f"state={start.state}" in location
    accounts = await flow.finish_all(
        code=code.group(1), redirect_uri="http://127.0.0.1:8000/callback", session_data={}
    )
    assert [a.handle for a in accounts] == ["cuecast_demo_ig"]
    account = accounts[0]
    assert account.external_id == "17841400000000101"
    assert account.credentials["page_id"] == "100000000000101"
    assert account.token_expires_at is not None


async def test_publish_single_image(igsandbox: Any, conn: InstagramConnection) -> None:
    progress = Progress(conn)
    result = await conn.publish(request("Hello from Cuecast #launch", jpeg(igsandbox)))
    [post] = igsandbox.control.received("instagram")
    assert post["id"] == result.external_id and post["text"] == "Hello from Cuecast #launch"
    assert progress.saved["container_id"] == post["extra"]["container_id"]
    assert result.permalink.startswith("http")


async def test_publish_carousel(igsandbox: Any, conn: InstagramConnection) -> None:
    result = await conn.publish(
        request(
            "Three at once",
            jpeg(igsandbox, "a.jpg"),
            jpeg(igsandbox, "b.jpg"),
            jpeg(igsandbox, "c.jpg"),
        )
    )
    [post] = igsandbox.control.received("instagram")
    assert post["id"] == result.external_id
    assert len(post["media_ids"]) == 3


async def test_text_only_sends_nothing(igsandbox: Any, conn: InstagramConnection) -> None:
    with pytest.raises(tree.Permanent):
        await conn.publish(request("no picture"))
    assert igsandbox.control.requests("instagram") == []


async def test_timeout_after_publish_is_reconciled_by_container(
    igsandbox: Any, conn: InstagramConnection
) -> None:
    progress = Progress(conn)
    started = datetime.now(UTC)
    igsandbox.control.fault(
        "instagram",
        "timeout_after_accept",
        endpoint="POST /{version}/{id}/media_publish",
        seconds=3,
    )
    with pytest.raises(tree.OutcomeUnknown):
        await conn.publish(request("Reconcile me", jpeg(igsandbox), started=started))
    [post] = igsandbox.control.received("instagram")
    again = request("Reconcile me", jpeg(igsandbox), progress=progress.saved, started=started)
    found = await conn.find_published(again)
    assert found is not None and found.external_id == post["id"]
    # A retry with the same progress does not publish a second time.
    result = await conn.publish(again)
    assert result.external_id == post["id"]
    assert len(igsandbox.control.received("instagram")) == 1


async def test_unpublished_container_is_reused(igsandbox: Any, conn: InstagramConnection) -> None:
    progress = Progress(conn)
    igsandbox.control.fault(
        "instagram", "error_5xx", endpoint="POST /{version}/{id}/media_publish", status=503
    )
    with pytest.raises(tree.OutcomeUnknown):
        await conn.publish(request("Second try", jpeg(igsandbox)))
    retry = request("Second try", jpeg(igsandbox), progress=progress.saved)
    assert await conn.find_published(retry) is None  # the container was not published
    result = await conn.publish(retry)
    [post] = igsandbox.control.received("instagram")
    assert post["id"] == result.external_id
    assert post["extra"]["container_id"] == progress.saved["container_id"]
    creates = [
        r
        for r in igsandbox.control.requests("instagram")
        if r["method"] == "POST" and r["path"].endswith("/media")
    ]
    assert len(creates) == 1


async def test_quota_used_up_creates_nothing(igsandbox: Any, conn: InstagramConnection) -> None:
    igsandbox.control.config("instagram", exhaust_quota="cuecast_demo_ig")
    with pytest.raises(tree.QuotaExhausted) as caught:
        await conn.publish(request("Too many today", jpeg(igsandbox)))
    assert caught.value.retry_at is not None and caught.value.retry_at > datetime.now(UTC)
    # No container was created, so nothing of this post can be published. (A publish of an
    # earlier test's container, answered late on a loaded machine, may still land in the log.)
    calls = igsandbox.control.requests("instagram")
    assert not [r for r in calls if r["method"] == "POST" and r["path"].endswith("/media")]
    assert [r for r in calls if r["path"].endswith("/content_publishing_limit")]


async def test_metrics_and_renewal(igsandbox: Any, conn: InstagramConnection) -> None:
    result = await conn.publish(request("Count me", jpeg(igsandbox)))
    igsandbox.control.metrics(
        "instagram", result.external_id, {"likes": 3, "reach": 10, "like_count": 3}
    )
    metrics = await conn.fetch_metrics(result.external_id)
    assert metrics["like_count"] == 3 and metrics["reach"] == 10
    old = conn.account.credentials["access_token"]
    fresh = await conn.refresh_credentials()
    assert fresh is not None and fresh["access_token"] and fresh["expires_at"]
    assert conn.account.credentials["page_id"] and old


async def test_expired_token_cannot_be_renewed(igsandbox: Any, conn: InstagramConnection) -> None:
    igsandbox.control.fault("instagram", "expire_token", user="cuecast_demo")
    with pytest.raises(tree.AuthExpired):
        await conn.publish(request("Expired", jpeg(igsandbox)))
    with pytest.raises(tree.Disconnected):
        await conn.refresh_credentials()
