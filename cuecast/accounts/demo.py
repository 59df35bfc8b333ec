"""The demo workspace `make run` creates on first start: a person, a workspace, sandbox channels."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction

from cuecast import config
from cuecast.accounts.models import Role, User, Workspace
from cuecast.accounts.services import Actor, create_workspace
from cuecast.channels.models import Channel
from cuecast.channels.services import save_connected_account
from cuecast.networks.base import ConnectedAccount

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


def sandbox_accounts(sandbox_url: str) -> dict[str, ConnectedAccount]:
    """Authorised sandbox accounts for X and Mastodon, minted through the sandbox's control API."""
    from sandbox.testing import (
        ControlClient,  # the demo is the one place Cuecast drives the sandbox
    )

    control = ControlClient(sandbox_url)
    try:
        x = control.tokens("x", "cuecast_demo")
        masto = control.tokens("mastodon", "demo")
    finally:
        control.close()
    host = sandbox_url.split("://", 1)[1]
    expires = datetime.now(UTC) + timedelta(seconds=int(x.get("expires_in", 7200)))
    return {
        "x": ConnectedAccount(
            external_id=str(x["user_id"]),
            handle=str(x["username"]),
            display_name="Cuecast Demo (X sandbox)",
            base_url="",
            credentials={
                "access_token": x["access_token"],
                "refresh_token": x.get("refresh_token", ""),
                "expires_at": expires.isoformat(),
            },
            token_expires_at=expires,
        ),
        "mastodon": ConnectedAccount(
            external_id=str(masto["user_id"]),
            handle=f"@{masto['username']}@{host}",
            display_name="Cuecast Demo (Mastodon sandbox)",
            base_url=f"{sandbox_url}/mastodon",
            credentials={"access_token": masto["access_token"]},
        ),
    }


@transaction.atomic
def ensure_demo_workspace(sandbox_url: str) -> Workspace:
    """Create the demo workspace with its sandbox channels, once. Safe to call on every start."""
    login = ensure_demo_user()
    user = User.objects.get(username=login.username)
    workspace = Workspace.objects.filter(slug=DEMO_SLUG).first()
    if workspace is None:
        workspace = create_workspace(slug=DEMO_SLUG, name="Demo", owner=user)
    if not Channel.objects.filter(workspace=workspace).exists():
        actor = Actor(workspace=workspace, role=Role.OWNER, user=user)
        for network, account in sandbox_accounts(sandbox_url).items():
            save_connected_account(actor, network, account)
    return workspace
