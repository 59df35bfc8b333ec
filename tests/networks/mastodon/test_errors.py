"""Every row of the error mapping, from recorded responses (fixtures/*.json) via MockTransport."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cuecast.networks import errors
from cuecast.networks.base import MediaItem, Part, PublishRequest

from .conftest import MOCK_BASE, connection

pytestmark = pytest.mark.anyio

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.json"))
TOKEN = "secret-token-value"
STATUS = {
    "id": "1",
    "url": f"{MOCK_BASE}/@demo/1",
    "replies_count": 0,
    "reblogs_count": 0,
    "favourites_count": 0,
}


def _response(doc: dict[str, Any]) -> httpx.Response:
    if "body" in doc:
        return httpx.Response(doc["status"], json=doc["body"], headers=doc["headers"])
    return httpx.Response(doc["status"], text=doc["text"], headers=doc["headers"])


async def _run(doc: dict[str, Any], tmp_path: Path, transport: httpx.MockTransport) -> None:
    credentials = {"access_token": TOKEN}
    if doc.get("refreshable"):
        credentials.update(refresh_token="r", client_id="c", client_secret="s")
    conn = connection(MOCK_BASE, TOKEN, credentials=credentials, transport=transport)
    if doc["call"] == "read":
        await conn.fetch_metrics("1")
    elif doc["call"] == "media":
        image = tmp_path / "a.png"
        image.write_bytes(b"\x89PNG")
        item = MediaItem(path=str(image), content_type="image/png", size_bytes=4)
        await conn.publish(PublishRequest(parts=(Part("x", (item,)),), idempotency_key="k"))
    else:
        await conn.publish(PublishRequest(parts=(Part("x"),), idempotency_key="k"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
async def test_error_mapping(fixture: Path, mock_server: str, tmp_path: Path) -> None:
    doc = json.loads(fixture.read_text())
    transport = httpx.MockTransport(lambda request: _response(doc))
    with pytest.raises(errors.NetworkError) as caught:
        await _run(doc, tmp_path, transport)
    error = caught.value
    assert type(error).__name__ == doc["expect"], error.message
    assert doc["message_contains"].lower() in error.message.lower()
    assert TOKEN not in error.message and "{" not in error.message
    assert error.status == doc["status"]
    if isinstance(error, errors.RateLimited):
        assert error.retry_at == datetime(2030, 1, 1, 12, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("exc", "call", "expected"),
    [
        (httpx.ConnectError("refused"), "create", errors.Transient),
        (httpx.ConnectTimeout("slow"), "create", errors.Transient),
        (httpx.ReadTimeout("slow"), "create", errors.OutcomeUnknown),
        (httpx.RemoteProtocolError("dropped"), "create", errors.OutcomeUnknown),
        (httpx.ReadTimeout("slow"), "read", errors.Transient),
    ],
)
async def test_transport_errors(
    exc: Exception, call: str, expected: type[errors.NetworkError], mock_server: str, tmp_path: Path
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(expected):
        await _run({"call": call}, tmp_path, httpx.MockTransport(handler))


async def test_idempotency_key_per_part_and_media_polling(mock_server: str, tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    polls = iter([206, 206, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v2/media":
            return httpx.Response(202, json={"id": "m1", "url": None})
        if request.url.path == "/api/v1/media/m1":
            code = next(polls)
            return httpx.Response(
                code, json={"id": "m1", "url": "https://x/y.png" if code == 200 else None}
            )
        number = str(sum(1 for r in seen if r.url.path == "/api/v1/statuses"))
        return httpx.Response(
            200,
            json=dict(STATUS, id=number, url=f"{MOCK_BASE}/@demo/{number}"),
            headers={
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "297",
                "X-RateLimit-Reset": "2030-01-01T12:05:00.000Z",
            },
        )

    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG")
    item = MediaItem(path=str(image), content_type="image/png", size_bytes=4, alt_text="alt")
    conn = connection(MOCK_BASE, TOKEN, transport=httpx.MockTransport(handler))
    result = await conn.publish(
        PublishRequest(parts=(Part("a", (item,)), Part("b")), idempotency_key="key")
    )
    posts = [r for r in seen if r.url.path == "/api/v1/statuses"]
    assert [r.headers["Idempotency-Key"] for r in posts] == ["key:0", "key:1"]
    assert b"media_ids%5B%5D=m1" in posts[0].content
    assert b"in_reply_to_id=1" in posts[1].content
    assert result.part_ids == ("1", "2") and result.permalink == f"{MOCK_BASE}/@demo/1"
    assert conn.rate_limit is not None and conn.rate_limit.remaining == 297


async def test_media_that_never_finishes_is_transient(mock_server: str, tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/media":
            return httpx.Response(202, json={"id": "m1", "url": None})
        return httpx.Response(206, json={"id": "m1", "url": None})

    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG")
    item = MediaItem(path=str(image), content_type="image/png", size_bytes=4)
    conn = connection(MOCK_BASE, TOKEN, transport=httpx.MockTransport(handler))
    with pytest.raises(errors.Transient) as caught:
        await conn.publish(PublishRequest(parts=(Part("a", (item,)),), idempotency_key="k"))
    assert caught.value.code == "media_processing"


async def test_unsupported_type_is_refused_before_upload(mock_server: str, tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    image = tmp_path / "a.tiff"
    image.write_bytes(b"II*")
    conn = connection(
        MOCK_BASE,
        TOKEN,
        settings={"supported_mime_types": ["image/png"]},
        transport=httpx.MockTransport(handler),
    )
    item = MediaItem(path=str(image), content_type="image/tiff", size_bytes=3)
    with pytest.raises(errors.Permanent):
        await conn.publish(PublishRequest(parts=(Part("a", (item,)),), idempotency_key="k"))
