"""LinkedIn Marketing API (versioned /rest): OAuth → the member's ad accounts, campaigns with
runSchedule, status and budgets, daily adAnalytics per campaign (UTC days).

docs/ad-platforms/linkedin.md describes the protocol, the mapping and the errors, with sources.
"""

from __future__ import annotations

import httpx

from cuecast import http
from cuecast.campaigns.sources.base import AdSource
from cuecast.campaigns.sources.linkedin_ads.client import LinkedInAdsConnection
from cuecast.campaigns.sources.linkedin_ads.descriptor import DESCRIPTOR
from cuecast.campaigns.sources.linkedin_ads.oauth import LinkedInAdsOAuthFlow
from cuecast.config import Config
from cuecast.networks.base import Account

__all__ = [
    "DESCRIPTOR",
    "LinkedInAdsConnection",
    "LinkedInAdsOAuthFlow",
    "LinkedInAdsSource",
    "build",
]


class LinkedInAdsSource(AdSource):
    descriptor = DESCRIPTOR

    def __init__(self, config: Config, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # tests only

    def oauth(self) -> LinkedInAdsOAuthFlow:
        return LinkedInAdsOAuthFlow(
            self.config, lambda: http.async_client(transport=self._transport)
        )

    def connect(self, account: Account, http: httpx.AsyncClient) -> LinkedInAdsConnection:
        return LinkedInAdsConnection(account, http, self.config)


def build(config: Config) -> LinkedInAdsSource:
    return LinkedInAdsSource(config)
