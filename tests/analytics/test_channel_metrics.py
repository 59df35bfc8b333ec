"""Channel figures (followers, reach) for all seven networks, read once a day against the
sandbox, which the test moves over time."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from cuecast.analytics import polling
from cuecast.analytics.models import ChannelMetricDay, ChannelMetricPoll
from cuecast.compliance.models import ApiCall
from cuecast.networks import registry
from tests.analytics.metric_world import MetricsWorld

pytestmark = pytest.mark.django_db

# The sandbox's names for each network's channel figures, and what Cuecast stores from them.
FIGURES = {
    "x": lambda n: ({"followers_count": 100 + n}, {"followers": 100 + n, "reach": None}),
    "mastodon": lambda n: ({"followers_count": 200 + n}, {"followers": 200 + n, "reach": None}),
    "bluesky": lambda n: ({"followersCount": 300 + n}, {"followers": 300 + n, "reach": None}),
    "linkedin": lambda n: ({"firstDegreeSize": 400 + n}, {"followers": 400 + n, "reach": None}),
    "facebook": lambda n: (
        {"followers_count": 500 + n, "page_total_media_view_unique": 50 + n},
        {"followers": 500 + n, "reach": 50 + n},
    ),
    "instagram": lambda n: (
        {"followers_count": 600 + n, "reach": 60 + n},
        {"followers": 600 + n, "reach": 60 + n},
    ),
    "threads": lambda n: ({"followers_count": 700 + n}, {"followers": 700 + n, "reach": None}),
}


def test_every_network_has_channel_figures() -> None:
    assert sorted(FIGURES) == sorted(registry.keys())


@pytest.mark.parametrize("network", sorted(FIGURES))
def test_channel_figures_once_a_day(network: str, actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, network)
    channel = world.channel
    spec = registry.get(network).descriptor.metrics
    zone = ZoneInfo(actor.workspace.timezone)

    sent, stored = FIGURES[network](0)
    sandbox.control.metrics(network, channel.external_id, sent)
    polling.poll_due(world.now)
    today = ChannelMetricDay.objects.get(channel=channel)
    assert {"followers": today.followers, "reach": today.reach} == stored
    assert today.day == world.now.astimezone(zone).date()
    assert today.raw and today.workspace_id == actor.workspace.pk
    calls = ApiCall.objects.filter(channel=channel, purpose="metrics", target_id=None)
    assert calls.count() == spec.account_calls

    # Not again today; the next reading comes after midnight in the workspace's zone.
    # (Still the same local day: START follows the real clock, which may be close to midnight.)
    local = world.now.astimezone(zone)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    polling.poll_due(min(world.now + timedelta(hours=2), midnight - timedelta(minutes=1)))
    assert calls.count() == spec.account_calls
    poll = ChannelMetricPoll.objects.get(channel=channel)
    assert poll.next_poll_at.astimezone(zone).hour == 0
    assert poll.next_poll_at.astimezone(zone).date() == today.day + timedelta(days=1)

    world.now = poll.next_poll_at + timedelta(minutes=5)
    sent, stored = FIGURES[network](7)
    sandbox.control.metrics(network, channel.external_id, sent)
    polling.poll_due(world.now)
    days = list(ChannelMetricDay.objects.filter(channel=channel).order_by("day"))
    assert len(days) == 2
    assert {"followers": days[1].followers, "reach": days[1].reach} == stored
    assert calls.count() == 2 * spec.account_calls


def test_a_disconnected_channel_is_not_read_and_keeps_its_days(actor, sandbox) -> None:
    from cuecast.channels.services import disconnect

    world = MetricsWorld(actor, sandbox, "mastodon")
    sandbox.control.metrics("mastodon", world.channel.external_id, {"followers_count": 42})
    polling.poll_due(world.now)
    disconnect(actor, world.channel)
    polling.poll_due(world.now + timedelta(days=1, hours=1))
    assert ChannelMetricDay.objects.filter(channel=world.channel).count() == 1
    assert ChannelMetricDay.objects.get(channel=world.channel).followers == 42
    assert ApiCall.objects.filter(channel=world.channel, purpose="metrics").count() == 1


def test_a_rate_limited_reading_waits_and_is_tried_again(actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, "x")
    sandbox.control.fault("x", "rate_limit_burst", endpoint="GET /2/users/me")
    polling.poll_due(world.now)
    poll = ChannelMetricPoll.objects.get(channel=world.channel)
    assert not ChannelMetricDay.objects.filter(channel=world.channel).exists()
    assert poll.next_poll_at > world.now and poll.last_error
    world.poll(poll.next_poll_at)  # the sandbox's clock too: X's window has reset
    assert ChannelMetricDay.objects.filter(channel=world.channel).count() == 1
