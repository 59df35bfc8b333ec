"""Forms for a workspace's settings. The service (`set_late_policy`) checks the values again, so
the API and the web page refuse the same things with the same sentences."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cuecast.accounts.models import MAX_LATE_LIMIT_HOURS, LatePolicy


class LatePolicyForm(forms.Form):
    late_policy = forms.ChoiceField(
        label=_("When a held post's time has passed"),
        choices=LatePolicy.choices,
        widget=forms.RadioSelect,
    )
    late_limit_hours = forms.IntegerField(
        label=_("Publish it at most this many hours late"),
        min_value=1,
        max_value=MAX_LATE_LIMIT_HOURS,
        help_text=_(
            "A post held longer than this past its time is skipped, with the reason on its page."
        ),
    )
