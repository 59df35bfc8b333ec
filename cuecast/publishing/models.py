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
