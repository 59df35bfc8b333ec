"""Queue slots: weekly wall-clock times per channel; each queued target takes the next free one,
and two posts queued at the same moment never share a slot."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from cuecast.accounts.models import Role
from cuecast.accounts.permissions import PermissionDenied
from cuecast.accounts.services import Actor
from cuecast.posts import queue
from cuecast.posts.models import QueueSlot, ScheduleKind, Target, TargetState
from cuecast.posts.services import (
    PostDraft,
    ScheduleSpec,
    TargetSpec,
    ValidationFailed,
    cancel_post,
    create_post,
)

pytestmark = pytest.mark.django_db

QUEUE = ScheduleSpec(kind=ScheduleKind.QUEUE)
TUESDAY, THURSDAY = 1, 3


def queued(actor: Any, channels: list[Any], text: str = "Queued") -> Any:
    return create_post(actor, PostDraft(text, [TargetSpec(c.pk) for c in channels], QUEUE))


def upcoming_slots(channel: Any, count: int) -> list[datetime]:
    found = queue.upcoming(queue.slots_of(channel), "Europe/Berlin", timezone.now())
    return [next(found) for _ in range(count)]


@pytest.fixture
def slots(actor: Any, x_channel: Any) -> list[QueueSlot]:
    return queue.set_slots(actor, x_channel, [(TUESDAY, time(9, 0)), (THURSDAY, time(17, 30))])


def test_slots_are_replaced_deduplicated_and_ordered(actor, x_channel) -> None:
    queue.set_slots(actor, x_channel, [(4, time(8)), (0, time(9)), (0, time(9)), (0, time(7, 15))])
    assert [(s.weekday, s.at_time) for s in queue.slots_of(x_channel)] == [
        (0, time(7, 15)),
        (0, time(9)),
        (4, time(8)),
    ]
    queue.set_slots(actor, x_channel, [(6, time(12))])
    assert [(s.weekday, s.at_time) for s in queue.slots_of(x_channel)] == [(6, time(12))]


def test_setting_slots_needs_the_right_to_manage_channels(workspace, owner, x_channel) -> None:
    with pytest.raises(PermissionDenied):
        queue.set_slots(Actor(workspace, Role.EDITOR, user=owner), x_channel, [(0, time(9))])
    with pytest.raises(ValidationFailed) as caught:
        queue.set_slots(Actor(workspace, Role.ADMIN, user=owner), x_channel, [(7, time(9))])
    assert caught.value.errors[0].field == "slots[0].weekday"


def test_each_queued_post_takes_the_next_free_slot(actor, x_channel, slots) -> None:
    expected = upcoming_slots(x_channel, 3)
    posts = [queued(actor, [x_channel], f"Queued {n}") for n in range(3)]
    dues = [p.targets.get().due_at for p in posts]
    assert dues == expected
    target = posts[0].targets.get()
    assert target.state == TargetState.SCHEDULED and target.next_attempt_at == target.due_at
    assert posts[0].schedule.kind == ScheduleKind.QUEUE
    # Slots are wall-clock times in the workspace's zone.
    local = [d.astimezone(ZoneInfo("Europe/Berlin")) for d in dues]
    assert {(d.weekday(), d.time()) for d in local} <= {
        (TUESDAY, time(9)),
        (THURSDAY, time(17, 30)),
    }


def test_a_cancelled_post_frees_its_slot(actor, x_channel, slots) -> None:
    first = queued(actor, [x_channel])
    cancel_post(actor, first)
    second = queued(actor, [x_channel])
    assert second.targets.get().due_at == first.targets.get().due_at


def test_each_channel_has_its_own_slots(actor, x_channel, masto_channel, slots) -> None:
    queue.set_slots(actor, masto_channel, [(TUESDAY, time(9, 0))])
    queued(actor, [x_channel])  # takes X's next slot only
    post = queued(actor, [x_channel, masto_channel])
    dues = {t.channel_id: t.due_at for t in post.targets.all()}
    assert dues[masto_channel.pk] == upcoming_slots(masto_channel, 1)[0]
    assert dues[x_channel.pk] == upcoming_slots(x_channel, 2)[1]


def test_a_channel_without_slots_is_named_and_nothing_is_created(
    actor, x_channel, masto_channel, slots
):
    with pytest.raises(ValidationFailed) as caught:
        queued(actor, [x_channel, masto_channel])
    [error] = caught.value.errors
    assert error.field == "schedule" and "ACME on Mastodon has no queue slots" in error.message
    assert Target.objects.count() == 0


def test_a_slot_in_the_skipped_hour_is_passed_over() -> None:
    slot = QueueSlot(weekday=6, at_time=time(2, 30))  # Sundays 02:30
    after = datetime(2027, 3, 20, tzinfo=UTC)
    found = queue.upcoming([slot], "Europe/Berlin", after)
    # Sunday 28 March 2027 has no 02:30 in Berlin: after 21 March the next slot is 4 April.
    assert [next(found), next(found)] == [
        datetime(2027, 3, 21, 1, 30, tzinfo=UTC),  # 02:30 CET
        datetime(2027, 4, 4, 0, 30, tzinfo=UTC),  # 02:30 CEST
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_posts_queued_at_the_same_moment_never_share_a_slot(actor, x_channel, slots) -> None:
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (make test-postgres)")
    count = 8
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def author(n: int) -> None:
        try:
            barrier.wait()
            queued(actor, [x_channel], f"Race {n}")
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=author, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    dues = sorted(Target.objects.values_list("due_at", flat=True))
    assert dues == upcoming_slots(x_channel, count)  # the next eight slots, one post each
