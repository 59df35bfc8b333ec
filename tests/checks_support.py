"""A target that needs a person's check, built the way the dispatcher leaves one: a publish attempt
whose outcome is unknown, look-ups that failed until reconciliation gave up, the state
`unconfirmed` with no next attempt. For the web, API and browser tests of "needs your check"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from cuecast.posts.models import Post, Target, TargetState
from cuecast.publishing.dispatcher import MAX_RECONCILE_TRIES
from cuecast.publishing.models import AttemptKind, AttemptOutcome, PublishAttempt


def needs_check_target(workspace: Any, channel: Any, text: str = "Did this go out?") -> Target:
    post = Post.objects.create(workspace=workspace, text=text)
    due = timezone.now() - timedelta(hours=2)
    target = Target.objects.create(
        post=post,
        channel=channel,
        state=TargetState.UNCONFIRMED,
        due_at=due,
        next_attempt_at=None,
        attempt_count=1,
        progress={"container_id": "17890000000000001"},
        published_parts=["part-1"],
        reason="We could not find out whether this was published (the network did not answer).",
    )
    PublishAttempt.objects.create(
        target=target,
        kind=AttemptKind.PUBLISH,
        worker="host-a:101:abc123",
        started_at=due,
        finished_at=due + timedelta(seconds=30),
        outcome=AttemptOutcome.UNKNOWN,
        error_kind="outcome_unknown",
        message="The network did not answer in time.",
    )
    for n in range(MAX_RECONCILE_TRIES):
        at = due + timedelta(minutes=5 * (n + 1))
        PublishAttempt.objects.create(
            target=target,
            kind=AttemptKind.RECONCILE,
            worker="host-b:202:def456",
            started_at=at,
            finished_at=at + timedelta(seconds=1),
            outcome=AttemptOutcome.UNKNOWN,
            error_kind="transient",
            http_status=503,
            message="Still checking whether this was published (the network is down).",
        )
    return target
