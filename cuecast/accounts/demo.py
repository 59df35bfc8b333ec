"""The demo workspace `make run` creates on first start: a person, a workspace, sandbox channels."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from cuecast import config
from cuecast.accounts.models import Role, User, Workspace
from cuecast.accounts.services import Actor, create_workspace
from cuecast.channels.models import Channel
from cuecast.channels.services import save_connected_account
from cuecast.networks.base import ConnectedAccount

log = logging.getLogger("cuecast.demo")

DEMO_SLUG = "demo"
DEMO_USERNAME = "demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    created: bool


def _demo_password() -> str:
    """A password generated once per data directory and kept there, never in the repository."""
    path = config.load().data_dir / "demo-login.json"
    if path.exists():
        return str(json.loads(path.read_text())["password"])
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"username": DEMO_USERNAME, "password": password}))
    path.chmod(0o600)
    return password


def ensure_demo_user() -> DemoLogin:
    password = _demo_password()
    user = User.objects.filter(username=DEMO_USERNAME).first()
    if user is not None:
        return DemoLogin(DEMO_USERNAME, password, created=False)
    User.objects.create_user(DEMO_USERNAME, email="demo@example.com", password=password)
    return DemoLogin(DEMO_USERNAME, password, created=True)


def _x(tokens: dict[str, Any], sandbox_url: str) -> ConnectedAccount:
    expires = _in(tokens.get("expires_in", 7200))
    return ConnectedAccount(
        external_id=str(tokens["user_id"]),
        handle=str(tokens["username"]),
        display_name="Cuecast Demo (X sandbox)",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "refresh_token": tokens.get("refresh_token", ""),
            "expires_at": expires.isoformat(),
        },
        token_expires_at=expires,
    )


def _mastodon(tokens: dict[str, Any], sandbox_url: str) -> ConnectedAccount:
    host = sandbox_url.split("://", 1)[1]
    return ConnectedAccount(
        external_id=str(tokens["user_id"]),
        handle=f"@{tokens['username']}@{host}",
        display_name="Cuecast Demo (Mastodon sandbox)",
        base_url=f"{sandbox_url}/mastodon",
        credentials={"access_token": tokens["access_token"]},
    )


def _bluesky(tokens: dict[str, Any], sandbox_url: str) -> ConnectedAccount:
    from cuecast.networks.bluesky.auth import expires_at, jwt_expiry

    access_exp = jwt_expiry(tokens["accessJwt"])
    credentials = {
        "accessJwt": tokens["accessJwt"],
        "refreshJwt": tokens["refreshJwt"],
        "did": tokens["did"],
        "expires_at": access_exp.isoformat() if access_exp else None,
    }
    return ConnectedAccount(
        external_id=tokens["did"],
        handle=tokens["handle"],
        display_name="Cuecast Demo (Bluesky sandbox)",
        base_url=f"{sandbox_url}/bluesky",
        credentials=credentials,
        token_expires_at=expires_at(credentials),
    )


def _linkedin(tokens: dict[str, Any], sandbox_url: str) -> ConnectedAccount:
    expires = _in(tokens["expires_in"])
    return ConnectedAccount(
        external_id=tokens["organizations"][0],
        handle="cuecast-demo",
        display_name="Cuecast Demo GmbH (LinkedIn sandbox)",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "expires_at": expires.isoformat(),
            "refresh_expires_at": _in(tokens["refresh_token_expires_in"]).isoformat(),
        },
        token_expires_at=expires,
        settings={"author_kind": "organization", "member_urn": tokens["member_urn"]},
    )


def _facebook(tokens: dict[str, Any], sandbox_url: str) -> ConnectedAccount:
    return ConnectedAccount(
        external_id=str(tokens["page_id"]),
        handle=str(tokens["page_name"]),
        display_name=f"{tokens['page_name']} (Facebook sandbox)",
        base_url="",
        credentials={
            "page_access_token": tokens["page_access_token"],
            "user_access_token": tokens["user_access_token"],
        },
    )


def _instagram(tokens: dict[str, Any], sandbox_url: str) -> ConnectedAccount:
    expires = _in(tokens.get("expires_in") or 5184000)
    return ConnectedAccount(
        external_id=str(tokens["ig_user_id"]),
        handle=str(tokens["username"]),
        display_name="Cuecast Demo (Instagram sandbox)",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "page_id": str(tokens["page_id"]),
            "expires_at": expires.isoformat(),
        },
        token_expires_at=expires,
    )


def _threads(tokens: dict[str, Any], sandbox_url: str) -> ConnectedAccount:
    expires = _in(tokens["expires_in"])
    return ConnectedAccount(
        external_id=str(tokens["user_id"]),
        handle=str(tokens["username"]),
        display_name="Cuecast Demo (Threads sandbox)",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "expires_at": expires.isoformat(),
            "issued_at": datetime.now(UTC).isoformat(),
        },
        token_expires_at=expires,
    )


def _in(seconds: object) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=int(str(seconds)))


# Per network: the sandbox user whose tokens the demo mints, and how they become an account as the
# connector's own connect flow would have stored it.
_SANDBOX_USERS: dict[str, tuple[str, Callable[[dict[str, Any], str], ConnectedAccount]]] = {
    "x": ("cuecast_demo", _x),
    "mastodon": ("demo", _mastodon),
    "bluesky": ("cuecast-demo.bsky.sandbox", _bluesky),
    "linkedin": ("demo", _linkedin),
    "facebook": ("cuecast_demo", _facebook),
    "instagram": ("cuecast_demo_ig", _instagram),
    "threads": ("cuecast_demo", _threads),
}


def sandbox_account(sandbox_url: str, network: str) -> ConnectedAccount:
    """An authorised sandbox account, minted through the sandbox's control API."""
    from sandbox.testing import (
        ControlClient,  # the demo is the one place Cuecast drives the sandbox
    )

    user, convert = _SANDBOX_USERS[network]
    control = ControlClient(sandbox_url)
    try:
        return convert(control.tokens(network, user), sandbox_url)
    finally:
        control.close()


def sandbox_accounts(sandbox_url: str) -> dict[str, ConnectedAccount]:
    """The demo's sandbox accounts on every network Cuecast knows."""
    return {network: sandbox_account(sandbox_url, network) for network in _SANDBOX_USERS}


@transaction.atomic
def ensure_demo_workspace(sandbox_url: str) -> Workspace:
    """Create the demo workspace with its sandbox channels, once. Safe to call on every start."""
    login = ensure_demo_user()
    user = User.objects.get(username=login.username)
    workspace = Workspace.objects.filter(slug=DEMO_SLUG).first()
    if workspace is None:
        workspace = create_workspace(slug=DEMO_SLUG, name="Demo", owner=user)
    # A network added in a newer Cuecast gets its demo channel on the next start.
    present = set(Channel.objects.filter(workspace=workspace).values_list("network", flat=True))
    actor = Actor(workspace=workspace, role=Role.OWNER, user=user)
    for network in _SANDBOX_USERS.keys() - present:
        save_connected_account(actor, network, sandbox_account(sandbox_url, network))
    _ensure_demo_ad_accounts(actor, sandbox_url)
    return workspace


def _microsoft_ads(tokens: dict[str, Any], sandbox_url: str) -> ConnectedAccount:
    """The sandbox's pre-seeded "Cuecast Demo DE" account (docs/sandbox.md, Microsoft Advertising),
    stored the way the Microsoft source's connect flow stores it."""
    expires = _in(tokens.get("expires_in", 3600))
    return ConnectedAccount(
        external_id="180000001",
        handle="F1A2B3C4",
        display_name="Cuecast Demo DE (Microsoft Advertising sandbox)",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "refresh_token": tokens.get("refresh_token", ""),
            "expires_at": expires.isoformat(),
        },
        token_expires_at=expires,
        settings={
            "customer_id": str(tokens.get("customer_id", "251000001")),
            "currency": "EUR",
            "timezone": "Europe/Berlin",
            "microsoft_timezone": "AmsterdamBerlinBernRomeStockholmVienna",
            "account_number": "F1A2B3C4",
            "user_id": str(tokens.get("user_id", "")),
        },
    )


# Ad platform → (sandbox control name, sandbox user, conversion). Skipped while a platform's
# source or emulator is missing, so the demo works at every stage.
_SANDBOX_AD_USERS: dict[str, tuple[str, str, Callable[[dict[str, Any], str], ConnectedAccount]]] = {
    "microsoft": ("msads", "demo", _microsoft_ads),
}


def _ensure_demo_ad_accounts(actor: Actor, sandbox_url: str) -> None:
    from cuecast.campaigns.models import AdAccount
    from cuecast.campaigns.services import connect_ad_accounts
    from cuecast.campaigns.sources import registry as ad_registry
    from sandbox.testing import ControlClient

    present = set(
        AdAccount.objects.filter(workspace=actor.workspace).values_list("platform", flat=True)
    )
    for platform, (network, user, convert) in _SANDBOX_AD_USERS.items():
        if platform in present:
            continue
        try:
            ad_registry.get(platform)
        except ad_registry.UnknownSource:
            continue  # its source has not landed yet
        control = ControlClient(sandbox_url)
        try:
            account = convert(control.tokens(network, user), sandbox_url)
            with transaction.atomic():
                connect_ad_accounts(actor, platform, [account])
        except Exception:  # the emulator is missing or older: the demo goes on without it
            log.warning("demo: no %s sandbox ad account", platform, exc_info=True)
        finally:
            control.close()
