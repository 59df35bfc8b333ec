"""Facebook Pages (Graph API): Facebook Login → Page tokens, posts with photos, reconcile by the
Page's posts, delete, insights.

docs/networks/facebook.md describes the protocol, the limits and the error mapping, with sources.
`login.py` holds the Facebook Login helpers the Instagram connector shares.
"""

from __future__ import annotations

import httpx

from cuecast import http
from cuecast.config import Config
from cuecast.http import CallRecord
from cuecast.networks.base import Account, LimitObservation, Network, TextCount, TextLimit
from cuecast.networks.facebook import limits, login
from cuecast.networks.facebook.client import FacebookConnection
from cuecast.networks.facebook.descriptor import DESCRIPTOR
from cuecast.networks.facebook.oauth import FacebookOAuthFlow

__all__ = [
    "DESCRIPTOR",
    "FacebookConnection",
    "FacebookNetwork",
    "FacebookOAuthFlow",
    "build",
    "login",
]


class FacebookNetwork(Network):
    descriptor = DESCRIPTOR

    def __init__(self, config: Config, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # tests only; production uses cuecast.http's default

    def count_text(self, text: str, limit: TextLimit | None = None) -> TextCount:
        """Code points, as Facebook documents no weighting [unconfirmed: see the docs page]."""
        limit = limit or self.descriptor.text
        return TextCount(count=len(text), limit=limit.max_length)

    def oauth(self) -> FacebookOAuthFlow:
        return FacebookOAuthFlow(self.config, lambda: http.async_client(transport=self._transport))

    def connect(self, account: Account, http: httpx.AsyncClient) -> FacebookConnection:
        return FacebookConnection(account, http, self.config)

    def read_limits(self, call: CallRecord) -> list[LimitObservation]:
        return limits.read(call)


def build(config: Config) -> FacebookNetwork:
    return FacebookNetwork(config)
