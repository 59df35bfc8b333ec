"""Settling a target that needs a check over the API: confirm-published and publish-again, for
editors and up, only in the key's workspace, refused with 409 once the target moved on. And the
workspace's late policy: everyone reads it, admins change it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cuecast.accounts.models import AuditEvent, Role
from cuecast.posts.models import Target, TargetState
from tests.api.conftest import Api
from tests.checks_support import needs_check_target

pytestmark = pytest.mark.django_db


@pytest.fixture
def bluesky_target(workspace: Any) -> Target:
    from cuecast.channels.models import Channel

    channel = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        external_id="did:plc:acme123",
        handle="acme.bsky.social",
        display_name="ACME on Bluesky",
    )
    return needs_check_target(workspace, channel)


def _path(target: Target, action: str) -> str:
    return f"/api/v1/posts/{target.post_id}/targets/{target.pk}/{action}"


def test_confirm_published_reads_the_records_id_from_the_link(
    api_as: Callable[[Role], Api], bluesky_target: Target
) -> None:
    link = "https://bsky.app/profile/acme.bsky.social/post/3lbqjvmh5yk2a"
    response = api_as(Role.EDITOR).post(
        _path(bluesky_target, "confirm-published"), {"permalink": link}
    )
    assert response.status_code == 200, response.content
    [target] = response.json()["targets"]
    assert target["state"] == "published" and target["permalink"] == link
    assert target["external_id"] == "at://did:plc:acme123/app.bsky.feed.post/3lbqjvmh5yk2a"
    assert AuditEvent.objects.filter(action="target.confirmed_published").count() == 1


def test_confirm_published_without_a_link(api: Api, bluesky_target: Target) -> None:
    response = api.post(_path(bluesky_target, "confirm-published"), {})
    assert response.status_code == 200, response.content
    assert response.json()["targets"][0]["state"] == "published"


def test_a_link_that_is_not_a_web_address_names_the_field(api: Api, bluesky_target: Target) -> None:
    response = api.post(_path(bluesky_target, "confirm-published"), {"permalink": "ftp://x/y"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "permalink"


def test_publish_again_gives_a_fresh_idempotency_key(api: Api, bluesky_target: Target) -> None:
    before = bluesky_target.idempotency_key
    response = api.post(_path(bluesky_target, "publish-again"))
    assert response.status_code == 200, response.content
    assert response.json()["targets"][0]["state"] == "scheduled"
    bluesky_target.refresh_from_db()
    assert bluesky_target.idempotency_key != before and bluesky_target.progress == {}
    # Settled: a second press finds nothing to settle.
    again = api.post(_path(bluesky_target, "publish-again"))
    assert again.status_code == 409
    assert "changed while you were looking at it" in again.json()["detail"]


@pytest.mark.parametrize("role", [Role.APPROVER, Role.VIEWER])
def test_roles_below_editor_may_not_settle(
    api_as: Callable[[Role], Api], bluesky_target: Target, role: Role
) -> None:
    for action in ("confirm-published", "publish-again"):
        response = api_as(role).post(_path(bluesky_target, action), {})
        assert response.status_code == 403, response.content
    bluesky_target.refresh_from_db()
    assert bluesky_target.state == TargetState.UNCONFIRMED


def test_another_workspace_sees_neither_the_post_nor_the_target(
    other_api: Api, api: Api, bluesky_target: Target, workspace: Any
) -> None:
    for action in ("confirm-published", "publish-again"):
        assert other_api.post(_path(bluesky_target, action), {}).status_code == 404
    # A target of another post of the same workspace is not this post's.
    other = needs_check_target(workspace, bluesky_target.channel, "Another")
    wrong = f"/api/v1/posts/{bluesky_target.post_id}/targets/{other.pk}/publish-again"
    assert api.post(wrong).status_code == 404
    bluesky_target.refresh_from_db()
    assert bluesky_target.state == TargetState.UNCONFIRMED


def test_the_late_policy_is_read_by_all_and_changed_by_admins(
    api_as: Callable[[Role], Api],
) -> None:
    viewer, admin = api_as(Role.VIEWER), api_as(Role.ADMIN)
    assert viewer.get("/api/v1/workspace/late-policy").json() == {
        "late_policy": "publish_late",
        "late_limit_hours": 1,
    }
    refused = viewer.patch("/api/v1/workspace/late-policy", {"late_policy": "skip"})
    assert refused.status_code == 403
    assert admin.patch("/api/v1/workspace/late-policy", {"late_limit_hours": 6}).json() == {
        "late_policy": "publish_late",
        "late_limit_hours": 6,
    }
    assert admin.patch("/api/v1/workspace/late-policy", {"late_policy": "skip"}).json() == {
        "late_policy": "skip",
        "late_limit_hours": 6,
    }
    too_long = admin.patch("/api/v1/workspace/late-policy", {"late_limit_hours": 500})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "late_limit_hours"
