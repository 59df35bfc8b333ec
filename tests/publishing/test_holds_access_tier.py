"""Holds for a missing API access level (cuecast.publishing.holds): released when the user records
the channel's new access tier and by the worker's periodic re-check, under the workspace's late
policy; holds a call's answer writes get their history (`held_by_call`). Runs on SQLite and on
PostgreSQL (the last test races two workers' re-checks)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from cuecast.channels.models import Channel
from cuecast.channels.tiers import set_access_tier
from cuecast.posts.models import HoldCause, ScheduleKind, Target, TargetState
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
from cuecast.publishing import dispatcher, holds

HOUR = timedelta(hours=1)
REFUSED = "Held: X refused the post: this app's access level does not include posting."


def x_channel(workspace: Any, external_id: str = "1001") -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="x",
        external_id=external_id,
        handle=f"acme{external_id}",
        display_name=f"ACME on X ({external_id})",
        credentials={"access_token": "t"},
    )


@pytest.fixture
def channel(workspace: Any) -> Channel:
    return x_channel(workspace)


def scheduled(actor: Any, channel: Channel, in_: timedelta, text: str = "Hi") -> Target:
    due = timezone.now() + in_
    spec = ScheduleSpec(ScheduleKind.AT, at=due)
    return create_post(actor, PostDraft(text, [TargetSpec(channel.pk)], spec)).targets.get()


def refused(actor: Any, channel: Channel, in_: timedelta, text: str = "Hi") -> Target:
    """A target the network refused for the app's access level, as a call's answer holds it."""
    target = scheduled(actor, channel, in_, text)
    Target.objects.filter(pk=target.pk).update(
        state=TargetState.HELD, hold=HoldCause.ACCESS_TIER, reason=REFUSED
    )
    return fresh(target)


def fresh(target: Target) -> Target:
    target.refresh_from_db()
    return target


def history(target: Target) -> list[str]:
    return list(target.events.values_list("kind", flat=True))


# --- the history of a hold a call's answer wrote -------------------------------------------------


def test_held_by_call_writes_one_held_event_per_target_the_answer_held(
    actor: Any, channel: Channel
) -> None:
    held = refused(actor, channel, HOUR)
    other = scheduled(actor, channel, HOUR, "Still scheduled")
    [event] = holds.held_by_call([held.pk, other.pk])
    assert (event.target_id, event.kind, event.cause) == (held.pk, "held", REFUSED)
    assert (event.from_due, event.to_due) == (held.due_at, held.due_at)
    assert history(other) == []


# --- released when the user records the new tier ---------------------------------------------------


def test_recording_the_tier_releases_the_channels_access_holds_under_the_late_policy(
    actor: Any, channel: Channel, workspace: Any
) -> None:
    workspace.late_limit_hours = 2
    workspace.save()
    not_yet = refused(actor, channel, 5 * HOUR, "Not yet due")
    late = refused(actor, channel, HOUR, "Late")
    too_late = refused(actor, channel, timedelta(minutes=5), "Too late")
    elsewhere = refused(actor, x_channel(workspace, "1002"), HOUR, "Other channel")
    assert too_late.due_at is not None and late.due_at is not None
    now = too_late.due_at + 2 * HOUR + timedelta(minutes=1)  # `late` is 1 h 6 min late

    change = set_access_tier(actor, channel, "basic", now=now)

    assert (change.released, change.skipped, change.still_held) == (2, 1, 0)
    fresh(not_yet)
    assert (not_yet.state, not_yet.next_attempt_at, not_yet.reason) == (
        TargetState.SCHEDULED,
        not_yet.due_at,
        "",
    )
    fresh(late)
    assert (late.state, late.next_attempt_at) == (TargetState.SCHEDULED, now)
    assert late.reason.startswith("Published late: held for 1 h 6 min past its time")
    assert late.reason.endswith("while the API access level did not allow posting.")
    fresh(too_late)
    assert too_late.state == TargetState.CANCELLED
    assert too_late.reason.startswith("Skipped: its time (")
    assert history(not_yet) == ["released"]
    assert not_yet.events.get().cause == "The access tier of ACME on X (1001) was changed to Basic"
    assert fresh(elsewhere).state == TargetState.HELD  # another channel's tier is its own


def test_recording_the_same_tier_again_changes_nothing(actor: Any, channel: Channel) -> None:
    set_access_tier(actor, channel, "pro")
    target = refused(actor, channel, HOUR)
    change = set_access_tier(actor, channel, "pro")
    assert not change.changed
    assert fresh(target).state == TargetState.HELD


def test_a_tier_change_leaves_a_target_another_cause_holds(actor: Any, channel: Channel) -> None:
    from cuecast.channels.models import ChannelStatus

    target = refused(actor, channel, HOUR)
    Channel.objects.filter(pk=channel.pk).update(
        status=ChannelStatus.DISCONNECTED, status_reason="access revoked"
    )
    change = set_access_tier(actor, channel, "basic")
    assert (change.released, change.still_held) == (0, 1)
    fresh(target)
    assert (target.state, target.hold) == (TargetState.HELD, HoldCause.CHANNEL)


# --- the worker's periodic re-check ----------------------------------------------------------------


def test_the_round_lets_one_held_post_per_channel_try_again_after_the_recheck_interval(
    actor: Any, channel: Channel, workspace: Any
) -> None:
    first = refused(actor, channel, 30 * HOUR, "First")
    second = refused(actor, channel, 40 * HOUR, "Second")
    other_channel = x_channel(workspace, "1002")
    elsewhere = refused(actor, other_channel, 50 * HOUR, "Elsewhere")
    now = timezone.now()

    assert dispatcher.release_due_holds(now + holds.ACCESS_RECHECK - HOUR) == 0  # too soon
    later = now + holds.ACCESS_RECHECK + timedelta(minutes=1)
    assert dispatcher.release_due_holds(later) == 2  # one per channel

    fresh(first)
    assert (first.state, first.next_attempt_at) == (TargetState.SCHEDULED, first.due_at)
    assert first.events.get().cause == (
        "Trying again whether the API access level allows posting now"
    )
    assert fresh(second).state == TargetState.HELD  # waits for what the first one shows
    assert fresh(elsewhere).state == TargetState.SCHEDULED
    channel.refresh_from_db()
    assert channel.access_rechecked_at == later
    # The same round again, or another worker's: the channel was re-checked just now.
    assert holds.release_due(later + timedelta(seconds=5)) == 0


def test_a_recheck_the_network_refuses_again_waits_for_the_next_interval(
    actor: Any, channel: Channel
) -> None:
    probe = refused(actor, channel, 30 * HOUR, "Probe")
    later = timezone.now() + holds.ACCESS_RECHECK + timedelta(minutes=1)
    assert holds.release_due(later) == 1
    # Its call is refused again: the answer holds it (as outcomes does) and writes its history.
    Target.objects.filter(pk=probe.pk).update(
        state=TargetState.HELD, hold=HoldCause.ACCESS_TIER, reason=REFUSED, updated_at=later
    )
    holds.held_by_call([probe.pk])
    assert holds.release_due(later + holds.ACCESS_RECHECK - timedelta(minutes=1)) == 0
    assert holds.release_due(later + holds.ACCESS_RECHECK + timedelta(minutes=1)) == 1
    assert history(fresh(probe)) == ["released", "held", "released"]


def test_a_post_published_after_the_hold_releases_the_channels_other_access_holds(
    actor: Any, channel: Channel
) -> None:
    held = refused(actor, channel, 30 * HOUR, "Held")
    went_out = scheduled(actor, channel, 20 * HOUR, "Went out")
    now = timezone.now()
    assert holds.release_due(now) == 0
    Target.objects.filter(pk=went_out.pk).update(
        state=TargetState.PUBLISHED, published_at=now + timedelta(seconds=1)
    )
    assert holds.release_due(now + timedelta(seconds=2)) == 1
    fresh(held)
    assert (held.state, held.next_attempt_at) == (TargetState.SCHEDULED, held.due_at)
    assert held.events.get().cause.startswith("A later post of this channel was published")


# --- end to end: the sandbox refuses the tier, the user records the new one ----------------------


def test_a_post_the_network_refused_for_its_tier_goes_out_once_the_tier_is_recorded(
    actor: Any, channels: dict[str, Channel], sandbox: Any
) -> None:
    channel = channels["x"]
    target = scheduled(actor, channel, timedelta(seconds=2), "Launch day")
    assert target.due_at is not None
    sandbox.control.fault("x", "tier", endpoint="POST /2/tweets", tier="unenrolled")
    dispatcher.run_until_idle(target.due_at)
    fresh(target)
    assert (target.state, target.hold) == (TargetState.HELD, HoldCause.ACCESS_TIER)

    set_access_tier(actor, channel, "basic", now=target.due_at + timedelta(seconds=30))
    assert fresh(target).state == TargetState.SCHEDULED
    dispatcher.run_until_idle(target.due_at + timedelta(seconds=31))
    assert fresh(target).state == TargetState.PUBLISHED
    assert len(sandbox.control.received("x")) == 1


# --- the race: two workers re-check at once (PostgreSQL) -------------------------------------------


@pytest.mark.postgres
def test_two_workers_rechecking_at_once_let_one_post_go(
    transactional_db: None, actor: Any, channel: Channel
) -> None:
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (scripts/with_postgres.py)")
    targets = [refused(actor, channel, (30 + i) * HOUR, f"Post {i}") for i in range(3)]
    later = timezone.now() + holds.ACCESS_RECHECK + timedelta(minutes=1)
    start = threading.Barrier(4)
    counts: list[int] = []
    errors: list[BaseException] = []

    def recheck() -> None:
        try:
            start.wait(10)
            counts.append(holds.recheck_access(later))
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=recheck) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert not errors, errors
    assert sorted(counts) == [0, 0, 0, 1]
    states = [fresh(t).state for t in targets]
    assert states == [TargetState.SCHEDULED, TargetState.HELD, TargetState.HELD]
