"""Microsoft Advertising (Bing Ads API v13, REST): campaigns of every type and daily performance.

docs/ad-platforms/microsoft.md describes the mapping; each module cites the pages it follows.
"""

from __future__ import annotations

from cuecast.campaigns.sources.microsoft.connection import (
    DESCRIPTOR,
    MicrosoftAdsConnection,
    MicrosoftAdsSource,
)
from cuecast.config import Config

__all__ = ["DESCRIPTOR", "MicrosoftAdsConnection", "MicrosoftAdsSource", "build"]


def build(config: Config) -> MicrosoftAdsSource:
    return MicrosoftAdsSource(config)
