"""Connecting a Mastodon account: per-server app registration, OAuth 2 code flow (+ PKCE on 4.3+).

Sources: docs.joinmastodon.org/methods/apps/, /methods/oauth/, /api/oauth-scopes/,
/methods/accounts/#verify_credentials and /methods/instance/#v2.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from cuecast import http as cuecast_http
from cuecast.networks.base import AuthorizationStart, ClientStore, ConnectedAccount, OAuthFlow
from cuecast.networks.errors import NetworkError, Permanent
from cuecast.networks.mastodon import descriptor
from cuecast.networks.mastodon.errors import error_from_response, error_from_transport

CLIENT_NAME = "Cuecast"
CLIENT_WEBSITE = "https://github.com/cuecast"

ClientFactory = Callable[[], httpx.AsyncClient]


class UnsafeServerUrl(Permanent, cuecast_http.UnsafeUrl):
    """The server address the user gave is not one Cuecast may call (SSRF guard)."""

    kind = "permanent"


def normalize_server_url(server_url: str) -> str:
    """`mastodon.social`, `https://Mastodon.Social/` → `https://mastodon.social` (path kept)."""
    raw = server_url.strip()
    if raw and "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeServerUrl(
            f"“{server_url}” is not a Mastodon server address (for example https://mastodon.social).",
            code="unsafe_url",
        )
    netloc = parts.hostname.lower() + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


async def check_server(url: str) -> str:
    """Refuse private and loopback servers (except the sandbox); DNS runs off the event loop."""
    try:
        return await cuecast_http.check_user_url_cached(url)
    except cuecast_http.UnsafeUrl as exc:
        raise UnsafeServerUrl(str(exc), code="unsafe_url") from exc


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Permanent(
            "The server did not answer like a Mastodon server; check the address.",
            status=response.status_code,
            code="not_mastodon",
        )
    return body


async def _request(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return await http.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise error_from_transport(exc) from exc


def instance_settings(instance: dict[str, Any]) -> dict[str, Any]:
    """The instance limits Cuecast keeps in the channel's settings (GET /api/v2/instance)."""
    config = (
        instance.get("configuration") if isinstance(instance.get("configuration"), dict) else {}
    )
    assert isinstance(config, dict)
    statuses = config.get("statuses") or {}
    media = config.get("media_attachments") or {}

    def number(section: dict[str, Any], key: str, default: int) -> int:
        value = section.get(key)
        return value if isinstance(value, int) and value > 0 else default

    mime_types = media.get("supported_mime_types")
    return {
        "max_characters": number(statuses, "max_characters", descriptor.DEFAULT_MAX_CHARACTERS),
        "characters_reserved_per_url": number(
            statuses, "characters_reserved_per_url", descriptor.DEFAULT_URL_LENGTH
        ),
        "max_media_attachments": number(
            statuses, "max_media_attachments", descriptor.DEFAULT_MAX_IMAGES
        ),
        "image_size_limit": number(media, "image_size_limit", descriptor.DEFAULT_IMAGE_BYTES),
        "description_limit": number(media, "description_limit", descriptor.DEFAULT_ALT_TEXT),
        "supported_mime_types": sorted(str(t) for t in mime_types)
        if isinstance(mime_types, list)
        else sorted(descriptor.DEFAULT_IMAGE_TYPES),
        "version": str(instance.get("version") or ""),
    }


class MastodonOAuth(OAuthFlow):
    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self._client_factory = client_factory or cuecast_http.async_client

    # --- start -----------------------------------------------------------------------------
    async def start(
        self, *, redirect_uri: str, server_url: str, clients: ClientStore
    ) -> AuthorizationStart:
        base = await check_server(normalize_server_url(server_url))
        async with self._client_factory() as http:
            metadata = await self._server_metadata(http, base)
            client = await clients.get(descriptor.KEY, base, redirect_uri)
            if not client or not client.get("client_id") or not client.get("client_secret"):
                client = await self._register(http, base, redirect_uri, metadata)
                await clients.save(descriptor.KEY, base, redirect_uri, client)
        scopes = client.get("scopes") or list(descriptor.LEGACY_SCOPES)
        state = secrets.token_urlsafe(32)
        params = {
            "response_type": "code",
            "client_id": str(client["client_id"]),
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
        }
        session: dict[str, Any] = {
            "server_url": base,
            "client_id": str(client["client_id"]),
            "client_secret": str(client["client_secret"]),
            "scope": " ".join(scopes),
        }
        methods = (metadata or {}).get("code_challenge_methods_supported") or []
        if isinstance(methods, list) and "S256" in methods:
            verifier, challenge = _pkce_pair()
            params.update(code_challenge=challenge, code_challenge_method="S256")
            session["code_verifier"] = verifier
        return AuthorizationStart(
            url=f"{base}/oauth/authorize?{urlencode(params)}", state=state, session_data=session
        )

    async def _server_metadata(self, http: httpx.AsyncClient, base: str) -> dict[str, Any] | None:
        """RFC 8414 metadata (Mastodon 4.3+); None when the server predates it (404)."""
        response = await _request(http, "GET", f"{base}/.well-known/oauth-authorization-server")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise error_from_response(response)
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def _register(
        self,
        http: httpx.AsyncClient,
        base: str,
        redirect_uri: str,
        metadata: dict[str, Any] | None,
    ) -> dict[str, Any]:
        supported = (metadata or {}).get("scopes_supported") or []
        scopes = (
            descriptor.SCOPES if descriptor.PROFILE_SCOPE in supported else descriptor.LEGACY_SCOPES
        )
        response = await _request(
            http,
            "POST",
            f"{base}/api/v1/apps",
            data={
                "client_name": CLIENT_NAME,
                "redirect_uris": redirect_uri,
                "scopes": " ".join(scopes),
                "website": CLIENT_WEBSITE,
            },
        )
        if response.status_code != 200:
            raise error_from_response(response)
        app = _json_object(response)
        if not app.get("client_id") or not app.get("client_secret"):
            raise Permanent("The Mastodon server did not register Cuecast; check the address.")
        return {
            "client_id": str(app["client_id"]),
            "client_secret": str(app["client_secret"]),
            "scopes": list(scopes),
            "registered_at": datetime.now(UTC).isoformat(),
        }

    # --- finish ----------------------------------------------------------------------------
    async def finish(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> ConnectedAccount:
        base = await check_server(str(session_data["server_url"]))
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": str(session_data["client_id"]),
            "client_secret": str(session_data["client_secret"]),
        }
        if session_data.get("code_verifier"):
            form["code_verifier"] = str(session_data["code_verifier"])
        async with self._client_factory() as http:
            token = await self._token(http, base, form)
            auth = {"Authorization": f"Bearer {token['access_token']}"}
            account = await self._get(http, f"{base}/api/v1/accounts/verify_credentials", auth)
            instance = await self._instance(http, base, auth)
        return self._connected(base, token, account, instance, session_data)

    async def _token(
        self, http: httpx.AsyncClient, base: str, form: dict[str, str]
    ) -> dict[str, Any]:
        response = await _request(http, "POST", f"{base}/oauth/token", data=form)
        if response.status_code in (400, 401):
            raise Permanent(
                "Mastodon did not accept the sign-in (it may have expired or been used already); connect the account again.",
                status=response.status_code,
                code="invalid_grant",
            )
        if response.status_code != 200:
            raise error_from_response(response)
        token = _json_object(response)
        if not isinstance(token.get("access_token"), str):
            raise Permanent("Mastodon did not issue an access token; connect the account again.")
        return token

    async def _get(
        self, http: httpx.AsyncClient, url: str, headers: dict[str, str]
    ) -> dict[str, Any]:
        response = await _request(http, "GET", url, headers=headers)
        if response.status_code != 200:
            raise error_from_response(response)
        return _json_object(response)

    async def _instance(
        self, http: httpx.AsyncClient, base: str, headers: dict[str, str]
    ) -> dict[str, Any]:
        try:
            return await self._get(http, f"{base}/api/v2/instance", headers)
        except NetworkError as exc:
            if exc.status != 404:
                raise
        return await self._get(http, f"{base}/api/v1/instance", headers)  # Mastodon < 4.0

    def _connected(
        self,
        base: str,
        token: dict[str, Any],
        account: dict[str, Any],
        instance: dict[str, Any],
        session_data: dict[str, Any],
    ) -> ConnectedAccount:
        username = str(account.get("username") or account.get("acct") or "")
        domain = str(instance.get("domain") or instance.get("uri") or urlsplit(base).netloc)
        credentials: dict[str, Any] = {"access_token": token["access_token"]}
        expires_at = None
        if isinstance(token.get("refresh_token"), str):
            # Mastodon issues no refresh tokens today; if a server does, keep what refreshing needs.
            credentials.update(
                refresh_token=token["refresh_token"],
                client_id=str(session_data["client_id"]),
                client_secret=str(session_data["client_secret"]),
            )
        if isinstance(token.get("expires_in"), int):
            expires_at = datetime.now(UTC) + timedelta(seconds=token["expires_in"])
        settings = instance_settings(instance)
        settings["scope"] = str(token.get("scope") or session_data.get("scope") or "")
        return ConnectedAccount(
            external_id=str(account["id"]),
            handle=f"@{username}@{domain}",
            display_name=str(account.get("display_name") or username),
            base_url=base,
            credentials=credentials,
            token_expires_at=expires_at,
            settings=settings,
        )
