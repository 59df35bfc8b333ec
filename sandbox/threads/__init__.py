"""Threads API emulator."""

from sandbox.threads.network import ThreadsNetwork

__all__ = ["ThreadsNetwork"]
