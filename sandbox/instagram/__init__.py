"""Instagram content-publishing emulator (Instagram API with Facebook Login)."""

from sandbox.instagram.network import InstagramNetwork

__all__ = ["InstagramNetwork"]
