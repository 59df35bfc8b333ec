"""LinkedIn's "little" text format for `commentary`, and how a post's length is counted.

learn.microsoft.com/linkedin/marketing/community-management/shares/little-text-format: the
characters `| { } @ [ ] ( ) < > # \\ * _ ~` are reserved and must be escaped with a backslash to be
plain text, even where they start no element. LinkedIn does not refuse an unescaped one: it answers
201 and silently cuts the post at that character. Cuecast sends plain text, so every reserved
character is escaped (mentions and hashtag templates are not produced).

The limit (3,000) applies to the `commentary` field as sent, so it is counted on the escaped text:
each reserved character costs two. Counting is by Unicode code point [unconfirmed: LinkedIn does
not say whether it counts code points or UTF-16 units].
"""

from __future__ import annotations

import unicodedata

RESERVED = frozenset("|{}@[]()<>#\\*_~")


def escape(text: str) -> str:
    """Plain text as little text: a backslash before every reserved character."""
    return "".join("\\" + c if c in RESERVED else c for c in text)


def unescape(little: str) -> str:
    """Little text as members read it: escapes removed; mentions shown by name, hashtags kept."""
    out: list[str] = []
    i = 0
    while i < len(little):
        ch = little[i]
        if ch == "\\" and i + 1 < len(little) and little[i + 1] in RESERVED:
            out.append(little[i + 1])
            i += 2
            continue
        if ch == "@" and little.startswith("@[", i):
            close = little.find("](", i)
            end = little.find(")", close) if close != -1 else -1
            if close != -1 and end != -1:
                out.append(little[i + 2 : close])
                i = end + 1
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def commentary_length(text: str) -> int:
    """The length LinkedIn's limit is checked against: code points of the escaped text."""
    return len(escape(unicodedata.normalize("NFC", text)))


def comparable(text: str) -> str:
    """Text reduced for matching a post we sent with what LinkedIn returns (plain, NFC, spaces)."""
    return " ".join(unicodedata.normalize("NFC", text).split())
