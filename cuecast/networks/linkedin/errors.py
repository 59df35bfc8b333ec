"""The one place LinkedIn's failures become Cuecast's error tree (cuecast/networks/errors.py).

LinkedIn's REST errors are JSON: `{"status", "serviceErrorCode", "code", "message"}`
(learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling); validation failures
(422) add `errorDetails.inputErrors[].code`, e.g. `DUPLICATE_POST`, whose `message` names the post
that already exists. The OAuth endpoint answers `{"error", "error_description"}`. Classification
goes by HTTP status, then by `code` / `inputErrors[].code` / OAuth `error`; nothing here matches
message wording except pulling the existing post's URN out of a DUPLICATE_POST message.

Decisions (docs/networks/linkedin.md has the table):
- 401 INVALID/EXPIRED token → AuthExpired when a refresh token is stored (refresh, then retry),
  else Disconnected: without a refresh token only the member can renew access, by reconnecting.
  401 REVOKED_ACCESS_TOKEN → Disconnected.
- 403 ACCESS_DENIED on a write (posting, uploading, deleting) → Disconnected: the member lost the
  page role or the app lost a scope, so nothing more can go out until the channel is reconnected
  (held, not failed one by one). On a read (statistics, post lists) → Permanent.
- 429 → QuotaExhausted until the next 00:00 UTC: LinkedIn's limits are daily counters per app and
  per member that reset at midnight UTC, and a 429 carries no header saying otherwise.
- 426 / 400 about the `LinkedIn-Version` header → Permanent with a sentence for the operator.
- A create (`POST /rest/posts`): any 5xx or failure after the request was sent → OutcomeUnknown;
  LinkedIn has no idempotency key and its docs promise nothing about a 5xx.
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
    Transient,
)

AUTH_MESSAGE = (
    "LinkedIn no longer accepts Cuecast's sign-in for this account; Cuecast will renew it."
)
EXPIRED_MESSAGE = (
    "LinkedIn's access for this account has expired. Connect the LinkedIn account again in Cuecast."
)
DISCONNECTED_MESSAGE = (
    "LinkedIn no longer lets Cuecast act for this account. Connect the LinkedIn account again in "
    "Cuecast."
)
DENIED_MESSAGE = (
    "LinkedIn refused: the signed-in member no longer has the page role or permission this needs. "
    "Check the member's page role, then connect the LinkedIn account again in Cuecast."
)
READ_DENIED_MESSAGE = "LinkedIn does not let this account read that information."
QUOTA_MESSAGE = (
    "LinkedIn's daily API limit for this account or for Cuecast's app is used up; Cuecast will "
    "try again after it resets at midnight UTC."
)
VERSION_MESSAGE = (
    "LinkedIn no longer supports the API version this Cuecast release uses. An administrator must "
    "update Cuecast."
)
CLIENT_MESSAGE = (
    "LinkedIn refused Cuecast's app credentials (client ID or secret). An administrator must check "
    "CUECAST_LINKEDIN_CLIENT_ID and CUECAST_LINKEDIN_CLIENT_SECRET."
)
DUPLICATE_MESSAGE = (
    "LinkedIn says this account already posted the same content; Cuecast will check whether that "
    "post is this one."
)
UNKNOWN_MESSAGE = (
    "LinkedIn did not answer whether it published the post; Cuecast will check LinkedIn before "
    "trying again."
)
TRANSIENT_MESSAGE = (
    "LinkedIn could not be reached or had a temporary problem; Cuecast will try again."
)

POST_URN = re.compile(r"urn:li:(?:share|ugcPost):[0-9]+")
VERSION_CODES = frozenset({"VERSION_MISSING", "NONEXISTENT_VERSION", "VERSION_NOT_SUPPORTED"})
TOKEN_EXPIRED_CODES = frozenset({"INVALID_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN"})


@dataclass(frozen=True)
class Body:
    """The fields of a LinkedIn error body that classification reads."""

    code: str = ""
    service_code: int | None = None
    message: str = ""
    input_codes: tuple[str, ...] = ()
    input_descriptions: tuple[str, ...] = ()
    oauth_error: str = ""
    oauth_description: str = ""

    def shown(self) -> str:
        """LinkedIn's own explanation for a Permanent error, without Java class names."""
        text = "; ".join(self.input_descriptions) or self.message or self.oauth_description
        text = re.sub(r"^[\w.]+Exception:\s*", "", text.strip())
        return text[:300]


class DuplicatePost(Duplicate):
    """LinkedIn's DUPLICATE_POST refusal, with the URN of the post it says already exists."""

    def __init__(self, message: str, *, existing_urn: str | None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.existing_urn = existing_urn


def read_body(response: httpx.Response) -> Body:
    try:
        data: Any = response.json()
    except ValueError:
        return Body()
    if not isinstance(data, dict):
        return Body()
    codes: list[str] = []
    descriptions: list[str] = []
    details = data.get("errorDetails")
    inputs = details.get("inputErrors") if isinstance(details, dict) else None
    for item in inputs if isinstance(inputs, list) else []:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("code"), str):
            codes.append(item["code"])
        if isinstance(item.get("description"), str):
            descriptions.append(item["description"])
    service = data.get("serviceErrorCode")
    return Body(
        code=str(data.get("code") or ""),
        service_code=service if isinstance(service, int) else None,
        message=str(data.get("message") or ""),
        input_codes=tuple(codes),
        input_descriptions=tuple(descriptions),
        oauth_error=str(data.get("error") or ""),
        oauth_description=str(data.get("error_description") or ""),
    )


def next_midnight_utc(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def duplicate_urn(body: Body) -> str | None:
    """The existing post a DUPLICATE_POST refusal names ("…Content is a duplicate of urn:li:…")."""
    match = POST_URN.search(body.message)
    return match.group(0) if match else None


def _refused(body: Body, what: str = "the request") -> str:
    detail = body.shown()
    if not detail:
        return f"LinkedIn refused {what}."
    return f"LinkedIn refused {what}: {detail.rstrip('.')}."


def from_response(
    response: httpx.Response,
    *,
    create: bool = False,
    write: bool = False,
    refreshable: bool = False,
) -> NetworkError:
    """Map a non-2xx answer from the LinkedIn API (not the OAuth endpoint) to the error tree.

    `create`: the call may have created a post. `write`: it changes something (a 403 then means
    the channel cannot post any more). `refreshable`: a refresh token is stored.
    """
    status = response.status_code
    body = read_body(response)
    if status == 401:
        if body.code == "REVOKED_ACCESS_TOKEN":
            return Disconnected(DISCONNECTED_MESSAGE, status=status, code=body.code)
        code = body.code or "unauthorized"
        if refreshable:
            return AuthExpired(AUTH_MESSAGE, status=status, code=code)
        return Disconnected(EXPIRED_MESSAGE, status=status, code=code)
    if status == 403:
        code = body.code or "ACCESS_DENIED"
        if write:
            return Disconnected(DENIED_MESSAGE, status=status, code=code)
        return Permanent(READ_DENIED_MESSAGE, status=status, code=code)
    if status == 426 or body.code in VERSION_CODES:
        return Permanent(VERSION_MESSAGE, status=status, code=body.code or "version")
    if status == 429:
        return QuotaExhausted(
            QUOTA_MESSAGE,
            status=status,
            code=body.code or "rate_limited",
            retry_at=next_midnight_utc(),
        )
    if status >= 500:
        if create:
            return OutcomeUnknown(UNKNOWN_MESSAGE, status=status, code=f"http_{status}")
        return Transient(TRANSIENT_MESSAGE, status=status, code=f"http_{status}")
    if "DUPLICATE_POST" in body.input_codes:
        return DuplicatePost(
            DUPLICATE_MESSAGE,
            status=status,
            code="DUPLICATE_POST",
            existing_urn=duplicate_urn(body),
        )
    if status == 404:
        return Permanent(
            "LinkedIn could not find this post or page.", status=status, code="not_found"
        )
    code = body.input_codes[0] if body.input_codes else body.code or f"http_{status}"
    return Permanent(_refused(body), status=status, code=code)


def from_token_response(response: httpx.Response, *, refreshing: bool = False) -> NetworkError:
    """Map a refusal from `POST /oauth/v2/accessToken` (`{"error", "error_description"}`)."""
    status = response.status_code
    body = read_body(response)
    if status >= 500:
        return Transient(TRANSIENT_MESSAGE, status=status, code=f"http_{status}")
    if status == 429:
        return QuotaExhausted(
            QUOTA_MESSAGE, status=status, code="rate_limited", retry_at=next_midnight_utc()
        )
    if status == 401 or body.oauth_error in ("invalid_client", "unauthorized_client"):
        return Permanent(CLIENT_MESSAGE, status=status, code=body.oauth_error or "invalid_client")
    if refreshing:
        # An expired (365-day window over) or revoked refresh token: only the member can renew.
        return Disconnected(
            EXPIRED_MESSAGE, status=status, code=body.oauth_error or "invalid_grant"
        )
    return Permanent(
        "LinkedIn did not accept the sign-in (it may have expired or been used already). Connect "
        "the LinkedIn account again.",
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
