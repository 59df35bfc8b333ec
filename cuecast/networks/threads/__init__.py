"""Threads (Meta's Threads API): OAuth with long-lived tokens, two-phase container publishing,
threads as reply chains, reconcile by container status, delete, insights.

docs/networks/threads.md describes the protocol, the limits and the error mapping, with sources.
"""

from __future__ import annotations

import httpx

from cuecast import http
from cuecast.config import Config
from cuecast.http import CallRecord
from cuecast.networks.base import Account, LimitObservation, Network, TextCount, TextLimit
from cuecast.networks.threads import limits
from cuecast.networks.threads.client import ThreadsConnection
from cuecast.networks.threads.counting import threads_length
from cuecast.networks.threads.descriptor import DESCRIPTOR
from cuecast.networks.threads.oauth import ThreadsOAuthFlow

__all__ = ["DESCRIPTOR", "ThreadsConnection", "ThreadsNetwork", "ThreadsOAuthFlow", "build"]


class ThreadsNetwork(Network):
    descriptor = DESCRIPTOR

    def __init__(self, config: Config, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # tests only; production uses cuecast.http's default

    def count_text(self, text: str, limit: TextLimit | None = None) -> TextCount:
        limit = limit or self.descriptor.text
        return TextCount(count=threads_length(text), limit=limit.max_length)

    def oauth(self) -> ThreadsOAuthFlow:
        return ThreadsOAuthFlow(self.config, lambda: http.async_client(transport=self._transport))

    def connect(self, account: Account, http: httpx.AsyncClient) -> ThreadsConnection:
        return ThreadsConnection(account, http, self.config)

    def read_limits(self, call: CallRecord) -> list[LimitObservation]:
        return limits.read(call)


def build(config: Config) -> ThreadsNetwork:
    return ThreadsNetwork(config)
