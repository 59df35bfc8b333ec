"""The "needs your check" list and its two buttons (cuecast.publishing.checks): "It was published"
and "Publish again". Both come back to the page they were pressed on."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cuecast.accounts.permissions import PermissionDenied
from cuecast.posts.errors import ValidationFailed
from cuecast.posts.models import Target
from cuecast.publishing import checks
from cuecast.web.access import Member, get_member


@login_required
@require_GET
def check_list(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)
    context = {
        "member": member,
        "workspace": member.workspace,
        "section": "checks",
        "targets": list(checks.needs_check(member.workspace)),
        "next_url": request.get_full_path(),
    }
    return render(request, "web/checks.html", context)


def _back(request: HttpRequest, member: Member, target_id: int) -> HttpResponse:
    """To the page the button was on; else the target's post page (or the list)."""
    wanted = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return redirect(wanted)
    slug = member.workspace.slug
    post_id = (
        Target.objects.filter(pk=target_id, post__workspace=member.workspace)
        .values_list("post_id", flat=True)
        .first()
    )
    if post_id is None:
        return redirect("web:checks", slug=slug)
    return redirect("web:post", slug=slug, post_id=post_id)


@login_required
@require_POST
def confirm_published(request: HttpRequest, slug: str, target_id: int) -> HttpResponse:
    member = get_member(request, slug)
    try:
        checks.confirm_published(
            member.actor, target_id, permalink=request.POST.get("permalink", "")
        )
    except Target.DoesNotExist:
        raise Http404 from None
    except PermissionDenied:
        messages.error(request, _("Your role does not allow settling posts."))
    except ValidationFailed as exc:
        messages.error(request, exc.errors[0].message)
    except checks.TargetMoved as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, _("Recorded as published."))
    return _back(request, member, target_id)


@login_required
@require_POST
def publish_again(request: HttpRequest, slug: str, target_id: int) -> HttpResponse:
    member = get_member(request, slug)
    try:
        target = checks.publish_again(member.actor, target_id)
    except Target.DoesNotExist:
        raise Http404 from None
    except PermissionDenied:
        messages.error(request, _("Your role does not allow settling posts."))
    except checks.TargetMoved as exc:
        messages.warning(request, str(exc))
    else:
        if target.state == "held":
            messages.warning(request, target.reason)
        else:
            messages.success(request, _("It goes out again now, as a new post."))
    return _back(request, member, target_id)
