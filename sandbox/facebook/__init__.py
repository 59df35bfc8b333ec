"""Facebook Pages emulator (Graph API, Facebook Login)."""

from sandbox.facebook.network import FacebookNetwork

__all__ = ["FacebookNetwork"]
