"""Recurring posts: a series holds the rule and the template; its occurrences are ordinary posts.

Each occurrence is materialised as a Post with its Targets a bounded horizon ahead (`HORIZON`,
and always at least the next one), so the publishing engine, the calendar and the post page see
nothing but ordinary targets, and exactly-once publishing is the engine's as it stands
(docs/decisions/0007-recurring-series.md).

`materialize_due(now)` is safe to run from several workers at once: a series is materialised with
its row locked (SKIP LOCKED on PostgreSQL, so another worker passes it over), and the unique
constraint on (series, occurrence instant) makes a second copy of an occurrence impossible anyway.

Editing a series replaces its future occurrences that have not gone out (every target still
draft, scheduled or held, no attempt made) and were not changed on their own; ending it removes
those after its last day; cancelling it cancels every target of it not yet on its way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.posts import recurrence, scheduling
from cuecast.posts.errors import FieldError, ValidationFailed
from cuecast.posts.models import (
    Media,
    Post,
    PostMedia,
    Schedule,
    ScheduleKind,
    Series,
    SeriesFrequency,
    SeriesState,
    SeriesTarget,
    Target,
    TargetEvent,
    TargetState,
)
from cuecast.posts.services import (
    CANCELLABLE,
    PostDraft,
    TargetSpec,
    approve_post,
    check_draft,
    check_not_past,
    initial_state,
)

# Occurrences exist as posts this far ahead (and always the next one, however far).
HORIZON = timedelta(days=14)
# An occurrence more than this late (the worker was down) is not created: see decision 0005.
LATE_LIMIT = timedelta(hours=1)
MATERIALIZE_BATCH = 100
_UNSENT = (TargetState.DRAFT, TargetState.SCHEDULED, TargetState.HELD)


@dataclass
class SeriesDraft:
    text: str
    targets: list[TargetSpec]
    rule: recurrence.Rule
    media_ids: list[int] = field(default_factory=list)


def rule_of(series: Series) -> recurrence.Rule:
    return recurrence.Rule(
        frequency=SeriesFrequency(series.frequency),
        starts_on=series.starts_on,
        at_time=series.at_time,
        tz_name=series.timezone,
        interval=series.interval,
        weekdays=tuple(series.weekdays),
        month_day=series.month_day,
        until=series.until,
        count=series.count,
    )


def describe(series: Series) -> str:
    return recurrence.describe(rule_of(series))


# --- validation ----------------------------------------------------------------------------------


def _rule_errors(rule: recurrence.Rule, now: datetime, *, is_new: bool) -> list[FieldError]:
    errors = [FieldError(f"repeat.{e.field}", str(e)) for e in recurrence.check(rule)]
    if errors:
        return errors
    first = recurrence.occurrence_at(datetime.combine(rule.starts_on, rule.at_time), rule.tz_name)
    if is_new and check_not_past(first.at, now):
        return [FieldError("repeat.start", _("The first day and time have already passed."))]
    if recurrence.first_after(rule, now) is None:
        return [FieldError("repeat", _("This repeat has no date left in the future."))]
    return []


def _check(
    actor: Actor, draft: SeriesDraft, now: datetime, *, is_new: bool
) -> tuple[list[SeriesTarget], list[FieldError]]:
    post_draft = PostDraft(text=draft.text, targets=draft.targets, media_ids=draft.media_ids)
    channels, _media, errors = check_draft(actor, post_draft)
    errors.extend(_rule_errors(draft.rule, now, is_new=is_new))
    by_channel = {spec.channel_id: spec for spec in draft.targets}
    targets = [
        SeriesTarget(
            channel=channel,
            text=by_channel[channel.pk].text or "",
            options=dict(by_channel[channel.pk].options),
            position=index,
        )
        for index, channel in enumerate(channels)
    ]
    return targets, errors


def _apply(series: Series, draft: SeriesDraft, targets: list[SeriesTarget]) -> None:
    rule = draft.rule
    series.text, series.media_ids = draft.text, list(dict.fromkeys(draft.media_ids))
    series.timezone, series.starts_on, series.at_time = rule.tz_name, rule.starts_on, rule.at_time
    series.frequency, series.interval = rule.frequency, rule.interval
    series.weekdays = sorted(set(rule.weekdays))
    series.month_day, series.until, series.count = rule.month_day, rule.until, rule.count
    series.save()
    SeriesTarget.objects.filter(series=series).delete()
    for target in targets:
        target.series = series
    SeriesTarget.objects.bulk_create(targets)


def _set_approval(actor: Actor, series: Series) -> None:
    """As for a single post: a member who may not approve leaves the series waiting."""
    if actor.workspace.requires_approval and not actor.can(Action.APPROVE):
        series.approved_by, series.approved_at = None, None
    else:
        series.approved_by, series.approved_at = actor.user, timezone.now()


# --- write paths ---------------------------------------------------------------------------------


@transaction.atomic
def create_series(actor: Actor, draft: SeriesDraft, *, now: datetime | None = None) -> Series:
    """Save a recurring post and materialise its first occurrences at once."""
    actor.require(Action.COMPOSE)
    now = now or timezone.now()
    targets, errors = _check(actor, draft, now, is_new=True)
    if errors:
        raise ValidationFailed(errors)
    series = Series(workspace=actor.workspace, created_by=actor.user, created_by_key=actor.api_key)
    _set_approval(actor, series)
    _apply(series, draft, targets)
    created = materialize(series, now)
    audit(actor, "series.created", series, rule=describe(series), occurrences=created)
    return series


def _locked(actor: Actor, series: Series) -> Series:
    return Series.objects.select_for_update().get(pk=series.pk, workspace=actor.workspace)


@transaction.atomic
def update_series(
    actor: Actor, series: Series, draft: SeriesDraft, *, now: datetime | None = None
) -> Series:
    """Change the template or the rule; future occurrences not yet gone out follow the change."""
    actor.require(Action.COMPOSE)
    now = now or timezone.now()
    series = _locked(actor, series)
    if series.state != SeriesState.ACTIVE:
        raise ValidationFailed(
            [FieldError("state", _("This series has ended. Start a new one instead."))]
        )
    targets, errors = _check(actor, draft, now, is_new=False)
    if errors:
        raise ValidationFailed(errors)
    _set_approval(actor, series)
    _apply(series, draft, targets)
    withdrawn = withdraw_unsent(series, after=now)
    series.materialized_until = now  # an edit never creates occurrences in the past
    series.save(update_fields=["materialized_until", "updated_at"])
    created = materialize(series, now)
    audit(actor, "series.updated", series, withdrawn=withdrawn, occurrences=created)
    return series


@transaction.atomic
def end_series(
    actor: Actor, series: Series, *, last_day: date | None = None, now: datetime | None = None
) -> Series:
    """No occurrences after `last_day` (a day in the series' zone), or after now when not given."""
    actor.require(Action.COMPOSE)
    now = now or timezone.now()
    series = _locked(actor, series)
    if series.state == SeriesState.CANCELLED:
        raise ValidationFailed([FieldError("state", _("This series was cancelled."))])
    if last_day is None:
        cut = now
        series.state = SeriesState.ENDED
    else:
        today = now.astimezone(scheduling.zone(series.timezone)).date()
        if last_day < today:
            raise ValidationFailed(
                [
                    FieldError(
                        "last_day",
                        _("That day has passed. Leave it out to end the series now."),
                    )
                ]
            )
        _end_rule_on(series, last_day)
        next_day = datetime.combine(last_day + timedelta(days=1), time(0))
        cut = recurrence.occurrence_at(next_day, series.timezone).at
    series.save()
    withdrawn = withdraw_unsent(series, after=cut)
    audit(actor, "series.ended", series, last_day=str(last_day or ""), withdrawn=withdrawn)
    return series


def _end_rule_on(series: Series, last_day: date) -> None:
    """`until` becomes the earlier of `last_day` and the rule's own last day (a count ends too)."""
    rule = rule_of(series)
    if rule.count is not None:
        final = recurrence.last_wall(rule)
        last_day = min(last_day, final.date()) if final is not None else last_day
    series.until = last_day if series.until is None else min(series.until, last_day)
    series.count = None


@transaction.atomic
def cancel_series(actor: Actor, series: Series, *, now: datetime | None = None) -> int:
    """Cancel the series and every target of it not yet on its way. Returns how many targets."""
    actor.require(Action.CANCEL_POST)
    now = now or timezone.now()
    series = _locked(actor, series)
    series.state = SeriesState.CANCELLED
    series.save(update_fields=["state", "updated_at"])
    # Conditional on the state, like cancel_post: a target a worker claimed keeps its course.
    cancelled = Target.objects.filter(post__series=series, state__in=CANCELLABLE).update(
        state=TargetState.CANCELLED,
        next_attempt_at=None,
        reason="Cancelled with its series.",
        updated_at=now,
    )
    audit(actor, "series.cancelled", series, targets=cancelled)
    return cancelled


@transaction.atomic
def approve_series(actor: Actor, series: Series) -> Series:
    """Approve the series: its waiting occurrences and every later one are scheduled."""
    actor.require(Action.APPROVE)
    series = _locked(actor, series)
    series.approved_by, series.approved_at = actor.user, timezone.now()
    series.save(update_fields=["approved_by", "approved_at", "updated_at"])
    for post in Post.objects.filter(series=series, approved_at__isnull=True):
        approve_post(actor, post)
    audit(actor, "series.approved", series)
    return series


def withdraw_unsent(series: Series, *, after: datetime) -> int:
    """Delete the occurrences from `after` on that have not gone out and were not changed on
    their own. Their targets are locked first, so one a worker claims meanwhile stays."""
    candidates = Post.objects.filter(series=series, edited_alone=False, occurrence_at__gte=after)
    rows = list(
        Target.objects.select_for_update(of=("self",))
        .filter(post__in=candidates)
        .values_list("post_id", "state")
    )
    gone_out = {post_id for post_id, state in rows if state not in _UNSENT}
    gone_out |= set(
        Target.objects.filter(post__in=candidates, attempts__isnull=False).values_list(
            "post_id", flat=True
        )
    )
    doomed = {post_id for post_id, _state in rows} - gone_out
    Post.objects.filter(pk__in=doomed).delete()
    return len(doomed)


# --- materialisation -----------------------------------------------------------------------------


def materialize_due(now: datetime) -> int:
    """Create the posts of every active series' occurrences up to the horizon. Idempotent and safe
    with several workers. Returns how many posts were created."""
    due = Series.objects.filter(state=SeriesState.ACTIVE).exclude(
        materialized_until__gte=now + HORIZON
    )
    created = 0
    for series_id in list(due.values_list("pk", flat=True)[:MATERIALIZE_BATCH]):
        created += _materialize_one(series_id, now)
    return created


@transaction.atomic
def _materialize_one(series_id: int, now: datetime) -> int:
    found = Series.objects.filter(pk=series_id, state=SeriesState.ACTIVE)
    if connection.features.has_select_for_update_skip_locked:
        found = found.select_for_update(skip_locked=True)  # another worker has it: pass it over
    series = found.first()
    return materialize(series, now) if series is not None else 0


def materialize(series: Series, now: datetime) -> int:
    """Create the series' missing occurrences up to the horizon (call with the series locked, in
    a transaction). Returns how many posts were created."""
    rule = rule_of(series)
    start = max(series.materialized_until or now - LATE_LIMIT, now - LATE_LIMIT)
    end = now + HORIZON
    upcoming = recurrence.first_after(rule, now)
    if upcoming is not None and upcoming.at >= end:
        end = upcoming.at + timedelta(microseconds=1)  # the next one shows, however far ahead
    template = _Template.of(series)
    taken = _days_taken(series, start, end)
    created = sum(
        _create_occurrence(series, template, occ)
        for occ in recurrence.between(rule, start, end)
        if occ.wall.date() not in taken
    )
    series.materialized_until = max(end, series.materialized_until or end)
    if recurrence.first_after(rule, series.materialized_until) is None:
        series.state = SeriesState.ENDED  # every occurrence the rule has now exists
    series.save(update_fields=["materialized_until", "state", "updated_at"])
    return created


def _days_taken(series: Series, start: datetime, end: datetime) -> set[date]:
    """Local days that already have an occurrence. A rule has one time of day, so the day names
    the occurrence: after an edit moves 09:00 to 10:00, a day whose 09:00 post is on its way (or
    was changed on its own) does not get a second one."""
    tz = scheduling.zone(series.timezone)
    instants = Post.objects.filter(
        series=series,
        occurrence_at__gte=start - timedelta(days=1),
        occurrence_at__lt=end + timedelta(days=1),
    ).values_list("occurrence_at", flat=True)
    return {at.astimezone(tz).date() for at in instants if at is not None}


@dataclass(frozen=True)
class _Template:
    targets: list[SeriesTarget]
    media: list[Media]

    @classmethod
    def of(cls, series: Series) -> _Template:
        targets = list(SeriesTarget.objects.filter(series=series).select_related("channel"))
        by_id = Media.objects.filter(workspace_id=series.workspace_id).in_bulk(series.media_ids)
        return cls(targets, [by_id[pk] for pk in series.media_ids if pk in by_id])


def _create_occurrence(series: Series, template: _Template, occ: recurrence.Occurrence) -> int:
    """One occurrence as an ordinary post; 0 when it exists already (or was changed alone)."""
    try:
        with transaction.atomic():  # a savepoint: a duplicate is skipped, not fatal
            _save_occurrence(series, template, occ)
    except IntegrityError:
        return 0
    return 1


def _save_occurrence(series: Series, template: _Template, occ: recurrence.Occurrence) -> None:
    post = Post.objects.create(
        workspace_id=series.workspace_id,
        text=series.text,
        created_by_id=series.created_by_id,
        created_by_key_id=series.created_by_key_id,
        approved_by_id=series.approved_by_id,
        approved_at=series.approved_at,
        series=series,
        occurrence_at=occ.at,
    )
    PostMedia.objects.bulk_create(
        PostMedia(post=post, media=m, position=i) for i, m in enumerate(template.media)
    )
    local = occ.at.astimezone(scheduling.zone(series.timezone))
    Schedule.objects.create(
        post=post,
        kind=ScheduleKind.LOCAL,
        local_at=f"{local:%Y-%m-%dT%H:%M}",
        timezone=series.timezone,
    )
    awaiting_approval = series.approved_at is None
    for spec in template.targets:
        target = Target.objects.create(
            post=post,
            channel=spec.channel,
            text=spec.text,
            options=dict(spec.options),
            due_at=occ.at,
            **initial_state(spec.channel, occ.at, awaiting_approval),
        )
        if occ.shifted:
            TargetEvent.objects.create(
                target=target, kind="moved", cause=occ.note[:300], to_due=occ.at
            )
