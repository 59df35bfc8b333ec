"""X's weighted character count, written from docs.x.com "Counting characters".

Rules (https://docs.x.com/fundamentals/counting-characters): text is NFC-normalised; code points in
U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F and U+2032-U+2037 weigh 1, everything else (CJK, other
scripts) weighs 2; every emoji, however many code points (ZWJ sequences, skin tones, flags),
weighs 2;
every URL weighs 23 (the t.co length). The limit is 280.

This is deliberately our own implementation: the connector counts with twitter-text, and the
emulator must not share code with it.
"""

from __future__ import annotations

import unicodedata

import regex

MAX_WEIGHTED_LENGTH = 280
TRANSFORMED_URL_LENGTH = 23
LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# Common top-level domains for URLs written without a scheme ("example.com/x").
_TLDS = (
    "com|org|net|edu|gov|io|co|de|uk|fr|es|it|nl|eu|info|biz|me|tv|ly|app|dev|ai|at|ch|be|us|ca|au"
    "|jp|cn|ru|br|in|se|no|fi|dk|pl|cz|pt|ie|nz|xyz|news|shop|site|online|tech|blog"
)
URL_RE = regex.compile(
    r"(?:(?<![\p{L}\p{N}@$#_.])https?://[^\s<>\"]+"
    r"|(?<![\p{L}\p{N}@$#_./-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:" + _TLDS + r")"
    r"(?![\p{L}\p{N}_-])(?::\d+)?(?:/[^\s<>\"]*)?)",
    regex.IGNORECASE,
)
_TRAILING = ".,:;!?'\")]}"
_EMOJI_MARKERS = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3\ufe0f]")


def find_urls(text: str) -> list[tuple[int, int]]:
    """Spans of URLs in ``text`` (trailing punctuation is not part of a URL)."""
    spans: list[tuple[int, int]] = []
    for match in URL_RE.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _TRAILING:
            # keep a closing parenthesis that belongs to the URL: example.com/a_(b)
            if text[end - 1] == ")" and text[start:end].count("(") >= text[start:end].count(")"):
                break
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def _is_emoji_cluster(cluster: str) -> bool:
    if not _EMOJI_MARKERS.search(cluster):
        return False
    # Latin-1 symbols such as (c) and (r) are pictographic but weigh 1 unless presented as emoji.
    first = ord(cluster[0])
    return not (first < 0x2000 and len(cluster) == 1)


def _code_point_weight(char: str) -> int:
    cp = ord(char)
    return 1 if any(lo <= cp <= hi for lo, hi in LIGHT_RANGES) else 2


def _weigh_plain(text: str) -> int:
    total = 0
    for cluster in regex.findall(r"\X", text):
        if _is_emoji_cluster(cluster):
            total += 2
        else:
            total += sum(_code_point_weight(ch) for ch in cluster)
    return total


def weighted_length(text: str) -> int:
    """The weighted length of a post's text, as X counts it against the 280 limit."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    cursor = 0
    for start, end in find_urls(text):
        total += _weigh_plain(text[cursor:start]) + TRANSFORMED_URL_LENGTH
        cursor = end
    return total + _weigh_plain(text[cursor:])
