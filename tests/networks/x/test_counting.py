"""X's weighted counting (docs.x.com/fundamentals/counting-characters) through the network."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from cuecast import config
from cuecast.networks.base import TextLimit
from cuecast.networks.x import build
from cuecast.networks.x.counting import comparable


@pytest.fixture(scope="module")
def x():  # type: ignore[no-untyped-def]
    return build(dataclasses.replace(config.load()))


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("hello", 5),
        ("https://example.com", 23),
        ("https://example.com/a/very/long/path/that/goes/on/and/on?with=query&and=more", 23),
        ("see example.com now", 4 + 23 + 4),  # X detects URLs without a scheme too
        ("😀", 2),
        ("👨‍👩‍👧‍👦", 2),  # a ZWJ family sequence is one emoji
        ("🙋🏽", 2),
        ("漢", 2),
        ("日本語", 6),
        ("café", 4),
        (unicodedata.normalize("NFD", "café"), 4),  # counted after NFC
    ],
)
def test_weights(x, text: str, count: int) -> None:  # type: ignore[no-untyped-def]
    assert x.count_text(text).count == count


def test_exactly_280_fits_and_281_does_not(x) -> None:  # type: ignore[no-untyped-def]
    fits = x.count_text("a" * 280)
    assert (fits.count, fits.limit, fits.fits, fits.over_by) == (280, 280, True, 0)
    over = x.count_text("a" * 281)
    assert (over.fits, over.over_by) == (False, 1)
    mixed = "漢" * 140
    assert x.count_text(mixed).fits
    assert not x.count_text(mixed + "a").fits
    with_url = "a" * 256 + " https://example.com/long/path"
    assert x.count_text(with_url).count == 280


def test_limit_from_account(x) -> None:  # type: ignore[no-untyped-def]
    premium = x.count_text("a" * 300, TextLimit(25_000, x.descriptor.text.counting, 23))
    assert premium.fits and premium.limit == 25_000


def test_comparable_ignores_tco_urls_and_escaping() -> None:
    ours = "Launch & party at https://example.com/launch?utm=1 🎉"
    theirs = "Launch &amp; party at https://t.co/AbCdEf123 🎉 https://t.co/media1"
    assert comparable(ours) == comparable(theirs)
    assert comparable(unicodedata.normalize("NFD", "Café")) == comparable("Café")
    assert comparable("one") != comparable("two")
