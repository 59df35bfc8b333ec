"""Publishing to the LinkedIn sandbox over real HTTP: escaping, images, duplicates, reconcile,
delete, metrics, for a page and for a member."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cuecast.networks import errors as tree
from cuecast.networks.base import MediaItem, Part, PublishRequest
from cuecast.networks.linkedin import LinkedInConnection
from cuecast.networks.linkedin import errors as lierrors
from cuecast.networks.linkedin.api import API_VERSION, rest_headers
from cuecast.networks.linkedin.client import urn_created_at

from .conftest import MEMBER, MEMBER_URN, ORG_URN

pytestmark = pytest.mark.anyio

TRICKY = (
    "Launch day (finally)! Ask @dana [team] about #news, 50% off *today* _only_ ~ <3 | {x} \\o/"
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000164944415478"
    "9c63fccf000303030303030303030300000d1d01036ac29be90000000049454e44ae426082"
)


def request(text: str, *media: MediaItem, **kwargs: Any) -> PublishRequest:
    return PublishRequest(parts=(Part(text, tuple(media)),), idempotency_key="k", **kwargs)


def image(tmp_path: Path, name: str = "pixel.png", alt: str = "Two pixels") -> MediaItem:
    path = tmp_path / name
    path.write_bytes(PNG)
    return MediaItem(path=str(path), content_type="image/png", size_bytes=len(PNG), alt_text=alt)


async def test_text_with_reserved_characters_arrives_whole(
    sandbox: Any, org_conn: LinkedInConnection
) -> None:
    result = await org_conn.publish(request(TRICKY))
    assert result.external_id.startswith("urn:li:share:")
    assert result.permalink == f"{sandbox.url}/linkedin/feed/update/{result.external_id}/"
    [item] = sandbox.control.received("linkedin")
    assert item["id"] == result.external_id
    assert item["extra"]["author"] == ORG_URN
    assert item["extra"]["truncated"] is False
    assert item["extra"]["rendered"] == TRICKY
    assert item["extra"]["linkedin_version"] == API_VERSION


async def test_unescaped_text_would_be_cut(sandbox: Any, org_conn: LinkedInConnection) -> None:
    """Why escaping matters: the same text sent raw is accepted (201) and silently truncated."""
    token = org_conn.account.credentials["access_token"]
    async with httpx.AsyncClient() as raw:
        response = await raw.post(
            f"{sandbox.url}/linkedin/rest/posts",
            headers=rest_headers(token),
            json={
                "author": ORG_URN,
                "commentary": TRICKY,
                "visibility": "PUBLIC",
                "distribution": {"feedDistribution": "MAIN_FEED"},
                "lifecycleState": "PUBLISHED",
            },
        )
    assert response.status_code == 201
    [item] = sandbox.control.received("linkedin")
    assert item["extra"]["truncated"] is True and item["extra"]["rendered"] == "Launch day "


async def test_exactly_at_the_limit_and_one_over(
    sandbox: Any, org_conn: LinkedInConnection
) -> None:
    at_limit = "(" * 1000 + "x" * 1000  # 1,000 escapes + 2,000 characters = 3,000 sent
    await org_conn.publish(request(at_limit))
    assert sandbox.control.received("linkedin")[0]["extra"]["rendered"] == at_limit
    with pytest.raises(tree.Permanent, match="longer than LinkedIn allows") as raised:
        await org_conn.publish(request(at_limit + "y"))
    assert raised.value.code == "too_long"
    assert len(sandbox.control.received("linkedin")) == 1


async def test_a_thread_is_refused_by_name(sandbox: Any, org_conn: LinkedInConnection) -> None:
    parts = (Part("one"), Part("two"))
    with pytest.raises(tree.Permanent, match="no threads"):
        await org_conn.publish(PublishRequest(parts=parts, idempotency_key="k"))
    assert sandbox.control.received("linkedin") == []


async def test_one_image_with_alt_text(
    sandbox: Any, org_conn: LinkedInConnection, tmp_path: Path
) -> None:
    result = await org_conn.publish(request("With a picture", image(tmp_path)))
    [item] = sandbox.control.received("linkedin")
    assert item["id"] == result.external_id and result.external_id.startswith("urn:li:ugcPost:")
    media = item["extra"]["content"]["media"]
    assert media["id"].startswith("urn:li:image:") and media["altText"] == "Two pixels"
    # Cuecast waited for the image to be AVAILABLE before posting.
    statuses = [r for r in sandbox.control.requests("linkedin") if "/rest/images/urn" in r["path"]]
    assert statuses, "polled the image status"


async def test_several_images_are_a_multi_image_post(
    sandbox: Any, org_conn: LinkedInConnection, tmp_path: Path
) -> None:
    sandbox.control.config("linkedin", image_processing_seconds=0)
    items = [image(tmp_path, f"p{i}.png", alt=f"Pixel {i}") for i in range(3)]
    await org_conn.publish(request("Three pictures", *items))
    [item] = sandbox.control.received("linkedin")
    images = item["extra"]["content"]["multiImage"]["images"]
    assert [i["altText"] for i in images] == ["Pixel 0", "Pixel 1", "Pixel 2"]
    assert len(item["media_ids"]) == 3


async def test_duplicate_is_refused_and_reconciled(
    sandbox: Any, org_conn: LinkedInConnection
) -> None:
    first = await org_conn.publish(request("Same words twice"))
    recorded: list[dict[str, Any]] = []

    async def sink(progress: dict[str, Any]) -> None:
        recorded.append(progress)

    org_conn.progress_sink = sink
    started = datetime.now(UTC)
    with pytest.raises(lierrors.DuplicatePost) as raised:
        await org_conn.publish(request("Same words twice"))
    assert raised.value.existing_urn == first.external_id
    assert recorded == [{"duplicate_of": first.external_id}]
    # A retry of the SAME request whose first attempt began before the post: it is ours.
    ours = request(
        "Same words twice",
        attempt_started_at=started - timedelta(minutes=5),
        progress=recorded[0],
    )
    found = await org_conn.find_published(ours)
    assert found is not None and found.external_id == first.external_id
    # A new request that began later (first post is older than its attempt): not ours.
    later = request(
        "Same words twice", attempt_started_at=started + timedelta(minutes=10), progress=recorded[0]
    )
    assert await org_conn.find_published(later) is None


async def test_timeout_after_accept_is_found_by_reconciliation(
    sandbox: Any, org_conn: LinkedInConnection
) -> None:
    sandbox.control.fault(
        "linkedin", "timeout_after_accept", endpoint="POST /rest/posts", seconds=3
    )
    started = datetime.now(UTC)
    with pytest.raises(tree.OutcomeUnknown):
        await org_conn.publish(request(TRICKY))
    found = await org_conn.find_published(request(TRICKY, attempt_started_at=started))
    [item] = sandbox.control.received("linkedin")
    assert found is not None and found.external_id == item["id"]
    assert (
        await org_conn.find_published(request("something else", attempt_started_at=started)) is None
    )


async def test_lookup_tells_posts_apart_by_images(
    sandbox: Any, org_conn: LinkedInConnection, tmp_path: Path
) -> None:
    sandbox.control.config("linkedin", image_processing_seconds=0)
    started = datetime.now(UTC)
    await org_conn.publish(request("Look at this"))
    assert (
        await org_conn.find_published(
            request("Look at this", image(tmp_path), attempt_started_at=started)
        )
        is None
    )


async def test_server_error_on_create_is_unknown(
    sandbox: Any, org_conn: LinkedInConnection
) -> None:
    sandbox.control.fault("linkedin", "error_5xx", endpoint="POST /rest/posts", status=503)
    with pytest.raises(tree.OutcomeUnknown):
        await org_conn.publish(request("hello"))


async def test_delete_then_not_found(sandbox: Any, org_conn: LinkedInConnection) -> None:
    started = datetime.now(UTC)
    result = await org_conn.publish(request("Short-lived"))
    await org_conn.delete(result.external_id)
    deletes = [r for r in sandbox.control.requests("linkedin") if r["method"] == "DELETE"]
    assert deletes and deletes[-1]["status"] == 204
    assert "urn%3Ali%3Ashare%3A" in deletes[-1]["path"] or deletes[-1]["path"].endswith(
        result.external_id
    )
    assert await org_conn.find_published(request("Short-lived", attempt_started_at=started)) is None
    await org_conn.delete(result.external_id)  # already gone: done


async def test_page_metrics(sandbox: Any, org_conn: LinkedInConnection) -> None:
    result = await org_conn.publish(request("Count me"))
    sandbox.control.metrics(
        "linkedin",
        result.external_id,
        {
            "impressionCount": 120,
            "likeCount": 7,
            "clickCount": 3,
            "commentCount": 2,
            "shareCount": 1,
        },
    )
    metrics = await org_conn.fetch_metrics(result.external_id)
    assert metrics["impressionCount"] == 120 and metrics["likeCount"] == 7
    assert metrics["clickCount"] == 3 and metrics["commentCount"] == 2
    assert metrics["shareCount"] == 1 and "uniqueImpressionsCount" in metrics
    assert all(isinstance(v, int) for v in metrics.values())


async def test_expired_token_is_refreshed_then_works(
    sandbox: Any, org_conn: LinkedInConnection
) -> None:
    sandbox.control.fault("linkedin", "expire_token", user=MEMBER)
    with pytest.raises(tree.AuthExpired):
        await org_conn.publish(request("after refresh"))
    assert await org_conn.refresh_credentials() is not None
    await org_conn.publish(request("after refresh"))


async def test_revoked_token_disconnects(sandbox: Any, org_conn: LinkedInConnection) -> None:
    sandbox.control.fault("linkedin", "revoke_token", user=MEMBER)
    with pytest.raises(tree.Disconnected, match="Connect the LinkedIn account again"):
        await org_conn.publish(request("never"))


async def test_daily_cap_holds_until_midnight(sandbox: Any, org_conn: LinkedInConnection) -> None:
    sandbox.control.fault("linkedin", "rate_limit_burst", endpoint="POST /rest/posts", user=MEMBER)
    with pytest.raises(tree.QuotaExhausted) as raised:
        await org_conn.publish(request("capped"))
    assert raised.value.retry_at == lierrors.next_midnight_utc()
    assert sandbox.control.received("linkedin") == []


# --- a member's own channel ----------------------------------------------------------------------


async def test_member_posts_and_has_no_metrics(
    sandbox: Any, member_conn: LinkedInConnection
) -> None:
    result = await member_conn.publish(request(TRICKY))
    [item] = sandbox.control.received("linkedin")
    assert item["extra"]["author"] == MEMBER_URN and item["extra"]["rendered"] == TRICKY
    assert await member_conn.fetch_metrics(result.external_id) == {}


async def test_member_reconcile_without_read_access(
    sandbox: Any, member_conn: LinkedInConnection
) -> None:
    """A member's posts cannot be listed (r_member_social): a refused resend names the post."""
    started = datetime.now(UTC)
    first = await member_conn.publish(request("Member words"))
    assert (
        await member_conn.find_published(request("Member words", attempt_started_at=started))
        is None
    )
    with pytest.raises(lierrors.DuplicatePost) as raised:
        await member_conn.publish(request("Member words"))
    progress = {"duplicate_of": raised.value.existing_urn}
    found = await member_conn.find_published(
        request("Member words", attempt_started_at=started, progress=progress)
    )
    assert found is not None and found.external_id == first.external_id
    later = started + timedelta(hours=1)
    assert (
        await member_conn.find_published(
            request("Member words", attempt_started_at=later, progress=progress)
        )
        is None
    )


def test_urn_time() -> None:
    created = urn_created_at("urn:li:share:7141090563813445632")
    assert created is not None and created.year == 2023
    assert urn_created_at("urn:li:share:abc") is None


def test_requests_log_has_no_token(sandbox: Any) -> None:
    assert "access_token" not in json.dumps(sandbox.control.requests("linkedin"))
