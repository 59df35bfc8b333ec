"""How Bluesky measures a post: at most 300 graphemes AND at most 3,000 UTF-8 bytes.

Both limits come from the `app.bsky.feed.post` lexicon (`text`: maxGraphemes 300, maxLength 3000;
lexicon string lengths are UTF-8 bytes). The reference PDS counts extended grapheme clusters; so
does `regex`'s `\\X`. The text is counted exactly as sent: Bluesky does not shorten links or
normalise Unicode, and facets do not change the text.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from cuecast.networks.bluesky.descriptor import MAX_GRAPHEMES, MAX_TEXT_BYTES

_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class Measure:
    graphemes: int
    bytes: int
    max_graphemes: int = MAX_GRAPHEMES
    max_bytes: int = MAX_TEXT_BYTES

    @property
    def bytes_over(self) -> bool:
        return self.bytes > self.max_bytes

    @property
    def fits(self) -> bool:
        return self.graphemes <= self.max_graphemes and not self.bytes_over

    def shown(self) -> tuple[int, int]:
        """(count, limit) for the composer: graphemes against 300, unless the byte limit is the
        one broken, then bytes against 3,000 (TextCount carries no unit; see the doc page)."""
        if self.bytes_over:
            return self.bytes, self.max_bytes
        return self.graphemes, self.max_graphemes

    def problem(self) -> str | None:
        """A sentence for the user when the text does not fit, else None."""
        if self.graphemes > self.max_graphemes:
            return (
                f"The post is {self.graphemes} characters long; Bluesky allows "
                f"{self.max_graphemes}. Shorten it by {self.graphemes - self.max_graphemes}."
            )
        if self.bytes_over:
            return (
                f"The post takes {self.bytes:,} bytes of storage; Bluesky allows "
                f"{self.max_bytes:,}. Emoji and some scripts take up to 25 bytes each: "
                "use fewer of them or shorten the post."
            )
        return None


def measure(text: str) -> Measure:
    return Measure(graphemes=graphemes(text), bytes=utf8_bytes(text))
