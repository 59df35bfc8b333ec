"""Fixtures of the report tests: the report world, a signed-in client, a stranger."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from .report_world import ReportWorld, build_world


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Best-time results are cached for an hour; no test sees another test's, before or after."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(workspace: Any) -> ReportWorld:
    """Winter sale (EUR) with posts on X, LinkedIn and Mastodon, one X post off the campaign,
    and paid days 8 and 10 to 12 November 2026."""
    return build_world(workspace)


@pytest.fixture
def signed_in(client: Client, owner: Any, workspace: Any) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def stranger(db: None) -> Any:
    """Someone with a workspace of their own, and no membership in ACME."""
    from cuecast.accounts.models import User
    from cuecast.accounts.services import create_workspace

    user = User.objects.create_user("mallory", password="another good password")
    create_workspace(slug="other", name="Other Co", owner=user)
    return user
