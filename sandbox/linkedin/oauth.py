"""LinkedIn OAuth 2.0 three-legged flow (Authorization Code Flow) with programmatic refresh.

learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow and
…/programmatic-refresh-tokens: authorize at ``/oauth/v2/authorization`` (space-separated scopes,
``state``), a member who cancels comes back with ``error=user_cancelled_authorize``; the token
endpoint ``POST /oauth/v2/accessToken`` takes a form with ``client_id`` and ``client_secret``;
access tokens live 60 days; approved partners also get a refresh token that lives 365 days from the
first authorization and is NOT extended by refreshing.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import JSONResponse, Response

from sandbox.common.consent import consent_page, error_page, redirect_with
from sandbox.common.network import Call
from sandbox.common.tokens import Token
from sandbox.linkedin.errors import oauth_error
from sandbox.linkedin.state import CODE_LIFETIME, LinkedInClient, LinkedInState, Member

AUTHORIZE_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state")
KNOWN_SCOPES = frozenset(
    [
        "openid",
        "profile",
        "email",
        "w_member_social",
        "r_member_social",
        "w_organization_social",
        "r_organization_social",
        "rw_organization_admin",
        "r_organization_admin",
        "r_basicprofile",
        "r_ads",
        "r_ads_reporting",
        "rw_ads",
    ]
)
BAD_CODE = (
    "Unable to retrieve access token: appid/redirect uri/code verifier does not match "
    "authorization code. Or authorization code expired. Or external member binding exists"
)
BAD_REFRESH = "The provided authorization grant or refresh token is invalid, expired or revoked."


def _li(call: Call) -> LinkedInState:
    return call.sandbox.net("linkedin", LinkedInState)


def split_scopes(raw: str) -> tuple[str, ...]:
    """Scopes are space-separated (URL-encoded); commas are tolerated as older clients send."""
    return tuple(s for s in raw.replace(",", " ").split() if s)


def _hard_problem(params: dict[str, str], li: LinkedInState) -> str | None:
    if params.get("client_id") not in li.clients:
        return "The passed in client_id is invalid."
    if not params.get("redirect_uri", "").startswith(("http://", "https://")):
        return "The redirect_uri does not match the registered value."
    return None


def _soft_problem(params: dict[str, str]) -> tuple[str, str] | None:
    if params.get("response_type") != "code":
        return "invalid_request", "Invalid response_type; it must be code."
    scopes = split_scopes(params.get("scope", ""))
    if not scopes:
        return "invalid_request", "The scope parameter is missing."
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        return (
            "unauthorized_scope_error",
            f'Scope "{unknown[0]}" is not authorized for your application',
        )
    return None


async def authorize_page(call: Call) -> Response:
    params = dict(call.request.query_params)
    with call.sandbox.lock:
        li = _li(call)
        problem = _hard_problem(params, li)
        if problem:
            return error_page("Bummer, something went wrong.", problem)
        soft = _soft_problem(params)
        if soft:
            return redirect_with(
                params["redirect_uri"],
                {"error": soft[0], "error_description": soft[1], "state": params.get("state")},
            )
        client = li.clients[params["client_id"]]
        users = [(m.username, f"{m.name} ({m.urn})") for m in li.members.values()]
    return consent_page(
        network="LinkedIn",
        app_name=client.name,
        scopes=split_scopes(params.get("scope", "")),
        users=users,
        hidden={k: params[k] for k in AUTHORIZE_FIELDS if k in params},
        action=call.request.url.path,
        authorize_label="Allow",
    )


async def authorize_decision(call: Call) -> Response:
    form = await call.request.form()
    params = {k: str(form[k]) for k in AUTHORIZE_FIELDS if k in form}
    with call.sandbox.lock:
        li = _li(call)
        problem = _hard_problem(params, li)
        if problem:
            return error_page("Bummer, something went wrong.", problem)
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
                    "error": "user_cancelled_authorize",
                    "error_description": "The user cancelled the authorization",
                    "state": params.get("state"),
                },
            )
        member = li.member(str(form.get("user", "")))
        if member is None:
            return error_page("Bummer, something went wrong.", "Choose a member to sign in as.")
        code = li.tokens.new_code(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scopes=split_scopes(params["scope"]),
            user_id=member.urn,
            challenge=None,
            method=None,
            now=call.now,
            lifetime=CODE_LIFETIME,
        )
    return redirect_with(params["redirect_uri"], {"code": code.code, "state": params.get("state")})


def issue(
    li: LinkedInState,
    client: LinkedInClient,
    member: Member,
    scopes: tuple[str, ...],
    now: float,
    lifetime: float | None = None,
) -> dict[str, Any]:
    """A fresh grant: a 60-day access token and, for partner clients, a 365-day refresh token."""
    access = li.tokens.issue(
        "access",
        client.client_id,
        member.urn,
        scopes,
        now,
        li.config.access_token_lifetime if lifetime is None else lifetime,
    )
    refresh = None
    if client.refresh_tokens:
        refresh = li.tokens.issue(
            "refresh",
            client.client_id,
            member.urn,
            scopes,
            now,
            li.config.refresh_token_lifetime,
            access.family,
        )
    return token_body(access, refresh, now)


def token_body(access: Token, refresh: Token | None, now: float) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": access.value,
        "expires_in": _left(access, now),
    }
    if refresh is not None:
        body["refresh_token"] = refresh.value
        body["refresh_token_expires_in"] = _left(refresh, now)
    body["scope"] = ",".join(access.scopes)
    body["token_type"] = "Bearer"
    return body


def _left(token: Token, now: float) -> int:
    return max(round((token.expires_at or now) - now), 0)


def _client(form: FormData, li: LinkedInState) -> LinkedInClient | None:
    client = li.clients.get(str(form.get("client_id", "")))
    secret = str(form.get("client_secret", ""))
    if client is None or not secrets.compare_digest(client.client_secret, secret):
        return None
    return client


async def access_token(call: Call) -> Response:
    form = await call.request.form()
    with call.sandbox.lock:
        li = _li(call)
        grant = form.get("grant_type")
        if grant not in ("authorization_code", "refresh_token"):
            return oauth_error(
                "unsupported_grant_type", "The grant type is not supported or is invalid."
            )
        client = _client(form, li)
        if client is None:
            return oauth_error("invalid_client", "Client authentication failed", 401)
        if grant == "refresh_token":
            return _refresh(call, li, client, str(form.get("refresh_token", "")))
        code = li.tokens.codes.get(str(form.get("code", "")))
        if (
            code is None
            or code.used
            or code.client_id != client.client_id
            or call.now > code.expires_at
            or str(form.get("redirect_uri", "")) != code.redirect_uri
        ):
            return oauth_error("invalid_request", BAD_CODE)
        code.used = True
        member = li.members[code.user_id]
        return JSONResponse(issue(li, client, member, code.scopes, call.now))


def _refresh(call: Call, li: LinkedInState, client: LinkedInClient, value: str) -> Response:
    old = li.tokens.get(value, "refresh")
    now = call.now
    if (
        old is None
        or not old.usable(now)
        or old.client_id != client.client_id
        or old.user_id is None
        or not client.refresh_tokens
    ):
        return oauth_error("invalid_grant", BAD_REFRESH)
    # the refresh token keeps its original expiry; the new access token never outlives it
    left = (old.expires_at or now) - now
    lifetime = min(float(li.config.access_token_lifetime), left)
    access = li.tokens.issue(
        "access", client.client_id, old.user_id, old.scopes, now, lifetime, old.family
    )
    return JSONResponse(token_body(access, old, now))


async def introspect(call: Call) -> Response:
    """``POST /oauth/v2/introspectToken`` (token inspector), for completeness."""
    form = await call.request.form()
    with call.sandbox.lock:
        li = _li(call)
        client = _client(form, li)
        if client is None:
            return oauth_error("invalid_client", "Client authentication failed", 401)
        token = li.tokens.tokens.get(str(form.get("token", "")))
        now = call.now
        if token is None or token.client_id != client.client_id:
            return JSONResponse({"active": False})
        status = "revoked" if token.revoked else "expired" if token.expired(now) else "active"
        return JSONResponse(
            {
                "active": status == "active",
                "client_id": token.client_id,
                "authorized_at": int(token.created_at),
                "created_at": int(token.created_at),
                "status": status,
                "expires_at": int(token.expires_at) if token.expires_at else None,
                "scope": ",".join(token.scopes),
                "auth_type": "3L",
            }
        )
