"""Every ad platform Cuecast reads, by stable key. Adding one: a package and one line here."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

from cuecast import config
from cuecast.campaigns.sources.base import AdSource

SourceFactory = Callable[[config.Config], AdSource]

# key → module path; each module exports build(config). Listed here, imported on first use.
_MODULES = {
    "microsoft": "cuecast.campaigns.sources.microsoft",
    "google": "cuecast.campaigns.sources.google",
    "meta": "cuecast.campaigns.sources.meta",
    "linkedin_ads": "cuecast.campaigns.sources.linkedin_ads",
}


class UnknownSource(KeyError):
    pass


@cache
def sources() -> dict[str, AdSource]:
    settings = config.load()
    found: dict[str, AdSource] = {}
    for key, module_path in _MODULES.items():
        try:
            module = importlib.import_module(module_path)
        except ModuleNotFoundError as exc:
            if exc.name != module_path:
                raise
            continue  # a platform whose package has not landed yet
        build: SourceFactory = module.build
        found[key] = build(settings)
    return found


def get(key: str) -> AdSource:
    try:
        return sources()[key]
    except KeyError:
        raise UnknownSource(f"Cuecast does not know an ad platform called “{key}”.") from None
