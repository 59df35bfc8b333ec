"""`/api/v1/channels`: the workspace's connected accounts, and the access tier each one's app is on."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router

from cuecast.api import selectors
from cuecast.api.auth import request_actor
from cuecast.api.errors import responses
from cuecast.api.schemas import ChannelOut, Input
from cuecast.channels.models import Channel
from cuecast.channels.tiers import set_access_tier, tiers_of

router = Router(tags=["channels"])


class ChannelPatch(Input):
    """Only the fields sent change."""

    access_tier: str | None = Field(
        None,
        max_length=32,
        description=(
            "The API access tier the account's app is on at its network, one of the channel's "
            "`access_tiers` (X: free, basic, pro, pay_per_use); empty: not recorded. Posts held "
            "because the network refused the old tier are released under the late policy."
        ),
        examples=["basic"],
    )


def channel_out(channel: Channel) -> ChannelOut:
    return ChannelOut(
        id=channel.pk,
        network=channel.network,
        name=channel.display_name,
        handle=channel.handle,
        status=channel.status,
        status_reason=channel.status_reason or None,
        access_tier=channel.access_tier,
        access_tiers=list(tiers_of(channel.network)),
    )


@router.get("", response={200: list[ChannelOut], **responses(401, 403)})
def list_channels(request: HttpRequest) -> list[ChannelOut]:
    """The workspace's channels, connected or not."""
    return [channel_out(c) for c in selectors.channels(request_actor(request))]


@router.get("/{channel_id}", response={200: ChannelOut, **responses(401, 403, 404, 422)})
def get_channel(request: HttpRequest, channel_id: int) -> ChannelOut:
    """One channel of the workspace."""
    return channel_out(selectors.channel(request_actor(request), channel_id))


@router.patch("/{channel_id}", response={200: ChannelOut, **responses(401, 403, 404, 422)})
def update_channel(request: HttpRequest, channel_id: int, payload: ChannelPatch) -> ChannelOut:
    """Change a channel's settings (admins and owners): today its access tier."""
    actor = request_actor(request)
    channel = selectors.channel(actor, channel_id)
    if payload.access_tier is not None:
        channel = set_access_tier(actor, channel, payload.access_tier).channel
    return channel_out(channel)
