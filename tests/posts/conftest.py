"""Fixtures for the posts domain: channels made without a network (no sandbox needed)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def x_channel(workspace: Any) -> Any:
    from cuecast.channels.models import Channel

    return Channel.objects.create(
        workspace=workspace,
        network="x",
        external_id="1001",
        handle="acme",
        display_name="ACME on X",
        credentials={"access_token": "t"},
    )


@pytest.fixture
def masto_channel(workspace: Any) -> Any:
    from cuecast.channels.models import Channel

    return Channel.objects.create(
        workspace=workspace,
        network="mastodon",
        base_url="https://social.example",
        external_id="2002",
        handle="@acme@social.example",
        display_name="ACME on Mastodon",
        credentials={"access_token": "t"},
        settings={"max_characters": 500, "characters_reserved_per_url": 23},
    )
