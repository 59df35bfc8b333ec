"""Accounts on demand: ``POST /_sandbox/{network}/accounts {"username": "..."}``.

Each social network's emulator creates a new user (with whatever that network hangs off a user: a
Page, an organisation, a linked Instagram account) and answers what ``POST
/_sandbox/{network}/tokens`` needs under ``"tokens"``. A load or chaos test can so spread its
posts over as many accounts as it likes. ``POST /_sandbox/reset`` removes them again.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from typing import Any


class AccountExists(ValueError):
    """The username is taken on that network (the control API answers 409)."""


def pick_username(
    body: dict[str, Any],
    *,
    pattern: str,
    rule: str,
    taken: Callable[[str], bool],
    prefix: str = "sandbox_user_",
) -> str:
    """The username asked for, checked against the network's syntax; or a fresh one."""
    wanted = body.get("username")
    if wanted is None or wanted == "":
        return next(name for n in itertools.count(1) if not taken(name := f"{prefix}{n}"))
    if not isinstance(wanted, str) or not re.fullmatch(pattern, wanted.lstrip("@")):
        raise ValueError(f"username must be {rule}")
    name = wanted.lstrip("@")
    if taken(name):
        raise AccountExists(f"the username {name!r} is taken")
    return name


def next_numeric_id(existing: Iterable[str], floor: int) -> str:
    """One more than the largest numeric id in use (at least ``floor``), as a string."""
    numbers = [int(value) for value in existing if value.isdigit()]
    return str(max([floor - 1, *numbers]) + 1)


def display_name(body: dict[str, Any], username: str) -> str:
    name = body.get("name")
    if name is None:
        return username
    if not isinstance(name, str) or not name.strip():
        raise ValueError("name must be a non-empty string")
    return name.strip()
