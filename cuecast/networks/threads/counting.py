"""How Threads counts a post's length, and how a post's text is compared with what Threads returns.

developers.facebook.com/docs/threads/posts, Limitations: "Text posts are limited to 500
characters. Emojis are counted as the number of UTF-8 bytes" (the note links to the
grapheme-splitter package). So Cuecast counts user-perceived characters (extended grapheme
clusters) as one each, except that a cluster that is an emoji counts as its UTF-8 byte length:
"😀" is 4, "👍🏽" is 8, a flag is 8. Links: at most 5 unique URLs (docs, text attachments).
"""

from __future__ import annotations

import unicodedata
import warnings
from functools import cache
from typing import Any

import regex

_GRAPHEME = regex.compile(r"\X")
# A cluster is an emoji when it shows as one: a character with emoji presentation, an emoji
# variation selector (U+FE0F), a keycap (U+20E3), regional indicators (flags) or a ZWJ sequence of
# pictographs. "©" alone (text presentation) is an ordinary character.
_EMOJI = regex.compile(
    r"\p{Emoji_Presentation}|\uFE0F|\u20E3|\p{Regional_Indicator}"
    r"|\p{Extended_Pictographic}\u200D\p{Extended_Pictographic}"
)
_SPACE = regex.compile(r"\s+")


def is_emoji(cluster: str) -> bool:
    return _EMOJI.search(cluster) is not None


def threads_length(text: str) -> int:
    return sum(
        len(cluster.encode("utf-8")) if is_emoji(cluster) else 1
        for cluster in _GRAPHEME.findall(text)
    )


@cache
def _extract() -> Any:
    # twitter-text-parser imports pkg_resources at import time, which warns; keep it quiet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import twitter_text

    return twitter_text.extract_urls


def links(text: str) -> list[str]:
    """The unique URLs in a text, as Threads counts them (bare domains such as www.example.com
    count too, per the docs' examples) [the exact URL detector Threads uses is unconfirmed]."""
    unique: list[str] = []
    for url in _extract()(text):
        key = str(url).rstrip("/").casefold()
        if key not in unique:
            unique.append(key)
    return unique


def comparable(text: str) -> str:
    """Text reduced for matching what Threads returns: NFC, whitespace collapsed."""
    return str(_SPACE.sub(" ", unicodedata.normalize("NFC", text))).strip()
