"""Bluesky (AT Protocol): app-password sessions, posts and threads with client-chosen record keys,
rich-text facets, images, reconcile by record key, metrics.

docs/networks/bluesky.md describes the protocol, the limits and the error mapping, with sources.
"""

from __future__ import annotations

import httpx

from cuecast import http
from cuecast.config import Config
from cuecast.http import CallRecord
from cuecast.networks.base import Account, LimitObservation, Network, TextCount, TextLimit
from cuecast.networks.bluesky import counting, limits
from cuecast.networks.bluesky.auth import BlueskyAppPassword
from cuecast.networks.bluesky.client import BlueskyConnection
from cuecast.networks.bluesky.descriptor import DESCRIPTOR

__all__ = ["DESCRIPTOR", "BlueskyAppPassword", "BlueskyConnection", "BlueskyNetwork", "build"]


class BlueskyNetwork(Network):
    descriptor = DESCRIPTOR

    def __init__(self, config: Config, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # tests only; production uses cuecast.http's default

    def count_text(self, text: str, limit: TextLimit | None = None) -> TextCount:
        """Graphemes against 300; when the 3,000-byte limit is the one broken, bytes against
        3,000 instead, so the composer shows the post does not fit (see counting.Measure)."""
        measure = counting.measure(text)
        if limit is not None and not measure.bytes_over:
            return TextCount(count=measure.graphemes, limit=limit.max_length)
        count, most = measure.shown()
        return TextCount(count=count, limit=most)

    def app_password(self) -> BlueskyAppPassword:
        return BlueskyAppPassword(self.config, lambda: http.async_client(transport=self._transport))

    def connect(self, account: Account, http: httpx.AsyncClient) -> BlueskyConnection:
        return BlueskyConnection(account, http, self.config)

    def read_limits(self, call: CallRecord) -> list[LimitObservation]:
        return limits.read(call)


def build(config: Config) -> BlueskyNetwork:
    return BlueskyNetwork(config)
