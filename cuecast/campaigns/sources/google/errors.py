"""The one place Google Ads failures become Cuecast's error tree (cuecast/networks/errors.py).

The REST interface answers errors in Google's standard envelope
`{"error": {"code": <http>, "message", "status": <google.rpc.Code name>, "details": [...]}}`; for
Google Ads failures one detail is a `GoogleAdsFailure`
(`"@type": "type.googleapis.com/google.ads.googleads.vNN.errors.GoogleAdsFailure"`) whose
`errors[]` each carry an `errorCode` — a one-key object naming the error category and its enum
value (`{"authenticationError": "OAUTH_TOKEN_EXPIRED"}`) — a `message` and, for quota errors,
`details.quotaErrorDetails.retryDelay` (a protobuf Duration such as "30s").
Sources: developers.google.com/google-ads/api/docs/best-practices/understand-api-errors,
…/reference/rpc/v25/GoogleAdsError, …/QuotaErrorDetails, the v25 enums
(AuthenticationErrorEnum, AuthorizationErrorEnum, QuotaErrorEnum).

Classification reads the category and enum value first (the one table below, `TABLE`), then
the canonical `status` / HTTP status. Nothing matches message wording. The token endpoint
(oauth2.googleapis.com/token) answers OAuth's `{"error", "error_description"}` instead.

Decisions (docs/ad-platforms/google.md has the table):
- OAUTH_TOKEN_EXPIRED / OAUTH_TOKEN_INVALID / a bare 401 → AuthExpired when a refresh token is
  stored (refresh, then retry), else Disconnected.
- A revoked or disabled token, a deleted Google account, a user no longer allowed into the
  customer (USER_PERMISSION_DENIED), a customer not enabled or cancelled (CUSTOMER_NOT_ENABLED),
  a manager link that no longer holds → Disconnected: nothing of that ad account can be read until
  someone reconnects, so its syncs stop instead of failing one by one.
- The Cloud project's access level (CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION in v25+, the older
  DEVELOPER_TOKEN_NOT_APPROVED / ACTION_NOT_PERMITTED) → AccessTierMissing, for the operator.
- quotaError (RESOURCE_EXHAUSTED and its short/long-term siblings) → RateLimited at now +
  `retryDelay` (else `Retry-After`, else 30 s, Google Cloud's minimum back-off for a 429).
- queryError / requestError / fieldError → Permanent, logged: Cuecast wrote a query Google does
  not accept, which is a bug (or a field the configured API version lacks).
- internalError, 5xx, UNAVAILABLE / INTERNAL / DEADLINE_EXCEEDED / UNKNOWN → Transient. Every
  call here is a read, so a retry never duplicates anything.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cuecast.networks.errors import (
    AccessTierMissing,
    AuthExpired,
    Disconnected,
    NetworkError,
    Permanent,
    RateLimited,
    Transient,
)

log = logging.getLogger("cuecast.campaigns.google")

AUTH_MESSAGE = (
    "Google Ads no longer accepts Cuecast's sign-in for this account; Cuecast will renew it."
)
EXPIRED_MESSAGE = (
    "Google's access for this Google Ads account has ended. Connect the Google Ads account again "
    "in Cuecast."
)
REVOKED_MESSAGE = (
    "Google Ads access for Cuecast was revoked or the Google account is no longer usable. Connect "
    "the Google Ads account again in Cuecast."
)
DENIED_MESSAGE = (
    "The signed-in Google account may no longer open this Google Ads account (its access was "
    "removed, or it was reached through a manager account that no longer manages it). Connect the "
    "Google Ads account again in Cuecast."
)
NOT_ENABLED_MESSAGE = (
    "This Google Ads account is not enabled (not set up yet, cancelled or suspended), so Google "
    "does not let Cuecast read it. Re-enable it in Google Ads, then connect it again in Cuecast."
)
NOT_FOUND_MESSAGE = "Google Ads does not know this account any more. Connect Google Ads again."
TIER_MESSAGE = (
    "Cuecast's Google Cloud project only has Test access to the Google Ads API, which cannot read "
    "real accounts. An administrator must apply for Explorer (or higher) access on the project's "
    "Google Ads API overview page in the Cloud console."
)
PROJECT_MESSAGE = (
    "Google refused Cuecast's Google Cloud project or developer token for the Google Ads API. An "
    "administrator must check the project's Google Ads API access (and CUECAST_GOOGLE_ADS_"
    "DEVELOPER_TOKEN, which is no longer needed and may be left empty)."
)
QUOTA_MESSAGE = "Google Ads is limiting how often Cuecast may ask; Cuecast will try again later."
QUERY_MESSAGE = (
    "Google Ads did not accept Cuecast's query (a Cuecast problem, or an API version that no "
    "longer has a field). An administrator should check the logs."
)
READ_DENIED_MESSAGE = "Google Ads does not let this account read that information."
TRANSIENT_MESSAGE = (
    "Google Ads could not be reached or had a temporary problem; Cuecast will try again."
)
CLIENT_MESSAGE = (
    "Google refused Cuecast's OAuth client (ID or secret). An administrator must check "
    "CUECAST_GOOGLE_ADS_CLIENT_ID and CUECAST_GOOGLE_ADS_CLIENT_SECRET."
)
CODE_MESSAGE = (
    "Google did not accept the sign-in (it may have expired or been used already). Connect Google "
    "Ads again."
)

DEFAULT_RETRY = timedelta(seconds=30)


# What a row of the table yields. "auth" is AuthExpired with a refresh token, else Disconnected.
AUTH = "auth"
DISCONNECTED = "disconnected"
TIER = "tier"
RATE = "rate"
PERMANENT = "permanent"
BUG = "bug"  # Permanent, and logged as a Cuecast defect
TRANSIENT = "transient"

# (errorCode category, enum value or "*") → (outcome, message). The one table.
TABLE: dict[tuple[str, str], tuple[str, str]] = {
    ("authenticationError", "OAUTH_TOKEN_EXPIRED"): (AUTH, AUTH_MESSAGE),
    ("authenticationError", "OAUTH_TOKEN_INVALID"): (AUTH, AUTH_MESSAGE),
    ("authenticationError", "AUTHENTICATION_ERROR"): (AUTH, AUTH_MESSAGE),
    ("authenticationError", "GOOGLE_ACCOUNT_AUTHENTICATION_FAILED"): (AUTH, AUTH_MESSAGE),
    ("authenticationError", "OAUTH_TOKEN_REVOKED"): (DISCONNECTED, REVOKED_MESSAGE),
    ("authenticationError", "OAUTH_TOKEN_DISABLED"): (DISCONNECTED, REVOKED_MESSAGE),
    ("authenticationError", "GOOGLE_ACCOUNT_DELETED"): (DISCONNECTED, REVOKED_MESSAGE),
    ("authenticationError", "NOT_ADS_USER"): (DISCONNECTED, REVOKED_MESSAGE),
    ("authenticationError", "TWO_STEP_VERIFICATION_NOT_ENROLLED"): (DISCONNECTED, REVOKED_MESSAGE),
    ("authenticationError", "ADVANCED_PROTECTION_NOT_ENROLLED"): (DISCONNECTED, REVOKED_MESSAGE),
    ("authenticationError", "CUSTOMER_NOT_FOUND"): (DISCONNECTED, NOT_FOUND_MESSAGE),
    ("authenticationError", "DEVELOPER_TOKEN_INVALID"): (PERMANENT, PROJECT_MESSAGE),
    ("authenticationError", "*"): (BUG, QUERY_MESSAGE),
    ("authorizationError", "USER_PERMISSION_DENIED"): (DISCONNECTED, DENIED_MESSAGE),
    (
        "authorizationError",
        "INVALID_LOGIN_CUSTOMER_ID_SERVING_CUSTOMER_ID_COMBINATION",
    ): (DISCONNECTED, DENIED_MESSAGE),
    ("authorizationError", "CUSTOMER_NOT_ENABLED"): (DISCONNECTED, NOT_ENABLED_MESSAGE),
    ("authorizationError", "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION"): (TIER, TIER_MESSAGE),
    ("authorizationError", "DEVELOPER_TOKEN_NOT_APPROVED"): (TIER, TIER_MESSAGE),
    # Before v25 a Test-level project calling a production account got ACTION_NOT_PERMITTED
    # (developer-token sunset guide); Cuecast only reads, so this is the likely cause.
    ("authorizationError", "ACTION_NOT_PERMITTED"): (TIER, TIER_MESSAGE),
    ("authorizationError", "DEVELOPER_TOKEN_PROHIBITED"): (PERMANENT, PROJECT_MESSAGE),
    ("authorizationError", "DEVELOPER_TOKEN_NOT_ON_ALLOWLIST"): (PERMANENT, PROJECT_MESSAGE),
    ("authorizationError", "PROJECT_DISABLED"): (PERMANENT, PROJECT_MESSAGE),
    ("authorizationError", "MISSING_TOS"): (PERMANENT, PROJECT_MESSAGE),
    ("authorizationError", "CLOUD_PROJECT_NOT_UNDER_ORGANIZATION"): (PERMANENT, PROJECT_MESSAGE),
    ("authorizationError", "*"): (PERMANENT, READ_DENIED_MESSAGE),
    ("quotaError", "RESOURCE_EXHAUSTED"): (RATE, QUOTA_MESSAGE),
    ("quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED"): (RATE, QUOTA_MESSAGE),
    ("quotaError", "EXCESSIVE_SHORT_TERM_QUERY_RESOURCE_CONSUMPTION"): (RATE, QUOTA_MESSAGE),
    ("quotaError", "EXCESSIVE_LONG_TERM_QUERY_RESOURCE_CONSUMPTION"): (RATE, QUOTA_MESSAGE),
    ("quotaError", "ACCESS_PROHIBITED"): (PERMANENT, PROJECT_MESSAGE),
    ("quotaError", "*"): (RATE, QUOTA_MESSAGE),
    ("headerError", "*"): (BUG, QUERY_MESSAGE),
    ("queryError", "*"): (BUG, QUERY_MESSAGE),
    ("requestError", "*"): (BUG, QUERY_MESSAGE),
    ("fieldError", "*"): (BUG, QUERY_MESSAGE),
    ("internalError", "*"): (TRANSIENT, TRANSIENT_MESSAGE),
}

# The canonical google.rpc status (or the HTTP status) when no GoogleAdsFailure says more.
TRANSIENT_STATUSES = frozenset(
    {"UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "UNKNOWN", "ABORTED"}
)
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


@dataclass(frozen=True)
class Failure:
    """What classification reads from an error body."""

    status: str = ""  # google.rpc.Code name, e.g. UNAUTHENTICATED
    message: str = ""
    codes: tuple[tuple[str, str], ...] = ()  # (category, enum value) per GoogleAdsError
    messages: tuple[str, ...] = ()
    retry_delay: timedelta | None = None
    request_id: str = ""


def parse_duration(value: Any) -> timedelta | None:
    """A protobuf Duration in JSON ("30s", "1.5s"), or the {"seconds": …} object form."""
    if isinstance(value, str):
        match = DURATION.match(value)
        return timedelta(seconds=float(match.group(1))) if match else None
    if isinstance(value, dict):
        try:
            seconds = float(value.get("seconds") or 0) + int(value.get("nanos") or 0) / 1e9
        except (TypeError, ValueError):
            return None
        return timedelta(seconds=seconds)
    return None


def _errors_of(detail: dict[str, Any]) -> list[dict[str, Any]]:
    errors = detail.get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def read_failure(response: httpx.Response) -> Failure:
    try:
        data: Any = response.json()
    except ValueError:
        return Failure()
    envelope = data.get("error") if isinstance(data, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        envelope = data[0].get("error")  # searchStream may frame an error as an array
    if not isinstance(envelope, dict):
        return Failure()
    codes: list[tuple[str, str]] = []
    messages: list[str] = []
    retry: timedelta | None = None
    request_id = ""
    details = envelope.get("details")
    for detail in details if isinstance(details, list) else []:
        if not isinstance(detail, dict) or "GoogleAdsFailure" not in str(detail.get("@type")):
            continue
        request_id = str(detail.get("requestId") or request_id)
        for error in _errors_of(detail):
            code = error.get("errorCode")
            if isinstance(code, dict):
                for category, value in code.items():
                    codes.append((str(category), str(value)))
            if isinstance(error.get("message"), str):
                messages.append(error["message"])
            extra = error.get("details")
            quota = extra.get("quotaErrorDetails") if isinstance(extra, dict) else None
            if isinstance(quota, dict) and retry is None:
                retry = parse_duration(quota.get("retryDelay"))
    return Failure(
        status=str(envelope.get("status") or ""),
        message=str(envelope.get("message") or ""),
        codes=tuple(codes),
        messages=tuple(messages),
        retry_delay=retry,
        request_id=request_id,
    )


def lookup(category: str, value: str) -> tuple[str, str] | None:
    return TABLE.get((category, value)) or TABLE.get((category, "*"))


def _retry_at(failure: Failure, response: httpx.Response | None) -> datetime:
    delay = failure.retry_delay
    if delay is None and response is not None:
        header = response.headers.get("retry-after", "")
        if header.strip().isdigit():
            delay = timedelta(seconds=int(header))
    return datetime.now(UTC) + (delay if delay is not None else DEFAULT_RETRY)


def _build(
    outcome: str,
    message: str,
    *,
    status: int,
    code: str,
    failure: Failure,
    response: httpx.Response | None,
    refreshable: bool,
) -> NetworkError:
    if outcome == AUTH:
        if refreshable:
            return AuthExpired(message, status=status, code=code)
        return Disconnected(EXPIRED_MESSAGE, status=status, code=code)
    if outcome == DISCONNECTED:
        return Disconnected(message, status=status, code=code)
    if outcome == TIER:
        return AccessTierMissing(message, status=status, code=code)
    if outcome == RATE:
        return RateLimited(message, status=status, code=code, retry_at=_retry_at(failure, response))
    if outcome == TRANSIENT:
        return Transient(message, status=status, code=code)
    if outcome == BUG:
        log.error(
            "Google Ads refused a query (a Cuecast bug?): %s %s (request %s): %s",
            status,
            code,
            failure.request_id or "-",
            "; ".join(failure.messages) or failure.message,
        )
    return Permanent(message, status=status, code=code)


def classify(
    failure: Failure,
    *,
    status: int,
    response: httpx.Response | None = None,
    refreshable: bool = False,
) -> NetworkError:
    """The error for a parsed failure: GoogleAdsFailure codes first, then the canonical status."""
    for category, value in failure.codes:
        row = lookup(category, value)
        if row is not None:
            outcome, message = row
            return _build(
                outcome,
                message,
                status=status,
                code=value,
                failure=failure,
                response=response,
                refreshable=refreshable,
            )
    rpc = failure.status
    if status == 401 or rpc == "UNAUTHENTICATED":
        outcome, message, code = AUTH, AUTH_MESSAGE, rpc or "unauthenticated"
    elif status == 429 or rpc == "RESOURCE_EXHAUSTED":
        outcome, message, code = RATE, QUOTA_MESSAGE, rpc or "rate_limited"
    elif status >= 500 or rpc in TRANSIENT_STATUSES:
        outcome, message, code = TRANSIENT, TRANSIENT_MESSAGE, rpc or f"http_{status}"
    elif status == 403 or rpc == "PERMISSION_DENIED":
        outcome, message, code = PERMANENT, READ_DENIED_MESSAGE, rpc or "permission_denied"
    elif status == 404 or rpc == "NOT_FOUND":
        outcome, message, code = PERMANENT, NOT_FOUND_MESSAGE, rpc or "not_found"
    else:
        outcome, message, code = BUG, QUERY_MESSAGE, rpc or f"http_{status}"
    return _build(
        outcome,
        message,
        status=status,
        code=code,
        failure=failure,
        response=response,
        refreshable=refreshable,
    )


def from_response(response: httpx.Response, *, refreshable: bool = False) -> NetworkError:
    """Map a non-2xx answer from the Google Ads API (not the token endpoint) to the error tree."""
    return classify(
        read_failure(response),
        status=response.status_code,
        response=response,
        refreshable=refreshable,
    )


def from_token_response(response: httpx.Response, *, refreshing: bool = False) -> NetworkError:
    """Map a refusal from the token endpoint (`{"error", "error_description"}`)."""
    status = response.status_code
    try:
        data: Any = response.json()
    except ValueError:
        data = None
    error = str(data.get("error") or "") if isinstance(data, dict) else ""
    if status >= 500:
        return Transient(TRANSIENT_MESSAGE, status=status, code=f"http_{status}")
    if status == 429:
        return RateLimited(
            QUOTA_MESSAGE,
            status=status,
            code="rate_limited",
            retry_at=_retry_at(Failure(), response),
        )
    if error in ("invalid_client", "unauthorized_client") or (status == 401 and not error):
        return Permanent(CLIENT_MESSAGE, status=status, code=error or "invalid_client")
    if refreshing:
        # invalid_grant on a refresh: revoked, expired (unused six months, a Testing-mode app's
        # 7 days, a changed password for Gmail scopes) — only the user can renew by reconnecting.
        return Disconnected(EXPIRED_MESSAGE, status=status, code=error or "invalid_grant")
    return Permanent(CODE_MESSAGE, status=status, code=error or f"http_{status}")


def from_transport(exc: httpx.TransportError) -> NetworkError:
    """A failure below HTTP. Every Google Ads call Cuecast makes is a read: always Transient."""
    return Transient(TRANSIENT_MESSAGE, code=type(exc).__name__)
