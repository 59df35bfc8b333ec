"""Counting at the exact limits (300 graphemes, 3,000 UTF-8 bytes) and one over; facets; TIDs."""

from __future__ import annotations

import dataclasses

import pytest

from cuecast import config
from cuecast.networks.base import TextCounting
from cuecast.networks.bluesky import BlueskyNetwork, counting, richtext, tid
from cuecast.networks.bluesky.descriptor import DESCRIPTOR

NET = BlueskyNetwork(dataclasses.replace(config.load()))
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 25 bytes
FLAG = "\U0001f1e9\U0001f1ea"  # one grapheme, 8 bytes


def test_descriptor() -> None:
    assert DESCRIPTOR.text.max_length == 300
    assert DESCRIPTOR.text.counting is TextCounting.GRAPHEMES
    assert DESCRIPTOR.media.max_images == 4 and DESCRIPTOR.media.max_image_bytes == 1_000_000


@pytest.mark.parametrize(
    ("text", "count", "fits"),
    [
        ("a" * 300, 300, True),
        ("a" * 301, 301, False),
        ("é" * 300, 300, True),  # 2 bytes each: 600 bytes
        (FLAG * 300, 300, True),  # 2,400 bytes
        (FAMILY * 2, 2, True),
        ("e\u0301" * 300, 300, True),  # combining accent: one grapheme each
    ],
)
def test_graphemes(text: str, count: int, fits: bool) -> None:
    result = NET.count_text(text)
    assert (result.count, result.limit, result.fits) == (count, 300, fits)


def test_byte_limit_at_the_edge_and_one_over() -> None:
    exact = FAMILY * 120  # 120 graphemes, 3,000 bytes
    assert counting.measure(exact).bytes == 3000
    assert NET.count_text(exact).fits
    over = exact + "a"  # 121 graphemes, 3,001 bytes: graphemes fit, bytes do not
    result = NET.count_text(over)
    assert (result.count, result.limit, result.fits, result.over_by) == (3001, 3000, False, 1)
    problem = counting.measure(over).problem()
    assert problem is not None and "3,001 bytes" in problem and "3,000" in problem


def test_grapheme_problem_sentence() -> None:
    assert counting.measure("a" * 300).problem() is None
    assert counting.measure("a" * 302).problem() == (
        "The post is 302 characters long; Bluesky allows 300. Shorten it by 2."
    )


def test_facets_use_utf8_byte_offsets() -> None:
    # docs.bsky.app/docs/advanced-guides/posts: the worked example and its offsets
    text = (
        "✨ example mentioning @atproto.com to share the URL 👨\u200d❤️\u200d👨 "
        "https://en.wikipedia.org/wiki/CBOR."
    )
    spans = richtext.detect(text)
    assert [(s.kind, s.start, s.end, s.value) for s in spans] == [
        ("mention", 23, 35, "atproto.com"),
        ("link", 74, 108, "https://en.wikipedia.org/wiki/CBOR"),
    ]
    facets = richtext.facets(spans, {"atproto.com": "did:plc:ewvi7nxzyoun6zhxrhs64oiz"})
    assert facets[0]["features"] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz"}
    ]
    assert facets[1]["index"] == {"byteStart": 74, "byteEnd": 108}
    assert facets[1]["features"][0]["$type"] == "app.bsky.richtext.facet#link"


def test_unresolved_mentions_stay_text_and_tags() -> None:
    text = "Hi @nobody.example! #launch, #2024 and #日本語 (https://a.example/x_(y))"
    spans = richtext.detect(text)
    facets = richtext.facets(spans, {})
    kinds = [f["features"][0]["$type"].split("#")[1] for f in facets]
    assert kinds == ["tag", "tag", "link"]
    encoded = text.encode()
    shown = [encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in facets]
    assert shown == ["#launch", "#日本語", "https://a.example/x_(y)"]
    assert facets[0]["features"][0]["tag"] == "launch"


def test_no_link_without_scheme_or_host_dot() -> None:
    assert richtext.detect("see file.txt or https://nohost now") == []


def test_tags_over_64_graphemes_are_not_tagged() -> None:
    assert richtext.detect("#" + "a" * 64)[0].value == "a" * 64
    assert richtext.detect("#" + "a" * 65) == []


def test_tid_shape_and_order() -> None:
    first, second = tid.next_tid(), tid.next_tid()
    assert tid.is_valid(first) and len(first) == 13 and first < second
    assert tid.encode(0, 0) == "2222222222222"
    micros, clock = tid.decode(tid.encode(1_724_171_495_793_000, 512))
    assert (micros, clock) == (1_724_171_495_793_000, 512)
    assert not tid.is_valid("3kabc") and not tid.is_valid("zzzzzzzzzzzzz")
