"""Read paths for the API. Every query starts from `actor.workspace`: another workspace's rows are
indistinguishable from rows that do not exist (404), never "forbidden"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, QuerySet

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor
from cuecast.api.errors import NotFound
from cuecast.campaigns.models import Campaign
from cuecast.channels.models import Channel
from cuecast.posts.models import Post, Target

# Ids beyond a signed 64-bit integer cannot exist; refusing them early keeps databases happy.
MAX_ID = 2**63 - 1


def _check_id(kind: str, pk: int) -> None:
    if not 1 <= pk <= MAX_ID:
        raise NotFound(f"There is no {kind} {pk} in this workspace.")


def channels(actor: Actor) -> QuerySet[Channel]:
    actor.require(Action.VIEW)
    return Channel.objects.filter(workspace=actor.workspace).order_by(
        "network", "display_name", "id"
    )


def channel(actor: Actor, pk: int) -> Channel:
    _check_id("channel", pk)
    found = channels(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"There is no channel {pk} in this workspace.")
    return found


def campaigns(actor: Actor) -> QuerySet[Campaign]:
    actor.require(Action.VIEW)
    return Campaign.objects.filter(workspace=actor.workspace).order_by("-starts_at", "-id")


def campaign(actor: Actor, pk: int) -> Campaign:
    _check_id("campaign", pk)
    found = campaigns(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"There is no campaign {pk} in this workspace.")
    return found


@dataclass(frozen=True)
class PostFilter:
    """Target-level conditions apply to the same target: `state=failed&channel_id=3` finds posts
    whose target on channel 3 failed, not posts with some failed target and some target on 3."""

    state: str | None = None
    channel_id: int | None = None
    campaign_id: int | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None


def _with_details(posts: QuerySet[Post]) -> QuerySet[Post]:
    targets = (
        Target.objects.select_related("channel")
        .annotate(attempts_total=Count("attempts"))
        .order_by("id")
    )
    return posts.select_related("schedule").prefetch_related(
        Prefetch("targets", queryset=targets), "post_media"
    )


def posts(actor: Actor, where: PostFilter | None = None) -> QuerySet[Post]:
    actor.require(Action.VIEW)
    found = Post.objects.filter(workspace=actor.workspace)
    where = where or PostFilter()
    target_conditions: dict[str, object] = {}
    if where.state is not None:
        target_conditions["state"] = where.state
    if where.channel_id is not None:
        target_conditions["channel_id"] = where.channel_id
    if where.due_after is not None:
        target_conditions["due_at__gte"] = where.due_after
    if where.due_before is not None:
        target_conditions["due_at__lt"] = where.due_before
    if target_conditions:
        matching = Target.objects.filter(post__workspace=actor.workspace, **target_conditions)
        found = found.filter(pk__in=matching.values("post_id"))
    if where.campaign_id is not None:
        found = found.filter(schedule__campaign_id=where.campaign_id)
    return _with_details(found).order_by("-created_at", "-id")


def post(actor: Actor, pk: int) -> Post:
    _check_id("post", pk)
    found = posts(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"There is no post {pk} in this workspace.")
    return found
