"""Microsoft Advertising error bodies.

REST faults are the SOAP fault details as JSON, discriminated by ``Type`` (SDK models
``AdApiFaultDetail`` {Errors[], TrackingId, Type} with ``AdApiError`` {Code, Message, Detail,
ErrorCode}, and ``ApiFaultDetail`` {BatchErrors[], OperationErrors[], TrackingId, Type}); the SDK
declares them for HTTP 400, 401, 403 and 500. Codes and messages: guides/operation-error-codes.
The identity platform answers OAuth errors as ``{"error", "error_description", "error_codes", ...}``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.responses import JSONResponse

MESSAGES: dict[int, tuple[str, str]] = {
    0: ("InternalError", "An internal error has occurred."),
    105: (
        "InvalidCredentials",
        "Authentication failed. Either supplied credentials are invalid or the account is "
        "inactive.",
    ),
    106: ("UserIsNotAuthorized", "The user is not authorized to perform this action."),
    109: (
        "AuthenticationTokenExpired",
        "Authentication token expired. Please renew it or obtain a new token.",
    ),
    113: ("InvalidDateObject", "The date specified in the request is not valid."),
    116: (
        "RequestMissingHeaders",
        "One or more required header elements are missing from the request.",
    ),
    117: (
        "CallRateExceeded",
        "You have exceeded the number of calls that you are allowed to make in a minute. "
        "Please reduce the number of calls that you make per minute.",
    ),
    201: ("ApiInputValidationError", "One or more input elements failed validation."),
    207: (
        "ConcurrentRequestOverLimit",
        "You have already reached the maximum number of concurrent report requests. Please "
        "wait until the previous reports are completed and then try to submit a new request.",
    ),
    1100: ("CampaignServiceInvalidCampaignId", "The campaign identifier is not valid."),
    1102: ("CampaignServiceInvalidAccountId", "The account identifier is not valid."),
    2100: (
        "ReportingServiceInvalidReportId",
        "The specified report request identifier is invalid.",
    ),
}

STATUS_FOR = {105: 401, 109: 401, 106: 403, 0: 500}


def tracking_id() -> str:
    return str(uuid.uuid4())


def _error(code: int, detail: str | None = None) -> dict[str, Any]:
    name, message = MESSAGES[code]
    return {"Code": code, "Detail": detail, "ErrorCode": name, "Message": message}


def ad_api_fault(code: int, detail: str | None = None, status: int | None = None) -> JSONResponse:
    tid = tracking_id()
    body: dict[str, Any] = {
        "TrackingId": tid,
        "Type": "AdApiFaultDetail",
        "Errors": [_error(code, detail)],
    }
    response = JSONResponse(body, status_code=status or STATUS_FOR.get(code, 400))
    response.headers["TrackingId"] = tid
    return response


def api_fault(code: int, details: str | None = None, status: int = 400) -> JSONResponse:
    name, message = MESSAGES[code]
    tid = tracking_id()
    body: dict[str, Any] = {
        "TrackingId": tid,
        "Type": "ApiFaultDetail",
        "BatchErrors": [],
        "OperationErrors": [
            {"Code": code, "Details": details, "ErrorCode": name, "Message": message}
        ],
    }
    response = JSONResponse(body, status_code=status)
    response.headers["TrackingId"] = tid
    return response


def server_error(status: int) -> JSONResponse:
    return ad_api_fault(0, None, status)


# --- Microsoft identity platform (login.microsoftonline.com) ---------------------------------
def oauth_error(error: str, aadsts: int, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {
            "error": error,
            "error_description": f"AADSTS{aadsts}: {description}",
            "error_codes": [aadsts],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
        status_code=status,
    )
