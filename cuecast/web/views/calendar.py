"""Week and month calendars of a workspace's targets, in the workspace's time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cuecast.networks import registry
from cuecast.posts.models import Post, TargetState
from cuecast.web import calendar
from cuecast.web.access import get_member

DRAFTS_SHOWN = 20


@login_required
@require_GET
def calendar_view(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)
    view: calendar.View = "month" if request.GET.get("view") == "month" else "week"
    today = timezone.now().astimezone(ZoneInfo(member.workspace.timezone)).date()
    anchor = calendar.parse_anchor(request.GET.get("date"), today)
    page = calendar.build(member.workspace, view, anchor, today)
    drafts = (
        Post.objects.filter(
            workspace=member.workspace,
            targets__state=TargetState.DRAFT,
            targets__due_at__isnull=True,
        )
        .distinct()
        .order_by("-created_at")[:DRAFTS_SHOWN]
    )
    context = {
        "member": member,
        "workspace": member.workspace,
        "section": "calendar",
        "page": page,
        "drafts": drafts,
        "network_names": {k: n.descriptor.name for k, n in registry.networks().items()},
        "states": TargetState.choices,
    }
    return render(request, "web/calendar.html", context)
