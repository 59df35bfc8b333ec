"""The "done when" of the campaigns issue for Google Ads, Meta and LinkedIn, as for Microsoft
(test_campaign_sync.py): through the API against each sandbox account, posts cued to a campaign's
start and to "2 days before it ends at 10:00 Europe/Berlin" move when the campaign's dates move in
the sandbox and a sync runs; pausing holds them; resuming releases them; daily paid metrics match
what the sandbox served, to the cent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cuecast.campaigns.models import Campaign
from cuecast.campaigns.services import connect_ad_accounts
from cuecast.networks.base import ConnectedAccount
from cuecast.posts.models import TargetEvent

from .conftest import Api
from .test_campaign_sync import dues, states, sync_through_api

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Platform:
    key: str  # the source's registry key
    network: str  # the emulator's name in the sandbox
    campaign: str  # a seeded campaign's id
    account: Callable[[Any], ConnectedAccount]
    flight: Callable[[str, date, date], dict[str, Any]]  # config changes moving the flight
    status: Callable[[str, bool], dict[str, Any]]  # config changes pausing (True) or resuming
    row: Callable[[int, int, str, str], dict[str, Any]]  # a daily row as the emulator takes it


def _google_account(sandbox: Any) -> ConnectedAccount:
    tokens = sandbox.control.tokens("googleads", "demo")
    expires = datetime.now(UTC) + timedelta(seconds=int(tokens["expires_in"]))
    return ConnectedAccount(
        external_id="5550001001",
        handle="555-000-1001",
        display_name="Cuecast Demo GmbH",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "expires_at": expires.isoformat(),
        },
        token_expires_at=expires,
        settings={"currency": "EUR", "timezone": "Europe/Berlin"},
    )


def _meta_account(sandbox: Any) -> ConnectedAccount:
    minted = sandbox.control.tokens("facebook", "cuecast_demo", scope="ads_read")
    return ConnectedAccount(
        external_id="act_1029384756000001",
        handle="Cuecast Demo Ads",
        display_name="Cuecast Demo Ads",
        base_url="",
        credentials={"access_token": minted["user_access_token"]},
        settings={"currency": "EUR", "timezone": "Europe/Berlin"},
    )


def _linkedin_account(sandbox: Any) -> ConnectedAccount:
    minted = sandbox.control.tokens("linkedin", "demo", scope="r_ads r_ads_reporting")
    return ConnectedAccount(
        external_id="508800001",
        handle="Cuecast Demo Sponsored",
        display_name="Cuecast Demo Sponsored",
        base_url="",
        credentials={"access_token": minted["access_token"]},
        settings={"currency": "EUR", "timezone": "UTC"},
    )


def _ms(day: date) -> int:
    return int(datetime.combine(day, time(0), UTC).timestamp() * 1000)


PLATFORMS = [
    Platform(
        key="google",
        network="googleads",
        campaign="22000000101",
        account=_google_account,
        flight=lambda cid, start, end: {
            "campaigns": [{"id": cid, "start": str(start), "end": str(end), "status": "ENABLED"}]
        },
        status=lambda cid, paused: {
            "campaigns": [{"id": cid, "status": "PAUSED" if paused else "ENABLED"}]
        },
        row=lambda imp, clk, spend, conv: {
            "impressions": imp,
            "clicks": clk,
            "cost": spend,
            "conversions": conv,
        },
    ),
    Platform(
        key="meta",
        network="facebook",
        campaign="120210000000000101",
        account=_meta_account,
        flight=lambda cid, start, end: {
            "ad_campaigns": [
                {
                    "id": cid,
                    "start_time": f"{start}T00:00:00",
                    "stop_time": f"{end}T00:00:00",
                    "status": "ACTIVE",
                }
            ]
        },
        status=lambda cid, paused: {
            "ad_campaigns": [{"id": cid, "status": "PAUSED" if paused else "ACTIVE"}]
        },
        row=lambda imp, clk, spend, conv: {
            "impressions": imp,
            "clicks": clk,
            "spend": spend,
            "actions": {"lead": int(conv)},
        },
    ),
    Platform(
        key="linkedin_ads",
        network="linkedin",
        campaign="700000001",
        account=_linkedin_account,
        flight=lambda cid, start, end: {
            "ad_campaigns": [
                {
                    "id": cid,
                    "status": "ACTIVE",
                    "runSchedule": {"start": _ms(start), "end": _ms(end)},
                }
            ]
        },
        status=lambda cid, paused: {
            "ad_campaigns": [{"id": cid, "status": "PAUSED" if paused else "ACTIVE"}]
        },
        row=lambda imp, clk, spend, conv: {
            "impressions": imp,
            "clicks": clk,
            "costInLocalCurrency": spend,
            "externalWebsiteConversions": int(conv),
        },
    ),
]


@pytest.mark.parametrize("platform", PLATFORMS, ids=[p.key for p in PLATFORMS])
def test_cued_posts_follow_the_campaign(
    platform: Platform, api: Api, actor: Any, sandbox: Any, channels: dict[str, Any]
) -> None:
    today = datetime.now(BERLIN).date()
    sandbox.control.config(
        platform.network,
        **platform.flight(
            platform.campaign, today + timedelta(days=10), today + timedelta(days=40)
        ),
    )
    served_day = datetime.now(UTC).date() - timedelta(days=2)
    sandbox.control.metrics(
        platform.network, platform.campaign, {str(served_day): platform.row(1200, 35, "21.37", "2")}
    )
    [account] = connect_ad_accounts(actor, platform.key, [platform.account(sandbox)])
    sync_through_api(api, account)
    campaign = Campaign.objects.get(platform=platform.key, external_id=platform.campaign)

    start_post = api.post(
        "/api/v1/posts",
        {
            "text": f"{platform.key}: it starts now!",
            "targets": [{"channel_id": channels["mastodon"].pk}],
            "schedule": {"cue": {"campaign_id": campaign.pk, "event": "start"}},
        },
    )
    end_post = api.post(
        "/api/v1/posts",
        {
            "text": f"{platform.key}: two days left!",
            "targets": [{"channel_id": channels["x"].pk}],
            "schedule": {
                "cue": {
                    "campaign_id": campaign.pk,
                    "event": "end",
                    "offset": "-P2D",
                    "time": "10:00",
                    "tz": "Europe/Berlin",
                }
            },
        },
    )
    assert start_post.status_code == end_post.status_code == 201, end_post.content
    ids = (start_post.json()["id"], end_post.json()["id"])
    before = dues(api, *ids)
    assert before[1].astimezone(BERLIN).time() == time(10, 0)

    sandbox.control.config(
        platform.network,
        **platform.flight(
            platform.campaign, today + timedelta(days=12), today + timedelta(days=45)
        ),
    )
    sync_through_api(api, account)
    moved = dues(api, *ids)
    campaign.refresh_from_db()
    assert moved[0] == campaign.starts_at and moved[0] != before[0]
    assert moved[1] != before[1] and moved[1].astimezone(BERLIN).time() == time(10, 0)
    assert TargetEvent.objects.filter(kind="moved").count() == 2

    sandbox.control.config(platform.network, **platform.status(platform.campaign, True))
    sync_through_api(api, account)
    assert states(api, *ids) == ["held", "held"]
    sandbox.control.config(platform.network, **platform.status(platform.campaign, False))
    sync_through_api(api, account)
    assert states(api, *ids) == ["scheduled", "scheduled"]
    assert dues(api, *ids) == moved
    kinds = [c["kind"] for c in api.get(f"/api/v1/campaigns/{campaign.pk}/cues").json()]
    assert "dates_changed" in kinds and "paused" in kinds and "resumed" in kinds

    metrics = {m["day"]: m for m in api.get(f"/api/v1/campaigns/{campaign.pk}/paid-metrics").json()}
    row = metrics[str(served_day)]
    assert (row["impressions"], row["clicks"], row["spend"], row["currency"]) == (
        1200,
        35,
        "21.37",
        "EUR",
    )
    assert row["conversions"] in ("2", "2.0", "2.00")
