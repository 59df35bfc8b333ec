"""What a worker loads for one claimed target: plain data, reloaded from the rows after the claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cuecast import config
from cuecast.networks.base import Account, MediaItem, Part, PublishRequest
from cuecast.posts.models import Target


@dataclass
class Job:
    target_id: int
    attempt_id: int
    channel_id: int
    workspace_id: int
    network: str
    account: Account
    token_expires_at: datetime | None
    request: PublishRequest
    # When the target was due (for lateness); a target claimed ahead of it waits `delay` seconds
    # from `claimed_at_monotonic` before its call goes out.
    due_at: datetime | None = None
    delay: float = 0.0
    claimed_at_monotonic: float = 0.0


def public_media_url(path: str) -> str:
    """Cuecast's public address for a media file, for networks that fetch media themselves."""
    return f"{config.load().public_url}{path}"


def load_jobs(attempt_ids: dict[int, int], started_at: datetime) -> list[Job]:
    """Jobs for claimed targets (target id → its recorded attempt id)."""
    targets = (
        Target.objects.filter(pk__in=attempt_ids)
        .select_related("channel", "post")
        .prefetch_related("post__post_media__media")
    )
    jobs = []
    for target in targets:
        channel = target.channel
        media = tuple(
            MediaItem(
                path=pm.media.file.path,
                content_type=pm.media.content_type,
                size_bytes=pm.media.size_bytes,
                alt_text=pm.media.alt_text,
                width=pm.media.width,
                height=pm.media.height,
                url=public_media_url(pm.media.file.url),
            )
            for pm in target.post.post_media.all()
        )
        jobs.append(
            Job(
                target_id=target.pk,
                attempt_id=attempt_ids[target.pk],
                channel_id=channel.pk,
                workspace_id=channel.workspace_id,
                network=channel.network,
                account=Account(
                    external_id=channel.external_id,
                    handle=channel.handle,
                    base_url=channel.base_url,
                    credentials=dict(channel.credentials),
                    settings=dict(channel.settings),
                ),
                token_expires_at=channel.token_expires_at,
                request=PublishRequest(
                    parts=(Part(text=target.effective_text, media=media),),
                    idempotency_key=str(target.idempotency_key),
                    already_published=tuple(target.published_parts),
                    attempt_started_at=started_at,
                    progress=dict(target.progress),
                    options=dict(target.options),
                ),
                due_at=target.next_attempt_at,
            )
        )
    return jobs
