"""X OAuth 2.0 Authorization Code with PKCE: consent page and token endpoint.

From docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code: authorize at
``/i/oauth2/authorize`` (PKCE required, S256 or plain), token at ``POST /2/oauth2/token``
(form-encoded; confidential clients authenticate with HTTP Basic), access tokens live two hours,
a refresh token only with ``offline.access``, refresh tokens are single use.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.common.consent import consent_page, error_page, redirect_with
from sandbox.common.network import Call
from sandbox.common.tokens import Token, pkce_matches
from sandbox.x.errors import oauth_error
from sandbox.x.state import XClient, XState

AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
KNOWN_SCOPES = frozenset(
    [
        "tweet.read",
        "tweet.write",
        "tweet.moderate.write",
        "users.read",
        "users.email",
        "follows.read",
        "follows.write",
        "offline.access",
        "space.read",
        "mute.read",
        "mute.write",
        "like.read",
        "like.write",
        "list.read",
        "list.write",
        "block.read",
        "block.write",
        "bookmark.read",
        "bookmark.write",
        "media.write",
        "dm.read",
        "dm.write",
    ]
)


def _x(call: Call) -> XState:
    return call.sandbox.net("x", XState)


def _authorize_problem(params: dict[str, str], xs: XState) -> str | None:
    if params.get("response_type") != "code":
        return "response_type must be 'code'."
    if params.get("client_id") not in xs.clients:
        return "Unknown client_id."
    client = xs.clients[params["client_id"]]
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://", "https://")):
        return "redirect_uri is missing or not an http(s) URL."
    if client.redirect_uris and redirect_uri not in client.redirect_uris:
        return "redirect_uri does not match the app's callback URLs."
    if not params.get("code_challenge"):
        return "code_challenge is required (PKCE)."
    if params.get("code_challenge_method", "plain") not in ("S256", "plain"):
        return "code_challenge_method must be S256 or plain."
    if not params.get("state"):
        return "state is required."
    scopes = params.get("scope", "").split()
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if not scopes or unknown:
        return f"Invalid scope: {' '.join(unknown) or '(empty)'}."
    return None


async def authorize_page(call: Call) -> Response:
    params = dict(call.request.query_params)
    with call.sandbox.lock:
        xs = _x(call)
        problem = _authorize_problem(params, xs)
        if problem:
            return error_page("Something went wrong", problem)
        client = xs.clients[params["client_id"]]
        users = [(u.username, f"@{u.username} ({u.name})") for u in xs.users.values()]
    return consent_page(
        network="X",
        app_name=client.name,
        scopes=params.get("scope", "").split(),
        users=users,
        hidden={k: params[k] for k in AUTHORIZE_FIELDS if k in params},
        action=call.request.url.path,
    )


async def authorize_decision(call: Call) -> Response:
    form = await call.request.form()
    params = {k: str(form[k]) for k in AUTHORIZE_FIELDS if k in form}
    with call.sandbox.lock:
        xs = _x(call)
        problem = _authorize_problem(params, xs)
        if problem:
            return error_page("Something went wrong", problem)
        if form.get("decision") != "authorize":
            return redirect_with(
                params["redirect_uri"], {"error": "access_denied", "state": params["state"]}
            )
        user = xs.user_by_name(str(form.get("user", "")))
        if user is None:
            return error_page("Something went wrong", "Choose an account to act as.")
        code = xs.tokens.new_code(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scopes=tuple(params["scope"].split()),
            user_id=user.id,
            challenge=params["code_challenge"],
            method=params.get("code_challenge_method", "plain"),
            now=call.now,
        )
    return redirect_with(params["redirect_uri"], {"state": params["state"], "code": code.code})


def _client_from_request(request: Request, form: FormData, xs: XState) -> XClient | Response:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return oauth_error("unauthorized_client", "Missing valid authorization header", 401)
        client_id, _, secret = raw.partition(":")
        client = xs.clients.get(client_id)
        if (
            client is None
            or client.client_secret is None
            or not secrets.compare_digest(client.client_secret, secret)
        ):
            return oauth_error("unauthorized_client", "Missing valid authorization header", 401)
        return client
    client_id = str(form.get("client_id", ""))
    client = xs.clients.get(client_id)
    if client is None:
        return oauth_error("invalid_request", "Missing required parameter [client_id].")
    return client


def token_response(xs: XState, access: Token, refresh: Token | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "token_type": "bearer",
        "expires_in": xs.config.access_token_lifetime,
        "access_token": access.value,
        "scope": " ".join(access.scopes),
    }
    if refresh is not None:
        body["refresh_token"] = refresh.value
    return body


def issue_pair(
    xs: XState,
    client_id: str,
    user_id: str,
    scopes: tuple[str, ...],
    now: float,
    lifetime: float | None = None,
    family: str | None = None,
) -> tuple[Token, Token | None]:
    access = xs.tokens.issue(
        "access",
        client_id,
        user_id,
        scopes,
        now,
        xs.config.access_token_lifetime if lifetime is None else lifetime,
        family,
    )
    refresh = None
    if "offline.access" in scopes:
        refresh = xs.tokens.issue("refresh", client_id, user_id, scopes, now, None, access.family)
    return access, refresh


async def token(call: Call) -> Response:
    form = await call.request.form()
    with call.sandbox.lock:
        xs = _x(call)
        client = _client_from_request(call.request, form, xs)
        if isinstance(client, Response):
            return client
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return _exchange_code(call, xs, client, form)
        if grant == "refresh_token":
            return _refresh(call, xs, client, form)
        return oauth_error("invalid_request", "Value passed for the grant type was invalid.")


def _exchange_code(call: Call, xs: XState, client: XClient, form: FormData) -> Response:
    code = xs.tokens.codes.get(str(form.get("code", "")))
    bad = oauth_error("invalid_request", "Value passed for the authorization code was invalid.")
    if (
        code is None
        or code.used
        or code.client_id != client.client_id
        or call.now > code.expires_at
    ):
        return bad
    if str(form.get("redirect_uri", "")) != code.redirect_uri:
        return oauth_error("invalid_request", "Value passed for the redirect uri did not match.")
    if not pkce_matches(
        str(form.get("code_verifier", "")), code.code_challenge, code.code_challenge_method
    ):
        return oauth_error("invalid_request", "Value passed for the code verifier was invalid.")
    code.used = True
    access, refresh = issue_pair(xs, client.client_id, code.user_id, code.scopes, call.now)
    return JSONResponse(token_response(xs, access, refresh))


def _refresh(call: Call, xs: XState, client: XClient, form: FormData) -> Response:
    old = xs.tokens.get(str(form.get("refresh_token", "")), "refresh")
    if old is None or old.revoked or old.client_id != client.client_id or old.user_id is None:
        return oauth_error("invalid_grant", "Value passed for the token was invalid.")
    old.revoked = True  # refresh tokens rotate: the old one is spent
    access, refresh = issue_pair(xs, client.client_id, old.user_id, old.scopes, call.now)
    return JSONResponse(token_response(xs, access, refresh))


async def revoke(call: Call) -> Response:
    form = await call.request.form()
    with call.sandbox.lock:
        xs = _x(call)
        client = _client_from_request(call.request, form, xs)
        if isinstance(client, Response):
            return client
        value = str(form.get("token", ""))
        found = xs.tokens.tokens.get(value)
        if found is not None and found.client_id == client.client_id:
            found.revoked = True
    return JSONResponse({"revoked": True})
