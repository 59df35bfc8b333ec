"""Facebook Login, manual flow: the helpers the Facebook and Instagram connectors share.

Sources (docs/networks/facebook.md#sources):
- developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow: the browser goes to
  `https://www.facebook.com/{version}/dialog/oauth?client_id&redirect_uri&state&scope`; the
  callback gets `code` and `state`; the server exchanges the code at
  `GET https://graph.facebook.com/{version}/oauth/access_token?client_id&redirect_uri&client_secret&code`
  for a short-lived user token (`{"access_token", "token_type", "expires_in"}`).
- .../facebook-login/guides/access-tokens/get-long-lived: `GET .../oauth/access_token?grant_type=
  fb_exchange_token&client_id&client_secret&fb_exchange_token` gives a long-lived user token
  (about 60 days, `expires_in` ≈ 5,184,000). Page tokens read with it do not expire.
- .../pages-api/getting-started and .../pages-api/overview: `GET /{user-id}/accounts` (here
  `/me/accounts`) lists the Pages the person can act on, each with `id`, `name`,
  `access_token` (the Page token) and `tasks`; `fields=instagram_business_account` adds the
  Instagram professional account linked to the Page (Instagram API with Facebook Login).

Usage (the Instagram connector reuses this; it passes its own scopes and, in the sandbox, its
own Graph base URL)::

    from cuecast.networks.facebook import login

    url = login.authorize_url(config, redirect_uri=..., state=state, scopes=(...))
    user = await login.user_token_from_code(http, config, code=code, redirect_uri=...)
    for page in await login.list_pages(http, config, user.access_token):
        page.id, page.name, page.access_token, page.instagram_business_account  # id or None

Every failure is a `cuecast.networks.errors.NetworkError` with a plain sentence; no token ever
appears in a message.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from cuecast.config import Config
from cuecast.networks.errors import Permanent
from cuecast.networks.facebook import errors
from cuecast.networks.facebook.descriptor import SCOPES

# What /me/accounts returns per Page; `instagram_business_account{id,username}` names the linked
# Instagram professional account, if any.
PAGE_FIELDS = "id,name,access_token,tasks,category,instagram_business_account{id,username}"
MAX_PAGES_READ = 20  # pages of /me/accounts results followed (25 Pages each by default)


@dataclass(frozen=True)
class UserToken:
    access_token: str
    expires_at: datetime | None  # None: Facebook did not say (treat as long-lived)


@dataclass(frozen=True)
class Page:
    """One Facebook Page the person who signed in can act on."""

    id: str
    name: str
    access_token: str  # the Page access token; no expiry when read with a long-lived user token
    tasks: tuple[str, ...] = ()  # CREATE_CONTENT, MANAGE, MODERATE, ANALYZE, ADVERTISE
    category: str = ""
    instagram_business_account: str | None = None  # the linked Instagram account's id
    instagram_username: str = ""

    @property
    def can_post(self) -> bool:
        """Whether the person may create content on the Page (unknown tasks: assume yes)."""
        return not self.tasks or bool({"CREATE_CONTENT", "MANAGE"} & set(self.tasks))


def graph_base(config: Config, base_url: str | None = None) -> str:
    """The versioned Graph root, e.g. https://graph.facebook.com/v21.0."""
    return f"{(base_url or config.facebook_graph_url).rstrip('/')}/{config.facebook_graph_version}"


def dialog_url(config: Config) -> str:
    """The Login dialog: https://www.facebook.com/{version}/dialog/oauth."""
    return f"{config.facebook_dialog_url.rstrip('/')}/{config.facebook_graph_version}/dialog/oauth"


def new_state() -> str:
    return secrets.token_urlsafe(32)


def require_app(config: Config) -> None:
    if not config.facebook_app_id or not config.facebook_app_secret:
        raise Permanent(
            "Cuecast has no Facebook app configured. An administrator must set "
            "CUECAST_FACEBOOK_APP_ID and CUECAST_FACEBOOK_APP_SECRET.",
            code="no_app",
        )


def authorize_url(
    config: Config,
    *,
    redirect_uri: str,
    state: str,
    scopes: Iterable[str] = SCOPES,
    extra: dict[str, str] | None = None,
) -> str:
    """Where to send the browser: the Login dialog asking for `scopes` (comma-separated)."""
    require_app(config)
    query = {
        "client_id": config.facebook_app_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "response_type": "code",
        "scope": ",".join(scopes),
        **(extra or {}),
    }
    return f"{dialog_url(config)}?{urlencode(query)}"


async def _get(
    http: httpx.AsyncClient, url: str, params: dict[str, str], *, token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = await http.get(url, params=params, headers=headers)
    except httpx.TransportError as exc:
        raise errors.from_transport(exc) from None
    if not response.is_success:
        raise errors.from_login_response(response)
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Permanent(
            "Facebook answered the sign-in with something Cuecast cannot read.", code="bad_body"
        )
    return body


def _token(body: dict[str, Any]) -> UserToken:
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise Permanent(
            "Facebook answered the sign-in without an access token. Connect again.",
            code="no_access_token",
        )
    expires_in = body.get("expires_in")
    expires_at = (
        datetime.now(UTC) + timedelta(seconds=int(expires_in))
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in
        else None
    )
    return UserToken(access_token=access, expires_at=expires_at)


async def exchange_code(
    http: httpx.AsyncClient,
    config: Config,
    *,
    code: str,
    redirect_uri: str,
    base_url: str | None = None,
) -> UserToken:
    """The callback's code → a short-lived user token (the redirect_uri must match the dialog's)."""
    require_app(config)
    body = await _get(
        http,
        f"{graph_base(config, base_url)}/oauth/access_token",
        {
            "client_id": config.facebook_app_id,
            "redirect_uri": redirect_uri,
            "client_secret": config.facebook_app_secret,
            "code": code,
        },
    )
    return _token(body)


async def long_lived_user_token(
    http: httpx.AsyncClient, config: Config, short_lived: str, *, base_url: str | None = None
) -> UserToken:
    """A short-lived user token → a long-lived one (about 60 days)."""
    require_app(config)
    body = await _get(
        http,
        f"{graph_base(config, base_url)}/oauth/access_token",
        {
            "grant_type": "fb_exchange_token",
            "client_id": config.facebook_app_id,
            "client_secret": config.facebook_app_secret,
            "fb_exchange_token": short_lived,
        },
    )
    return _token(body)


async def user_token_from_code(
    http: httpx.AsyncClient,
    config: Config,
    *,
    code: str,
    redirect_uri: str,
    base_url: str | None = None,
) -> UserToken:
    """Both steps: code → short-lived → long-lived user token."""
    short = await exchange_code(
        http, config, code=code, redirect_uri=redirect_uri, base_url=base_url
    )
    return await long_lived_user_token(http, config, short.access_token, base_url=base_url)


def next_cursor(body: dict[str, Any]) -> str | None:
    """The `after` cursor of a Graph list answer when `paging.next` says there is more."""
    paging = body.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return after if isinstance(after, str) and after else None


def _page(item: dict[str, Any]) -> Page | None:
    page_id, token = item.get("id"), item.get("access_token")
    if not isinstance(page_id, str | int) or not isinstance(token, str) or not token:
        return None
    tasks = item.get("tasks")
    instagram = item.get("instagram_business_account")
    instagram = instagram if isinstance(instagram, dict) else {}
    return Page(
        id=str(page_id),
        name=str(item.get("name") or page_id),
        access_token=token,
        tasks=tuple(str(t) for t in tasks) if isinstance(tasks, list) else (),
        category=str(item.get("category") or ""),
        instagram_business_account=str(instagram["id"]) if instagram.get("id") else None,
        instagram_username=str(instagram.get("username") or ""),
    )


async def list_pages(
    http: httpx.AsyncClient,
    config: Config,
    user_token: str,
    *,
    fields: str = PAGE_FIELDS,
    base_url: str | None = None,
) -> list[Page]:
    """Every Page the user can act on, with its Page token (follows `paging.next` cursors)."""
    url = f"{graph_base(config, base_url)}/me/accounts"
    params: dict[str, str] = {"fields": fields, "limit": "100"}
    pages: list[Page] = []
    for _ in range(MAX_PAGES_READ):
        body = await _get(http, url, params, token=user_token)
        for item in body.get("data") or []:
            page = _page(item) if isinstance(item, dict) else None
            if page is not None:
                pages.append(page)
        after = next_cursor(body)
        if after is None:
            break
        params = {**params, "after": after}
    return pages
