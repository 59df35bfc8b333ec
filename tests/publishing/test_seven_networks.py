"""One post to seven sandbox channels, one per network: published on each exactly once, with the
permalink shown in the API and on the post page."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cuecast.accounts.demo import sandbox_accounts
from cuecast.accounts.services import create_api_key
from cuecast.channels.services import save_connected_account
from cuecast.networks import registry
from cuecast.posts.models import Media, TargetState
from cuecast.publishing import dispatcher

pytestmark = pytest.mark.django_db(transaction=True)

# A 1x1 JPEG: every one of the seven networks accepts JPEG.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k="
)


@pytest.fixture
def public_url(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Instagram and Threads fetch the image from Cuecast's public address: serve it for real."""
    from cuecast import config

    monkeypatch.setenv("CUECAST_PUBLIC_URL", live_server.url)
    config.load.cache_clear()
    yield live_server.url
    config.load.cache_clear()


def test_one_post_on_seven_networks_exactly_once(actor, sandbox, public_url, owner) -> None:
    for network in ("linkedin", "instagram", "threads"):
        sandbox.control.config(network, image_processing_seconds=0)
    channels = {
        network: save_connected_account(actor, network, account)
        for network, account in sandbox_accounts(sandbox.url).items()
    }
    assert sorted(channels) == sorted(registry.keys()) and len(channels) == 7

    media = Media(
        workspace=actor.workspace,
        content_type="image/jpeg",
        size_bytes=len(JPEG),
        width=1,
        height=1,
        alt_text="A single pixel",
    )
    media.file.save("pixel.jpg", ContentFile(JPEG), save=True)
    _, key = create_api_key(actor, name="seven")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    due = timezone.now() + timedelta(seconds=30)
    created = api.post(
        "/api/v1/posts",
        {
            "text": "One message, seven networks: Cuecast on cue.",
            "targets": [{"channel_id": c.pk} for c in channels.values()],
            "schedule": {"at": due.isoformat()},
            "media_ids": [media.pk],
        },
        content_type="application/json",
    )
    assert created.status_code in (200, 201), created.content
    post_id = created.json()["id"]

    saved_clock = sandbox.state.clock
    sandbox.state.clock = lambda: (due + timedelta(seconds=2)).timestamp()
    try:
        dispatcher.run_until_idle(due + timedelta(seconds=2))
    finally:
        sandbox.state.clock = saved_clock

    detail = api.get(f"/api/v1/posts/{post_id}").json()
    by_network = {t["network"]: t for t in detail["targets"]}
    assert sorted(by_network) == sorted(channels)
    for network, target in by_network.items():
        assert target["state"] == TargetState.PUBLISHED, (network, target["reason"])
        assert target["external_id"] and target["permalink"].startswith("http"), network
        assert len(sandbox.control.received(network)) == 1, f"{network} received it more than once"

    web = Client()
    web.force_login(owner)
    page = web.get(reverse("web:post", args=[actor.workspace.slug, post_id]))
    assert page.status_code == 200
    for target in by_network.values():
        assert target["permalink"].encode() in page.content.replace(b"&amp;", b"&")
