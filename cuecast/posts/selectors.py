"""Read paths for series and queue slots. Every query starts from the actor's workspace."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor
from cuecast.posts.models import Post, Series, SeriesTarget


def series_list(actor: Actor) -> QuerySet[Series]:
    actor.require(Action.VIEW)
    targets = SeriesTarget.objects.select_related("channel").order_by("position", "id")
    return (
        Series.objects.filter(workspace=actor.workspace)
        .prefetch_related(Prefetch("targets", queryset=targets))
        .order_by("-created_at", "-id")
    )


def one_series(actor: Actor, pk: int) -> Series | None:
    return series_list(actor).filter(pk=pk).first()


def upcoming(series: Series, now: datetime) -> QuerySet[Post]:
    """The series' occurrences from `now` on that exist as posts, soonest first."""
    return (
        Post.objects.filter(series=series, occurrence_at__gte=now)
        .prefetch_related("targets")
        .order_by("occurrence_at", "id")
    )
