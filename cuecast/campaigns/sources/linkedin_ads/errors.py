"""The one place LinkedIn Marketing API failures become Cuecast's error tree.

LinkedIn's REST errors are `{"status", "serviceErrorCode", "code", "message"}`
(learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling); the body parsing is the
organic connector's (`cuecast.networks.linkedin.errors.read_body`). Classification goes by HTTP
status, then `code`; no message text is matched.

- 401: AuthExpired when a refresh token is stored (refresh, then retry), else Disconnected;
  REVOKED_ACCESS_TOKEN → Disconnected.
- 403: Disconnected. Cuecast only reads, so a refusal means the member lost their ad-account role
  or the app lost r_ads / r_ads_reporting: reading this account will not work until reconnected.
- 426, or a version code (VERSION_MISSING, NONEXISTENT_VERSION, VERSION_NOT_SUPPORTED) →
  Permanent with a sentence for the operator: the LinkedIn-Version Cuecast sends was sunset.
- 429 → QuotaExhausted until the next 00:00 UTC (learn.microsoft.com/linkedin/shared/api-guide/
  concepts/rate-limits: daily per-app and per-member limits reset at midnight UTC; the 429
  carries no Retry-After or rate-limit header).
- 5xx and transport failures → Transient (every call here is a read).
- 404 → Permanent (the ad account or campaign is gone); other 4xx → Permanent with LinkedIn's text.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from cuecast.networks.errors import (
    AuthExpired,
    Disconnected,
    NetworkError,
    Permanent,
    QuotaExhausted,
    Transient,
)
from cuecast.networks.linkedin.errors import VERSION_CODES, next_midnight_utc, read_body

AUTH_MESSAGE = (
    "LinkedIn no longer accepts Cuecast's sign-in for this ad account; Cuecast will renew it."
)
EXPIRED_MESSAGE = (
    "LinkedIn's access for this ad account has expired or was revoked. Connect the LinkedIn ad "
    "account again in Cuecast."
)
DENIED_MESSAGE = (
    "LinkedIn refused: the member who connected this ad account no longer has a role on it, or "
    "Cuecast's ads permissions were removed. Connect the LinkedIn ad account again."
)
QUOTA_MESSAGE = (
    "LinkedIn's daily API limit for this member or for Cuecast's app is used up; Cuecast will try "
    "again after it resets at midnight UTC."
)
VERSION_MESSAGE = (
    "LinkedIn no longer supports the Marketing API version this Cuecast release uses. An "
    "administrator must update Cuecast."
)
TRANSIENT_MESSAGE = (
    "LinkedIn could not be reached or had a temporary problem; Cuecast will try again."
)
NOT_FOUND_MESSAGE = "LinkedIn could not find this ad account or campaign."


def from_response(
    response: httpx.Response, *, refreshable: bool = False, now: datetime | None = None
) -> NetworkError:
    status = response.status_code
    body = read_body(response)
    if status == 401:
        code = body.code or "unauthorized"
        if body.code == "REVOKED_ACCESS_TOKEN" or not refreshable:
            return Disconnected(EXPIRED_MESSAGE, status=status, code=code)
        return AuthExpired(AUTH_MESSAGE, status=status, code=code)
    if status == 426 or body.code in VERSION_CODES:
        return Permanent(VERSION_MESSAGE, status=status, code=body.code or "version")
    if status == 403:
        return Disconnected(DENIED_MESSAGE, status=status, code=body.code or "ACCESS_DENIED")
    if status == 429:
        return QuotaExhausted(
            QUOTA_MESSAGE,
            status=status,
            code=body.code or "rate_limited",
            retry_at=next_midnight_utc(now),
        )
    if status >= 500:
        return Transient(TRANSIENT_MESSAGE, status=status, code=f"http_{status}")
    if status == 404:
        return Permanent(NOT_FOUND_MESSAGE, status=status, code="not_found")
    detail = body.shown()
    message = (
        f"LinkedIn refused Cuecast's request: {detail.rstrip('.')}."
        if detail
        else ("LinkedIn refused Cuecast's request.")
    )
    code = body.input_codes[0] if body.input_codes else body.code or f"http_{status}"
    return Permanent(message, status=status, code=code)


def from_transport(exc: httpx.TransportError) -> NetworkError:
    return Transient(TRANSIENT_MESSAGE, code=type(exc).__name__)
