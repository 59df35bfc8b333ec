"""Mastodon's status length rule (mastodon/app/validators/status_length_validator.rb, in words).

The counted text is the content warning plus the status text; every http(s) URL counts as
``characters_reserved_per_url`` (23) characters; a mention ``@user@domain`` counts only ``@user``;
the rest counts in extended grapheme clusters (so one emoji is one character).
"""

from __future__ import annotations

import regex

URL_RE = regex.compile(r"(?<![\p{L}\p{N}_/])https?://[^\s<>\"]+[^\s<>\"'.,:;!?)\]]")
MENTION_RE = regex.compile(
    r"(?<![\p{L}\p{N}_/])@([\p{L}\p{N}_]+(?:[\p{L}\p{N}_.-]+[\p{L}\p{N}_])?)"
    r"@[\p{L}\p{N}.-]+\.[\p{L}]{2,}",
    regex.IGNORECASE,
)


def countable_length(text: str, spoiler_text: str = "", url_length: int = 23) -> int:
    combined = spoiler_text + text
    combined = URL_RE.sub("x" * url_length, combined)
    combined = MENTION_RE.sub(lambda m: "@" + m.group(1), combined)
    return len(regex.findall(r"\X", combined))
