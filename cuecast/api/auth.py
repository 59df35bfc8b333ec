"""Bearer API keys: `Authorization: Bearer cc_...`. There is no session or cookie auth on the API,
so CSRF protection does not apply to it (a browser never sends the key by itself)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from cuecast.accounts.services import Actor, authenticate_api_key

_CACHE_ATTR = "_cuecast_api_actor"


def actor_from_request(request: HttpRequest) -> Actor | None:
    """The actor for the request's bearer key, looked up once per request."""
    if hasattr(request, _CACHE_ATTR):
        cached: Actor | None = getattr(request, _CACHE_ATTR)
        return cached
    actor: Actor | None = None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        actor = authenticate_api_key(token.strip())
    setattr(request, _CACHE_ATTR, actor)
    return actor


def request_actor(request: HttpRequest) -> Actor:
    """The authenticated actor inside an operation (auth has already run and succeeded)."""
    actor = actor_from_request(request)
    assert actor is not None, "the API's auth runs before every operation"
    return actor


class ApiKeyAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Actor | None:
        return actor_from_request(request)

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return authenticate_api_key(token.strip())
