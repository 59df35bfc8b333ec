"""Every network Cuecast knows, by stable key. Adding a network: one package and one line here."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from cuecast import config
from cuecast.networks.base import Network

NetworkFactory = Callable[[config.Config], Network]


def _factories() -> dict[str, NetworkFactory]:
    from cuecast.networks import bluesky, facebook, instagram, linkedin, mastodon, threads, x

    return {
        "x": x.build,
        "mastodon": mastodon.build,
        "linkedin": linkedin.build,
        "facebook": facebook.build,
        "instagram": instagram.build,
        "bluesky": bluesky.build,
        "threads": threads.build,
    }


@cache
def networks() -> dict[str, Network]:
    settings = config.load()
    return {key: factory(settings) for key, factory in _factories().items()}


class UnknownNetwork(KeyError):
    pass


def get(key: str) -> Network:
    try:
        return networks()[key]
    except KeyError:
        raise UnknownNetwork(f"Cuecast does not know a network called “{key}”.") from None


def keys() -> list[str]:
    return list(networks())
