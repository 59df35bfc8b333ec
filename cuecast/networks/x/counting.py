"""How X counts a post's length, and how a post's text is compared with what X returns.

Counting is twitter-text's weighted length after Unicode NFC (docs.x.com/fundamentals/
counting-characters): most Latin text weighs 1, CJK and emoji 2, every URL 23.
"""

from __future__ import annotations

import html
import re
import unicodedata
import warnings
from functools import cache
from typing import Any

_SPACE = re.compile(r"\s+")


@cache
def _twitter_text() -> Any:
    # twitter-text-parser imports pkg_resources at import time, which warns; keep it quiet.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import twitter_text

    return twitter_text.parse_tweet, twitter_text.extract_urls


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def weighted_length(text: str) -> int:
    parse_tweet, _ = _twitter_text()
    return int(parse_tweet(nfc(text)).weightedLength)


def extract_urls(text: str) -> list[str]:
    _, extract = _twitter_text()
    return [str(url) for url in extract(text)]


def comparable(text: str) -> str:
    """A post's text with URLs removed, NFC and whitespace collapsed, for matching what X returns.

    X answers with every URL wrapped as https://t.co/…, appends a t.co link for attached media,
    and HTML-escapes &, < and > in v2 `text`; none of that may stop a reconcile from matching.
    """
    text = nfc(html.unescape(text))
    for url in sorted(extract_urls(text), key=len, reverse=True):
        text = text.replace(url, " ")
    return _SPACE.sub(" ", text).strip()
