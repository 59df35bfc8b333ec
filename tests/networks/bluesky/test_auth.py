"""Connecting with an app password against the sandbox PDS; the password is never stored."""

from __future__ import annotations

from typing import Any

import pytest

from cuecast.networks import registry
from cuecast.networks.base import AuthKind
from cuecast.networks.bluesky import BlueskyNetwork
from cuecast.networks.errors import Permanent

from .conftest import DEMO_HANDLE, app_password

pytestmark = pytest.mark.anyio


async def test_login_with_app_password(sandbox: Any, network: BlueskyNetwork) -> None:
    password = app_password()
    account = await network.app_password().login(
        server_url="", identifier=f"@{DEMO_HANDLE}", password=password
    )
    assert account.external_id.startswith("did:plc:")
    assert account.handle == DEMO_HANDLE
    assert account.display_name == "Cuecast Demo"
    assert account.base_url == f"{sandbox.url}/bluesky"
    assert set(account.credentials) == {"accessJwt", "refreshJwt", "did", "expires_at"}
    assert password not in repr(account)
    assert account.token_expires_at is not None


async def test_login_with_named_server(sandbox: Any, network: BlueskyNetwork) -> None:
    account = await network.app_password().login(
        server_url=f"{sandbox.url}/bluesky/", identifier=DEMO_HANDLE, password=app_password()
    )
    assert account.base_url == f"{sandbox.url}/bluesky"


async def test_wrong_password(sandbox: Any, network: BlueskyNetwork) -> None:
    with pytest.raises(Permanent) as caught:
        await network.app_password().login(
            server_url="", identifier=DEMO_HANDLE, password="wrong-pass-word-1234"
        )
    assert "app password" in caught.value.message


async def test_private_server_refused(sandbox: Any, network: BlueskyNetwork) -> None:
    with pytest.raises(Permanent) as caught:
        await network.app_password().login(
            server_url="https://127.0.0.1:9/", identifier=DEMO_HANDLE, password="x"
        )
    assert caught.value.code == "unsafe_url"


def test_registered(sandbox: Any) -> None:
    network = registry.get("bluesky")
    assert network.descriptor.auth is AuthKind.APP_PASSWORD
    with pytest.raises(NotImplementedError):
        network.oauth()
