"""Threads OAuth: authorize window, code exchange (1-hour token), long-lived exchange
(``th_exchange_token``, 60 days) and refresh (``th_refresh_token``).

developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions and
/docs/threads/get-started/long-lived-tokens.
"""

from __future__ import annotations

import secrets

from starlette.responses import JSONResponse, Response

from sandbox.common.consent import consent_page, error_page, redirect_with
from sandbox.common.network import Call
from sandbox.common.tokens import Token
from sandbox.meta.graph import graph_error, params_of, token_error
from sandbox.threads.state import APP_ID, APP_NAME, APP_SECRET, ThreadsState

FIELDS = ("client_id", "redirect_uri", "scope", "response_type", "state")


def _ts(call: Call) -> ThreadsState:
    return call.sandbox.net("threads", ThreadsState)


def split_scopes(raw: str) -> tuple[str, ...]:
    return tuple(s for s in raw.replace(",", " ").split() if s)


def _problem(params: dict[str, str]) -> str | None:
    if params.get("client_id") != APP_ID:
        return "Invalid App ID: The provided app ID does not look like a valid Threads app ID."
    if not params.get("redirect_uri", "").startswith(("http://", "https://")):
        return "The redirect_uri is not valid."
    return None


async def authorize_page(call: Call) -> Response:
    params = dict(call.request.query_params)
    problem = _problem(params)
    if problem:
        return error_page("Error", problem)
    with call.sandbox.lock:
        users = [(u.username, f"@{u.username} ({u.name})") for u in _ts(call).users.values()]
    return consent_page(
        network="Threads",
        app_name=APP_NAME,
        scopes=split_scopes(params.get("scope", "threads_basic")),
        users=users,
        hidden={k: params[k] for k in FIELDS if k in params},
        action=call.request.url.path,
        authorize_label="Allow",
    )


async def authorize_decision(call: Call) -> Response:
    form = await call.request.form()
    params = {k: str(form[k]) for k in FIELDS if k in form}
    problem = _problem(params)
    if problem:
        return error_page("Error", problem)
    if form.get("decision") != "authorize":
        return redirect_with(
            params["redirect_uri"],
            {
                "error": "access_denied",
                "error_reason": "user_denied",
                "error_description": "Permissions error",
                "state": params.get("state"),
            },
        )
    with call.sandbox.lock:
        ts = _ts(call)
        user = ts.user_by_name(str(form.get("user", "")))
        if user is None:
            return error_page("Error", "Choose an account.")
        code = ts.tokens.new_code(
            client_id=APP_ID,
            redirect_uri=params["redirect_uri"],
            scopes=split_scopes(params.get("scope", "threads_basic")) or ("threads_basic",),
            user_id=user.id,
            challenge=None,
            method=None,
            now=call.now,
        )
    return redirect_with(params["redirect_uri"], {"code": code.code, "state": params.get("state")})


def issue(
    ts: ThreadsState, user_id: str, scopes: tuple[str, ...], now: float, long_lived: bool
) -> Token:
    lifetime = ts.config.long_token_lifetime if long_lived else ts.config.short_token_lifetime
    token = ts.tokens.issue("access", APP_ID, user_id, scopes, now, lifetime)
    if long_lived:
        ts.long_lived.add(token.value)
    return token


def _secret_ok(value: str | None) -> bool:
    return value is not None and secrets.compare_digest(value, APP_SECRET)


async def code_exchange(call: Call) -> Response:
    params = params_of(call)
    if params.get("client_id") != APP_ID:
        return graph_error("Error validating application. Invalid application ID.", 101)
    if not _secret_ok(params.get("client_secret")):
        return graph_error("Error validating client secret.", 1)
    if params.get("grant_type") != "authorization_code":
        return graph_error("(#100) Unsupported grant_type", 100)
    now = call.now
    with call.sandbox.lock:
        ts = _ts(call)
        code = ts.tokens.codes.get(params.get("code") or "")
        if code is None:
            return graph_error("Invalid verification code format.", 100)
        if code.used:
            return graph_error("This authorization code has been used.", 100, subcode=36009)
        if now > code.expires_at:
            return graph_error("This authorization code has expired.", 100, subcode=36007)
        if params.get("redirect_uri") != code.redirect_uri:
            return graph_error(
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request",
                100,
                subcode=36008,
            )
        code.used = True
        token = issue(ts, code.user_id, code.scopes, now, long_lived=False)
        return JSONResponse({"access_token": token.value, "user_id": int(code.user_id)})


def _lifetime_json(ts: ThreadsState, token: Token) -> JSONResponse:
    return JSONResponse(
        {
            "access_token": token.value,
            "token_type": "bearer",
            "expires_in": int(ts.config.long_token_lifetime),
        }
    )


async def exchange(call: Call) -> Response:
    """``GET /access_token?grant_type=th_exchange_token&client_secret&access_token``."""
    params = params_of(call)
    if params.get("grant_type") != "th_exchange_token":
        return graph_error("(#100) Param grant_type must be th_exchange_token", 100)
    if not _secret_ok(params.get("client_secret")):
        return graph_error("Error validating client secret.", 1)
    now = call.now
    with call.sandbox.lock:
        ts = _ts(call)
        old = ts.tokens.get(params.get("access_token"))
        if old is None or not old.usable(now) or old.user_id is None:
            return token_error(old, now, ts.config.revoke_subcode, APP_ID)
        return _lifetime_json(ts, issue(ts, old.user_id, old.scopes, now, long_lived=True))


async def refresh(call: Call) -> Response:
    """``GET /refresh_access_token?grant_type=th_refresh_token&access_token``: the token must be
    long-lived, unexpired and at least 24 hours old; the new one is valid 60 days from now."""
    params = params_of(call)
    if params.get("grant_type") != "th_refresh_token":
        return graph_error("(#100) Param grant_type must be th_refresh_token", 100)
    now = call.now
    with call.sandbox.lock:
        ts = _ts(call)
        old = ts.tokens.get(params.get("access_token"))
        if old is None or not old.usable(now) or old.user_id is None:
            return token_error(old, now, ts.config.revoke_subcode, APP_ID)
        if old.value not in ts.long_lived:
            return graph_error("(#100) Only long-lived access tokens can be refreshed", 100)
        if now - old.created_at < ts.config.refresh_min_age:
            return graph_error(
                "(#100) The access token can be refreshed only when it is at least 24 hours old",
                100,
            )
        return _lifetime_json(ts, issue(ts, old.user_id, old.scopes, now, long_lived=True))
