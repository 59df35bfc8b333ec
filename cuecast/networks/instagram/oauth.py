"""Connecting Instagram professional accounts through Facebook Login.

The Facebook connector's `cuecast.networks.facebook.login` does the Login steps (dialog URL,
code → short-lived → long-lived user token, `GET /me/accounts` with each Page's linked
`instagram_business_account`); this module asks for Instagram's permissions and turns each
linked Instagram account into one ConnectedAccount (`finish_all`: one consent, several accounts).

Instagram endpoints take the Facebook *user* access token (IG Container, IG User Media and
Content Publishing Limit references: "Facebook User access token"), so that is what is stored,
with the Page id for reference. Long-lived user tokens last about 60 days; Cuecast renews one
before it expires by exchanging it again (`fb_exchange_token`), which Facebook does for a valid
token only: an expired one means the person must connect again. Sources: docs/networks/instagram.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from cuecast.config import Config
from cuecast.networks.base import AuthorizationStart, ClientStore, ConnectedAccount, OAuthFlow
from cuecast.networks.errors import Disconnected, NetworkError, Permanent
from cuecast.networks.facebook import login
from cuecast.networks.instagram import errors
from cuecast.networks.instagram.descriptor import SCOPES

ClientFactory = Callable[[], httpx.AsyncClient]


def credentials(token: login.UserToken, page_id: str) -> dict[str, Any]:
    return {
        "access_token": token.access_token,
        "page_id": page_id,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


async def renew(http: httpx.AsyncClient, config: Config, access_token: str) -> login.UserToken:
    """A valid long-lived user token → a fresh one (about 60 days from now)."""
    try:
        return await login.long_lived_user_token(
            http, config, access_token, base_url=config.instagram_graph_url
        )
    except NetworkError as exc:
        if exc.kind in ("transient", "rate_limited", "quota_exhausted"):
            raise
        # Facebook refuses to exchange an expired or revoked token: only a new Login helps.
        raise Disconnected(
            errors.DISCONNECTED_MESSAGE, status=exc.status, code="renew_refused"
        ) from None


class InstagramOAuthFlow(OAuthFlow):
    def __init__(self, config: Config, client_factory: ClientFactory) -> None:
        self.config = config
        self.client_factory = client_factory

    async def start(
        self, *, redirect_uri: str, server_url: str = "", clients: ClientStore | None = None
    ) -> AuthorizationStart:
        # One Facebook app for everyone: no per-server registration, so `clients` is unused.
        state = login.new_state()
        url = login.authorize_url(
            self.config, redirect_uri=redirect_uri, state=state, scopes=SCOPES
        )
        return AuthorizationStart(url=url, state=state, session_data={})

    async def finish(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> ConnectedAccount:
        accounts = await self.finish_all(
            code=code, redirect_uri=redirect_uri, session_data=session_data
        )
        return accounts[0]

    async def finish_all(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> list[ConnectedAccount]:
        async with self.client_factory() as http:
            # Instagram's Graph host (graph.facebook.com; in the sandbox, the Instagram emulator).
            base = self.config.instagram_graph_url
            token = await login.user_token_from_code(
                http, self.config, code=code, redirect_uri=redirect_uri, base_url=base
            )
            pages = await login.list_pages(http, self.config, token.access_token, base_url=base)
            names = {
                page.instagram_business_account: await self._profile(
                    http, page.instagram_business_account, token.access_token
                )
                for page in pages
                if page.instagram_business_account and not page.instagram_username
            }
        found: list[ConnectedAccount] = []
        seen: set[str] = set()
        for page in pages:
            ig_id = page.instagram_business_account
            if not ig_id or ig_id in seen:
                continue
            seen.add(ig_id)
            profile = names.get(ig_id, {})
            username = page.instagram_username or str(profile.get("username") or ig_id)
            found.append(
                ConnectedAccount(
                    external_id=ig_id,
                    handle=username,
                    display_name=str(profile.get("name") or username),
                    base_url="",
                    credentials=credentials(token, page.id),
                    token_expires_at=token.expires_at,
                    settings={"page_id": page.id, "page_name": page.name},
                )
            )
        if not found:
            raise Permanent(
                "None of the Facebook Pages you allowed has an Instagram professional account "
                "linked. Link the Instagram account to a Page in Meta Business Suite, then connect "
                "again and allow that Page.",
                code="no_instagram_account",
            )
        return found

    async def _profile(self, http: httpx.AsyncClient, ig_id: str, token: str) -> dict[str, Any]:
        """`GET /{ig-user-id}?fields=username,name` (IG User reference), when /me/accounts did not
        include the nested fields."""
        url = f"{login.graph_base(self.config, self.config.instagram_graph_url)}/{ig_id}"
        try:
            response = await http.get(
                url,
                params={"fields": "username,name"},
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.TransportError as exc:
            raise errors.from_transport(exc) from None
        if not response.is_success:
            raise errors.from_response(response)
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        return body if isinstance(body, dict) else {}
