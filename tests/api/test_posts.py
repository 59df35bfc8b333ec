"""Posts through the API: all three schedule kinds, drafts, refusals that create nothing, listing
with filters, cancel and approve, roles."""

from __future__ import annotations

from typing import Any

import pytest

from cuecast.accounts.models import Role, Workspace
from cuecast.posts.models import Post, Target
from tests.api.conftest import Api, row_counts

pytestmark = pytest.mark.django_db


def _create(api: Api, channels: dict[str, Any], schedule: Any = None, **extra: Any) -> Any:
    body: dict[str, Any] = {
        "text": "Our winter sale starts now.",
        "targets": [{"channel_id": channels["x"].pk}, {"channel_id": channels["mastodon"].pk}],
        **extra,
    }
    if schedule is not None:
        body["schedule"] = schedule
    return api.post("/api/v1/posts", body)


def test_schedule_at_an_instant_with_offset(api: Api, channels: dict[str, Any]) -> None:
    response = _create(api, channels, {"at": "2027-12-01T09:00:00+01:00"})
    assert response.status_code == 201, response.content
    post = response.json()
    assert post["schedule"]["kind"] == "at"
    assert post["schedule"]["at"] == "2027-12-01T08:00:00Z"
    assert [t["due_at"] for t in post["targets"]] == ["2027-12-01T08:00:00Z"] * 2
    assert {t["state"] for t in post["targets"]} == {"scheduled"}
    assert {t["network"] for t in post["targets"]} == {"x", "mastodon"}
    first = post["targets"][0]
    assert set(first) >= {
        "channel_id",
        "network",
        "state",
        "due_at",
        "external_id",
        "permalink",
        "reason",
    }
    assert (first["external_id"], first["permalink"], first["reason"], first["attempts"]) == (
        None,
        None,
        None,
        0,
    )


def test_schedule_at_a_local_time_across_the_spring_change(
    api: Api, channels: dict[str, Any]
) -> None:
    # Berlin switches to summer time on 28 March 2027: 09:00 that day is 07:00 UTC.
    response = _create(api, channels, {"local": "2027-03-28T09:00", "tz": "Europe/Berlin"})
    assert response.status_code == 201, response.content
    post = response.json()
    assert post["schedule"] == {
        "kind": "local",
        "at": None,
        "local": "2027-03-28T09:00",
        "tz": "Europe/Berlin",
        "cue": None,
    }
    assert post["targets"][0]["due_at"] == "2027-03-28T07:00:00Z"


def test_a_local_time_skipped_by_the_clocks_is_refused(api: Api, channels: dict[str, Any]) -> None:
    before = row_counts()
    response = _create(api, channels, {"local": "2027-03-28T02:30", "tz": "Europe/Berlin"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "schedule"
    assert "does not exist in Europe/Berlin" in response.json()["errors"][0]["message"]
    assert row_counts() == before


def test_cue_two_days_before_the_end_at_nine_in_berlin_across_dst(
    api: Api, channels: dict[str, Any], campaign: dict[str, Any]
) -> None:
    # The campaign ends 1 Nov 2027 18:00 CET (+01:00); two days before is 30 Oct, still summer
    # time (+02:00), so 09:00 there is 07:00 UTC, not the 08:00 a fixed offset would give.
    cue = {
        "campaign_id": campaign["id"],
        "event": "end",
        "offset": "-P2D",
        "time": "09:00",
        "tz": "Europe/Berlin",
    }
    response = _create(api, channels, {"cue": cue})
    assert response.status_code == 201, response.content
    post = response.json()
    assert post["targets"][0]["due_at"] == "2027-10-30T07:00:00Z"
    assert post["schedule"]["kind"] == "cue"
    assert post["schedule"]["cue"] == {
        "campaign_id": campaign["id"],
        "event": "end",
        "offset": "-P2D",
        "time": "09:00",
        "tz": "Europe/Berlin",
    }


def test_cue_at_the_start_uses_the_campaign_zone(
    api: Api, channels: dict[str, Any], campaign: dict[str, Any]
) -> None:
    cue = {"campaign_id": campaign["id"], "event": "start", "offset": "PT0S"}
    post = _create(api, channels, {"cue": cue}).json()
    assert post["targets"][0]["due_at"] == campaign["starts_at"]
    assert post["schedule"]["cue"]["tz"] == "Europe/Berlin"


def test_without_a_schedule_the_post_is_a_draft(api: Api, channels: dict[str, Any]) -> None:
    response = _create(api, channels)
    assert response.status_code == 201
    post = response.json()
    assert post["schedule"] is None
    assert {t["state"] for t in post["targets"]} == {"draft"}
    assert {t["due_at"] for t in post["targets"]} == {None}


def test_over_long_x_text_is_refused_naming_channel_limit_and_count(
    api: Api, channels: dict[str, Any]
) -> None:
    before = row_counts()
    response = api.post(
        "/api/v1/posts",
        {
            "text": "Short enough everywhere.",
            "targets": [
                {"channel_id": channels["mastodon"].pk},
                {"channel_id": channels["x"].pk, "text": "a" * 281},
            ],
            "schedule": {"at": "2027-12-01T09:00:00+01:00"},
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [
        {
            "field": "targets[1].text",
            "message": f"Too long for {channels['x'].display_name} on X: 281 characters, "
            "the limit is 280 (1 over).",
        }
    ]
    assert body["detail"] == body["errors"][0]["message"]
    assert row_counts() == before  # nothing created, not even the Mastodon target


def test_a_past_schedule_is_refused(api: Api, channels: dict[str, Any]) -> None:
    before = row_counts()
    response = _create(api, channels, {"at": "2024-01-01T09:00:00+00:00"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "schedule"
    assert "already passed" in error["message"]
    assert row_counts() == before


def test_a_channel_listed_twice_is_refused(api: Api, channels: dict[str, Any]) -> None:
    pk = channels["x"].pk
    response = api.post(
        "/api/v1/posts", {"text": "Hi", "targets": [{"channel_id": pk}, {"channel_id": pk}]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "targets[1].channel_id"


def test_get_returns_targets_and_attempts(api: Api, channels: dict[str, Any]) -> None:
    from django.utils import timezone

    from cuecast.publishing.models import PublishAttempt

    post = _create(api, channels, {"at": "2027-12-01T09:00:00+01:00"}).json()
    target = Target.objects.get(post_id=post["id"], channel=channels["x"])
    PublishAttempt.objects.create(target=target, started_at=timezone.now())
    got = api.get(f"/api/v1/posts/{post['id']}")
    assert got.status_code == 200
    attempts = {t["network"]: t["attempts"] for t in got.json()["targets"]}
    assert attempts == {"x": 1, "mastodon": 0}


def test_unknown_post_is_404(api: Api) -> None:
    response = api.get("/api/v1/posts/424242")
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no post 424242 in this workspace."


def test_list_filters_and_pages(
    api: Api, channels: dict[str, Any], campaign: dict[str, Any]
) -> None:
    x, masto = channels["x"].pk, channels["mastodon"].pk
    early = api.post(
        "/api/v1/posts",
        {
            "text": "early",
            "targets": [{"channel_id": x}],
            "schedule": {"at": "2027-01-10T10:00:00Z"},
        },
    ).json()
    late = api.post(
        "/api/v1/posts",
        {
            "text": "late",
            "targets": [{"channel_id": masto}],
            "schedule": {"at": "2027-06-10T10:00:00Z"},
        },
    ).json()
    cued = api.post(
        "/api/v1/posts",
        {
            "text": "cued",
            "targets": [{"channel_id": x}],
            "schedule": {"cue": {"campaign_id": campaign["id"], "event": "start"}},
        },
    ).json()
    draft = api.post("/api/v1/posts", {"text": "draft", "targets": [{"channel_id": masto}]}).json()

    def ids(**params: Any) -> list[int]:
        response = api.get("/api/v1/posts", params)
        assert response.status_code == 200, response.content
        return [p["id"] for p in response.json()["items"]]

    assert ids() == [draft["id"], cued["id"], late["id"], early["id"]]
    assert ids(state="draft") == [draft["id"]]
    assert ids(channel_id=x) == [cued["id"], early["id"]]
    assert ids(campaign_id=campaign["id"]) == [cued["id"]]
    assert ids(due_after="2027-06-01T00:00:00Z") == [cued["id"], late["id"]]
    assert ids(due_before="2027-06-01T00:00:00+00:00") == [early["id"]]
    assert ids(channel_id=masto, state="scheduled") == [late["id"]]

    page = api.get("/api/v1/posts", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 4
    assert (page["limit"], page["offset"]) == (2, 1)
    assert [p["id"] for p in page["items"]] == [cued["id"], late["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "asleep"}, "state"),
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"due_after": "tomorrow"}, "due_after"),
        ({"due_after": "2027-01-01T00:00:00"}, "due_after"),
        ({"channel_id": "x"}, "channel_id"),
    ],
)
def test_list_refuses_bad_filters(api: Api, params: dict[str, Any], field: str) -> None:
    response = api.get("/api/v1/posts", params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_cancel(api: Api, channels: dict[str, Any]) -> None:
    post = _create(api, channels, {"at": "2027-12-01T09:00:00+01:00"}).json()
    response = api.post(f"/api/v1/posts/{post['id']}/cancel")
    assert response.status_code == 200
    assert {t["state"] for t in response.json()["targets"]} == {"cancelled"}
    assert {t["reason"] for t in response.json()["targets"]} == {"Cancelled."}


def test_approval_flow_with_roles(
    api_as: Any, channels: dict[str, Any], workspace: Workspace
) -> None:
    workspace.requires_approval = True
    workspace.save()
    editor, approver = api_as(Role.EDITOR), api_as(Role.APPROVER)

    post = _create(editor, channels, {"at": "2027-12-01T09:00:00+01:00"}).json()
    assert {t["state"] for t in post["targets"]} == {"draft"}
    assert post["approved_at"] is None

    refused = editor.post(f"/api/v1/posts/{post['id']}/approve")
    assert refused.status_code == 403
    assert "editor" in refused.json()["detail"]

    approved = approver.post(f"/api/v1/posts/{post['id']}/approve")
    assert approved.status_code == 200
    assert {t["state"] for t in approved.json()["targets"]} == {"scheduled"}
    assert approved.json()["approved_at"] is not None

    assert _create(approver, channels).status_code == 403  # approvers do not compose


def test_viewer_cannot_create_cancel_or_approve(
    api: Api, api_as: Any, channels: dict[str, Any]
) -> None:
    viewer = api_as(Role.VIEWER)
    before = row_counts()
    response = _create(viewer, channels, {"at": "2027-12-01T09:00:00+01:00"})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your role (viewer) does not allow this: compose.",
        "errors": [],
    }
    assert row_counts() == before

    post = _create(api, channels, {"at": "2027-12-01T09:00:00+01:00"}).json()
    assert viewer.post(f"/api/v1/posts/{post['id']}/cancel").status_code == 403
    assert viewer.post(f"/api/v1/posts/{post['id']}/approve").status_code == 403
    assert viewer.get(f"/api/v1/posts/{post['id']}").json()["targets"][0]["state"] == "scheduled"
    assert viewer.get("/api/v1/posts").json()["count"] == 1
    assert Post.objects.count() == 1
