from __future__ import annotations

from typing import Any

import pytest

from cuecast.channels.models import ChannelStatus
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def test_lists_the_workspace_channels(api: Api, channels: dict[str, Any]) -> None:
    response = api.get("/api/v1/channels")
    assert response.status_code == 200
    body = response.json()
    by_network = {c["network"]: c for c in body}
    assert set(by_network) == {"x", "mastodon"}
    x = by_network["x"]
    assert x == {
        "id": channels["x"].pk,
        "network": "x",
        "name": channels["x"].display_name,
        "handle": channels["x"].handle,
        "status": "connected",
        "status_reason": None,
        "access_tier": "",
        "access_tiers": ["free", "basic", "pro", "pay_per_use"],
    }


def test_shows_a_disconnected_channel_with_its_reason(api: Api, channels: dict[str, Any]) -> None:
    channel = channels["mastodon"]
    channel.status, channel.status_reason = ChannelStatus.DISCONNECTED, "The token was revoked."
    channel.save()
    response = api.get(f"/api/v1/channels/{channel.pk}")
    assert response.status_code == 200
    assert response.json()["status"] == "disconnected"
    assert response.json()["status_reason"] == "The token was revoked."


def test_unknown_channel_is_404(api: Api) -> None:
    response = api.get("/api/v1/channels/999999")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "There is no channel 999999 in this workspace.",
        "errors": [],
    }


def test_absurd_id_is_404_not_500(api: Api) -> None:
    assert api.get(f"/api/v1/channels/{2**70}").status_code == 404
