"""End to end through the API against the Microsoft Advertising sandbox: connect, sync, posts cued
to the campaign's start and to "2 days before it ends at 10:00 Europe/Berlin", dates changed in
the sandbox → both move; paused → held; resumed → released; paid metrics to the cent.

Also the API's own shapes: ad accounts, cues, timeline, paid metrics and imports."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from cuecast.accounts.models import Role
from cuecast.campaigns import sync
from cuecast.campaigns.models import AdAccount, Campaign, PaidMetricDaily
from cuecast.campaigns.services import connect_ad_accounts
from cuecast.campaigns.sources import registry
from cuecast.networks.base import ConnectedAccount
from cuecast.posts.models import TargetEvent

from .conftest import Api

BERLIN = ZoneInfo("Europe/Berlin")
FIXTURES = Path(__file__).parents[1] / "campaigns" / "fixtures"
HAVE_MICROSOFT = (
    importlib.util.find_spec("cuecast.campaigns.sources.microsoft") is not None
    and importlib.util.find_spec("sandbox.msads") is not None
)


@pytest.fixture
def fresh_sources(sandbox: Any) -> Iterator[None]:
    """Ad sources built against this test's sandbox (the registry caches them)."""
    registry.sources.cache_clear()
    yield
    registry.sources.cache_clear()


def connect_sandbox_account(actor: Any, sandbox: Any) -> AdAccount:
    tokens = sandbox.control.tokens("msads", "demo")
    expires = datetime.now(UTC) + timedelta(seconds=int(tokens["expires_in"]))
    [account] = connect_ad_accounts(
        actor,
        "microsoft",
        [
            ConnectedAccount(
                external_id="180000001",
                handle="F1A2B3C4",
                display_name="Cuecast Demo DE",
                base_url="",
                credentials={
                    "access_token": tokens["access_token"],
                    "refresh_token": tokens["refresh_token"],
                    "expires_at": expires.isoformat(),
                },
                token_expires_at=expires,
                settings={
                    "customer_id": str(tokens["customer_id"]),
                    "currency": "EUR",
                    "timezone": "Europe/Berlin",
                    "microsoft_timezone": "AmsterdamBerlinBernRomeStockholmVienna",
                    "user_id": str(tokens.get("user_id", "")),
                },
            )
        ],
    )
    return account


def sync_through_api(api: Api, account: AdAccount) -> None:
    response = api.post(f"/api/v1/ad-accounts/{account.pk}/sync")
    assert response.status_code == 202, response.content
    assert sync.sync_due() == 1
    account.refresh_from_db()
    assert account.sync_error == "", account.sync_error


def states(api: Api, *post_ids: int) -> list[str]:
    return [api.get(f"/api/v1/posts/{pid}").json()["targets"][0]["state"] for pid in post_ids]


def dues(api: Api, *post_ids: int) -> list[datetime]:
    return [
        datetime.fromisoformat(api.get(f"/api/v1/posts/{pid}").json()["targets"][0]["due_at"])
        for pid in post_ids
    ]


@pytest.mark.skipif(not HAVE_MICROSOFT, reason="the Microsoft source or its emulator is missing")
def test_microsoft_sandbox_campaign_moves_holds_and_releases_its_posts(
    api: Api, actor: Any, sandbox: Any, channels: dict[str, Any], fresh_sources: None
) -> None:
    today = datetime.now(BERLIN).date()
    sandbox.control.config(
        "msads",
        campaigns={
            "510000001": {
                "StartDate": str(today + timedelta(days=10)),
                "EndDate": str(today + timedelta(days=40)),
            }
        },
    )
    yesterday, before = today - timedelta(days=1), today - timedelta(days=3)
    served = {
        str(yesterday): {"impressions": 1200, "clicks": 35, "spend": "21.37", "conversions": "2"},
        str(before): {"impressions": 900, "clicks": 20, "spend": "12.10", "conversions": "0.5"},
    }
    sandbox.control.metrics("msads", "510000003", {"days": served, "replace": True})

    account = connect_sandbox_account(actor, sandbox)
    sync_through_api(api, account)
    listed = api.get("/api/v1/ad-accounts").json()
    assert [(a["id"], a["platform"], a["connected"]) for a in listed] == [
        (account.pk, "microsoft", True)
    ]
    assert listed[0]["campaigns"] >= 5  # every campaign type was asked for
    campaign = Campaign.objects.get(platform="microsoft", external_id="510000001")
    assert campaign.starts_at.astimezone(BERLIN).date() == today + timedelta(days=10)

    start_post = api.post(
        "/api/v1/posts",
        {
            "text": "The winter sale starts now!",
            "targets": [{"channel_id": channels["mastodon"].pk}],
            "schedule": {"cue": {"campaign_id": campaign.pk, "event": "start"}},
        },
    )
    end_post = api.post(
        "/api/v1/posts",
        {
            "text": "Two days left!",
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
    start_due, end_due = dues(api, *ids)
    assert start_due == campaign.starts_at
    assert end_due.astimezone(BERLIN).time() == time(10, 0)

    # The advertiser moves the flight in Microsoft Advertising.
    sandbox.control.config(
        "msads",
        campaigns={
            "510000001": {
                "StartDate": str(today + timedelta(days=12)),
                "EndDate": str(today + timedelta(days=45)),
            }
        },
    )
    sync_through_api(api, account)
    campaign.refresh_from_db()
    new_start, new_end = dues(api, *ids)
    assert new_start == campaign.starts_at != start_due
    assert campaign.ends_at is not None
    last_day = today + timedelta(days=45)  # the flight's last day, as the sandbox says
    assert new_end == datetime.combine(last_day - timedelta(days=2), time(10, 0), BERLIN)
    assert new_end != end_due and new_end.astimezone(BERLIN).time() == time(10, 0)
    moves = TargetEvent.objects.filter(kind="moved").order_by("id")
    assert moves.count() == 2
    assert all("(synced from Microsoft Advertising)" in m.cause for m in moves)
    cues = api.get(f"/api/v1/campaigns/{campaign.pk}/cues").json()
    assert [c["kind"] for c in cues] == ["created", "dates_changed"]

    sandbox.control.config("msads", campaigns={"510000001": {"Status": "Paused"}})
    sync_through_api(api, account)
    assert states(api, *ids) == ["held", "held"]

    sandbox.control.config("msads", campaigns={"510000001": {"Status": "Active"}})
    sync_through_api(api, account)
    assert states(api, *ids) == ["scheduled", "scheduled"]
    assert dues(api, *ids) == [new_start, new_end]
    kinds = [c["kind"] for c in api.get(f"/api/v1/campaigns/{campaign.pk}/cues").json()]
    assert kinds == ["created", "dates_changed", "paused", "resumed"]

    timeline = api.get(f"/api/v1/campaigns/{campaign.pk}/timeline").json()
    assert {t["post_id"] for t in timeline["targets"] if t["cued"]} == set(ids)
    assert timeline["status_raw"] == "Active"

    always_on = Campaign.objects.get(platform="microsoft", external_id="510000003")
    metrics = api.get(f"/api/v1/campaigns/{always_on.pk}/paid-metrics").json()
    got = {m["day"]: (m["impressions"], m["clicks"], m["spend"], m["conversions"]) for m in metrics}
    assert got == {
        str(before): (900, 20, "12.10", "0.5"),
        str(yesterday): (1200, 35, "21.37", "2"),
    }
    assert {m["currency"] for m in metrics} == {"EUR"}


@pytest.mark.skipif(not HAVE_MICROSOFT, reason="the Microsoft source or its emulator is missing")
def test_a_revoked_sandbox_token_disconnects_the_account_with_a_sentence(
    api: Api, actor: Any, sandbox: Any, fresh_sources: None
) -> None:
    account = connect_sandbox_account(actor, sandbox)
    sandbox.control.fault("msads", "revoke_token")
    response = api.post(f"/api/v1/ad-accounts/{account.pk}/sync")
    assert response.status_code == 202
    sync.sync_due()
    body = api.get(f"/api/v1/ad-accounts/{account.pk}").json()
    assert body["connected"] is False and body["sync_error"]
    again = api.post(f"/api/v1/ad-accounts/{account.pk}/sync")
    assert again.status_code == 422 and "disconnected" in again.json()["detail"]


# --- the API's shapes without a sandbox --------------------------------------------------------


def upload(api: Api, path: str, name: str) -> Any:
    client = Client()
    with (FIXTURES / name).open("rb") as handle:
        return client.post(path, {"file": handle}, headers={"Authorization": f"Bearer {api.key}"})


def test_import_preview_and_import_through_the_api(api: Api) -> None:
    preview = upload(api, "/api/v1/imports/preview", "ms_bulk_bad_rows.csv")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["ok"] is False and [r["row"] for r in body["rejected"]] == [5, 8]
    refused = upload(api, "/api/v1/imports", "ms_bulk_bad_rows.csv")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["row 5", "row 8"]
    assert Campaign.objects.count() == 0

    done = upload(api, "/api/v1/imports", "google_editor_utf16.csv")
    assert done.status_code == 201, done.content
    assert len(done.json()["created"]) == 3
    again = upload(api, "/api/v1/imports", "google_editor_utf16.csv")
    assert again.status_code == 201
    assert again.json()["created"] == [] and again.json()["updated"] == []
    assert len(again.json()["unchanged"]) == 3


def test_a_viewer_may_read_but_not_sync_or_import(api_as: Any, actor: Any, other_api: Api) -> None:
    account = AdAccount.objects.create(
        workspace=actor.workspace, platform="microsoft", external_id="1", name="Ads"
    )
    viewer = api_as(Role.VIEWER)
    assert viewer.get("/api/v1/ad-accounts").status_code == 200
    assert viewer.post(f"/api/v1/ad-accounts/{account.pk}/sync").status_code == 403
    assert upload(viewer, "/api/v1/imports", "ms_bulk.csv").status_code == 403
    # Another workspace sees nothing.
    assert other_api.get(f"/api/v1/ad-accounts/{account.pk}").status_code == 404
    assert other_api.get("/api/v1/ad-accounts").json() == []


def test_paid_metrics_filter_by_day_and_money_is_exact(api: Api, campaign: dict[str, Any]) -> None:
    from datetime import date
    from decimal import Decimal

    for day, spend in ((1, "10.01"), (2, "0.10"), (3, "99999.99")):
        PaidMetricDaily.objects.create(
            campaign_id=campaign["id"],
            day=date(2027, 10, day),
            impressions=10,
            clicks=1,
            spend=Decimal(spend),
            conversions=Decimal("0.333333"),
            currency="EUR",
        )
    rows = api.get(
        f"/api/v1/campaigns/{campaign['id']}/paid-metrics",
        {"start": "2027-10-02", "end": "2027-10-03"},
    ).json()
    assert [(r["day"], r["spend"], r["conversions"]) for r in rows] == [
        ("2027-10-02", "0.10", "0.333333"),
        ("2027-10-03", "99999.99", "0.333333"),
    ]
    bad = api.get(
        f"/api/v1/campaigns/{campaign['id']}/paid-metrics",
        {"start": "2027-10-03", "end": "2027-10-02"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "end"
    timeline = api.get(f"/api/v1/campaigns/{campaign['id']}/timeline").json()
    assert timeline["totals"]["spend"] == "100010.10"
