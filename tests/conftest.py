"""Shared fixtures: the sandbox over real HTTP, a workspace with its people, connected channels.

Under CI=true, tests that need PostgreSQL or the browser must run: they fail instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from cuecast import config

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip on a developer's machine, fail in CI: CI must run every test."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test, but: {reason}")
    pytest.skip(reason)


def _point_at_sandbox(url: str) -> None:
    os.environ["CUECAST_SANDBOX_URL"] = url
    clear_config_caches()


def clear_config_caches() -> None:
    """Everything built from the configuration once: rebuild it after a setting changes."""
    from cuecast.campaigns.sources import registry as ad_sources
    from cuecast.networks import registry

    config.load.cache_clear()
    registry.networks.cache_clear()
    ad_sources.sources.cache_clear()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Any]:
    from sandbox.testing import running_sandbox

    previous = os.environ.get("CUECAST_SANDBOX_URL")
    with running_sandbox() as running:
        _point_at_sandbox(running.url)
        yield running
    if previous is None:
        os.environ.pop("CUECAST_SANDBOX_URL", None)
    else:
        os.environ["CUECAST_SANDBOX_URL"] = previous
    clear_config_caches()


@pytest.fixture
def sandbox(sandbox_server: Any) -> Iterator[Any]:
    """The running sandbox, reset to its pre-seeded state for this test (tests may set its clock)."""
    sandbox_server.control.reset()
    clock = sandbox_server.state.clock
    yield sandbox_server
    sandbox_server.state.clock = clock


@pytest.fixture
def owner(db: None) -> Any:
    from cuecast.accounts.models import User

    return User.objects.create_user(
        "olivia", email="olivia@example.com", password="correct horse battery"
    )


@pytest.fixture
def workspace(owner: Any) -> Any:
    from cuecast.accounts.services import create_workspace

    return create_workspace(slug="acme", name="ACME", owner=owner)


@pytest.fixture
def actor(workspace: Any, owner: Any) -> Any:
    from cuecast.accounts.services import actor_for_user

    return actor_for_user(owner, workspace)


@pytest.fixture
def channels(actor: Any, sandbox: Any) -> dict[str, Any]:
    """Sandbox X and Mastodon channels connected to the workspace, keyed by network."""
    from cuecast.accounts.demo import sandbox_account
    from cuecast.channels.services import save_connected_account

    return {
        network: save_connected_account(actor, network, sandbox_account(sandbox.url, network))
        for network in ("x", "mastodon")
    }
