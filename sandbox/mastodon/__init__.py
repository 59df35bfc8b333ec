"""Mastodon instance emulator."""

from sandbox.mastodon.network import MastodonNetwork

__all__ = ["MastodonNetwork"]
