"""The composer: one text, optional per-channel variants, a schedule; and its live count.

The count endpoint runs the very function validation uses (`count_for_channel`), so the number
the page shows is the number the post is checked against.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from cuecast.accounts.models import Workspace
from cuecast.accounts.permissions import Action, PermissionDenied
from cuecast.channels.models import Channel
from cuecast.networks import registry
from cuecast.posts import recurrence, scheduling
from cuecast.posts.models import Media, Post, ScheduleKind, SeriesFrequency
from cuecast.posts.series import SeriesDraft, create_series
from cuecast.posts.services import (
    FieldError,
    ScheduleSpec,
    ValidationFailed,
    count_for_channel,
    create_post,
    upload_media,
)
from cuecast.web.access import Member, get_member
from cuecast.web.forms import ComposeForm, variant_field_name

MAX_COUNT_TEXT = 100_000  # far beyond any network's limit; refuses silly payloads early

# Where the services' rule errors ("repeat.weekdays") are shown in the composer.
REPEAT_FIELDS = {
    "repeat.weekdays": "repeat_weekdays",
    "repeat.interval": "repeat_interval",
    "repeat.until": "repeat_until",
    "repeat.count": "repeat_count",
    "repeat.start": "local_at",
    "repeat.tz": "timezone",
}


class ComposerForm(ComposeForm):
    """The composer's form, plus "Add to queue" (each channel's next free slot) and "Repeat" (a
    recurring series that starts at the date and time chosen)."""

    repeat = forms.BooleanField(label=gettext_lazy("Repeat this post"), required=False)
    repeat_frequency = forms.ChoiceField(
        label=gettext_lazy("How often"),
        choices=SeriesFrequency.choices,
        initial=SeriesFrequency.WEEKLY.value,
        required=False,
    )
    repeat_interval = forms.IntegerField(
        label=gettext_lazy("Every (1 = every day, week or month)"),
        min_value=1,
        max_value=recurrence.MAX_INTERVAL,
        initial=1,
        required=False,
    )
    repeat_weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("On these weekdays"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    repeat_until = forms.DateField(
        label=gettext_lazy("Until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    repeat_count = forms.IntegerField(
        label=gettext_lazy("Or this many times (optional)"),
        min_value=1,
        max_value=recurrence.MAX_COUNT,
        required=False,
    )

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(workspace, *args, **kwargs)
        when = self.fields["when"]
        assert isinstance(when, forms.ChoiceField)
        *timed, draft = cast("list[tuple[str, str]]", when.choices)
        queue_choice = (ScheduleKind.QUEUE.value, _("Add to queue: each channel's next free slot"))
        when.choices = [*timed, queue_choice, draft]
        weekdays = self.fields["repeat_weekdays"]
        assert isinstance(weekdays, forms.TypedMultipleChoiceField)
        weekdays.choices = list(enumerate(recurrence.weekday_names()))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("repeat") and data.get("when") != ScheduleKind.LOCAL:
            self.add_error(
                "repeat",
                _("A repeating post starts at a date and time: choose “At a date and time”."),
            )
        return data

    def _schedule(self) -> ScheduleSpec | None:
        if self.cleaned_data.get("when") == ScheduleKind.QUEUE:
            return ScheduleSpec(kind=ScheduleKind.QUEUE)
        return super()._schedule()

    def to_series(self) -> SeriesDraft:
        """The series the form describes; its first day and time are the date and time field."""
        draft = self.to_draft(with_schedule=False)
        data = self.cleaned_data
        try:
            start = scheduling.parse_local(data["local_at"])
        except scheduling.ScheduleError as exc:
            raise ValidationFailed([FieldError("repeat.start", str(exc))]) from None
        rule = recurrence.Rule(
            frequency=SeriesFrequency(data.get("repeat_frequency") or SeriesFrequency.WEEKLY),
            starts_on=start.date(),
            at_time=start.time().replace(second=0, microsecond=0),
            tz_name=data["timezone"],
            interval=data.get("repeat_interval") or 1,
            weekdays=tuple(data.get("repeat_weekdays") or ()),
            until=data.get("repeat_until"),
            count=data.get("repeat_count"),
        )
        return SeriesDraft(draft.text, draft.targets, rule, draft.media_ids)

    def _field_for(self, path: str) -> str | None:
        if path in REPEAT_FIELDS:
            return REPEAT_FIELDS[path]
        if path.startswith("repeat"):
            return "repeat"
        if path == "schedule" and self.cleaned_data.get("when") == ScheduleKind.QUEUE:
            return None  # about the queue as a whole: shown at the top of the form
        return super()._field_for(path)


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
        return _render(request, member, ComposerForm(member.workspace, initial=_presets(request)))
    form = ComposerForm(member.workspace, data=request.POST, files=request.FILES)
    valid = form.is_valid()
    media: Media | None = None
    try:
        # The image and the post are saved together or not at all.
        with transaction.atomic():
            media = _upload(member, form)
            if not valid:
                _check_the_rest(member, form)
                raise _DryRun
            post = _save(member, form)
    except ValidationFailed as exc:
        form.add_service_errors(exc.errors)
    except PermissionDenied:
        form.add_error(None, _("Your role does not allow writing posts in this workspace."))
    except _DryRun:
        pass
    else:
        if post.series_id is not None:
            messages.success(request, _("Saved. This post repeats; here is its first one."))
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


def _save(member: Member, form: ComposerForm) -> Post:
    """A post, or with "Repeat" a series; the answer is the post to show (a series' first)."""
    if not form.cleaned_data.get("repeat"):
        return create_post(member.actor, form.to_draft())
    series = create_series(member.actor, form.to_series())
    # A new series always has its next occurrence as a post (series.materialize).
    return Post.objects.filter(series=series).earliest("occurrence_at")


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
