"""Bluesky PDS (AT Protocol XRPC) emulator."""

from sandbox.bluesky.network import BlueskyNetwork

__all__ = ["BlueskyNetwork"]
