"""Connecting LinkedIn ad accounts: 3-legged OAuth (the organic connector's token exchange), then
one ConnectedAccount per ad account the member has a role on.

- `GET /rest/adAccountUsers?q=authenticatedUser` lists the member's roles, each
  `{"account": "urn:li:sponsoredAccount:{id}", "role": "VIEWER" | …, "user": …}`
  (learn.microsoft.com/linkedin/marketing/integrations/ads/account-structure/
  create-and-manage-account-users);
- `GET /rest/adAccounts/{id}` gives `name`, `currency`, `status`, `type`, `test`
  (…/account-structure/create-and-manage-accounts).

LinkedIn reports ads in UTC days, so every account's timezone is "UTC". The stored
`external_id` is the bare numeric id, which is what the `/rest/adAccounts/{id}` paths take.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from cuecast.campaigns.sources.linkedin_ads import errors
from cuecast.campaigns.sources.linkedin_ads.descriptor import SCOPES
from cuecast.config import Config
from cuecast.networks.base import AuthorizationStart, ClientStore, ConnectedAccount, OAuthFlow
from cuecast.networks.errors import Permanent
from cuecast.networks.linkedin.api import rest_headers
from cuecast.networks.linkedin.oauth import credentials_from_token, expires_at, token_request

ClientFactory = Callable[[], httpx.AsyncClient]
ACCOUNT_PREFIX = "urn:li:sponsoredAccount:"
USERS_PAGE = 100
USERS_PAGES = 10


def account_id(value: object) -> str:
    """`123` from "urn:li:sponsoredAccount:123", "123" or 123."""
    return str(value).strip().removeprefix(ACCOUNT_PREFIX)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Permanent("LinkedIn answered with something Cuecast cannot read.", code="bad_body")
    return body


async def get(
    http: httpx.AsyncClient, url: str, token: str, *, refreshable: bool = False
) -> dict[str, Any]:
    """One versioned REST GET (finished URL, Rest.li headers); the body or a mapped error."""
    try:
        response = await http.get(url, headers=rest_headers(token))
    except httpx.TransportError as exc:
        raise errors.from_transport(exc) from None
    if not response.is_success:
        raise errors.from_response(response, refreshable=refreshable)
    return _json(response)


class LinkedInAdsOAuthFlow(OAuthFlow):
    def __init__(self, config: Config, client_factory: ClientFactory) -> None:
        self.config = config
        self.client_factory = client_factory

    async def start(
        self, *, redirect_uri: str, server_url: str = "", clients: ClientStore | None = None
    ) -> AuthorizationStart:
        if not self.config.linkedin_client_id or not self.config.linkedin_client_secret:
            raise Permanent(
                "Cuecast has no LinkedIn app configured. An administrator must set "
                "CUECAST_LINKEDIN_CLIENT_ID and CUECAST_LINKEDIN_CLIENT_SECRET.",
                code="no_client_id",
            )
        state = secrets.token_urlsafe(32)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.linkedin_client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": " ".join(SCOPES),
            }
        )
        return AuthorizationStart(
            url=f"{self.config.linkedin_oauth_url}/authorization?{query}",
            state=state,
            session_data={},
        )

    async def finish_all(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> list[ConnectedAccount]:
        async with self.client_factory() as http:
            token = await token_request(
                http,
                self.config,
                {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            )
            credentials = credentials_from_token(token)
            access = str(credentials["access_token"])
            roles = await self._roles(http, access)
            accounts = [
                await self._account(http, access, ident, role, credentials)
                for ident, role in roles.items()
            ]
        if not accounts:
            raise Permanent(
                "The LinkedIn member who signed in has no role on any ad account. Ask an account "
                "manager to add them in Campaign Manager (Viewer is enough), then connect again.",
                code="no_ad_accounts",
            )
        return accounts

    async def finish(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> ConnectedAccount:
        accounts = await self.finish_all(
            code=code, redirect_uri=redirect_uri, session_data=session_data
        )
        return accounts[0]

    async def _roles(self, http: httpx.AsyncClient, access: str) -> dict[str, str]:
        """Ad account id → the member's role, in the order LinkedIn lists them."""
        roles: dict[str, str] = {}
        base = f"{self.config.linkedin_api_url}/rest/adAccountUsers?q=authenticatedUser"
        for page in range(USERS_PAGES):
            body = await get(http, f"{base}&start={page * USERS_PAGE}&count={USERS_PAGE}", access)
            elements = [e for e in body.get("elements") or [] if isinstance(e, dict)]
            for element in elements:
                urn = element.get("account")
                if isinstance(urn, str) and urn.startswith(ACCOUNT_PREFIX):
                    roles.setdefault(account_id(urn), str(element.get("role") or ""))
            if len(elements) < USERS_PAGE:
                break
        return roles

    async def _account(
        self,
        http: httpx.AsyncClient,
        access: str,
        ident: str,
        role: str,
        credentials: dict[str, Any],
    ) -> ConnectedAccount:
        body = await get(http, f"{self.config.linkedin_api_url}/rest/adAccounts/{ident}", access)
        name = str(body.get("name") or f"LinkedIn ad account {ident}")
        return ConnectedAccount(
            external_id=ident,
            handle=name,
            display_name=name,
            base_url="",
            credentials=dict(credentials),
            token_expires_at=expires_at(credentials),
            settings={
                "currency": str(body.get("currency") or "").upper(),
                "timezone": "UTC",
                "role": role,
                "status": str(body.get("status") or ""),
                "type": str(body.get("type") or ""),
                "test": bool(body.get("test")),
            },
        )
