"""Rescheduling and cancelling are atomic with respect to a worker's claim: the old time never
fires for a target that moved, and a target a worker already claimed keeps its course."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from cuecast.accounts.models import AuditEvent, Role
from cuecast.accounts.services import Actor
from cuecast.campaigns.services import CampaignSpec, create_campaign, update_campaign
from cuecast.posts import queue
from cuecast.posts.models import (
    HoldCause,
    Post,
    ScheduleKind,
    Target,
    TargetEvent,
    TargetState,
)
from cuecast.posts.rescheduling import LeftAlone, outcome_message, reschedule_post
from cuecast.posts.services import (
    PostDraft,
    ScheduleSpec,
    TargetSpec,
    ValidationFailed,
    cancel_post,
    create_post,
)
from cuecast.publishing import dispatcher
from cuecast.publishing.models import AttemptKind, PublishAttempt

pytestmark = pytest.mark.django_db


def at(moment: datetime) -> ScheduleSpec:
    return ScheduleSpec(kind=ScheduleKind.AT, at=moment)


def post_at(actor: Any, channels: list[Any], due: datetime | None, text: str = "Hello") -> Post:
    schedule = at(due) if due is not None else None
    return create_post(actor, PostDraft(text, [TargetSpec(c.pk) for c in channels], schedule))


def received(sandbox: Any, network: str) -> int:
    return len(sandbox.control.received(network))


# --- the service ---------------------------------------------------------------------------------


def test_moving_a_post_moves_every_target_and_records_who(actor, x_channel, masto_channel):
    old = timezone.now() + timedelta(days=2)
    post = post_at(actor, [x_channel, masto_channel], old)
    result = reschedule_post(
        actor,
        post,
        ScheduleSpec(ScheduleKind.LOCAL, local_at="2027-07-01T09:00", tz="Europe/Berlin"),
    )
    new = datetime(2027, 7, 1, 7, 0, tzinfo=UTC)
    assert len(result.moved) == 2 and result.left_alone == []
    assert result.message == "Moved: all 2 channels go out at their new time."
    for target in post.targets.all():
        assert (target.state, target.due_at, target.next_attempt_at) == (
            TargetState.SCHEDULED,
            new,
            new,
        )
        event = target.events.get()
        assert (event.kind, event.cause) == ("moved", "Moved by olivia")
        assert (event.from_due, event.to_due) == (old.replace(microsecond=old.microsecond), new)
    post.refresh_from_db()
    assert (post.schedule.kind, post.schedule.local_at) == (ScheduleKind.LOCAL, "2027-07-01T09:00")
    assert AuditEvent.objects.filter(action="post.rescheduled", object_id=str(post.pk)).exists()


def test_a_draft_gets_its_time_and_a_waiting_post_keeps_waiting(workspace, owner, x_channel):
    owner_actor = Actor(workspace, Role.OWNER, user=owner)
    draft = post_at(owner_actor, [x_channel], None)
    new = timezone.now() + timedelta(days=1)
    reschedule_post(owner_actor, draft, at(new))
    assert draft.targets.get().state == TargetState.SCHEDULED
    workspace.requires_approval = True
    workspace.save()
    editor = Actor(workspace, Role.EDITOR, user=owner)
    waiting = post_at(editor, [x_channel], new, text="Needs a yes")
    reschedule_post(editor, waiting, at(new + timedelta(hours=1)))
    target = waiting.targets.get()
    assert target.state == TargetState.DRAFT and "approval" in target.reason
    assert target.due_at == new + timedelta(hours=1)


def test_a_held_target_stays_held_at_its_new_time(actor, x_channel, masto_channel):
    x_channel.status = "disconnected"
    x_channel.save()
    post = post_at(actor, [x_channel, masto_channel], timezone.now() + timedelta(days=1))
    new = timezone.now() + timedelta(days=3)
    result = reschedule_post(actor, post, at(new))
    assert len(result.moved) == 2
    held = post.targets.get(channel=x_channel)
    assert (held.state, held.hold, held.due_at) == (TargetState.HELD, HoldCause.CHANNEL, new)


def test_a_quota_hold_waits_for_the_cap_when_it_reopens_later(actor, x_channel):
    post = post_at(actor, [x_channel], timezone.now() + timedelta(hours=1))
    reopens = timezone.now() + timedelta(days=2)
    Target.objects.filter(post=post).update(
        state=TargetState.HELD, hold=HoldCause.QUOTA, next_attempt_at=reopens
    )
    reschedule_post(actor, post, at(timezone.now() + timedelta(days=1)))
    assert post.targets.get().next_attempt_at == reopens
    later = timezone.now() + timedelta(days=3)
    reschedule_post(actor, post, at(later))
    assert post.targets.get().next_attempt_at == later


def test_moved_onto_a_cue_it_follows_the_campaign_and_moved_off_it_stays(actor, x_channel):
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    campaign = create_campaign(
        actor, CampaignSpec("Spring sale", start, start + timedelta(days=30), "Europe/Berlin")
    )
    post = post_at(actor, [x_channel], timezone.now() + timedelta(days=1))
    cue = ScheduleSpec(
        kind=ScheduleKind.CUE,
        campaign_id=campaign.pk,
        cue_event="end",
        cue_offset=-timedelta(days=2),
        cue_time=time(9, 0),
    )
    reschedule_post(actor, post, cue)
    target = post.targets.get()
    assert target.due_at == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)  # 31 Mar end → 29 Mar, CEST
    shorter = CampaignSpec("Spring sale", start, start + timedelta(days=20), "Europe/Berlin")
    update_campaign(actor, campaign, shorter)
    target.refresh_from_db()
    assert target.due_at == datetime(2027, 3, 19, 8, 0, tzinfo=UTC)  # 21 Mar end → 19 Mar, CET

    fixed = datetime(2027, 4, 2, 10, 0, tzinfo=UTC)
    reschedule_post(actor, post, at(fixed))
    update_campaign(
        actor,
        campaign,
        CampaignSpec("Spring sale", start, start + timedelta(days=25), "Europe/Berlin"),
    )
    target.refresh_from_db()
    assert target.due_at == fixed  # no longer cued: the campaign's move leaves it alone


def test_a_time_in_the_past_is_refused_and_nothing_moves(actor, x_channel):
    due = timezone.now() + timedelta(days=1)
    post = post_at(actor, [x_channel], due)
    with pytest.raises(ValidationFailed) as caught:
        reschedule_post(actor, post, at(timezone.now() - timedelta(hours=2)))
    [error] = caught.value.errors
    assert error.field == "schedule" and "already passed" in error.message
    assert post.targets.get().due_at == due and not TargetEvent.objects.exists()


def test_a_skipped_local_time_is_refused_by_name(actor, x_channel):
    post = post_at(actor, [x_channel], timezone.now() + timedelta(days=1))
    spec = ScheduleSpec(ScheduleKind.LOCAL, local_at="2027-03-28T02:30", tz="Europe/Berlin")
    with pytest.raises(ValidationFailed, match="does not exist"):
        reschedule_post(actor, post, spec)


def test_moving_into_the_queue_takes_each_channels_next_free_slot(actor, x_channel):
    queue.set_slots(actor, x_channel, [(0, time(9)), (3, time(9))])
    post = post_at(actor, [x_channel], timezone.now() + timedelta(hours=1))
    first_slot = queue.next_free_slot(x_channel, "Europe/Berlin", timezone.now())
    reschedule_post(actor, post, ScheduleSpec(kind=ScheduleKind.QUEUE))
    assert post.targets.get().due_at == first_slot
    # Queued again, it does not block itself: it keeps the same slot.
    reschedule_post(actor, post, ScheduleSpec(kind=ScheduleKind.QUEUE))
    assert post.targets.get().due_at == first_slot


def test_another_workspace_cannot_move_the_post(actor, x_channel, db):
    from cuecast.accounts.models import User
    from cuecast.accounts.services import actor_for_user, create_workspace

    due = timezone.now() + timedelta(days=1)
    post = post_at(actor, [x_channel], due)
    mallory = User.objects.create_user("mallory", password="another good password")
    other = actor_for_user(mallory, create_workspace(slug="other", name="Other", owner=mallory))
    assert other is not None
    with pytest.raises(Post.DoesNotExist):
        reschedule_post(other, post, at(due + timedelta(days=1)))
    assert post.targets.get().due_at == due


def test_the_message_names_what_was_left_alone() -> None:
    def left(network: str, state: TargetState) -> LeftAlone:
        return LeftAlone(1, network, f"ACME on {network}", state)

    assert (
        outcome_message(2, [left("X", TargetState.PUBLISHING)])
        == "Already being published on X; the other 2 channels were moved."
    )
    assert (
        outcome_message(
            1, [left("X", TargetState.PUBLISHED), left("Bluesky", TargetState.PUBLISHING)]
        )
        == "Already being published on Bluesky; already published on X; the other channel was moved."
    )
    assert outcome_message(0, [left("X", TargetState.PUBLISHING)]) == (
        "Nothing was moved. Already being published on X."
    )


# --- against the dispatcher ------------------------------------------------------------------------


def test_after_a_move_the_old_time_publishes_nothing_and_the_new_time_once(
    actor, channels, sandbox
):
    old = timezone.now() + timedelta(seconds=1)
    post = post_at(actor, [channels["x"], channels["mastodon"]], old, text="Moved launch")
    new = old + timedelta(seconds=1)
    result = reschedule_post(actor, post, at(new))
    assert len(result.moved) == 2

    assert dispatcher.run_until_idle(old) == 0
    assert received(sandbox, "x") == 0 and received(sandbox, "mastodon") == 0
    assert set(post.targets.values_list("state", flat=True)) == {TargetState.SCHEDULED}

    assert dispatcher.run_until_idle(new) == 2
    assert dispatcher.run_until_idle(new + timedelta(minutes=5)) == 0
    assert received(sandbox, "x") == 1 and received(sandbox, "mastodon") == 1
    assert set(post.targets.values_list("state", flat=True)) == {TargetState.PUBLISHED}


def test_a_claimed_target_is_reported_as_on_its_way_and_left_untouched(actor, channels, sandbox):
    old = timezone.now() + timedelta(minutes=10)
    post = post_at(actor, [channels["x"], channels["mastodon"]], old)
    x_target = post.targets.get(channel=channels["x"])
    assert dispatcher.claim("w1", old, 1) == [x_target.pk]  # the worker took X first

    new = old + timedelta(hours=1)
    result = reschedule_post(actor, post, at(new))

    assert result.message == "Already being published on X; the other channel was moved."
    assert [item.target_id for item in result.left_alone] == [x_target.pk]
    claimed = Target.objects.get(pk=x_target.pk)
    assert (claimed.state, claimed.due_at, claimed.next_attempt_at, claimed.lease_owner) == (
        TargetState.PUBLISHING,
        old,
        old,
        "w1",
    )
    assert not claimed.events.exists()
    other = post.targets.get(channel=channels["mastodon"])
    assert (other.state, other.due_at) == (TargetState.SCHEDULED, new)

    everything_claimed = reschedule_post(actor, post, at(new + timedelta(hours=1)))
    assert everything_claimed.moved == [other.pk]


def test_cancel_leaves_a_claimed_target_alone(actor, channels, sandbox):
    due = timezone.now() + timedelta(minutes=10)
    post = post_at(actor, [channels["x"], channels["mastodon"]], due)
    claimed = dispatcher.claim("w1", due, 1)
    assert cancel_post(actor, post) == 1
    states = dict(post.targets.values_list("pk", "state"))
    assert states.pop(claimed[0]) == TargetState.PUBLISHING
    assert list(states.values()) == [TargetState.CANCELLED]
    # A cancelled target is never claimed afterwards.
    assert dispatcher.claim("w2", due + timedelta(hours=1), 10) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_claim_and_reschedule_racing_never_publish_twice_or_never(actor, channels, sandbox):
    """Two threads race a worker's run at the old time against a move; each target must either
    go out at the old time and stay unmoved, or move and go out only at the new time."""
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (make test-postgres)")
    rounds, outcomes = 25, {"published at the old time": 0, "moved": 0}
    for round_no in range(rounds):
        old = timezone.now()
        post = post_at(actor, [channels["x"], channels["mastodon"]], old, text=f"Race {round_no}")
        new = old + timedelta(milliseconds=1)
        moved = _race(actor, post, old, new)
        dispatcher.run_until_idle(new)
        for target in post.targets.all():
            attempts = list(PublishAttempt.objects.filter(target=target, kind=AttemptKind.PUBLISH))
            assert target.state == TargetState.PUBLISHED, target.reason  # never neither
            assert len(attempts) == 1  # never both
            was_moved = target.events.filter(kind="moved").exists()
            assert was_moved == (target.pk in moved)
            if was_moved:
                assert (target.due_at, attempts[0].started_at) == (new, new)
                outcomes["moved"] += 1
            else:
                assert (target.due_at, attempts[0].started_at) == (old, old)
                outcomes["published at the old time"] += 1
    assert sum(outcomes.values()) == 2 * rounds, outcomes
    for network in ("x", "mastodon"):
        texts = sorted(
            item.get("text") or item.get("status") or ""
            for item in sandbox.control.received(network)
        )
        assert texts == sorted(f"Race {n}" for n in range(rounds))


def _race(actor: Actor, post: Post, old: datetime, new: datetime) -> set[int]:
    barrier = threading.Barrier(2)
    moved: set[int] = set()
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            dispatcher.run_once(old)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            failures.append(exc)
        finally:
            connection.close()

    def author() -> None:
        try:
            barrier.wait()
            moved.update(reschedule_post(actor, post, at(new), now=old).moved)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker), threading.Thread(target=author)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    return moved
