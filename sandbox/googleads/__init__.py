"""The Google Ads API emulator (REST + GAQL, Google OAuth 2.0)."""

from sandbox.googleads.network import GoogleAdsNetwork

__all__ = ["GoogleAdsNetwork"]
