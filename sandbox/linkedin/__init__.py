"""LinkedIn Community Management / Posts API emulator."""

from sandbox.linkedin.network import LinkedInNetwork

__all__ = ["LinkedInNetwork"]
