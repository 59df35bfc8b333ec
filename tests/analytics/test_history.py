"""History that stays: disconnecting a channel or switching a network off keeps every figure
collected, ends the polls with the reason, and reports can say "final as of …"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from cuecast.accounts.demo import sandbox_account
from cuecast.accounts.services import create_workspace
from cuecast.analytics import selectors
from cuecast.analytics.models import (
    ChannelMetricDay,
    FinalReason,
    MetricPoll,
    PostMetricDay,
    PostMetricSnapshot,
)
from cuecast.channels.models import Channel, ChannelStatus, NetworkSwitch
from cuecast.channels.services import disconnect, save_connected_account
from tests.analytics.metric_world import MetricsWorld, day_sums, metric_calls

pytestmark = pytest.mark.django_db


def collected(world: MetricsWorld, network_figures: dict[str, int]):
    target = world.publish("Figures that stay")
    world.set_figures(target, network_figures)
    world.poll(target.published_at + timedelta(minutes=15))
    world.poll(target.published_at + timedelta(hours=1))
    return target


def test_disconnecting_keeps_the_figures_and_ends_the_polls(actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, "mastodon")
    target = collected(world, {"favourites_count": 8, "reblogs_count": 2})
    last = target.published_at + timedelta(hours=1)
    days_before = list(PostMetricDay.objects.filter(target=target).values())

    disconnect(actor, world.channel)
    world.poll(target.published_at + timedelta(hours=3))

    poll = MetricPoll.objects.get(target=target)
    assert poll.final_reason == FinalReason.DISCONNECTED and poll.next_poll_at is None
    assert metric_calls(target) == 2  # nothing after the disconnection
    assert PostMetricSnapshot.objects.filter(target=target).count() == 2
    assert list(PostMetricDay.objects.filter(target=target).values()) == days_before
    assert day_sums(target)["likes"] == 8

    final = selectors.final_as_of(actor.workspace, target.pk)
    assert final is not None and final.reason == FinalReason.DISCONNECTED and final.at == last
    with translation.override("en"):
        assert final.text.startswith("Final as of ") and "disconnected" in final.text


def test_the_final_sentence_keeps_the_reasons_capitals_in_german(actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, "mastodon")
    target = collected(world, {"favourites_count": 1})
    disconnect(actor, world.channel)
    world.poll(target.published_at + timedelta(hours=3))
    final = selectors.final_as_of(actor.workspace, target.pk)
    assert final is not None
    with translation.override("de"):
        assert final.text.startswith("Endgültig mit Stand ")
        assert final.text.endswith(": der Kanal wurde getrennt.")  # "Kanal", a noun: capital


def test_reconnecting_resumes_inside_the_window(actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, "mastodon")
    target = collected(world, {"favourites_count": 3})
    disconnect(actor, world.channel)
    world.poll(target.published_at + timedelta(hours=3))
    save_connected_account(actor, "mastodon", sandbox_account(sandbox.url, "mastodon"))

    world.set_figures(target, {"favourites_count": 5})
    back = target.published_at + timedelta(days=2, hours=2)
    world.poll(back)  # resumed at the next planned time after now: day 3
    poll = MetricPoll.objects.get(target=target)
    assert not poll.final_reason and poll.next_poll_at == target.published_at + timedelta(days=3)
    world.poll(poll.next_poll_at)
    assert day_sums(target)["likes"] == 5
    assert selectors.final_as_of(actor.workspace, target.pk) is None


def test_a_network_switched_off_keeps_its_figures_and_resumes_when_on(actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, "x")
    target = collected(world, {"like_count": 11, "impression_count": 300})
    NetworkSwitch.objects.create(network="x", enabled=False, reason="Contract under review")
    world.poll(target.published_at + timedelta(hours=3))
    poll = MetricPoll.objects.get(target=target)
    assert poll.final_reason == FinalReason.SWITCHED_OFF
    assert metric_calls(target) == 2
    assert day_sums(target)["impressions"] == 300
    final = selectors.final_as_of(actor.workspace, target.pk)
    assert final is not None and final.reason == FinalReason.SWITCHED_OFF

    NetworkSwitch.objects.filter(network="x").update(enabled=True)
    world.poll(target.published_at + timedelta(hours=6, minutes=1))
    world.poll(target.published_at + timedelta(hours=12))
    poll.refresh_from_db()
    assert not poll.final_reason and poll.polls_done == 3


def test_access_revoked_while_polling_disconnects_the_channel(actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, "mastodon")
    target = collected(world, {"favourites_count": 6})
    sandbox.control.fault("mastodon", "revoke_token", user="demo")
    world.poll(target.published_at + timedelta(hours=3))
    channel = Channel.objects.get(pk=world.channel.pk)
    assert channel.status == ChannelStatus.DISCONNECTED and channel.status_reason
    poll = MetricPoll.objects.get(target=target)
    assert poll.final_reason == FinalReason.DISCONNECTED
    assert day_sums(target)["likes"] == 6


def test_deleting_nothing_when_a_channel_goes(actor, sandbox) -> None:
    """Channel days stay too, and another workspace sees none of it."""
    world = MetricsWorld(actor, sandbox, "mastodon")
    target = collected(world, {"favourites_count": 1})
    disconnect(actor, world.channel)
    world.poll(target.published_at + timedelta(hours=3))
    assert ChannelMetricDay.objects.filter(channel=world.channel).exists()
    other = create_workspace(slug="other", name="Other", owner=actor.user)
    assert selectors.final_as_of(other, target.pk) is None
    assert selectors.latest_snapshot(other, target.pk) is None
    assert selectors.latest_snapshot(actor.workspace, target.pk) is not None
