"""How LinkedIn's limit is counted (on the escaped little text) and the escaping itself."""

from __future__ import annotations

import dataclasses

import pytest

from cuecast import config
from cuecast.networks import registry
from cuecast.networks.linkedin import DESCRIPTOR, LinkedInNetwork
from cuecast.networks.linkedin.counting import RESERVED, comparable, escape, unescape

NETWORK = LinkedInNetwork(dataclasses.replace(config.load()))


def test_plain_text_at_the_limit_and_one_over() -> None:
    assert NETWORK.count_text("a" * 3000).fits
    over = NETWORK.count_text("a" * 3001)
    assert not over.fits and over.over_by == 1


def test_reserved_characters_count_twice() -> None:
    at_limit = NETWORK.count_text("#" * 1500)
    assert (at_limit.count, at_limit.fits) == (3000, True)
    assert NETWORK.count_text("#" * 1500 + "a").over_by == 1


def test_code_points_not_bytes() -> None:
    assert NETWORK.count_text("äöü😀").count == 4
    assert NETWORK.count_text("e\u0301").count == 1  # NFC: é


@pytest.mark.parametrize("char", sorted(RESERVED))
def test_every_reserved_character_is_escaped(char: str) -> None:
    assert escape(f"a{char}b") == f"a\\{char}b"
    assert unescape(escape(f"a{char}b")) == f"a{char}b"


def test_unescape_shows_mentions_by_name() -> None:
    assert unescape("Hi @[Dana Demo](urn:li:person:abc) \\(x\\)") == "Hi Dana Demo (x)"
    assert comparable(" a \n b ") == "a b"


def test_descriptor_and_registry() -> None:
    assert DESCRIPTOR.key == "linkedin" and DESCRIPTOR.capabilities.threads is False
    assert DESCRIPTOR.text.max_length == 3000
    assert "linkedin" in registry._factories()
