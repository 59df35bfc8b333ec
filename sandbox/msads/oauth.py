"""OAuth 2.0 on the Microsoft identity platform (authorization-code flow with refresh tokens).

learn.microsoft.com/advertising/guides/authentication-oauth-identity-platform and
learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow: authorize at
``/common/oauth2/v2.0/authorize`` with ``scope=https://ads.microsoft.com/msads.manage offline_access``;
a user who declines comes back with ``error=access_denied`` (AADSTS65004); the token endpoint takes a
form (``client_id``, ``client_secret``, ``grant_type``, ``code``/``refresh_token``, ``redirect_uri``,
``scope``) and answers ``token_type``, ``scope``, ``expires_in``, ``ext_expires_in``,
``access_token``, ``refresh_token``. Every refresh returns a new refresh token.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.consent import consent_page, error_page, redirect_with
from sandbox.common.network import Call
from sandbox.common.tokens import Token
from sandbox.msads.errors import oauth_error
from sandbox.msads.state import (
    CODE_LIFETIME,
    MANAGE_SCOPE,
    OFFLINE_SCOPE,
    Client,
    MsadsState,
    User,
)

AUTHORIZE_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "prompt")
KNOWN_SCOPES = frozenset(
    [
        MANAGE_SCOPE,
        OFFLINE_SCOPE,
        "openid",
        "profile",
        "email",
        "https://api.ads.microsoft.com/msads.manage",
        "https://si.ads.microsoft.com/msads.manage",
        "bingads.manage",
    ]
)


def _ms(call: Call) -> MsadsState:
    return call.sandbox.net("msads", MsadsState)


def split_scopes(raw: str) -> tuple[str, ...]:
    return tuple(s for s in raw.split() if s)


def _hard_problem(params: dict[str, str], ms: MsadsState) -> str | None:
    if params.get("client_id") not in ms.clients:
        return (
            f"AADSTS700016: Application with identifier '{params.get('client_id', '')}' was not "
            "found in the directory."
        )
    if not params.get("redirect_uri", "").startswith(("http://", "https://")):
        return "AADSTS50011: The redirect URI specified in the request does not match."
    return None


def _soft_problem(params: dict[str, str]) -> tuple[str, str] | None:
    if params.get("response_type") != "code":
        return "unsupported_response_type", "AADSTS700054: response_type must be code."
    scopes = split_scopes(params.get("scope", ""))
    if not scopes:
        return "invalid_request", "AADSTS900144: The request body must contain 'scope'."
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        return "invalid_scope", f"AADSTS70011: The provided value '{unknown[0]}' is not valid."
    return None


async def authorize_page(call: Call) -> Response:
    params = dict(call.request.query_params)
    with call.sandbox.lock:
        ms = _ms(call)
        problem = _hard_problem(params, ms)
        if problem:
            return error_page("Sign in to your account", problem)
        soft = _soft_problem(params)
        if soft:
            return redirect_with(
                params["redirect_uri"],
                {"error": soft[0], "error_description": soft[1], "state": params.get("state")},
            )
        client = ms.clients[params["client_id"]]
        users = [(u.username, f"{u.name} <{u.email}>") for u in ms.users.values()]
    return consent_page(
        network="Microsoft Advertising",
        app_name=client.name,
        scopes=split_scopes(params.get("scope", "")),
        users=users,
        hidden={k: params[k] for k in AUTHORIZE_FIELDS if k in params},
        action=call.request.url.path,
        authorize_label="Accept",
    )


async def authorize_decision(call: Call) -> Response:
    form = await call.request.form()
    params = {k: str(form[k]) for k in AUTHORIZE_FIELDS if k in form}
    with call.sandbox.lock:
        ms = _ms(call)
        problem = _hard_problem(params, ms)
        if problem:
            return error_page("Sign in to your account", problem)
        soft = _soft_problem(params)
        if soft:
            return redirect_with(
                params["redirect_uri"],
                {"error": soft[0], "error_description": soft[1], "state": params.get("state")},
            )
        if form.get("decision") != "authorize":
            return redirect_with(
                params["redirect_uri"],
                {
                    "error": "access_denied",
                    "error_subcode": "cancel",
                    "error_description": "AADSTS65004: User declined to consent to access the app.",
                    "state": params.get("state"),
                },
            )
        user = ms.user(str(form.get("user", "")))
        if user is None:
            return error_page("Sign in to your account", "Choose an account to sign in with.")
        code = ms.tokens.new_code(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scopes=split_scopes(params["scope"]),
            user_id=user.id,
            challenge=None,
            method=None,
            now=call.now,
            lifetime=CODE_LIFETIME,
        )
    return redirect_with(params["redirect_uri"], {"code": code.code, "state": params.get("state")})


def issue(
    ms: MsadsState,
    client: Client,
    user: User,
    scopes: tuple[str, ...],
    now: float,
    lifetime: float | None = None,
    family: str | None = None,
) -> dict[str, Any]:
    """A fresh access token, plus a refresh token when ``offline_access`` was granted."""
    access = ms.tokens.issue(
        "access",
        client.client_id,
        user.id,
        scopes,
        now,
        ms.config.access_token_lifetime if lifetime is None else lifetime,
        family,
    )
    refresh = None
    if OFFLINE_SCOPE in scopes:
        refresh = ms.tokens.issue(
            "refresh",
            client.client_id,
            user.id,
            scopes,
            now,
            ms.config.refresh_token_lifetime,
            access.family,
        )
    return token_body(access, refresh, now)


def token_body(access: Token, refresh: Token | None, now: float) -> dict[str, Any]:
    left = max(round((access.expires_at or now) - now), 0)
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": " ".join(s for s in access.scopes if s != OFFLINE_SCOPE),
        "expires_in": left,
        "ext_expires_in": left,
        "access_token": access.value,
    }
    if refresh is not None:
        body["refresh_token"] = refresh.value
    return body


async def token(call: Call) -> Response:
    form = await call.request.form()
    with call.sandbox.lock:
        ms = _ms(call)
        grant = form.get("grant_type")
        if grant not in ("authorization_code", "refresh_token"):
            return oauth_error(
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type.",
            )
        client = ms.clients.get(str(form.get("client_id", "")))
        if client is None:
            return oauth_error(
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id', '')}' was not found.",
            )
        if not secrets.compare_digest(client.client_secret, str(form.get("client_secret", ""))):
            return oauth_error(
                "invalid_client", 7000215, "Invalid client secret provided.", status=401
            )
        now = call.now
        if grant == "refresh_token":
            old = ms.tokens.get(str(form.get("refresh_token", "")), "refresh")
            if (
                old is None
                or not old.usable(now)
                or old.client_id != client.client_id
                or old.user_id is None
                or old.user_id not in ms.users
            ):
                return oauth_error(
                    "invalid_grant",
                    70000,
                    "The provided value for the 'refresh_token' is not valid: it is expired, "
                    "revoked or malformed.",
                )
            if ms.config.refresh_token_single_use:
                old.revoked = True
            user = ms.users[old.user_id]
            return JSONResponse(issue(ms, client, user, old.scopes, now, family=old.family))
        code = ms.tokens.codes.get(str(form.get("code", "")))
        if (
            code is None
            or code.used
            or code.client_id != client.client_id
            or now > code.expires_at
            or str(form.get("redirect_uri", "")) != code.redirect_uri
        ):
            return oauth_error(
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to "
                "inactivity, was already redeemed, or does not match the redirect URI.",
            )
        code.used = True
        return JSONResponse(issue(ms, client, ms.users[code.user_id], code.scopes, now))
