"""Facebook Login: the dialog, the code exchange, long-lived tokens and Page tokens.

developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow and
/docs/facebook-login/guides/access-tokens/get-long-lived.
"""

from __future__ import annotations

import secrets
from html import escape

from starlette.responses import HTMLResponse, JSONResponse, Response

from sandbox.common.consent import error_page, redirect_with
from sandbox.common.network import Call
from sandbox.common.tokens import Token
from sandbox.facebook.state import (
    APP_ID,
    APP_NAME,
    APP_SECRET,
    FacebookState,
    Page,
    TokenInfo,
)
from sandbox.meta.graph import graph_error, params_of, token_error

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in with Facebook</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}}
.box{{border:1px solid #ccc;border-radius:8px;padding:1.5rem}} .muted{{color:#666;font-size:.9rem}}
label{{display:block;margin:.4rem 0}} button{{padding:.5rem 1.2rem;margin-right:.6rem}}
</style></head>
<body><div class="box">
<p class="muted">Facebook sandbox &mdash; not the real service</p>
<h1>{app} is requesting access</h1>
<p>Permissions: <code>{scopes}</code></p>
<form method="post" action="{action}">
<fieldset><legend>Continue as</legend>
{users}
</fieldset>
<fieldset><legend>Which Pages do you want {app} to access?</legend>
{pages}
</fieldset>
{ad_accounts}
{hidden}
<p><button type="submit" name="decision" value="authorize" id="authorize">Continue</button>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button></p>
</form></div></body></html>
"""
FIELDS = ("client_id", "redirect_uri", "state", "scope", "response_type", "auth_type")


def _fs(call: Call) -> FacebookState:
    return call.sandbox.net("facebook", FacebookState)


def split_scopes(raw: str) -> tuple[str, ...]:
    return tuple(s for s in raw.replace(",", " ").split() if s)


def _dialog_problem(params: dict[str, str]) -> str | None:
    if params.get("client_id") != APP_ID:
        return "Invalid App ID: The provided app ID does not look like a valid app ID."
    uri = params.get("redirect_uri", "")
    if not uri.startswith(("http://", "https://")):
        return "URL Blocked: This redirect failed because the redirect URI is not whitelisted."
    return None


def _ad_accounts_html(fs: FacebookState, scopes: tuple[str, ...]) -> str:
    """With ads_read or ads_management asked for, the dialog lists the ad accounts it shares
    (every ad account the chosen user has a role on)."""
    if not {"ads_read", "ads_management"} & set(scopes):
        return ""
    rows = "\n".join(
        f'<li class="ad-account" data-id="{escape(a.id)}">{escape(a.name)} '
        f"<span class='muted'>({escape(a.id)}, {escape(a.currency)}, "
        f"{escape(a.timezone_name)}; of "
        f"{escape(', '.join(fs.users[u].username for u in a.users if u in fs.users))})"
        "</span></li>"
        for a in fs.ads.accounts.values()
    )
    return (
        "<fieldset><legend>Ad accounts (ads_read: view performance and campaigns)</legend>"
        f"<ul>{rows}</ul></fieldset>"
    )


async def dialog(call: Call) -> Response:
    params = dict(call.request.query_params)
    problem = _dialog_problem(params)
    if problem:
        return error_page("Error", problem)
    with call.sandbox.lock:
        fs = _fs(call)
        users = "\n".join(
            f'<label><input type="radio" name="user" value="{escape(u.username)}"'
            f"{' checked' if i == 0 else ''}> {escape(u.name)} ({escape(u.username)})</label>"
            for i, u in enumerate(fs.users.values())
        )
        pages = "\n".join(
            f'<label><input type="checkbox" name="pages" value="{escape(p.id)}" checked> '
            f"{escape(p.name)} <span class='muted'>(of {escape(fs.users[p.owner_id].username)})"
            "</span></label>"
            for p in fs.pages.values()
        )
        ad_accounts = _ad_accounts_html(fs, split_scopes(params.get("scope", "")))
    hidden = "\n".join(
        f'<input type="hidden" name="{k}" value="{escape(params[k])}">'
        for k in FIELDS
        if k in params
    )
    html = PAGE.format(
        app=escape(APP_NAME),
        scopes=escape(", ".join(split_scopes(params.get("scope", "public_profile")))),
        action=escape(call.request.url.path),
        users=users,
        pages=pages,
        ad_accounts=ad_accounts,
        hidden=hidden,
    )
    return HTMLResponse(html)


async def decision(call: Call) -> Response:
    form = await call.request.form()
    params = {k: str(form[k]) for k in FIELDS if k in form}
    problem = _dialog_problem(params)
    if problem:
        return error_page("Error", problem)
    uri = params["redirect_uri"]
    if form.get("decision") != "authorize":
        return redirect_with(
            uri,
            {
                "error": "access_denied",
                "error_code": "200",
                "error_description": "Permissions error",
                "error_reason": "user_denied",
                "state": params.get("state"),
            },
        )
    with call.sandbox.lock:
        fs = _fs(call)
        user = fs.user_by_name(str(form.get("user", "")))
        if user is None:
            return error_page("Error", "Choose an account.")
        chosen = [str(v) for v in form.getlist("pages")]
        granted = tuple(p for p in chosen if p in fs.pages and fs.pages[p].owner_id == user.id)
        code = fs.tokens.new_code(
            client_id=APP_ID,
            redirect_uri=uri,
            scopes=split_scopes(params.get("scope", "public_profile")) or ("public_profile",),
            user_id=user.id,
            challenge=None,
            method=None,
            now=call.now,
        )
        fs.code_pages[code.code] = granted
    return redirect_with(uri, {"code": code.code, "state": params.get("state")})


def issue_user_token(
    fs: FacebookState,
    user_id: str,
    scopes: tuple[str, ...],
    pages: tuple[str, ...],
    now: float,
    long_lived: bool,
) -> Token:
    lifetime = fs.config.long_token_lifetime if long_lived else fs.config.short_token_lifetime
    token = fs.tokens.issue("access", APP_ID, user_id, scopes, now, lifetime)
    fs.token_info[token.value] = TokenInfo(
        kind="user", owner_id=user_id, pages=pages, long_lived=long_lived
    )
    return token


def _granted(fs: FacebookState, user_id: str, scopes: tuple[str, ...]) -> tuple[str, ...]:
    """A consent adds to what the user granted the app before (Facebook keeps permissions per
    app and user), so connecting Instagram later does not take Facebook posting away."""
    grants = fs.granted.setdefault(user_id, set())
    grants.update(scopes)
    return tuple(sorted(grants))


def page_token(fs: FacebookState, user_token: Token, page: Page, now: float) -> Token:
    """The Page token /me/accounts hands out: no expiry when derived from a long-lived user token,
    the user token's expiry otherwise."""
    info = fs.token_info[user_token.value]
    key = (info.owner_id, page.id)
    existing = fs.tokens.get(fs.page_tokens.get(key))
    if existing is not None and existing.usable(now):
        if info.long_lived and existing.expires_at is not None:
            existing.expires_at = None
        existing.scopes = user_token.scopes  # a Page token carries the user's current grants
        return existing
    lifetime = None if info.long_lived else max((user_token.expires_at or now) - now, 1)
    token = fs.tokens.issue("access", APP_ID, page.id, user_token.scopes, now, lifetime)
    fs.token_info[token.value] = TokenInfo(
        kind="page",
        owner_id=info.owner_id,
        pages=(page.id,),
        long_lived=info.long_lived,
        page_id=page.id,
    )
    fs.page_tokens[key] = token.value
    return token


def _secret_ok(value: str | None) -> bool:
    return value is not None and secrets.compare_digest(value, APP_SECRET)


async def access_token(call: Call) -> Response:
    """``/oauth/access_token``: ``code`` exchange or ``grant_type=fb_exchange_token``."""
    params = params_of(call)
    if params.get("client_id") != APP_ID:
        return graph_error(
            "Error validating application. Cannot get application info due to a system error.",
            101,
        )
    if not _secret_ok(params.get("client_secret")):
        return graph_error("Error validating client secret.", 1)
    now = call.now
    with call.sandbox.lock:
        fs = _fs(call)
        if params.get("grant_type") == "fb_exchange_token":
            old = fs.tokens.get(params.get("fb_exchange_token"))
            info = fs.token_info.get(old.value) if old else None
            if old is None or info is None or info.kind != "user" or not old.usable(now):
                return token_error(old, now, fs.config.revoke_subcode, APP_ID)
            token = issue_user_token(fs, old.user_id or "", old.scopes, info.pages, now, True)
            return JSONResponse(
                {
                    "access_token": token.value,
                    "token_type": "bearer",
                    "expires_in": int(fs.config.long_token_lifetime),
                }
            )
        raw_code = params.get("code")
        if not raw_code:
            return graph_error("Missing authorization code", 1)
        code = fs.tokens.codes.get(raw_code)
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
        token = issue_user_token(
            fs,
            code.user_id,
            _granted(fs, code.user_id, code.scopes),
            fs.code_pages.get(code.code, ()),
            now,
            False,
        )
        return JSONResponse(
            {
                "access_token": token.value,
                "token_type": "bearer",
                "expires_in": int(fs.config.short_token_lifetime),
            }
        )
