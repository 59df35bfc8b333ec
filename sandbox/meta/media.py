"""Two-phase media containers (Instagram and Threads) and the fetch of the media URLs they name.

A container is IN_PROGRESS until its media was fetched AND its processing delay has passed, then
FINISHED; ERROR when the fetch failed (or a child failed); EXPIRED when not published within
``expire_seconds`` (24 h); PUBLISHED once published. The state is computed when read, so the
sandbox clock decides, and the fetch really happens (httpx, loopback allowed) in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

IN_PROGRESS = "IN_PROGRESS"
FINISHED = "FINISHED"
ERROR = "ERROR"
EXPIRED = "EXPIRED"
PUBLISHED = "PUBLISHED"

_TASKS: set[asyncio.Task[None]] = set()

# A tiny JPEG (SOI, APP0/JFIF header, EOI): enough for a content-type and magic-bytes check.
SAMPLE_JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 64
    + b"\xff\xd9"
)
SAMPLE_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SAMPLE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


@dataclass
class Container:
    id: str
    owner_id: str
    media_type: str  # IMAGE | VIDEO | REELS | STORIES | CAROUSEL | TEXT
    text: str
    created_at: float
    ready_at: float
    image_url: str | None = None
    video_url: str | None = None
    is_carousel_item: bool = False
    children: list[str] = field(default_factory=list)
    reply_to_id: str | None = None
    fetch_state: str = "ok"  # "pending" | "ok" | "failed"
    fetch_error: str | None = None  # network-specific error text when failed
    published_media_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def status(
        self, now: float, expire_seconds: float, lookup: Callable[[str], Container | None]
    ) -> str:
        if self.published_media_id is not None:
            return PUBLISHED
        if self.fetch_state == "failed":
            return ERROR
        if now >= self.created_at + expire_seconds:
            return EXPIRED
        for child_id in self.children:
            child = lookup(child_id)
            child_status = child.status(now, expire_seconds, lookup) if child else ERROR
            if child_status in (ERROR, EXPIRED):
                return ERROR
            if child_status == IN_PROGRESS:
                return IN_PROGRESS
        if self.fetch_state == "pending" or now < self.ready_at:
            return IN_PROGRESS
        return FINISHED


async def fetch_media(url: str, kind: str, timeout: float, max_bytes: int) -> str | None:
    """GET the URL as Meta's fetcher would. None when usable, otherwise why not:
    ``unreachable``, ``status``, ``format``, ``too_large``."""
    if not url.startswith(("http://", "https://")):
        return "unreachable"
    try:
        async with (
            httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if not 200 <= response.status_code < 300:
                return "status"
            ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    return "too_large"
    except (httpx.HTTPError, OSError, ValueError):
        return "unreachable"
    if kind == "image" and not ctype.startswith("image/"):
        return "format"
    if kind == "video" and not ctype.startswith("video/"):
        return "format"
    if kind == "jpeg" and ctype not in ("image/jpeg", "image/jpg"):
        return "format"
    return None


def start_fetch(
    lock: Any,
    container: Container,
    url: str,
    kind: str,
    timeout: float,
    max_bytes: int,
    describe: Callable[[str], str],
) -> None:
    """Fetch in the background; mark the container ok or failed (``describe`` maps the reason)."""
    container.fetch_state = "pending"

    async def run() -> None:
        reason = await fetch_media(url, kind, timeout, max_bytes)
        with lock:
            if reason is None:
                container.fetch_state = "ok"
            else:
                container.fetch_state = "failed"
                container.fetch_error = describe(reason)

    task = asyncio.get_running_loop().create_task(run())
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


async def _sample_file(request: Request) -> Response:
    """``/{network}/_files/{name}``: sample media for tests and the demo (not a Meta endpoint).
    ``*.jpg`` image/jpeg, ``*.png`` image/png, ``*.mp4`` video/mp4, ``*.txt`` text/plain,
    ``missing*`` 404."""
    name = request.path_params["name"]
    if name.startswith("missing"):
        return JSONResponse({"error": "not found"}, status_code=404)
    lower = name.lower()
    if lower.endswith((".jpg", ".jpeg")):
        return Response(SAMPLE_JPEG, media_type="image/jpeg")
    if lower.endswith(".png"):
        return Response(SAMPLE_PNG, media_type="image/png")
    if lower.endswith(".mp4"):
        return Response(SAMPLE_MP4, media_type="video/mp4")
    return Response(b"not an image", media_type="text/plain")


def sample_file_routes() -> list[BaseRoute]:
    return [Route("/_files/{name}", _sample_file, methods=["GET"])]
