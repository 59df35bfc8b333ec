"""What the emulators received: every created post, and every request answered."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization"}
MAX_REQUESTS = 5000


@dataclass
class ReceivedPost:
    network: str
    user: str  # username
    user_id: str
    id: str
    text: str
    created_at: str
    in_reply_to_id: str | None = None
    media_ids: list[str] = field(default_factory=list)
    idempotency_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RequestRecord:
    network: str
    method: str
    path: str
    query: str
    status: int
    headers: dict[str, str]
    at: float
    endpoint: str
    user: str | None
    fault: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers as received, with credential values replaced by their scheme only."""
    clean: dict[str, str] = {}
    for name, value in headers.items():
        lname = name.lower()
        if lname in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            clean[lname] = f"{scheme} [redacted]".strip()
        else:
            clean[lname] = value
    return clean


@dataclass
class Logs:
    received: list[ReceivedPost] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)

    def record_post(self, post: ReceivedPost) -> None:
        self.received.append(post)

    def record_request(self, record: RequestRecord) -> None:
        self.requests.append(record)
        if len(self.requests) > MAX_REQUESTS:
            del self.requests[: len(self.requests) - MAX_REQUESTS]

    def posts(self, network: str | None = None, user: str | None = None) -> list[ReceivedPost]:
        wanted = user.lstrip("@") if user else None
        return [
            p
            for p in self.received
            if (network is None or p.network == network)
            and (wanted is None or wanted in (p.user, p.user_id))
        ]

    def request_log(self, network: str | None = None) -> list[RequestRecord]:
        return [r for r in self.requests if network is None or r.network == network]


def now() -> float:
    return time.time()
