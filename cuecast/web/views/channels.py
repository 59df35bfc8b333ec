"""The channels page and the OAuth round trip that connects a channel.

Start: the browser POSTs here, Cuecast asks the network where to send it, keeps the flow's `state`
and secrets in the session, and redirects to the network's consent page. Callback: the network
sends the browser back with `code` and `state`; the state must be one this session started (it is
used once), then the code is exchanged and the account saved to the workspace the flow began in.
"""

from __future__ import annotations

import dataclasses
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import httpx
from asgiref.sync import async_to_sync
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from cuecast import config, crypto
from cuecast.accounts.permissions import Action, PermissionDenied
from cuecast.channels.models import Channel
from cuecast.channels.services import disconnect, save_connected_account, start_connect
from cuecast.channels.tiers import set_access_tier, tier_choices, tier_label, tiers_of
from cuecast.compliance import ledger
from cuecast.compliance.models import CallPurpose
from cuecast.http import CallScope, UnsafeUrl
from cuecast.networks import registry
from cuecast.networks.base import AuthKind, ConnectedAccount, Descriptor
from cuecast.networks.errors import NetworkError
from cuecast.posts import queue, recurrence
from cuecast.posts.services import ValidationFailed
from cuecast.web.access import Member, current_user, get_member
from cuecast.web.forms import ConnectForm

SESSION_PREFIX = "oauth:"


def callback_url(network_key: str) -> str:
    """The redirect URI registered with the network: always the configured public address."""
    path = reverse("web:oauth_callback", kwargs={"network": network_key})
    return f"{config.load().public_url}{path}"


def _network_or_404(key: str) -> Descriptor:
    try:
        return registry.get(key).descriptor
    except registry.UnknownNetwork:
        raise Http404 from None


def _render(
    request: HttpRequest,
    member: Member,
    bound: dict[str, ConnectForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    connectors = [
        {
            "descriptor": network.descriptor,
            "form": bound.get(key)
            or ConnectForm(
                needs_server_url=network.descriptor.capabilities.needs_server_url,
                app_password=network.descriptor.auth == AuthKind.APP_PASSWORD,
                auto_id=f"id_{key}_%s",
            ),
        }
        for key, network in registry.networks().items()
    ]
    names = {key: network.descriptor.name for key, network in registry.networks().items()}
    channel_rows = [
        {
            "channel": c,
            "network_name": names.get(c.network, c.network),
            **_health(c),
            **_queue_slots(c),
            **_access_tier(c),
        }
        for c in Channel.objects.filter(workspace=member.workspace)
    ]
    context = {
        "member": member,
        "workspace": member.workspace,
        "section": "channels",
        "channel_rows": channel_rows,
        "connectors": connectors,
        "can_manage": member.actor.can(Action.MANAGE_CHANNELS),
    }
    return render(request, "web/channels.html", context, status=status)


# Warn this many days before access runs out that the network will not renew by itself.
EXPIRY_WARNING_DAYS = 14


def _health(channel: Channel) -> dict[str, Any]:
    """Days until a channel's access expires, and whether Cuecast renews it by itself."""
    if channel.token_expires_at is None:
        return {"expires_in_days": None, "renews": True}
    renews = bool(channel.credentials.get("refresh_token"))
    days = max(0, (channel.token_expires_at - timezone.now()).days)
    return {"expires_in_days": days, "renews": renews, "expiring_soon": days <= EXPIRY_WARNING_DAYS}


@login_required
@require_GET
def channel_list(request: HttpRequest, slug: str) -> HttpResponse:
    return _render(request, get_member(request, slug))


@login_required
@require_POST
def connect_start(request: HttpRequest, slug: str, network: str) -> HttpResponse:
    member = get_member(request, slug)
    descriptor = _network_or_404(network)
    if not member.actor.can(Action.MANAGE_CHANNELS):
        messages.error(request, _("Your role does not allow connecting channels."))
        return redirect("web:channels", slug=slug)
    needs_server = descriptor.capabilities.needs_server_url
    by_password = descriptor.auth == AuthKind.APP_PASSWORD
    form = ConnectForm(
        request.POST,
        needs_server_url=needs_server,
        app_password=by_password,
        auto_id=f"id_{network}_%s",
    )
    if not form.is_valid():
        return _render(request, member, {network: form}, status=400)
    if by_password:
        return _connect_with_password(request, member, network, descriptor, form)
    redirect_uri = callback_url(network)
    try:
        with _counted(network, member):  # Mastodon registers an app on the server first
            start = async_to_sync(start_connect)(
                network, redirect_uri=redirect_uri, server_url=form.cleaned_data["server_url"]
            )
    except (UnsafeUrl, NetworkError, httpx.HTTPError, ValueError) as exc:
        form.add_error("server_url" if needs_server else None, _connect_problem(exc, descriptor))
        return _render(request, member, {network: form}, status=400)
    request.session[SESSION_PREFIX + start.state] = {
        "network": network,
        "workspace": member.workspace.slug,
        "redirect_uri": redirect_uri,
        "data": start.session_data,
    }
    return HttpResponseRedirect(start.url)


def _counted(network: str, member: Member) -> AbstractContextManager[CallScope]:
    """Every call a connect flow (a channel's or an ad account's) makes goes into the API call
    ledger, for this workspace."""
    return ledger.recording(network, CallPurpose.CONNECT, workspace_id=member.workspace.pk)


def _connect_problem(exc: Exception, descriptor: Descriptor) -> str:
    if isinstance(exc, NetworkError):
        return exc.message
    if isinstance(exc, httpx.HTTPError):
        return _("Cuecast could not reach %(network)s. Check the address and try again.") % {
            "network": descriptor.name
        }
    return str(exc)


def _connect_with_password(
    request: HttpRequest, member: Member, network: str, descriptor: Descriptor, form: ConnectForm
) -> HttpResponse:
    """App-password networks (Bluesky): the password buys a session at once and is not kept."""
    try:
        with _counted(network, member) as calls:
            account = async_to_sync(registry.get(network).app_password().login)(
                server_url=form.cleaned_data["server_url"],
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
            )
            channel = save_connected_account(member.actor, network, account)
            calls.channel_id = channel.pk
    except (UnsafeUrl, NetworkError, httpx.HTTPError, ValueError) as exc:
        form.add_error(None, _connect_problem(exc, descriptor))
        return _render(request, member, {network: form}, status=400)
    messages.success(
        request,
        _("Connected %(name)s (%(handle)s).")
        % {"name": channel.display_name, "handle": channel.handle},
    )
    return redirect("web:channels", slug=member.workspace.slug)


CHOICE_KEY = "oauth-choice"


def _account_to_json(account: ConnectedAccount) -> dict[str, Any]:
    data = dataclasses.asdict(account)
    data["token_expires_at"] = (
        account.token_expires_at.isoformat() if account.token_expires_at else None
    )
    return data


def _account_from_json(data: dict[str, Any]) -> ConnectedAccount:
    expires = data.get("token_expires_at")
    return ConnectedAccount(
        **{**data, "token_expires_at": datetime.fromisoformat(expires) if expires else None}
    )


@login_required
def choose_accounts(request: HttpRequest, slug: str) -> HttpResponse:
    """One consent granted several accounts (Facebook Pages, LinkedIn pages): pick which to add.
    They wait in the session encrypted, since they carry tokens."""
    member = get_member(request, slug)
    pending = request.session.get(CHOICE_KEY)
    if not pending or pending.get("workspace") != slug:
        messages.error(request, _("There is nothing to choose from. Please connect again."))
        return redirect("web:channels", slug=slug)
    choices = [_account_from_json(a) for a in crypto.decrypt(pending["accounts"])["accounts"]]
    network, descriptor = pending["network"], _network_or_404(pending["network"])
    if request.method == "POST":
        picked = {int(i) for i in request.POST.getlist("account") if i.isdigit()}
        if not picked:
            messages.error(request, _("Choose at least one account to connect."))
        else:
            del request.session[CHOICE_KEY]
            saved = [
                save_connected_account(member.actor, network, choices[i])
                for i in sorted(picked)
                if i < len(choices)
            ]
            messages.success(
                request,
                ngettext(
                    "Connected %(count)d %(network)s account.",
                    "Connected %(count)d %(network)s accounts.",
                    len(saved),
                )
                % {"count": len(saved), "network": descriptor.name},
            )
            return redirect("web:channels", slug=slug)
    context = {
        "member": member,
        "workspace": member.workspace,
        "section": "channels",
        "descriptor": descriptor,
        "choices": list(enumerate(choices)),
    }
    return render(request, "web/choose_accounts.html", context)


@login_required
@require_GET
def oauth_callback(request: HttpRequest, network: str) -> HttpResponse:
    current_user(request)
    state = request.GET.get("state", "")
    pending: dict[str, Any] | None = (
        request.session.pop(SESSION_PREFIX + state, None) if state else None
    )
    if not pending or pending.get("network") != network:
        messages.error(
            request, _("This connection attempt is unknown or has expired. Please start it again.")
        )
        return redirect("web:home")
    member = get_member(request, pending["workspace"])
    descriptor = _network_or_404(network)
    back = redirect("web:channels", slug=member.workspace.slug)
    if request.GET.get("error") or not request.GET.get("code"):
        messages.warning(
            request,
            _("%(network)s was not connected: %(reason)s")
            % {
                "network": descriptor.name,
                "reason": request.GET.get("error_description")
                or request.GET.get("error")
                or _("no authorisation came back."),
            },
        )
        return back
    try:
        # The calls: token exchange, profile, the pages the consent covers.
        with _counted(network, member) as calls:
            accounts = async_to_sync(registry.get(network).oauth().finish_all)(
                code=request.GET["code"],
                redirect_uri=pending["redirect_uri"],
                session_data=pending["data"],
            )
            if len(accounts) > 1:
                member.actor.require(Action.MANAGE_CHANNELS)
                request.session[CHOICE_KEY] = {
                    "workspace": member.workspace.slug,
                    "network": network,
                    "accounts": crypto.encrypt(
                        {"accounts": [_account_to_json(a) for a in accounts]}
                    ),
                }
                return redirect("web:choose_accounts", slug=member.workspace.slug)
            if not accounts:
                raise ValueError(_("The network granted access to no account Cuecast can post to."))
            channel = save_connected_account(member.actor, network, accounts[0])
            calls.channel_id = channel.pk
    except (NetworkError, httpx.HTTPError, ValueError, PermissionDenied) as exc:
        messages.error(
            request,
            _("%(network)s was not connected: %(reason)s")
            % {"network": descriptor.name, "reason": _connect_problem(exc, descriptor)},
        )
        return back
    messages.success(
        request,
        _("Connected %(name)s (%(handle)s).")
        % {"name": channel.display_name, "handle": channel.handle},
    )
    return back


@login_required
@require_POST
def channel_disconnect(request: HttpRequest, slug: str, channel_id: int) -> HttpResponse:
    member = get_member(request, slug)
    channel = get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    try:
        held = disconnect(member.actor, channel)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow disconnecting channels."))
    else:
        messages.success(
            request,
            ngettext(
                "Disconnected %(name)s. %(held)d scheduled post is held until you reconnect it.",
                "Disconnected %(name)s. %(held)d scheduled posts are held until you reconnect it.",
                held,
            )
            % {"name": channel.display_name, "held": held},
        )
    return redirect("web:channels", slug=slug)


# --- queue slots: each channel's weekly posting times ----------------------------------------------


class SlotForm(forms.Form):
    weekday = forms.TypedChoiceField(coerce=int, choices=())
    at_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        weekday = self.fields["weekday"]
        assert isinstance(weekday, forms.TypedChoiceField)
        weekday.choices = list(enumerate(recurrence.weekday_names()))


def _queue_slots(channel: Channel) -> dict[str, Any]:
    """The channel's slots as "Tuesday 09:00", and its next free one (the workspace's zone)."""
    names = recurrence.weekday_names()
    slots = queue.slots_of(channel)
    tz_name = channel.workspace.timezone
    return {
        "queue_slots": [
            {"id": s.pk, "label": f"{names[s.weekday]} {s.at_time:%H:%M}"} for s in slots
        ],
        "next_free_slot": queue.next_free_slot(channel, tz_name, timezone.now()) if slots else None,
        "slot_form": SlotForm(auto_id=f"id_slot_{channel.pk}_%s"),
    }


@login_required
@require_POST
def channel_slots(request: HttpRequest, slug: str, channel_id: int) -> HttpResponse:
    """Add a weekly slot to a channel's queue (weekday, time), or remove one (`remove`)."""
    member = get_member(request, slug)
    channel = get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    current = queue.slots_of(channel)
    wanted = [(s.weekday, s.at_time) for s in current]
    remove = request.POST.get("remove", "")
    if remove:
        wanted = [(s.weekday, s.at_time) for s in current if str(s.pk) != remove]
    else:
        form = SlotForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a weekday and a time for the new slot."))
            return redirect(f"{reverse('web:channels', kwargs={'slug': slug})}#slots-{channel.pk}")
        wanted.append((form.cleaned_data["weekday"], form.cleaned_data["at_time"]))
    try:
        queue.set_slots(member.actor, channel, wanted)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow changing a channel's posting times."))
    except ValidationFailed as exc:
        for problem in exc.errors:
            messages.error(request, problem.message)
    else:
        messages.success(
            request,
            _("Posting times of %(channel)s saved.") % {"channel": channel.display_name},
        )
    return redirect(f"{reverse('web:channels', kwargs={'slug': slug})}#slots-{channel.pk}")


# --- the API access tier a channel's app is on (networks with tiers: X) ----------------------------


def _access_tier(channel: Channel) -> dict[str, Any]:
    if not tiers_of(channel.network):
        return {"tier_choices": None}
    tier = channel.access_tier
    return {"tier_choices": tier_choices(channel.network), "tier_label": tier_label(tier)}


@login_required
@require_POST
def channel_access_tier(request: HttpRequest, slug: str, channel_id: int) -> HttpResponse:
    """Record which access tier the channel's app is on; posts the old tier kept back may go."""
    member = get_member(request, slug)
    channel = get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    back = redirect("web:channels", slug=slug)
    try:
        change = set_access_tier(member.actor, channel, request.POST.get("access_tier", ""))
    except PermissionDenied:
        messages.error(request, _("Your role does not allow changing a channel's access tier."))
        return back
    except ValidationFailed as exc:
        for problem in exc.errors:
            messages.error(request, problem.message)
        return back
    if not change.changed:
        return back
    messages.success(
        request,
        _("Access tier of %(channel)s saved.") % {"channel": channel.display_name}
        + _tier_release_note(change.released, change.skipped),
    )
    return back


def _tier_release_note(released: int, skipped: int) -> str:
    note = ""
    if released:
        note += " " + ngettext(
            "%(count)d held post goes out again.", "%(count)d held posts go out again.", released
        ) % {"count": released}
    if skipped:
        note += " " + ngettext(
            "%(count)d held post was skipped: its time has passed.",
            "%(count)d held posts were skipped: their time has passed.",
            skipped,
        ) % {"count": skipped}
    return note
