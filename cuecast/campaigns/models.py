"""Campaigns: the paid flights that posts are cued to. Edited by hand until ad-platform sync lands."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cuecast.accounts.models import Workspace, validate_timezone
from cuecast.crypto import EncryptedJSONField


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


class AdAccount(models.Model):
    """A connected ad-platform account Cuecast reads campaigns and paid metrics from.

    Synced on the same pattern as publishing: the row carries its own `next_sync_at`, and workers
    claim due rows."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ad_accounts")
    platform = models.CharField(max_length=32)  # cuecast.campaigns.sources.registry key
    external_id = models.CharField(max_length=128)
    name = models.CharField(max_length=200)
    credentials = EncryptedJSONField(default=dict, blank=True)
    settings = models.JSONField(default=dict, blank=True)  # customer ids, currency, time zone
    token_expires_at = models.DateTimeField(null=True, blank=True)
    connected = models.BooleanField(default=True)
    status_reason = models.CharField(max_length=500, blank=True, default="")
    last_synced_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sync_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "external_id"], name="one_ad_account_per_workspace"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.platform})"


class CampaignSource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    SYNC = "sync", _("Synced from the ad platform")
    IMPORT = "import", _("Imported from a file")


class Campaign(models.Model):
    """Start and end are stored in UTC; `timezone` is the zone they were entered in."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    source = models.CharField(
        max_length=8, choices=CampaignSource.choices, default=CampaignSource.MANUAL
    )
    ad_account = models.ForeignKey(
        AdAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    platform = models.CharField(max_length=32, blank=True, default="")
    external_id = models.CharField(max_length=128, blank=True, default="")
    status_raw = models.CharField(max_length=64, blank=True, default="")
    budget_amount = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    budget_period = models.CharField(max_length=8, blank=True, default="")
    currency = models.CharField(max_length=3, blank=True, default="")
    budget_exhausted = models.BooleanField(default=False)
    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(
        max_length=64, default="Europe/Berlin", validators=[validate_timezone]
    )
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "external_id"],
                condition=~models.Q(external_id=""),
                name="one_campaign_per_platform_id",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CueKind(models.TextChoices):
    CREATED = "created", _("Created")
    STARTED = "started", _("Started")
    ENDED = "ended", _("Ended")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    DATES_CHANGED = "dates_changed", _("Dates changed")
    BUDGET_EXHAUSTED = "budget_exhausted", _("Budget used up")
    REMOVED = "removed", _("Removed")


class CampaignEvent(models.Model):
    """A cue: something that happened to a campaign, with its cause (sync, import, a person)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=CueKind.choices)
    at = models.DateTimeField(db_index=True)
    cause = models.CharField(max_length=200, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class PaidMetricDaily(models.Model):
    """What the ads did on one day, as the platform reported it (re-fetched days overwrite)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="paid_metrics")
    day = models.DateField()
    impressions = models.PositiveBigIntegerField(default=0)
    clicks = models.PositiveBigIntegerField(default=0)
    spend = models.DecimalField(max_digits=18, decimal_places=6, default=0)
    conversions = models.DecimalField(max_digits=18, decimal_places=6, default=0)
    currency = models.CharField(max_length=3, blank=True, default="")
    fetched_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "day"], name="one_paid_row_per_day")
        ]
