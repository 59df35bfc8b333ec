"""X (Twitter) API v2 emulator."""

from sandbox.x.network import XNetwork

__all__ = ["XNetwork"]
