"""Cuecast sandbox: in-memory emulators of social-network APIs, served over real HTTP.

The package imports nothing from ``cuecast``: the emulators are written from the networks'
documentation, independently of the connectors they test. One Starlette app serves every
network under its own path prefix (``/x``, ``/mastodon``) plus a control API under ``/_sandbox``.
"""
