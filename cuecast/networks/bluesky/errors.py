"""The one place Bluesky's failures become Cuecast's error tree (cuecast/networks/errors.py).

Every XRPC failure carries the envelope `{"error": "<Name>", "message": "<text>"}`
(atproto.com/specs/xrpc). Classification goes by the `error` name first, then by HTTP status;
the few cases only the wording tells apart are in `TEXT_RULES`, each with a recorded body in
tests/networks/bluesky/fixtures/. Bodies may also be HTML from a proxy: the status decides then.

Auth: the PDS answers an expired access token with 400 `ExpiredToken` (an AppView behind it with
401), a token it cannot verify with 400 `InvalidToken`, a missing one with 401
`AuthenticationRequired`. On an ordinary call all of these mean "refresh, then try again"
(`AuthExpired`); on `refreshSession` they mean the session is gone (`Disconnected`).

Retry safety of a create: Cuecast sends its own record key, so the answer to any doubt is to read
that record back; 5xx and lost answers on `createRecord` are `OutcomeUnknown` and the connection
settles them by `getRecord` (client.py). Reads, uploads and deletes are safe to repeat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from cuecast.networks.bluesky import ratelimit
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

AUTH_MESSAGE = "Bluesky's sign-in for this account has expired; Cuecast will renew it."
RECONNECT_MESSAGE = (
    "Bluesky no longer accepts Cuecast's session for this account (the app password may have "
    "been revoked). Connect the Bluesky account again with an app password."
)
ACCOUNT_MESSAGE = (
    "This Bluesky account is suspended, taken down or deactivated, so Cuecast cannot post for "
    "it. Check the account on Bluesky, then connect it again."
)
RATE_MESSAGE = (
    "Bluesky is limiting how often Cuecast may write for this account; Cuecast will try again "
    "when Bluesky allows."
)
DAILY_MESSAGE = (
    "This Bluesky account has used up its daily allowance of posts and other changes; Cuecast "
    "will post again when it resets."
)
UNKNOWN_MESSAGE = (
    "Bluesky did not answer whether it published the post; Cuecast will check before trying again."
)
TRANSIENT_MESSAGE = (
    "Bluesky could not be reached or had a temporary problem; Cuecast will try again."
)
NOT_FOUND_MESSAGE = "This post no longer exists on Bluesky."
LOGIN_MESSAGE = (
    "Bluesky did not accept this handle and app password. Check both (create an app password "
    "under Settings → Privacy and security → App passwords) and try again."
)

# Error names that say the account itself cannot act (com.atproto.server.createSession,
# refreshSession, com.atproto.sync.* lexicons).
ACCOUNT_ERRORS = frozenset(
    {
        "AccountTakedown",
        "AccountDeactivated",
        "AccountSuspended",
        "RepoTakendown",
        "RepoDeactivated",
        "RepoSuspended",
    }
)
AUTH_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"})
# A create with a record key that is taken. The reference PDS answers 500 today
# (bluesky-social/atproto#3718); atproto PR #4728 adds a named error [name unconfirmed].
ALREADY_EXISTS_ERRORS = frozenset({"RecordAlreadyExists", "AlreadyExists"})


@dataclass(frozen=True)
class XrpcBody:
    error: str = ""
    message: str = ""

    def shown(self) -> str:
        """Bluesky's own message as one sentence, or ""."""
        text = " ".join(self.message.split())
        if not text or text == self.error:
            return ""
        return text[:300].rstrip(".") + "."


def read_body(response: httpx.Response) -> XrpcBody:
    try:
        data: Any = response.json()
    except ValueError:
        return XrpcBody()
    if not isinstance(data, dict):
        return XrpcBody()
    error = data.get("error")
    message = data.get("message")
    return XrpcBody(
        error=error if isinstance(error, str) else "",
        message=message if isinstance(message, str) else "",
    )


@dataclass(frozen=True)
class TextRule:
    """A case Bluesky only tells apart by its wording. Keep every row covered by a fixture."""

    name: str  # also the fixture's name and the error's `code`
    pattern: re.Pattern[str]
    error: type[NetworkError]
    message: str | None  # None: show Bluesky's own message


TEXT_RULES: tuple[TextRule, ...] = (
    TextRule(
        # getRecord on a PDS older than the RecordNotFound name: InvalidRequest + this text.
        "record-not-found",
        re.compile(r"Could not locate record", re.IGNORECASE),
        Permanent,
        NOT_FOUND_MESSAGE,
    ),
    TextRule(
        "already-exists",
        re.compile(r"already exists", re.IGNORECASE),
        OutcomeUnknown,
        UNKNOWN_MESSAGE,
    ),
    TextRule(
        # Record validation: "Invalid app.bsky.feed.post record: Record/text must not be longer
        # than 300 graphemes" (or 3000 characters, the byte limit).
        "text-too-long",
        re.compile(r"text must not be longer than", re.IGNORECASE),
        Permanent,
        "The post is longer than Bluesky allows (300 characters, 3,000 bytes); shorten it.",
    ),
    TextRule(
        "image-too-large",
        re.compile(r"too large|BlobTooLarge|exceeds? (?:the )?max(?:imum)? size", re.IGNORECASE),
        Permanent,
        "An image is larger than Bluesky accepts (1 MB per image); use a smaller file.",
    ),
)


def _text_rule(body: XrpcBody, status: int) -> NetworkError | None:
    text = f"{body.error} {body.message}"
    for rule in TEXT_RULES:
        if rule.pattern.search(text):
            return rule.error(rule.message or _refused(body), status=status, code=rule.name)
    return None


def _refused(body: XrpcBody) -> str:
    detail = body.shown()
    return f"Bluesky refused the request: {detail}" if detail else "Bluesky refused the request."


def rate_limited(response: httpx.Response) -> RateLimited:
    info = ratelimit.parse(response.headers)
    retry_at = (info.reset_at if info else None) or ratelimit.retry_after(response.headers)
    if info is not None and info.daily:
        return QuotaExhausted(DAILY_MESSAGE, status=429, code="daily-limit", retry_at=retry_at)
    return RateLimited(RATE_MESSAGE, status=429, code="rate-limited", retry_at=retry_at)


def from_response(
    response: httpx.Response, *, create: bool = False, refreshing: bool = False
) -> NetworkError:
    """Map a non-2xx XRPC answer. `create`: it answered createRecord; `refreshing`: it answered
    refreshSession, whose auth failures mean the session is over."""
    status = response.status_code
    body = read_body(response)
    name = body.error
    if status == 429 or name == "RateLimitExceeded":
        return rate_limited(response)
    if name in ACCOUNT_ERRORS:
        return Disconnected(ACCOUNT_MESSAGE, status=status, code=name)
    if name in AUTH_ERRORS or status == 401:
        code = name or "unauthorized"
        if refreshing:
            return Disconnected(RECONNECT_MESSAGE, status=status, code=code)
        return AuthExpired(AUTH_MESSAGE, status=status, code=code)
    if name == "RecordNotFound":
        return Permanent(NOT_FOUND_MESSAGE, status=status, code="record-not-found")
    if name in ALREADY_EXISTS_ERRORS:
        return OutcomeUnknown(UNKNOWN_MESSAGE, status=status, code="already-exists")
    if name in ("InvalidSwap", "ConcurrentWrites"):
        return Transient(TRANSIENT_MESSAGE, status=status, code=name)
    if status >= 500 and status != 501:
        if create:
            return OutcomeUnknown(UNKNOWN_MESSAGE, status=status, code=f"http_{status}")
        return Transient(TRANSIENT_MESSAGE, status=status, code=f"http_{status}")
    by_text = _text_rule(body, status)
    if by_text is not None:
        return by_text
    if status == 413:
        return Permanent(
            "An upload is larger than this Bluesky server accepts; use a smaller file.",
            status=status,
            code="too-large",
        )
    if status in (404, 501) and name in ("", "XRPCNotSupported", "MethodNotImplemented"):
        return Permanent(
            "This server does not offer what Cuecast needs from a Bluesky server (PDS); check "
            "the server address of the channel.",
            status=status,
            code=name or f"http_{status}",
        )
    code = name or ("invalid-request" if status == 400 else f"http_{status}")
    return Permanent(_refused(body), status=status, code=code)


def from_login_response(response: httpx.Response) -> NetworkError:
    """Map a refusal from createSession (the one time the app password is used)."""
    status = response.status_code
    body = read_body(response)
    if status == 429 or body.error == "RateLimitExceeded":
        return rate_limited(response)
    if status >= 500:
        return Transient(TRANSIENT_MESSAGE, status=status, code=f"http_{status}")
    if body.error == "AuthFactorTokenRequired":
        return Permanent(
            "This Bluesky account asks for an email sign-in code. Use an app password instead of "
            "the account password: app passwords skip the code.",
            status=status,
            code=body.error,
        )
    if body.error in ACCOUNT_ERRORS:
        return Permanent(ACCOUNT_MESSAGE, status=status, code=body.error)
    if status in (400, 401) or body.error in AUTH_ERRORS:
        return Permanent(LOGIN_MESSAGE, status=status, code=body.error or "invalid-login")
    return from_response(response)


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
