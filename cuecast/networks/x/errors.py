"""The one place X's failures become Cuecast's error tree (cuecast/networks/errors.py).

Classification goes by HTTP status first, then by X's machine-readable fields: the problem-JSON
`type` and `reason` of API v2, the legacy `errors[].code` of v1.1-style bodies, and the OAuth
`error` of the token endpoint. The few cases X only tells apart by wording are in `TEXT_RULES`,
each with a recorded body in tests/networks/x/fixtures/. docs/networks/x.md has the table.

Retry safety of a create (`POST /2/tweets`): X has no idempotency key, and its docs promise
nothing about a 5xx or a dropped connection having created nothing. So for a create, anything
after the request may have reached X (a 5xx, a read timeout, a broken response) is
`OutcomeUnknown` — reconcile by reading the timeline before sending again. Only failures where
nothing was sent (connecting, waiting for a pooled connection) are `Transient`. Reads, deletes,
uploads and token calls are safe to repeat: every transport failure and 5xx there is `Transient`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from cuecast.networks.errors import (
    AccessTierMissing,
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
from cuecast.networks.x import ratelimit

TIER_MESSAGE = (
    "Your X developer app's access level does not include posting. Upgrade the app's access on "
    "X, then release the held posts."
)
QUOTA_MESSAGE = (
    "Your X developer app has used up its usage allowance (credits or its monthly cap). Add "
    "credits or wait for the cap to reset on X, then release the held posts."
)
DAILY_MESSAGE = (
    "X's 24-hour posting limit for this account or app is used up; Cuecast will post again "
    "when it resets."
)
RATE_MESSAGE = "X is limiting how often Cuecast may call it; Cuecast will try again when X allows."
AUTH_MESSAGE = "X no longer accepts Cuecast's sign-in for this account; Cuecast will renew it."
DISCONNECTED_MESSAGE = (
    "X no longer lets Cuecast act for this account. Connect the X account again in Cuecast."
)
CLIENT_MESSAGE = (
    "X refused Cuecast's app credentials (client ID or secret). An administrator must check the "
    "X app settings in Cuecast's configuration."
)
UNKNOWN_MESSAGE = (
    "X did not answer whether it published the post; Cuecast will check X before trying again."
)
TRANSIENT_MESSAGE = "X could not be reached or had a temporary problem; Cuecast will try again."

# The legacy v1.1-style codes that still appear in bodies (developer.x.com error index).
CODE_NOT_IN_TIER = 453  # "You currently have access to a subset of X API V2 endpoints ..."
CODE_DUPLICATE = 187  # "Status is a duplicate."
CODE_RATE_LIMIT = 88  # "Rate limit exceeded"


@dataclass(frozen=True)
class TextRule:
    """A case X only tells apart by its wording. Keep every row covered by a fixture."""

    name: str  # also the fixture's file name and the error's `code`
    status: int | None  # None: any status
    pattern: re.Pattern[str]
    error: type[NetworkError]
    message: str | None  # None: show X's own detail


TEXT_RULES: tuple[TextRule, ...] = (
    TextRule(
        "duplicate-content",
        403,
        re.compile(r"duplicate content", re.IGNORECASE),
        Duplicate,
        "X says this account already posted the same text; Cuecast will look for that post.",
    ),
    TextRule(
        "reply-target-gone",
        403,
        re.compile(r"reply to a (?:Tweet|Post) that is deleted or not visible", re.IGNORECASE),
        Permanent,
        "The post this thread continues was deleted or is no longer visible on X.",
    ),
    TextRule(
        "refresh-token-invalid",
        400,
        re.compile(r"Value passed for the token was invalid", re.IGNORECASE),
        Disconnected,
        DISCONNECTED_MESSAGE,
    ),
)


@dataclass(frozen=True)
class Body:
    """The fields of an X error body that classification reads."""

    type: str = ""
    reason: str = ""
    title: str = ""
    detail: str = ""
    codes: tuple[int, ...] = ()
    messages: tuple[str, ...] = ()
    oauth_error: str = ""

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.title, self.detail, *self.messages) if p)

    def shown(self) -> str:
        """X's own explanation, for a Permanent error's message."""
        return (" ".join(self.messages) if self.messages else self.detail or self.title).strip()


def read_body(response: httpx.Response) -> Body:
    try:
        data: Any = response.json()
    except ValueError:
        return Body(detail=response.text[:300] if response.text.lstrip()[:1] != "<" else "")
    if not isinstance(data, dict):
        return Body()
    codes: list[int] = []
    messages: list[str] = []
    for item in data.get("errors") or []:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("code"), int):
            codes.append(item["code"])
        message = item.get("message") or item.get("detail")
        if isinstance(message, str):
            messages.append(message)
    return Body(
        type=str(data.get("type") or ""),
        reason=str(data.get("reason") or ""),
        title=str(data.get("title") or ""),
        detail=str(data.get("detail") or data.get("error_description") or ""),
        codes=tuple(codes),
        messages=tuple(messages),
        oauth_error=str(data.get("error") or ""),
    )


def _text_rule(status: int, body: Body) -> NetworkError | None:
    for rule in TEXT_RULES:
        if rule.status not in (None, status) or not rule.pattern.search(body.text):
            continue
        return rule.error(rule.message or _refused(body), status=status, code=rule.name)
    return None


def _refused(body: Body) -> str:
    detail = body.shown()
    if not detail:
        return "X refused the request."
    return f"X refused the request: {detail.rstrip('.')}."


def from_response(response: httpx.Response, *, create: bool = False) -> NetworkError:
    """Map a non-2xx answer from the X API (not the token endpoint) to the error tree."""
    status = response.status_code
    body = read_body(response)
    by_text = _text_rule(status, body)
    if status == 401:
        return AuthExpired(AUTH_MESSAGE, status=status, code="unauthorized")
    if status == 403:
        if (
            body.reason == "client-not-enrolled"
            or body.type.endswith("/client-forbidden")
            or CODE_NOT_IN_TIER in body.codes
        ):
            code = body.reason or (str(CODE_NOT_IN_TIER) if body.codes else "client-forbidden")
            return AccessTierMissing(TIER_MESSAGE, status=status, code=code)
        if body.type.endswith("/unsupported-authentication"):
            # An app-only token where a user token belongs: only a new connection fixes it.
            return Disconnected(
                DISCONNECTED_MESSAGE, status=status, code="unsupported-authentication"
            )
        if CODE_DUPLICATE in body.codes:
            return Duplicate(TEXT_RULES[0].message or "", status=status, code="duplicate")
        return by_text or Permanent(_refused(body), status=status, code="forbidden")
    if status == 429:
        return _rate_limited(response, body)
    if status >= 500:
        if create:
            return OutcomeUnknown(UNKNOWN_MESSAGE, status=status, code=f"http_{status}")
        return Transient(TRANSIENT_MESSAGE, status=status, code=f"http_{status}")
    if by_text is not None:
        return by_text
    if status == 404:
        return Permanent("X could not find this post or account.", status=status, code="not_found")
    code = "invalid_request" if status == 400 else f"http_{status}"
    return Permanent(_refused(body), status=status, code=code)


def _rate_limited(response: httpx.Response, body: Body) -> RateLimited:
    info = ratelimit.parse("", response.headers)
    retry_at = info.retry_at() if info else None
    if "usage-capped" in body.type or body.title == "UsageCapExceeded":
        return QuotaExhausted(QUOTA_MESSAGE, status=429, code="usage-capped", retry_at=retry_at)
    if info is not None and info.daily_exhausted:
        return QuotaExhausted(DAILY_MESSAGE, status=429, code="daily-limit", retry_at=retry_at)
    return RateLimited(RATE_MESSAGE, status=429, code="rate-limited", retry_at=retry_at)


def from_token_response(response: httpx.Response) -> NetworkError:
    """Map a refusal from `POST /2/oauth2/token` (OAuth error body: `error`, `error_description`)."""
    status = response.status_code
    body = read_body(response)
    if status >= 500:
        return Transient(TRANSIENT_MESSAGE, status=status, code=f"http_{status}")
    if status == 429:
        return _rate_limited(response, body)
    if body.oauth_error == "invalid_grant":
        return Disconnected(DISCONNECTED_MESSAGE, status=status, code="invalid_grant")
    if status == 401 or body.oauth_error in ("invalid_client", "unauthorized_client"):
        return Permanent(CLIENT_MESSAGE, status=status, code=body.oauth_error or "invalid_client")
    by_text = _text_rule(status, body)
    if by_text is not None:
        return by_text
    return Permanent(
        "X did not accept the sign-in. Connect the X account again.",
        status=status,
        code=body.oauth_error or f"http_{status}",
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
