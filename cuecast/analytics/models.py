"""Metric snapshots of published posts and channels, kept for good.

Networks report cumulative counters (a post's likes so far). A snapshot stores them as collected,
normalised to Cuecast's names with the network's own names kept in `raw`. Reports read daily
deltas (`PostMetricDay`), written with each snapshot in the workspace's time zone, so a report over
a year of 100,000 posts sums one narrow table instead of differencing snapshots.

Nothing here is deleted when a channel is disconnected or a network is switched off: the poll is
marked final instead, and reports show the figures as of the last collection.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cuecast.accounts.models import Workspace
from cuecast.campaigns.models import Campaign
from cuecast.channels.models import Channel
from cuecast.posts.models import Target

# Cuecast's normalised metric names; each network's own names map onto these (descriptor data,
# documented in docs/networks/). A network that does not expose one leaves it NULL, never 0.
METRIC_FIELDS = (
    "impressions",  # impressions or views, whichever the network reports
    "reach",
    "likes",
    "comments",
    "reposts",
    "clicks",
    "saves",
    "video_views",
)


class MetricValues(models.Model):
    impressions = models.BigIntegerField(null=True, blank=True)
    reach = models.BigIntegerField(null=True, blank=True)
    likes = models.BigIntegerField(null=True, blank=True)
    comments = models.BigIntegerField(null=True, blank=True)
    reposts = models.BigIntegerField(null=True, blank=True)
    clicks = models.BigIntegerField(null=True, blank=True)
    saves = models.BigIntegerField(null=True, blank=True)
    video_views = models.BigIntegerField(null=True, blank=True)

    class Meta:
        abstract = True


class FinalReason(models.TextChoices):
    NONE = "", _("Still collecting")
    HORIZON = "horizon", _("The network's metrics window has closed")
    DISCONNECTED = "disconnected", _("The channel was disconnected")
    SWITCHED_OFF = "switched_off", _("The network was switched off")
    DELETED = "deleted", _("The post was deleted on the network")
    UNSUPPORTED = "unsupported", _("The network does not report metrics for this post")


class MetricPoll(models.Model):
    """The due row of a published target's metric plan: claimed in leased batches like targets."""

    target = models.OneToOneField(Target, on_delete=models.CASCADE, related_name="metric_poll")
    next_poll_at = models.DateTimeField(null=True, blank=True)  # None: final
    polls_done = models.PositiveIntegerField(default=0)
    horizon_ends_at = models.DateTimeField()
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    final_reason = models.CharField(
        max_length=16, choices=FinalReason.choices, blank=True, default=""
    )
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_poll_at"], name="metricpoll_due_idx")]


class PostMetricSnapshot(MetricValues):
    """Cumulative figures of one published target as collected at `taken_at`."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="metric_snapshots")
    taken_at = models.DateTimeField()
    raw = models.JSONField(default=dict)  # the network's own names and values

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [models.Index(fields=["target", "taken_at"], name="snapshot_target_idx")]


class PostMetricDay(MetricValues):
    """What a target gained on one day of the workspace's calendar (differences of snapshots).

    Denormalised (workspace, channel, network, campaign) so reports filter and group one table."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="metric_days")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE)
    network = models.CharField(max_length=32)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "day"], name="one_metric_day_per_target")
        ]
        indexes = [
            models.Index(fields=["workspace", "day"], name="metricday_workspace_idx"),
            models.Index(fields=["campaign", "day"], name="metricday_campaign_idx"),
            models.Index(fields=["channel", "day"], name="metricday_channel_idx"),
        ]


class ChannelMetricDay(models.Model):
    """A channel's own figures (followers, reach) once a day."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="metric_days")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    day = models.DateField()
    followers = models.BigIntegerField(null=True, blank=True)
    reach = models.BigIntegerField(null=True, blank=True)
    raw = models.JSONField(default=dict)
    taken_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "day"], name="one_channel_metric_day")
        ]


class ChannelMetricPoll(models.Model):
    """When a channel's own figures are next read (once a day, shortly after midnight in its
    workspace's zone), leased like MetricPoll so two workers never read the same channel."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="metric_poll")
    next_poll_at = models.DateTimeField()
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_poll_at"], name="channelpoll_due_idx")]


class ReportSubscription(models.Model):
    """A report sent by e-mail every week: to whom, on which weekday and at which hour of the
    workspace's time zone; the workspace's summary, or one campaign's report.

    The row is its own due row: `next_send_at` is when it goes out next. A worker takes it by
    moving `next_send_at` on with a conditional update (only if it still holds the value the
    worker read), so two workers never send the same week twice."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )  # None: the workspace's summary
    recipients = models.JSONField(default=list)  # e-mail addresses
    weekday = models.PositiveSmallIntegerField()  # ISO: 1 = Monday … 7 = Sunday
    hour = models.PositiveSmallIntegerField()  # 0 to 23, in the workspace's zone
    language = models.CharField(max_length=8, default="en")
    active = models.BooleanField(default=True)
    next_send_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["weekday", "hour", "id"]
        indexes = [models.Index(fields=["next_send_at"], name="reportsub_due_idx")]
