"""Microsoft Advertising (Bing Ads API v13, REST) emulator."""

from sandbox.msads.network import MsadsNetwork

__all__ = ["MsadsNetwork"]
