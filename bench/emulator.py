"""The sandbox's own ceiling: how many Mastodon posts per second the emulator answers.

On 2 cores the emulator, PostgreSQL and the workers share the CPU, so no system in this bench can
publish faster than this figure; it is measured with latency off and a load generator that does
nothing but send, so it is the emulator's best case.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from urllib.parse import urlsplit

from bench.harness import Session
from bench.table import Row

CONCURRENCY = 100


async def _sender(host: str, port: int, request: bytes, stop_at: float) -> int:
    """One keep-alive connection posting until `stop_at`. A bare HTTP/1.1 client: httpx's pool
    costs more CPU per request than the emulator itself, and the two share the machine."""
    reader, writer = await asyncio.open_connection(host, port)
    created = 0
    try:
        while time.monotonic() < stop_at:
            writer.write(request.replace(b"{key}", uuid.uuid4().hex.encode()))
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            created += head.startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
    return created


def _request(host: str, port: int, token: str) -> bytes:
    body = b"status=Ceiling+test"
    return (
        f"POST /mastodon/api/v1/statuses HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\nIdempotency-Key: {{key}}:0\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _hammer(url: str, token: str, seconds: float) -> int:
    """Post statuses from CONCURRENCY connections for `seconds`; returns how many were created."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = _request(host, port, token)
    stop_at = time.monotonic() + seconds
    counts = await asyncio.gather(
        *(_sender(host, port, request, stop_at) for _ in range(CONCURRENCY))
    )
    return sum(counts)


def run(session: Session) -> list[Row]:
    env = session.environment()
    env.fresh_start(latency={"network": "*", "median_ms": 0})
    control = env.sandbox.control
    control.config("mastodon", rate_limit=10**9)
    token = control.tokens("mastodon", "demo")["access_token"]
    seconds = 5.0 if session.quick else 15.0
    started = time.monotonic()
    created = asyncio.run(_hammer(env.sandbox.url, token, seconds))
    rate = created / (time.monotonic() - started)
    session.context["emulator_ceiling_per_second"] = rate
    return [
        Row(
            "sandbox",
            "emulator ceiling (Mastodon POST /api/v1/statuses, latency off)",
            rate,
            "/s",
            note=(
                f"one process, {CONCURRENCY} connections, {created:,} posts in {seconds:.0f} s; "
                "the load generator shares the 2 cores"
            ),
        )
    ]
