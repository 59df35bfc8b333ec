"""Connecting a Threads account: the Threads Authorization Window, then a long-lived token.

developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions and
.../long-lived-tokens:
1. The user consents at `threads.net/oauth/authorize?client_id&redirect_uri&scope&response_type=
   code&state` (scope comma-separated; the Threads app id, not the Meta app id).
2. `POST graph.threads.net/oauth/access_token` (client_id, client_secret, code,
   grant_type=authorization_code, redirect_uri) gives a short-lived token (1 hour) and user_id.
3. `GET graph.threads.net/access_token?grant_type=th_exchange_token&client_secret&access_token`
   gives a long-lived token: 60 days (`expires_in` 5,183,944 in the example).
4. `GET /refresh_access_token?grant_type=th_refresh_token&access_token` renews a long-lived token
   that is at least 24 hours old and not yet expired, for another 60 days. An expired one cannot
   be refreshed: the user must connect again.
There is no separate refresh token: the access token refreshes itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from cuecast.config import Config
from cuecast.networks.base import AuthorizationStart, ClientStore, ConnectedAccount, OAuthFlow
from cuecast.networks.errors import NetworkError, Permanent
from cuecast.networks.threads import errors
from cuecast.networks.threads.descriptor import API_VERSION, SCOPES

ClientFactory = Callable[[], httpx.AsyncClient]

# A long-lived token can be refreshed once it is this old (docs: "at least 24 hours old").
REFRESHABLE_AFTER = timedelta(hours=24)


def _now() -> datetime:
    return datetime.now(UTC)


def credentials_from_token(body: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Stored credentials from a long-lived token answer (exchange or refresh)."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise Permanent(
            "Threads answered the sign-in without an access token.", code="no_access_token"
        )
    now = now or _now()
    expires_in = body.get("expires_in")
    expires = (
        now + timedelta(seconds=int(expires_in))
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
        else None
    )
    return {
        "access_token": access,
        "expires_at": expires.isoformat() if expires else None,
        "issued_at": now.isoformat(),
    }


def _time(credentials: dict[str, Any], key: str) -> datetime | None:
    value = credentials.get(key)
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def expires_at(credentials: dict[str, Any]) -> datetime | None:
    return _time(credentials, "expires_at")


def refreshable(credentials: dict[str, Any], now: datetime | None = None) -> bool:
    """Whether Threads would still refresh this token: not expired by Cuecast's record."""
    expiry = expires_at(credentials)
    return bool(credentials.get("access_token")) and (expiry is None or expiry > (now or _now()))


def too_young(credentials: dict[str, Any], now: datetime | None = None) -> bool:
    """Threads refreshes only tokens at least 24 hours old."""
    issued = _time(credentials, "issued_at")
    return issued is not None and (now or _now()) - issued < REFRESHABLE_AFTER


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Permanent(
            "Threads answered the sign-in with something Cuecast cannot read.", code="bad_body"
        )
    return body


async def token_call(
    http: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> dict[str, Any]:
    """Call a token endpoint; the parsed body on success, a mapped NetworkError otherwise."""
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        raise errors.from_transport(exc) from None
    if response.status_code != 200:
        raise errors.from_token_response(response)
    return _json(response)


async def refresh(
    http: httpx.AsyncClient, config: Config, credentials: dict[str, Any]
) -> dict[str, Any]:
    body = await token_call(
        http,
        "GET",
        f"{config.threads_api_url}/refresh_access_token",
        params={"grant_type": "th_refresh_token", "access_token": credentials["access_token"]},
    )
    return credentials_from_token(body)


class ThreadsOAuthFlow(OAuthFlow):
    def __init__(self, config: Config, client_factory: ClientFactory) -> None:
        self.config = config
        self.client_factory = client_factory

    async def start(
        self, *, redirect_uri: str, server_url: str = "", clients: ClientStore | None = None
    ) -> AuthorizationStart:
        # One Threads app for all users: no per-server registration, so `clients` is unused.
        if not self.config.threads_app_id:
            raise Permanent(
                "Cuecast has no Threads app configured. An administrator must set "
                "CUECAST_THREADS_APP_ID and CUECAST_THREADS_APP_SECRET.",
                code="no_client_id",
            )
        state = secrets.token_urlsafe(32)
        query = urlencode(
            {
                "client_id": self.config.threads_app_id,
                "redirect_uri": redirect_uri,
                "scope": ",".join(SCOPES),
                "response_type": "code",
                "state": state,
            }
        )
        return AuthorizationStart(
            url=f"{self.config.threads_authorize_url}?{query}", state=state, session_data={}
        )

    async def finish(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> ConnectedAccount:
        # The docs: the redirect may append "#_" to the code; it is not part of it.
        code = code.removesuffix("#_")
        api = self.config.threads_api_url
        async with self.client_factory() as http:
            short = await token_call(
                http,
                "POST",
                f"{api}/oauth/access_token",
                data={
                    "client_id": self.config.threads_app_id,
                    "client_secret": self.config.threads_app_secret,
                    "code": code,
                    "grant_type": "authorization_code",
                    "redirect_uri": redirect_uri,
                },
            )
            short_token = short.get("access_token")
            if not isinstance(short_token, str) or not short_token:
                raise Permanent(
                    "Threads answered the sign-in without an access token.", code="no_access_token"
                )
            long = await token_call(
                http,
                "GET",
                f"{api}/access_token",
                params={
                    "grant_type": "th_exchange_token",
                    "client_secret": self.config.threads_app_secret,
                    "access_token": short_token,
                },
            )
            credentials = credentials_from_token(long)
            user = await self._me(http, credentials["access_token"])
        username = str(user.get("username") or user["id"])
        return ConnectedAccount(
            external_id=str(user["id"]),
            handle=username,
            display_name=str(user.get("name") or username),
            base_url="",
            credentials=credentials,
            token_expires_at=expires_at(credentials),
        )

    async def _me(self, http: httpx.AsyncClient, access_token: str) -> dict[str, Any]:
        try:
            response = await http.get(
                f"{self.config.threads_api_url}/{API_VERSION}/me",
                params={"fields": "id,username,name", "access_token": access_token},
            )
        except httpx.TransportError as exc:
            raise errors.from_transport(exc) from None
        if response.status_code != 200:
            raise errors.from_response(response)
        user = _json(response)
        if not isinstance(user.get("id"), str | int) or not str(user.get("id")):
            raise _unreadable()
        return user


def _unreadable() -> NetworkError:
    return Permanent("Threads did not say which account signed in.", code="bad_body")
