"""The report pages: reachable from the navigation, charts drawn by plotly.js that Cuecast serves
itself (no CDN, no external host on the page), tables beside the charts, a period switcher."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import plotly
import pytest
from django.core.cache import cache
from django.test import Client

from tests.analytics.report_world import ReportWorld, build_world

WEEK = "period=custom&start=2026-11-09&end=2026-11-13"
PLOTLY = f"/static/vendor/plotly-{plotly.__version__}/plotly.min.js"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(workspace: Any) -> ReportWorld:
    return build_world(workspace)


def _external_references(html: str) -> list[str]:
    """Every absolute http(s) address the page would load or link to."""
    return re.findall(r"""(?:src|href|action)=["'](?:https?:)?//[^"']+""", html) + re.findall(
        r"https?://(?!testserver)[\w.-]+", html
    )


def test_overview_is_in_the_navigation_and_loads_plotly_from_cuecast(
    signed_in: Client, world: ReportWorld
) -> None:
    calendar = signed_in.get("/w/acme/calendar/").content.decode()
    assert 'href="/w/acme/analytics/"' in calendar
    page = signed_in.get(f"/w/acme/analytics/?{WEEK}")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<script src="{PLOTLY}" defer></script>' in html
    assert _external_references(html) == []
    script = signed_in.get(PLOTLY)
    assert script.status_code == 200
    body = b"".join(script.streaming_content) if script.streaming else script.content
    assert body.startswith(b"/**") and b"plotly.js" in body[:400]


@pytest.mark.parametrize(
    "path",
    [
        "/w/acme/campaigns/{campaign}/report/?" + WEEK,
        "/w/acme/channels/{channel}/report/?" + WEEK,
        "/w/acme/analytics/best-time/?network=x",
        "/w/acme/posts/{post}/",
    ],
)
def test_report_pages_reference_no_external_host(
    signed_in: Client, world: ReportWorld, path: str
) -> None:
    url = path.format(
        campaign=world.campaign.pk, channel=world.x.pk, post=world.on_linkedin.post_id
    )
    html = signed_in.get(url).content.decode()
    assert _external_references(html) == []
    assert 'data-chart="chart-spec-' in html or "/posts/" in url


def test_each_chart_sits_beside_the_table_it_draws(signed_in: Client, world: ReportWorld) -> None:
    html = signed_in.get(
        f"/w/acme/campaigns/{world.campaign.pk}/report/?{WEEK}&compare=1"
    ).content.decode()
    blocks = re.findall(
        r'<section class="report-block" id="block-(\w+)">(.*?)</section>', html, re.S
    )
    charts = {key: re.findall(r'id="chart-(\w+)"', body) for key, body in blocks}
    assert charts == {
        "daily": ["impressions", "engagement"],
        "networks": ["networks"],
        "comparison": ["comparison"],
    }
    assert all('class="report-table"' in body for _key, body in blocks)


def test_the_period_switcher_offers_the_campaigns_whole_run_and_its_networks(
    signed_in: Client, world: ReportWorld
) -> None:
    html = signed_in.get(f"/w/acme/campaigns/{world.campaign.pk}/report/").content.decode()
    periods = re.findall(
        r'<option value="(\w+)"', html.split('id="period"')[1].split("</select>")[0]
    )
    assert periods == ["whole", "7d", "28d", "90d", "custom"]
    networks = html.split('id="network"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\w*)"', networks) == ["", "x", "mastodon", "linkedin"]
    assert 'name="compare"' in html
    assert (
        f'href="/w/acme/campaigns/{world.campaign.pk}/report/"'
        in signed_in.get(f"/w/acme/campaigns/{world.campaign.pk}/").content.decode()
    )


def test_a_campaign_name_cannot_break_out_of_the_chart_data(
    signed_in: Client, world: ReportWorld
) -> None:
    world.campaign.name = "</script><script>alert(1)</script>"
    world.campaign.save()
    html = signed_in.get(f"/w/acme/analytics/?{WEEK}").content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003cscript\\u003ealert(1)" in html  # in the chart data, escaped


def test_the_post_page_shows_its_figures(signed_in: Client, world: ReportWorld) -> None:
    from datetime import UTC, datetime

    from tests.analytics import factories as make

    make.snapshot(
        world.on_linkedin, datetime(2026, 11, 11, 15, 0, tzinfo=UTC), impressions=2000, likes=50
    )
    html = signed_in.get(f"/w/acme/posts/{world.on_linkedin.post_id}/").content.decode()
    assert 'id="post-report"' in html and 'id="chart-target-' in html
    assert "Still collecting" in html
    assert f"/w/acme/posts/{world.on_linkedin.post_id}/report/export.xlsx" in html


def test_reports_of_another_workspace_do_not_exist(
    client: Client, stranger: Any, world: ReportWorld
) -> None:
    client.force_login(stranger)
    assert client.get("/w/acme/analytics/").status_code == 404
    assert client.get(f"/w/other/campaigns/{world.campaign.pk}/report/").status_code == 404
    assert client.get(f"/w/other/channels/{world.x.pk}/report/").status_code == 404
