"""LinkedIn's error bodies (platform_apis.md section 2.6 and the sources in docs/sandbox.md)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


def error(
    status: int, message: str, code: str | None = None, service: int | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"status": status}
    if service is not None:
        body["serviceErrorCode"] = service
    if code is not None:
        body["code"] = code
    body["message"] = message
    return JSONResponse(body, status_code=status)


def empty_token() -> JSONResponse:
    # the sample on learn.microsoft.com/linkedin/shared/api-guide/concepts/error-handling
    return JSONResponse(
        {"message": "Empty oauth2_access_token", "serviceErrorCode": 401, "status": 401}, 401
    )


def invalid_token() -> JSONResponse:
    return error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)


def revoked_token() -> JSONResponse:
    return error(
        401,
        "The token used in the request has been revoked by the user",
        "REVOKED_ACCESS_TOKEN",
        65601,
    )


def expired_token() -> JSONResponse:
    return error(401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN", 65602)


def access_denied(resource: str) -> JSONResponse:
    return error(403, f"Not enough permissions to access: {resource}", "ACCESS_DENIED", 100)


def too_many_requests() -> JSONResponse:
    # no rate-limit headers and no Retry-After: LinkedIn sends none
    return error(
        429,
        "Resource level throttle limit for calls to this resource is reached.",
        "TOO_MANY_REQUESTS",
        101,
    )


def server_error(status: int) -> JSONResponse:
    titles = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    return JSONResponse({"status": status, "message": titles.get(status, "Server Error")}, status)


def version_missing() -> JSONResponse:
    return error(
        400,
        "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
        "VERSION_MISSING",
    )


def version_inactive(requested: str) -> JSONResponse:
    return error(426, f"Requested version {requested} is not active", "NONEXISTENT_VERSION")


def protocol_missing() -> JSONResponse:
    return error(
        400,
        "The X-Restli-Protocol-Version header must be 2.0.0 for this resource.",
        "PROTOCOL_VERSION_MISSING",
    )


def not_found(message: str = "Not Found") -> JSONResponse:
    return error(404, message, "NOT_FOUND")


def bad_request(message: str) -> JSONResponse:
    return JSONResponse({"status": 400, "message": message}, status_code=400)


def input_errors(
    message: str, errors: list[tuple[str, str, str | None]], status: int = 422
) -> JSONResponse:
    """The Rest.li validation envelope; ``errors`` is (code, description, fieldPath)."""
    details = [
        {
            "description": description,
            "input": {"inputPath": {"fieldPath": path}} if path else {},
            "code": code,
        }
        for code, description, path in errors
    ]
    return JSONResponse(
        {
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": message,
            "errorDetails": {"inputErrors": details},
            "status": status,
        },
        status_code=status,
    )


def duplicate(existing_urn: str) -> JSONResponse:
    # observed body (github.com/Arisamiga/Linkedin-RSS/issues/5), with the existing URN
    return input_errors(
        "com.linkedin.content.common.exception.BadRequestResponseException: "
        f"Content is a duplicate of {existing_urn}",
        [("DUPLICATE_POST", "Duplicate post is detected", None)],
    )


def oauth_error(error_code: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error_code, "error_description": description}, status_code=status)
