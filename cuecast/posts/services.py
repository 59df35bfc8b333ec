"""Write paths for posts: create (validated, all or nothing), approve, cancel.

Validation errors name the field and say what is wrong in a sentence a marketer understands; a post
with any error creates nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.campaigns.models import Campaign
from cuecast.channels.models import Channel
from cuecast.networks import registry
from cuecast.networks.base import VISIBILITIES, PostOption, TextCount
from cuecast.posts import queue, scheduling
from cuecast.posts.errors import FieldError as FieldError
from cuecast.posts.errors import ValidationFailed as ValidationFailed
from cuecast.posts.media import media_errors
from cuecast.posts.media import upload_media as upload_media
from cuecast.posts.models import (
    Media,
    Post,
    PostMedia,
    Schedule,
    ScheduleKind,
    Target,
    TargetState,
)

# A schedule this close behind "now" is taken as "now": the request itself takes time.
PAST_GRACE = timedelta(seconds=5)


@dataclass(frozen=True)
class TargetSpec:
    channel_id: int
    text: str | None = None
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScheduleSpec:
    kind: ScheduleKind
    at: datetime | None = None
    local_at: str = ""
    tz: str = ""
    campaign_id: int | None = None
    cue_event: str = ""
    cue_offset: timedelta = timedelta(0)
    cue_time: time | None = None


@dataclass
class PostDraft:
    text: str
    targets: list[TargetSpec]
    schedule: ScheduleSpec | None = None
    media_ids: list[int] = field(default_factory=list)


def count_for_channel(channel: Channel, text: str) -> TextCount:
    network = registry.get(channel.network)
    return network.count_text(text, network.text_limit(channel.settings))


def resolve_schedule(actor: Actor, spec: ScheduleSpec) -> tuple[datetime, Campaign | None]:
    """The UTC instant a schedule names, and the campaign it is cued to (if any)."""
    if spec.kind == ScheduleKind.AT:
        if spec.at is None or spec.at.tzinfo is None:
            raise scheduling.ScheduleError(
                _("Give the time with its offset, like 2026-12-01T09:00:00+01:00.")
            )
        return spec.at.astimezone(UTC), None
    if spec.kind == ScheduleKind.LOCAL:
        return scheduling.localize(scheduling.parse_local(spec.local_at), spec.tz), None
    if spec.kind == ScheduleKind.QUEUE:
        raise scheduling.ScheduleError(_("A queued post takes each channel's next free slot."))
    campaign = (
        Campaign.objects.filter(workspace=actor.workspace, pk=spec.campaign_id).first()
        if spec.campaign_id is not None
        else None
    )
    if campaign is None:
        raise scheduling.ScheduleError(
            _("There is no campaign %(id)s in this workspace.") % {"id": spec.campaign_id}
        )
    event_at = campaign.starts_at if spec.cue_event == "start" else campaign.ends_at
    if event_at is None:
        raise scheduling.ScheduleError(
            _("The campaign “%(name)s” has no end date yet.") % {"name": campaign.name}
        )
    cue = scheduling.Cue(
        event_at=event_at,
        offset=spec.cue_offset,
        tz_name=spec.tz or campaign.timezone,
        at_time=spec.cue_time,
        is_end=spec.cue_event == "end",
    )
    return scheduling.resolve_cue(cue), campaign


def _validate_targets(actor: Actor, draft: PostDraft) -> tuple[list[Channel], list[FieldError]]:
    errors: list[FieldError] = []
    channels: list[Channel] = []
    if not draft.targets:
        errors.append(FieldError("targets", _("Choose at least one channel to post to.")))
    seen: set[int] = set()
    # Ids beyond the database's integer range cannot exist; asking for them would be an error.
    by_id = Channel.objects.in_bulk(
        [t.channel_id for t in draft.targets if 0 < t.channel_id < 2**63], field_name="id"
    )
    for index, spec in enumerate(draft.targets):
        path = f"targets[{index}]"
        channel = by_id.get(spec.channel_id)
        if channel is None or channel.workspace_id != actor.workspace.pk:
            errors.append(
                FieldError(
                    f"{path}.channel_id",
                    _("There is no channel %(id)s in this workspace.") % {"id": spec.channel_id},
                )
            )
            continue
        if spec.channel_id in seen:
            errors.append(
                FieldError(
                    f"{path}.channel_id",
                    _("%(channel)s is listed twice.") % {"channel": channel.display_name},
                )
            )
            continue
        seen.add(spec.channel_id)
        channels.append(channel)
        text = spec.text if spec.text else draft.text
        if not text.strip() and not draft.media_ids:
            errors.append(
                FieldError(
                    f"{path}.text",
                    _("The post for %(channel)s is empty.") % {"channel": channel.display_name},
                )
            )
            continue
        errors.extend(_option_errors(path, channel, spec.options))
        rules = registry.get(channel.network).descriptor.media
        if len(draft.media_ids) < rules.min_media:
            errors.append(
                FieldError(
                    "media_ids",
                    _("%(network)s needs at least %(count)s image or video for %(channel)s.")
                    % {
                        "network": registry.get(channel.network).descriptor.name,
                        "count": rules.min_media,
                        "channel": channel.display_name,
                    },
                )
            )
        count = count_for_channel(channel, text)
        if not count.fits:
            network = registry.get(channel.network).descriptor
            errors.append(
                FieldError(
                    f"{path}.text",
                    _(
                        "Too long for %(channel)s on %(network)s: %(count)s characters, "
                        "the limit is %(limit)s (%(over)s over)."
                    )
                    % {
                        "channel": channel.display_name,
                        "network": network.name,
                        "count": count.count,
                        "limit": count.limit,
                        "over": count.over_by,
                    },
                )
            )
    return channels, errors


LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")


def _option_errors(path: str, channel: Channel, options: dict[str, str]) -> list[FieldError]:
    """Options the channel's network does not have, or values it would refuse, by name."""
    descriptor = registry.get(channel.network).descriptor
    errors = []
    for name, value in options.items():
        where = f"{path}.options.{name}"
        if name not in descriptor.post_options:
            errors.append(
                FieldError(
                    where,
                    _("%(network)s has no setting “%(name)s”.")
                    % {"network": descriptor.name, "name": name},
                )
            )
        elif name == PostOption.VISIBILITY and value not in VISIBILITIES:
            errors.append(
                FieldError(
                    where,
                    _("Visibility must be one of: %(choices)s.")
                    % {"choices": ", ".join(VISIBILITIES)},
                )
            )
        elif name == PostOption.LANGUAGE and not LANGUAGE_CODE.match(value):
            errors.append(
                FieldError(where, _("Give the language as a two-letter code, like de or en."))
            )
        elif name == PostOption.CONTENT_WARNING and len(value) > 500:
            errors.append(
                FieldError(where, _("A content warning can be at most 500 characters long."))
            )
    return errors


def check_draft(
    actor: Actor, draft: PostDraft
) -> tuple[list[Channel], list[Media], list[FieldError]]:
    """The draft's channels and media, and everything wrong with its content (not its time)."""
    channels, errors = _validate_targets(actor, draft)
    by_id = Media.objects.filter(workspace=actor.workspace).in_bulk(draft.media_ids)
    media = [by_id[pk] for pk in dict.fromkeys(draft.media_ids) if pk in by_id]
    missing = set(draft.media_ids) - set(by_id)
    errors.extend(media_errors(channels, media))
    if missing:
        errors.append(
            FieldError(
                "media_ids",
                _("There is no media %(ids)s in this workspace.") % {"ids": sorted(missing)},
            )
        )
    return channels, media, errors


def check_not_past(
    due_at: datetime, now: datetime, field_name: str = "schedule"
) -> list[FieldError]:
    if due_at >= now - PAST_GRACE:
        return []
    return [
        FieldError(
            field_name,
            _("That time (%(time)s UTC) has already passed.")
            % {"time": f"{due_at:%Y-%m-%d %H:%M}"},
        )
    ]


def _due_times(
    actor: Actor, spec: ScheduleSpec, channels: list[Channel]
) -> tuple[dict[int, datetime], Campaign | None, list[FieldError]]:
    """When each channel's target is due (by channel id), the campaign it is cued to, and what
    is wrong with the schedule. Queue slots are picked with the channels locked."""
    now = timezone.now()
    if spec.kind == ScheduleKind.QUEUE:
        slots, errors = queue.assign(actor.workspace, channels, now)
        return slots, None, errors
    try:
        due_at, campaign = resolve_schedule(actor, spec)
    except scheduling.ScheduleError as exc:
        return {}, None, [FieldError("schedule", str(exc))]
    return {c.pk: due_at for c in channels}, campaign, check_not_past(due_at, now)


@transaction.atomic
def create_post(actor: Actor, draft: PostDraft) -> Post:
    actor.require(Action.COMPOSE)
    channels, media, errors = check_draft(actor, draft)
    due: dict[int, datetime] = {}
    campaign: Campaign | None = None
    if draft.schedule is not None:
        due, campaign, schedule_errors = _due_times(actor, draft.schedule, channels)
        errors.extend(schedule_errors)
    if errors:
        raise ValidationFailed(errors)

    post = Post.objects.create(
        workspace=actor.workspace,
        text=draft.text,
        created_by=actor.user,
        created_by_key=actor.api_key,
    )
    PostMedia.objects.bulk_create(
        PostMedia(post=post, media=m, position=i) for i, m in enumerate(media)
    )
    if draft.schedule is not None:
        save_schedule(post, draft.schedule, campaign)
    awaiting_approval = actor.workspace.requires_approval and not actor.can(Action.APPROVE)
    if awaiting_approval:
        post.approved_at = None
    else:
        post.approved_by, post.approved_at = actor.user, timezone.now()
    post.save()
    for spec, channel in zip(_matching_specs(draft, channels), channels, strict=True):
        due_at = due.get(channel.pk)
        Target.objects.create(
            post=post,
            channel=channel,
            text=spec.text or "",
            options=dict(spec.options),
            due_at=due_at,
            **initial_state(channel, due_at, awaiting_approval),
        )
    audit(
        actor,
        "post.created",
        post,
        channels=[c.pk for c in channels],
        due_at=sorted({str(d) for d in due.values()}),
    )
    return post


def _matching_specs(draft: PostDraft, channels: list[Channel]) -> list[TargetSpec]:
    by_channel = {spec.channel_id: spec for spec in draft.targets}
    return [by_channel[c.pk] for c in channels]


def initial_state(
    channel: Channel, due_at: datetime | None, awaiting_approval: bool
) -> dict[str, object]:
    if due_at is None:
        return {"state": TargetState.DRAFT}
    if awaiting_approval:
        return {"state": TargetState.DRAFT, "reason": "Waiting for approval."}
    from cuecast.publishing.holds import hold_for_new_target

    # Its network switched off or its channel disconnected: it starts held (publishing/holds.py).
    standing = hold_for_new_target(channel, timezone.now())
    if standing is not None:
        return {
            "state": TargetState.HELD,
            "hold": standing.cause,
            "next_attempt_at": due_at,
            "reason": standing.reason,
        }
    return {"state": TargetState.SCHEDULED, "next_attempt_at": due_at}


def save_schedule(post: Post, spec: ScheduleSpec, campaign: Campaign | None) -> None:
    """Keep the schedule the way it was entered (replacing any earlier one)."""
    Schedule.objects.update_or_create(
        post=post,
        defaults=dict(
            kind=spec.kind,
            at=spec.at if spec.kind == ScheduleKind.AT else None,
            local_at=spec.local_at if spec.kind == ScheduleKind.LOCAL else "",
            timezone=_schedule_zone(post, spec, campaign),
            campaign=campaign,
            cue_event=spec.cue_event if spec.kind == ScheduleKind.CUE else "",
            cue_offset=spec.cue_offset if spec.kind == ScheduleKind.CUE else None,
            cue_time=spec.cue_time if spec.kind == ScheduleKind.CUE else None,
        ),
    )


def _schedule_zone(post: Post, spec: ScheduleSpec, campaign: Campaign | None) -> str:
    if spec.kind == ScheduleKind.QUEUE:
        return post.workspace.timezone  # slots are wall-clock times in the workspace's zone
    return spec.tz or (campaign.timezone if campaign else "")


@transaction.atomic
def approve_post(actor: Actor, post: Post) -> int:
    """Approve a post waiting for approval; its dated drafts become scheduled. Returns how many."""
    actor.require(Action.APPROVE)
    post = Post.objects.select_for_update().get(pk=post.pk, workspace=actor.workspace)
    post.approved_by, post.approved_at = actor.user, timezone.now()
    post.save(update_fields=["approved_by", "approved_at", "updated_at"])
    moved = 0
    for target in post.targets.select_related("channel").filter(
        state=TargetState.DRAFT, due_at__isnull=False
    ):
        for key, value in initial_state(target.channel, target.due_at, False).items():
            setattr(target, key, value)
        if target.state == TargetState.SCHEDULED:
            target.reason = ""
        target.save()
        moved += 1
    audit(actor, "post.approved", post, targets=moved)
    return moved


CANCELLABLE = [TargetState.DRAFT, TargetState.SCHEDULED, TargetState.HELD]


@transaction.atomic
def cancel_post(actor: Actor, post: Post) -> int:
    """Cancel every target not yet on its way. A target a worker already claimed is left alone:
    the conditional update below and the worker's claim cannot both win."""
    actor.require(Action.CANCEL_POST)
    count = Target.objects.filter(
        post__workspace=actor.workspace, post=post, state__in=CANCELLABLE
    ).update(
        state=TargetState.CANCELLED,
        next_attempt_at=None,
        reason="Cancelled.",
        updated_at=timezone.now(),
    )
    audit(actor, "post.cancelled", post, targets=count)
    return count


def reschedule_cued_targets(campaign: Campaign) -> int:
    """Recompute due times of not-yet-published targets cued to this campaign. Returns how many moved.

    The update is conditional on the state, so a target a worker already claimed keeps its course
    and the old time never fires for one that was moved.
    """
    moved = 0
    now = timezone.now()
    for schedule in Schedule.objects.filter(campaign=campaign, kind=ScheduleKind.CUE):
        event_at = campaign.starts_at if schedule.cue_event == "start" else campaign.ends_at
        if event_at is None:
            continue
        due = scheduling.resolve_cue(
            scheduling.Cue(
                event_at=event_at,
                offset=schedule.cue_offset or timedelta(0),
                tz_name=schedule.timezone or campaign.timezone,
                at_time=schedule.cue_time,
                is_end=schedule.cue_event == "end",
            )
        )
        moved += (
            Target.objects.filter(
                post_id=schedule.post_id,
                state__in=[TargetState.SCHEDULED, TargetState.HELD, TargetState.DRAFT],
            )
            .exclude(due_at=due)
            .update(due_at=due, next_attempt_at=due, updated_at=now)
        )
    return moved
