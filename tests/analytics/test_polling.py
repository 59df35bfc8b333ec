"""The metric collector end to end against the sandbox: figures change over time, every planned
poll reads them, the days sum to the network's latest figures exactly, the ledger's metric calls
equal the plan, and nothing is polled past the network's window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from cuecast.analytics import plan, polling
from cuecast.analytics.models import FinalReason, MetricPoll, PostMetricDay, PostMetricSnapshot
from cuecast.analytics.normalize import post_figures
from cuecast.compliance.models import ApiCall
from tests.analytics.metric_world import START, MetricsWorld, day_sums, metric_calls

pytestmark = pytest.mark.django_db


def growing(names: tuple[str, ...], dropping: str) -> Callable[[int], dict[str, int]]:
    """Figures that grow at every step, except `dropping`, which loses one at step 3 (an
    unlike): counters that go down must still sum to the network's figure."""

    def at(step: int) -> dict[str, int]:
        figures = {name: (k + 2) * (step + 1) * 3 for k, name in enumerate(names)}
        if step == 3:
            figures[dropping] = (names.index(dropping) + 2) * 3 * 3 - 1
        return figures

    return at


CASES = {
    "x": growing(
        (
            "like_count",
            "retweet_count",
            "reply_count",
            "quote_count",
            "bookmark_count",
            "impression_count",
            "url_link_clicks",
        ),
        "like_count",
    ),
    "mastodon": growing(
        ("favourites_count", "reblogs_count", "replies_count", "quotes_count"), "favourites_count"
    ),
    "instagram": growing(
        ("views", "reach", "likes", "comments", "shares", "saved", "like_count", "comments_count"),
        "likes",
    ),
}


@pytest.mark.parametrize("network", sorted(CASES))
def test_every_planned_poll_reads_the_figures_and_the_days_sum_to_them(
    network: str, actor, sandbox
) -> None:
    world = MetricsWorld(actor, sandbox, network)
    target = world.publish(f"Figures over time on {network}")
    spec = plan.spec_of(network)
    checkpoints = plan.schedule(target.published_at, spec.horizon)
    assert len(checkpoints) > 6  # the decaying hours, then days

    latest: dict[str, int] = {}
    for step, at in enumerate(checkpoints):
        latest = CASES[network](step)
        world.now = at
        world.set_figures(target, latest)
        assert world.poll(at) >= 1
        assert world.poll(at) == 0  # polled once, not again at the same time

    poll = MetricPoll.objects.get(target=target)
    assert poll.final_reason == FinalReason.HORIZON and poll.next_poll_at is None
    assert poll.polls_done == len(checkpoints)
    assert PostMetricSnapshot.objects.filter(target=target).count() == len(checkpoints)

    # The days sum to the network's latest figures, normalised, exactly.
    expected = post_figures(spec, latest)
    assert day_sums(target) == expected
    assert any(v is not None for v in expected.values())

    # The call counts show the plan, no more.
    end = checkpoints[-1]
    assert metric_calls(target) == plan.planned_calls(target, end)
    assert metric_calls(target) == len(checkpoints) * spec.calls_per_poll

    # Nothing after the window: the ledger stays as it is.
    after = target.published_at + spec.horizon + timedelta(days=3)
    polling.poll_due(after)
    assert metric_calls(target) == plan.planned_calls(target, after)


def test_an_unlike_is_a_negative_gain_on_its_day(actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, "mastodon")
    target = world.publish("Liked, then less liked")
    first, second, *_ = plan.schedule(target.published_at, plan.spec_of("mastodon").horizon)
    world.set_figures(target, {"favourites_count": 10})
    world.poll(first)
    world.set_figures(target, {"favourites_count": 7})
    world.poll(second + timedelta(days=2))  # a later day in the workspace's zone
    days = list(PostMetricDay.objects.filter(target=target).order_by("day"))
    assert [d.likes for d in days] == [10, -3]
    assert sum(d.likes for d in days) == 7
    assert days[0].impressions is None  # Mastodon has no impressions: NULL, never 0


def test_missed_polls_are_not_caught_up(actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, "x")
    target = world.publish("The worker was down for two days")
    world.poll(target.published_at + timedelta(days=2, minutes=5))
    poll = MetricPoll.objects.get(target=target)
    assert poll.polls_done == 1 and metric_calls(target) == 1
    assert poll.next_poll_at == target.published_at + timedelta(days=3)


def test_rate_limited_poll_moves_to_the_networks_time_and_is_not_counted(actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, "x")
    target = world.publish("Too many questions")
    first = target.published_at + timedelta(minutes=15)
    sandbox.control.fault("x", "rate_limit_burst", endpoint="GET /2/tweets/{id}")
    world.poll(first)
    poll = MetricPoll.objects.get(target=target)
    assert poll.polls_done == 0 and poll.last_polled_at is None
    assert poll.next_poll_at is not None and poll.next_poll_at > first
    assert "limit" in poll.last_error.lower() or poll.last_error
    before = ApiCall.objects.filter(target_id=target.pk).count()
    world.poll(first + timedelta(seconds=1))  # before the time X named: no call
    assert ApiCall.objects.filter(target_id=target.pk).count() == before
    for _round in range(3):  # the rate budgets may add their own margin to X's reset time
        world.poll(poll.next_poll_at)
        poll.refresh_from_db()
        if poll.polls_done:
            break
    assert poll.polls_done == 1 and not poll.last_error
    statuses = list(ApiCall.objects.filter(target_id=target.pk).values_list("status", flat=True))
    assert statuses == [429, 200]  # one refusal, then the figures: no storm of 429s


def test_a_post_deleted_on_the_network_is_final_and_keeps_its_figures(actor, sandbox) -> None:
    world = MetricsWorld(actor, sandbox, "mastodon")
    target = world.publish("Soon gone")
    world.set_figures(target, {"favourites_count": 4})
    world.poll(target.published_at + timedelta(minutes=15))
    world.connection_call(lambda conn: conn.delete(target.external_id))
    world.poll(target.published_at + timedelta(hours=1))
    poll = MetricPoll.objects.get(target=target)
    assert poll.final_reason == FinalReason.DELETED and poll.next_poll_at is None
    assert day_sums(target)["likes"] == 4
    assert PostMetricSnapshot.objects.filter(target=target).count() == 1
    calls = metric_calls(target)
    world.poll(target.published_at + timedelta(days=1))
    assert metric_calls(target) == calls


def test_a_member_post_on_linkedin_is_not_reported(actor, sandbox) -> None:
    """LinkedIn reports no figures Cuecast may read for a member's own posts: final at once,
    with no call made."""
    from cuecast.accounts.demo import sandbox_account
    from cuecast.channels.services import save_connected_account
    from cuecast.posts.models import Post, Target, TargetState

    account = sandbox_account(sandbox.url, "linkedin")
    member = save_connected_account(
        actor,
        "linkedin",
        account.__class__(**{**account.__dict__, "external_id": "urn:li:person:Cu3cDemo01"}),
    )
    post = Post.objects.create(workspace=actor.workspace, text="Mine")
    target = Target.objects.create(
        post=post,
        channel=member,
        state=TargetState.PUBLISHED,
        external_id="urn:li:share:7000000000000000001",
        published_at=START,
    )
    polling.poll_due(target.published_at + timedelta(minutes=15))
    poll = MetricPoll.objects.get(target=target)
    assert poll.final_reason == FinalReason.UNSUPPORTED
    assert metric_calls(target) == 0


def test_a_cued_posts_days_carry_its_campaign_for_the_campaign_report(actor, sandbox) -> None:
    from cuecast.campaigns.models import Campaign
    from cuecast.posts.models import Schedule, ScheduleKind

    world = MetricsWorld(actor, sandbox, "x")
    target = world.publish("On cue")
    campaign = Campaign.objects.create(
        workspace=actor.workspace, name="Winter sale", starts_at=target.published_at
    )
    Schedule.objects.create(
        post=target.post, kind=ScheduleKind.CUE, campaign=campaign, cue_event="start"
    )
    world.set_figures(target, {"like_count": 5, "impression_count": 90})
    world.poll(target.published_at + timedelta(minutes=15))
    day = PostMetricDay.objects.get(target=target)
    assert day.campaign_id == campaign.pk
    assert (day.workspace_id, day.channel_id, day.network) == (
        actor.workspace.pk,
        world.channel.pk,
        "x",
    )
    assert (day.likes, day.impressions) == (5, 90)
