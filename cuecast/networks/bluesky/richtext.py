"""Rich-text facets: links, mentions and hashtags, located by UTF-8 byte offsets.

Bluesky does not detect anything in the text itself: a post carries `facets`, each an
`app.bsky.richtext.facet` with `index: {byteStart, byteEnd}` (UTF-8 bytes, start inclusive, end
exclusive) and `features` of `$type` `app.bsky.richtext.facet#link` (`uri`), `#mention` (`did`) or
`#tag` (`tag`, without the `#`, at most 64 graphemes / 640 bytes). Facets must not overlap.
Sources: the facet lexicon and docs.bsky.app/docs/advanced-guides/post-richtext.

Detection follows the documented example parsers, narrowed where a guess could mislead: only
links that carry `http://` or `https://` are linked (a bare `example.com` needs a top-level-domain
list to tell it from `file.txt`), and a mention is linked only if its handle resolves to a DID;
one that does not stays plain text, as the docs recommend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import regex

FACET = "app.bsky.richtext.facet"
LINK = f"{FACET}#link"
MENTION = f"{FACET}#mention"
TAG = f"{FACET}#tag"

MAX_TAG_GRAPHEMES = 64
MAX_TAG_BYTES = 640

_URL = regex.compile(r"(?:(?<=^)|(?<=[\s(]))https?://[^\s<>\"]+", regex.IGNORECASE)
# atproto.com/specs/handle: labels of 1-63 letters, digits and hyphens (not at either end),
# at least two of them, the last starting with a letter.
_HANDLE = (
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
)
_MENTION = regex.compile(
    rf"(?:(?<=^)|(?<=[\s(]))@(?P<handle>{_HANDLE})(?![a-zA-Z0-9-]|\.[a-zA-Z0-9])"
)
# The documented tag pattern: `#` after the start or a space, not followed by a digit.
_TAG = regex.compile(r"(?:(?<=^)|(?<=\s))[#\uFF03](?P<tag>[^\d\s]\S*)")
_TRAILING_PUNCT = regex.compile(r"\p{P}+$")
_URL_TRAILING = regex.compile(r"[.,;:!?'\"]+$")

Kind = Literal["link", "mention", "tag"]


@dataclass(frozen=True)
class Span:
    start: int  # UTF-8 byte offset, inclusive
    end: int  # UTF-8 byte offset, exclusive
    kind: Kind
    value: str  # the URI, the handle (lower case, no @) or the tag (no #)


class _Offsets:
    """Character index → UTF-8 byte offset for one text."""

    def __init__(self, text: str) -> None:
        self._bytes = [0]
        total = 0
        for char in text:
            total += len(char.encode("utf-8"))
            self._bytes.append(total)

    def __call__(self, index: int) -> int:
        return self._bytes[index]


def _trim_url(url: str) -> str:
    while True:
        trimmed = _URL_TRAILING.sub("", url)
        if trimmed.endswith(")") and trimmed.count("(") < trimmed.count(")"):
            trimmed = trimmed[:-1]
        if trimmed == url:
            return url
        url = trimmed


def detect(text: str) -> list[Span]:
    """Every link, mention and tag in the text, sorted, without overlaps (earlier wins)."""
    at = _Offsets(text)
    found: list[tuple[int, int, Kind, str]] = []
    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        host = url.split("://", 1)[1].split("/", 1)[0]
        if "." in host.strip(".") or host.split(":")[0] == "localhost":
            found.append((match.start(), match.start() + len(url), "link", url))
    for match in _MENTION.finditer(text):
        found.append((match.start(), match.end(), "mention", match.group("handle").lower()))
    for match in _TAG.finditer(text):
        tag = _TRAILING_PUNCT.sub("", match.group("tag"))
        if not tag or tag.isdigit():
            continue
        if len(regex.findall(r"\X", tag)) > MAX_TAG_GRAPHEMES:
            continue
        if len(tag.encode("utf-8")) > MAX_TAG_BYTES:
            continue
        start = match.start()
        found.append((start, start + 1 + len(tag), "tag", tag))
    spans: list[Span] = []
    last_end = -1
    for start, end, kind, value in sorted(found, key=lambda f: (f[0], -f[1])):
        if start < last_end:
            continue
        spans.append(Span(at(start), at(end), kind, value))
        last_end = end
    return spans


def facets(spans: list[Span], dids: dict[str, str]) -> list[dict[str, Any]]:
    """The `facets` array; mentions whose handle has no DID in `dids` are left out."""
    result: list[dict[str, Any]] = []
    for span in spans:
        feature: dict[str, Any]
        if span.kind == "link":
            feature = {"$type": LINK, "uri": span.value}
        elif span.kind == "mention":
            did = dids.get(span.value)
            if not did:
                continue
            feature = {"$type": MENTION, "did": did}
        else:
            feature = {"$type": TAG, "tag": span.value}
        result.append(
            {
                "$type": FACET,
                "index": {"byteStart": span.start, "byteEnd": span.end},
                "features": [feature],
            }
        )
    return result
