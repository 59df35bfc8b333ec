"""The composer: one text, optional per-channel variants, a schedule; and its live count.

The count endpoint runs the very function validation uses (`count_for_channel`), so the number
the page shows is the number the post is checked against.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cuecast.accounts.permissions import Action, PermissionDenied
from cuecast.channels.models import Channel
from cuecast.networks import registry
from cuecast.posts.models import Media
from cuecast.posts.services import (
    ValidationFailed,
    count_for_channel,
    create_post,
    upload_media,
)
from cuecast.web.access import Member, get_member
from cuecast.web.forms import ComposeForm, variant_field_name

MAX_COUNT_TEXT = 100_000  # far beyond any network's limit; refuses silly payloads early


def _count_rows(
    channels: list[Channel], text: str, variants: dict[int, str]
) -> list[dict[str, Any]]:
    rows = []
    for channel in channels:
        body = variants.get(channel.pk) or text
        count = count_for_channel(channel, body)
        rows.append(
            {
                "id": channel.pk,
                "network": channel.network,
                "count": count.count,
                "limit": count.limit,
                "fits": count.fits,
                "over_by": count.over_by,
                "uses_variant": bool(variants.get(channel.pk)),
            }
        )
    return rows


def _render(request: HttpRequest, member: Member, form: ComposeForm) -> HttpResponse:
    data = form.data if form.is_bound else {}
    text = str(data.get("text", ""))
    variants = {
        c.pk: str(data.get(variant_field_name(c.pk), ""))
        for c in form.channel_list
        if str(data.get(variant_field_name(c.pk), "")).strip()
    }
    counts = {row["id"]: row for row in _count_rows(form.channel_list, text, variants)}
    names = {key: network.descriptor.name for key, network in registry.networks().items()}
    selected = set(request.POST.getlist("channels")) if form.is_bound else set()
    rows = [
        {
            "channel": channel,
            "network_name": names.get(channel.network, channel.network),
            "checked": str(channel.pk) in selected,
            "variant": form[variant_field_name(channel.pk)],
            "count": counts[channel.pk],
        }
        for channel in form.channel_list
    ]
    context = {
        "member": member,
        "workspace": member.workspace,
        "section": "compose",
        "form": form,
        "rows": rows,
        "can_compose": member.actor.can(Action.COMPOSE),
    }
    return render(request, "web/compose.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)
    if request.method != "POST":
        return _render(request, member, ComposeForm(member.workspace, initial=_presets(request)))
    form = ComposeForm(member.workspace, data=request.POST, files=request.FILES)
    valid = form.is_valid()
    media: Media | None = None
    try:
        # The image and the post are saved together or not at all.
        with transaction.atomic():
            media = _upload(member, form)
            if not valid:
                _check_the_rest(member, form)
                raise _DryRun
            post = create_post(member.actor, form.to_draft())
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
    except PermissionDenied:
        form.add_error(None, _("Your role does not allow writing posts in this workspace."))
    except _DryRun:
        pass
    else:
        messages.success(request, _("Saved. Here is your post."))
        return redirect("web:post", slug=slug, post_id=post.pk)
    if media is not None:  # rolled back: the stored file goes too
        media.file.delete(save=False)
    return _render(request, member, form)


# Fields a link may preset (the campaign page's "Write a post for this cue").
PRESETS = ("when", "campaign", "cue_event", "cue_direction", "cue_days", "cue_hours", "cue_time")


def _presets(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET[name] for name in PRESETS if request.GET.get(name)}


def _upload(member: Member, form: ComposeForm) -> Media | None:
    upload = form.files.get("image")
    if not upload:
        return None
    media = upload_media(member.actor, upload, alt_text=form.data.get("alt_text", ""))
    form.media_ids = [media.pk]
    return media


class _DryRun(Exception):
    pass


def _check_the_rest(member: Member, form: ComposeForm) -> None:
    """The form already has an error (say, no date yet); ask the service about the rest of the
    post too, so every problem shows at once. Runs inside a transaction that is always rolled
    back, so nothing is created."""
    if "text" not in form.cleaned_data or "channels" not in form.cleaned_data:
        return
    try:
        with transaction.atomic():
            create_post(member.actor, form.to_draft(with_schedule=False))
            raise _DryRun
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
    except (_DryRun, PermissionDenied):
        pass


@login_required
@require_POST
def count(request: HttpRequest, slug: str) -> JsonResponse:
    """Per-channel character counts for a draft. Takes the composer's form fields, or JSON
    `{"text": "...", "variants": {"<channel id>": "..."}}`."""
    member = get_member(request, slug)
    channels = list(Channel.objects.filter(workspace=member.workspace))
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return JsonResponse({"error": _("The request is not valid JSON.")}, status=400)
        if not isinstance(payload, dict):
            return JsonResponse({"error": _("The request is not valid JSON.")}, status=400)
        text = str(payload.get("text", ""))
        raw = payload.get("variants") or {}
        variants = (
            {int(k): str(v) for k, v in raw.items() if str(k).isdigit()}
            if isinstance(raw, dict)
            else {}
        )
    else:
        text = request.POST.get("text", "")
        variants = {c.pk: request.POST.get(variant_field_name(c.pk), "") for c in channels}
    variants = {k: v for k, v in variants.items() if v.strip()}
    if len(text) > MAX_COUNT_TEXT or any(len(v) > MAX_COUNT_TEXT for v in variants.values()):
        return JsonResponse({"error": _("The text is far too long to count.")}, status=400)
    return JsonResponse({"channels": _count_rows(channels, text, variants)})
