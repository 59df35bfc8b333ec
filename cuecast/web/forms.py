"""Forms of the web UI. They check what a browser can get wrong (a missing date, a number that is
not one) and turn the rest into the services' own inputs; the services validate the post itself,
and their errors are placed next to the field they name."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cuecast.accounts.models import Workspace
from cuecast.campaigns.models import Campaign
from cuecast.channels.models import Channel
from cuecast.posts.models import CueEvent, ScheduleKind
from cuecast.posts.services import FieldError, PostDraft, ScheduleSpec, TargetSpec

WHEN_DRAFT = "draft"


@cache
def _zone_choices() -> list[tuple[str, str]]:
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(name, name.replace("_", " ")) for name in names]


def variant_field_name(channel_id: int) -> str:
    return f"variant_{channel_id}"


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)


class ConnectForm(forms.Form):
    """Connecting a channel; federated networks also ask which server the account lives on."""

    server_url = forms.URLField(
        label=_("Your server"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://mastodon.social"}),
    )

    identifier = forms.CharField(label=_("Handle or e-mail"), required=False, max_length=300)
    password = forms.CharField(
        label=_("App password"),
        required=False,
        max_length=300,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Create an app password in the network's settings; never use your main password."
        ),
    )

    def __init__(
        self, *args: Any, needs_server_url: bool = False, app_password: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.needs_server_url = needs_server_url
        self.app_password = app_password

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if self.app_password:
            if not data.get("identifier"):
                self.add_error("identifier", _("Enter your handle, like name.bsky.social."))
            if not data.get("password"):
                self.add_error("password", _("Enter an app password."))
        return data

    def clean_server_url(self) -> str:
        value: str = self.cleaned_data.get("server_url") or ""
        if self.needs_server_url and not value:
            raise forms.ValidationError(
                _("Enter the address of your server, like https://mastodon.social.")
            )
        return value.rstrip("/")


class ComposeForm(forms.Form):
    text = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    image = forms.FileField(label=_("Image"), required=False)
    alt_text = forms.CharField(
        label=_("Describe the image (alt text)"),
        required=False,
        max_length=1500,
        help_text=_("Read aloud to people who cannot see it."),
    )
    channels = forms.TypedMultipleChoiceField(
        label=_("Channels"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    when = forms.ChoiceField(
        label=_("When"),
        choices=[
            (ScheduleKind.LOCAL.value, _("At a date and time")),
            (ScheduleKind.CUE.value, _("Relative to a campaign")),
            (WHEN_DRAFT, _("Not yet: save as a draft")),
        ],
        initial=ScheduleKind.LOCAL.value,
        widget=forms.RadioSelect,
    )
    local_at = forms.CharField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=())
    campaign = forms.TypedChoiceField(label=_("Campaign"), coerce=int, required=False, choices=())
    cue_event = forms.ChoiceField(
        label=_("Cue"), choices=CueEvent.choices, initial=CueEvent.START.value, required=False
    )
    cue_direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("after", _("after")), ("before", _("before"))],
        initial="after",
        required=False,
    )
    cue_days = forms.IntegerField(label=_("Days"), min_value=0, max_value=3650, required=False)
    cue_hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=23, required=False)
    cue_time = forms.TimeField(
        label=_("At time of day (optional)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.media_ids: list[int] = []  # set by the view once an upload is stored
        self.workspace = workspace
        self.channel_list: list[Channel] = list(Channel.objects.filter(workspace=workspace))
        self.campaign_list: list[Campaign] = list(Campaign.objects.filter(workspace=workspace))
        self._target_channels: list[Channel] = []
        channels_field = self.fields["channels"]
        assert isinstance(channels_field, forms.TypedMultipleChoiceField)
        channels_field.choices = [(c.pk, c.display_name) for c in self.channel_list]
        zone_field = self.fields["timezone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = _zone_choices()
        zone_field.initial = workspace.timezone
        campaign_field = self.fields["campaign"]
        assert isinstance(campaign_field, forms.TypedChoiceField)
        campaign_field.choices = [
            ("", _("Choose a campaign")),
            *[(c.pk, c.name) for c in self.campaign_list],
        ]
        for channel in self.channel_list:
            self.fields[variant_field_name(channel.pk)] = forms.CharField(
                label=_("Text for %(channel)s") % {"channel": channel.display_name},
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    # -- reading the form ---------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        when = data.get("when")
        if when == ScheduleKind.LOCAL and not data.get("local_at"):
            self.add_error("local_at", _("Choose the date and time to publish."))
        if when == ScheduleKind.CUE and not data.get("campaign"):
            self.add_error("campaign", _("Choose the campaign this post is cued to."))
        return data

    def variant_text(self, channel_id: int) -> str:
        value = self.cleaned_data.get(variant_field_name(channel_id)) or ""
        return str(value) if str(value).strip() else ""

    def to_draft(self, *, with_schedule: bool = True) -> PostDraft:
        """The services' input, from the fields that are valid."""
        data = self.cleaned_data
        selected = set(data.get("channels") or [])
        self._target_channels = [c for c in self.channel_list if c.pk in selected]
        targets = [
            TargetSpec(channel_id=c.pk, text=self.variant_text(c.pk) or None)
            for c in self._target_channels
        ]
        schedule = self._schedule() if with_schedule else None
        return PostDraft(
            text=data.get("text") or "",
            targets=targets,
            schedule=schedule,
            media_ids=self.media_ids,
        )

    def _schedule(self) -> ScheduleSpec | None:
        data = self.cleaned_data
        when = data.get("when")
        if when == ScheduleKind.LOCAL:
            return ScheduleSpec(
                kind=ScheduleKind.LOCAL, local_at=data["local_at"], tz=data["timezone"]
            )
        if when == ScheduleKind.CUE:
            offset = timedelta(days=data.get("cue_days") or 0, hours=data.get("cue_hours") or 0)
            if data.get("cue_direction") == "before":
                offset = -offset
            return ScheduleSpec(
                kind=ScheduleKind.CUE,
                campaign_id=data["campaign"],
                cue_event=data.get("cue_event") or CueEvent.START.value,
                cue_offset=offset,
                cue_time=data.get("cue_time"),
                tz=data["timezone"],
            )
        return None

    # -- the services' answer -----------------------------------------------------------------

    def add_service_errors(self, errors: list[FieldError]) -> None:
        """Put each of the services' errors next to the field it is about."""
        for error in errors:
            self.add_error(self._field_for(error.field), error.message)

    def _field_for(self, path: str) -> str | None:
        match = re.fullmatch(r"targets\[(\d+)\]\.(\w+)", path)
        if match:
            index, attr = int(match.group(1)), match.group(2)
            if attr == "text" and index < len(self._target_channels):
                channel = self._target_channels[index]
                if self.variant_text(channel.pk):
                    return variant_field_name(channel.pk)
                return "text"
            return "channels"
        if path == "targets":
            return "channels"
        if path in ("image", "media_ids"):
            return "image"
        if path == "schedule":
            return "campaign" if self.cleaned_data.get("when") == ScheduleKind.CUE else "local_at"
        return None
