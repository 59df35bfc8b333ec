"""The instance-wide network switch: every known network is on until switched, only staff (or
the CLI) switch it, a repeated "off" updates the reason on every held post, and every workspace
with a channel on it gets an audit event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cuecast.accounts.models import AuditEvent, User
from cuecast.channels.models import Channel
from cuecast.channels.switches import SwitchRefused, switch_network, switched_off, switches
from cuecast.networks import registry
from cuecast.posts.models import HoldCause, Post, Target, TargetState

pytestmark = pytest.mark.django_db


@pytest.fixture
def x_target(workspace: Any) -> Target:
    channel = Channel.objects.create(
        workspace=workspace, network="x", external_id="1", handle="acme", display_name="ACME"
    )
    post = Post.objects.create(workspace=workspace, text="On X")
    due = timezone.now() + timedelta(hours=1)
    return Target.objects.create(
        post=post, channel=channel, state=TargetState.SCHEDULED, due_at=due, next_attempt_at=due
    )


def test_every_network_is_on_until_switched() -> None:
    listed = switches()
    assert list(listed) == registry.keys()
    assert all(s.enabled for s in listed.values()) and switched_off() == {}


def test_only_staff_may_switch(db: None) -> None:
    member = User.objects.create_user("ed", password="a long enough password")
    with pytest.raises(SwitchRefused, match="Only an administrator"):
        switch_network("x", enabled=False, reason="paywall", by=member)
    staff = User.objects.create_user("sam", password="a long enough password", is_staff=True)
    switch_network("x", enabled=False, reason="paywall", by=staff)
    switch = switched_off()["x"]
    assert (switch.reason, switch.changed_by) == ("paywall", staff)


def test_switching_off_again_updates_the_reason_on_held_posts(x_target: Target) -> None:
    switch_network("x", enabled=False, reason="API paywall")
    switch_network("x", enabled=False, reason="API paywall; moving to Basic tier tomorrow")
    x_target.refresh_from_db()
    assert (x_target.state, x_target.hold) == (TargetState.HELD, HoldCause.NETWORK)
    assert "moving to Basic tier tomorrow" in x_target.reason
    assert x_target.events.count() == 1  # held once


def test_each_workspace_with_a_channel_on_it_is_told(x_target: Target, workspace: Any) -> None:
    staff = User.objects.create_user("sam", password="a long enough password", is_staff=True)
    switch_network("x", enabled=False, reason="paywall", by=staff)
    switch_network("x", enabled=True, by=staff)
    actions = list(
        AuditEvent.objects.filter(workspace=workspace).values_list("action", "actor__username")
    )
    assert ("network.switched_off", "sam") in actions and ("network.switched_on", "sam") in actions
    assert not AuditEvent.objects.exclude(workspace=workspace).filter(action__startswith="network")
