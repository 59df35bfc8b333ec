"""The weekly report by e-mail: the workspace's subscriptions, adding one, removing one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from cuecast.accounts.permissions import Action, PermissionDenied
from cuecast.analytics import subscriptions
from cuecast.analytics.best_time import hour_label, weekday_name
from cuecast.campaigns.models import Campaign
from cuecast.posts.errors import ValidationFailed
from cuecast.web.access import Member, get_member


class SubscriptionForm(forms.Form):
    recipients = forms.CharField(
        label=gettext_lazy("Send to (e-mail addresses, separated by commas or lines)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    campaign = forms.ChoiceField(label=gettext_lazy("Report"), required=False, choices=())
    weekday = forms.TypedChoiceField(label=gettext_lazy("Every"), coerce=int, choices=())
    hour = forms.TypedChoiceField(label=gettext_lazy("At"), coerce=int, choices=())
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaigns = Campaign.objects.filter(workspace=member.workspace).order_by("name")
        self._set_choices(
            "campaign",
            [("", _("The workspace's summary"))] + [(str(c.pk), c.name) for c in campaigns],
        )
        self._set_choices("weekday", [(d, weekday_name(d)) for d in range(1, 8)])
        self._set_choices("hour", [(h, hour_label(h)) for h in range(24)])
        self.fields["hour"].initial = 8
        self.fields["language"].initial = member.user.language

    def _set_choices(self, name: str, choices: list[tuple[Any, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def to_spec(self) -> subscriptions.SubscriptionSpec:
        data = self.cleaned_data
        return subscriptions.SubscriptionSpec(
            recipients=data["recipients"],
            weekday=data["weekday"],
            hour=data["hour"],
            campaign_id=int(data["campaign"]) if data.get("campaign") else None,
            language=data["language"],
        )


def _render(request: HttpRequest, member: Member, form: SubscriptionForm) -> HttpResponse:
    context = {
        "member": member,
        "workspace": member.workspace,
        "section": "analytics",
        "page": "emails",
        "form": form,
        "subscriptions": [
            {"row": s, "weekday": weekday_name(s.weekday), "hour": hour_label(s.hour)}
            for s in subscriptions.subscriptions(member.actor)
        ],
        "can_manage": member.actor.can(Action.MANAGE_WORKSPACE),
    }
    return render(request, "analytics/emails.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def report_emails(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)
    if request.method != "POST":
        return _render(request, member, SubscriptionForm(member=member))
    form = SubscriptionForm(request.POST, member=member)
    if form.is_valid():
        try:
            subscriptions.create_subscription(member.actor, form.to_spec())
        except ValidationFailed as exc:
            for error in exc.errors:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        except PermissionDenied:
            form.add_error(None, _("Your role does not allow managing the weekly reports."))
        else:
            messages.success(request, _("Saved. The report goes out every week from now on."))
            return redirect("web:report_emails", slug=slug)
    return _render(request, member, form)


@login_required
@require_POST
def report_email_delete(request: HttpRequest, slug: str, subscription_id: int) -> HttpResponse:
    member = get_member(request, slug)
    try:
        removed = subscriptions.delete_subscription(member.actor, subscription_id)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow managing the weekly reports."))
    else:
        if removed:
            messages.success(request, _("Removed. That report is not sent any more."))
    return redirect("web:report_emails", slug=slug)
