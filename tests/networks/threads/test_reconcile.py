"""Reconciling threads over httpx.MockTransport: the later parts are found among the account's
replies (GET /{user}/replies, which the emulator does not offer yet)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cuecast.networks import errors as tree
from cuecast.networks.base import Part, PublishRequest

from .test_errors import connection

pytestmark = pytest.mark.anyio
START = datetime.now(UTC) - timedelta(minutes=3)


def stamp(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S+0000")


def api(statuses: dict[str, str], posts: list[dict[str, Any]], replies: list[dict[str, Any]]):
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1.0")
        seen.append(f"{request.method} {path}")
        assert request.method == "GET", "reconciling never creates anything"
        if path.endswith("/threads"):
            return httpx.Response(200, json={"data": posts})
        if path.endswith("/replies"):
            return httpx.Response(200, json={"data": replies})
        node = path.strip("/")
        if node in statuses:
            return httpx.Response(200, json={"id": node, "status": statuses[node]})
        return httpx.Response(200, json={"id": node, "permalink": f"https://t.test/p/{node}"})

    return handler, seen


REQ = PublishRequest(
    parts=(Part("one"), Part("two"), Part("three")),
    idempotency_key="k",
    attempt_started_at=START,
    progress={"containers": {"0": "c0", "1": "c1", "2": "c2"}},
)


async def test_a_whole_thread_is_found() -> None:
    handler, _ = api(
        {"c0": "PUBLISHED", "c1": "PUBLISHED", "c2": "PUBLISHED"},
        [
            {"id": "old", "text": "one", "timestamp": stamp(-60)},
            {"id": "m0", "text": "one", "timestamp": stamp(1)},
        ],
        [
            {"id": "m2", "text": "three", "timestamp": stamp(1), "replied_to": {"id": "m1"}},
            {"id": "x", "text": "two", "timestamp": stamp(1), "replied_to": {"id": "other"}},
            {"id": "m1", "text": "two", "timestamp": stamp(1), "replied_to": {"id": "m0"}},
        ],
    )
    found = await connection(handler).find_published(REQ)
    assert found is not None and found.part_ids == ("m0", "m1", "m2")
    assert found.permalink == "https://t.test/p/m0"


async def test_a_partial_thread_names_the_parts_that_went_out() -> None:
    handler, _ = api(
        {"c0": "PUBLISHED", "c1": "FINISHED", "c2": "FINISHED"},
        [{"id": "m0", "text": "one", "timestamp": stamp(1)}],
        [],
    )
    with pytest.raises(tree.Transient) as caught:
        await connection(handler).find_published(REQ)
    assert caught.value.published_part_ids == ["m0"]


async def test_published_but_not_listed_is_not_called_absent() -> None:
    handler, _ = api({"c0": "PUBLISHED"}, [], [])
    with pytest.raises(tree.Transient) as caught:
        await connection(handler).find_published(REQ)
    assert caught.value.code == "published_not_listed"


async def test_an_unpublished_container_proves_absence() -> None:
    handler, seen = api({"c0": "FINISHED"}, [], [])
    assert await connection(handler).find_published(REQ) is None
    assert seen == ["GET /c0"]
