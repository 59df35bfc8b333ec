"""Instagram (professional accounts) through the Instagram API with Facebook Login: two-phase
publishing with containers, the rolling 24-hour publishing limit, reconcile by container status.

docs/networks/instagram.md describes the protocol, the limits and the error mapping, with sources.
"""

from __future__ import annotations

import httpx

from cuecast import http
from cuecast.config import Config
from cuecast.http import CallRecord
from cuecast.networks.base import Account, LimitObservation, Network, TextCount, TextLimit
from cuecast.networks.instagram import limits
from cuecast.networks.instagram.client import InstagramConnection
from cuecast.networks.instagram.counting import caption_length
from cuecast.networks.instagram.descriptor import DESCRIPTOR
from cuecast.networks.instagram.oauth import InstagramOAuthFlow

__all__ = ["DESCRIPTOR", "InstagramConnection", "InstagramNetwork", "InstagramOAuthFlow", "build"]


class InstagramNetwork(Network):
    descriptor = DESCRIPTOR

    def __init__(self, config: Config, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # tests only; production uses cuecast.http's default

    def count_text(self, text: str, limit: TextLimit | None = None) -> TextCount:
        limit = limit or self.descriptor.text
        return TextCount(count=caption_length(text), limit=limit.max_length)

    def oauth(self) -> InstagramOAuthFlow:
        return InstagramOAuthFlow(self.config, lambda: http.async_client(transport=self._transport))

    def connect(self, account: Account, http: httpx.AsyncClient) -> InstagramConnection:
        return InstagramConnection(account, http, self.config)

    def read_limits(self, call: CallRecord) -> list[LimitObservation]:
        return limits.read(call)


def build(config: Config) -> InstagramNetwork:
    return InstagramNetwork(config)
