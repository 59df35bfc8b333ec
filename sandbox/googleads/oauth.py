"""Google's OAuth 2.0 for web server applications, as the Google Ads API uses it.

developers.google.com/identity/protocols/oauth2/web-server and
developers.google.com/google-ads/api/docs/oauth/overview: the user consents at the authorize
endpoint (``response_type=code``, ``client_id``, ``redirect_uri``, ``scope`` with
``https://www.googleapis.com/auth/adwords``, ``state``); ``access_type=offline`` asks for a
refresh token, which Google sends on the first offline consent of a user to a client and again
only with ``prompt=consent``. A user who declines comes back with ``error=access_denied``.
``POST /token`` (form: ``client_id``, ``client_secret`` or HTTP Basic, ``grant_type``
``authorization_code`` with ``code`` and ``redirect_uri``, or ``refresh_token``) answers
``{"access_token", "expires_in": 3599, "scope", "token_type": "Bearer", "refresh_token"?}``;
refreshing keeps the refresh token, which is not sent again. A revoked refresh token answers
``invalid_grant`` / "Token has been expired or revoked.".
"""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import unquote

from starlette.datastructures import FormData
from starlette.responses import JSONResponse, Response

from sandbox.common.consent import consent_page, error_page, redirect_with
from sandbox.common.network import Call
from sandbox.googleads.errors import oauth_error
from sandbox.googleads.state import (
    ADWORDS_SCOPE,
    CODE_LIFETIME,
    OPENID_SCOPES,
    GoogleAdsState,
    GoogleClient,
    GoogleUser,
)

AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "access_type",
    "prompt",
    "include_granted_scopes",
    "login_hint",
)
KNOWN_SCOPES = frozenset(
    [ADWORDS_SCOPE, *OPENID_SCOPES, "https://www.googleapis.com/auth/userinfo.email"]
)
REVOKED = "Token has been expired or revoked."


def _gs(call: Call) -> GoogleAdsState:
    return call.sandbox.net("googleads", GoogleAdsState)


def split_scopes(raw: str) -> tuple[str, ...]:
    return tuple(s for s in raw.split() if s)


def _hard_problem(params: dict[str, str], gs: GoogleAdsState) -> tuple[str, str] | None:
    """Problems Google shows on its own error page instead of redirecting."""
    if params.get("client_id") not in gs.clients:
        return "Error 401: invalid_client", "The OAuth client was not found."
    if not params.get("redirect_uri", "").startswith(("http://", "https://")):
        return (
            "Error 400: redirect_uri_mismatch",
            "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
            "policy.",
        )
    if params.get("response_type") != "code":
        return "Error 400: invalid_request", "Invalid response_type; use code."
    scopes = split_scopes(params.get("scope", ""))
    if not scopes:
        return "Error 400: invalid_request", "Missing required parameter: scope"
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        return "Error 400: invalid_scope", f"Some requested scopes were invalid: {unknown[0]}"
    if params.get("access_type", "online") not in ("online", "offline"):
        return "Error 400: invalid_request", "Invalid access_type."
    return None


async def authorize_page(call: Call) -> Response:
    params = dict(call.request.query_params)
    with call.sandbox.lock:
        gs = _gs(call)
        problem = _hard_problem(params, gs)
        if problem:
            return error_page(*problem)
        client = gs.clients[params["client_id"]]
        users = [(u.username, f"{u.name} <{u.email}>") for u in gs.users.values()]
    return consent_page(
        network="Google",
        app_name=client.name,
        scopes=split_scopes(params["scope"]),
        users=users,
        hidden={k: params[k] for k in AUTHORIZE_FIELDS if k in params},
        action=call.request.url.path,
        authorize_label="Allow",
    )


async def authorize_decision(call: Call) -> Response:
    form = await call.request.form()
    params = {k: str(form[k]) for k in AUTHORIZE_FIELDS if k in form}
    with call.sandbox.lock:
        gs = _gs(call)
        problem = _hard_problem(params, gs)
        if problem:
            return error_page(*problem)
        if form.get("decision") != "authorize":
            return redirect_with(
                params["redirect_uri"], {"error": "access_denied", "state": params.get("state")}
            )
        user = gs.user(str(form.get("user", "")))
        if user is None:
            return error_page("Choose an account", "Pick a Google account to continue.")
        scopes = split_scopes(params["scope"])
        code = gs.tokens.new_code(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scopes=scopes,
            user_id=user.id,
            challenge=None,
            method=None,
            now=call.now,
            lifetime=CODE_LIFETIME,
        )
        offline = params.get("access_type") == "offline"
        grant = (user.id, params["client_id"])
        forced = "consent" in params.get("prompt", "").split()
        gs.pending_offline[code.code] = offline and (forced or grant not in gs.offline_grants)
        if offline:
            gs.offline_grants.add(grant)
    return redirect_with(
        params["redirect_uri"],
        {"code": code.code, "scope": " ".join(scopes), "state": params.get("state")},
    )


def issue(
    gs: GoogleAdsState,
    client: GoogleClient,
    user: GoogleUser,
    scopes: tuple[str, ...],
    now: float,
    offline: bool,
    lifetime: float | None = None,
) -> dict[str, Any]:
    access = gs.tokens.issue(
        "access",
        client.client_id,
        user.id,
        scopes,
        now,
        float(gs.config.access_token_lifetime) if lifetime is None else lifetime,
    )
    body: dict[str, Any] = {
        "access_token": access.value,
        "expires_in": max(round((access.expires_at or now) - now), 0),
    }
    if offline:
        refresh = gs.tokens.issue(
            "refresh", client.client_id, user.id, scopes, now, None, access.family
        )
        body["refresh_token"] = refresh.value
    body["scope"] = " ".join(scopes)
    body["token_type"] = "Bearer"
    return body


def _client(call: Call, form: FormData, gs: GoogleAdsState) -> GoogleClient | None:
    client_id = str(form.get("client_id", ""))
    secret = str(form.get("client_secret", ""))
    header = call.request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        basic_id, _, basic_secret = decoded.partition(":")
        client_id, secret = unquote(basic_id), unquote(basic_secret)
    client = gs.clients.get(client_id)
    if client is None or not secrets.compare_digest(client.client_secret, secret):
        return None
    return client


async def token(call: Call) -> Response:
    form = await call.request.form()
    with call.sandbox.lock:
        gs = _gs(call)
        grant = str(form.get("grant_type", ""))
        if grant not in ("authorization_code", "refresh_token"):
            return oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant}")
        client = _client(call, form, gs)
        if client is None:
            return oauth_error("invalid_client", "The OAuth client was not found.", 401)
        if grant == "refresh_token":
            return _refresh(call, gs, client, str(form.get("refresh_token", "")))
        code = gs.tokens.codes.get(str(form.get("code", "")))
        if (
            code is None
            or code.used
            or code.client_id != client.client_id
            or (call.now > code.expires_at)
        ):
            return oauth_error("invalid_grant", "Bad Request")
        if str(form.get("redirect_uri", "")) != code.redirect_uri:
            return oauth_error("redirect_uri_mismatch", "Bad Request")
        code.used = True
        user = gs.users[code.user_id]
        offline = gs.pending_offline.pop(code.code, False)
        return JSONResponse(issue(gs, client, user, code.scopes, call.now, offline))


def _refresh(call: Call, gs: GoogleAdsState, client: GoogleClient, value: str) -> Response:
    old = gs.tokens.get(value, "refresh")
    if old is None or not old.usable(call.now) or old.client_id != client.client_id:
        return oauth_error("invalid_grant", REVOKED)
    assert old.user_id is not None
    access = gs.tokens.issue(
        "access",
        client.client_id,
        old.user_id,
        old.scopes,
        call.now,
        float(gs.config.access_token_lifetime),
        old.family,
    )
    return JSONResponse(
        {
            "access_token": access.value,
            "expires_in": gs.config.access_token_lifetime,
            "scope": " ".join(old.scopes),
            "token_type": "Bearer",
        }
    )
