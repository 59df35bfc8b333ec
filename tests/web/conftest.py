"""Fixtures for the web UI's view tests: a signed-in client and channels made without a network."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def signed_in(client: Client, owner: Any, workspace: Any) -> Client:
    client.force_login(owner)
    return client


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


@pytest.fixture
def stranger(db: None) -> Any:
    """Someone with a workspace of their own, and no membership in ACME."""
    from cuecast.accounts.models import User
    from cuecast.accounts.services import create_workspace

    user = User.objects.create_user("mallory", password="another good password")
    create_workspace(slug="other", name="Other Co", owner=user)
    return user
