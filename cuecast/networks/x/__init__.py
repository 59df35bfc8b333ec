"""X (Twitter) API v2: OAuth 2.0 with PKCE, posts and threads, reconcile by timeline, metrics.

docs/networks/x.md describes the protocol, the limits and the error mapping, with sources.
"""

from __future__ import annotations

import httpx

from cuecast import http
from cuecast.config import Config
from cuecast.http import CallRecord
from cuecast.networks.base import Account, LimitObservation, Network, TextCount, TextLimit
from cuecast.networks.x import limits
from cuecast.networks.x.client import XConnection
from cuecast.networks.x.counting import weighted_length
from cuecast.networks.x.descriptor import DESCRIPTOR
from cuecast.networks.x.oauth import XOAuthFlow

__all__ = ["DESCRIPTOR", "XConnection", "XNetwork", "XOAuthFlow", "build"]


class XNetwork(Network):
    descriptor = DESCRIPTOR

    def __init__(self, config: Config, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # tests only; production uses cuecast.http's default

    def count_text(self, text: str, limit: TextLimit | None = None) -> TextCount:
        limit = limit or self.descriptor.text
        return TextCount(count=weighted_length(text), limit=limit.max_length)

    def oauth(self) -> XOAuthFlow:
        return XOAuthFlow(self.config, lambda: http.async_client(transport=self._transport))

    def connect(self, account: Account, http: httpx.AsyncClient) -> XConnection:
        return XConnection(account, http, self.config)

    def read_limits(self, call: CallRecord) -> list[LimitObservation]:
        return limits.read(call)


def build(config: Config) -> XNetwork:
    return XNetwork(config)
