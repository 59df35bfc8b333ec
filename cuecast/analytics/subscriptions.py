"""Write paths for the weekly report by e-mail: add and remove a workspace's subscriptions.

Only owners and admins manage them (the report leaves Cuecast for any address they enter); the
first send is the next chosen weekday and hour in the workspace's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.analytics.emails import next_send_at
from cuecast.analytics.models import ReportSubscription
from cuecast.campaigns.models import Campaign
from cuecast.posts.errors import FieldError, ValidationFailed

MAX_RECIPIENTS = 20


@dataclass(frozen=True)
class SubscriptionSpec:
    recipients: str  # as typed: separated by commas, spaces or lines
    weekday: int  # ISO: 1 = Monday … 7 = Sunday
    hour: int  # 0 to 23, in the workspace's zone
    campaign_id: int | None = None  # None: the workspace's summary
    language: str = "en"


def split_recipients(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", text.strip()) if part]


def _recipient_errors(recipients: list[str]) -> list[FieldError]:
    if not recipients:
        return [FieldError("recipients", _("Enter at least one e-mail address."))]
    if len(recipients) > MAX_RECIPIENTS:
        message = _("Enter at most %(count)d addresses.") % {"count": MAX_RECIPIENTS}
        return [FieldError("recipients", message)]
    errors = []
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            message = _("“%(address)s” is not an e-mail address.") % {"address": address}
            errors.append(FieldError("recipients", message))
    return errors


def _errors(actor: Actor, spec: SubscriptionSpec, recipients: list[str]) -> list[FieldError]:
    errors = _recipient_errors(recipients)
    if not 1 <= spec.weekday <= 7:
        errors.append(FieldError("weekday", _("Choose a weekday.")))
    if not 0 <= spec.hour <= 23:
        errors.append(FieldError("hour", _("Choose an hour from 0 to 23.")))
    if spec.language not in dict(settings.LANGUAGES):
        errors.append(FieldError("language", _("Choose a language from the list.")))
    if (
        spec.campaign_id is not None
        and not Campaign.objects.filter(workspace=actor.workspace, pk=spec.campaign_id).exists()
    ):
        errors.append(FieldError("campaign", _("There is no such campaign in this workspace.")))
    return errors


def subscriptions(actor: Actor) -> QuerySet[ReportSubscription]:
    actor.require(Action.VIEW)
    return ReportSubscription.objects.filter(workspace=actor.workspace).select_related("campaign")


@transaction.atomic
def create_subscription(
    actor: Actor, spec: SubscriptionSpec, now: datetime | None = None
) -> ReportSubscription:
    actor.require(Action.MANAGE_WORKSPACE)
    recipients = split_recipients(spec.recipients)
    errors = _errors(actor, spec, recipients)
    if errors:
        raise ValidationFailed(errors)
    first = next_send_at(spec.weekday, spec.hour, actor.workspace.timezone, now or timezone.now())
    subscription = ReportSubscription.objects.create(
        workspace=actor.workspace,
        campaign_id=spec.campaign_id,
        recipients=recipients,
        weekday=spec.weekday,
        hour=spec.hour,
        language=spec.language,
        next_send_at=first,
        created_by=actor.user,
    )
    audit(actor, "report_subscription.created", subscription, recipients=len(recipients))
    return subscription


@transaction.atomic
def delete_subscription(actor: Actor, subscription_id: int) -> bool:
    actor.require(Action.MANAGE_WORKSPACE)
    found = ReportSubscription.objects.filter(workspace=actor.workspace, pk=subscription_id).first()
    if found is None:
        return False
    audit(actor, "report_subscription.deleted", found)
    found.delete()
    return True
