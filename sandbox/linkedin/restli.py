"""Rest.li protocol 2.0 query values: ``(key:value,...)`` objects, ``List(a,b)`` lists and
percent-encoded leaves (learn.microsoft.com/linkedin/shared/api-guide/concepts/protocol-version).

The structure characters ``( ) , :`` separate the value *before* anything is decoded, so a URN
inside a value must arrive encoded (``urn%3Ali%3AsponsoredCampaign%3A1``); an unencoded colon
inside a list item is a syntax error, as LinkedIn answers 400 for it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

STOP = "(),:"


class RestliError(ValueError):
    """A query value that is not valid Rest.li 2.0."""


def raw_query(query: str) -> dict[str, str]:
    """The query string split into keys (decoded) and still-encoded values."""
    out: dict[str, str] = {}
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        out[unquote(key.replace("+", " "))] = value
    return out


def parse(raw: str) -> Any:
    value, pos = _value(raw, 0)
    if pos != len(raw):
        raise RestliError(f"unexpected {raw[pos]!r} at {pos}")
    return value


def _value(text: str, i: int) -> tuple[Any, int]:
    if text.startswith("List(", i):
        return _list(text, i + 5)
    if i < len(text) and text[i] == "(":
        return _object(text, i + 1)
    start = i
    while i < len(text) and text[i] not in STOP:
        i += 1
    return unquote(text[start:i]), i


def _list(text: str, i: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    if i < len(text) and text[i] == ")":
        return items, i + 1
    while True:
        item, i = _value(text, i)
        items.append(item)
        if i >= len(text):
            raise RestliError("unterminated List(")
        if text[i] == ")":
            return items, i + 1
        if text[i] != ",":
            raise RestliError(f"unexpected {text[i]!r} in a List at {i}")
        i += 1


def _object(text: str, i: int) -> tuple[dict[str, Any], int]:
    obj: dict[str, Any] = {}
    if i < len(text) and text[i] == ")":
        return obj, i + 1
    while True:
        start = i
        while i < len(text) and text[i] not in STOP:
            i += 1
        if i >= len(text) or text[i] != ":":
            raise RestliError(f"expected ':' after a key at {i}")
        key = unquote(text[start:i])
        value, i = _value(text, i + 1)
        obj[key] = value
        if i >= len(text):
            raise RestliError("unterminated (")
        if text[i] == ")":
            return obj, i + 1
        if text[i] != ",":
            raise RestliError(f"unexpected {text[i]!r} in an object at {i}")
        i += 1
