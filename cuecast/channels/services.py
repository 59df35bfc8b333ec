"""Write paths for channels: connect through a network's OAuth flow, disconnect, store credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.channels.models import Channel, ChannelStatus, OAuthClient
from cuecast.networks import registry
from cuecast.networks.base import AuthorizationStart, ConnectedAccount
from cuecast.posts.models import HoldCause


class DbClientStore:
    """ClientStore backed by OAuthClient rows (client secrets encrypted at rest)."""

    async def get(self, network: str, base_url: str, redirect_uri: str) -> dict[str, Any] | None:
        return await sync_to_async(self._get)(network, base_url, redirect_uri)

    async def save(
        self, network: str, base_url: str, redirect_uri: str, client: dict[str, Any]
    ) -> None:
        await sync_to_async(self._save)(network, base_url, redirect_uri, client)

    def _get(self, network: str, base_url: str, redirect_uri: str) -> dict[str, Any] | None:
        row = OAuthClient.objects.filter(
            network=network, base_url=base_url, redirect_uri=redirect_uri
        ).first()
        if row is None:
            return None
        return {"client_id": row.client_id, **row.secrets}

    def _save(self, network: str, base_url: str, redirect_uri: str, client: dict[str, Any]) -> None:
        secrets = {k: v for k, v in client.items() if k != "client_id"}
        OAuthClient.objects.update_or_create(
            network=network,
            base_url=base_url,
            redirect_uri=redirect_uri,
            defaults={"client_id": client["client_id"], "secrets": secrets},
        )


async def start_connect(
    network_key: str, *, redirect_uri: str, server_url: str = ""
) -> AuthorizationStart:
    """Begin connecting an account: where to send the browser, and what to keep in the session."""
    network = registry.get(network_key)
    return await network.oauth().start(
        redirect_uri=redirect_uri, server_url=server_url, clients=DbClientStore()
    )


@transaction.atomic
def save_connected_account(actor: Actor, network_key: str, account: ConnectedAccount) -> Channel:
    """Store a freshly authorised account. Reconnecting the same account updates its channel
    in place (keeping its posts and history) and releases what its disconnection held."""
    actor.require(Action.MANAGE_CHANNELS)
    registry.get(network_key)  # refuse unknown networks before writing anything
    channel, created = Channel.objects.select_for_update().get_or_create(
        workspace=actor.workspace,
        network=network_key,
        base_url=account.base_url,
        external_id=account.external_id,
        defaults={"handle": account.handle, "display_name": account.display_name},
    )
    channel.handle = account.handle
    channel.display_name = account.display_name
    # Keep a refresh token the network did not send again (some only send it on first consent).
    credentials = {**channel.credentials, **account.credentials}
    channel.credentials = credentials
    channel.settings = {**channel.settings, **account.settings}
    channel.token_expires_at = account.token_expires_at
    channel.status = ChannelStatus.CONNECTED
    channel.status_reason = ""
    channel.save()
    released = release_held_targets(channel)
    audit(
        actor,
        "channel.connected" if created else "channel.reconnected",
        channel,
        network=network_key,
        handle=account.handle,
        released_targets=released,
    )
    return channel


def release_held_targets(channel: Channel) -> int:
    """Targets held because this channel was disconnected go back to the schedule, under the
    workspace's late policy (cuecast.publishing.holds)."""
    from cuecast.posts.models import Target
    from cuecast.publishing import holds

    released = holds.release(
        Target.objects.filter(channel=channel),
        HoldCause.CHANNEL,
        timezone.now(),
        history=_("%(channel)s was connected again") % {"channel": channel.display_name},
    )
    return sum(1 for event in released if event.kind == "released")


def mark_disconnected(channel: Channel, reason: str) -> int:
    """The network refused the channel's credentials for good. Hold its future targets."""
    from cuecast.posts.models import Target
    from cuecast.publishing import holds

    now = timezone.now()
    with transaction.atomic():
        Channel.objects.filter(pk=channel.pk).update(
            status=ChannelStatus.DISCONNECTED, status_reason=reason, updated_at=now
        )
        held = holds.hold(
            Target.objects.filter(channel=channel),
            HoldCause.CHANNEL,
            holds.channel_reason(channel, reason),
            now,
            history=_("%(channel)s was disconnected (%(why)s)")
            % {"channel": channel.display_name, "why": reason},
        )
        return len(held)


def disconnect(actor: Actor, channel: Channel) -> int:
    actor.require(Action.MANAGE_CHANNELS)
    channel = Channel.objects.get(pk=channel.pk, workspace=actor.workspace)
    held = mark_disconnected(channel, "disconnected by a person")
    Channel.objects.filter(pk=channel.pk).update(credentials={})
    audit(actor, "channel.disconnected", channel, held_targets=held)
    return held


def store_credentials(
    channel_id: int, credentials: dict[str, Any], expires_at: datetime | None
) -> None:
    """Persist refreshed tokens (called by the worker after a refresh)."""
    channel = Channel.objects.get(pk=channel_id)
    channel.credentials = credentials
    channel.token_expires_at = expires_at
    channel.save(update_fields=["credentials", "token_expires_at", "updated_at"])
