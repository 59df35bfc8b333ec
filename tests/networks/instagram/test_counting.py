from __future__ import annotations

import dataclasses

from cuecast import config
from cuecast.networks.instagram import DESCRIPTOR, InstagramNetwork

NET = InstagramNetwork(config.load())


def test_caption_limit_exact_and_one_over() -> None:
    assert NET.count_text("a" * 2200).fits
    over = NET.count_text("a" * 2201)
    assert not over.fits and over.over_by == 1


def test_emoji_and_accents_count_as_code_points_after_nfc() -> None:
    assert NET.count_text("🚀").count == 1
    assert NET.count_text("e\u0301").count == 1  # NFC: é
    assert NET.count_text("👍🏽").count == 2  # base + skin tone modifier


def test_descriptor_says_media_is_required_and_no_delete() -> None:
    caps = DESCRIPTOR.capabilities
    assert not caps.threads and not caps.delete and caps.lookup
    assert DESCRIPTOR.media.image_types == frozenset({"image/jpeg"})
    assert DESCRIPTOR.media.max_images == 10
    assert dataclasses.asdict(DESCRIPTOR.text)["max_length"] == 2200
