"""Connecting LinkedIn: 3-legged OAuth 2.0 (Authorization Code Flow), pages, programmatic refresh.

learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow: the member consents at
`{oauth}/authorization` (response_type=code, client_id, redirect_uri, state, space-separated
scope); the code is exchanged at `POST {oauth}/accessToken` (form: grant_type, code, redirect_uri,
client_id, client_secret). Access tokens live 60 days (`expires_in`).
…/programmatic-refresh-tokens: approved partners also get `refresh_token` and
`refresh_token_expires_in`; the refresh token lives 365 days from the FIRST authorization and
refreshing does not extend it (`grant_type=refresh_token`), after which the member must consent
again. Others get no refresh token: the channel must be reconnected within 60 days.

One consent grants the member and every page (organization) they administer
(`GET /rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED`), so `finish_all`
returns them all, each sharing the member's token, and the user picks which to connect.
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
from cuecast.networks.linkedin import errors
from cuecast.networks.linkedin.api import encode_urn, rest_headers
from cuecast.networks.linkedin.descriptor import SCOPES

ClientFactory = Callable[[], httpx.AsyncClient]
ORG_PREFIX = "urn:li:organization:"
ACL_PAGE = 100
ACL_PAGES = 5


def _at(seconds: Any, now: datetime) -> datetime | None:
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        return now + timedelta(seconds=int(seconds))
    return None


def credentials_from_token(
    body: dict[str, Any], previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Stored credentials from a token response. A refresh keeps the old refresh token (and its
    fixed expiry) when LinkedIn sends none back."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise Permanent(
            "LinkedIn answered the sign-in without an access token.", code="no_access_token"
        )
    now = datetime.now(UTC)
    expires_at = _at(body.get("expires_in"), now)
    credentials: dict[str, Any] = {
        "access_token": access,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
    refresh = body.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        refresh_at = _at(body.get("refresh_token_expires_in"), now)
        credentials["refresh_token"] = refresh
        credentials["refresh_expires_at"] = refresh_at.isoformat() if refresh_at else None
    elif previous and previous.get("refresh_token"):
        credentials["refresh_token"] = previous["refresh_token"]
        credentials["refresh_expires_at"] = previous.get("refresh_expires_at")
    if isinstance(body.get("scope"), str):
        credentials["scope"] = body["scope"]
    return credentials


def expires_at(credentials: dict[str, Any]) -> datetime | None:
    value = credentials.get("expires_at")
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Permanent("LinkedIn answered with something Cuecast cannot read.", code="bad_body")
    return body


async def token_request(
    http: httpx.AsyncClient, config: Config, data: dict[str, str], *, refreshing: bool = False
) -> dict[str, Any]:
    """POST the token endpoint (form, client credentials in the body); the parsed body or a
    mapped NetworkError."""
    form = {
        **data,
        "client_id": config.linkedin_client_id,
        "client_secret": config.linkedin_client_secret,
    }
    try:
        response = await http.post(f"{config.linkedin_oauth_url}/accessToken", data=form)
    except httpx.TransportError as exc:
        raise errors.from_transport(exc) from None
    if response.status_code != 200:
        raise errors.from_token_response(response, refreshing=refreshing)
    return _json(response)


class LinkedInOAuthFlow(OAuthFlow):
    def __init__(self, config: Config, client_factory: ClientFactory) -> None:
        self.config = config
        self.client_factory = client_factory

    async def start(
        self, *, redirect_uri: str, server_url: str = "", clients: ClientStore | None = None
    ) -> AuthorizationStart:
        # One LinkedIn app for every user: no per-server registration, so `clients` is unused.
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
        """The member first, then every page they administer, all sharing one token."""
        async with self.client_factory() as http:
            token = await token_request(
                http,
                self.config,
                {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            )
            credentials = credentials_from_token(token)
            access = credentials["access_token"]
            member = await self._userinfo(http, access)
            organizations = await self._organizations(http, access)
        member_urn = f"urn:li:person:{member['sub']}"
        name = (
            str(member.get("name") or "").strip()
            or " ".join(str(member.get(k) or "") for k in ("given_name", "family_name")).strip()
        )
        name = name or "LinkedIn member"
        expires = expires_at(credentials)
        accounts = [
            ConnectedAccount(
                external_id=member_urn,
                handle=name,
                display_name=name,
                base_url="",
                credentials=dict(credentials),
                token_expires_at=expires,
                settings={"author_kind": "person", "member_urn": member_urn},
            )
        ]
        for urn, org_name, vanity in organizations:
            accounts.append(
                ConnectedAccount(
                    external_id=urn,
                    handle=vanity or org_name,
                    display_name=org_name,
                    base_url="",
                    credentials=dict(credentials),
                    token_expires_at=expires,
                    settings={
                        "author_kind": "organization",
                        "member_urn": member_urn,
                        "vanity_name": vanity,
                    },
                )
            )
        return accounts

    async def _get(
        self, http: httpx.AsyncClient, url: str, headers: dict[str, str], **kwargs: Any
    ) -> httpx.Response:
        try:
            return await http.get(url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise errors.from_transport(exc) from None

    async def _userinfo(self, http: httpx.AsyncClient, access: str) -> dict[str, Any]:
        """OpenID Connect userinfo (unversioned): `sub` is the person id of urn:li:person:{sub}."""
        response = await self._get(
            http,
            f"{self.config.linkedin_api_url}/v2/userinfo",
            {"Authorization": f"Bearer {access}"},
        )
        if response.status_code != 200:
            raise errors.from_response(response)
        body = _json(response)
        if not isinstance(body.get("sub"), str) or not body["sub"]:
            raise Permanent("LinkedIn did not say which member signed in.", code="bad_body")
        return body

    async def _organizations(
        self, http: httpx.AsyncClient, access: str
    ) -> list[tuple[str, str, str]]:
        """(URN, name, vanity name) of each page the member administers. Without the admin scope
        (a member-only grant) LinkedIn refuses the list: then there are no pages."""
        headers = rest_headers(access)
        urns: list[str] = []
        for page in range(ACL_PAGES):
            response = await self._get(
                http,
                f"{self.config.linkedin_api_url}/rest/organizationAcls",
                headers,
                params={
                    "q": "roleAssignee",
                    "role": "ADMINISTRATOR",
                    "state": "APPROVED",
                    "start": page * ACL_PAGE,
                    "count": ACL_PAGE,
                },
            )
            if response.status_code == 403:
                return []
            if response.status_code != 200:
                raise errors.from_response(response)
            elements = _json(response).get("elements") or []
            for row in elements:
                urn = row.get("organization") if isinstance(row, dict) else None
                if isinstance(urn, str) and urn.startswith(ORG_PREFIX) and urn not in urns:
                    urns.append(urn)
            if len(elements) < ACL_PAGE:
                break
        return [await self._organization(http, headers, urn) for urn in urns]

    async def _organization(
        self, http: httpx.AsyncClient, headers: dict[str, str], urn: str
    ) -> tuple[str, str, str]:
        org_id = urn[len(ORG_PREFIX) :]
        fallback = (urn, f"LinkedIn page {org_id}", "")
        try:
            response = await self._get(
                http,
                f"{self.config.linkedin_api_url}/rest/organizations/{encode_urn(org_id)}",
                headers,
            )
        except NetworkError:
            return fallback
        if response.status_code != 200:
            return fallback  # the page is still usable; only its name is unknown
        body = _json(response)
        name = body.get("localizedName")
        vanity = body.get("vanityName")
        return (
            urn,
            str(name) if isinstance(name, str) and name else fallback[1],
            str(vanity) if isinstance(vanity, str) else "",
        )
