"""Fixtures for the campaigns engine: an ad account, a channel made without a network, and
helpers that build platform campaigns and posts cued to a campaign."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cuecast.campaigns.sources.base import BudgetPeriod, RemoteCampaign, RemoteStatus

BERLIN = "Europe/Berlin"


def remote(**changes: Any) -> RemoteCampaign:
    """Winter sale: 1 Oct 2027 09:00 to 1 Nov 2027 18:00 Berlin (the day after summer time ends)."""
    base = RemoteCampaign(
        external_id="111",
        name="Winter sale",
        status=RemoteStatus.ACTIVE,
        status_raw="Active",
        starts_at=datetime.fromisoformat("2027-10-01T09:00:00+02:00"),
        ends_at=datetime.fromisoformat("2027-11-01T18:00:00+01:00"),
        timezone=BERLIN,
        budget_amount=Decimal("50.00"),
        budget_period=BudgetPeriod.DAILY,
        currency="EUR",
    )
    return replace(base, **changes)


@pytest.fixture
def channel(workspace: Any) -> Any:
    from cuecast.channels.models import Channel

    return Channel.objects.create(
        workspace=workspace,
        network="mastodon",
        base_url="https://social.example",
        external_id="2002",
        handle="@acme@social.example",
        display_name="ACME on Mastodon",
        credentials={"access_token": "t"},
    )


@pytest.fixture
def ad_account(workspace: Any) -> Any:
    from cuecast.campaigns.models import AdAccount

    return AdAccount.objects.create(
        workspace=workspace,
        platform="microsoft",
        external_id="149000001",
        name="ACME Ads",
        credentials={"access_token": "a", "refresh_token": "r"},
        settings={"timezone": BERLIN},
    )


def cued_post(
    actor: Any,
    campaign: Any,
    channel: Any,
    *,
    event: str,
    offset: timedelta = timedelta(0),
    at: time | None = None,
    tz: str = "",
) -> Any:
    from cuecast.posts.models import ScheduleKind
    from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post

    post = create_post(
        actor,
        PostDraft(
            text=f"Cued to the {event}",
            targets=[TargetSpec(channel.pk)],
            schedule=ScheduleSpec(
                kind=ScheduleKind.CUE,
                campaign_id=campaign.pk,
                cue_event=event,
                cue_offset=offset,
                cue_time=at,
                tz=tz,
            ),
        ),
    )
    return post.targets.get()


@pytest.fixture
def other_workspace_account(db: None) -> Any:
    from cuecast.accounts.models import User
    from cuecast.accounts.services import create_workspace
    from cuecast.campaigns.models import AdAccount

    bob = User.objects.create_user("bob", email="bob@example.com", password="another horse")
    workspace = create_workspace(slug="globex", name="Globex", owner=bob)
    return AdAccount.objects.create(
        workspace=workspace, platform="microsoft", external_id="149000001", name="Globex Ads"
    )
