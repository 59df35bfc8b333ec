"""The instance administrator's page: switch a network off for everyone, and on again
(cuecast.channels.switches). Only staff members see it; it belongs to no workspace."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from cuecast.accounts.models import User
from cuecast.channels.switches import SwitchRefused, SwitchResult, switch_network, switches
from cuecast.networks import registry
from cuecast.posts.models import HoldCause, Target, TargetState
from cuecast.web.access import current_user


def _staff(request: HttpRequest) -> User:
    user = current_user(request)
    if not user.is_staff:
        raise PermissionDenied(_("Only an administrator of this Cuecast can switch networks."))
    return user


@login_required
@require_GET
def network_switches(request: HttpRequest) -> HttpResponse:
    _staff(request)
    held = dict(
        Target.objects.filter(state=TargetState.HELD, hold=HoldCause.NETWORK)
        .values_list("channel__network")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = [
        {
            "key": key,
            "name": registry.get(key).descriptor.name,
            "switch": switch,
            "held": held.get(key, 0),
        }
        for key, switch in switches().items()
    ]
    return render(request, "web/networks.html", {"rows": rows, "section": "networks"})


@login_required
@require_POST
def network_switch(request: HttpRequest, key: str) -> HttpResponse:
    user = _staff(request)
    if key not in registry.networks():
        raise Http404
    enabled = request.POST.get("enabled") == "on"
    try:
        result = switch_network(
            key, enabled=enabled, reason=request.POST.get("reason", ""), by=user
        )
    except SwitchRefused as exc:
        messages.error(request, str(exc))
        return redirect("web:network_switches")
    messages.success(request, _summary(registry.get(key).descriptor.name, result))
    return redirect("web:network_switches")


def _summary(network: str, result: SwitchResult) -> str:
    if not result.switch.enabled:
        return ngettext(
            "%(network)s is off: %(n)d post held.",
            "%(network)s is off: %(n)d posts held.",
            result.held,
        ) % {"network": network, "n": result.held}
    released = ngettext(
        "%(network)s is on: %(n)d post released",
        "%(network)s is on: %(n)d posts released",
        result.released,
    ) % {"network": network, "n": result.released}
    return _(
        "%(released)s, %(skipped)d skipped as too late, %(still)d still held for another reason."
    ) % {"released": released, "skipped": result.skipped, "still": result.still_held}
