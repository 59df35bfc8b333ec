"""A key of workspace B never sees or touches workspace A's channels, campaigns or posts."""

from __future__ import annotations

from typing import Any

import pytest

from cuecast.posts.models import Post, Target
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_post(api: Api, channels: dict[str, Any], campaign: dict[str, Any]) -> dict[str, Any]:
    response = api.post(
        "/api/v1/posts",
        {
            "text": "A's post",
            "targets": [{"channel_id": channels["x"].pk}],
            "schedule": {"cue": {"campaign_id": campaign["id"], "event": "start"}},
        },
    )
    assert response.status_code == 201
    return dict(response.json())


def test_b_sees_none_of_a(
    other_api: Api, channels: dict[str, Any], campaign: dict[str, Any], a_post: dict[str, Any]
) -> None:
    assert other_api.get("/api/v1/channels").json() == []
    assert other_api.get("/api/v1/campaigns").json() == []
    assert other_api.get("/api/v1/posts").json()["count"] == 0
    assert other_api.get("/api/v1/posts", {"campaign_id": campaign["id"]}).json()["items"] == []
    assert other_api.get("/api/v1/posts", {"channel_id": channels["x"].pk}).json()["count"] == 0


def test_b_gets_404_for_each_of_a_objects(
    other_api: Api, channels: dict[str, Any], campaign: dict[str, Any], a_post: dict[str, Any]
) -> None:
    for path in (
        f"/api/v1/channels/{channels['x'].pk}",
        f"/api/v1/campaigns/{campaign['id']}",
        f"/api/v1/posts/{a_post['id']}",
    ):
        response = other_api.get(path)
        assert response.status_code == 404, path
        assert "in this workspace" in response.json()["detail"]


def test_b_cannot_change_a_objects(
    api: Api, other_api: Api, campaign: dict[str, Any], a_post: dict[str, Any]
) -> None:
    assert (
        other_api.patch(f"/api/v1/campaigns/{campaign['id']}", {"name": "Mine"}).status_code == 404
    )
    assert other_api.post(f"/api/v1/posts/{a_post['id']}/cancel").status_code == 404
    assert other_api.post(f"/api/v1/posts/{a_post['id']}/approve").status_code == 404
    assert api.get(f"/api/v1/campaigns/{campaign['id']}").json()["name"] == "Winter sale"
    assert set(Target.objects.values_list("state", flat=True)) == {"scheduled"}


def test_b_cannot_post_to_a_channel_or_cue_to_a_campaign(
    other_api: Api, channels: dict[str, Any], campaign: dict[str, Any]
) -> None:
    before = Post.objects.count()
    response = other_api.post(
        "/api/v1/posts",
        {
            "text": "Hijack",
            "targets": [{"channel_id": channels["x"].pk}],
            "schedule": {"cue": {"campaign_id": campaign["id"], "event": "start"}},
        },
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert (
        errors["targets[0].channel_id"]
        == f"There is no channel {channels['x'].pk} in this workspace."
    )
    assert errors["schedule"] == f"There is no campaign {campaign['id']} in this workspace."
    assert Post.objects.count() == before
