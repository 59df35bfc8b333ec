"""Mastodon: one OAuth app per server, instance-specific limits, Idempotency-Key on posts.

docs/networks/mastodon.md describes the behaviour; `build` is what the registry calls.
"""

from __future__ import annotations

from typing import Any

import httpx

from cuecast import config as cuecast_config
from cuecast.http import CallRecord
from cuecast.networks.base import (
    Account,
    LimitObservation,
    MediaRules,
    Network,
    TextCount,
    TextLimit,
)
from cuecast.networks.mastodon import counting, limits
from cuecast.networks.mastodon.client import MastodonConnection
from cuecast.networks.mastodon.descriptor import DESCRIPTOR
from cuecast.networks.mastodon.oauth import ClientFactory, MastodonOAuth

__all__ = ["MastodonConnection", "MastodonNetwork", "MastodonOAuth", "build"]


def _positive(settings: dict[str, Any], key: str, default: int) -> int:
    value = settings.get(key)
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
    )


class MastodonNetwork(Network):
    descriptor = DESCRIPTOR

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self._client_factory = client_factory

    def text_limit(self, account_settings: dict[str, Any] | None = None) -> TextLimit:
        """The server's own limit, stored in the channel's settings when it was connected."""
        settings = account_settings or {}
        default = self.descriptor.text
        return TextLimit(
            max_length=_positive(settings, "max_characters", default.max_length),
            counting=default.counting,
            url_length=_positive(settings, "characters_reserved_per_url", default.url_length or 23),
        )

    def media_rules(self, account_settings: dict[str, Any] | None = None) -> MediaRules:
        settings = account_settings or {}
        default = self.descriptor.media
        types = settings.get("supported_mime_types")
        image_types = (
            frozenset(t for t in types if isinstance(t, str) and t.startswith("image/"))
            if isinstance(types, list) and types
            else default.image_types
        )
        return MediaRules(
            max_images=_positive(settings, "max_media_attachments", default.max_images),
            image_types=image_types,
            max_image_bytes=_positive(settings, "image_size_limit", default.max_image_bytes),
            max_alt_text=_positive(settings, "description_limit", default.max_alt_text),
        )

    def count_text(self, text: str, limit: TextLimit | None = None) -> TextCount:
        limit = limit or self.descriptor.text
        used = counting.count(text, url_length=limit.url_length or counting.DEFAULT_URL_LENGTH)
        return TextCount(count=used, limit=limit.max_length)

    def oauth(self) -> MastodonOAuth:
        return MastodonOAuth(self._client_factory)

    def connect(self, account: Account, http: httpx.AsyncClient) -> MastodonConnection:
        return MastodonConnection(account, http)

    def read_limits(self, call: CallRecord) -> list[LimitObservation]:
        return limits.read(call)


def build(config: cuecast_config.Config) -> MastodonNetwork:
    """Mastodon needs no global settings: every server registers its own OAuth app."""
    return MastodonNetwork()
