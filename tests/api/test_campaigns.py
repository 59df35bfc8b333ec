from __future__ import annotations

from typing import Any

import pytest

from cuecast.accounts.models import Role
from cuecast.campaigns.models import Campaign
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def test_create_returns_the_campaign_in_utc(api: Api, campaign: dict[str, Any]) -> None:
    assert campaign["name"] == "Winter sale"
    assert campaign["starts_at"] == "2027-10-01T07:00:00Z"
    assert campaign["ends_at"] == "2027-11-01T17:00:00Z"
    assert campaign["timezone"] == "Europe/Berlin"
    assert campaign["status"] == "active"


def test_zone_defaults_to_the_workspace_zone(api: Api) -> None:
    response = api.post(
        "/api/v1/campaigns", {"name": "Open end", "starts_at": "2027-01-01T00:00:00Z"}
    )
    assert response.status_code == 201
    assert response.json()["timezone"] == "Europe/Berlin"
    assert response.json()["ends_at"] is None


def test_list_and_get(api: Api, campaign: dict[str, Any]) -> None:
    listed = api.get("/api/v1/campaigns").json()
    assert [c["id"] for c in listed] == [campaign["id"]]
    got = api.get(f"/api/v1/campaigns/{campaign['id']}")
    assert got.status_code == 200
    assert got.json() == campaign


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"ends_at": "2027-09-01T00:00:00+02:00"}, "ends_at", "must end after it starts"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus"),
        ({"starts_at": "2027-10-01T09:00:00"}, "starts_at", "with its offset"),
        ({"status": "sleeping"}, "status", "Must be one of"),
        ({"name": "   "}, "name", "Give the campaign a name"),
        ({"name": None}, "name", "Cannot be null"),
        ({"colour": "red"}, "colour", "not known"),
    ],
)
def test_update_refuses_bad_values_and_changes_nothing(
    api: Api, campaign: dict[str, Any], change: dict[str, Any], field: str, fragment: str
) -> None:
    response = api.patch(f"/api/v1/campaigns/{campaign['id']}", change)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["field"] == field
    assert fragment in errors[0]["message"]
    assert api.get(f"/api/v1/campaigns/{campaign['id']}").json() == campaign


def test_patch_changes_only_what_is_sent(api: Api, campaign: dict[str, Any]) -> None:
    response = api.patch(
        f"/api/v1/campaigns/{campaign['id']}", {"status": "paused", "name": "Sale"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["name"]) == ("paused", "Sale")
    assert body["ends_at"] == campaign["ends_at"]
    cleared = api.patch(f"/api/v1/campaigns/{campaign['id']}", {"ends_at": None})
    assert cleared.json()["ends_at"] is None


def test_moving_the_end_moves_cued_posts(
    api: Api, campaign: dict[str, Any], channels: dict[str, Any]
) -> None:
    cue = {"campaign_id": campaign["id"], "event": "end", "offset": "-P2D", "time": "09:00"}
    post = api.post(
        "/api/v1/posts",
        {
            "text": "Last days!",
            "targets": [{"channel_id": channels["x"].pk}],
            "schedule": {"cue": cue},
        },
    ).json()
    assert post["targets"][0]["due_at"] == "2027-10-30T07:00:00Z"
    api.patch(f"/api/v1/campaigns/{campaign['id']}", {"ends_at": "2027-11-11T18:00:00+01:00"})
    moved = api.get(f"/api/v1/posts/{post['id']}").json()
    assert moved["targets"][0]["due_at"] == "2027-11-09T08:00:00Z"


def test_creating_validates_everything_at_once(api: Api) -> None:
    response = api.post(
        "/api/v1/campaigns",
        {"name": "", "starts_at": "2027-10-01T09:00:00+02:00", "timezone": "Nowhere/Land"},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"name", "timezone"}
    assert "2 problems" in response.json()["detail"]
    assert not Campaign.objects.exists()


def test_viewer_cannot_create_or_update(api_as: Any, campaign: dict[str, Any]) -> None:
    viewer = api_as(Role.VIEWER)
    response = viewer.post(
        "/api/v1/campaigns", {"name": "No", "starts_at": "2027-10-01T09:00:00+02:00"}
    )
    assert response.status_code == 403
    assert "viewer" in response.json()["detail"]
    assert viewer.patch(f"/api/v1/campaigns/{campaign['id']}", {"name": "x"}).status_code == 403
    assert viewer.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 200
    assert Campaign.objects.count() == 1
