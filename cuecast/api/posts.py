"""`/api/v1/posts`: create (with a schedule of any kind, or as a draft), list, read, cancel, approve,
reschedule and add to the queue.

All validation lives in cuecast.posts.services; this module only translates between JSON and the
service's dataclasses, and between the service's answers and JSON.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status
from pydantic import TypeAdapter

from cuecast.api import selectors
from cuecast.api.auth import request_actor
from cuecast.api.errors import responses
from cuecast.api.idempotency import OPENAPI_PARAMETER, idempotent_operation
from cuecast.api.schemas import (
    CueOut,
    LeftAloneOut,
    PostFilters,
    PostIn,
    PostOut,
    PostPage,
    RescheduleOut,
    ScheduleIn,
    ScheduleOut,
    TargetOut,
)
from cuecast.posts.models import Post, Schedule, ScheduleKind, Target, TargetState
from cuecast.posts.rescheduling import RescheduleResult, reschedule_post
from cuecast.posts.services import (
    PostDraft,
    ScheduleSpec,
    TargetSpec,
    approve_post,
    cancel_post,
    create_post,
)

router = Router(tags=["posts"])

_DURATION = TypeAdapter(timedelta)


def _idempotency_doc() -> dict[str, object]:
    return {"parameters": [dict(OPENAPI_PARAMETER)]}


# --- JSON -> service ----------------------------------------------------------------------------


def schedule_spec(schedule: ScheduleIn) -> ScheduleSpec:
    if schedule.queue:
        return ScheduleSpec(kind=ScheduleKind.QUEUE)
    if schedule.at is not None:
        return ScheduleSpec(kind=ScheduleKind.AT, at=schedule.at)
    if schedule.local is not None:
        return ScheduleSpec(kind=ScheduleKind.LOCAL, local_at=schedule.local, tz=schedule.tz or "")
    cue = schedule.cue
    assert cue is not None, "ScheduleIn guarantees exactly one kind"
    return ScheduleSpec(
        kind=ScheduleKind.CUE,
        campaign_id=cue.campaign_id,
        cue_event=cue.event,
        cue_offset=cue.offset,
        cue_time=cue.time,
        tz=cue.tz or "",
    )


def post_draft(payload: PostIn) -> PostDraft:
    return PostDraft(
        text=payload.text,
        targets=[
            TargetSpec(channel_id=t.channel_id, text=t.text, options=dict(t.options))
            for t in payload.targets
        ],
        schedule=schedule_spec(payload.schedule) if payload.schedule is not None else None,
        media_ids=list(payload.media_ids),
    )


# --- service -> JSON ----------------------------------------------------------------------------


def schedule_out(schedule: Schedule) -> ScheduleOut:
    if schedule.kind == ScheduleKind.AT:
        return ScheduleOut(kind="at", at=schedule.at)
    if schedule.kind == ScheduleKind.LOCAL:
        return ScheduleOut(kind="local", local=schedule.local_at, tz=schedule.timezone or None)
    if schedule.kind == ScheduleKind.QUEUE:
        return ScheduleOut(kind="queue", tz=schedule.timezone or None)
    cue_time = schedule.cue_time
    return ScheduleOut(
        kind="cue",
        cue=CueOut(
            campaign_id=schedule.campaign_id,
            event=schedule.cue_event,
            offset=str(_DURATION.dump_python(schedule.cue_offset or timedelta(0), mode="json")),
            time=cue_time.strftime("%H:%M" if not cue_time.second else "%H:%M:%S")
            if cue_time is not None
            else None,
            tz=schedule.timezone or None,
        ),
    )


def target_out(target: Target) -> TargetOut:
    annotated: int | None = getattr(target, "attempts_total", None)
    return TargetOut(
        id=target.pk,
        channel_id=target.channel_id,
        network=target.channel.network,
        text=target.text or None,
        state=TargetState(target.state),
        due_at=target.due_at,
        external_id=target.external_id or None,
        permalink=target.permalink or None,
        reason=target.reason or None,
        attempts=annotated if annotated is not None else target.attempts.count(),
        published_at=target.published_at,
        options=dict(target.options),
    )


def post_out(post: Post) -> PostOut:
    schedule: Schedule | None = getattr(post, "schedule", None)
    return PostOut(
        id=post.pk,
        text=post.text,
        created_at=post.created_at,
        approved_at=post.approved_at,
        schedule=schedule_out(schedule) if schedule is not None else None,
        media_ids=[pm.media_id for pm in post.post_media.all()],
        targets=[target_out(t) for t in post.targets.all()],
        series_id=post.series_id,
    )


def reschedule_out(result: RescheduleResult, post: Post) -> RescheduleOut:
    return RescheduleOut(
        message=result.message,
        moved_target_ids=result.moved,
        left_alone=[
            LeftAloneOut(
                target_id=item.target_id,
                network=item.network_name,
                channel=item.channel_name,
                state=item.state,
            )
            for item in result.left_alone
        ],
        post=post_out(post),
    )


# --- operations ---------------------------------------------------------------------------------


@router.post(
    "",
    summary="Create Post",
    response={201: PostOut, **responses(401, 403, 422)},
    openapi_extra=_idempotency_doc(),
)
@idempotent_operation()
def create_post_op(request: HttpRequest, payload: PostIn) -> Status[PostOut]:
    """Create a post with one target per channel. With a schedule it is scheduled (or waits for
    approval); without one it is a draft. Nothing is created when anything is wrong."""
    actor = request_actor(request)
    post = create_post(actor, post_draft(payload))
    return Status(201, post_out(selectors.post(actor, post.pk)))


@router.get("", response={200: PostPage, **responses(401, 403, 422)})
def list_posts(request: HttpRequest, filters: Query[PostFilters]) -> PostPage:
    """The workspace's posts, newest first. Target filters (state, channel, due window) must all
    hold for the same target."""
    where = selectors.PostFilter(
        state=filters.state,
        channel_id=filters.channel_id,
        campaign_id=filters.campaign_id,
        due_after=filters.due_after,
        due_before=filters.due_before,
    )
    found = selectors.posts(request_actor(request), where)
    page = found[filters.offset : filters.offset + filters.limit]
    return PostPage(
        items=[post_out(p) for p in page],
        count=found.count(),
        limit=filters.limit,
        offset=filters.offset,
    )


@router.get("/{post_id}", response={200: PostOut, **responses(401, 403, 404, 422)})
def get_post(request: HttpRequest, post_id: int) -> PostOut:
    """One post with its schedule as entered and every target's state."""
    return post_out(selectors.post(request_actor(request), post_id))


@router.post(
    "/{post_id}/cancel",
    summary="Cancel Post",
    response={200: PostOut, **responses(401, 403, 404, 422)},
    openapi_extra=_idempotency_doc(),
)
@idempotent_operation()
def cancel_post_op(request: HttpRequest, post_id: int) -> PostOut:
    """Cancel every target not yet on its way; one already publishing is left to finish."""
    actor = request_actor(request)
    cancel_post(actor, selectors.post(actor, post_id))
    return post_out(selectors.post(actor, post_id))


@router.post(
    "/{post_id}/approve",
    summary="Approve Post",
    response={200: PostOut, **responses(401, 403, 404, 422)},
    openapi_extra=_idempotency_doc(),
)
@idempotent_operation()
def approve_post_op(request: HttpRequest, post_id: int) -> PostOut:
    """Approve a post waiting for approval: its dated targets become scheduled."""
    actor = request_actor(request)
    approve_post(actor, selectors.post(actor, post_id))
    return post_out(selectors.post(actor, post_id))


@router.post(
    "/{post_id}/reschedule",
    summary="Reschedule Post",
    response={200: RescheduleOut, **responses(401, 403, 404, 422)},
    openapi_extra=_idempotency_doc(),
)
@idempotent_operation()
def reschedule_post_op(request: HttpRequest, post_id: int, payload: ScheduleIn) -> RescheduleOut:
    """Move every target still draft, scheduled or held to the new schedule, in one step that a
    worker cannot overtake: a target already being published (or done) keeps its course and is
    named in `left_alone` and in `message`. The old time never fires for a target that moved."""
    actor = request_actor(request)
    result = reschedule_post(actor, selectors.post(actor, post_id), schedule_spec(payload))
    return reschedule_out(result, selectors.post(actor, post_id))


@router.post(
    "/{post_id}/queue",
    summary="Add Post To Queue",
    response={200: RescheduleOut, **responses(401, 403, 404, 422)},
    openapi_extra=_idempotency_doc(),
)
@idempotent_operation()
def queue_post_op(request: HttpRequest, post_id: int) -> RescheduleOut:
    """Give each of the post's targets its channel's next free queue slot (the same as
    rescheduling with `{"queue": true}`)."""
    actor = request_actor(request)
    spec = ScheduleSpec(kind=ScheduleKind.QUEUE)
    result = reschedule_post(actor, selectors.post(actor, post_id), spec)
    return reschedule_out(result, selectors.post(actor, post_id))
