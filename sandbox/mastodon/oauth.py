"""Mastodon app registration and OAuth (docs.joinmastodon.org/methods/apps, /methods/oauth)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from sandbox.common.consent import consent_page, error_page, redirect_with
from sandbox.common.network import Call
from sandbox.common.tokens import Token, pkce_matches, random_token
from sandbox.mastodon.state import OOB, MastodonApp, MastodonState

TOP_SCOPES = ("read", "write", "follow", "push", "profile", "admin:read", "admin:write")
SUB_SCOPES = {
    "read": (
        "accounts",
        "blocks",
        "bookmarks",
        "favourites",
        "filters",
        "follows",
        "lists",
        "mutes",
        "notifications",
        "search",
        "statuses",
    ),
    "write": (
        "accounts",
        "blocks",
        "bookmarks",
        "conversations",
        "favourites",
        "filters",
        "follows",
        "lists",
        "media",
        "mutes",
        "notifications",
        "reports",
        "statuses",
    ),
}
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection "
    "URI used in the authorization request, or was issued to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, or "
    "unsupported authentication method."
)


def _ms(call: Call) -> MastodonState:
    return call.sandbox.net("mastodon", MastodonState)


def valid_scope(scope: str) -> bool:
    if scope in TOP_SCOPES:
        return True
    top, _, sub = scope.partition(":")
    return sub in SUB_SCOPES.get(top, ())


def scope_grants(granted: tuple[str, ...], needed: str) -> bool:
    """``write`` grants ``write:statuses``; ``read`` grants ``read:accounts``..."""
    return needed in granted or needed.partition(":")[0] in granted


async def request_data(request: Request) -> dict[str, Any]:
    """Form or JSON body as a dict; repeated form keys (``media_ids[]``) become lists."""
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        raw = await request.body()
        data = json.loads(raw) if raw.strip() else {}
        return data if isinstance(data, dict) else {}
    form: FormData = await request.form()
    result: dict[str, Any] = {}
    for key in form:
        values = form.getlist(key)
        result[key] = values if key.endswith("[]") or len(values) > 1 else values[0]
    return result


async def create_app_endpoint(call: Call) -> Response:
    try:
        data = await request_data(call.request)
    except ValueError:
        return JSONResponse({"error": "Invalid JSON"}, status_code=400)
    name = str(data.get("client_name", "")).strip()
    raw_uris = data.get("redirect_uris", "")
    uris = raw_uris if isinstance(raw_uris, list) else str(raw_uris).split()
    scopes = tuple(str(data.get("scopes", "read")).split()) or ("read",)
    if not name:
        return _validation("Application name can't be blank")
    if not uris:
        return _validation("Redirect URI can't be blank")
    if not all(u == OOB or u.startswith(("http://", "https://")) or ":" in u for u in uris):
        return _validation("Redirect URI must be an absolute URI.")
    if not all(valid_scope(s) for s in scopes):
        return _validation("Scopes is invalid")
    with call.sandbox.lock:
        ms = _ms(call)
        app = MastodonApp(
            id=ms.ids.next(),
            name=name,
            website=str(data["website"]) if data.get("website") else None,
            redirect_uris=tuple(str(u) for u in uris),
            scopes=scopes,
            client_id=random_token(32),
            client_secret=random_token(32),
        )
        ms.apps[app.client_id] = app
    return JSONResponse(
        {
            "id": app.id,
            "name": app.name,
            "website": app.website,
            "scopes": list(app.scopes),
            "redirect_uri": "\n".join(app.redirect_uris),
            "redirect_uris": list(app.redirect_uris),
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "client_secret_expires_at": 0,
            "vapid_key": "sandbox-vapid-key",
        }
    )


def _validation(message: str) -> JSONResponse:
    return JSONResponse({"error": f"Validation failed: {message}"}, status_code=422)


FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "force_login",
    "lang",
)


def _check_authorize(params: dict[str, str], ms: MastodonState) -> tuple[MastodonApp | None, str]:
    app = ms.apps.get(params.get("client_id", ""))
    if app is None:
        return None, "Client authentication failed due to unknown client."
    if params.get("redirect_uri") not in app.redirect_uris:
        return None, "The redirect uri included is not valid."
    return app, ""


def _redirect_error(params: dict[str, str], error: str, description: str) -> Response:
    if params.get("redirect_uri") == OOB:
        return error_page(error, description)
    return redirect_with(
        params["redirect_uri"],
        {"error": error, "error_description": description, "state": params.get("state")},
    )


def _soft_problem(params: dict[str, str], app: MastodonApp) -> tuple[str, str] | None:
    if params.get("response_type") != "code":
        return (
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        )
    scopes = params.get("scope", "read").split()
    if not scopes or not all(s in app.scopes or scope_grants(app.scopes, s) for s in scopes):
        return "invalid_scope", "The requested scope is invalid, unknown, or malformed."
    if params.get("code_challenge") and params.get("code_challenge_method", "S256") != "S256":
        return "invalid_request", "The code challenge method must be S256."
    return None


async def authorize_page(call: Call) -> Response:
    params = dict(call.request.query_params)
    with call.sandbox.lock:
        ms = _ms(call)
        app, problem = _check_authorize(params, ms)
        if app is None:
            return error_page("An error has occurred", problem)
        soft = _soft_problem(params, app)
        if soft:
            return _redirect_error(params, *soft)
        users = [(a.username, f"@{a.username} ({a.display_name})") for a in ms.accounts.values()]
    return consent_page(
        network="Mastodon",
        app_name=app.name,
        scopes=params.get("scope", "read").split(),
        users=users,
        hidden={k: params[k] for k in FIELDS if k in params},
        action=call.request.url.path,
        authorize_label="Authorize",
    )


async def authorize_decision(call: Call) -> Response:
    form = await call.request.form()
    params = {k: str(form[k]) for k in FIELDS if k in form}
    with call.sandbox.lock:
        ms = _ms(call)
        app, problem = _check_authorize(params, ms)
        if app is None:
            return error_page("An error has occurred", problem)
        soft = _soft_problem(params, app)
        if soft:
            return _redirect_error(params, *soft)
        if form.get("decision") != "authorize":
            return _redirect_error(
                params,
                "access_denied",
                "The resource owner or authorization server denied the request.",
            )
        account = ms.account_by_name(str(form.get("user", "")))
        if account is None:
            return error_page("An error has occurred", "Choose an account.")
        code = ms.tokens.new_code(
            client_id=app.client_id,
            redirect_uri=params["redirect_uri"],
            scopes=tuple(params.get("scope", "read").split()),
            user_id=account.id,
            challenge=params.get("code_challenge") or None,
            method=params.get("code_challenge_method", "S256")
            if params.get("code_challenge")
            else None,
            now=call.now,
        )
    if params["redirect_uri"] == OOB:
        return HTMLResponse(
            f"<!doctype html><p>Authorization code:</p><code id='code'>{code.code}</code>"
        )
    return redirect_with(params["redirect_uri"], {"code": code.code, "state": params.get("state")})


def token_json(token: Token) -> dict[str, Any]:
    return {
        "access_token": token.value,
        "token_type": "Bearer",
        "scope": " ".join(token.scopes),
        "created_at": int(token.created_at),
    }


def _oauth_error(error: str, description: str, status: int) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _client(data: dict[str, Any], request: Request, ms: MastodonState) -> MastodonApp | None:
    client_id = str(data.get("client_id", ""))
    secret = str(data.get("client_secret", ""))
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        import base64
        import binascii

        try:
            client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
    app = ms.apps.get(client_id)
    if app is None or not secrets.compare_digest(app.client_secret, secret):
        return None
    return app


async def token(call: Call) -> Response:
    try:
        data = await request_data(call.request)
    except ValueError:
        return _oauth_error("invalid_request", "Invalid request body.", 400)
    with call.sandbox.lock:
        ms = _ms(call)
        app = _client(data, call.request, ms)
        if app is None:
            return _oauth_error("invalid_client", INVALID_CLIENT, 401)
        grant = data.get("grant_type")
        if grant == "client_credentials":
            scopes = tuple(str(data.get("scope", "read")).split())
            if not all(scope_grants(app.scopes, s) for s in scopes):
                return _oauth_error(
                    "invalid_scope", "The requested scope is invalid, unknown, or malformed.", 400
                )
            issued = ms.tokens.issue("access", app.client_id, None, scopes, call.now, None)
            return JSONResponse(token_json(issued))
        if grant != "authorization_code":
            return _oauth_error(
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
                400,
            )
        code = ms.tokens.codes.get(str(data.get("code", "")))
        if (
            code is None
            or code.used
            or code.client_id != app.client_id
            or call.now > code.expires_at
            or str(data.get("redirect_uri", "")) != code.redirect_uri
        ):
            return _oauth_error("invalid_grant", INVALID_GRANT, 400)
        if not pkce_matches(
            str(data.get("code_verifier", "")) or None,
            code.code_challenge,
            code.code_challenge_method,
        ):
            return _oauth_error("invalid_grant", INVALID_GRANT, 400)
        code.used = True
        issued = ms.tokens.issue("access", app.client_id, code.user_id, code.scopes, call.now, None)
        return JSONResponse(token_json(issued))


async def revoke(call: Call) -> Response:
    data = await request_data(call.request)
    with call.sandbox.lock:
        ms = _ms(call)
        app = _client(data, call.request, ms)
        found = ms.tokens.tokens.get(str(data.get("token", "")))
        if app is None or (found is not None and found.client_id != app.client_id):
            return _oauth_error(
                "unauthorized_client", "You are not authorized to revoke this token", 403
            )
        if found is not None:
            found.revoked = True
    return JSONResponse({})


async def server_metadata(call: Call) -> Response:
    base = str(call.request.base_url).rstrip("/") + "/mastodon"
    return JSONResponse(
        {
            "issuer": base + "/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "scopes_supported": list(TOP_SCOPES)
            + [f"{top}:{sub}" for top, subs in SUB_SCOPES.items() for sub in subs],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )
