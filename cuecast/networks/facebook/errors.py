"""The one place Facebook's failures become Cuecast's error tree (cuecast/networks/errors.py).

Graph answers errors as `{"error": {"message", "type", "code", "error_subcode", "error_user_msg",
"is_transient", "fbtrace_id"}}`, usually with HTTP 400 whatever the cause, so classification goes
by `code` and `error_subcode` first (developers.facebook.com/docs/graph-api/guides/error-handling),
then by HTTP status for answers without the envelope. The few cases only the wording tells apart
are in `TEXT_RULES`, each with a recorded body in tests/networks/facebook/fixtures/.

Decisions (docs/networks/facebook.md#errors):
- 190 / 102 (token invalid, expired, revoked): `Disconnected`. Cuecast holds Page tokens, which do
  not expire and cannot be refreshed; only connecting the Page again makes a new one.
- 10 and 200-299 (permission missing): `Disconnected` when creating a post (the Page token lacks
  `pages_manage_posts` or the person lost the Page task: a new consent fixes it), `Permanent` on
  reads and deletes (a single object or insight is out of reach; the channel still works).
- 4, 17, 32, 341, 613, 80001 (throttling): `RateLimited`, `retry_at` from the usage headers'
  `estimated_time_to_regain_access`, else `DEFAULT_WAIT`.
- 1, 2, `is_transient` and 5xx: `Transient` on reads, `OutcomeUnknown` on creates (Facebook does
  not promise that such a failure created nothing).
- 506 duplicate: `Duplicate`; 368 (blocked for a policy reason): `Permanent`; 100: `Permanent`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cuecast.networks.errors import (
    Disconnected,
    Duplicate,
    NetworkError,
    OutcomeUnknown,
    Permanent,
    RateLimited,
    Transient,
)
from cuecast.networks.facebook import ratelimit

DISCONNECTED_MESSAGE = (
    "Facebook no longer accepts Cuecast's access to this Page (the sign-in was revoked, the "
    "password changed, or the app was removed). Connect the Facebook Page again in Cuecast."
)
CHECKPOINT_MESSAGE = (
    "Facebook needs the person who connected this Page to log in to facebook.com and resolve a "
    "security check. Then connect the Facebook Page again in Cuecast."
)
PERMISSION_MESSAGE = (
    "Cuecast lacks the permission to post to this Facebook Page (it was declined or removed, or "
    "the person who connected it can no longer create content on the Page). Connect the Facebook "
    "Page again in Cuecast and allow posting."
)
RATE_MESSAGE = (
    "Facebook is limiting how often Cuecast may call it for this Page; Cuecast will try again "
    "when Facebook allows."
)
DUPLICATE_MESSAGE = (
    "Facebook says this Page already posted the same text; Cuecast will look for that post."
)
POLICY_MESSAGE = (
    "Facebook has blocked this post for a policy reason (it may look like spam or break "
    "Facebook's Community Standards). Change the post before trying again."
)
UNKNOWN_MESSAGE = (
    "Facebook did not answer whether it published the post; Cuecast will check the Page before "
    "trying again."
)
TRANSIENT_MESSAGE = (
    "Facebook could not be reached or had a temporary problem; Cuecast will try again."
)
LOGIN_MESSAGE = (
    "Facebook did not accept the sign-in (it may have expired or been used already). Connect the "
    "Facebook Page again."
)
APP_MESSAGE = (
    "Facebook refused Cuecast's app credentials (app ID or secret). An administrator must check "
    "CUECAST_FACEBOOK_APP_ID and CUECAST_FACEBOOK_APP_SECRET."
)

DEFAULT_WAIT = timedelta(minutes=15)  # throttled, but no estimate in the headers

CODE_UNKNOWN = 1
CODE_SERVICE = 2
CODE_TOO_MANY_CALLS = 4
CODE_PERMISSION = 10
CODE_USER_TOO_MANY_CALLS = 17
CODE_PAGE_TOO_MANY_CALLS = 32
CODE_INVALID_PARAMETER = 100
CODE_API_SESSION = 102
CODE_NO_TOKEN = 104
CODE_TOKEN = 190
CODE_APP_LIMIT = 341
CODE_POLICY_BLOCK = 368
CODE_DUPLICATE = 506
CODE_THROTTLED = 613
CODE_PAGES_BUC = 80001
CODE_LINK_ERROR = 1609005
THROTTLE_CODES = frozenset(
    {
        CODE_TOO_MANY_CALLS,
        CODE_USER_TOO_MANY_CALLS,
        CODE_PAGE_TOO_MANY_CALLS,
        CODE_APP_LIMIT,
        CODE_THROTTLED,
        CODE_PAGES_BUC,
    }
)
TOKEN_CODES = frozenset({CODE_TOKEN, CODE_API_SESSION, CODE_NO_TOKEN})
SUBCODE_CHECKPOINT = 459
SUBCODE_UNCONFIRMED_USER = 464
SUBCODE_NOT_FOUND = 33  # with code 100: the object does not exist or cannot be seen


@dataclass(frozen=True)
class GraphError:
    """The fields of a Graph error envelope that classification reads."""

    code: int | None = None
    subcode: int | None = None
    type: str = ""
    message: str = ""
    user_message: str = ""
    is_transient: bool = False
    fbtrace_id: str = ""
    oauth_error: str = ""  # RFC 6749 style bodies, should any come

    @property
    def permission(self) -> bool:
        return self.code == CODE_PERMISSION or (self.code is not None and 200 <= self.code <= 299)

    def shown(self) -> str:
        """Facebook's own explanation for the user: the user-facing text when Facebook gave one."""
        text = self.user_message or _strip_code(self.message)
        return " ".join(text.split())[:300]


@dataclass(frozen=True)
class TextRule:
    """A case Facebook only tells apart by wording. Keep every row covered by a fixture."""

    name: str  # also the fixture's file name and the error's `code`
    codes: frozenset[int]
    pattern: re.Pattern[str]
    error: type[NetworkError]
    message: str | None  # None: show Facebook's own text


TEXT_RULES: tuple[TextRule, ...] = (
    TextRule(
        # Older answers to a repeated post came as 368 with this wording (koala issues 422/699).
        "duplicate-368",
        frozenset({CODE_POLICY_BLOCK}),
        re.compile(r"already (?:been )?posted|duplicate", re.IGNORECASE),
        Duplicate,
        DUPLICATE_MESSAGE,
    ),
)


LOGIN_TEXT_RULES: tuple[TextRule, ...] = (
    TextRule(
        # A wrong app secret comes back as code 1 ("Error validating client secret."), which would
        # otherwise read as a passing fault; a wrong app id as code 101.
        "invalid-client",
        frozenset(),
        re.compile(
            r"client secret|Error validating application|Invalid (?:Client|App) ID", re.IGNORECASE
        ),
        Permanent,
        APP_MESSAGE,
    ),
)


def _strip_code(message: str) -> str:
    return re.sub(r"^\(#\d+\)\s*", "", message.strip())


def read_error(response: httpx.Response) -> GraphError:
    try:
        body: Any = response.json()
    except ValueError:
        return GraphError()
    if not isinstance(body, dict):
        return GraphError()
    error = body.get("error")
    if isinstance(error, str):  # {"error": "invalid_grant", "error_description": ...}
        return GraphError(oauth_error=error, message=str(body.get("error_description") or ""))
    if not isinstance(error, dict):
        return GraphError()

    def number(key: str) -> int | None:
        value = error.get(key)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        return None

    return GraphError(
        code=number("code"),
        subcode=number("error_subcode"),
        type=str(error.get("type") or ""),
        message=str(error.get("message") or ""),
        user_message=str(error.get("error_user_msg") or ""),
        is_transient=error.get("is_transient") is True,
        fbtrace_id=str(error.get("fbtrace_id") or ""),
    )


def _refused(error: GraphError, what: str = "the request") -> str:
    detail = error.shown()
    if not detail:
        return f"Facebook refused {what}."
    return f"Facebook refused {what}: {detail.rstrip('.')}."


def _text_rule(error: GraphError, status: int) -> NetworkError | None:
    text = f"{error.message} {error.user_message}"
    for rule in TEXT_RULES:
        if error.code in rule.codes and rule.pattern.search(text):
            return rule.error(rule.message or _refused(error), status=status, code=rule.name)
    return None


def retry_at(response: httpx.Response, now: datetime | None = None) -> datetime:
    """When to come back after throttling: Facebook's own estimate, else DEFAULT_WAIT."""
    now = now or datetime.now(UTC)
    info = ratelimit.parse(response.headers, now)
    estimate = info.retry_at() if info else None
    return estimate if estimate is not None else now + DEFAULT_WAIT


def from_response(response: httpx.Response, *, create: bool = False) -> NetworkError:
    """Map a non-2xx Graph answer (any endpoint but the token exchange) to the error tree."""
    status = response.status_code
    error = read_error(response)
    code = error.code
    if code in TOKEN_CODES or (code is None and status == 401):
        if error.subcode in (SUBCODE_CHECKPOINT, SUBCODE_UNCONFIRMED_USER):
            return Disconnected(CHECKPOINT_MESSAGE, status=status, code=f"190.{error.subcode}")
        name = f"{code or status}" + (f".{error.subcode}" if error.subcode else "")
        return Disconnected(DISCONNECTED_MESSAGE, status=status, code=name)
    if code in THROTTLE_CODES or status == 429:
        return RateLimited(
            RATE_MESSAGE,
            status=status,
            code=str(code or "http_429"),
            retry_at=retry_at(response),
        )
    by_text = _text_rule(error, status)
    if by_text is not None:
        return by_text
    if code == CODE_DUPLICATE:
        return Duplicate(DUPLICATE_MESSAGE, status=status, code=str(code))
    if code == CODE_POLICY_BLOCK:
        return Permanent(POLICY_MESSAGE, status=status, code=str(code))
    if error.permission:
        if create:
            return Disconnected(PERMISSION_MESSAGE, status=status, code=str(code))
        return Permanent(_refused(error), status=status, code=str(code))
    if code in (CODE_UNKNOWN, CODE_SERVICE) or error.is_transient or status >= 500:
        name = str(code) if code is not None else f"http_{status}"
        if create:
            return OutcomeUnknown(UNKNOWN_MESSAGE, status=status, code=name)
        return Transient(TRANSIENT_MESSAGE, status=status, code=name)
    if code == CODE_INVALID_PARAMETER and error.subcode == SUBCODE_NOT_FOUND:
        return Permanent(
            "Facebook could not find this post or Page (it may have been deleted).",
            status=status,
            code="not_found",
        )
    if code == CODE_LINK_ERROR:
        return Permanent(
            "Facebook could not read the link in this post. Check the address and try again.",
            status=status,
            code=str(code),
        )
    if status == 404:
        return Permanent(
            "Facebook could not find this post or Page.", status=status, code="not_found"
        )
    return Permanent(
        _refused(error), status=status, code=str(code) if code is not None else f"http_{status}"
    )


def from_login_response(response: httpx.Response) -> NetworkError:
    """Map a refusal while connecting (code exchange, long-lived exchange, listing the Pages)."""
    status = response.status_code
    error = read_error(response)
    if error.code in THROTTLE_CODES or status == 429:
        return RateLimited(
            RATE_MESSAGE, status=status, code=str(error.code or 429), retry_at=retry_at(response)
        )
    text = f"{error.message} {error.user_message}"
    for rule in LOGIN_TEXT_RULES:
        if rule.pattern.search(text):
            return rule.error(rule.message or LOGIN_MESSAGE, status=status, code=rule.name)
    if error.code in (CODE_UNKNOWN, CODE_SERVICE) or error.is_transient or status >= 500:
        return Transient(TRANSIENT_MESSAGE, status=status, code=str(error.code or status))
    return Permanent(
        LOGIN_MESSAGE, status=status, code=str(error.code or error.oauth_error or status)
    )


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
