"""Each network's own metric names onto Cuecast's figures (descriptor data), for all seven."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cuecast.analytics.models import METRIC_FIELDS
from cuecast.analytics.normalize import (
    CHANNEL_FIELDS,
    channel_figures,
    post_figures,
    unknown_names,
)
from cuecast.networks import registry

# What each connector returns for a post (the network's names, as in its sandbox emulator) and
# what Cuecast makes of it. Figures a network does not report stay None.
ANSWERS = {
    "x": (
        {
            "retweet_count": 4,
            "repost_count": 4,
            "reply_count": 3,
            "like_count": 20,
            "quote_count": 1,
            "bookmark_count": 2,
            "impression_count": 900,
            "url_link_clicks": 12,
            "user_profile_clicks": 5,
        },
        {"impressions": 900, "likes": 20, "comments": 3, "reposts": 4, "clicks": 12, "saves": 2},
    ),
    "mastodon": (
        {"replies_count": 2, "reblogs_count": 5, "favourites_count": 9, "quotes_count": 1},
        {"likes": 9, "comments": 2, "reposts": 5},
    ),
    "bluesky": (
        {"likeCount": 7, "repostCount": 2, "replyCount": 1, "quoteCount": 3, "bookmarkCount": 4},
        {"likes": 7, "comments": 1, "reposts": 2, "saves": 4},
    ),
    "linkedin": (
        {
            "impressionCount": 1500,
            "uniqueImpressionsCount": 1100,
            "clickCount": 40,
            "likeCount": 30,
            "commentCount": 6,
            "shareCount": 3,
        },
        {
            "impressions": 1500,
            "reach": 1100,
            "likes": 30,
            "comments": 6,
            "reposts": 3,
            "clicks": 40,
        },
    ),
    "facebook": (
        {
            "shares": 3,
            "comments": 4,
            "reactions": 25,
            "post_media_view": 800,
            "post_total_media_view_unique": 600,
            "post_clicks": 17,
            "post_reactions_by_type_total.like": 20,
            "post_reactions_by_type_total.love": 5,
        },
        {
            "impressions": 800,
            "reach": 600,
            "likes": 25,
            "comments": 4,
            "reposts": 3,
            "clicks": 17,
        },
    ),
    "instagram": (
        {
            "like_count": 31,
            "comments_count": 4,
            "views": 1200,
            "reach": 700,
            "likes": 30,
            "comments": 4,
            "shares": 6,
            "saved": 9,
            "total_interactions": 49,
        },
        # the insight (organic likes) wins over the field where both are there
        {"impressions": 1200, "reach": 700, "likes": 30, "comments": 4, "reposts": 6, "saves": 9},
    ),
    "threads": (
        {"views": 400, "likes": 12, "replies": 3, "reposts": 2, "quotes": 1, "shares": 4},
        {"impressions": 400, "likes": 12, "comments": 3, "reposts": 2},
    ),
}

ACCOUNT_ANSWERS = {
    "x": ({"followers_count": 120, "following_count": 3, "tweet_count": 9}, {"followers": 120}),
    "mastodon": ({"followers_count": 80, "following_count": 2}, {"followers": 80}),
    "bluesky": ({"followersCount": 60, "followsCount": 1, "postsCount": 4}, {"followers": 60}),
    "linkedin": ({"firstDegreeSize": 5000}, {"followers": 5000}),
    "facebook": (
        {"followers_count": 900, "fan_count": 850, "page_total_media_view_unique": 300},
        {"followers": 900, "reach": 300},
    ),
    "instagram": (
        {"followers_count": 700, "follows_count": 10, "reach": 250},
        {"followers": 700, "reach": 250},
    ),
    "threads": ({"followers_count": 40}, {"followers": 40}),
}


def test_every_network_is_covered() -> None:
    assert sorted(ANSWERS) == sorted(registry.keys()) == sorted(ACCOUNT_ANSWERS)


@pytest.mark.parametrize("network", sorted(ANSWERS))
def test_post_figures(network: str) -> None:
    raw, expected = ANSWERS[network]
    spec = registry.get(network).descriptor.metrics
    assert post_figures(spec, raw) == {name: expected.get(name) for name in METRIC_FIELDS}
    assert unknown_names(spec, raw) == []
    assert all(m.name in METRIC_FIELDS for m in spec.post)


@pytest.mark.parametrize("network", sorted(ANSWERS))
def test_a_figure_missing_from_the_answer_is_none_not_zero(network: str) -> None:
    spec = registry.get(network).descriptor.metrics
    assert set(post_figures(spec, {}).values()) == {None}


def test_the_first_native_name_present_wins() -> None:
    spec = registry.get("instagram").descriptor.metrics
    assert post_figures(spec, {"like_count": 31})["likes"] == 31  # insights not there yet
    facebook = registry.get("facebook").descriptor.metrics
    assert post_figures(facebook, {"post_impressions": 50})["impressions"] == 50  # older API


def test_a_name_the_spec_does_not_know_is_reported() -> None:
    spec = registry.get("mastodon").descriptor.metrics
    assert unknown_names(spec, {"favourites_count": 1, "emoji_reactions_count": 2}) == [
        "emoji_reactions_count"
    ]


@pytest.mark.parametrize("network", sorted(ACCOUNT_ANSWERS))
def test_channel_figures(network: str) -> None:
    raw, expected = ACCOUNT_ANSWERS[network]
    spec = registry.get(network).descriptor.metrics
    assert channel_figures(spec, raw) == {name: expected.get(name) for name in CHANNEL_FIELDS}
    assert spec.account_calls >= 1


@pytest.mark.parametrize("network", sorted(ANSWERS))
def test_the_network_page_documents_every_name_and_the_horizon(network: str) -> None:
    descriptor = registry.get(network).descriptor
    page = (Path(__file__).resolve().parents[2] / descriptor.docs_page).read_text()
    section = page.split("## Metrics", 1)
    assert len(section) == 2, f"{descriptor.docs_page} has no Metrics section"
    text = section[1].split("\n## ", 1)[0]
    spec = descriptor.metrics
    names = {n for m in spec.post + spec.account for n in m.native} | spec.kept_only
    for name in names:
        assert f"`{name}`" in text, f"{descriptor.docs_page} does not name {name}"
    assert re.search(rf"\b{spec.horizon.days} days\b", text), "the horizon is not documented"
