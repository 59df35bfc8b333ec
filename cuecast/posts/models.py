"""Posts, their per-channel targets, media and schedules.

A Post is one message intent. It has one Target per channel; the Target is the unit that gets
published, and its row is the single source of truth for when: `due_at` is the time the user asked
for, `next_attempt_at` is when a worker may next claim it (equal to `due_at` until a retry or a hold
moves it). There is no second copy of "when" in a queue that could drift.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from cuecast.accounts.models import ApiKey, User, Workspace, validate_timezone
from cuecast.campaigns.models import Campaign
from cuecast.channels.models import Channel


class TargetState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class HoldCause(models.TextChoices):
    """Why a target is held; each cause has its own release rule."""

    NONE = "", _("Not held")
    CHANNEL = "channel", _("Channel disconnected")
    QUOTA = "quota", _("Network cap reached")
    ACCESS_TIER = "access_tier", _("API access level lacks publishing")
    CAMPAIGN = "campaign", _("Campaign paused")
    NETWORK = "network", _("Network switched off by an administrator")


# States a target can still leave by itself; the rest are final.
OPEN_STATES = frozenset(
    {
        TargetState.DRAFT,
        TargetState.SCHEDULED,
        TargetState.HELD,
        TargetState.PUBLISHING,
        TargetState.UNCONFIRMED,
    }
)


class Post(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    # An occurrence of a recurring series is an ordinary post that knows where it came from.
    series = models.ForeignKey(
        "Series", null=True, blank=True, on_delete=models.SET_NULL, related_name="occurrences"
    )
    # The instant the series' rule named for this occurrence (UTC); one post per occurrence.
    occurrence_at = models.DateTimeField(null=True, blank=True)
    # Changed on its own (moved, for instance): later edits of the series leave it as it is.
    edited_alone = models.BooleanField(default=False)
    text = models.TextField()
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_by_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="approved_posts"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Several workers may materialise the same series at once: only one post per occurrence.
            models.UniqueConstraint(
                fields=["series", "occurrence_at"], name="one_post_per_occurrence"
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class ScheduleKind(models.TextChoices):
    AT = "at", _("At an exact time")
    LOCAL = "local", _("At a local time")
    CUE = "cue", _("Relative to a campaign")
    QUEUE = "queue", _("In the channel's next free queue slot")


class CueEvent(models.TextChoices):
    START = "start", _("Campaign start")
    END = "end", _("Campaign end")


class Schedule(models.Model):
    """How the user described the time; targets' `due_at` is computed from it.

    Kept so that a cue-relative post can move when its campaign moves, and so the UI can show the
    schedule the way it was entered ("2 days before the end at 09:00 Europe/Berlin").
    """

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="schedule")
    kind = models.CharField(max_length=8, choices=ScheduleKind.choices)
    at = models.DateTimeField(null=True, blank=True)
    local_at = models.CharField(max_length=19, blank=True, default="")  # "2026-12-01T09:00[:00]"
    timezone = models.CharField(
        max_length=64, blank=True, default="", validators=[validate_timezone]
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="cued_schedules"
    )
    cue_event = models.CharField(max_length=8, choices=CueEvent.choices, blank=True, default="")
    cue_offset = models.DurationField(null=True, blank=True)
    cue_time = models.TimeField(null=True, blank=True)


def media_upload_path(instance: Media, filename: str) -> str:
    """Unguessable names: media is served publicly (networks fetch it), so the path is the secret."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"uploads/{uuid.uuid4().hex}.{suffix[:8]}"


class TargetEvent(models.Model):
    """A target's history: every move, hold and release, with its cause ("campaign ended 2 days
    later (sync)")."""

    target = models.ForeignKey("Target", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16)  # moved | held | released
    cause = models.CharField(max_length=300)
    from_due = models.DateTimeField(null=True, blank=True)
    to_due = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class Media(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to=media_upload_path)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt_text = models.CharField(max_length=1500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)


class PostMedia(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="post_media")
    media = models.ForeignKey(Media, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]


class Target(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="targets")
    text = models.TextField(blank=True, default="")  # per-network variant; empty = the post's text
    state = models.CharField(max_length=16, choices=TargetState.choices, default=TargetState.DRAFT)
    due_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    # Sent as the network's idempotency key where it has one; stable for the target's whole life.
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False)
    external_id = models.CharField(max_length=200, blank=True, default="")
    permalink = models.URLField(max_length=500, blank=True, default="")
    # Ids of the parts already published (a thread), so a retry continues instead of starting over.
    published_parts = models.JSONField(default=list, blank=True)
    # What a connector recorded before a call a later attempt depends on (Instagram and Threads
    # container ids, a Bluesky record key), so retries and reconciliation continue from it.
    progress = models.JSONField(default=dict, blank=True)
    # Network-specific settings for this post (content warning, visibility, language).
    options = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    hold = models.CharField(max_length=16, choices=HoldCause.choices, blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The dispatcher's claim query: due scheduled targets, oldest first.
            models.Index(fields=["state", "next_attempt_at"], name="target_claim_idx"),
            models.Index(fields=["state", "lease_expires_at"], name="target_lease_idx"),
            # /metrics' "failed in the last 24 hours": failed targets are few, so a partial
            # index keeps that gauge cheap however many targets were ever published.
            models.Index(
                fields=["updated_at"],
                condition=models.Q(state="failed"),
                name="target_failed_recent_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="one_target_per_channel")
        ]

    def __str__(self) -> str:
        return f"target {self.pk} ({self.state})"

    @property
    def effective_text(self) -> str:
        return self.text or self.post.text


class SeriesFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class SeriesState(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")


class Series(models.Model):
    """A recurring post: the rule, in the author's wall-clock terms, and the template its
    occurrences are made from.

    Each occurrence becomes an ordinary Post with its Targets a bounded horizon ahead
    (`cuecast.posts.series.materialize_due`), so the publishing engine never sees a series; see
    docs/decisions/0007-recurring-series.md.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="series")
    text = models.TextField(blank=True, default="")
    media_ids = models.JSONField(default=list, blank=True)  # the workspace's Media, in order
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_by_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="approved_series"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The rule (RFC 5545 terms), read in `timezone` so 09:00 stays 09:00 across DST changes.
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    starts_on = models.DateField()
    at_time = models.TimeField()
    frequency = models.CharField(max_length=8, choices=SeriesFrequency.choices)
    interval = models.PositiveSmallIntegerField(default=1)
    weekdays = models.JSONField(default=list, blank=True)  # 0 = Monday … 6 = Sunday
    month_day = models.PositiveSmallIntegerField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)  # last day an occurrence may fall on
    count = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=SeriesState.choices, default=SeriesState.ACTIVE)
    # Every occurrence before this instant exists as a post (or was skipped as too late).
    materialized_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "materialized_until"], name="series_due_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class SeriesTarget(models.Model):
    """A channel a series posts to, with that network's variant and options."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="targets")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="series_targets")
    text = models.TextField(blank=True, default="")  # empty = the series' text
    options = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "channel"], name="one_series_target_per_channel"
            )
        ]


class QueueSlot(models.Model):
    """A weekly time at which a channel takes the next queued post, in the workspace's zone."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="queue_slots")
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday … 6 = Sunday
    at_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "at_time", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "weekday", "at_time"], name="one_queue_slot_per_time"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="queue_slot_weekday_range"
            ),
        ]
