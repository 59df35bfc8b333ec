""" "Needs your check": the badge, the list, the panel on the post page with its evidence, and the
two buttons (it was published / publish again), role-checked and scoped to the workspace."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cuecast.accounts.models import AuditEvent, Role, User
from cuecast.accounts.services import Actor, add_member
from cuecast.analytics.models import MetricPoll
from cuecast.posts.models import Target, TargetState
from tests.checks_support import needs_check_target

pytestmark = pytest.mark.django_db


@pytest.fixture
def insta_channel(workspace: Any) -> Any:
    from cuecast.channels.models import Channel

    return Channel.objects.create(
        workspace=workspace,
        network="instagram",
        external_id="17841400000000001",
        handle="acme.shop",
        display_name="ACME on Instagram",
    )


def _html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return str(response.content.decode())


def test_the_badge_counts_what_needs_a_check_and_the_list_shows_the_evidence(
    signed_in: Client, workspace: Any, masto_channel: Any, insta_channel: Any
) -> None:
    calendar = _html(signed_in, reverse("web:calendar", args=["acme"]))
    assert "Needs your check" not in calendar  # nothing to check: no link in the way
    needs_check_target(workspace, masto_channel, "Toot to check")
    needs_check_target(workspace, insta_channel, "Photo to check")
    calendar = _html(signed_in, reverse("web:calendar", args=["acme"]))
    assert "Needs your check" in calendar and 'aria-label="2 posts">2</span>' in calendar

    html = _html(signed_in, reverse("web:checks", args=["acme"]))
    assert "Toot to check" in html and "Photo to check" in html
    # Every attempt: time, worker, outcome, HTTP status, error.
    assert "host-a:101:abc123" in html and "host-b:202:def456" in html
    assert "<td>503</td>" in html and "outcome_unknown" in html
    # What was looked up and where, from each network's capabilities.
    assert "idempotency key" in html and "timeline on Mastodon" in html
    assert "container 17890000000000001" in html
    # Where to look: the channel's profile on the network.
    assert 'href="https://social.example/@acme"' in html
    assert 'href="https://www.instagram.com/acme.shop/"' in html
    assert html.count("It was published") == 2 and html.count("Publish again") >= 2


def test_the_post_page_shows_the_panel_only_while_a_check_is_needed(
    signed_in: Client, workspace: Any, masto_channel: Any
) -> None:
    target = needs_check_target(workspace, masto_channel)
    url = reverse("web:post", args=["acme", target.post_id])
    assert f'id="check-{target.pk}"' in _html(signed_in, url)
    Target.objects.filter(pk=target.pk).update(next_attempt_at=target.due_at)  # still looking
    assert f'id="check-{target.pk}"' not in _html(signed_in, url)


def test_it_was_published_records_the_link_and_the_id_it_names(
    signed_in: Client, workspace: Any, masto_channel: Any
) -> None:
    target = needs_check_target(workspace, masto_channel)
    post_url = reverse("web:post", args=["acme", target.post_id])
    link = "https://social.example/@acme/113000000000000042"
    response = signed_in.post(
        reverse("web:confirm_published", args=["acme", target.pk]),
        {"permalink": link, "next": post_url},
    )
    assert response.status_code == 302 and response["Location"] == post_url
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED
    assert (target.permalink, target.external_id) == (link, "113000000000000042")
    assert target.reason == "olivia confirmed it was published."
    assert target.events.get().kind == "confirmed"
    assert MetricPoll.objects.filter(target=target).exists()  # its metrics come back too
    audit = AuditEvent.objects.get(action="target.confirmed_published")
    assert audit.object_id == str(target.pk) and audit.actor.username == "olivia"  # type: ignore[union-attr]
    html = _html(signed_in, post_url)
    assert "Confirmed published" in html and f'id="check-{target.pk}"' not in html


def test_a_link_that_is_not_a_web_address_is_refused(
    signed_in: Client, workspace: Any, masto_channel: Any
) -> None:
    target = needs_check_target(workspace, masto_channel)
    response = signed_in.post(
        reverse("web:confirm_published", args=["acme", target.pk]),
        {"permalink": "javascript:alert(1)"},
        follow=True,
    )
    assert "starting with https://" in response.content.decode()
    target.refresh_from_db()
    assert target.state == TargetState.UNCONFIRMED


def test_publish_again_schedules_it_now_with_a_fresh_key_and_no_progress(
    signed_in: Client, workspace: Any, masto_channel: Any
) -> None:
    target = needs_check_target(workspace, masto_channel)
    old_key = target.idempotency_key
    response = signed_in.post(reverse("web:publish_again", args=["acme", target.pk]), follow=True)
    assert "It goes out again now, as a new post." in response.content.decode()
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED and target.next_attempt_at is not None
    assert target.idempotency_key != old_key
    assert (target.progress, target.published_parts, target.attempt_count) == ({}, [], 0)
    assert target.events.get().kind == "republish"
    assert AuditEvent.objects.filter(action="target.publish_again").count() == 1


def test_a_target_that_moved_meanwhile_is_not_changed(
    signed_in: Client, workspace: Any, masto_channel: Any
) -> None:
    target = needs_check_target(workspace, masto_channel)
    Target.objects.filter(pk=target.pk).update(
        state=TargetState.PUBLISHED, external_id="found-late"
    )
    response = signed_in.post(reverse("web:publish_again", args=["acme", target.pk]), follow=True)
    assert "changed while you were looking at it" in response.content.decode()
    target.refresh_from_db()
    assert (target.state, target.external_id) == (TargetState.PUBLISHED, "found-late")


def test_a_viewer_sees_the_evidence_but_cannot_settle(
    client: Client, workspace: Any, masto_channel: Any
) -> None:
    viewer = User.objects.create_user("vera", password="a long enough password")
    add_member(Actor(workspace, Role.OWNER), user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    target = needs_check_target(workspace, masto_channel)
    html = _html(client, reverse("web:post", args=["acme", target.post_id]))
    assert "What Cuecast looked up" in html and "It was published" not in html
    response = client.post(reverse("web:confirm_published", args=["acme", target.pk]), follow=True)
    assert "does not allow settling posts" in response.content.decode()
    target.refresh_from_db()
    assert target.state == TargetState.UNCONFIRMED


def test_another_workspaces_target_does_not_exist_here(
    client: Client, stranger: Any, workspace: Any, masto_channel: Any
) -> None:
    target = needs_check_target(workspace, masto_channel)
    client.force_login(stranger)
    for name in ("web:confirm_published", "web:publish_again"):
        assert client.post(reverse(name, args=["other", target.pk])).status_code == 404
        assert client.post(reverse(name, args=["acme", target.pk])).status_code == 404
    assert "Did this go out?" not in _html(client, reverse("web:checks", args=["other"]))
    target.refresh_from_db()
    assert target.state == TargetState.UNCONFIRMED


def test_the_panel_speaks_german(
    signed_in: Client, owner: Any, workspace: Any, masto_channel: Any
) -> None:
    owner.language = "de"
    owner.save()
    needs_check_target(workspace, masto_channel)
    html = _html(signed_in, reverse("web:checks", args=["acme"]))
    assert "Bitte prüfen" in html and "Er wurde veröffentlicht" in html
    assert "Erneut veröffentlichen" in html and "Was Cuecast nachgesehen hat" in html
