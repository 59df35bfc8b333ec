"""Recurring series, queue slots and rescheduling through the API: shapes, field-named refusals,
roles and workspace isolation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from cuecast.accounts.models import Role
from cuecast.posts.models import Post, Series, Target
from cuecast.publishing import dispatcher
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def _series_body(channels: dict[str, Any], **repeat: Any) -> dict[str, Any]:
    return {
        "text": "Tip of the week",
        "targets": [{"channel_id": channels["x"].pk}, {"channel_id": channels["mastodon"].pk}],
        "repeat": {
            "start": "2027-03-22T09:00",
            "tz": "Europe/Berlin",
            "weekdays": ["mon", "wed"],
            "count": 6,
            **repeat,
        },
    }


def _create_series(api: Api, channels: dict[str, Any], **repeat: Any) -> dict[str, Any]:
    response = api.post("/api/v1/series", _series_body(channels, **repeat))
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_create_a_recurring_post(api: Api, channels: dict[str, Any]) -> None:
    series = _create_series(api, channels)
    assert series["state"] == "active"
    assert series["repeat"] == {
        "start": "2027-03-22T09:00",
        "tz": "Europe/Berlin",
        "frequency": "weekly",
        "interval": 1,
        "weekdays": ["mon", "wed"],
        "month_day": None,
        "until": None,
        "count": 6,
        "description": "Every week on Monday, Wednesday at 09:00 (Europe/Berlin), "
        "from 2027-03-22, 6 times.",
    }
    # The next occurrence exists as an ordinary post, however far ahead it is.
    [first] = series["upcoming"]
    assert first["at"] == "2027-03-22T08:00:00Z" and first["states"] == ["scheduled"] * 2
    post = api.get(f"/api/v1/posts/{first['post_id']}").json()
    assert post["series_id"] == series["id"]
    assert post["schedule"]["local"] == "2027-03-22T09:00"


def test_a_weekly_series_without_weekdays_takes_its_first_days(
    api: Api, channels: dict[str, Any]
) -> None:
    series = _create_series(api, channels, weekdays=[], start="2027-03-24T09:00")
    assert series["repeat"]["weekdays"] == ["wed"]


def test_refusals_name_the_field_and_create_nothing(api: Api, channels: dict[str, Any]) -> None:
    bad_day = api.post("/api/v1/series", _series_body(channels, weekdays=["monday"]))
    assert bad_day.status_code == 422
    assert bad_day.json()["errors"][0]["field"] == "repeat.weekdays[0]"
    both = api.post("/api/v1/series", _series_body(channels, until="2027-06-30"))
    assert both.status_code == 422
    assert both.json()["errors"] == [
        {"field": "repeat.until", "message": "Give an end date or a number of posts, not both."}
    ]
    past = api.post("/api/v1/series", _series_body(channels, start="2020-01-06T09:00"))
    assert past.json()["errors"][0]["field"] == "repeat.start"
    bad_zone = api.post("/api/v1/series", _series_body(channels, tz="Mars/Olympus"))
    assert bad_zone.json()["errors"][0]["field"] == "repeat.tz"
    assert Series.objects.count() == 0 and Post.objects.count() == 0


def test_list_edit_end_and_cancel(api: Api, channels: dict[str, Any]) -> None:
    series = _create_series(api, channels)
    listed = api.get("/api/v1/series").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == series["id"]

    edited = api.patch(
        f"/api/v1/series/{series['id']}",
        {
            "text": "Tip of the week, now at ten",
            "repeat": {**_series_body(channels)["repeat"], "start": "2027-03-22T10:00"},
        },
    )
    assert edited.status_code == 200, edited.content
    [first] = edited.json()["upcoming"]
    assert first["at"] == "2027-03-22T09:00:00Z"
    assert Post.objects.get(pk=first["post_id"]).text == "Tip of the week, now at ten"
    assert Post.objects.filter(series_id=series["id"]).count() == 1  # the old one was replaced

    null_text = api.patch(f"/api/v1/series/{series['id']}", {"text": None})
    assert null_text.status_code == 422 and null_text.json()["errors"][0]["field"] == "text"

    ended = api.post(f"/api/v1/series/{series['id']}/end", {"last_day": "2027-03-25"})
    assert ended.status_code == 200, ended.content
    assert ended.json()["repeat"]["until"] == "2027-03-25"

    cancelled = api.post(f"/api/v1/series/{series['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["upcoming"][0]["states"] == ["cancelled"] * 2


def test_end_now_without_a_body(api: Api, channels: dict[str, Any]) -> None:
    series = _create_series(api, channels)
    ended = api.post(f"/api/v1/series/{series['id']}/end")
    assert ended.status_code == 200, ended.content
    assert ended.json()["state"] == "ended" and ended.json()["upcoming"] == []


def test_another_workspace_sees_no_series(
    api: Api, other_api: Api, channels: dict[str, Any]
) -> None:
    series = _create_series(api, channels)
    assert other_api.get("/api/v1/series").json()["count"] == 0
    for path in (f"/api/v1/series/{series['id']}", f"/api/v1/channels/{channels['x'].pk}/slots"):
        assert other_api.get(path).status_code == 404, path
    assert other_api.post(f"/api/v1/series/{series['id']}/cancel").status_code == 404
    assert other_api.patch(f"/api/v1/series/{series['id']}", {"text": "mine"}).status_code == 404
    assert Series.objects.get().state == "active"


def test_queue_slots_set_and_read(api: Api, api_as: Any, channels: dict[str, Any]) -> None:
    path = f"/api/v1/channels/{channels['x'].pk}/slots"
    assert api.get(path).json()["slots"] == []
    client = api.client
    response = client.put(
        path,
        '{"slots": [{"weekday": "thu", "time": "17:30"}, {"weekday": "tue", "time": "09:00"}]}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["slots"] == [
        {"weekday": "tue", "time": "09:00"},
        {"weekday": "thu", "time": "17:30"},
    ]
    assert body["timezone"] == "Europe/Berlin" and body["next_free"] is not None
    editor = api_as(Role.EDITOR)
    refused = editor.client.put(
        path,
        '{"slots": []}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {editor.key}"},
    )
    assert refused.status_code == 403


def _put_slots(api: Api, channel_id: int, slots: list[dict[str, str]]) -> None:
    import json

    response = api.client.put(
        f"/api/v1/channels/{channel_id}/slots",
        json.dumps({"slots": slots}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert response.status_code == 200, response.content


def test_create_into_the_queue_and_queue_a_draft(api: Api, channels: dict[str, Any]) -> None:
    _put_slots(api, channels["x"].pk, [{"weekday": "tue", "time": "09:00"}])
    _put_slots(api, channels["mastodon"].pk, [{"weekday": "fri", "time": "12:00"}])
    body = {
        "text": "Whenever there is room",
        "targets": [{"channel_id": channels["x"].pk}, {"channel_id": channels["mastodon"].pk}],
        "schedule": {"queue": True},
    }
    created = api.post("/api/v1/posts", body)
    assert created.status_code == 201, created.content
    post = created.json()
    assert post["schedule"]["kind"] == "queue"
    dues = {t["network"]: t["due_at"] for t in post["targets"]}
    assert datetime.fromisoformat(dues["x"]).weekday() == 1  # Tuesday 09:00 Berlin is Tuesday UTC
    assert datetime.fromisoformat(dues["mastodon"]).weekday() == 4

    draft = api.post("/api/v1/posts", {**body, "text": "Later", "schedule": None})
    assert {t["state"] for t in draft.json()["targets"]} == {"draft"}
    queued = api.post(f"/api/v1/posts/{draft.json()['id']}/queue")
    assert queued.status_code == 200, queued.content
    result = queued.json()
    assert result["message"] == "Moved: all 2 channels go out at their new time."
    later = {t["network"]: t["due_at"] for t in result["post"]["targets"]}
    assert later["x"] > dues["x"] and later["mastodon"] > dues["mastodon"]  # the next free slots


def test_queueing_without_slots_names_the_channel(api: Api, channels: dict[str, Any]) -> None:
    body = {
        "text": "No room",
        "targets": [{"channel_id": channels["x"].pk}],
        "schedule": {"queue": True},
    }
    response = api.post("/api/v1/posts", body)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "schedule" and "has no queue slots yet" in error["message"]


def test_reschedule_reports_a_target_already_on_its_way(api: Api, channels: dict[str, Any]) -> None:
    due = timezone.now() + timedelta(hours=1)
    created = api.post(
        "/api/v1/posts",
        {
            "text": "Moving target",
            "targets": [{"channel_id": channels["x"].pk}, {"channel_id": channels["mastodon"].pk}],
            "schedule": {"at": due.isoformat()},
        },
    ).json()
    x_target = Target.objects.get(post_id=created["id"], channel=channels["x"])
    assert dispatcher.claim("w1", due, 1) == [x_target.pk]

    response = api.post(
        f"/api/v1/posts/{created['id']}/reschedule",
        {"local": "2027-05-03T09:00", "tz": "Europe/Berlin"},
    )
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["message"] == "Already being published on X; the other channel was moved."
    assert result["left_alone"] == [
        {
            "target_id": x_target.pk,
            "network": "X",
            "channel": channels["x"].display_name,
            "state": "publishing",
        }
    ]
    targets = {t["network"]: t for t in result["post"]["targets"]}
    assert targets["mastodon"]["due_at"] == "2027-05-03T07:00:00Z"
    assert targets["x"]["state"] == "publishing"
    assert result["moved_target_ids"] == [targets["mastodon"]["id"]]


def test_reschedule_refusals(
    api: Api, api_as: Any, other_api: Api, channels: dict[str, Any]
) -> None:
    created = api.post(
        "/api/v1/posts",
        {
            "text": "Stay",
            "targets": [{"channel_id": channels["x"].pk}],
            "schedule": {"at": "2027-05-01T09:00:00Z"},
        },
    ).json()
    path = f"/api/v1/posts/{created['id']}/reschedule"
    two_kinds = api.post(path, {"at": "2027-05-01T10:00:00Z", "queue": True})
    assert two_kinds.status_code == 422 and "exactly one" in two_kinds.json()["detail"]
    past = api.post(path, {"at": "2020-05-01T10:00:00Z"})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "schedule"
    assert api_as(Role.VIEWER).post(path, {"at": "2027-05-01T10:00:00Z"}).status_code == 403
    assert other_api.post(path, {"at": "2027-05-01T10:00:00Z"}).status_code == 404
    assert (
        Target.objects.get(post_id=created["id"]).due_at.isoformat() == "2027-05-01T09:00:00+00:00"
    )
