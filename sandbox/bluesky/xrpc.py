"""The XRPC error envelope ``{"error": name, "message": text}`` and the names behind each status.

Default names and messages follow @atproto/xrpc ``ResponseTypeNames`` / ``ResponseTypeStrings``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

NAMES = {
    400: ("InvalidRequest", "Invalid Request"),
    401: ("AuthenticationRequired", "Authentication Required"),
    403: ("Forbidden", "Forbidden"),
    404: ("XRPCNotSupported", "XRPC Not Supported"),
    413: ("PayloadTooLarge", "Payload Too Large"),
    415: ("UnsupportedMediaType", "Unsupported Media Type"),
    429: ("RateLimitExceeded", "Rate Limit Exceeded"),
    500: ("InternalServerError", "Internal Server Error"),
    501: ("MethodNotImplemented", "Method Not Implemented"),
    502: ("UpstreamFailure", "Upstream Failure"),
    503: ("NotEnoughResources", "Not Enough Resources"),
    504: ("UpstreamTimeout", "Upstream Timeout"),
}


class XrpcError(Exception):
    def __init__(self, status: int, message: str | None = None, error: str | None = None) -> None:
        default_name, default_message = NAMES.get(status, ("InternalServerError", "Error"))
        self.status = status
        self.error = error or default_name
        self.message = message or default_message
        super().__init__(self.message)

    def response(self) -> JSONResponse:
        return error(self.status, self.message, self.error)


def error(status: int, message: str | None = None, name: str | None = None) -> JSONResponse:
    default_name, default_message = NAMES.get(status, ("InternalServerError", "Error"))
    return JSONResponse(
        {"error": name or default_name, "message": message or default_message},
        status_code=status,
    )


def invalid(message: str, name: str | None = None) -> XrpcError:
    return XrpcError(400, message, name)


async def json_body(request: Request) -> dict[str, Any]:
    """The procedure's JSON input (an object), or an InvalidRequest error."""
    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    if not raw.strip():
        raise invalid("Request encoding (Content-Type) required but not provided")
    if "json" not in ctype.lower():
        raise invalid(f"Wrong request encoding (Content-Type): {ctype or 'none'}")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid("Input must be valid JSON") from exc
    if not isinstance(data, dict):
        raise invalid("Input must be an object")
    return data


def require_str(data: dict[str, Any], key: str, path: str = "Input") -> str:
    value = data.get(key)
    if value is None:
        raise invalid(f'{path} must have the property "{key}"')
    if not isinstance(value, str):
        raise invalid(f"{path}/{key} must be a string")
    return value


def param(request: Request, key: str, required: bool = True) -> str | None:
    value = request.query_params.get(key)
    if value is None and required:
        raise invalid(f'Params must have the property "{key}"')
    return value


def int_param(request: Request, key: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise invalid(f"Params/{key} must be an integer") from exc
    if value < minimum:
        raise invalid(f"Params/{key} can not be less than {minimum}")
    if value > maximum:
        raise invalid(f"Params/{key} can not be greater than {maximum}")
    return value
