"""A post's page: its text, where it goes, what happened on each attempt; cancel and approve."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from cuecast.accounts.permissions import Action, PermissionDenied
from cuecast.networks import registry
from cuecast.posts.models import CueEvent, Post, Schedule, ScheduleKind, TargetState
from cuecast.posts.services import CANCELLABLE, approve_post, cancel_post
from cuecast.web.access import get_member


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
