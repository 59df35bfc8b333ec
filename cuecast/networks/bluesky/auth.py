"""Connecting a Bluesky account with an app password, and keeping its session alive.

`com.atproto.server.createSession {identifier, password}` answers `{did, handle, accessJwt,
refreshJwt, ...}`. The app password is used for that one call and never stored: the session is
kept and renewed with `com.atproto.server.refreshSession` (Bearer refreshJwt), which answers a new
pair and retires the old refresh token, so the newest pair always replaces the stored one.
createSession is limited to 30 per 5 minutes and 300 per day per account, another reason not to
log in again. On the reference PDS an access token lives about 2 hours and a refresh token about
90 days; the spec asks clients to treat both as opaque, so their JWT `exp` is read only as a hint
for renewing ahead of time (atproto.com/specs/xrpc#authentication).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from cuecast import http as cuecast_http
from cuecast.config import Config
from cuecast.networks.base import AppPasswordFlow, ConnectedAccount
from cuecast.networks.bluesky import errors
from cuecast.networks.errors import NetworkError, Permanent

ClientFactory = Callable[[], httpx.AsyncClient]

INACTIVE = frozenset({"takendown", "suspended", "deactivated"})


class UnsafeServerUrl(Permanent, cuecast_http.UnsafeUrl):
    """The server address the user gave is not one Cuecast may call (SSRF guard)."""

    kind = "permanent"


def normalize_server_url(server_url: str) -> str:
    """`bsky.social`, `https://Bsky.Social/` → `https://bsky.social` (a path prefix is kept)."""
    raw = server_url.strip()
    if raw and "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeServerUrl(
            f"“{server_url}” is not a Bluesky server address (for example https://bsky.social).",
            code="unsafe_url",
        )
    netloc = parts.hostname.lower() + (f":{parts.port}" if parts.port else "")
    path = parts.path.rstrip("/")
    if path.endswith("/xrpc"):
        path = path[: -len("/xrpc")]
    return urlunsplit((parts.scheme.lower(), netloc, path, "", ""))


async def check_server(url: str, config: Config) -> str:
    """Refuse private and loopback servers (the configured default PDS and the sandbox are
    trusted); DNS runs off the event loop."""
    if url.rstrip("/") == config.bluesky_default_pds.rstrip("/"):
        return url
    try:
        return await cuecast_http.check_user_url_cached(url)
    except cuecast_http.UnsafeUrl as exc:
        raise UnsafeServerUrl(str(exc), code="unsafe_url") from exc


def jwt_expiry(token: str) -> datetime | None:
    """The `exp` of a JWT, read without verifying it (a hint only), or None."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    exp = data.get("exp") if isinstance(data, dict) else None
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        return datetime.fromtimestamp(exp, UTC)
    return None


def credentials_from_session(body: Any) -> dict[str, Any]:
    """Stored credentials from a createSession / refreshSession answer."""
    if not isinstance(body, dict):
        raise Permanent("Bluesky answered the sign-in with something Cuecast cannot read.")
    access, refresh, did = body.get("accessJwt"), body.get("refreshJwt"), body.get("did")
    if not all(isinstance(v, str) and v for v in (access, refresh, did)):
        raise Permanent(
            "Bluesky answered the sign-in without a session. Connect the account again.",
            code="no_session",
        )
    if body.get("status") in INACTIVE:
        raise Permanent(errors.ACCOUNT_MESSAGE, code=f"account-{body['status']}")
    expires_at = jwt_expiry(str(access))
    return {
        "accessJwt": access,
        "refreshJwt": refresh,
        "did": did,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }


def expires_at(credentials: dict[str, Any]) -> datetime | None:
    value = credentials.get("expires_at")
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Permanent(
            "The server did not answer like a Bluesky server (PDS); check the address.",
            status=response.status_code,
            code="bad_body",
        )
    return body


async def request(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return await http.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        raise errors.from_transport(exc) from None


class BlueskyAppPassword(AppPasswordFlow):
    def __init__(self, config: Config, client_factory: ClientFactory) -> None:
        self.config = config
        self.client_factory = client_factory

    async def login(self, *, server_url: str, identifier: str, password: str) -> ConnectedAccount:
        if server_url.strip():
            base = await check_server(normalize_server_url(server_url), self.config)
        else:
            base = self.config.bluesky_default_pds.rstrip("/")
        identifier = identifier.strip().lstrip("@")
        password = password.strip()
        if not identifier or not password:
            raise Permanent(
                "Enter the account's handle (or email) and an app password.", code="missing"
            )
        async with self.client_factory() as http:
            response = await request(
                http,
                "POST",
                f"{base}/xrpc/com.atproto.server.createSession",
                json={"identifier": identifier, "password": password},
            )
            if response.status_code != 200:
                raise errors.from_login_response(response)
            body = json_object(response)
            credentials = credentials_from_session(body)
            handle = str(body.get("handle") or identifier)
            display_name = await self._display_name(http, base, credentials, handle)
        return ConnectedAccount(
            external_id=credentials["did"],
            handle=handle,
            display_name=display_name,
            base_url=base,
            credentials=credentials,
            token_expires_at=expires_at(credentials),
        )

    async def _display_name(
        self, http: httpx.AsyncClient, base: str, credentials: dict[str, Any], handle: str
    ) -> str:
        """app.bsky.actor.getProfile's displayName; the handle when there is none or the
        profile cannot be read (it comes from the AppView and is not needed to connect)."""
        try:
            response = await request(
                http,
                "GET",
                f"{base}/xrpc/app.bsky.actor.getProfile",
                params={"actor": credentials["did"]},
                headers={"Authorization": f"Bearer {credentials['accessJwt']}"},
            )
        except NetworkError:
            return handle
        if response.status_code != 200:
            return handle
        try:
            profile: Any = response.json()
        except ValueError:
            return handle
        name = profile.get("displayName") if isinstance(profile, dict) else None
        return name.strip() if isinstance(name, str) and name.strip() else handle
