"""How Instagram counts a caption: up to 2,200 characters.

Meta's reference says "2,200 characters" without defining a character; Cuecast counts Unicode
code points after NFC normalisation (what Instagram's apps show as they type), so a caption that
fits here never exceeds the limit on Instagram. See docs/networks/instagram.md (unconfirmed).
"""

from __future__ import annotations

import re
import unicodedata

HASHTAG_RE = re.compile(r"(?<![\w&])#\w+")
MENTION_RE = re.compile(r"(?<![\w@])@[\w.]+")


def caption_length(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


def hashtags(text: str) -> int:
    return len(HASHTAG_RE.findall(text))


def mentions(text: str) -> int:
    return len(MENTION_RE.findall(text))
