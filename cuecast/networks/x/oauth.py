"""Connecting an X account: OAuth 2.0 Authorization Code with PKCE (S256), and token refresh.

docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code: the user consents at
`x.com/i/oauth2/authorize`; the code is exchanged at `POST /2/oauth2/token` (form-encoded;
a confidential client authenticates with HTTP Basic `client_id:client_secret`). Access tokens
live two hours; a refresh token comes only with `offline.access`, and each refresh returns a new
one (Cuecast always stores the newest; the old one must be treated as spent).
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

from cuecast.config import Config
from cuecast.networks.base import AuthorizationStart, ClientStore, ConnectedAccount, OAuthFlow
from cuecast.networks.errors import NetworkError, Permanent
from cuecast.networks.x import errors
from cuecast.networks.x.descriptor import SCOPES

ClientFactory = Callable[[], httpx.AsyncClient]


def code_verifier() -> str:
    """43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1): 64 random bytes, base64url."""
    return secrets.token_urlsafe(64)[:128]


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def credentials_from_token(
    body: dict[str, Any], previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Stored credentials from a token response; keeps the old refresh token only if none came."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise Permanent("X answered the sign-in without an access token.", code="no_access_token")
    expires_in = body.get("expires_in")
    expires_at = (
        datetime.now(UTC) + timedelta(seconds=int(expires_in))
        if isinstance(expires_in, int | float)
        else None
    )
    refresh = body.get("refresh_token") or (previous or {}).get("refresh_token")
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }


def expires_at(credentials: dict[str, Any]) -> datetime | None:
    value = credentials.get("expires_at")
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


async def token_request(
    http: httpx.AsyncClient, config: Config, data: dict[str, str]
) -> dict[str, Any]:
    """POST the token endpoint; the parsed body on success, a mapped NetworkError otherwise."""
    form = {**data, "client_id": config.x_client_id}
    headers = {}
    if config.x_client_secret:  # a confidential client: HTTP Basic client_id:client_secret
        pair = f"{config.x_client_id}:{config.x_client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    try:
        response = await http.post(f"{config.x_api_url}/2/oauth2/token", data=form, headers=headers)
    except httpx.TransportError as exc:
        raise errors.from_transport(exc) from None
    if response.status_code != 200:
        raise errors.from_token_response(response)
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Permanent(
            "X answered the sign-in with something Cuecast cannot read.", code="bad_body"
        )
    return body


class XOAuthFlow(OAuthFlow):
    def __init__(self, config: Config, client_factory: ClientFactory) -> None:
        self.config = config
        self.client_factory = client_factory

    async def start(
        self, *, redirect_uri: str, server_url: str = "", clients: ClientStore | None = None
    ) -> AuthorizationStart:
        # X has one app for all users: no per-server registration, so `clients` is unused.
        if not self.config.x_client_id:
            raise Permanent(
                "Cuecast has no X app configured. An administrator must set CUECAST_X_CLIENT_ID.",
                code="no_client_id",
            )
        state = secrets.token_urlsafe(32)
        verifier = code_verifier()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.x_client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(SCOPES),
                "state": state,
                "code_challenge": s256_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        return AuthorizationStart(
            url=f"{self.config.x_authorize_url}?{query}",
            state=state,
            session_data={"code_verifier": verifier},
        )

    async def finish(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> ConnectedAccount:
        verifier = session_data.get("code_verifier")
        if not isinstance(verifier, str) or not verifier:
            raise Permanent(
                "The X sign-in expired before it finished. Connect the X account again.",
                code="no_verifier",
            )
        async with self.client_factory() as http:
            token = await token_request(
                http,
                self.config,
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
            )
            credentials = credentials_from_token(token)
            user = await self._me(http, credentials["access_token"])
        return ConnectedAccount(
            external_id=str(user["id"]),
            handle=str(user["username"]),
            display_name=str(user.get("name") or user["username"]),
            base_url="",
            credentials=credentials,
            token_expires_at=expires_at(credentials),
        )

    async def _me(self, http: httpx.AsyncClient, access_token: str) -> dict[str, Any]:
        try:
            response = await http.get(
                f"{self.config.x_api_url}/2/users/me",
                headers={"Authorization": f"Bearer {access_token}"},
            )
        except httpx.TransportError as exc:
            raise errors.from_transport(exc) from None
        if response.status_code != 200:
            raise errors.from_response(response)
        data = _data(response)
        if not isinstance(data.get("id"), str) or not isinstance(data.get("username"), str):
            raise Permanent("X did not say which account signed in.", code="bad_body")
        return data


def _data(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError as exc:
        raise _unreadable() from exc
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise _unreadable()
    return data


def _unreadable() -> NetworkError:
    return Permanent("X answered with something Cuecast cannot read.", code="bad_body")
