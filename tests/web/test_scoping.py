"""Every workspace page is scoped to the person's memberships: another workspace is a 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_post(stranger: Any) -> Any:
    from cuecast.accounts.models import Workspace
    from cuecast.posts.models import Post

    return Post.objects.create(workspace=Workspace.objects.get(slug="other"), text="secret plans")


@pytest.mark.parametrize("name", ["calendar", "compose", "channels"])
def test_pages_of_a_workspace_i_am_not_in_are_404(
    signed_in: Client, stranger: Any, name: str
) -> None:
    assert signed_in.get(reverse(f"web:{name}", args=["other"])).status_code == 404
    assert signed_in.get(reverse(f"web:{name}", args=["no-such-slug"])).status_code == 404


def test_count_endpoint_of_another_workspace_is_404(signed_in: Client, stranger: Any) -> None:
    response = signed_in.post(reverse("web:compose_count", args=["other"]), {"text": "hi"})
    assert response.status_code == 404


def test_a_post_of_another_workspace_is_404_even_under_my_slug(
    signed_in: Client, other_post: Any
) -> None:
    assert signed_in.get(reverse("web:post", args=["other", other_post.pk])).status_code == 404
    assert signed_in.get(reverse("web:post", args=["acme", other_post.pk])).status_code == 404
    cancel = signed_in.post(reverse("web:post_cancel", args=["acme", other_post.pk]))
    assert cancel.status_code == 404


def test_cannot_disconnect_another_workspaces_channel(signed_in: Client, stranger: Any) -> None:
    from cuecast.accounts.models import Workspace
    from cuecast.channels.models import Channel, ChannelStatus

    theirs = Channel.objects.create(
        workspace=Workspace.objects.get(slug="other"),
        network="x",
        external_id="9",
        handle="theirs",
        display_name="Theirs",
    )
    response = signed_in.post(reverse("web:disconnect", args=["acme", theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ChannelStatus.CONNECTED


def test_calendar_does_not_show_another_workspaces_targets(
    signed_in: Client, stranger: Any, workspace: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from cuecast.accounts.models import Workspace
    from cuecast.channels.models import Channel
    from cuecast.posts.models import Post, Target, TargetState

    other = Workspace.objects.get(slug="other")
    channel = Channel.objects.create(
        workspace=other, network="x", external_id="9", handle="theirs", display_name="Theirs"
    )
    post = Post.objects.create(workspace=other, text="their launch teaser")
    due = timezone.now() + timedelta(hours=1)
    Target.objects.create(post=post, channel=channel, state=TargetState.SCHEDULED, due_at=due)
    page = signed_in.get(reverse("web:calendar", args=["acme"]))
    assert b"their launch teaser" not in page.content
