"""Connecting Meta ad accounts: Facebook Login (the organic connector's login.py), then one
ConnectedAccount per ad account the person can read.

`GET /me/adaccounts?fields=id,account_id,name,currency,timezone_name,account_status`
(developers.facebook.com/docs/marketing-api/reference/user/adaccounts and
…/reference/ad-account): `id` is the node id `act_<account_id>`, which is what every Marketing
API path takes, so it is the stored `external_id`. The long-lived user token (about 60 days) is
the credential; Meta offers no refresh without the person, so it must be reconnected before expiry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import httpx

from cuecast.campaigns.sources.meta import errors
from cuecast.campaigns.sources.meta.descriptor import SCOPES
from cuecast.config import Config
from cuecast.networks.base import AuthorizationStart, ClientStore, ConnectedAccount, OAuthFlow
from cuecast.networks.errors import Permanent
from cuecast.networks.facebook import login

ClientFactory = Callable[[], httpx.AsyncClient]
ACCOUNT_FIELDS = "id,account_id,name,currency,timezone_name,account_status"
MAX_PAGES = 20
# developers.facebook.com/docs/marketing-api/reference/ad-account: account_status values.
ACCOUNT_STATUS = {
    1: "ACTIVE",
    2: "DISABLED",
    3: "UNSETTLED",
    7: "PENDING_RISK_REVIEW",
    8: "PENDING_SETTLEMENT",
    9: "IN_GRACE_PERIOD",
    100: "PENDING_CLOSURE",
    101: "CLOSED",
    201: "ANY_ACTIVE",
    202: "ANY_CLOSED",
}


def ads_config(config: Config) -> Config:
    """The same Facebook app and hosts, on the Marketing API's Graph version."""
    return dataclasses.replace(config, facebook_graph_version=config.meta_ads_graph_version)


def graph_root(config: Config) -> str:
    return f"{config.facebook_graph_url.rstrip('/')}/{config.meta_ads_graph_version}"


def act_id(value: object) -> str:
    """`act_123` from "act_123", "123" or 123."""
    text = str(value).strip()
    return text if text.startswith("act_") else f"act_{text}"


def connected_account(item: dict[str, Any], user: login.UserToken) -> ConnectedAccount | None:
    raw_id = item.get("id") or item.get("account_id")
    if not isinstance(raw_id, str | int) or isinstance(raw_id, bool) or not str(raw_id):
        return None
    external_id = act_id(raw_id)
    name = str(item.get("name") or external_id)
    status = item.get("account_status")
    return ConnectedAccount(
        external_id=external_id,
        handle=name,
        display_name=name,
        base_url="",
        credentials={
            "access_token": user.access_token,
            "expires_at": user.expires_at.isoformat() if user.expires_at else None,
        },
        token_expires_at=user.expires_at,
        settings={
            "currency": str(item.get("currency") or "").upper(),
            "timezone": str(item.get("timezone_name") or "UTC"),
            "account_status": ACCOUNT_STATUS.get(status, str(status))
            if isinstance(status, int)
            else "",
        },
    )


async def list_ad_accounts(
    http: httpx.AsyncClient, config: Config, token: str
) -> list[dict[str, Any]]:
    url = f"{graph_root(config)}/me/adaccounts"
    params: dict[str, str] = {"fields": ACCOUNT_FIELDS, "limit": "100"}
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        try:
            response = await http.get(
                url, params=params, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.TransportError as exc:
            raise errors.from_transport(exc) from None
        if not response.is_success:
            raise errors.from_response(response)
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Permanent("Meta answered with something Cuecast cannot read.", code="bad_body")
        found.extend(item for item in body.get("data") or [] if isinstance(item, dict))
        after = login.next_cursor(body)
        if after is None:
            break
        params = {**params, "after": after}
    return found


class MetaAdsOAuthFlow(OAuthFlow):
    def __init__(self, config: Config, client_factory: ClientFactory) -> None:
        self.config = config
        self.client_factory = client_factory

    async def start(
        self, *, redirect_uri: str, server_url: str = "", clients: ClientStore | None = None
    ) -> AuthorizationStart:
        state = login.new_state()
        url = login.authorize_url(
            ads_config(self.config), redirect_uri=redirect_uri, state=state, scopes=SCOPES
        )
        return AuthorizationStart(url=url, state=state, session_data={})

    async def finish_all(
        self, *, code: str, redirect_uri: str, session_data: dict[str, Any]
    ) -> list[ConnectedAccount]:
        config = ads_config(self.config)
        async with self.client_factory() as http:
            user = await login.user_token_from_code(
                http, config, code=code, redirect_uri=redirect_uri
            )
            items = await list_ad_accounts(http, self.config, user.access_token)
        accounts = [a for a in (connected_account(i, user) for i in items) if a is not None]
        if not accounts:
            raise Permanent(
                "The Meta sign-in granted no ad account. The person who signs in needs a role on "
                "at least one ad account.",
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
