"""X's error bodies (platform_apis.md section 1.6; problem types from x-openapi.json)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

PROBLEM = "application/problem+json"
PROBLEMS = "https://api.x.com/2/problems"

NOT_ENROLLED_DETAIL = (
    "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
    "from a Twitter developer App that is attached to a Project. You can create a project via the "
    "developer portal."
)
V1_SUBSET_MESSAGE = (
    "You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints "
    "(e.g. media post, oauth) only. If you need access to this endpoint, you may need a different "
    "access level. You can learn more here: https://developer.x.com/en/portal/product"
)


def problem(status: int, title: str, detail: str, type_: str = "about:blank") -> JSONResponse:
    body = {"title": title, "type": type_, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def unauthorized() -> JSONResponse:
    return problem(401, "Unauthorized", "Unauthorized")


def forbidden(detail: str) -> JSONResponse:
    return JSONResponse(
        {"detail": detail, "type": "about:blank", "title": "Forbidden", "status": 403},
        status_code=403,
        media_type=PROBLEM,
    )


def too_many_requests() -> JSONResponse:
    return problem(429, "Too Many Requests", "Too Many Requests")


def server_error(status: int) -> JSONResponse:
    titles = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    title = titles.get(status, "Server Error")
    return problem(status, title, title)


def invalid_request(errors: list[dict[str, Any]]) -> JSONResponse:
    body = {
        "errors": errors,
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": f"{PROBLEMS}/invalid-request",
    }
    return JSONResponse(body, status_code=400, media_type=PROBLEM)


def param_error(parameter: str, value: Any, message: str) -> dict[str, Any]:
    return {"parameters": {parameter: [str(value)]}, "message": message}


def not_found(resource_type: str, parameter: str, value: str) -> dict[str, Any]:
    """An entry of the ``errors`` array for a missing resource (the call itself answers 200)."""
    noun = "tweet" if resource_type == "tweet" else resource_type
    return {
        "value": value,
        "detail": f"Could not find {noun} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": f"{PROBLEMS}/resource-not-found",
    }


def tier_error(tier: str, client_id: str) -> JSONResponse:
    if tier == "unenrolled":
        return JSONResponse(
            {
                "client_id": client_id,
                "detail": NOT_ENROLLED_DETAIL,
                "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
                "title": "Client Forbidden",
                "required_enrollment": "Appropriate Level of API Access",
                "reason": "client-not-enrolled",
                "type": "https://api.twitter.com/2/problems/client-forbidden",
            },
            status_code=403,
            media_type=PROBLEM,
        )
    if tier == "v1_subset":
        return JSONResponse(
            {"errors": [{"message": V1_SUBSET_MESSAGE, "code": 453}]}, status_code=403
        )
    return JSONResponse(
        {
            "title": "UsageCapExceeded",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": "https://api.twitter.com/2/problems/usage-capped",
            "period": "Monthly",
            "scope": "Product",
            "status": 429,
        },
        status_code=429,
        media_type=PROBLEM,
    )


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
