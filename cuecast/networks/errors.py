"""The small tree every network's failures map to, at one point per network (its `errors.py`).

    NetworkError
    ├── AuthExpired          access token expired or rejected; refresh credentials, then try again
    ├── Disconnected         access revoked / refresh refused; channel → disconnected, targets held
    ├── RateLimited          too many calls; `retry_at` is when the network says to come back
    │   └── QuotaExhausted   a daily or monthly cap (or paid credits) is used up; held until it reopens
    ├── AccessTierMissing    the app's API access level lacks this endpoint (X client-not-enrolled)
    ├── Transient            the network failed and created nothing; retry with backoff
    ├── OutcomeUnknown       the request may have been acted on (timeout after sending); reconcile
    └── Permanent            refused for good (invalid, forbidden); the user must change something
        └── Duplicate        the network says this content already exists; reconcile, do not resend

Connectors classify by HTTP status and the network's error code or field first; any matching on
message text lives in that network's one table in `errors.py`, with a fixture for every row.
`message` is shown to users: one plain sentence a marketer understands, no secrets.
"""

from __future__ import annotations

from datetime import datetime


class NetworkError(Exception):
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        published_part_ids: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        # Parts of a thread that did go out before this error, so a retry does not repeat them.
        self.published_part_ids = published_part_ids or []


class AuthExpired(NetworkError):
    kind = "auth_expired"


class Disconnected(NetworkError):
    kind = "disconnected"


class RateLimited(NetworkError):
    kind = "rate_limited"

    def __init__(self, message: str, *, retry_at: datetime | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_at = retry_at


class QuotaExhausted(RateLimited):
    kind = "quota_exhausted"


class AccessTierMissing(NetworkError):
    kind = "access_tier_missing"


class Transient(NetworkError):
    kind = "transient"


class OutcomeUnknown(NetworkError):
    kind = "outcome_unknown"


class Permanent(NetworkError):
    kind = "permanent"


class Duplicate(Permanent):
    kind = "duplicate"
