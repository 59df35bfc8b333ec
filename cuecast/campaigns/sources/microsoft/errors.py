"""The one place Microsoft Advertising's failures become Cuecast's error tree.

REST faults are JSON (learn.microsoft.com/en-us/advertising/guides/handle-service-errors-exceptions
?view=bingads-13; REST SDK models `AdApiFaultDetail` / `ApiFaultDetail`):

    {"TrackingId": "…", "Type": "AdApiFaultDetail",
     "Errors": [{"Code": 117, "ErrorCode": "CallRateExceeded", "Message": "…"}]}

or `"Type": "ApiFaultDetail"` with `OperationErrors[]` / `BatchErrors[]` of the same fields. The
Microsoft identity platform's token endpoint answers `{"error", "error_description"}`
(learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#error-codes-for-token-endpoint-errors).

Classification goes by the numeric `Code` first (the table below), then by HTTP status; nothing
matches message wording. Codes (learn.microsoft.com/en-us/advertising/guides/operation-error-codes
?view=bingads-13; throttling: …/guides/services-protocol?view=bingads-13#throttling):
- 105 InvalidCredentials, 106 UserIsNotAuthorized → Disconnected: the person who connected the
  account no longer has access; only reconnecting helps.
- 109 AuthenticationTokenExpired → AuthExpired: refresh the access token, then try again.
- 117 CallRateExceeded → RateLimited 60 s later (the limit is a per-user 60-second sliding window).
- 207 ConcurrentRequestOverLimit (too many reports in flight) and 0 InternalError → Transient.
- any 5xx without a known code → Transient; any other code → Permanent, with a plain sentence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cuecast.networks.errors import (
    AuthExpired,
    Disconnected,
    NetworkError,
    Permanent,
    RateLimited,
    Transient,
)

NAME = "Microsoft Advertising"
RATE_WINDOW = timedelta(seconds=60)

DISCONNECTED_MESSAGE = (
    "Microsoft Advertising no longer lets Cuecast read this account for the person who connected "
    "it. Connect the Microsoft Advertising account again in Cuecast."
)
AUTH_MESSAGE = (
    "Microsoft Advertising's sign-in for this account has expired; Cuecast will renew it."
)
RATE_MESSAGE = (
    "Microsoft Advertising asked Cuecast to slow down; Cuecast will try again in a minute."
)
TRANSIENT_MESSAGE = (
    "Microsoft Advertising could not be reached or had a temporary problem; Cuecast will try again."
)
REPORTS_BUSY_MESSAGE = (
    "Microsoft Advertising is still preparing other reports for this account; Cuecast will try "
    "again."
)
CLIENT_MESSAGE = (
    "Microsoft refused Cuecast's app credentials (client ID or secret). An administrator must "
    "check CUECAST_MICROSOFT_ADS_CLIENT_ID and CUECAST_MICROSOFT_ADS_CLIENT_SECRET."
)

# Code → (class, sentence). Sentences are shown to marketers.
FAULTS: dict[int, tuple[type[NetworkError], str]] = {
    0: (Transient, TRANSIENT_MESSAGE),
    105: (Disconnected, DISCONNECTED_MESSAGE),
    106: (Disconnected, DISCONNECTED_MESSAGE),
    109: (AuthExpired, AUTH_MESSAGE),
    117: (RateLimited, RATE_MESSAGE),
    207: (Transient, REPORTS_BUSY_MESSAGE),
    # Permanent ones worth their own sentence; every other code gets the generic one.
    1102: (
        Permanent,
        "Microsoft Advertising does not know this ad account any more (it may have been closed).",
    ),
    2004: (
        Permanent,
        "Microsoft Advertising has no complete data for these days yet.",
    ),
}


@dataclass(frozen=True)
class Fault:
    code: int | None = None
    error_code: str = ""
    message: str = ""
    oauth_error: str = ""
    oauth_description: str = ""


def _errors_in(data: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for key in ("Errors", "OperationErrors", "BatchErrors"):
        items = data.get(key)
        if isinstance(items, list):
            found.extend(item for item in items if isinstance(item, dict))
    return found


def read_fault(response: httpx.Response) -> Fault:
    """The first error of a fault body (SOAP-style nesting under `Detail`/`detail` tolerated)."""
    try:
        data: Any = json.loads(response.content or b"null")
    except ValueError:
        return Fault()
    if not isinstance(data, dict):
        return Fault()
    errors = _errors_in(data)
    for nested_key in ("Detail", "detail", "FaultDetail", "Error"):
        nested = data.get(nested_key)
        if not errors and isinstance(nested, dict):
            errors = _errors_in(nested)
    if errors:
        first = errors[0]
        raw = first.get("Code")
        code: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            code = raw
        elif isinstance(raw, str) and raw.strip().isdigit():
            code = int(raw.strip())
        return Fault(
            code=code,
            error_code=str(first.get("ErrorCode") or ""),
            message=str(first.get("Message") or ""),
        )
    return Fault(
        oauth_error=str(data.get("error") or ""),
        oauth_description=str(data.get("error_description") or ""),
    )


def _refused(fault: Fault) -> str:
    detail = fault.message.strip()[:300].rstrip(".")
    if not detail:
        return f"{NAME} refused the request."
    return f"{NAME} refused the request: {detail}."


def from_fault(fault: Fault, status: int | None, now: datetime | None = None) -> NetworkError:
    label = fault.error_code or (str(fault.code) if fault.code is not None else "")
    if fault.code is not None and fault.code in FAULTS:
        kind, message = FAULTS[fault.code]
        code = label or str(fault.code)
        if kind is RateLimited:
            retry_at = (now or datetime.now(UTC)) + RATE_WINDOW
            return RateLimited(message, status=status, code=code, retry_at=retry_at)
        return kind(message, status=status, code=code)
    if status is not None and status >= 500:
        return Transient(TRANSIENT_MESSAGE, status=status, code=label or f"http_{status}")
    if status == 401 and fault.code is None:
        return AuthExpired(AUTH_MESSAGE, status=status, code="http_401")
    if status == 429:
        retry_at = (now or datetime.now(UTC)) + RATE_WINDOW
        return RateLimited(RATE_MESSAGE, status=status, code="http_429", retry_at=retry_at)
    return Permanent(_refused(fault), status=status, code=label or f"http_{status}")


def from_response(response: httpx.Response, now: datetime | None = None) -> NetworkError:
    """Map a non-2xx answer from a Campaign Management, Customer Management or Reporting call."""
    return from_fault(read_fault(response), response.status_code, now)


def from_token_response(response: httpx.Response, *, refreshing: bool = False) -> NetworkError:
    """Map a refusal from the identity platform's `/token` endpoint."""
    status = response.status_code
    fault = read_fault(response)
    error = fault.oauth_error
    if status >= 500 or error == "temporarily_unavailable":
        return Transient(TRANSIENT_MESSAGE, status=status, code=error or f"http_{status}")
    if error in ("invalid_client", "unauthorized_client"):
        return Permanent(CLIENT_MESSAGE, status=status, code=error)
    if refreshing:
        # invalid_grant: the refresh token expired (90 days unused) or was revoked.
        return Disconnected(DISCONNECTED_MESSAGE, status=status, code=error or "invalid_grant")
    return Permanent(
        "Microsoft did not accept the sign-in (it may have expired or been used already). "
        "Connect the Microsoft Advertising account again.",
        status=status,
        code=error or f"http_{status}",
    )


def from_transport(exc: httpx.TransportError) -> NetworkError:
    """No answer at all. Everything this source does is a read, so it is always safe to retry."""
    return Transient(TRANSIENT_MESSAGE, code=type(exc).__name__)


def unreadable(what: str = "an answer") -> Permanent:
    return Permanent(f"{NAME} sent {what} Cuecast cannot read.", code="bad_body")
