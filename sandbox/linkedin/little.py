"""LinkedIn's "little" text format, as the Posts API applies it to ``commentary``.

Reserved characters ``| { } @ [ ] ( ) < > # \\ * _ ~`` must be backslash-escaped to be plain
text. Supported elements are kept: mentions ``@[Name](urn:li:person:…)`` /
``@[Name](urn:li:organization:…)``, hashtags ``#word`` and the hashtag template
``{hashtag|#|word}``. Anything else that starts with an unescaped reserved character is where
LinkedIn silently cuts the post: the API still answers 201 and the stored commentary is the text
before it (platform_apis.md section 9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RESERVED = frozenset("|{}@[]()<>#\\*_~")
MENTION = re.compile(r"@\[([^\[\]\\]*)\]\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)")
HASHTAG_TEMPLATE = re.compile(r"\{hashtag\|\\?[#\uff03]\|([^\s|{}\\]+)\}")
HASHTAG = re.compile(r"[#\uff03]([^\s|{}@\[\]()<>#\\*_~\uff03]+)")


@dataclass(frozen=True)
class Parsed:
    stored: str  # little text LinkedIn keeps (escapes intact), cut at the first bad character
    rendered: str  # the plain text members see
    truncated: bool
    truncated_at: int | None  # index in the sent text


def _show(pattern: re.Pattern[str], match: re.Match[str]) -> str:
    if pattern is MENTION:
        return match.group(1)
    if pattern is HASHTAG_TEMPLATE:
        return "#" + match.group(1)
    return match.group(0)


def parse(text: str) -> Parsed:
    rendered: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 < len(text) and text[i + 1] in RESERVED:
                rendered.append(text[i + 1])
                i += 2
                continue
            return Parsed(text[:i], "".join(rendered), True, i)
        if ch in RESERVED or ch == "\uff03":
            for pattern in (MENTION, HASHTAG_TEMPLATE, HASHTAG):
                match = pattern.match(text, i)
                if match:
                    rendered.append(_show(pattern, match))
                    i = match.end()
                    break
            else:
                if ch == "\uff03":  # full-width number sign alone is ordinary text
                    rendered.append(ch)
                    i += 1
                    continue
                return Parsed(text[:i], "".join(rendered), True, i)
            continue
        rendered.append(ch)
        i += 1
    return Parsed(text, "".join(rendered), False, None)


def escape(text: str) -> str:
    """Escape every reserved character (what a connector should send for plain text)."""
    return "".join("\\" + c if c in RESERVED else c for c in text)
