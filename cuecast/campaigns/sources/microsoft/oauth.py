"""Connecting Microsoft Advertising: the Microsoft identity platform's authorization-code flow.

learn.microsoft.com/en-us/advertising/guides/authentication-oauth-identity-platform?view=bingads-13
and learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow: the user consents at
`{oauth}/authorize` (client_id, response_type=code, redirect_uri, response_mode=query, scope
`https://ads.microsoft.com/msads.manage offline_access`, state, and a PKCE S256 challenge); the
code is redeemed at `POST {oauth}/token` (form: client_id, client_secret, grant_type, code,
redirect_uri, scope, code_verifier). Refresh tokens ROTATE: each refresh answers a new refresh
token, which replaces the stored one (the old one may keep working for a while, but only the
newest is kept).

One consent grants every ad account the user can reach, found through Customer Management
(learn.microsoft.com/en-us/advertising/customer-management-service/getuser and …/searchaccounts,
?view=bingads-13): `POST /CustomerManagement/v13/User/Query` with `{"UserId": null}` (null = the
signed-in user), then `POST /CustomerManagement/v13/Accounts/Search` with the predicate
`UserId Equals <id>`, paged 1,000 at a time. `finish_all` yields one ConnectedAccount per ad account.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from cuecast.campaigns.sources.microsoft import api, errors
from cuecast.campaigns.sources.microsoft.timezones import iana_zone
from cuecast.config import Config
from cuecast.networks.base import AuthorizationStart, ClientStore, ConnectedAccount, OAuthFlow
from cuecast.networks.errors import Permanent

SCOPES = ("https://ads.microsoft.com/msads.manage", "offline_access")
ClientFactory = Callable[[], httpx.AsyncClient]
PAGE_SIZE = 1000
MAX_PAGES = 20


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def credentials_from_token(
    body: dict[str, Any], previous: dict[str, Any] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Stored credentials from a token answer. A refresh stores the NEW refresh token; only when
    the answer carries none is the previous one kept."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise Permanent(
            "Microsoft answered the sign-in without an access token.", code="no_access_token"
        )
    now = now or datetime.now(UTC)
    seconds = body.get("expires_in")
    expires_at: datetime | None = None
    try:
        expires_at = now + timedelta(seconds=int(str(seconds)))
    except ValueError:
        expires_at = None
    credentials: dict[str, Any] = {
        "access_token": access,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
    refresh = body.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        credentials["refresh_token"] = refresh
    elif previous and previous.get("refresh_token"):
        credentials["refresh_token"] = previous["refresh_token"]
    if isinstance(body.get("scope"), str):
        credentials["scope"] = body["scope"]
    return credentials


def expires_at(credentials: dict[str, Any]) -> datetime | None:
    value = credentials.get("expires_at")
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


async def token_request(
    http: httpx.AsyncClient, config: Config, data: dict[str, str], *, refreshing: bool = False
) -> dict[str, Any]:
    form = {**data, "client_id": config.microsoft_ads_client_id, "scope": " ".join(SCOPES)}
    if config.microsoft_ads_client_secret:
        form["client_secret"] = config.microsoft_ads_client_secret
    try:
        response = await http.post(f"{config.microsoft_ads_oauth_url}/token", data=form)
    except httpx.TransportError as exc:
        raise errors.from_transport(exc) from None
    if response.status_code != 200:
        raise errors.from_token_response(response, refreshing=refreshing)
    return api.parse_json(response)


async def refresh(
    http: httpx.AsyncClient, config: Config, credentials: dict[str, Any]
) -> dict[str, Any]:
    """New credentials from the stored refresh token (which Microsoft rotates)."""
    token = credentials.get("refresh_token")
    if not isinstance(token, str) or not token:
        raise errors.from_fault(errors.Fault(code=105), None)
    body = await token_request(
        http, config, {"grant_type": "refresh_token", "refresh_token": token}, refreshing=True
    )
    return credentials_from_token(body, previous=credentials)


class MicrosoftAdsOAuthFlow(OAuthFlow):
    def __init__(self, config: Config, client_factory: ClientFactory) -> None:
        self.config = config
        self.client_factory = client_factory

    async def start(
        self, *, redirect_uri: str, server_url: str = "", clients: ClientStore | None = None
    ) -> AuthorizationStart:
        if not self.config.microsoft_ads_client_id:
            raise Permanent(
                "Cuecast has no Microsoft Advertising app configured. An administrator must set "
                "CUECAST_MICROSOFT_ADS_CLIENT_ID, CUECAST_MICROSOFT_ADS_CLIENT_SECRET and "
                "CUECAST_MICROSOFT_ADS_DEVELOPER_TOKEN.",
                code="no_client_id",
            )
        state = secrets.token_urlsafe(32)
        verifier, challenge = _pkce()
        query = urlencode(
            {
                "client_id": self.config.microsoft_ads_client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "response_mode": "query",
                "scope": " ".join(SCOPES),
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return AuthorizationStart(
            url=f"{self.config.microsoft_ads_oauth_url}/authorize?{query}",
            state=state,
            session_data={"code_verifier": verifier},
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
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        verifier = session_data.get("code_verifier")
        if isinstance(verifier, str) and verifier:
            data["code_verifier"] = verifier
        async with self.client_factory() as http:
            credentials = credentials_from_token(await token_request(http, self.config, data))
            access = credentials["access_token"]
            user = await self._user(http, access)
            accounts = await self._accounts(http, access, user)
        if not accounts:
            raise Permanent(
                "This Microsoft account has no Microsoft Advertising ad accounts Cuecast can read.",
                code="no_accounts",
            )
        expires = expires_at(credentials)
        user_id = api.text(user.get("Id"))
        connected: list[ConnectedAccount] = []
        for account in accounts:
            account_id = api.text(account.get("Id"))
            name = api.text(account.get("Name")) or f"Ad account {account_id}"
            number = api.text(account.get("Number"))
            raw_zone = api.text(account.get("TimeZone"))
            connected.append(
                ConnectedAccount(
                    external_id=account_id,
                    handle=number or account_id,
                    display_name=name,
                    base_url="",
                    credentials=dict(credentials),
                    token_expires_at=expires,
                    settings={
                        "customer_id": api.text(account.get("ParentCustomerId")),
                        "currency": api.text(account.get("CurrencyCode")),
                        "timezone": iana_zone(raw_zone),
                        "microsoft_timezone": raw_zone,
                        "account_number": number,
                        "user_id": user_id,
                        "lifecycle_status": api.text(account.get("AccountLifeCycleStatus")),
                    },
                )
            )
        return connected

    async def _user(self, http: httpx.AsyncClient, access: str) -> dict[str, Any]:
        body = await api.post(
            http,
            f"{api.customer_url(self.config)}{api.CUSTOMER_PATH}/User/Query",
            {"UserId": None},
            api.headers(self.config, access),
        )
        user = body.get("User")
        if not isinstance(user, dict) or not api.text(user.get("Id")):
            raise errors.unreadable("a user without an id")
        return user

    async def _accounts(
        self, http: httpx.AsyncClient, access: str, user: dict[str, Any]
    ) -> list[dict[str, Any]]:
        url = f"{api.customer_url(self.config)}{api.CUSTOMER_PATH}/Accounts/Search"
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        for index in range(MAX_PAGES):
            body = await api.post(
                http,
                url,
                {
                    "Predicates": [
                        {"Field": "UserId", "Operator": "Equals", "Value": api.text(user["Id"])}
                    ],
                    "Ordering": [{"Field": "Id", "Order": "Ascending"}],
                    "PageInfo": {"Index": index, "Size": PAGE_SIZE},
                },
                api.headers(self.config, access),
            )
            page = body.get("Accounts") or []
            if not isinstance(page, list):
                raise errors.unreadable("an account list")
            for account in page:
                account_id = api.text(account.get("Id")) if isinstance(account, dict) else ""
                if account_id and account_id not in seen:
                    seen.add(account_id)
                    found.append(account)
            if len(page) < PAGE_SIZE:
                break
        return found
