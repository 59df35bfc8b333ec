"""The one place where Mastodon's failures become Cuecast's error tree (cuecast.networks.errors).

Classification goes by HTTP status first; Mastodon's `error` strings are matched only in the
tables below, each row with a recorded fixture in tests/networks/mastodon/fixtures/. Messages are
for users: one plain sentence, never a token or a raw response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from cuecast.networks.errors import (
    AuthExpired,
    Disconnected,
    NetworkError,
    OutcomeUnknown,
    Permanent,
    RateLimited,
    Transient,
)

RECONNECT = "Mastodon no longer accepts Cuecast's access to this account; reconnect the channel."


@dataclass(frozen=True)
class RateLimitInfo:
    """Mastodon's X-RateLimit-* headers: the most restrictive limit that applies to the call."""

    limit: int | None
    remaining: int | None
    reset_at: datetime | None

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> RateLimitInfo | None:
        if not any(h in headers for h in ("x-ratelimit-limit", "x-ratelimit-remaining")):
            return None
        return cls(
            limit=_int(headers.get("x-ratelimit-limit")),
            remaining=_int(headers.get("x-ratelimit-remaining")),
            reset_at=parse_time(headers.get("x-ratelimit-reset")),
        )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as Mastodon writes it (`2024-05-01T12:00:00.000Z`), in UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _retry_at(response: httpx.Response) -> datetime | None:
    reset = parse_time(response.headers.get("x-ratelimit-reset"))
    if reset is not None:
        return reset
    retry_after = response.headers.get("retry-after", "")
    if retry_after.isdigit():
        return datetime.now(UTC) + timedelta(seconds=int(retry_after))
    return None


def error_text(response: httpx.Response) -> str:
    """Mastodon's `error` (or OAuth `error_description`) string, or "" if the body has none."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    for key in ("error_description", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


# (pattern in Mastodon's `error`, error class, user-facing sentence). First match wins.
_TABLE_401: list[tuple[re.Pattern[str], type[NetworkError], str]] = [
    (
        re.compile(r"access token expired", re.I),
        AuthExpired,
        "Mastodon says the access token has expired.",
    ),
]
_TABLE_403: list[tuple[re.Pattern[str], type[NetworkError], str]] = [
    (
        re.compile(r"outside the authorized scopes", re.I),
        Disconnected,
        "Cuecast's access to this Mastodon account lacks a needed permission; reconnect the channel.",
    ),
    (
        re.compile(
            r"login is (currently disabled|missing a confirmed e-mail)|account is suspended|is not allowed",
            re.I,
        ),
        Disconnected,
        "This Mastodon account cannot post right now (disabled, unconfirmed or suspended); check it on the server, then reconnect.",
    ),
]
_TABLE_422: list[tuple[re.Pattern[str], type[NetworkError], str]] = [
    (
        re.compile(r"Text can't be blank", re.I),
        Permanent,
        "The post is empty; add text or an image.",
    ),
    (
        re.compile(r"character limit", re.I),
        Permanent,
        "The post is longer than this Mastodon server allows; shorten it.",
    ),
    (
        re.compile(r"not finished processing", re.I),
        Transient,
        "Mastodon is still processing an image; Cuecast will try again shortly.",
    ),
    (
        re.compile(r"file size must be less than|too large", re.I),
        Permanent,
        "An image is larger than this Mastodon server allows.",
    ),
    (
        re.compile(r"content type is invalid|file is invalid", re.I),
        Permanent,
        "Mastodon does not accept one of the attached files; use a JPEG, PNG, GIF or WebP image.",
    ),
    (
        re.compile(r"Cannot attach more than", re.I),
        Permanent,
        "The post has more images than this Mastodon server allows.",
    ),
    (
        re.compile(r"requires an authenticated user", re.I),
        Disconnected,
        RECONNECT,
    ),
]


def _from_table(
    table: list[tuple[re.Pattern[str], type[NetworkError], str]], text: str, status: int
) -> NetworkError | None:
    for pattern, cls, message in table:
        if pattern.search(text):
            return cls(message, status=status, code=pattern.pattern)
    return None


def _sentence(text: str) -> str:
    """Mastodon's validation message as a plain sentence ("Validation failed: X" → "X.")."""
    text = re.sub(r"^Validation failed:\s*", "", text).strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def error_from_response(
    response: httpx.Response, *, creating: bool = False, refreshable: bool = False
) -> NetworkError:
    """Map a non-success response. `creating`: the call may have created a post (POST statuses)."""
    status = response.status_code
    text = error_text(response)
    if status == 401:
        found = _from_table(_TABLE_401, text, status)
        if found is not None and refreshable:
            return found
        # Mastodon tokens do not expire unless the server issues refreshable ones: a 401 means the
        # user or an admin revoked the token (or the app was deleted).
        return Disconnected(RECONNECT, status=status, code="invalid_token")
    if status == 403:
        return _from_table(_TABLE_403, text, status) or Permanent(
            "Mastodon refused this action" + (f": {_sentence(text)}" if text else "."),
            status=status,
        )
    if status == 404:
        return Permanent(
            "The post (or the post it replies to) no longer exists on Mastodon.",
            status=status,
            code="not_found",
        )
    if status == 413:
        return Permanent("The upload is larger than this Mastodon server accepts.", status=status)
    if status == 422:
        found = _from_table(_TABLE_422, text, status)
        if found is not None:
            return found
        detail = _sentence(text)
        return Permanent(
            f"Mastodon refused the post: {detail}" if detail else "Mastodon refused the post.",
            status=status,
            code="validation",
        )
    if status == 429:
        return RateLimited(
            "Mastodon's rate limit for this account is used up; Cuecast will try again when it resets.",
            retry_at=_retry_at(response),
            status=status,
            code="rate_limited",
        )
    if status >= 500:
        if creating:
            return OutcomeUnknown(
                "Mastodon had a server error while posting; Cuecast will check whether the post went out.",
                status=status,
                code="server_error",
            )
        return Transient("Mastodon had a server error; Cuecast will try again.", status=status)
    detail = _sentence(text)
    return Permanent(
        f"Mastodon refused the request: {detail}" if detail else "Mastodon refused the request.",
        status=status,
    )


def error_from_transport(exc: httpx.HTTPError, *, creating: bool = False) -> NetworkError:
    """Map a transport failure. Only a failure before the request was sent is known-not-acted-on."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Transient(
            "Cuecast could not reach the Mastodon server; it will try again.", code="connect"
        )
    if creating:
        return OutcomeUnknown(
            "Mastodon did not answer in time while posting; Cuecast will check whether the post went out.",
            code="timeout" if isinstance(exc, httpx.TimeoutException) else "transport",
        )
    return Transient(
        "The Mastodon server did not answer in time; Cuecast will try again.", code="timeout"
    )
