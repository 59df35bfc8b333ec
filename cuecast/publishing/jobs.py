"""What a worker loads for one claimed target: plain data, reloaded from the rows after the claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cuecast import config
from cuecast.networks.base import Account, MediaItem, Part, PublishRequest
from cuecast.posts.models import PostMedia, Target


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


# What a job needs of its target, its channel and its post, read as plain values: building model
# instances (with their signals and descriptors) for every claimed target cost more CPU than
# the query itself.
_JOB_COLUMNS = (
    "id",
    "post_id",
    "text",
    "post__text",
    "idempotency_key",
    "published_parts",
    "progress",
    "options",
    "next_attempt_at",
    "channel_id",
    "channel__workspace_id",
    "channel__network",
    "channel__external_id",
    "channel__handle",
    "channel__base_url",
    "channel__credentials",
    "channel__settings",
    "channel__token_expires_at",
)


def load_jobs(attempt_ids: dict[int, int], started_at: datetime) -> list[Job]:
    """Jobs for claimed targets (target id → its recorded attempt id)."""
    rows = list(Target.objects.filter(pk__in=attempt_ids).values(*_JOB_COLUMNS))
    media = _media_by_post({row["post_id"] for row in rows})
    return [
        _job(row, attempt_ids[row["id"]], media.get(row["post_id"], ()), started_at) for row in rows
    ]


def _job(
    row: dict[str, Any], attempt_id: int, media: tuple[MediaItem, ...], started_at: datetime
) -> Job:
    return Job(
        target_id=row["id"],
        attempt_id=attempt_id,
        channel_id=row["channel_id"],
        workspace_id=row["channel__workspace_id"],
        network=row["channel__network"],
        account=Account(
            external_id=row["channel__external_id"],
            handle=row["channel__handle"],
            base_url=row["channel__base_url"],
            credentials=dict(row["channel__credentials"] or {}),
            settings=dict(row["channel__settings"] or {}),
        ),
        token_expires_at=row["channel__token_expires_at"],
        request=PublishRequest(
            parts=(Part(text=row["text"] or row["post__text"], media=media),),
            idempotency_key=str(row["idempotency_key"]),
            already_published=tuple(row["published_parts"] or ()),
            attempt_started_at=started_at,
            progress=dict(row["progress"] or {}),
            options=dict(row["options"] or {}),
        ),
        due_at=row["next_attempt_at"],
    )


def _media_by_post(post_ids: set[int]) -> dict[int, tuple[MediaItem, ...]]:
    """The posts' media in their order (one query; most posts have none)."""
    found: dict[int, list[MediaItem]] = {}
    attached = (
        PostMedia.objects.filter(post_id__in=post_ids)
        .select_related("media")
        .order_by("post_id", "position", "id")
    )
    for pm in attached:
        found.setdefault(pm.post_id, []).append(
            MediaItem(
                path=pm.media.file.path,
                content_type=pm.media.content_type,
                size_bytes=pm.media.size_bytes,
                alt_text=pm.media.alt_text,
                width=pm.media.width,
                height=pm.media.height,
                url=public_media_url(pm.media.file.url),
            )
        )
    return {post_id: tuple(items) for post_id, items in found.items()}
