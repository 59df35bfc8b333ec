"""The workspace's settings page: the late policy for held posts (docs/decisions/0008). Every
member can read it; admins and owners change it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cuecast.accounts.forms import LatePolicyForm
from cuecast.accounts.models import Workspace
from cuecast.accounts.permissions import Action, PermissionDenied
from cuecast.accounts.services import set_late_policy
from cuecast.posts.errors import ValidationFailed
from cuecast.web.access import Member, get_member


def _render(request: HttpRequest, member: Member, form: LatePolicyForm) -> HttpResponse:
    can_manage = member.actor.can(Action.MANAGE_WORKSPACE)
    if not can_manage:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "member": member,
        "workspace": member.workspace,
        "section": "settings",
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "web/settings.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def workspace_settings(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)
    current = Workspace.objects.get(pk=member.workspace.pk)
    initial = {"late_policy": current.late_policy, "late_limit_hours": current.late_limit_hours}
    if request.method != "POST":
        return _render(request, member, LatePolicyForm(initial=initial))
    form = LatePolicyForm(request.POST, initial=initial)
    if not form.is_valid():
        return _render(request, member, form)
    try:
        set_late_policy(
            member.actor,
            policy=form.cleaned_data["late_policy"],
            limit_hours=form.cleaned_data["late_limit_hours"],
        )
    except PermissionDenied:
        messages.error(request, _("Only an admin or owner of this workspace can change this."))
    except ValidationFailed as exc:
        for error in exc.errors:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        return _render(request, member, form)
    else:
        messages.success(request, _("Saved. It applies to every held post released from now on."))
    return redirect("web:settings", slug=slug)
