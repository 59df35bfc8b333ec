"""`/api/v1/channels`: the workspace's connected accounts (read-only here)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from cuecast.api import selectors
from cuecast.api.auth import request_actor
from cuecast.api.errors import responses
from cuecast.api.schemas import ChannelOut
from cuecast.channels.models import Channel

router = Router(tags=["channels"])


def channel_out(channel: Channel) -> ChannelOut:
    return ChannelOut(
        id=channel.pk,
        network=channel.network,
        name=channel.display_name,
        handle=channel.handle,
        status=channel.status,
        status_reason=channel.status_reason or None,
    )


@router.get("", response={200: list[ChannelOut], **responses(401, 403)})
def list_channels(request: HttpRequest) -> list[ChannelOut]:
    """The workspace's channels, connected or not."""
    return [channel_out(c) for c in selectors.channels(request_actor(request))]


@router.get("/{channel_id}", response={200: ChannelOut, **responses(401, 403, 404, 422)})
def get_channel(request: HttpRequest, channel_id: int) -> ChannelOut:
    """One channel of the workspace."""
    return channel_out(selectors.channel(request_actor(request), channel_id))
