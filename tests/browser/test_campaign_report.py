"""A campaign report in a real browser: open it from the campaign page, see the charts drawn by
the plotly.js Cuecast serves itself (no request leaves the server), switch the period and the
network, and download the CSV of what the page shows. Screenshots go to /tmp for a look."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.analytics.report_world import build_world
from tests.browser.conftest import SHOTS

pytestmark = pytest.mark.browser


def test_campaign_report_switch_period_and_network_then_download_csv(
    browser_page: Any, live_server: Any, owner: Any, workspace: Any
) -> None:
    from playwright.sync_api import expect

    world = build_world(workspace)
    page = browser_page
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "olivia")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/w/acme/calendar/$"))

    page.goto(f"{live_server.url}/w/acme/campaigns/{world.campaign.pk}/")
    page.click("#campaign-report")
    expect(page).to_have_url(re.compile(rf"/w/acme/campaigns/{world.campaign.pk}/report/$"))
    expect(page.locator("#period")).to_have_value("whole")
    expect(page.locator("#chart-impressions")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#chart-impressions .main-svg").first).to_be_visible()

    # Switch the period (a custom week) and the network (X only).
    page.select_option("#period", "custom")
    page.fill("#start", "2026-11-09")
    page.fill("#end", "2026-11-13")
    page.select_option("#network", "x")
    page.click("#show-report")
    expect(page).to_have_url(re.compile(r"period=custom&start=2026-11-09&end=2026-11-13&network=x"))
    expect(page.locator("#period-shown")).to_contain_text("9 Nov 2026 \u2013 13 Nov 2026")
    daily = page.locator("table[data-table=daily]")
    expect(daily.locator("tbody tr")).to_have_count(5)
    expect(daily.locator("tbody tr").nth(1).locator("td").nth(1)).to_have_text("1,000")
    expect(page.locator("#chart-engagement")).to_have_attribute("data-drawn", "true")
    page.screenshot(path=str(SHOTS / "cuecast-campaign-report.png"), full_page=True)

    with page.expect_download() as caught:
        page.click("a.download-csv[data-table=daily]")
    download = caught.value
    assert download.suggested_filename == (
        f"cuecast-acme-campaign-{world.campaign.pk}-2026-11-09-2026-11-13-daily.csv"
    )
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows[0] == [
        "Day",
        "Organic impressions",
        "Organic clicks",
        "Engagements",
        "Paid impressions",
        "Paid clicks",
        "Spend (EUR)",
        "Cost per engagement (EUR)",
    ]
    assert rows[2] == ["2026-11-10", "1000", "20", "40", "5000", "100", "21.37", "0.1526"]
    assert rows[3] == ["2026-11-11", "500", "5", "11", "4000", "80", "18.20", "0.20"]
    assert rows[-1] == ["Total", "1500", "25", "51", "12000", "240", "51.67", "0.1776"]

    # Everything the pages loaded came from Cuecast itself: no CDN, no other host.
    assert hosts == {urlsplit(live_server.url).netloc}
