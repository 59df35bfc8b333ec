"""A post's page: its text, where it goes, what happened on each attempt; cancel, approve, move
(reschedule) and, for an occurrence of a series, end or cancel the series."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from cuecast.accounts.permissions import Action, PermissionDenied
from cuecast.networks import registry
from cuecast.posts import series as series_service
from cuecast.posts.models import CueEvent, Post, Schedule, ScheduleKind, SeriesState, TargetState
from cuecast.posts.rescheduling import MOVABLE, reschedule_post
from cuecast.posts.services import (
    CANCELLABLE,
    ScheduleSpec,
    ValidationFailed,
    approve_post,
    cancel_post,
)
from cuecast.web.access import Member, get_member


def describe_schedule(schedule: Schedule | None) -> str:
    """The schedule the way it was entered, in a sentence."""
    if schedule is None:
        return _("No time yet (draft).")
    if schedule.kind == ScheduleKind.LOCAL:
        return _("At %(time)s, %(zone)s") % {
            "time": schedule.local_at.replace("T", " "),
            "zone": schedule.timezone,
        }
    if schedule.kind == ScheduleKind.AT:
        return _("At an exact time")
    if schedule.kind == ScheduleKind.QUEUE:
        return _("In each channel's next free queue slot")
    offset = schedule.cue_offset
    seconds = int(offset.total_seconds()) if offset is not None else 0
    days, rest = divmod(abs(seconds), 86400)
    name = schedule.campaign.name if schedule.campaign else "?"
    if schedule.cue_event == CueEvent.END:
        event = _("the end of “%(campaign)s”") % {"campaign": name}
    else:
        event = _("the start of “%(campaign)s”") % {"campaign": name}
    parts = {"days": days, "hours": rest // 3600, "event": event}
    if seconds == 0:
        text = _("At %(event)s") % parts
    elif seconds < 0:
        text = _("%(days)d d %(hours)d h before %(event)s") % parts
    else:
        text = _("%(days)d d %(hours)d h after %(event)s") % parts
    if schedule.cue_time is not None:
        text += " " + _("at %(time)s, %(zone)s") % {
            "time": schedule.cue_time.strftime("%H:%M"),
            "zone": schedule.timezone,
        }
    return text


@login_required
@require_GET
def post_detail(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    member = get_member(request, slug)
    post = get_object_or_404(
        Post.objects.select_related("created_by", "approved_by"),
        pk=post_id,
        workspace=member.workspace,
    )
    schedule = Schedule.objects.filter(post=post).select_related("campaign").first()
    targets = list(post.targets.select_related("channel").prefetch_related("attempts"))
    names = {k: n.descriptor.name for k, n in registry.networks().items()}
    cancellable = any(t.state in CANCELLABLE for t in targets)
    awaiting_approval = post.approved_at is None and any(
        t.state == TargetState.DRAFT and t.due_at is not None for t in targets
    )
    context = {
        "member": member,
        "workspace": member.workspace,
        "section": "calendar",
        "post": post,
        "schedule_text": describe_schedule(schedule),
        "targets": [
            {"target": t, "network_name": names.get(t.channel.network, t.channel.network)}
            for t in targets
        ],
        "can_cancel": cancellable and member.actor.can(Action.CANCEL_POST),
        "can_approve": awaiting_approval and member.actor.can(Action.APPROVE),
        **_moving_context(member, post, any(t.state in MOVABLE for t in targets)),
    }
    return render(request, "web/post.html", context)


@login_required
@require_POST
def post_cancel(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    member = get_member(request, slug)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    try:
        count = cancel_post(member.actor, post)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow cancelling posts."))
    else:
        if count:
            messages.success(
                request,
                ngettext("Cancelled %(count)d target.", "Cancelled %(count)d targets.", count)
                % {"count": count},
            )
        else:
            messages.info(
                request, _("Nothing left to cancel: every target is already on its way or done.")
            )
    return redirect("web:post", slug=slug, post_id=post.pk)


@login_required
@require_POST
def post_approve(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    member = get_member(request, slug)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    try:
        approve_post(member.actor, post)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow approving posts."))
    else:
        messages.success(request, _("Approved. The post is scheduled."))
    return redirect("web:post", slug=slug, post_id=post.pk)


# --- moving a post; ending or cancelling its series ------------------------------------------------


@cache
def _zone_choices() -> list[tuple[str, str]]:
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(name, name.replace("_", " ")) for name in names]


class RescheduleForm(forms.Form):
    """Move a post: to a date and time in a zone, or into each channel's next free queue slot."""

    when = forms.ChoiceField(
        label=gettext_lazy("New time"),
        choices=[
            (ScheduleKind.LOCAL.value, gettext_lazy("At a date and time")),
            (ScheduleKind.QUEUE.value, gettext_lazy("In each channel's next free queue slot")),
        ],
        initial=ScheduleKind.LOCAL.value,
        widget=forms.RadioSelect,
    )
    local_at = forms.CharField(
        label=gettext_lazy("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    timezone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=_zone_choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == ScheduleKind.LOCAL and not data.get("local_at"):
            self.add_error("local_at", _("Choose the new date and time."))
        return data

    def to_spec(self) -> ScheduleSpec:
        data = self.cleaned_data
        if data["when"] == ScheduleKind.QUEUE:
            return ScheduleSpec(kind=ScheduleKind.QUEUE)
        return ScheduleSpec(kind=ScheduleKind.LOCAL, local_at=data["local_at"], tz=data["timezone"])


def _moving_context(member: Member, post: Post, movable: bool) -> dict[str, Any]:
    """What the post page needs to move the post and to show or end its series."""
    series = post.series if post.series_id is not None else None
    can_compose = member.actor.can(Action.COMPOSE)
    return {
        "reschedule_form": RescheduleForm(
            initial={"timezone": member.workspace.timezone}, auto_id="id_move_%s"
        ),
        "can_reschedule": movable and can_compose,
        "series": series,
        "series_text": series_service.describe(series) if series is not None else "",
        "series_active": series is not None and series.state == SeriesState.ACTIVE,
        "can_end_series": can_compose,
        "can_cancel_series": member.actor.can(Action.CANCEL_POST),
    }


@login_required
@require_POST
def post_reschedule(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    member = get_member(request, slug)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        for text in [str(e) for errors in form.errors.values() for e in errors]:
            messages.error(request, text)
        return redirect("web:post", slug=slug, post_id=post.pk)
    try:
        result = reschedule_post(member.actor, post, form.to_spec())
    except PermissionDenied:
        messages.error(request, _("Your role does not allow moving posts."))
    except ValidationFailed as exc:
        for problem in exc.errors:
            messages.error(request, problem.message)
    else:
        report = messages.success if result.moved else messages.warning
        report(request, result.message)
    return redirect("web:post", slug=slug, post_id=post.pk)


def _post_series(request: HttpRequest, slug: str, post_id: int) -> tuple[Member, Post]:
    member = get_member(request, slug)
    post = get_object_or_404(
        Post.objects.select_related("series"),
        pk=post_id,
        workspace=member.workspace,
        series__isnull=False,
    )
    return member, post


@login_required
@require_POST
def series_end(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    """End the series this post belongs to: no more posts after now."""
    member, post = _post_series(request, slug, post_id)
    assert post.series is not None
    try:
        series_service.end_series(member.actor, post.series)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow changing series."))
    except ValidationFailed as exc:
        for problem in exc.errors:
            messages.error(request, problem.message)
    else:
        messages.success(
            request, _("The series has ended. Posts already on their way still go out.")
        )
    return _back_to(slug, post)


def _back_to(slug: str, post: Post) -> HttpResponse:
    """The post's page, or the calendar when ending the series removed this post too."""
    if Post.objects.filter(pk=post.pk).exists():
        return redirect("web:post", slug=slug, post_id=post.pk)
    return redirect("web:calendar", slug=slug)


@login_required
@require_POST
def series_cancel(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    """Cancel the series and every post of it not yet on its way."""
    member, post = _post_series(request, slug, post_id)
    assert post.series is not None
    try:
        count = series_service.cancel_series(member.actor, post.series)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow cancelling posts."))
    else:
        messages.success(
            request,
            ngettext(
                "The series is cancelled, with %(count)d target.",
                "The series is cancelled, with %(count)d targets.",
                count,
            )
            % {"count": count},
        )
    return redirect("web:post", slug=slug, post_id=post.pk)
