"""Google Ads API error bodies (REST): Google's standard envelope around a GoogleAdsFailure.

developers.google.com/google-ads/api/docs/get-started/handle-errors and
…/best-practices/understand-api-errors: the body is
``{"error": {"code": <HTTP>, "message", "status": <google.rpc.Code name>, "details": [...]}}``;
for Google Ads failures one detail is
``{"@type": "type.googleapis.com/google.ads.googleads.vNN.errors.GoogleAdsFailure",
"errors": [{"errorCode": {"<category>": "<ENUM>"}, "message", "trigger"?, "details"?}],
"requestId"}``. Quota errors carry ``details.quotaErrorDetails`` {rateScope, rateName,
retryDelay} (…/reference/rpc/v25/QuotaErrorDetails). The OAuth token endpoint answers OAuth's
``{"error", "error_description"}`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

STATUS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "Internal error encountered."),
    501: ("UNIMPLEMENTED", "Operation is not implemented, or supported, or enabled."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request deadline was exceeded."),
}
MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
PERMISSION_MESSAGE = (
    "User doesn't have permission to access customer. Note: If you're accessing a client "
    "customer, the manager's customer id must be set in the 'login-customer-id' header. See "
    "https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid"
)


@dataclass
class AdsError:
    """One GoogleAdsError."""

    category: str  # queryError, authenticationError, ...
    code: str  # the enum value
    message: str
    trigger: str | None = None
    details: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"errorCode": {self.category: self.code}, "message": self.message}
        if self.trigger is not None:
            body["trigger"] = {"stringValue": self.trigger}
        if self.details:
            body["details"] = self.details
        return body


class AdsFailure(Exception):
    """Raised by handlers; turned into the REST error body."""

    def __init__(self, http: int, *errors: AdsError) -> None:
        super().__init__(errors[0].message if errors else str(http))
        self.http = http
        self.errors = errors


def envelope(
    http: int,
    version: str,
    request_id: str,
    errors: tuple[AdsError, ...] = (),
    message: str | None = None,
) -> dict[str, Any]:
    status, default = STATUS.get(http, ("UNKNOWN", "Unknown error."))
    body: dict[str, Any] = {"code": http, "message": message or default, "status": status}
    if errors:
        body["details"] = [
            {
                "@type": f"type.googleapis.com/google.ads.googleads.{version}.errors."
                "GoogleAdsFailure",
                "errors": [e.to_json() for e in errors],
                "requestId": request_id,
            }
        ]
    return {"error": body}


def response(
    http: int,
    version: str,
    request_id: str,
    errors: tuple[AdsError, ...] = (),
    *,
    message: str | None = None,
    stream: bool = False,
) -> JSONResponse:
    """The error response; searchStream frames it as a one-element JSON array."""
    body = envelope(http, version, request_id, errors, message)
    return JSONResponse(
        [body] if stream else body, status_code=http, headers={"request-id": request_id}
    )


def query_error(code: str, message: str, trigger: str | None = None) -> AdsFailure:
    return AdsFailure(400, AdsError("queryError", code, message, trigger))


def request_error(code: str, message: str) -> AdsFailure:
    return AdsFailure(400, AdsError("requestError", code, message))


def permission_denied(code: str = "USER_PERMISSION_DENIED", message: str = "") -> AdsFailure:
    return AdsFailure(403, AdsError("authorizationError", code, message or PERMISSION_MESSAGE))


def quota(retry_seconds: int, rate_name: str, scope: str = "DEVELOPER") -> AdsError:
    return AdsError(
        "quotaError",
        "RESOURCE_EXHAUSTED",
        f"Too many requests. Retry in {retry_seconds} seconds.",
        details={
            "quotaErrorDetails": {
                "rateScope": scope,
                "rateName": rate_name,
                "retryDelay": f"{retry_seconds}s",
            }
        },
    )


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
