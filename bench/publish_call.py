"""The baselines' task body: what a Python team would write for "publish this target now".

It does the same work per target as Cuecast's dispatcher does, synchronously: load the target and
its channel (credentials decrypted), record a pending attempt (its own commit, so a crash
mid-call is visible), POST the status to Mastodon with the target's Idempotency-Key (httpx, sync,
one keep-alive client per process), then record the outcome on the attempt and the target.
"""

from __future__ import annotations

from typing import Any

import httpx

TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=20.0, pool=10.0)
_client: httpx.Client | None = None


def client() -> httpx.Client:
    """One client per process, made after the fork: a pool shared across a fork breaks."""
    global _client
    if _client is None:
        _client = httpx.Client(timeout=TIMEOUT, headers={"User-Agent": "bench-baseline"})
    return _client


def publish_and_record(target_id: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from cuecast.posts.models import Target, TargetState
    from cuecast.publishing.models import AttemptOutcome, PublishAttempt

    target = Target.objects.select_related("channel", "post").get(pk=target_id)
    if target.state == TargetState.PUBLISHED:  # a redelivered task: never post twice
        return {"skipped": target_id}
    attempt = PublishAttempt.objects.create(
        target=target, worker="baseline", started_at=timezone.now()
    )
    channel = target.channel
    response = client().post(
        f"{channel.base_url}/api/v1/statuses",
        headers={
            "Authorization": f"Bearer {channel.credentials['access_token']}",
            "Idempotency-Key": f"{target.idempotency_key}:0",
        },
        data={"status": target.effective_text},
    )
    response.raise_for_status()  # the task fails; its queue's retry policy takes over
    status = response.json()
    now = timezone.now()
    with transaction.atomic():
        PublishAttempt.objects.filter(pk=attempt.pk).update(
            outcome=AttemptOutcome.PUBLISHED, finished_at=now, external_id=str(status["id"])
        )
        Target.objects.filter(pk=target_id).update(
            state=TargetState.PUBLISHED,
            external_id=str(status["id"]),
            permalink=str(status.get("url") or ""),
            published_at=now,
            updated_at=now,
        )
    return {"published": str(status["id"])}
