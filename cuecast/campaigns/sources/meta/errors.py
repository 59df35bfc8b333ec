"""The one place the Marketing API's failures become Cuecast's error tree.

Graph answers `{"error": {"message", "type", "code", "error_subcode", "error_user_msg",
"is_transient", "fbtrace_id"}}`, mostly with HTTP 400 whatever the cause, so classification goes
by `code` / `error_subcode` first, then by HTTP status. Sources (docs/ad-platforms/meta.md#errors):
developers.facebook.com/docs/marketing-api/error-reference,
…/marketing-api/insights/error-codes, …/marketing-api/overview/rate-limiting,
…/graph-api/overview/rate-limiting, …/graph-api/guides/error-handling.

- 190 / 102 (token expired, invalid or revoked) → Disconnected: Cuecast holds a long-lived user
  token (about 60 days), which cannot be renewed without the person; they must connect again.
- 10, 200-299 (permission missing: ads_read withdrawn, role on the ad account lost) → Disconnected.
- 4, 17, 32, 613, 80000-80014 (throttling; 80000 ads_insights, 80004 ads_management BUC) and
  HTTP 429 → RateLimited, `retry_at` from `X-Business-Use-Case-Usage`
  `estimated_time_to_regain_access` (minutes), else DEFAULT_WAIT.
- 100 / 1487534 ("too much data per call") → TooMuchData (a Permanent the client handles by
  narrowing the query); 100 / 1504018 and 2 / 1504038 (sync timeout) → InsightsTimeout (a
  Transient the client handles by running the report asynchronously).
- 1, 2, -2 (incl. 2490547 async report failed), `is_transient`, 5xx → Transient.
- 100 (other), 368, anything else → Permanent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from cuecast.networks.errors import (
    Disconnected,
    NetworkError,
    Permanent,
    RateLimited,
    Transient,
)
from cuecast.networks.facebook import ratelimit
from cuecast.networks.facebook.errors import GraphError, read_error

DEFAULT_WAIT = timedelta(minutes=5)  # the dev tier's block is 300 s (marketing-api rate-limiting)

TOKEN_CODES = frozenset({190, 102})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2, -2, -1})
CODE_INVALID_PARAMETER = 100
SUBCODE_TOO_MUCH_DATA = 1487534
TIMEOUTS = frozenset({(100, 1504018), (2, 1504038)})

DISCONNECTED_MESSAGE = (
    "Meta no longer accepts Cuecast's access to this ad account (the sign-in expired or was "
    "revoked). Connect the Meta ad account again in Cuecast."
)
PERMISSION_MESSAGE = (
    "Meta refused: the person who connected this ad account no longer has a role on it, or "
    "Cuecast's ads_read permission was removed. Connect the Meta ad account again."
)
RATE_MESSAGE = "Meta is limiting how often Cuecast may read this ad account; Cuecast will wait."
TRANSIENT_MESSAGE = "Meta had a temporary problem; Cuecast will try again."
TOO_MUCH_MESSAGE = "Meta said the report asked for too much data at once."
TIMEOUT_MESSAGE = "Meta's report timed out; Cuecast will fetch it as a background report."


class TooMuchData(Permanent):
    """100 / 1487534: the Insights call asked for more rows than Meta serves in one call."""

    kind = "permanent"


class InsightsTimeout(Transient):
    """A synchronous Insights call timed out: the asynchronous report run is the remedy."""

    kind = "transient"


def retry_at(response: httpx.Response, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    info = ratelimit.parse(response.headers, now)
    estimate = info.retry_at() if info else None
    return estimate if estimate is not None else now + DEFAULT_WAIT


def _refused(error: GraphError) -> str:
    detail = error.shown()
    if not detail:
        return "Meta refused Cuecast's request."
    return f"Meta refused Cuecast's request: {detail.rstrip('.')}."


def from_error(
    error: GraphError, status: int, response: httpx.Response | None = None
) -> NetworkError:
    """Classify a parsed Graph error (an HTTP answer's, or a failed async report run's)."""
    code, subcode = error.code, error.subcode
    name = f"{code}" + (f".{subcode}" if subcode else "") if code is not None else f"http_{status}"
    if code in TOKEN_CODES or (code is None and status == 401):
        return Disconnected(DISCONNECTED_MESSAGE, status=status, code=name)
    if code in THROTTLE_CODES or status == 429:
        when = retry_at(response) if response is not None else datetime.now(UTC) + DEFAULT_WAIT
        return RateLimited(RATE_MESSAGE, status=status, code=name, retry_at=when)
    if code == CODE_INVALID_PARAMETER and subcode == SUBCODE_TOO_MUCH_DATA:
        return TooMuchData(TOO_MUCH_MESSAGE, status=status, code=name)
    if code is not None and (code, subcode) in TIMEOUTS:
        return InsightsTimeout(TIMEOUT_MESSAGE, status=status, code=name)
    if code in PERMISSION_CODES or (code is None and status == 403):
        return Disconnected(PERMISSION_MESSAGE, status=status, code=name)
    if code in TRANSIENT_CODES or error.is_transient or status >= 500:
        return Transient(TRANSIENT_MESSAGE, status=status, code=name)
    return Permanent(_refused(error), status=status, code=name)


def from_response(response: httpx.Response) -> NetworkError:
    """Map a non-2xx Marketing API answer to the error tree."""
    return from_error(read_error(response), response.status_code, response)


def from_transport(exc: httpx.TransportError) -> NetworkError:
    """No answer at all: every call here is a read, so it is safe to try again."""
    return Transient(TRANSIENT_MESSAGE, code=type(exc).__name__)
