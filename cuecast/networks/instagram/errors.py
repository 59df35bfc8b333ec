"""The one place Instagram's failures become Cuecast's error tree (cuecast/networks/errors.py).

Graph API errors come as `{"error": {"message", "type", "code", "error_subcode",
"error_user_title", "error_user_msg", "is_transient", "fbtrace_id"}}`, usually with HTTP 400
(developers.facebook.com/docs/graph-api/guides/error-handling; Instagram's subcodes:
developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes).
Classification goes by subcode first, then code, then HTTP status; the only text matching is in
`TEXT_RULES`. docs/networks/instagram.md has the table with sources.

Which call failed matters:
- `Call.CREATE` (making a container): nothing appears on the account until `media_publish`, and an
  unpublished container expires after 24 hours, so a 5xx or a timeout here is `Transient` even if
  Instagram did make a container: the stray one is never published and costs nothing but one of
  the 400 containers an account may create per 24 hours.
- `Call.PUBLISH` (`media_publish`): a 5xx, a timeout or a generic server error (codes 1, 2, -1) may
  have published the post: `OutcomeUnknown`, and reconciliation reads the container's status.
- `Call.READ`: reads retry freely, so server trouble is `Transient`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import httpx

from cuecast.networks.errors import (
    AuthExpired,
    Disconnected,
    NetworkError,
    OutcomeUnknown,
    Permanent,
    QuotaExhausted,
    RateLimited,
    Transient,
)


class Call(Enum):
    READ = "read"
    CREATE = "create"  # POST /{ig-user-id}/media: a container, invisible until published
    PUBLISH = "publish"  # POST /{ig-user-id}/media_publish: the post itself


AUTH_MESSAGE = "Instagram did not accept Cuecast's sign-in; Cuecast will renew it and try again."
DISCONNECTED_MESSAGE = (
    "Instagram no longer accepts Cuecast's access to this account. Connect the Instagram "
    "account again."
)
PERMISSION_MESSAGE = (
    "Cuecast lacks a permission it needs on this Instagram account. Connect the Instagram "
    "account again and allow every permission."
)
RATE_MESSAGE = "Instagram asked Cuecast to slow down; it will try again later."
QUOTA_MESSAGE = (
    "This Instagram account has reached the number of posts Instagram allows apps to publish "
    "in 24 hours; the post waits until Instagram allows more."
)
TRANSIENT_MESSAGE = "Instagram had a temporary problem; Cuecast will try again."
UNKNOWN_MESSAGE = (
    "Instagram did not confirm whether the post went out; Cuecast will check before trying again."
)
NOT_FOUND_MESSAGE = "Instagram could not find this post or account."
NEEDS_PUBLIC_URL_MESSAGE = (
    "Instagram fetches images from a public web address, and Cuecast has none: an administrator "
    "must set CUECAST_PUBLIC_URL to the address where Cuecast can be reached from the internet."
)
DELETE_MESSAGE = "Instagram does not let apps delete posts; delete it in the Instagram app."

# Codes (not subcodes) that mean "too many calls" (Graph rate limiting): application (4), user
# (17), Page (32), API-specific (613), Instagram business use case (80002).
RATE_CODES = frozenset({4, 17, 32, 613, 80002})
# Code 190 subcodes that no refresh can fix: app removed (458), password changed (460),
# unconfirmed user (464), session invalidated (467 is "invalid access token": refresh may help).
REVOKED_SUBCODES = frozenset({458, 459, 460, 464, 492})
# Graph platform limits are rolling one-hour windows; a little more so as not to return too early.
DEFAULT_RATE_WAIT = timedelta(hours=1, minutes=1)


@dataclass(frozen=True)
class Subcode:
    error: type[NetworkError]
    message: str
    name: str


# Instagram's own subcodes (error-codes reference). Transient rows created nothing: Meta's
# recommended solution for each is "try again" (with a new container where it says so).
SUBCODES: dict[int, Subcode] = {
    2207001: Subcode(Transient, TRANSIENT_MESSAGE, "server_error"),
    2207003: Subcode(
        Transient,
        "Instagram took too long to download the image; Cuecast will try again.",
        "download_timeout",
    ),
    2207004: Subcode(
        Permanent, "The image is too large for Instagram: it must be under 8 MB.", "image_too_large"
    ),
    2207005: Subcode(
        Permanent,
        "Instagram does not accept this image format. Use a JPEG image.",
        "image_format",
    ),
    2207006: Subcode(
        Permanent,
        "Instagram could not find the media for this post, or Cuecast may not use it.",
        "media_not_found",
    ),
    2207008: Subcode(
        Transient,
        "Instagram lost the prepared post before it was published; Cuecast will prepare it again.",
        "container_gone",
    ),
    2207009: Subcode(
        Permanent,
        "Instagram does not accept this image's shape: its width-to-height ratio must be between "
        "4:5 and 1.91:1.",
        "aspect_ratio",
    ),
    2207010: Subcode(
        Permanent, "The caption is too long for Instagram: at most 2,200 characters.", "caption"
    ),
    2207020: Subcode(
        Transient,
        "The prepared Instagram post expired before it was published; Cuecast will prepare it "
        "again.",
        "container_expired",
    ),
    2207023: Subcode(Permanent, "Instagram does not know this kind of media.", "media_type"),
    2207026: Subcode(
        Permanent,
        "Instagram does not accept this video's format. Use an MP4 or MOV video.",
        "video_format",
    ),
    2207027: Subcode(
        Transient,
        "Instagram is still processing the media; Cuecast will publish it shortly.",
        "not_ready",
    ),
    2207028: Subcode(
        Permanent,
        "Instagram refused the carousel: it needs between 2 and 10 images or videos.",
        "carousel",
    ),
    2207032: Subcode(Transient, TRANSIENT_MESSAGE, "create_failed"),
    2207042: Subcode(QuotaExhausted, QUOTA_MESSAGE, "publish_limit"),
    2207050: Subcode(
        Permanent,
        "Instagram has restricted this account, so it cannot publish right now. Check the "
        "account in the Instagram app.",
        "restricted_user",
    ),
    2207051: Subcode(
        Permanent,
        "Instagram blocked this post as suspected spam. Change the post, or ask Instagram to "
        "review the block.",
        "spam_block",
    ),
    2207052: Subcode(
        Permanent,
        "Instagram could not fetch the image from Cuecast's address. Make sure CUECAST_PUBLIC_URL "
        "is reachable from the internet.",
        "fetch_failed",
    ),
    2207053: Subcode(Transient, TRANSIENT_MESSAGE, "upload_failed"),
    2207057: Subcode(
        Permanent, "The video cover time is outside the video's length.", "thumb_offset"
    ),
}


@dataclass(frozen=True)
class TextRule:
    pattern: str  # lower-case substring of Graph's `message`
    error: type[NetworkError]
    message: str
    name: str


TEXT_RULES: tuple[TextRule, ...] = (
    # Insights on a post with few viewers: (#10) Not enough viewers for the media to show insights.
    TextRule(
        "not enough viewers",
        Permanent,
        "Instagram shows insights only once enough people have seen the post.",
        "not_enough_viewers",
    ),
)


@dataclass(frozen=True)
class GraphError:
    code: int | None
    subcode: int | None
    message: str
    user_message: str
    is_transient: bool


def read_error(response: httpx.Response) -> GraphError:
    try:
        body: Any = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return GraphError(None, None, "", "", False)

    def number(value: Any) -> int | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        return None

    return GraphError(
        code=number(error.get("code")),
        subcode=number(error.get("error_subcode")),
        message=str(error.get("message") or ""),
        user_message=str(error.get("error_user_msg") or ""),
        is_transient=error.get("is_transient") is True,
    )


def _sentence(text: str) -> str:
    text = " ".join(text.split()).strip()
    if not text or "{" in text:
        return ""
    return text if text.endswith((".", "!", "?")) else text + "."


def _refused(error: GraphError) -> str:
    detail = _sentence(error.user_message)
    return f"Instagram refused the post: {detail}" if detail else "Instagram refused the post."


def regain_at(headers: httpx.Headers, now: datetime | None = None) -> datetime | None:
    """When access returns, from `X-Business-Use-Case-Usage` (`estimated_time_to_regain_access`,
    minutes; Graph rate-limiting docs). None when no header names a time."""
    now = now or datetime.now(UTC)
    minutes: list[int] = []
    raw = headers.get("x-business-use-case-usage")
    if raw:
        try:
            usage: Any = json.loads(raw)
        except ValueError:
            usage = None
        if isinstance(usage, dict):
            for entries in usage.values():
                for entry in entries if isinstance(entries, list) else []:
                    value = (
                        entry.get("estimated_time_to_regain_access")
                        if isinstance(entry, dict)
                        else None
                    )
                    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                        minutes.append(int(value))
    if not minutes:
        return None
    # An estimate in whole minutes: one more minute so Cuecast never comes back too early.
    return now + timedelta(minutes=max(minutes) + 1)


def _rate_limited(response: httpx.Response, error: GraphError) -> RateLimited:
    retry_at = regain_at(response.headers) or datetime.now(UTC) + DEFAULT_RATE_WAIT
    code = f"graph_{error.code}" if error.code is not None else "http_429"
    return RateLimited(RATE_MESSAGE, status=response.status_code, code=code, retry_at=retry_at)


def from_response(response: httpx.Response, *, call: Call = Call.READ) -> NetworkError:
    """Map a non-2xx Graph answer (from an Instagram endpoint) to the error tree."""
    status = response.status_code
    error = read_error(response)
    code, subcode = error.code, error.subcode

    if subcode is not None and subcode in SUBCODES:
        row = SUBCODES[subcode]
        if (
            row.error is Transient
            and call is Call.PUBLISH
            and row.name
            in (
                "server_error",
                "create_failed",
                "upload_failed",
            )
        ):
            return OutcomeUnknown(UNKNOWN_MESSAGE, status=status, code=row.name)
        if row.error is QuotaExhausted:
            return QuotaExhausted(row.message, status=status, code=row.name, retry_at=None)
        return row.error(row.message, status=status, code=row.name)
    lowered = error.message.lower()
    for rule in TEXT_RULES:
        if rule.pattern in lowered:
            return rule.error(rule.message, status=status, code=rule.name)
    if code in (190, 102):
        if subcode in REVOKED_SUBCODES:
            return Disconnected(DISCONNECTED_MESSAGE, status=status, code=f"190_{subcode}")
        return AuthExpired(AUTH_MESSAGE, status=status, code=f"{code}_{subcode or 0}")
    if code == 104:  # no token at all
        return AuthExpired(AUTH_MESSAGE, status=status, code="104")
    if code == 10 or (code is not None and 200 <= code <= 299):
        return Disconnected(PERMISSION_MESSAGE, status=status, code=f"permission_{code}")
    if code == 9:  # "application request limit reached" for publishing (subcode may be missing)
        return QuotaExhausted(QUOTA_MESSAGE, status=status, code="publish_limit", retry_at=None)
    if code in RATE_CODES or status == 429:
        return _rate_limited(response, error)
    if status >= 500 or code in (1, 2, -1, -2) or error.is_transient:
        if call is Call.PUBLISH:
            return OutcomeUnknown(UNKNOWN_MESSAGE, status=status, code=f"server_{code or status}")
        return Transient(TRANSIENT_MESSAGE, status=status, code=f"server_{code or status}")
    if (code == 100 and subcode == 33) or status == 404:
        return Permanent(NOT_FOUND_MESSAGE, status=status, code="not_found")
    if code == 368:
        return Permanent(
            "Instagram blocked this post for going against its rules.", status=status, code="368"
        )
    if code == 100:
        return Permanent(_refused(error), status=status, code="invalid_parameter")
    return Permanent(_refused(error), status=status, code=f"graph_{code or status}")


# Nothing was sent: connecting failed or no pooled connection became free.
NOTHING_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


def from_transport(exc: httpx.TransportError, *, call: Call = Call.READ) -> NetworkError:
    """No answer at all. Only `media_publish` can leave a post behind."""
    name = type(exc).__name__
    if call is Call.PUBLISH and not isinstance(exc, NOTHING_SENT):
        return OutcomeUnknown(UNKNOWN_MESSAGE, code=name)
    return Transient(TRANSIENT_MESSAGE, code=name)
