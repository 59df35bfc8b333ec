"""`Idempotency-Key` on POST: a repeat returns the first answer and does nothing again.

The key is scoped to the API key that sent it. The first request inserts its IdempotentRequest row
and does its work in ONE transaction; the row's unique constraint on (api key, key) means a
concurrent repeat cannot pass: on PostgreSQL its insert waits for the first transaction and then
fails, on SQLite writers queue at BEGIN. Either way the repeat then reads the stored answer.
A request that ends in a server error (5xx) is rolled back with its row, so it can be retried.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja.decorators import decorate_view

from cuecast.api.auth import actor_from_request
from cuecast.api.errors import error_response
from cuecast.api.models import IdempotentRequest
from cuecast.posts.services import FieldError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"

Run = Callable[..., HttpResponseBase]

OPENAPI_PARAMETER: dict[str, Any] = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": (
        "Any unique string (a UUID is a good choice). A repeat with the same key and the same "
        "body returns the first answer and changes nothing; the same key with another body is "
        "refused with 422."
    ),
}


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of method, path and body; JSON bodies are canonicalised (key order, spacing)."""
    body: bytes = request.body
    with contextlib.suppress(ValueError):
        body = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


def _key_error(message: str) -> HttpResponse:
    return error_response(422, message, [FieldError(HEADER, message)])


def _replay(record: IdempotentRequest, fingerprint: str) -> HttpResponse:
    if record.request_hash != fingerprint:
        return _key_error(
            f"This Idempotency-Key was already used for a different request ({record.method} "
            f"{record.path} with another body). Send a new key with a new request."
        )
    response = HttpResponse(
        record.response_body,
        status=record.response_status or 200,
        content_type=record.response_content_type or "application/json",
    )
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(run: Run) -> Run:
    """Wraps an operation's whole run (auth, validation, work, error handling) with the key."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        actor = actor_from_request(request) if key is not None else None
        if key is None or actor is None or actor.api_key is None:
            return run(request, *args, **kwargs)  # no key, or auth fails and answers 401
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return _key_error(
                f"An Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters."
            )
        fingerprint = request_fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(
                        api_key=actor.api_key,
                        key=key,
                        request_hash=fingerprint,
                        method=request.method or "",
                        path=request.path[:500],
                    )
            except IntegrityError:
                existing = IdempotentRequest.objects.get(api_key=actor.api_key, key=key)
                return _replay(existing, fingerprint)
            response = run(request, *args, **kwargs)
            if response.status_code >= 500 or not isinstance(response, HttpResponse):
                transaction.set_rollback(True)
                return response
            record.response_status = response.status_code
            record.response_body = response.content.decode()
            record.response_content_type = response.get("Content-Type", "")
            record.save(update_fields=["response_status", "response_body", "response_content_type"])
        return response

    return wrapper


def idempotent_operation() -> Callable[[Any], Any]:
    """Apply to a POST operation (below the router decorator) to honour Idempotency-Key."""
    return decorate_view(idempotent)


def purge_before(cutoff: datetime) -> int:
    """Forget answers stored before `cutoff` (their keys may then be reused). Returns how many."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
