"""Mastodon's length rule: URLs count as the reserved length, remote mentions by username only."""

from __future__ import annotations

import pytest

from cuecast import config
from cuecast.networks.base import TextCounting
from cuecast.networks.mastodon import MastodonNetwork, build
from cuecast.networks.mastodon.counting import count, countable_text

NET = MastodonNetwork()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("", 0),
        ("https://example.com", 23),
        ("see https://example.com/a/very/long/path/that/goes/on?and=on&on=1 now", 4 + 23 + 4),
        ("https://x.io", 23),  # short URLs count as 23 too
        ("two https://a.example.com/1 https://b.example.org/2", 4 + 23 + 1 + 23),
        ("(https://en.wikipedia.org/wiki/Foo_(bar))", 1 + 23 + 1),
        ("end https://example.com.", 4 + 23 + 1),  # the full stop is not part of the URL
        ("example.com without protocol", 28),  # Mastodon only counts URLs with a protocol
        ("http://localhost:3000", 21),  # no valid top-level domain: not a URL
        ("hi @alice@mastodon.social", 3 + 6),
        ("hi @alice", 9),
        ("@bob@sub.example.co.uk!", 4 + 1),
        ("mail me: someone@example.com", 28),  # an e-mail address is not a mention
        ("👨‍👩‍👧🇩🇪", 2),  # grapheme clusters
        ("café", 4),
    ],
)
def test_count(text: str, expected: int) -> None:
    assert count(text) == expected, countable_text(text)


def test_count_text_uses_limit_url_length() -> None:
    limit = NET.text_limit({"max_characters": 1000, "characters_reserved_per_url": 30})
    result = NET.count_text("go https://example.com", limit)
    assert result.count == 3 + 30
    assert result.limit == 1000


def test_default_limit_and_over_by() -> None:
    result = NET.count_text("x" * 510)
    assert (result.count, result.limit, result.over_by, result.fits) == (510, 500, 10, False)
    assert NET.descriptor.text.counting is TextCounting.MASTODON


def test_instance_specific_limit() -> None:
    limit = NET.text_limit({"max_characters": 5000, "characters_reserved_per_url": 23})
    assert limit.max_length == 5000
    assert NET.count_text("x" * 4999, limit).fits
    assert NET.text_limit(None).max_length == 500
    assert NET.text_limit({"max_characters": "bogus"}).max_length == 500


def test_media_rules_from_settings() -> None:
    rules = NET.media_rules(
        {
            "max_media_attachments": 8,
            "image_size_limit": 1024,
            "supported_mime_types": ["image/png", "video/mp4"],
        }
    )
    assert (rules.max_images, rules.max_image_bytes, rules.image_types) == (8, 1024, {"image/png"})


def test_descriptor_and_registry() -> None:
    d = NET.descriptor
    assert d.key == "mastodon" and d.capabilities.needs_server_url
    assert d.capabilities.threads and not d.capabilities.first_comment
    assert "write:statuses" in d.scopes and "write:media" in d.scopes
    assert isinstance(build(config.load()), MastodonNetwork)
