"""Write paths for campaigns: entered by hand, and ad accounts connected for sync.

Syncing itself lives in `cuecast.campaigns.sync`, imports in `cuecast.campaigns.imports`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.campaigns.models import AdAccount, Campaign, CampaignStatus
from cuecast.networks.base import ConnectedAccount
from cuecast.posts import scheduling
from cuecast.posts.services import FieldError, ValidationFailed


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    status: CampaignStatus = CampaignStatus.ACTIVE


def _validate(spec: CampaignSpec) -> None:
    errors: list[FieldError] = []
    if not spec.name.strip():
        errors.append(FieldError("name", _("Give the campaign a name.")))
    elif len(spec.name.strip()) > 200:
        errors.append(FieldError("name", _("A campaign name can be at most 200 characters long.")))
    try:
        scheduling.zone(spec.timezone)
    except scheduling.ScheduleError as exc:
        errors.append(FieldError("timezone", str(exc)))
    for label, value in (("starts_at", spec.starts_at), ("ends_at", spec.ends_at)):
        if value is not None and value.tzinfo is None:
            errors.append(
                FieldError(
                    label, _("Give the time with its offset, like 2026-12-01T09:00:00+01:00.")
                )
            )
    if spec.ends_at is not None and spec.starts_at is not None and spec.ends_at <= spec.starts_at:
        errors.append(FieldError("ends_at", _("The campaign must end after it starts.")))
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def create_campaign(actor: Actor, spec: CampaignSpec) -> Campaign:
    actor.require(Action.MANAGE_CAMPAIGNS)
    _validate(spec)
    campaign = Campaign.objects.create(
        workspace=actor.workspace,
        name=spec.name.strip(),
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        timezone=spec.timezone,
        status=spec.status,
    )
    audit(actor, "campaign.created", campaign, name=campaign.name)
    return campaign


@transaction.atomic
def update_campaign(actor: Actor, campaign: Campaign, spec: CampaignSpec) -> Campaign:
    """Update a campaign. Moving its dates moves the posts cued to it (issue: campaigns)."""
    actor.require(Action.MANAGE_CAMPAIGNS)
    _validate(spec)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk, workspace=actor.workspace)
    before = {
        "starts_at": str(campaign.starts_at),
        "ends_at": str(campaign.ends_at),
        "status": campaign.status,
    }
    campaign.name, campaign.starts_at, campaign.ends_at = (
        spec.name.strip(),
        spec.starts_at,
        spec.ends_at,
    )
    campaign.timezone, campaign.status = spec.timezone, spec.status
    campaign.save()
    from cuecast.posts.services import reschedule_cued_targets

    moved = reschedule_cued_targets(campaign)
    audit(actor, "campaign.updated", campaign, before=before, moved_targets=moved)
    return campaign


@transaction.atomic
def connect_ad_accounts(
    actor: Actor, platform: str, accounts: list[ConnectedAccount]
) -> list[AdAccount]:
    """Store the ad accounts one OAuth consent granted (the web flow's `finish_all`), in order.

    Needs MANAGE_CAMPAIGNS. `platform` is a registry key (microsoft, google, meta, linkedin_ads);
    an unknown one is refused (ValidationFailed on "platform") before anything is written.
    Reconnecting an account the workspace already has updates its row in place (its campaigns,
    cues and metrics stay): name, credentials (encrypted at rest; a refresh token the platform did
    not send again is kept), settings (merged), token expiry; it is marked connected, its errors
    are cleared, and it becomes due for a sync at once. One audit event per account
    ("ad_account.connected" or "ad_account.reconnected"), never with secrets.
    """
    from cuecast.campaigns.sources import registry

    actor.require(Action.MANAGE_CAMPAIGNS)
    try:
        registry.get(platform)
    except registry.UnknownSource as exc:
        raise ValidationFailed([FieldError("platform", str(exc.args[0]))]) from None
    now = timezone.now()
    stored: list[AdAccount] = []
    for account in accounts:
        row, created = AdAccount.objects.select_for_update().get_or_create(
            workspace=actor.workspace,
            platform=platform,
            external_id=account.external_id,
            defaults={"name": account.display_name[:200]},
        )
        row.name = (account.display_name or account.handle or account.external_id)[:200]
        row.credentials = {**row.credentials, **account.credentials}
        row.settings = {
            **{k: v for k, v in row.settings.items() if k != "sync_failures"},
            **account.settings,
        }
        row.token_expires_at = account.token_expires_at
        row.connected = True
        row.status_reason = ""
        row.sync_error = ""
        row.next_sync_at = now
        row.save()
        audit(
            actor,
            "ad_account.connected" if created else "ad_account.reconnected",
            row,
            platform=platform,
            external_id=row.external_id,
            name=row.name,
        )
        stored.append(row)
    return stored
