"""The engine within a network's rate limit: what the limit allows goes out, the rest waits for the
window, and the network never has to refuse anything (zero 429 answers in the sandbox's log).

The sandbox's X emulator is set to 5 `POST /2/tweets` per 15-minute window, far below the 100 X
documents: Cuecast learns the real figure from its first answer's headers before sending more.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from cuecast.posts.models import ScheduleKind, Target, TargetState
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
from cuecast.publishing import dispatcher

WINDOW_LIMIT = 5


def schedule_posts(actor: Any, channel: Any, count: int, due: datetime) -> list[int]:
    return [
        create_post(
            actor,
            PostDraft(
                f"Launch countdown, post {n} of {count}",
                [TargetSpec(channel.pk)],
                ScheduleSpec(ScheduleKind.AT, at=due),
            ),
        )
        .targets.get()
        .pk
        for n in range(1, count + 1)
    ]


def run_sandbox_clock_at(sandbox: Any, moment: datetime) -> None:
    """The sandbox's windows follow its clock: put it at the engine's `now`."""
    sandbox.state.clock = lambda: moment.timestamp()


def x_answers(sandbox: Any) -> list[int]:
    return [r["status"] for r in sandbox.control.requests("x") if r["path"].endswith("/2/tweets")]


def drain_window(sandbox: Any, ids: list[int], start: datetime, window_end: datetime) -> None:
    """Run the engine at `start`, and again whenever a target is due before the window ends (the
    dispatcher may put a target back a beat after `now` while a budget's first answer is read)."""
    now = start
    for _round in range(10):
        dispatcher.run_until_idle(now)
        pending = (
            Target.objects.filter(pk__in=ids, state=TargetState.SCHEDULED)
            .order_by("next_attempt_at")
            .first()
        )
        if pending is None or pending.next_attempt_at >= window_end:
            return
        now = pending.next_attempt_at
    raise AssertionError("the engine kept putting targets back within the window")


def test_x_limit_is_used_up_and_the_rest_waits_without_a_single_429(
    actor: Any, channels: dict[str, Any], sandbox: Any
) -> None:
    sandbox.control.config("x", limits={"POST /2/tweets": WINDOW_LIMIT})
    due = timezone.now() + timedelta(seconds=30)
    ids = schedule_posts(actor, channels["x"], 12, due)
    run_sandbox_clock_at(sandbox, due)
    # The window opens with the first call, at the sandbox's `due`; X gives its reset in whole
    # seconds, and Cuecast waits one more.
    window_end = datetime.fromtimestamp(int(due.timestamp() + 15 * 60) + 1, UTC)

    drain_window(sandbox, ids, due, window_end)

    targets = Target.objects.filter(pk__in=ids)
    assert targets.filter(state=TargetState.PUBLISHED).count() == WINDOW_LIMIT
    waiting = targets.filter(state=TargetState.SCHEDULED)
    assert waiting.count() == 12 - WINDOW_LIMIT
    assert x_answers(sandbox) == [201] * WINDOW_LIMIT  # not a single 429
    # They wait for the window X named, not for a retry after a refusal.
    for target in waiting:
        assert window_end <= target.next_attempt_at < window_end + timedelta(seconds=1)

    later = max(t.next_attempt_at for t in waiting)
    run_sandbox_clock_at(sandbox, later)
    drain_window(sandbox, ids, later, later + timedelta(minutes=15))

    assert targets.filter(state=TargetState.PUBLISHED).count() == 2 * WINDOW_LIMIT
    assert targets.filter(state=TargetState.SCHEDULED).count() == 12 - 2 * WINDOW_LIMIT
    assert x_answers(sandbox) == [201] * 2 * WINDOW_LIMIT
