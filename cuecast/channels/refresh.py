"""Renew channels' access before it runs out, whether or not they publish (a background job).

Publishing and metric polls renew a token when they use it within the network's lead
(`Descriptor.refresh_ahead`). A channel that does neither for weeks would let it run out, and on
networks whose expired tokens cannot be renewed (Instagram's and Threads' 60-day tokens: their
lead is measured in days, see the descriptor) only the user can then connect it again. This job
renews those channels within the same lead, through the connector's own refresh call, counted in
the API call ledger as "refresh".

Each channel is leased to one worker at a time (`SKIP LOCKED` on PostgreSQL, a conditional update
on SQLite), like metric polls. A refusal that only a new sign-in can cure disconnects the channel
the way publishing does (its posts are held, the reason says to connect it again); a passing
failure is tried again after `RETRY_AFTER`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any

import httpx
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast import config, http
from cuecast.channels.models import Channel, ChannelStatus, NetworkSwitch
from cuecast.channels.services import mark_disconnected, store_credentials
from cuecast.compliance.ledger import record_calls
from cuecast.compliance.models import CallPurpose
from cuecast.networks import errors, registry
from cuecast.networks.base import Account

log = logging.getLogger("cuecast.channels")

# Leads of a day or more belong to networks whose expired tokens cannot be renewed (base.py).
RENEWS_BEFORE_EXPIRY = timedelta(days=1)
RETRY_AFTER = timedelta(hours=1)
BATCH = 50


def refresh_due(
    now: datetime | None = None, *, worker: str | None = None, limit: int = BATCH
) -> int:
    """Renew the access of channels whose token expires within their network's lead. Returns how
    many channels were handled (renewed, disconnected or put off until later)."""
    from cuecast.publishing.dispatcher import new_worker_id

    now = now or timezone.now()
    worker = worker or new_worker_id()
    ids = claim(worker, now, limit)
    if not ids:
        return 0
    channels = list(Channel.objects.filter(pk__in=ids, refresh_lease_owner=worker))
    renewals = async_to_sync(_renew_all)(channels)
    for renewal in renewals:
        _record(renewal, worker, now)
    return len(renewals)


# --- which channels, and claiming them ----------------------------------------------------------


def renewing_networks() -> dict[str, timedelta]:
    """Network → refresh lead, for the networks whose tokens must be renewed before they expire."""
    return {
        key: network.descriptor.refresh_ahead
        for key, network in registry.networks().items()
        if network.descriptor.refresh_ahead >= RENEWS_BEFORE_EXPIRY
    }


def due_channels(now: datetime) -> QuerySet[Channel]:
    leads = renewing_networks()
    if not leads:
        return Channel.objects.none()
    within_lead = reduce(
        or_, (Q(network=key, token_expires_at__lte=now + lead) for key, lead in leads.items())
    )
    switched_off = NetworkSwitch.objects.filter(enabled=False).values_list("network", flat=True)
    return (
        Channel.objects.filter(within_lead, status=ChannelStatus.CONNECTED)
        .filter(Q(refresh_retry_at__isnull=True) | Q(refresh_retry_at__lte=now))
        .exclude(network__in=list(switched_off))
    )


def claim(worker: str, now: datetime, limit: int) -> list[int]:
    """Lease up to `limit` due channels to this worker; a second claimant gets none of them."""
    expires = now + timedelta(seconds=config.load().worker_lease_seconds)
    if not due_channels(now).exclude(refresh_lease_expires_at__gt=now).exists():
        return []  # the usual round: no write transaction for nothing (SQLite)
    with transaction.atomic():
        due = due_channels(now).exclude(refresh_lease_expires_at__gt=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.order_by("token_expires_at", "id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        free = Channel.objects.filter(pk__in=ids).exclude(refresh_lease_expires_at__gt=now)
        free.update(refresh_lease_owner=worker, refresh_lease_expires_at=expires)
    owned = Channel.objects.filter(
        pk__in=ids, refresh_lease_owner=worker, refresh_lease_expires_at=expires
    )
    return list(owned.values_list("id", flat=True))


# --- renewing -----------------------------------------------------------------------------------


@dataclass
class Renewal:
    """What one channel's refresh came to, with the calls it made (for the ledger)."""

    channel: Channel
    scope: http.CallScope
    credentials: dict[str, Any] | None = None
    reconnect: str = ""  # the network's sentence: only a new sign-in helps
    problem: str = ""  # a passing failure: try again later


async def _renew_all(channels: list[Channel]) -> list[Renewal]:
    settings = config.load()
    async with http.async_client(max_connections=settings.worker_concurrency) as client:
        return list(await asyncio.gather(*(_renew(c, client) for c in channels)))


async def _renew(channel: Channel, client: httpx.AsyncClient) -> Renewal:
    account = Account(
        external_id=channel.external_id,
        handle=channel.handle,
        base_url=channel.base_url,
        credentials=dict(channel.credentials),
        settings=dict(channel.settings),
    )
    with http.call_scope(
        channel.network,
        CallPurpose.REFRESH,
        workspace_id=channel.workspace_id,
        channel_id=channel.pk,
    ) as scope:
        renewal = Renewal(channel, scope)
        try:
            renewal.credentials = (
                await registry.get(channel.network).connect(account, client).refresh_credentials()
            )
        except (errors.Disconnected, errors.AuthExpired) as exc:
            renewal.reconnect = exc.message
        except errors.NetworkError as exc:
            renewal.problem = exc.message or exc.kind
        except httpx.HTTPError as exc:
            renewal.problem = type(exc).__name__
    return renewal


def _record(renewal: Renewal, worker: str, now: datetime) -> None:
    """Store what the refresh came to and let go of the lease, in one transaction."""
    channel = renewal.channel
    with transaction.atomic():
        record_calls([renewal.scope])
        mine = Channel.objects.filter(pk=channel.pk, refresh_lease_owner=worker)
        retry_at: datetime | None = None
        if renewal.credentials is not None:
            # Persist at once: a rotated token that is lost would disconnect the channel.
            expires_at = _expires_at(renewal.credentials)
            store_credentials(channel.pk, renewal.credentials, expires_at)
            log.info("channel %s: access renewed", channel.pk)
            if expires_at is not None and expires_at <= now + _lead(channel):
                # The network renewed it without moving its end: asking again at once would
                # only repeat that, every round.
                retry_at = now + RETRY_AFTER
        elif renewal.reconnect or _expired(channel, now):
            mark_disconnected(channel, _reconnect_reason(channel, renewal.reconnect))
            log.warning("channel %s: access could not be renewed; disconnected", channel.pk)
        else:
            # Refused for now (a 5xx, a token too young to renew): the lead leaves time to retry.
            retry_at = now + RETRY_AFTER
            log.warning("channel %s: renewing access failed (%s)", channel.pk, renewal.problem)
        mine.update(
            refresh_lease_owner="", refresh_lease_expires_at=None, refresh_retry_at=retry_at
        )


def _lead(channel: Channel) -> timedelta:
    return registry.get(channel.network).descriptor.refresh_ahead


def _expires_at(credentials: dict[str, Any]) -> datetime | None:
    expires = credentials.get("expires_at")
    return datetime.fromisoformat(expires) if isinstance(expires, str) else None


def _expired(channel: Channel, now: datetime) -> bool:
    return channel.token_expires_at is not None and channel.token_expires_at <= now


def _reconnect_reason(channel: Channel, why: str) -> str:
    network = registry.get(channel.network).descriptor.name
    if why:
        return _("Cuecast could not renew its access before it runs out: %(why)s") % {"why": why}
    return _(
        "Its access ran out before Cuecast could renew it. Connect the %(network)s account again."
    ) % {"network": network}
