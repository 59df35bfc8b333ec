"""Threads' length rule: 500 characters, an emoji counting as its UTF-8 bytes; at most 5 links."""

from __future__ import annotations

import dataclasses

import pytest

from cuecast import config
from cuecast.networks.base import TextCounting
from cuecast.networks.threads import ThreadsNetwork
from cuecast.networks.threads.counting import comparable, links, threads_length

NETWORK = ThreadsNetwork(dataclasses.replace(config.load()))


def test_descriptor() -> None:
    text = NETWORK.descriptor.text
    assert (text.max_length, text.counting) == (500, TextCounting.UTF8_BYTES_FOR_EMOJI)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("Grüße", 5),  # accented letters are one character each
        ("e\u0301", 1),  # a combining accent belongs to its letter
        ("日本語", 3),
        ("😀", 4),
        ("👍🏽", 8),  # skin tone: 4 + 4 bytes
        ("🇩🇪", 8),  # a flag: two regional indicators
        ("❤️", 6),  # U+2764 U+FE0F
        ("1️⃣", 7),  # keycap
        ("👨‍👩‍👧", 18),  # ZWJ family: every code point's bytes
        ("©", 1),  # text presentation: an ordinary character [unconfirmed]
    ],
)
def test_length(text: str, length: int) -> None:
    assert threads_length(text) == length


def test_at_the_limit_and_one_over() -> None:
    assert NETWORK.count_text("a" * 500).fits
    over = NETWORK.count_text("a" * 501)
    assert not over.fits and over.over_by == 1
    assert NETWORK.count_text("a" * 496 + "😀").fits  # 496 + 4
    over = NETWORK.count_text("a" * 497 + "😀")
    assert over.count == 501 and over.over_by == 1


def test_links_are_counted_once_each() -> None:
    text = "www.facebook.com https://a.com/x https://a.com/x/ and https://b.com"
    assert links(text) == ["www.facebook.com", "https://a.com/x", "https://b.com"]


def test_comparable() -> None:
    assert comparable("  two\n\nlines  ") == "two lines"
    assert comparable("e\u0301") == comparable("é")
