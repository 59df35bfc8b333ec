"""The campaign loop in a real browser: connect the sandbox Microsoft Advertising account through its
consent page, sync, open the campaign, write a post "when the campaign starts" and one "2 days
before it ends at 10:00 Europe/Berlin" straight from the campaign page; then move the campaign's
dates in the sandbox and sync (both posts move, with their history), pause it (held), resume it
(released). Screenshots go to /tmp for a look."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from tests.browser.conftest import BERLIN, SHOTS

pytestmark = pytest.mark.browser

CAMPAIGN_ID = "510000042"  # added to the sandbox's "Cuecast Demo DE" account below
NAME = "Summer Launch — Search"


@pytest.fixture
def ad_sources(public_url: str) -> Iterator[None]:
    """The ad platforms, built against this run's sandbox (the registry caches its sources)."""
    from cuecast.campaigns.sources import registry

    registry.sources.cache_clear()
    yield
    registry.sources.cache_clear()


def _set_campaign(sandbox: Any, **fields: Any) -> None:
    sandbox.control.config("msads", campaigns={CAMPAIGN_ID: fields})


def _expected(start: date, end: date) -> tuple[datetime, datetime]:
    """Both posts' due times for a flight of Berlin days `start` … `end`, computed from the
    campaign as stored (start 00:00, a date-only end is the end of that day)."""
    from cuecast.campaigns.models import Campaign

    campaign = Campaign.objects.get(external_id=CAMPAIGN_ID)
    assert campaign.starts_at == datetime.combine(start, time(0), BERLIN)
    assert campaign.ends_at == datetime.combine(end + timedelta(days=1), time(0), BERLIN)
    # "2 days before it ends at 10:00": two days before the flight's LAST day, at 10:00 Berlin.
    before_end = datetime.combine(end - timedelta(days=2), time(10, 0), BERLIN)
    return campaign.starts_at, before_end


def _write_post(page: Any, public_url: str, event: str, text: str, channel_ids: list[int]) -> None:
    from playwright.sync_api import expect

    page.click(f"#write-{event}")
    expect(page).to_have_url(re.compile(r"/w/acme/compose/\?when=cue&campaign=\d+"))
    expect(page.locator("input[name=when][value=cue]")).to_be_checked()
    expect(page.locator("#id_cue_event")).to_have_value(event)
    page.fill("#id_text", text)
    for channel_id in channel_ids:
        page.check(f"input[name=channels][value='{channel_id}']")
    if event == "end":
        page.fill("#id_cue_days", "2")
        page.select_option("#id_cue_direction", "before")
        page.fill("#id_cue_time", "10:00")
        expect(page.locator("#id_timezone")).to_have_value("Europe/Berlin")
        page.screenshot(path=str(SHOTS / "cuecast-campaign-compose-end.png"), full_page=True)
    page.click("button:has-text('Save post')")
    expect(page).to_have_url(re.compile(r"/w/acme/posts/\d+/$"))
    expect(page.locator(".target .state").first).to_have_text("Scheduled")


def _sync(page: Any) -> None:
    from playwright.sync_api import expect

    page.click("#sync-campaign")
    expect(page.locator(".message.success")).to_contain_text("Synced Cuecast Demo DE.")


def _assert_due(targets: list[Any], due: datetime) -> None:
    for target in targets:
        target.refresh_from_db()
        assert target.due_at == due, (target.pk, target.due_at, due)


def test_posts_follow_a_synced_microsoft_campaign(
    browser_page: Any,
    public_url: str,
    ad_sources: None,
    sandbox: Any,
    owner: Any,
    workspace: Any,
    channels: dict[str, Any],
) -> None:
    from playwright.sync_api import expect

    from cuecast.campaigns.models import Campaign, PaidMetricDaily
    from cuecast.posts.models import Post, Target, TargetEvent, TargetState

    today = datetime.now(BERLIN).date()
    start, end = today + timedelta(days=5), today + timedelta(days=20)
    _set_campaign(
        sandbox,
        Name=NAME,
        AccountId="180000001",
        StartDate=start.isoformat(),
        EndDate=end.isoformat(),
        DailyBudget="35.50",
    )
    page = browser_page
    page.goto(f"{public_url}/login/")
    page.fill("#id_username", "olivia")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/w/acme/calendar/$"))

    # Ad accounts: connect Microsoft Advertising through the sandbox's consent page, keep the
    # German account of the two the consent grants.
    page.click("nav.sections >> text=Ad accounts")
    page.click("#connect-ads-microsoft")
    expect(page).to_have_url(re.compile(re.escape(f"{sandbox.url}/msads/oauth/authorize")))
    page.locator("input[name=user]").first.check()
    page.click("#authorize")
    expect(page).to_have_url(f"{public_url}/w/acme/ad-accounts/choose/")
    boxes = page.locator("input[name=account]")
    for i in range(boxes.count()):
        label = boxes.nth(i).locator("xpath=..").inner_text()
        boxes.nth(i).set_checked("Cuecast Demo DE" in label)
    page.screenshot(path=str(SHOTS / "cuecast-ads-choose.png"), full_page=True)
    page.click("#connect-chosen")
    expect(page.locator(".message.success")).to_contain_text("Cuecast Demo DE")
    page.click("button:has-text('Sync now')")
    expect(page.locator(".message.success")).to_contain_text("Synced Cuecast Demo DE.")
    expect(page.locator("table.ad-accounts")).to_contain_text("Synced")
    page.screenshot(path=str(SHOTS / "cuecast-ad-accounts.png"), full_page=True)

    # The campaigns list: the new campaign with its platform status, flight and budget.
    page.click("nav.sections >> text=Campaigns")
    row = page.locator("table.campaigns tr", has_text=NAME)
    expect(row).to_contain_text("Microsoft Advertising")
    expect(row).to_contain_text("35.50 EUR")
    page.screenshot(path=str(SHOTS / "cuecast-campaigns.png"), full_page=True)
    row.get_by_role("link", name=NAME).click()
    expect(page.locator("h1")).to_have_text(NAME)
    campaign = Campaign.objects.get(external_id=CAMPAIGN_ID)
    campaign_url = page.url
    starts, before_end = _expected(start, end)

    # Two posts straight onto the campaign's cues.
    channel_ids = [c.pk for c in channels.values()]
    _write_post(page, public_url, "start", "Summer is here: the launch starts now!", channel_ids)
    start_post = Post.objects.get(text__startswith="Summer is here")
    page.goto(campaign_url)
    _write_post(page, public_url, "end", "Only two days left of the summer launch.", channel_ids)
    end_post = Post.objects.get(text__startswith="Only two days")
    start_targets = list(Target.objects.filter(post=start_post))
    end_targets = list(Target.objects.filter(post=end_post))
    assert len(start_targets) == len(end_targets) == 2
    _assert_due(start_targets, starts)
    _assert_due(end_targets, before_end)
    # Two days before the last day of the flight, at 10:00 Berlin.
    assert before_end == datetime.combine(end - timedelta(days=2), time(10), BERLIN)

    page.goto(campaign_url)
    posts = page.locator("table.campaign-posts")
    expect(posts.locator("tr.post-row")).to_have_count(4)
    expect(
        posts.locator(f"time[datetime='{starts.astimezone(BERLIN).isoformat()}']")
    ).to_have_count(2)
    expect(
        posts.locator(f"time[datetime='{before_end.astimezone(BERLIN).isoformat()}']")
    ).to_have_count(2)
    expect(page.locator(".timeline .tl-post")).to_have_count(4)
    page.screenshot(path=str(SHOTS / "cuecast-campaign.png"), full_page=True)

    # The campaign moves in the sandbox; a sync moves both posts.
    new_start, new_end = start + timedelta(days=2), end + timedelta(days=5)
    _set_campaign(sandbox, StartDate=new_start.isoformat(), EndDate=new_end.isoformat())
    _sync(page)
    expect(page).to_have_url(campaign_url)
    moved_start, moved_end = _expected(new_start, new_end)
    _assert_due(start_targets, moved_start)
    _assert_due(end_targets, moved_end)
    expect(
        posts.locator(f"time[datetime='{moved_start.astimezone(BERLIN).isoformat()}']")
    ).to_have_count(2)
    expect(
        posts.locator(f"time[datetime='{moved_end.astimezone(BERLIN).isoformat()}']")
    ).to_have_count(2)
    expect(page.locator("table.cues")).to_contain_text("Dates changed")
    page.screenshot(path=str(SHOTS / "cuecast-campaign-moved.png"), full_page=True)
    assert TargetEvent.objects.filter(kind="moved").count() == 4

    page.locator("table.campaign-posts a", has_text="Only two days").first.click()
    history = page.locator("table.history").first
    expect(history).to_contain_text("Moved")
    expect(history).to_contain_text("Microsoft Advertising")
    page.screenshot(path=str(SHOTS / "cuecast-post-history.png"), full_page=True)

    # Paused in the sandbox: held. Resumed: released, at their own times.
    _set_campaign(sandbox, Status="Paused")
    page.goto(campaign_url)
    _sync(page)
    expect(page.locator("#campaign-status")).to_contain_text("Paused")
    expect(posts.locator(".state-held")).to_have_count(4)
    for target in start_targets + end_targets:
        target.refresh_from_db()
        assert target.state == TargetState.HELD
    page.screenshot(path=str(SHOTS / "cuecast-campaign-paused.png"), full_page=True)

    _set_campaign(sandbox, Status="Active")
    _sync(page)
    expect(page.locator("#campaign-status")).to_contain_text("Active")
    expect(posts.locator(".state-scheduled")).to_have_count(4)
    _assert_due(start_targets, moved_start)
    _assert_due(end_targets, moved_end)
    for target in start_targets + end_targets:
        target.refresh_from_db()
        assert target.state == TargetState.SCHEDULED
    page.goto(f"{public_url}/w/acme/posts/{start_post.pk}/")
    history = page.locator("table.history").first
    expect(history).to_contain_text("Moved")
    expect(history).to_contain_text("Held")
    expect(history).to_contain_text("Released")
    page.screenshot(path=str(SHOTS / "cuecast-post-history-released.png"), full_page=True)

    # A running campaign's daily paid metrics, as the sandbox served them, to the cent.
    winter = Campaign.objects.get(external_id="510000001")
    rows = list(PaidMetricDaily.objects.filter(campaign=winter))
    assert rows, "the sync stored no paid metrics"
    page.goto(f"{public_url}/w/acme/campaigns/{winter.pk}/")
    total = sum(r.spend for r in rows)
    expect(page.locator("table.paid-metrics tfoot")).to_contain_text(f"{total:,.2f} EUR")
    expect(page.locator("table.paid-metrics tbody tr")).to_have_count(len(rows))
    page.screenshot(path=str(SHOTS / "cuecast-campaign-metrics.png"), full_page=True)
    assert campaign.pk != winter.pk

    # In German, chosen in the header.
    page.goto(campaign_url)
    page.select_option("#language", "de")
    page.click("form:has(#language) button")
    expect(page.locator("h2", has_text="Zeitleiste")).to_be_visible()
    expect(page.locator("#write-start")).to_have_text("Beitrag zum Start schreiben")
    page.screenshot(path=str(SHOTS / "cuecast-campaign-de.png"), full_page=True)
