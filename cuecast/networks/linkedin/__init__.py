"""LinkedIn (members and organization pages): 3-legged OAuth 2.0, the versioned Posts and Images
APIs, reconciliation by the author's posts, page statistics.

docs/networks/linkedin.md describes the protocol, the limits and the error mapping, with sources.
"""

from __future__ import annotations

import httpx

from cuecast import http
from cuecast.config import Config
from cuecast.http import CallRecord
from cuecast.networks.base import Account, LimitObservation, Network, TextCount, TextLimit
from cuecast.networks.linkedin import limits
from cuecast.networks.linkedin.client import LinkedInConnection
from cuecast.networks.linkedin.counting import commentary_length
from cuecast.networks.linkedin.descriptor import DESCRIPTOR
from cuecast.networks.linkedin.oauth import LinkedInOAuthFlow

__all__ = ["DESCRIPTOR", "LinkedInConnection", "LinkedInNetwork", "LinkedInOAuthFlow", "build"]


class LinkedInNetwork(Network):
    descriptor = DESCRIPTOR

    def __init__(self, config: Config, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # tests only; production uses cuecast.http's default

    def count_text(self, text: str, limit: TextLimit | None = None) -> TextCount:
        limit = limit or self.descriptor.text
        return TextCount(count=commentary_length(text), limit=limit.max_length)

    def oauth(self) -> LinkedInOAuthFlow:
        return LinkedInOAuthFlow(self.config, lambda: http.async_client(transport=self._transport))

    def connect(self, account: Account, http: httpx.AsyncClient) -> LinkedInConnection:
        return LinkedInConnection(account, http, self.config)

    def read_limits(self, call: CallRecord) -> list[LimitObservation]:
        return limits.read(call)


def build(config: Config) -> LinkedInNetwork:
    return LinkedInNetwork(config)
