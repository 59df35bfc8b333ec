"""One error shape for the whole API: `{"detail": "<sentence>", "errors": [{"field", "message"}]}`.

Domain errors (ValidationFailed, PermissionDenied), not-found, authentication and ninja's own
request validation (pydantic) all end up here, so a client handles exactly one shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from cuecast.accounts.permissions import PermissionDenied
from cuecast.posts.services import FieldError, ValidationFailed

JSON = "application/json; charset=utf-8"


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut] = []


class NotFound(Exception):
    """Raised by selectors; the message names what is missing and never whose it is."""


def error_response(
    status: int, detail: str, errors: Sequence[FieldError] = (), **headers: str
) -> HttpResponse:
    body = {"detail": detail, "errors": [{"field": e.field, "message": e.message} for e in errors]}
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=JSON)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def validation_response(errors: Sequence[FieldError]) -> HttpResponse:
    if len(errors) == 1:
        detail = errors[0].message
    else:
        detail = f"{len(errors)} problems need fixing; each one is listed in “errors”."
    return error_response(422, detail, errors)


# --- pydantic errors as field + sentence -------------------------------------------------------

_AWARE_EXAMPLE = "like 2026-12-01T09:00:00+01:00"

_MESSAGES: dict[str, str] = {
    "missing": "This field is required.",
    "extra_forbidden": "This field is not known here; check its spelling.",
    "string_type": "Must be text.",
    "int_type": "Must be a whole number.",
    "int_parsing": "Must be a whole number.",
    "int_from_float": "Must be a whole number.",
    "bool_type": "Must be true or false.",
    "bool_parsing": "Must be true or false.",
    "datetime_type": f"Must be a date and time with its offset, {_AWARE_EXAMPLE}.",
    "datetime_parsing": f"Must be a date and time with its offset, {_AWARE_EXAMPLE}.",
    "datetime_from_date_parsing": f"Must be a date and time with its offset, {_AWARE_EXAMPLE}.",
    "timezone_aware": f"Give the time with its offset, {_AWARE_EXAMPLE}.",
    "time_type": "Must be a time of day, like 09:00.",
    "time_parsing": "Must be a time of day, like 09:00.",
    "time_delta_type": "Must be an ISO 8601 duration, like -P2D (2 days before) or PT0S.",
    "time_delta_parsing": "Must be an ISO 8601 duration, like -P2D (2 days before) or PT0S.",
    "list_type": "Must be a list.",
    "model_type": "Must be an object.",
    "model_attributes_type": "Must be an object.",
    "dict_type": "Must be an object.",
    "json_invalid": "The request body is not valid JSON.",
}


_BOUNDS: dict[str, tuple[str, str]] = {
    "greater_than_equal": ("ge", "Must be at least {}."),
    "greater_than": ("gt", "Must be more than {}."),
    "less_than_equal": ("le", "Must be at most {}."),
    "less_than": ("lt", "Must be less than {}."),
}


def _field_path(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx: dict[str, Any] = error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind in {"enum", "literal_error"}:
        return f"Must be one of {ctx.get('expected', 'the listed values')}."
    if kind == "string_too_long":
        return f"Too long: at most {ctx.get('max_length')} characters."
    if kind == "string_too_short":
        minimum = ctx.get("min_length")
        return (
            "Must not be empty." if minimum == 1 else f"Too short: at least {minimum} characters."
        )
    if kind in _BOUNDS:
        name, template = _BOUNDS[kind]
        return template.format(ctx.get(name))
    message = str(error.get("msg", "Is not valid."))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."


def pydantic_field_errors(raw: Sequence[dict[str, Any]]) -> list[FieldError]:
    """Ninja's errors (loc = source, [param name], path...) as field paths and sentences."""
    errors: list[FieldError] = []
    for error in raw:
        loc = list(error.get("loc", ()))
        source = str(loc.pop(0)) if loc else ""
        if source == "body" and loc and loc[0] == "payload":
            loc.pop(0)
        field = _field_path(loc) or source or "request"
        if field == "body" and error.get("type") == "missing":
            errors.append(FieldError("body", "The request needs a JSON body."))
            continue
        errors.append(FieldError(field, _message(error)))
    return errors


# --- handlers -----------------------------------------------------------------------------------


def _on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return validation_response(pydantic_field_errors(exc.errors))


def _on_validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    return validation_response(exc.errors)


def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(403, str(exc))


def _on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    message = (
        str(exc) if isinstance(exc, NotFound) and str(exc) else "There is no such object here."
    )
    return error_response(404, message)


def _on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    header = request.headers.get("Authorization", "")
    if not header:
        detail = "This endpoint needs an API key: send it as “Authorization: Bearer <key>”."
    elif not header.lower().startswith("bearer "):
        detail = "Send the API key as “Authorization: Bearer <key>”."
    else:
        detail = "That API key is not valid: it is unknown or has been revoked."
    return error_response(401, detail, WWW_Authenticate='Bearer realm="cuecast"')


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return error_response(
            400, "The request body is not valid JSON.", [FieldError("body", "Not valid JSON.")]
        )
    message = str(exc)
    return error_response(exc.status_code, message if message.endswith(".") else message + ".")


def install(api: NinjaAPI) -> None:
    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (NinjaValidationError, _on_ninja_validation),
        (ValidationFailed, _on_validation_failed),
        (PermissionDenied, _on_permission_denied),
        (NotFound, _on_not_found),
        (Http404, _on_not_found),
        (ObjectDoesNotExist, _on_not_found),
        (AuthenticationError, _on_authentication),
        (HttpError, _on_http_error),
    ]
    for exc_class, handler in handlers:
        api.exception_handler(exc_class)(handler)


def responses(*codes: int) -> dict[int, type[ErrorOut]]:
    """The documented error responses of an operation, all with the one error shape."""
    return dict.fromkeys(codes, ErrorOut)
