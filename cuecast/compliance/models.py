"""The API call ledger: one row for every call Cuecast made to a network, append-only.

Networks price and cap their APIs per call (X's pay-per-use, Meta's and LinkedIn's daily app limits),
and their terms let them audit what a client fetched. A row per call, written in bulk after each
batch, is cheap and is the evidence: counts, caps and an auditor's report are queries over it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cuecast.accounts.models import Workspace
from cuecast.channels.models import Channel


class CallPurpose(models.TextChoices):
    PUBLISH = "publish", _("Publishing")
    RECONCILE = "reconcile", _("Checking whether a post went out")
    REFRESH = "refresh", _("Renewing access")
    METRICS = "metrics", _("Collecting metrics")
    CONNECT = "connect", _("Connecting an account")
    SYNC = "sync", _("Syncing ad campaigns")
    DELETE = "delete", _("Deleting a post")


class ApiCall(models.Model):
    at = models.DateTimeField()
    network = models.CharField(max_length=32)  # a network or ad-platform key
    purpose = models.CharField(max_length=16, choices=CallPurpose.choices)
    # SET_NULL: the ledger outlives the workspace's channels; the network's count must not shrink.
    workspace = models.ForeignKey(Workspace, null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL)
    target_id = models.BigIntegerField(null=True, blank=True)  # no FK: targets may be deleted
    method = models.CharField(max_length=8)
    host = models.CharField(max_length=200)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField(default=0)  # 0: no answer (timeout)

    class Meta:
        indexes = [
            models.Index(fields=["network", "at"], name="apicall_network_at_idx"),
            models.Index(fields=["workspace", "at"], name="apicall_workspace_at_idx"),
            models.Index(fields=["channel", "purpose", "at"], name="apicall_channel_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.host}{self.path} {self.status}"
