"""Publish attempts: one row for every external call made for a target, written before the call."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cuecast.posts.models import Target


class AttemptKind(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    RECONCILE = "reconcile", _("Reconcile")


class AttemptOutcome(models.TextChoices):
    PENDING = "pending", _("In progress")  # recorded, call not yet answered
    PUBLISHED = "published", _("Published")
    RETRY = "retry", _("Failed, nothing was sent; will retry")
    HELD = "held", _("Held")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Outcome unknown")
    FOUND = "found", _("Found already published")
    NOT_FOUND = "not_found", _("Not found on the network")


class PublishAttempt(models.Model):
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="attempts")
    kind = models.CharField(max_length=16, choices=AttemptKind.choices, default=AttemptKind.PUBLISH)
    worker = models.CharField(max_length=64, blank=True, default="")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=AttemptOutcome.choices, default=AttemptOutcome.PENDING
    )
    error_kind = models.CharField(max_length=32, blank=True, default="")
    message = models.CharField(max_length=1000, blank=True, default="")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    external_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["started_at", "id"]


class RateBudget(models.Model):
    """One rate budget: a network's limit for the app (shared by every workspace) or for one
    account, as all workers count it (cuecast.publishing.budgets). Rows are locked while a batch
    is admitted, so workers on several machines never hand out the same allowance twice."""

    key = models.CharField(max_length=200, primary_key=True)  # network:name:app|channel:<id>
    network = models.CharField(max_length=32)
    name = models.CharField(max_length=64)  # RateLimit.name
    scope = models.CharField(max_length=16)  # LimitScope
    channel = models.ForeignKey(
        "channels.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Fixed windows: units counted in the window ending at `window_end`. Usage percentages: the
    # last reading, and `window_end` is when a high reading may be tested again.
    used = models.IntegerField(default=0)
    window_end = models.DateTimeField(null=True, blank=True)
    window_reported = models.BooleanField(default=False)  # the network named `window_end`
    # Rolling windows: units per sub-window, {"<start, Unix seconds>": units}.
    buckets = models.JSONField(default=dict, blank=True)
    live_limit = models.IntegerField(null=True, blank=True)  # the network's own figure
    blocked_until = models.DateTimeField(null=True, blank=True)  # refused (429, remaining 0)
    probe_until = models.DateTimeField(null=True, blank=True)  # a probe call is out
    probed = models.BooleanField(default=False)  # a probe came back: trust the figures we have
    observed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["network", "name"], name="ratebudget_network_name_idx")]

    def __str__(self) -> str:
        return self.key
