"""Google Ads: OAuth 2.0 (offline access), every advertiser account the consent reaches, campaigns
and daily metrics through the REST interface's `googleAds:search` with GAQL.

docs/ad-platforms/google.md describes the protocol, the mapping and the errors, with sources.
"""

from __future__ import annotations

import httpx

from cuecast import http
from cuecast.campaigns.sources.base import AdSource, SourceDescriptor
from cuecast.campaigns.sources.google.api import SCOPE
from cuecast.campaigns.sources.google.client import GoogleAdsConnection
from cuecast.campaigns.sources.google.oauth import GoogleAdsOAuthFlow
from cuecast.config import Config
from cuecast.networks.base import Account, AuthKind

__all__ = ["DESCRIPTOR", "GoogleAdsConnection", "GoogleAdsOAuthFlow", "GoogleAdsSource", "build"]

DESCRIPTOR = SourceDescriptor(
    key="google",
    name="Google Ads",
    auth=AuthKind.OAUTH2,
    scopes=(SCOPE,),
    docs_page="docs/ad-platforms/google.md",
)


class GoogleAdsSource(AdSource):
    descriptor = DESCRIPTOR

    def __init__(self, config: Config, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # tests only; production uses cuecast.http's default

    def oauth(self) -> GoogleAdsOAuthFlow:
        return GoogleAdsOAuthFlow(self.config, lambda: http.async_client(transport=self._transport))

    def connect(self, account: Account, http: httpx.AsyncClient) -> GoogleAdsConnection:
        return GoogleAdsConnection(account, http, self.config)


def build(config: Config) -> GoogleAdsSource:
    return GoogleAdsSource(config)
