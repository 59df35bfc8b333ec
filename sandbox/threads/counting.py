"""Threads text length: "Text posts are limited to 500 characters. Emojis are counted as the
number of UTF-8 bytes." (developers.facebook.com/docs/threads/posts, Limitations).

Every code point that is not part of an emoji counts 1. Every code point that belongs to an emoji
(pictographs, dingbats, regional-indicator flags, skin-tone modifiers, ZWJ, variation selector 16,
keycap, tag characters) counts its UTF-8 byte length, so "😀" is 4, "❤️" (U+2764 U+FE0F) is 6 and
a ZWJ family sequence is the sum of all its code points' bytes.
"""

from __future__ import annotations

EMOJI_RANGES = (
    (
        0x1F000,
        0x1FAFF,
    ),  # mahjong, cards, enclosed alphanumerics/ideographs, pictographs, emoticons,
    # transport, alchemical, geometric ext., supplemental symbols, chess, symbols & pictographs ext-A
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats
    (0x2300, 0x23FF),  # miscellaneous technical (watch, hourglass, ⏩...)
    (0x2B00, 0x2BFF),  # arrows, ⭐, ⬛
    (0x2190, 0x21FF),  # arrows (↔ ↩ ...)
    (0x25A0, 0x25FF),  # geometric shapes (▶ ◀ ◻ ...)
    (0x2934, 0x2935),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
    (0xFE0F, 0xFE0F),  # variation selector 16 (emoji presentation)
    (0x200D, 0x200D),  # zero-width joiner
    (0x20E3, 0x20E3),  # combining enclosing keycap
    (0xE0020, 0xE007F),  # tag characters (subdivision flags)
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x24C2, 0x24C2),
)


def is_emoji_code_point(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in EMOJI_RANGES)


def threads_length(text: str) -> int:
    return sum(len(ch.encode("utf-8")) if is_emoji_code_point(ord(ch)) else 1 for ch in text)
