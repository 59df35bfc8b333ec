"""`/api/v1/series` (recurring posts) and `/api/v1/channels/{id}/slots` (queue slots).

Like the posts module, this only translates between JSON and the services' dataclasses; the rules
live in cuecast.posts.series, cuecast.posts.recurrence and cuecast.posts.queue.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from cuecast.accounts.services import Actor
from cuecast.api import selectors
from cuecast.api.auth import request_actor
from cuecast.api.errors import NotFound, responses
from cuecast.api.idempotency import OPENAPI_PARAMETER, idempotent_operation
from cuecast.api.schemas import (
    OccurrenceOut,
    QueueSlotOut,
    QueueSlotsIn,
    QueueSlotsOut,
    RepeatIn,
    RepeatOut,
    SeriesEndIn,
    SeriesIn,
    SeriesOut,
    SeriesPage,
    SeriesPatch,
    SeriesTargetOut,
    TargetIn,
)
from cuecast.channels.models import Channel
from cuecast.posts import queue, recurrence, scheduling
from cuecast.posts import selectors as post_selectors
from cuecast.posts import series as series_service
from cuecast.posts.errors import FieldError, ValidationFailed
from cuecast.posts.models import Series, SeriesFrequency, SeriesState, TargetState
from cuecast.posts.services import TargetSpec

series_router = Router(tags=["series"])
slots_router = Router(tags=["channels"])
# Mounted once at the API's root (cuecast/api/main.py): series and the channels' queue slots.
router = Router()
router.add_router("/series", series_router)
router.add_router("/channels", slots_router)


def _idempotency_doc() -> dict[str, object]:
    return {"parameters": [dict(OPENAPI_PARAMETER)]}


# --- JSON -> service ----------------------------------------------------------------------------


def rule_from(repeat: RepeatIn) -> recurrence.Rule:
    try:
        start = scheduling.parse_local(repeat.start)
    except scheduling.ScheduleError as exc:
        raise ValidationFailed([FieldError("repeat.start", str(exc))]) from None
    return recurrence.Rule(
        frequency=SeriesFrequency(repeat.frequency),
        starts_on=start.date(),
        at_time=start.time().replace(second=0, microsecond=0),
        tz_name=repeat.tz,
        interval=repeat.interval,
        # A weekly series without weekdays falls on its first day's weekday.
        weekdays=tuple(recurrence.WEEKDAY_KEYS.index(day) for day in repeat.weekdays)
        or ((start.weekday(),) if repeat.frequency == "weekly" else ()),
        month_day=repeat.month_day,
        until=repeat.until,
        count=repeat.count,
    )


def _target_specs(targets: list[TargetIn]) -> list[TargetSpec]:
    return [
        TargetSpec(channel_id=t.channel_id, text=t.text, options=dict(t.options)) for t in targets
    ]


def _draft(payload: SeriesIn) -> series_service.SeriesDraft:
    return series_service.SeriesDraft(
        text=payload.text,
        targets=_target_specs(payload.targets),
        rule=rule_from(payload.repeat),
        media_ids=list(payload.media_ids),
    )


def _patched(series: Series, patch: SeriesPatch) -> series_service.SeriesDraft:
    """The series as it is, with the fields the patch sends."""
    current = series_service.SeriesDraft(
        text=series.text,
        targets=[
            TargetSpec(channel_id=t.channel_id, text=t.text or None, options=dict(t.options))
            for t in series.targets.all()
        ],
        rule=series_service.rule_of(series),
        media_ids=list(series.media_ids),
    )
    if patch.text is not None:
        current.text = patch.text
    if patch.targets is not None:
        current.targets = _target_specs(patch.targets)
    if patch.media_ids is not None:
        current.media_ids = list(patch.media_ids)
    if patch.repeat is not None:
        current.rule = rule_from(patch.repeat)
    return current


# --- service -> JSON ----------------------------------------------------------------------------


def repeat_out(series: Series) -> RepeatOut:
    return RepeatOut(
        start=f"{series.starts_on.isoformat()}T{series.at_time:%H:%M}",
        tz=series.timezone,
        frequency=series.frequency,
        interval=series.interval,
        weekdays=[recurrence.WEEKDAY_KEYS[d] for d in series.weekdays],
        month_day=series.month_day,
        until=series.until,
        count=series.count,
        description=series_service.describe(series),
    )


def series_out(series: Series, now: datetime | None = None) -> SeriesOut:
    now = now or timezone.now()
    return SeriesOut(
        id=series.pk,
        text=series.text,
        state=SeriesState(series.state),
        repeat=repeat_out(series),
        targets=[
            SeriesTargetOut(
                channel_id=t.channel_id,
                network=t.channel.network,
                text=t.text or None,
                options=dict(t.options),
            )
            for t in series.targets.all()
        ],
        media_ids=list(series.media_ids),
        approved_at=series.approved_at,
        created_at=series.created_at,
        upcoming=[
            OccurrenceOut(
                post_id=post.pk,
                at=post.occurrence_at or now,
                states=[TargetState(t.state) for t in post.targets.all()],
            )
            for post in post_selectors.upcoming(series, now)
        ],
    )


def _series(actor: Actor, series_id: int) -> Series:
    found = post_selectors.one_series(actor, series_id) if 1 <= series_id < 2**63 else None
    if found is None:
        raise NotFound(f"There is no series {series_id} in this workspace.")
    return found


# --- series -------------------------------------------------------------------------------------


@series_router.post(
    "",
    summary="Create Series",
    response={201: SeriesOut, **responses(401, 403, 422)},
    openapi_extra=_idempotency_doc(),
)
@idempotent_operation()
def create_series_op(request: HttpRequest, payload: SeriesIn) -> Status[SeriesOut]:
    """A recurring post. Its occurrences become ordinary posts two weeks ahead (and always the
    next one); each can be changed or cancelled on its own."""
    actor = request_actor(request)
    series = series_service.create_series(actor, _draft(payload))
    return Status(201, series_out(_series(actor, series.pk)))


class SeriesFilters(Schema):
    state: str | None = Field(None, description="active, ended or cancelled")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


@series_router.get("", response={200: SeriesPage, **responses(401, 403, 422)})
def list_series(request: HttpRequest, filters: Query[SeriesFilters]) -> SeriesPage:
    """The workspace's series, newest first."""
    found = post_selectors.series_list(request_actor(request))
    if filters.state:
        found = found.filter(state=filters.state)
    page = found[filters.offset : filters.offset + filters.limit]
    now = timezone.now()
    return SeriesPage(
        items=[series_out(s, now) for s in page],
        count=found.count(),
        limit=filters.limit,
        offset=filters.offset,
    )


@series_router.get("/{series_id}", response={200: SeriesOut, **responses(401, 403, 404, 422)})
def get_series(request: HttpRequest, series_id: int) -> SeriesOut:
    """One series with its rule in a sentence and its upcoming occurrences."""
    return series_out(_series(request_actor(request), series_id))


@series_router.patch("/{series_id}", response={200: SeriesOut, **responses(401, 403, 404, 422)})
def update_series(request: HttpRequest, series_id: int, payload: SeriesPatch) -> SeriesOut:
    """Change the text, channels, media or rule. Future occurrences that have not gone out (and
    were not changed on their own) follow the change."""
    actor = request_actor(request)
    series = _series(actor, series_id)
    series_service.update_series(actor, series, _patched(series, payload))
    return series_out(_series(actor, series_id))


@series_router.post(
    "/{series_id}/end",
    summary="End Series",
    response={200: SeriesOut, **responses(401, 403, 404, 422)},
    openapi_extra=_idempotency_doc(),
)
@idempotent_operation()
def end_series_op(
    request: HttpRequest, series_id: int, payload: SeriesEndIn | None = None
) -> SeriesOut:
    """No occurrences after `last_day` (or from now on): those not yet gone out are removed."""
    actor = request_actor(request)
    last_day = payload.last_day if payload is not None else None
    series_service.end_series(actor, _series(actor, series_id), last_day=last_day)
    return series_out(_series(actor, series_id))


@series_router.post(
    "/{series_id}/cancel",
    summary="Cancel Series",
    response={200: SeriesOut, **responses(401, 403, 404, 422)},
    openapi_extra=_idempotency_doc(),
)
@idempotent_operation()
def cancel_series_op(request: HttpRequest, series_id: int) -> SeriesOut:
    """Cancel the series and every occurrence target not yet on its way."""
    actor = request_actor(request)
    series_service.cancel_series(actor, _series(actor, series_id))
    return series_out(_series(actor, series_id))


@series_router.post(
    "/{series_id}/approve",
    summary="Approve Series",
    response={200: SeriesOut, **responses(401, 403, 404, 422)},
    openapi_extra=_idempotency_doc(),
)
@idempotent_operation()
def approve_series_op(request: HttpRequest, series_id: int) -> SeriesOut:
    """Approve the series: occurrences waiting for approval, and all later ones, are scheduled."""
    actor = request_actor(request)
    series_service.approve_series(actor, _series(actor, series_id))
    return series_out(_series(actor, series_id))


# --- queue slots --------------------------------------------------------------------------------


def slots_out(channel: Channel) -> QueueSlotsOut:
    tz_name = channel.workspace.timezone
    return QueueSlotsOut(
        channel_id=channel.pk,
        timezone=tz_name,
        slots=[
            QueueSlotOut(weekday=recurrence.WEEKDAY_KEYS[s.weekday], time=f"{s.at_time:%H:%M}")
            for s in queue.slots_of(channel)
        ],
        next_free=queue.next_free_slot(channel, tz_name, timezone.now()),
    )


@slots_router.get(
    "/{channel_id}/slots", response={200: QueueSlotsOut, **responses(401, 403, 404, 422)}
)
def get_slots(request: HttpRequest, channel_id: int) -> QueueSlotsOut:
    """The channel's weekly queue slots, in the workspace's zone, and the next free one."""
    return slots_out(selectors.channel(request_actor(request), channel_id))


@slots_router.put(
    "/{channel_id}/slots", response={200: QueueSlotsOut, **responses(401, 403, 404, 422)}
)
def set_slots(request: HttpRequest, channel_id: int, payload: QueueSlotsIn) -> QueueSlotsOut:
    """Replace the channel's weekly queue slots (needs `manage channels`)."""
    actor = request_actor(request)
    channel = selectors.channel(actor, channel_id)
    wanted = [(recurrence.WEEKDAY_KEYS.index(s.weekday), s.time) for s in payload.slots]
    queue.set_slots(actor, channel, wanted)
    return slots_out(channel)
