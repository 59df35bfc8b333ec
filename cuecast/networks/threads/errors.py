"""The one place Threads' failures become Cuecast's error tree (cuecast/networks/errors.py).

Threads answers with the Graph error envelope (developers.facebook.com/docs/graph-api/guides/
error-handling): `{"error": {"message", "type", "code", "error_subcode", "error_user_title",
"error_user_msg", "is_transient", "fbtrace_id"}}`. Classification goes by HTTP status, then by
`code` and `error_subcode`; the few cases told apart only by wording are in `TEXT_RULES`, each
with a recorded body in tests/networks/threads/fixtures/. docs/networks/threads.md has the table.

Retry safety:
* Creating a container (`POST /{user}/threads`) publishes nothing: a container that is never
  published expires after 24 hours (docs, troubleshooting: EXPIRED). So a 5xx or a lost answer
  there is `Transient`: a stray container is harmless and the retry creates a new one.
* Publishing (`POST /{user}/threads_publish`) makes the post public. Anything after the request
  may have reached Threads (a 5xx, a read timeout) is `OutcomeUnknown`: reconcile through the
  container's status (PUBLISHED) before sending again. Only failures where nothing was sent
  (connecting, waiting for a pooled connection) are `Transient`.
* Reads, deletes and token calls are safe to repeat: their 5xx and transport failures are
  `Transient`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cuecast.networks.errors import (
    AuthExpired,
    Disconnected,
    Duplicate,
    NetworkError,
    OutcomeUnknown,
    Permanent,
    QuotaExhausted,
    RateLimited,
    Transient,
)
from cuecast.networks.threads import ratelimit

AUTH_MESSAGE = (
    "Threads no longer accepts Cuecast's sign-in for this account; Cuecast will renew it."
)
DISCONNECTED_MESSAGE = (
    "Threads no longer lets Cuecast act for this account. Connect the Threads account again in "
    "Cuecast."
)
PERMISSION_MESSAGE = (
    "Threads says Cuecast lacks a permission it needs for this account. Connect the Threads "
    "account again and allow everything Cuecast asks for."
)
RATE_MESSAGE = (
    "Threads is limiting how often Cuecast may call it; Cuecast will try again when Threads allows."
)
QUOTA_MESSAGE = (
    "This Threads account has used up its 24-hour publishing limit; Cuecast will post again "
    "when it reopens."
)
UNKNOWN_MESSAGE = (
    "Threads did not answer whether it published the post; Cuecast will check Threads before "
    "trying again."
)
TRANSIENT_MESSAGE = (
    "Threads could not be reached or had a temporary problem; Cuecast will try again."
)
CLIENT_MESSAGE = (
    "Threads refused Cuecast's app credentials (app ID or secret). An administrator must check "
    "the Threads app settings in Cuecast's configuration."
)
NOT_FOUND_MESSAGE = "Threads could not find this post or account."
DUPLICATE_MESSAGE = (
    "Threads says this account already posted the same content; Cuecast will look for that post."
)

# Graph error codes (graph-api/guides/error-handling).
TOKEN_CODES = frozenset({102, 190})  # API session, access token expired / invalid
NO_TOKEN = 104  # "An access token is required"
THROTTLE_CODES = frozenset({4, 17, 32, 613})  # app, user, page, custom rate limits
TRANSIENT_CODES = frozenset({1, 2})  # API unknown, API service
PERMISSION_CODES = frozenset({3, 10}) | frozenset(range(200, 300))
POLICY_BLOCK = 368  # "temporarily blocked for policy violations: wait and retry"
DUPLICATE_POST = 506
INVALID_PARAMETER = 100
SUBCODE_EXPIRED = 463
SUBCODE_NO_OBJECT = 33  # "Object with ID ... does not exist, cannot be loaded ..."
INVALID_APP_ID = 101  # "Error validating application. Invalid application ID."
CLIENT_WORDING = re.compile(r"client secret|application id|client_id|client_secret", re.I)
POLICY_WAIT = timedelta(hours=1)
# Meta's content-publishing codes, documented for Instagram's identical container flow and
# [unconfirmed for Threads, whose docs list none]: what the sandbox answers.
PUBLISHING_LIMIT = (9, 2207042)  # "Application request limit reached": the 24-hour cap
NOT_READY = (9007, 2207027)  # "Media ID is not available": the container is still processing
BUILDER_GONE = (24, 2207008)  # "The media builder ... does not exist or has been expired"
MEDIA_EXPIRED = (-2, 2207020)  # "The media you are trying to access has expired"
QUOTA_WAIT = timedelta(hours=1)  # when the limit is hit without a prior check naming a time
# Usage headers count in whole minutes: arrive a minute late rather than a second early.
MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class TextRule:
    """A case Threads only tells apart by its wording. Keep every row covered by a fixture."""

    name: str  # also the fixture's file name and the error's `code`
    pattern: re.Pattern[str]
    error: type[NetworkError]
    message: str | None  # None: show Threads' own explanation


TEXT_RULES: tuple[TextRule, ...] = (
    TextRule(
        "link-limit",
        re.compile(r"THREADS_API__LINK_LIMIT_EXCEEDED|more than 5 links", re.IGNORECASE),
        Permanent,
        "Threads allows at most 5 links in a post. Remove some links and try again.",
    ),
    TextRule(
        # [unconfirmed wording: Meta documents the cap, not the error it returns]
        "publishing-limit",
        re.compile(r"publish(?:ing)? (?:limit|quota)|posts? limit|quota (?:is )?exceeded", re.I),
        QuotaExhausted,
        QUOTA_MESSAGE,
    ),
)


@dataclass(frozen=True)
class Body:
    """The fields of a Graph (or OAuth) error body that classification reads."""

    code: int | None = None
    subcode: int | None = None
    type: str = ""
    message: str = ""
    user_title: str = ""
    user_msg: str = ""
    is_transient: bool = False

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.message, self.user_title, self.user_msg) if p)

    def shown(self) -> str:
        """Threads' own explanation, for a Permanent error's message. Graph prefixes "(#100) "."""
        text = self.user_msg or re.sub(r"^\(#\d+\)\s*", "", self.message)
        return text.strip()


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def read_body(response: httpx.Response) -> Body:
    try:
        data: Any = response.json()
    except ValueError:
        return Body()
    if not isinstance(data, dict):
        return Body()
    error = data.get("error")
    if isinstance(error, dict):
        return Body(
            code=_int(error.get("code")),
            subcode=_int(error.get("error_subcode")),
            type=str(error.get("type") or ""),
            message=str(error.get("message") or ""),
            user_title=str(error.get("error_user_title") or ""),
            user_msg=str(error.get("error_user_msg") or ""),
            is_transient=error.get("is_transient") is True,
        )
    # The OAuth endpoints may answer flat: {"error_type", "code", "error_message"}.
    return Body(
        code=_int(data.get("code")),
        type=str(data.get("error_type") or (error if isinstance(error, str) else "") or ""),
        message=str(data.get("error_message") or data.get("error_description") or ""),
    )


def _refused(body: Body) -> str:
    detail = body.shown()
    if not detail:
        return "Threads refused the request."
    return f"Threads refused the request: {detail.rstrip('.')}."


def _text_rule(body: Body, status: int) -> NetworkError | None:
    for rule in TEXT_RULES:
        if rule.pattern.search(body.text):
            return rule.error(rule.message or _refused(body), status=status, code=rule.name)
    return None


def _auth(body: Body, status: int, refreshable: bool) -> NetworkError:
    """Code 190: an expired token is renewed only while Threads still refreshes it; a revoked,
    changed or unreadable one (subcodes 458, 459, 460, 464, 467, 492) needs a new connection."""
    code = f"{body.code}/{body.subcode}" if body.subcode else str(body.code)
    if refreshable and body.subcode in (None, SUBCODE_EXPIRED):
        return AuthExpired(AUTH_MESSAGE, status=status, code=code)
    return Disconnected(DISCONNECTED_MESSAGE, status=status, code=code)


def from_response(
    response: httpx.Response,
    *,
    create: bool = False,
    refreshable: bool = False,
    now: datetime | None = None,
) -> NetworkError:
    """Map a non-2xx answer from the Threads API to the error tree.

    `create`: the call publishes (threads_publish), so an unclear failure is OutcomeUnknown.
    `refreshable`: the stored token may still be refreshed (long-lived, not yet expired).
    """
    status = response.status_code
    body = read_body(response)
    now = now or datetime.now(UTC)
    if body.code in TOKEN_CODES or body.code == NO_TOKEN or status == 401:
        return _auth(body, status, refreshable)
    pair = (body.code, body.subcode)
    if pair == PUBLISHING_LIMIT:
        return QuotaExhausted(
            QUOTA_MESSAGE, status=status, code="publishing-limit", retry_at=now + QUOTA_WAIT
        )
    if pair in (NOT_READY, MEDIA_EXPIRED):
        # A refusal before publishing: nothing went out, the container is not (or no longer)
        # publishable; the next attempt waits for it or makes a new one.
        return Transient(
            "Threads was not ready to publish the prepared post; Cuecast will try again.",
            status=status,
            code="not_ready" if pair == NOT_READY else "container_expired",
        )
    if pair == BUILDER_GONE:
        # The container is unknown: expired, or already published by an earlier attempt.
        if create:
            return OutcomeUnknown(UNKNOWN_MESSAGE, status=status, code="builder_gone")
        return Transient(TRANSIENT_MESSAGE, status=status, code="builder_gone")
    if body.code in THROTTLE_CODES or status == 429:
        by_text = _text_rule(body, status)
        if isinstance(by_text, QuotaExhausted):
            by_text.retry_at = now + QUOTA_WAIT
            return by_text
        return RateLimited(
            RATE_MESSAGE,
            status=status,
            code=str(body.code or status),
            retry_at=ratelimit.retry_at(response.headers, now) + MARGIN,
        )
    if status >= 500 or body.code in TRANSIENT_CODES or body.is_transient:
        code = str(body.code) if body.code in TRANSIENT_CODES else f"http_{status}"
        if create:
            return OutcomeUnknown(UNKNOWN_MESSAGE, status=status, code=code)
        return Transient(TRANSIENT_MESSAGE, status=status, code=code)
    if body.code in PERMISSION_CODES:
        return Disconnected(PERMISSION_MESSAGE, status=status, code=str(body.code))
    if body.code == POLICY_BLOCK:
        return RateLimited(
            "Threads has temporarily blocked posting from this account; Cuecast will try again "
            "later.",
            status=status,
            code=str(POLICY_BLOCK),
            retry_at=now + POLICY_WAIT,
        )
    if body.code == DUPLICATE_POST:
        return Duplicate(DUPLICATE_MESSAGE, status=status, code="duplicate")
    by_text = _text_rule(body, status)
    if by_text is not None:
        if isinstance(by_text, QuotaExhausted):
            by_text.retry_at = now + QUOTA_WAIT
        return by_text
    if status == 404 or (body.code == INVALID_PARAMETER and body.subcode == SUBCODE_NO_OBJECT):
        return Permanent(NOT_FOUND_MESSAGE, status=status, code="not_found")
    code = "invalid_parameter" if body.code == INVALID_PARAMETER else f"http_{status}"
    return Permanent(_refused(body), status=status, code=code)


def from_token_response(response: httpx.Response) -> NetworkError:
    """Map a refusal from the token endpoints (code exchange, th_exchange_token, refresh)."""
    status = response.status_code
    body = read_body(response)
    # Checked first: Graph answers a wrong secret with code 1 ("API Unknown"), which would
    # otherwise read as a temporary failure and be retried forever.
    if body.code == INVALID_APP_ID or CLIENT_WORDING.search(body.message):
        return Permanent(CLIENT_MESSAGE, status=status, code="invalid_client")
    if status >= 500 or body.code in TRANSIENT_CODES:
        return Transient(TRANSIENT_MESSAGE, status=status, code=f"http_{status}")
    if body.code in THROTTLE_CODES or status == 429:
        return RateLimited(
            RATE_MESSAGE,
            status=status,
            code=str(body.code or status),
            retry_at=ratelimit.retry_at(response.headers) + MARGIN,
        )
    if body.code in TOKEN_CODES or status == 401:
        # The token being exchanged or refreshed is expired, revoked or invalid.
        return Disconnected(DISCONNECTED_MESSAGE, status=status, code=str(body.code or status))
    return Permanent(
        "Threads did not accept the sign-in. Connect the Threads account again.",
        status=status,
        code=str(body.code or f"http_{status}"),
    )


# Container status ERROR: error_message values (docs, troubleshooting) as plain sentences.
CONTAINER_ERRORS: dict[str, str] = {
    "FAILED_DOWNLOADING_VIDEO": (
        "Threads could not download the video from Cuecast's public address. Check that "
        "CUECAST_PUBLIC_URL is reachable from the internet."
    ),
    "FAILED_PROCESSING_AUDIO": "Threads could not process the video's sound.",
    "FAILED_PROCESSING_VIDEO": "Threads could not process the video.",
    "INVALID_ASPEC_RATIO": "Threads does not accept the media's aspect ratio.",
    "INVALID_ASPECT_RATIO": "Threads does not accept the media's aspect ratio.",
    "INVALID_BIT_RATE": "Threads does not accept the video's bit rate.",
    "INVALID_DURATION": "Threads does not accept the video's length (at most 5 minutes).",
    "INVALID_FRAME_RATE": "Threads does not accept the video's frame rate (23 to 60 per second).",
    "INVALID_AUDIO_CHANNELS": "Threads does not accept the video's audio channels.",
    "INVALID_AUDIO_CHANNEL_LAYOUT": "Threads does not accept the video's audio channel layout.",
}
DOWNLOAD_MESSAGE = (
    "Threads could not fetch or read the image from Cuecast's public address. Check that "
    "CUECAST_PUBLIC_URL is reachable from the internet and the image is a JPEG or PNG."
)


def container_failed(error_message: str, *, has_media: bool = False) -> Permanent:
    """A container that ended in ERROR: the media is the problem; the user must change it.
    Threads names no image-specific reason (an image that cannot be fetched ends as UNKNOWN)."""
    key = error_message.strip().upper()
    if key in CONTAINER_ERRORS:
        message = CONTAINER_ERRORS[key]
    elif "DOWNLOAD" in key or "IMAGE" in key or has_media:
        message = DOWNLOAD_MESSAGE
    else:
        message = "Threads could not prepare this post's media."
    return Permanent(message, code=f"container_{key.lower() or 'error'}")


# Nothing was sent: connecting failed or no pooled connection became free.
NOTHING_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


def from_transport(exc: httpx.TransportError, *, create: bool = False) -> NetworkError:
    """Map a failure below HTTP (no answer) to the error tree."""
    name = type(exc).__name__
    if create and not isinstance(exc, NOTHING_SENT):
        return OutcomeUnknown(UNKNOWN_MESSAGE, code=name)
    return Transient(TRANSIENT_MESSAGE, code=name)
