"""The campaign pages: the list, a campaign by hand, a campaign's flight with its cues, posts and
paid metrics, the composer preset to a cue, connecting ad accounts, syncing, and imports."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from cuecast.campaigns.models import AdAccount, Campaign, CampaignEvent, PaidMetricDaily

pytestmark = pytest.mark.django_db


@pytest.fixture
def ad_sources(sandbox: Any) -> Any:
    """The ad platforms, built against this run's sandbox (the registry caches its sources)."""
    from cuecast.campaigns.sources import registry

    registry.sources.cache_clear()
    yield sandbox
    registry.sources.cache_clear()


def _campaign(workspace: Any, **fields: Any) -> Campaign:
    values: dict[str, Any] = {
        "workspace": workspace,
        "name": "Winter sale",
        "starts_at": datetime(2030, 12, 1, 8, 0, tzinfo=UTC),
        "ends_at": datetime(2030, 12, 20, 23, 0, tzinfo=UTC),
        "timezone": "Europe/Berlin",
    }
    values.update(fields)
    return Campaign.objects.create(**values)


# -- the list and a campaign by hand -------------------------------------------------------------


def test_the_list_shows_platform_status_flight_in_the_workspace_zone_budget_and_last_sync(
    signed_in: Client, workspace: Any
) -> None:
    account = AdAccount.objects.create(
        workspace=workspace,
        platform="microsoft",
        external_id="141",
        name="ACME Search",
        last_synced_at=datetime(2030, 11, 30, 7, 30, tzinfo=UTC),
    )
    _campaign(
        workspace,
        ad_account=account,
        platform="microsoft",
        external_id="9001",
        status="paused",
        status_raw="BudgetPaused",
        budget_amount=Decimal("1234.5"),
        budget_period="daily",
        currency="EUR",
    )
    page = signed_in.get(reverse("web:campaigns", args=["acme"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Winter sale" in html and "ACME Search" in html
    assert "Paused" in html and "BudgetPaused" in html
    # 08:00 UTC on 1 Dec is 09:00 in Berlin (the workspace's zone).
    assert 'datetime="2030-12-01T09:00:00+01:00"' in html
    assert "1,234.50 EUR" in html and "per day" in html
    assert 'datetime="2030-11-30T08:30:00+01:00"' in html  # last sync, Berlin time


def test_a_campaign_by_hand_is_saved_from_wall_clock_times(
    signed_in: Client, workspace: Any
) -> None:
    new = signed_in.get(reverse("web:campaign_new", args=["acme"]))
    assert new.status_code == 200
    response = signed_in.post(
        reverse("web:campaign_new", args=["acme"]),
        {
            "name": "Spring",
            "starts_at": "2030-03-01T09:00",
            "ends_at": "2030-03-31T18:00",
            "timezone": "Europe/Berlin",
        },
    )
    campaign = Campaign.objects.get()
    assert response["Location"] == reverse("web:campaign", args=["acme", campaign.pk])
    assert campaign.starts_at == datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
    assert campaign.ends_at == datetime(2030, 3, 31, 16, 0, tzinfo=UTC)  # summer time by then


def test_a_campaign_by_hand_explains_its_errors_and_saves_nothing(
    signed_in: Client, workspace: Any
) -> None:
    response = signed_in.post(
        reverse("web:campaign_new", args=["acme"]),
        {
            "name": "Spring",
            "starts_at": "2030-03-31T02:30",  # skipped by the clocks in Berlin
            "ends_at": "",
            "timezone": "Europe/Berlin",
        },
    )
    assert response.status_code == 400
    assert b"does not exist in Europe/Berlin" in response.content
    response = signed_in.post(
        reverse("web:campaign_new", args=["acme"]),
        {
            "name": "Spring",
            "starts_at": "2030-03-10T09:00",
            "ends_at": "2030-03-01T09:00",
            "timezone": "Europe/Berlin",
        },
    )
    assert response.status_code == 400
    assert b"The campaign must end after it starts." in response.content
    assert not Campaign.objects.exists()


def test_a_viewer_sees_campaigns_but_cannot_create_or_connect(
    client: Client, workspace: Any, actor: Any
) -> None:
    from cuecast.accounts.models import Role, User
    from cuecast.accounts.services import add_member

    viewer = User.objects.create_user("victor", password="a decent password")
    add_member(actor, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    _campaign(workspace)
    listing = client.get(reverse("web:campaigns", args=["acme"]))
    assert b"Winter sale" in listing.content and b"New campaign" not in listing.content
    refused = client.post(
        reverse("web:campaign_new", args=["acme"]),
        {"name": "X", "starts_at": "2030-03-01T09:00", "timezone": "UTC"},
    )
    assert b"does not allow managing campaigns" in refused.content
    assert Campaign.objects.count() == 1
    accounts = client.get(reverse("web:ad_accounts", args=["acme"]))
    assert b"Connect an ad platform" not in accounts.content
    assert b"Import a file" not in accounts.content


def test_campaign_pages_of_another_workspace_are_404(
    signed_in: Client, stranger: Any, workspace: Any
) -> None:
    from cuecast.accounts.models import Workspace

    other = Workspace.objects.get(slug="other")
    theirs = _campaign(other, name="Their sale")
    assert signed_in.get(reverse("web:campaigns", args=["other"])).status_code == 404
    mine = reverse("web:campaign", args=["acme", theirs.pk])
    assert signed_in.get(mine).status_code == 404
    account = AdAccount.objects.create(workspace=other, platform="microsoft", external_id="1")
    sync = reverse("web:ad_account_sync", args=["acme", account.pk])
    assert signed_in.post(sync).status_code == 404
    assert b"Their sale" not in signed_in.get(reverse("web:campaigns", args=["acme"])).content


# -- the composer, preset to a cue -----------------------------------------------------------------


def test_the_composer_opens_preset_to_a_campaign_cue(
    signed_in: Client, workspace: Any, x_channel: Any
) -> None:
    campaign = _campaign(workspace)
    page = signed_in.get(
        reverse("web:compose", args=["acme"]),
        {"when": "cue", "campaign": campaign.pk, "cue_event": "end", "cue_time": "10:00"},
    )
    html = page.content.decode()
    assert re.search(r'<input[^>]*value="cue"[^>]*checked', html)
    assert re.search(rf'<option value="{campaign.pk}" selected>', html)
    assert re.search(r'<option value="end" selected>', html)
    assert 'value="10:00"' in html


# -- a campaign's page -----------------------------------------------------------------------------


def test_the_campaign_page_shows_the_flight_cues_posts_and_paid_metrics(
    signed_in: Client, workspace: Any, actor: Any, x_channel: Any
) -> None:
    from cuecast.posts.models import CueEvent, ScheduleKind
    from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post

    campaign = _campaign(
        workspace, platform="microsoft", external_id="1", status_raw="Active", currency="EUR"
    )
    CampaignEvent.objects.create(
        campaign=campaign,
        kind="dates_changed",
        at=datetime(2030, 11, 20, 12, 0, tzinfo=UTC),
        cause="synced from Microsoft Advertising",
    )
    post = create_post(
        actor,
        PostDraft(
            text="Two days left!",
            targets=[TargetSpec(channel_id=x_channel.pk)],
            schedule=ScheduleSpec(
                kind=ScheduleKind.CUE,
                campaign_id=campaign.pk,
                cue_event=CueEvent.END.value,
                cue_offset=-timedelta(days=2),
                cue_time=datetime(2000, 1, 1, 10, 0).time(),
                tz="Europe/Berlin",
            ),
        ),
    )
    for day, spend, conversions in (
        (date(2030, 12, 1), Decimal("12.34"), Decimal("1")),
        (date(2030, 12, 2), Decimal("1000.005"), Decimal("2.5")),
    ):
        PaidMetricDaily.objects.create(
            campaign=campaign,
            day=day,
            impressions=1500,
            clicks=40,
            spend=spend,
            conversions=conversions,
            currency="EUR",
        )
    page = signed_in.get(reverse("web:campaign", args=["acme", campaign.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    # Cues with their cause; start and end offer a post straight onto them.
    assert "Dates changed" in html and "synced from Microsoft Advertising" in html
    start_link = reverse("web:compose", args=["acme"]) + (
        f"?when=cue&amp;campaign={campaign.pk}&amp;cue_event=start"
    )
    assert start_link in html and "cue_event=end" in html
    # The post on the timeline and in the list, at 10:00 Berlin two days before the last day.
    assert f'href="/w/acme/posts/{post.pk}/"' in html and "tl-post-scheduled" in html
    # The flight ends 21 Dec 00:00 Berlin, so its last day is 20 Dec: two days before is 18 Dec.
    assert 'datetime="2030-12-18T10:00:00+01:00"' in html
    assert "2 days before the end at 10:00 (Europe/Berlin)" in html
    # Paid metrics per day, exact to the cent and beyond, with a totals row.
    assert "12.34 EUR" in html and "1,000.005 EUR" in html
    assert "1,012.345 EUR" in html and "3,000" in html and "3.5" in html


def test_a_campaign_without_end_or_posts_still_renders(signed_in: Client, workspace: Any) -> None:
    campaign = _campaign(workspace, ends_at=None)
    page = signed_in.get(reverse("web:campaign", args=["acme", campaign.pk]))
    assert page.status_code == 200
    assert b"open end" in page.content and b"cue_event=end" not in page.content
    assert b"No paid metrics yet" in page.content


# -- ad accounts: connect, choose, sync ------------------------------------------------------------


def _consent(authorize_url: str) -> str:
    """Press "Authorize" on the sandbox's consent page as its first user; returns the redirect."""
    from tests.web.test_channels import _consent as press

    return press(authorize_url)


def test_connecting_microsoft_offers_its_ad_accounts_then_syncs_on_demand(
    signed_in: Client, ad_sources: Any, workspace: Any
) -> None:
    sandbox = ad_sources
    start = signed_in.post(reverse("web:ad_connect", args=["acme", "microsoft"]))
    assert start.status_code == 302
    assert start["Location"].startswith(f"{sandbox.url}/msads/oauth/authorize?")
    back = urlsplit(_consent(start["Location"]))
    assert back.path == reverse("web:ads_oauth_callback", args=["microsoft"])
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    picker = signed_in.get(back.path, query, follow=True)
    assert picker.redirect_chain[-1][0] == reverse("web:ad_choose_accounts", args=["acme"])
    assert b"Cuecast Demo DE" in picker.content and b"Cuecast Demo US" in picker.content
    assert not AdAccount.objects.exists()
    assert "access_token" not in str(signed_in.session["ads-choice"])  # tokens wait encrypted

    labels = re.findall(r'value="(\d+)" checked> <strong>([^<]+)</strong>', picker.content.decode())
    keep = [index for index, name in labels if name == "Cuecast Demo DE"]
    done = signed_in.post(
        reverse("web:ad_choose_accounts", args=["acme"]), {"account": keep}, follow=True
    )
    assert b"Connected 1 Microsoft Advertising ad account: Cuecast Demo DE." in done.content
    account = AdAccount.objects.get()
    assert (account.name, account.connected) == ("Cuecast Demo DE", True)
    assert b"Not synced yet" in done.content

    synced = signed_in.post(reverse("web:ad_account_sync", args=["acme", account.pk]), follow=True)
    assert b"Synced Cuecast Demo DE." in synced.content, synced.content
    account.refresh_from_db()
    assert account.last_synced_at is not None and not account.sync_error
    listing = signed_in.get(reverse("web:campaigns", args=["acme"])).content.decode()
    assert "Winter Sale — Search" in listing and "BudgetPaused" in listing
    assert "50.00 EUR" in listing


def test_a_declined_consent_connects_nothing(signed_in: Client, ad_sources: Any) -> None:
    signed_in.post(reverse("web:ad_connect", args=["acme", "microsoft"]))
    state = next(k for k, _ in signed_in.session.items() if k.startswith("ads-oauth:"))
    page = signed_in.get(
        reverse("web:ads_oauth_callback", args=["microsoft"]),
        {"state": state.split(":", 1)[1], "error": "access_denied"},
        follow=True,
    )
    assert b"was not connected: access_denied" in page.content
    assert not AdAccount.objects.exists()
    replay = signed_in.get(
        reverse("web:ads_oauth_callback", args=["microsoft"]),
        {"state": state.split(":", 1)[1], "code": "x"},
        follow=True,
    )
    assert b"unknown or has expired" in replay.content


def test_a_failed_sync_says_why(signed_in: Client, workspace: Any, ad_sources: Any) -> None:
    from html import escape

    account = AdAccount.objects.create(
        workspace=workspace,
        platform="microsoft",
        external_id="180000001",
        name="Cuecast Demo DE",
        credentials={"access_token": "not a token the sandbox issued"},
        settings={"customer_id": "251000001"},
    )
    page = signed_in.post(reverse("web:ad_account_sync", args=["acme", account.pk]), follow=True)
    account.refresh_from_db()
    assert account.sync_error
    message = escape(f"Syncing Cuecast Demo DE failed: {account.sync_error}")
    assert message in page.content.decode()


# -- imports ---------------------------------------------------------------------------------------

FIXTURES = Path(__file__).parent.parent / "campaigns" / "fixtures"


def _upload(client: Client, name: str, data: bytes | None = None) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = data if data is not None else (FIXTURES / name).read_bytes()
    return client.post(
        reverse("web:ad_import", args=["acme"]),
        {"file": SimpleUploadedFile(name, body, content_type="text/csv")},
    )


def _sha(page: Any) -> str:
    found = re.search(r'name="sha256" value="([0-9a-f]{64})"', page.content.decode())
    assert found, "the preview offers no Import button"
    return found.group(1)


def test_an_import_is_previewed_then_applied_and_again_changes_nothing(
    signed_in: Client, workspace: Any
) -> None:
    preview = _upload(signed_in, "ms_bulk.csv")
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Microsoft Advertising bulk file" in html and "UTF-8 (BOM)" in html
    assert html.count('class="change-create"') == 3
    assert "Winter sale" in html and "Spring launch" in html and "Autumn clearance" in html
    assert not Campaign.objects.exists()  # a preview writes nothing

    done = signed_in.post(
        reverse("web:ad_import_apply", args=["acme"]), {"sha256": _sha(preview)}, follow=True
    )
    assert b"Imported ms_bulk.csv. 3 campaigns created" in done.content
    assert Campaign.objects.count() == 3
    assert b"Winter sale" in done.content  # the campaigns list
    # The flight dates in the workspace's zone: the whole of 1 Dec … 31 Dec 2027, Berlin.
    assert 'datetime="2027-12-01T00:00:00+01:00"' in done.content.decode()

    again = _upload(signed_in, "ms_bulk.csv")
    assert again.content.decode().count('class="change-unchanged"') == 3
    second = signed_in.post(
        reverse("web:ad_import_apply", args=["acme"]), {"sha256": _sha(again)}, follow=True
    )
    assert b"0 campaigns created, 0 campaigns changed, 3 unchanged." in second.content
    assert Campaign.objects.count() == 3


def test_a_file_with_bad_rows_names_each_row_and_offers_no_import(
    signed_in: Client, workspace: Any
) -> None:
    page = _upload(signed_in, "ms_bulk_bad_rows.csv")
    html = page.content.decode()
    assert "so nothing will be" in html
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]+)</td></tr>', html)
    assert ("5", "Ad group: End Date “next week” is not a date; write it like 2026-12-01.") in rows
    assert 'id="import-apply"' not in html
    # Forcing it anyway imports nothing and says why, row by row.
    pending = signed_in.session["ads-import"]
    forced = signed_in.post(
        reverse("web:ad_import_apply", args=["acme"]),
        {"sha256": pending["sha256"]},
        follow=True,
    )
    assert b"Nothing was imported." in forced.content and b"row 5:" in forced.content
    assert not Campaign.objects.exists()


def test_an_unreadable_file_is_refused_next_to_the_upload(
    signed_in: Client, workspace: Any
) -> None:
    page = _upload(signed_in, "notes.csv", b"hello,world\r\n1,2\r\n")
    assert page.status_code == 400
    assert b"does not recognise this file" in page.content
    assert b'id="id_file-errors"' in page.content


def test_an_import_needs_the_file_that_was_previewed(signed_in: Client, workspace: Any) -> None:
    _upload(signed_in, "ms_bulk.csv")
    page = signed_in.post(
        reverse("web:ad_import_apply", args=["acme"]), {"sha256": "0" * 64}, follow=True
    )
    assert b"There is no previewed file to import" in page.content
    assert not Campaign.objects.exists()
