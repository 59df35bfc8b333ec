"""Connecting Google Ads: Google's OAuth 2.0 for web server apps, then every customer the consent
reaches.

developers.google.com/identity/protocols/oauth2/web-server: the user consents at
`{google_ads_oauth_url}` (response_type=code, client_id, redirect_uri, scope, state);
`access_type=offline` asks for a refresh token and `prompt=consent` makes Google issue one even
when the user consented before (otherwise only the first consent carries it). The code is
exchanged at `POST {google_ads_token_url}` (form: code, client_id, client_secret, redirect_uri,
grant_type=authorization_code). Access tokens live an hour (`expires_in` ≈ 3599); refreshing
(`grant_type=refresh_token`) keeps the same refresh token, which Google does not resend.
Scope: https://www.googleapis.com/auth/adwords (developers.google.com/google-ads/api/docs/oauth/
overview).

Accounts (developers.google.com/google-ads/api/docs/account-management/listing-accounts and
…/get-account-hierarchy): `GET {api}/{version}/customers:listAccessibleCustomers` names the
customers the user reaches directly; each one's name, currency and time zone come from a GAQL
query on `customer`. A manager account has no campaigns of its own: its advertiser accounts come
from `customer_client` (every level), and are read with `login-customer-id` = the manager.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from cuecast.campaigns.sources.google import api, errors, gaql
from cuecast.config import Config
from cuecast.networks.base import AuthorizationStart, ClientStore, ConnectedAccount, OAuthFlow
from cuecast.networks.errors import Disconnected, Permanent

log = logging.getLogger("cuecast.campaigns.google")
ClientFactory = Callable[[], httpx.AsyncClient]
CUSTOMER_PREFIX = "customers/"


def credentials_from_token(
    body: dict[str, Any], previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Stored credentials from a token answer. A refresh keeps the stored refresh token, which
    Google does not send again."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise Permanent(
            "Google answered the sign-in without an access token.", code="no_access_token"
        )
    seconds = body.get("expires_in")
    expires = (
        datetime.now(UTC) + timedelta(seconds=int(seconds))
        if isinstance(seconds, int | float) and not isinstance(seconds, bool)
        else None
    )
    credentials: dict[str, Any] = {
        "access_token": access,
        "expires_at": expires.isoformat() if expires else None,
    }
    refresh = body.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        credentials["refresh_token"] = refresh
    elif previous and previous.get("refresh_token"):
        credentials["refresh_token"] = previous["refresh_token"]
    scope = body.get("scope")
    if isinstance(scope, str):
        credentials["scope"] = scope
    elif previous and isinstance(previous.get("scope"), str):
        credentials["scope"] = previous["scope"]
    return credentials


def expires_at(credentials: dict[str, Any]) -> datetime | None:
    value = credentials.get("expires_at")
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


async def token_request(
    http: httpx.AsyncClient, config: Config, data: dict[str, str], *, refreshing: bool = False
) -> dict[str, Any]:
    """POST the token endpoint (form, client credentials in the body)."""
    form = {
        **data,
        "client_id": config.google_ads_client_id,
        "client_secret": config.google_ads_client_secret,
    }
    try:
        response = await http.post(config.google_ads_token_url, data=form)
    except httpx.TransportError as exc:
        raise errors.from_transport(exc) from None
    if response.status_code != 200:
        raise errors.from_token_response(response, refreshing=refreshing)
    return api.json_object(response)


def format_customer_id(customer_id: str) -> str:
    """How Google Ads shows a customer id: 123-456-7890."""
    if len(customer_id) == 10:
        return f"{customer_id[:3]}-{customer_id[3:6]}-{customer_id[6:]}"
    return customer_id


def _account(
    row: dict[str, Any],
    prefix: str,
    credentials: dict[str, Any],
    login_customer_id: str | None,
) -> ConnectedAccount | None:
    customer_id = api.text(row, f"{prefix}.id")
    if not customer_id.isdigit():
        return None
    shown = format_customer_id(customer_id)
    name = api.text(row, f"{prefix}.descriptiveName").strip() or f"Google Ads {shown}"
    settings: dict[str, Any] = {
        "currency": api.text(row, f"{prefix}.currencyCode"),
        "timezone": api.text(row, f"{prefix}.timeZone"),
    }
    if login_customer_id:
        settings["login_customer_id"] = login_customer_id
    return ConnectedAccount(
        external_id=customer_id,
        handle=shown,
        display_name=name,
        base_url="",
        credentials=dict(credentials),
        token_expires_at=expires_at(credentials),
        settings=settings,
    )


class GoogleAdsOAuthFlow(OAuthFlow):
    def __init__(self, config: Config, client_factory: ClientFactory) -> None:
        self.config = config
        self.client_factory = client_factory

    async def start(
        self, *, redirect_uri: str, server_url: str = "", clients: ClientStore | None = None
    ) -> AuthorizationStart:
        # One OAuth client for every user: no per-server registration, so `clients` is unused.
        if not self.config.google_ads_client_id or not self.config.google_ads_client_secret:
            raise Permanent(
                "Cuecast has no Google OAuth client configured. An administrator must set "
                "CUECAST_GOOGLE_ADS_CLIENT_ID and CUECAST_GOOGLE_ADS_CLIENT_SECRET.",
                code="no_client_id",
            )
        state = secrets.token_urlsafe(32)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.google_ads_client_id,
                "redirect_uri": redirect_uri,
                "scope": api.SCOPE,
                "state": state,
                "access_type": "offline",
                "prompt": "consent",
                "include_granted_scopes": "true",
            }
        )
        return AuthorizationStart(
            url=f"{self.config.google_ads_oauth_url}?{query}", state=state, session_data={}
        )

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
        """One ConnectedAccount per advertiser account the consent reaches, directly or through
        a manager; the user picks which to connect."""
        async with self.client_factory() as http:
            token = await token_request(
                http,
                self.config,
                {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            )
            credentials = credentials_from_token(token)
            if not credentials.get("refresh_token"):
                log.warning("Google issued no refresh token; the connection lasts one hour.")
            accounts = await self._accounts(http, credentials)
        if not accounts:
            raise Permanent(
                "This Google account cannot open any Google Ads advertiser account. Sign in with "
                "a Google account that has access to one.",
                code="no_customers",
            )
        return accounts

    async def _accounts(
        self, http: httpx.AsyncClient, credentials: dict[str, Any]
    ) -> list[ConnectedAccount]:
        access = str(credentials["access_token"])
        refreshable = bool(credentials.get("refresh_token"))
        listed = await api.send(
            http,
            "GET",
            f"{api.base_url(self.config)}/customers:listAccessibleCustomers",
            headers=api.headers(self.config, access),
            refreshable=refreshable,
        )
        names = listed.get("resourceNames")
        direct: dict[str, ConnectedAccount] = {}
        through: dict[str, ConnectedAccount] = {}
        for name in names if isinstance(names, list) else []:
            if not isinstance(name, str) or not name.startswith(CUSTOMER_PREFIX):
                continue
            customer_id = name[len(CUSTOMER_PREFIX) :]
            row = await self._customer(http, access, customer_id, refreshable)
            if row is None:
                continue
            if field_true(api.field(row, "customer.manager")):
                for client in await self._clients(http, credentials, customer_id):
                    through.setdefault(client.external_id, client)
                continue
            account = _account(row, "customer", credentials, None)
            if account is not None:
                direct[account.external_id] = account
        # Reached directly needs no login-customer-id: prefer it over the manager path.
        return [*direct.values(), *(a for k, a in through.items() if k not in direct)]

    async def _customer(
        self, http: httpx.AsyncClient, access: str, customer_id: str, refreshable: bool
    ) -> dict[str, Any] | None:
        """The customer's own row, or None when Google will not let this user read it (a
        cancelled or not-yet-enabled account among the accessible ones)."""
        try:
            rows = await api.search(
                http,
                self.config,
                customer_id,
                gaql.customer_query(),
                headers=api.headers(self.config, access),
                refreshable=refreshable,
            )
        except (Disconnected, Permanent) as exc:
            log.info("Skipping Google Ads customer %s: %s", customer_id, exc.code)
            return None
        return rows[0] if rows else None

    async def _clients(
        self, http: httpx.AsyncClient, credentials: dict[str, Any], manager_id: str
    ) -> list[ConnectedAccount]:
        try:
            rows = await api.search(
                http,
                self.config,
                manager_id,
                gaql.client_query(),
                headers=api.headers(
                    self.config, str(credentials["access_token"]), login_customer_id=manager_id
                ),
                refreshable=bool(credentials.get("refresh_token")),
            )
        except (Disconnected, Permanent) as exc:
            log.info("Skipping Google Ads manager %s: %s", manager_id, exc.code)
            return []
        found: list[ConnectedAccount] = []
        for row in rows:
            if field_true(api.field(row, "customerClient.manager")):
                continue
            account = _account(row, "customerClient", credentials, manager_id)
            if account is not None:
                found.append(account)
        return found


def field_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")
