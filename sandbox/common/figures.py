"""Account-level figures (followers, reach) that an emulator serves and the control API sets.

Every emulator keeps a small dict of counters per account. `POST /_sandbox/{network}/metrics`
with an account's id or name as `id` changes them (with a post's id it changes the post's
counters), so tests can move a channel's followers over time. Unset figures read as 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def update_figures(
    figures: dict[str, int], changes: dict[str, Any], allowed: Iterable[str]
) -> None:
    """Set the named counters; an unknown name is refused before anything changes."""
    names = tuple(allowed)
    for name in changes:
        if name not in names:
            raise ValueError(f"unknown account figure {name!r}; use {list(names)}")
    for name, value in changes.items():
        figures[name] = int(value)


def read_figures(figures: dict[str, int], names: Iterable[str]) -> dict[str, int]:
    return {name: int(figures.get(name, 0)) for name in names}
