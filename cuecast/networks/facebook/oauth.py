"""Connecting Facebook Pages: Facebook Login (login.py), then one channel per Page.

One consent grants every Page the person chose in the dialog, so `finish_all` returns them all
(the UI lets the user pick). Each channel keeps its Page token, which does not expire when read
with a long-lived user token; the long-lived user token (about 60 days) is kept beside it only
for reference and is never used to publish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from cuecast.config import Config
from cuecast.networks.base import AuthorizationStart, ClientStore, ConnectedAccount, OAuthFlow
from cuecast.networks.errors import Permanent
from cuecast.networks.facebook import login

ClientFactory = Callable[[], httpx.AsyncClient]


def connected_account(page: login.Page, user: login.UserToken | None = None) -> ConnectedAccount:
    credentials: dict[str, Any] = {"page_access_token": page.access_token}
    if user is not None:
        credentials["user_access_token"] = user.access_token
        credentials["user_token_expires_at"] = (
            user.expires_at.isoformat() if user.expires_at else None
        )
    return ConnectedAccount(
        external_id=page.id,
        handle=page.name,
        display_name=page.name,
        base_url="",
        credentials=credentials,
        token_expires_at=None,  # Page tokens do not expire
        settings={
            "tasks": list(page.tasks),
            "category": page.category,
            "instagram_business_account": page.instagram_business_account,
        },
    )


class FacebookOAuthFlow(OAuthFlow):
    def __init__(self, config: Config, client_factory: ClientFactory) -> None:
        self.config = config
        self.client_factory = client_factory

    async def start(
        self, *, redirect_uri: str, server_url: str = "", clients: ClientStore | None = None
    ) -> AuthorizationStart:
        # One Meta app for every user: nothing to register per server.
        state = login.new_state()
        url = login.authorize_url(self.config, redirect_uri=redirect_uri, state=state)
        return AuthorizationStart(url=url, state=state, session_data={})

    async def finish_all(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> list[ConnectedAccount]:
        async with self.client_factory() as http:
            user = await login.user_token_from_code(
                http, self.config, code=code, redirect_uri=redirect_uri
            )
            pages = await login.list_pages(http, self.config, user.access_token)
        if not pages:
            raise Permanent(
                "The Facebook sign-in granted no Page. Connect again and choose at least one Page "
                "you manage.",
                code="no_pages",
            )
        return [connected_account(page, user) for page in pages]

    async def finish(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> ConnectedAccount:
        """The first Page only; the UI calls `finish_all` to offer every Page."""
        accounts = await self.finish_all(
            code=code, redirect_uri=redirect_uri, session_data=session_data
        )
        return accounts[0]
