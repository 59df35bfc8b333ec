"""X emulator media upload over real HTTP: chunked, simple, status, metadata, posts with media."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sandbox_test_helpers import bearer

from sandbox.testing import RunningSandbox

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 300
GIF = b"GIF89a" + b"\x02" * 100


class Clock:
    """Moves the sandbox clock forward (the server reads ``state.clock`` on every call)."""

    def __init__(self, sb: RunningSandbox) -> None:
        self._sb = sb
        self._real = sb.state.clock
        self.offset = 0.0
        sb.state.clock = lambda: self._real() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def restore(self) -> None:
        self._sb.state.clock = self._real


@pytest.fixture
def clock(sb: RunningSandbox) -> Iterator[Clock]:
    moved = Clock(sb)
    yield moved
    moved.restore()


def token_of(sb: RunningSandbox, user: str = "cuecast_demo", **extra: Any) -> str:
    return str(sb.control.tokens("x", user, **extra)["access_token"])


@pytest.fixture
def token(sb: RunningSandbox) -> str:
    return token_of(sb)


def init(
    sb: RunningSandbox,
    http: httpx.Client,
    token: str,
    media_type: str,
    total: int,
    category: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {"media_type": media_type, "total_bytes": total, **extra}
    if category:
        body["media_category"] = category
    return http.post(f"{sb.url}/x/2/media/upload/initialize", json=body, headers=bearer(token))


def append(
    sb: RunningSandbox, http: httpx.Client, token: str, media_id: str, index: int, chunk: bytes
) -> httpx.Response:
    return http.post(
        f"{sb.url}/x/2/media/upload/{media_id}/append",
        data={"segment_index": str(index)},
        files={"media": ("blob", chunk, "application/octet-stream")},
        headers=bearer(token),
    )


def finalize(sb: RunningSandbox, http: httpx.Client, token: str, media_id: str) -> httpx.Response:
    return http.post(f"{sb.url}/x/2/media/upload/{media_id}/finalize", headers=bearer(token))


def status(sb: RunningSandbox, http: httpx.Client, token: str, media_id: str) -> httpx.Response:
    return http.get(
        f"{sb.url}/x/2/media/upload",
        params={"command": "STATUS", "media_id": media_id},
        headers=bearer(token),
    )


def upload(
    sb: RunningSandbox,
    http: httpx.Client,
    token: str,
    data: bytes,
    media_type: str,
    category: str,
    chunk: int = 100,
) -> dict[str, Any]:
    """The whole chunked flow; answers finalize's ``data``."""
    started = init(sb, http, token, media_type, len(data), category)
    assert started.status_code == 200, started.text
    media_id = started.json()["data"]["id"]
    for index, offset in enumerate(range(0, len(data), chunk)):
        got = append(sb, http, token, media_id, index, data[offset : offset + chunk])
        assert got.status_code == 200, got.text
    done = finalize(sb, http, token, media_id)
    assert done.status_code == 200, done.text
    result: dict[str, Any] = done.json()["data"]
    return result


def post(
    sb: RunningSandbox, http: httpx.Client, token: str, text: str, media_ids: list[str]
) -> httpx.Response:
    return http.post(
        f"{sb.url}/x/2/tweets",
        json={"text": text, "media": {"media_ids": media_ids}},
        headers=bearer(token),
    )


def assert_invalid_media(got: httpx.Response, media_ids: list[str]) -> None:
    assert got.status_code == 400, got.text
    assert got.headers["content-type"].startswith("application/problem+json")
    assert got.json() == {
        "errors": [
            {"parameters": {"media.media_ids": media_ids}, "message": "Your media IDs are invalid."}
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.x.com/2/problems/invalid-request",
    }


def test_chunked_image_alt_text_and_post(
    sb: RunningSandbox, http: httpx.Client, token: str
) -> None:
    started = init(sb, http, token, "image/png", len(PNG), "tweet_image")
    assert started.status_code == 200
    data = started.json()["data"]
    media_id = data["id"]
    assert data == {"id": media_id, "media_key": f"3_{media_id}", "expires_after_secs": 86400}
    assert "x-rate-limit-limit" in started.headers
    first = append(sb, http, token, media_id, 0, PNG[:100])
    assert first.status_code == 200 and isinstance(first.json()["data"]["expires_at"], int)
    assert append(sb, http, token, media_id, 1, PNG[100:]).status_code == 200
    done = finalize(sb, http, token, media_id).json()["data"]
    assert done["id"] == media_id and done["media_key"] == f"3_{media_id}"
    assert done["size"] == len(PNG) and "processing_info" not in done
    assert done["image"] == {"image_type": "image/png"}
    # finalize again is harmless (a retried finalize)
    assert finalize(sb, http, token, media_id).json()["data"]["size"] == len(PNG)
    assert "processing_info" not in status(sb, http, token, media_id).json()["data"]

    meta = http.post(
        f"{sb.url}/x/2/media/metadata",
        json={"id": media_id, "metadata": {"alt_text": {"text": "A blank square"}}},
        headers=bearer(token),
    )
    assert meta.status_code == 200
    assert meta.json() == {
        "data": {"id": media_id, "associated_metadata": {"alt_text": {"text": "A blank square"}}}
    }

    created = post(sb, http, token, "With a picture", [media_id])
    assert created.status_code == 201, created.text
    post_id = created.json()["data"]["id"]
    [received] = sb.control.received("x")
    assert received["media_ids"] == [media_id]
    assert received["extra"]["alt_texts"] == ["A blank square"]
    assert received["extra"]["media"] == [
        {
            "id": media_id,
            "media_key": f"3_{media_id}",
            "media_type": "image/png",
            "media_category": "tweet_image",
            "size": len(PNG),
            "alt_text": "A blank square",
        }
    ]
    looked = http.get(
        f"{sb.url}/x/2/tweets/{post_id}",
        params={"tweet.fields": "attachments"},
        headers=bearer(token),
    ).json()["data"]
    assert looked["attachments"] == {"media_keys": [f"3_{media_id}"]}


def test_four_images_in_one_post(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    ids = [upload(sb, http, token, PNG, "image/png", "tweet_image")["id"] for _ in range(4)]
    assert post(sb, http, token, "Four", ids).status_code == 201
    five = [*ids, upload(sb, http, token, PNG, "image/png", "tweet_image")["id"]]
    assert post(sb, http, token, "Five", five).status_code == 400  # schema: 1 to 4 ids


def test_chunked_video_processes_on_the_sandbox_clock(
    sb: RunningSandbox, http: httpx.Client, token: str, clock: Clock
) -> None:
    sb.control.config("x", media_pending_seconds=5, media_processing_seconds=30)
    done = upload(sb, http, token, MP4, "video/mp4", "tweet_video")
    media_id = done["id"]
    assert done["media_key"] == f"7_{media_id}"
    assert done["processing_info"] == {"state": "pending", "check_after_secs": 5}
    assert done["video"] == {"video_type": "video/mp4"}
    assert_invalid_media(post(sb, http, token, "Too soon", [media_id]), [media_id])

    clock.advance(10)
    info = status(sb, http, token, media_id).json()["data"]["processing_info"]
    assert info["state"] == "in_progress" and info["check_after_secs"] == 20
    assert 0 < info["progress_percent"] < 100
    assert_invalid_media(post(sb, http, token, "Still too soon", [media_id]), [media_id])

    clock.advance(25)
    got = status(sb, http, token, media_id)
    assert got.status_code == 200
    assert got.json()["data"]["processing_info"] == {"state": "succeeded", "progress_percent": 100}
    created = post(sb, http, token, "A video", [media_id])
    assert created.status_code == 201, created.text
    assert sb.control.received("x")[0]["media_ids"] == [media_id]


def test_failed_processing_never_becomes_usable(
    sb: RunningSandbox, http: httpx.Client, token: str, clock: Clock
) -> None:
    sb.control.config("x", media_processing_result="failed")
    media_id = upload(sb, http, token, GIF, "image/gif", "tweet_gif")["id"]
    clock.advance(60)
    info = status(sb, http, token, media_id).json()["data"]["processing_info"]
    assert info["state"] == "failed"
    assert_invalid_media(post(sb, http, token, "GIF", [media_id]), [media_id])


def test_simple_upload_multipart_and_json(
    sb: RunningSandbox, http: httpx.Client, token: str
) -> None:
    got = http.post(
        f"{sb.url}/x/2/media/upload",
        data={"media_category": "tweet_image"},
        files={"media": ("pic.png", PNG, "application/octet-stream")},
        headers=bearer(token),
    )
    assert got.status_code == 200, got.text
    data = got.json()["data"]
    assert data["size"] == len(PNG) and data["media_key"] == f"3_{data['id']}"
    assert data["expires_after_secs"] == 86400 and "processing_info" not in data
    as_json = http.post(
        f"{sb.url}/x/2/media/upload",
        json={"media": base64.b64encode(PNG).decode(), "media_category": "tweet_image"},
        headers=bearer(token),
    )
    assert as_json.status_code == 200, as_json.text
    ids = [data["id"], as_json.json()["data"]["id"]]
    assert post(sb, http, token, "Simple", ids).status_code == 201
    no_category = http.post(
        f"{sb.url}/x/2/media/upload",
        files={"media": ("pic.png", PNG, "image/png")},
        headers=bearer(token),
    )
    assert no_category.status_code == 400
    unknown_bytes = http.post(
        f"{sb.url}/x/2/media/upload",
        data={"media_category": "tweet_image"},
        files={"media": ("x.bin", b"not an image", "application/octet-stream")},
        headers=bearer(token),
    )
    assert unknown_bytes.status_code == 400


def test_byte_accounting(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    media_id = init(sb, http, token, "image/png", 300, "tweet_image").json()["data"]["id"]
    assert append(sb, http, token, media_id, 0, b"a" * 100).status_code == 200
    short = finalize(sb, http, token, media_id)
    assert short.status_code == 400
    assert short.json()["type"] == "https://api.x.com/2/problems/invalid-request"
    assert "100 bytes" in short.json()["errors"][0]["message"]
    assert append(sb, http, token, media_id, 2, b"c" * 100).status_code == 200
    gap = finalize(sb, http, token, media_id)
    assert gap.status_code == 400 and "missing" in gap.json()["errors"][0]["message"]
    over = append(sb, http, token, media_id, 1, b"b" * 101)
    assert over.status_code == 400
    assert append(sb, http, token, media_id, 1, b"b" * 100).status_code == 200
    # re-sending a segment replaces it (a retried append does not double-count)
    assert append(sb, http, token, media_id, 1, b"b" * 100).status_code == 200
    assert finalize(sb, http, token, media_id).status_code == 200
    late = append(sb, http, token, media_id, 3, b"d")
    assert late.status_code == 400


def test_bad_requests(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    assert init(sb, http, token, "image/svg", 10).status_code == 400
    assert init(sb, http, token, "image/png", 0).status_code == 400
    assert init(sb, http, token, "video/mp4", 10, "tweet_image").status_code == 400
    assert init(sb, http, token, "image/png", 6 * 1024 * 1024, "tweet_image").status_code == 400
    assert init(sb, http, token, "image/png", 10, bogus=True).status_code == 400
    # media_category may be left out: X works it out from media_type
    gif = init(sb, http, token, "image/gif", 10).json()["data"]
    assert gif["media_key"].startswith("16_")
    media_id = init(sb, http, token, "image/png", 10).json()["data"]["id"]
    assert append(sb, http, token, media_id, 1000, b"x").status_code == 400
    no_media = http.post(
        f"{sb.url}/x/2/media/upload/{media_id}/append",
        data={"segment_index": "0"},
        headers=bearer(token),
    )
    assert no_media.status_code == 400
    assert status(sb, http, token, media_id).status_code == 400  # not finalized yet
    for unknown in ("1234", "abc"):
        assert append(sb, http, token, unknown, 0, b"x").status_code == 400
        assert finalize(sb, http, token, unknown).status_code == 400
        assert status(sb, http, token, unknown).status_code == 400
    long_alt = http.post(
        f"{sb.url}/x/2/media/metadata",
        json={"id": media_id, "metadata": {"alt_text": {"text": "a" * 1001}}},
        headers=bearer(token),
    )
    assert long_alt.status_code == 400


def test_invalid_media_in_posts(
    sb: RunningSandbox, http: httpx.Client, token: str, clock: Clock
) -> None:
    assert_invalid_media(post(sb, http, token, "Unknown", ["1234567"]), ["1234567"])

    other = token_of(sb, "cuecast_other")
    theirs = upload(sb, http, other, PNG, "image/png", "tweet_image")["id"]
    assert_invalid_media(post(sb, http, token, "Not mine", [theirs]), [theirs])
    meta = http.post(
        f"{sb.url}/x/2/media/metadata",
        json={"id": theirs, "metadata": {"alt_text": {"text": "no"}}},
        headers=bearer(token),
    )
    assert meta.status_code == 400
    assert status(sb, http, token, theirs).status_code == 400

    unfinished = init(sb, http, token, "image/png", 10, "tweet_image").json()["data"]["id"]
    assert_invalid_media(post(sb, http, token, "Unfinished", [unfinished]), [unfinished])

    sb.control.config("x", media_pending_seconds=0, media_processing_seconds=0)
    image = upload(sb, http, token, PNG, "image/png", "tweet_image")["id"]
    video = upload(sb, http, token, MP4, "video/mp4", "tweet_video")["id"]
    video2 = upload(sb, http, token, MP4, "video/mp4", "tweet_video")["id"]
    assert_invalid_media(post(sb, http, token, "Mixed", [image, video]), [image, video])
    assert_invalid_media(post(sb, http, token, "Two videos", [video, video2]), [video, video2])
    assert_invalid_media(post(sb, http, token, "Twice", [image, image]), [image, image])
    dm = upload(sb, http, token, PNG, "image/png", "dm_image")["id"]
    assert_invalid_media(post(sb, http, token, "DM media", [dm]), [dm])

    sb.control.config("x", media_expires_after_secs=60)
    expiring = upload(sb, http, token, PNG, "image/png", "tweet_image")["id"]
    clock.advance(61)
    assert_invalid_media(post(sb, http, token, "Expired", [expiring]), [expiring])
    assert status(sb, http, token, expiring).status_code == 400
    assert sb.control.received("x") == []


def test_additional_owners_may_post_the_media(
    sb: RunningSandbox, http: httpx.Client, token: str
) -> None:
    other_id = sb.control.tokens("x", "cuecast_other")["user_id"]
    started = init(
        sb, http, token, "image/png", len(PNG), "tweet_image", additional_owners=[other_id]
    )
    media_id = started.json()["data"]["id"]
    assert append(sb, http, token, media_id, 0, PNG).status_code == 200
    assert finalize(sb, http, token, media_id).status_code == 200
    other = token_of(sb, "cuecast_other")
    assert post(sb, http, other, "Shared", [media_id]).status_code == 201


def test_media_write_scope(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("x", "cuecast_demo")
    assert "media.write" in minted["scope"].split()
    narrow = token_of(sb, scope="tweet.read tweet.write users.read")
    got = init(sb, http, narrow, "image/png", 10, "tweet_image")
    assert got.status_code == 403
    assert http.post(f"{sb.url}/x/2/media/upload/initialize", json={}).status_code == 401


def test_media_rate_limits_and_faults(sb: RunningSandbox, http: httpx.Client, token: str) -> None:
    sb.control.config("x", limits={"POST /2/media/upload/initialize": 2})
    first = init(sb, http, token, "image/png", 10, "tweet_image")
    assert first.headers["x-rate-limit-limit"] == "2"
    assert first.headers["x-rate-limit-remaining"] == "1"
    assert init(sb, http, token, "image/png", 10, "tweet_image").status_code == 200
    assert init(sb, http, token, "image/png", 10, "tweet_image").status_code == 429

    sb.control.fault("x", "error_5xx", endpoint="POST /2/media/upload/{id}/append", status=503)
    media_id = first.json()["data"]["id"]
    assert append(sb, http, token, media_id, 0, b"a" * 10).status_code == 503
    assert append(sb, http, token, media_id, 0, b"a" * 10).status_code == 200
    sb.control.fault("x", "error_5xx", endpoint="POST /2/media/upload/initialize")
    logged = [r for r in sb.control.requests("x") if r["endpoint"].startswith("POST /2/media")]
    assert {r["endpoint"] for r in logged} == {
        "POST /2/media/upload/initialize",
        "POST /2/media/upload/{id}/append",
    }
