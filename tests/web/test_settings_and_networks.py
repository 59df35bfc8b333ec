"""The workspace settings page (the late policy; admins and owners change it) and the instance
administrator's network switches (staff only), which channels pages then show."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cuecast.accounts.models import LatePolicy, Role, User
from cuecast.accounts.services import Actor, add_member
from cuecast.channels.models import NetworkSwitch
from cuecast.posts.models import HoldCause, Post, Target, TargetState

pytestmark = pytest.mark.django_db


def test_an_owner_sets_the_late_policy(signed_in: Client, workspace: Any) -> None:
    url = reverse("web:settings", args=["acme"])
    html = signed_in.get(url).content.decode()
    assert "Held posts whose time passed" in html and 'value="publish_late"' in html
    response = signed_in.post(url, {"late_policy": "skip", "late_limit_hours": "4"}, follow=True)
    assert "Saved." in response.content.decode()
    workspace.refresh_from_db()
    assert (workspace.late_policy, workspace.late_limit_hours) == (LatePolicy.SKIP, 4)


def test_a_bad_limit_is_shown_next_to_its_field(signed_in: Client, workspace: Any) -> None:
    url = reverse("web:settings", args=["acme"])
    response = signed_in.post(url, {"late_policy": "publish_late", "late_limit_hours": "999"})
    assert response.status_code == 400
    assert 'id="id_late_limit_hours-errors"' in response.content.decode()
    workspace.refresh_from_db()
    assert workspace.late_limit_hours == 1


def test_an_editor_reads_the_policy_but_cannot_change_it(client: Client, workspace: Any) -> None:
    editor = User.objects.create_user("ed", password="a long enough password")
    add_member(Actor(workspace, Role.OWNER), user=editor, role=Role.EDITOR)
    client.force_login(editor)
    url = reverse("web:settings", args=["acme"])
    html = client.get(url).content.decode()
    assert "disabled" in html and "Only an admin or owner" in html
    assert ">Settings</a>" not in html  # not offered in the navigation either
    client.post(url, {"late_policy": "skip", "late_limit_hours": "1"})
    workspace.refresh_from_db()
    assert workspace.late_policy == LatePolicy.PUBLISH_LATE


def test_the_network_page_is_for_staff_only(signed_in: Client, owner: Any) -> None:
    url = reverse("web:network_switches")
    assert signed_in.get(url).status_code == 403
    post = reverse("web:network_switch", args=["x"])
    assert signed_in.post(post, {"enabled": "off", "reason": "x"}).status_code == 403
    assert not NetworkSwitch.objects.exists()
    owner.is_staff = True
    owner.save()
    html = signed_in.get(url).content.decode()
    assert 'id="network-x"' in html and 'id="network-bluesky"' in html
    assert ">Networks</a>" in signed_in.get(reverse("web:calendar", args=["acme"])).content.decode()


def test_staff_switch_a_network_off_and_on_and_channels_show_it(
    signed_in: Client, owner: Any, workspace: Any, x_channel: Any
) -> None:
    owner.is_staff = True
    owner.save()
    post = Post.objects.create(workspace=workspace, text="Tweet")
    due = post.created_at.replace(year=post.created_at.year + 1)
    target = Target.objects.create(
        post=post, channel=x_channel, state=TargetState.SCHEDULED, due_at=due, next_attempt_at=due
    )
    switch = reverse("web:network_switch", args=["x"])
    refused = signed_in.post(switch, {"enabled": "off", "reason": " "}, follow=True)
    assert "Say why the network is switched off" in refused.content.decode()

    response = signed_in.post(switch, {"enabled": "off", "reason": "X API paywall"}, follow=True)
    assert "X is off: 1 post held." in response.content.decode()
    target.refresh_from_db()
    assert (target.state, target.hold) == (TargetState.HELD, HoldCause.NETWORK)
    channels = signed_in.get(reverse("web:channels", args=["acme"])).content.decode()
    assert "Network switched off" in channels and "X API paywall" in channels

    response = signed_in.post(switch, {"enabled": "on"}, follow=True)
    assert "X is on: 1 post released, 0 skipped" in response.content.decode()
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED
    channels = signed_in.get(reverse("web:channels", args=["acme"])).content.decode()
    assert "Network switched off" not in channels
