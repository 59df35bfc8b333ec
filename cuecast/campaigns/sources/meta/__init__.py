"""Meta Marketing API (Graph): Facebook Login → ad accounts, campaigns with effective status,
dates and budgets (campaign or ad sets), daily Insights with conversions picked from `actions`.

docs/ad-platforms/meta.md describes the protocol, the mapping and the errors, with sources.
"""

from __future__ import annotations

import httpx

from cuecast import http
from cuecast.campaigns.sources.base import AdSource
from cuecast.campaigns.sources.meta.client import MetaAdsConnection
from cuecast.campaigns.sources.meta.descriptor import DESCRIPTOR
from cuecast.campaigns.sources.meta.oauth import MetaAdsOAuthFlow
from cuecast.config import Config
from cuecast.networks.base import Account

__all__ = ["DESCRIPTOR", "MetaAdsConnection", "MetaAdsOAuthFlow", "MetaAdsSource", "build"]


class MetaAdsSource(AdSource):
    descriptor = DESCRIPTOR

    def __init__(self, config: Config, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # tests only

    def oauth(self) -> MetaAdsOAuthFlow:
        return MetaAdsOAuthFlow(self.config, lambda: http.async_client(transport=self._transport))

    def connect(self, account: Account, http: httpx.AsyncClient) -> MetaAdsConnection:
        return MetaAdsConnection(account, http, self.config)


def build(config: Config) -> MetaAdsSource:
    return MetaAdsSource(config)
