"""Connected social accounts ("channels") and the OAuth clients Cuecast registered with servers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cuecast.accounts.models import User, Workspace
from cuecast.crypto import EncryptedJSONField


class ChannelStatus(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    DISCONNECTED = "disconnected", _("Disconnected")


class Channel(models.Model):
    """One account on one network, connected to one workspace.

    `credentials` holds tokens as the network's connector needs them (encrypted at rest).
    `base_url` is the server for federated networks (a Mastodon instance); empty otherwise.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(max_length=32)
    base_url = models.URLField(blank=True, default="")
    external_id = models.CharField(max_length=128)
    handle = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200)
    credentials = EncryptedJSONField(default=dict, blank=True)
    # Non-secret facts read at connect time, e.g. a Mastodon instance's text and media limits.
    settings = models.JSONField(default=dict, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=ChannelStatus.choices, default=ChannelStatus.CONNECTED
    )
    status_reason = models.CharField(max_length=500, blank=True, default="")
    # Renewing access ahead of expiry in the background (cuecast.channels.refresh): the worker
    # that holds the lease renews it; after a passing failure it is tried again from `retry_at`.
    refresh_lease_owner = models.CharField(max_length=64, blank=True, default="")
    refresh_lease_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_retry_at = models.DateTimeField(null=True, blank=True)
    # When one of its posts held for a missing API access level was last let go to try again
    # (cuecast.publishing.holds.recheck_access): one such re-check per channel at a time.
    access_rechecked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["network", "display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "base_url", "external_id"],
                name="one_channel_per_account_per_workspace",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.network})"

    @property
    def is_connected(self) -> bool:
        return self.status == ChannelStatus.CONNECTED

    @property
    def access_tier(self) -> str:
        """The network's access tier this account's app is on, as the user recorded it ("": not
        recorded; the rate budgets then assume the network's default)."""
        return str((self.settings or {}).get("access_tier", ""))


class OAuthClient(models.Model):
    """An app registration on a server that hands them out per instance (Mastodon's /api/v1/apps)."""

    network = models.CharField(max_length=32)
    base_url = models.URLField()
    redirect_uri = models.URLField(max_length=500)
    client_id = models.CharField(max_length=200)
    secrets = EncryptedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "base_url", "redirect_uri"], name="one_client_per_server"
            )
        ]


class NetworkSwitch(models.Model):
    """An instance-wide switch per network, set by a staff member (docs/operations.md, "Switching a
    network off"). Off: every future post to the network is held with `reason`, new ones are
    created held, and switching it on releases them under each workspace's late policy.

    A missing row means "on". Post creation reads the row with a share lock on PostgreSQL, so a post
    created while the switch flips is either seen by the hold or sees the switch itself.
    """

    network = models.CharField(max_length=32, unique=True)
    enabled = models.BooleanField(default=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    changed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["network"]

    def __str__(self) -> str:
        return f"{self.network} ({'on' if self.enabled else 'off'})"
