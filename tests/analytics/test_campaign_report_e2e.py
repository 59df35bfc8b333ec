"""Done when (issue #6): after a sandbox run in which metrics change over time, the campaign
report shows organic and paid series per day whose sums match the sandbox's figures exactly —
in the selectors, the API's JSON, the CSV and the XLSX.

The run: a Microsoft Advertising sandbox account is connected; a post is cued to one of its
campaigns and published on the sandbox X by the dispatcher; its figures are set in the sandbox
on two days (the sandbox's clock moves with Cuecast's) and collected by the metric collector
(`poll_due`); the campaign's paid days are served by the sandbox and synced.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from cuecast.accounts.models import Role
from cuecast.accounts.services import create_api_key
from cuecast.analytics import plan, polling, reports
from cuecast.analytics.periods import PeriodKey, PeriodRequest
from cuecast.campaigns import sync
from cuecast.campaigns.models import Campaign
from cuecast.campaigns.sources import registry
from cuecast.posts.models import CueEvent, ScheduleKind, TargetState
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
from cuecast.publishing.dispatcher import run_once
from tests.api.test_campaign_sync import HAVE_MICROSOFT, connect_sandbox_account

BERLIN = ZoneInfo("Europe/Berlin")
CAMPAIGN = "510000001"  # "Winter Sale — Search", today-14 to today+16 in the sandbox

# What the sandbox X reports for the post: cumulative figures after the first and second day.
FIRST = {
    "impression_count": 480,
    "like_count": 12,
    "reply_count": 3,
    "retweet_count": 2,
    "bookmark_count": 1,
    "url_link_clicks": 9,
}
SECOND = {
    "impression_count": 1310,
    "like_count": 30,
    "reply_count": 5,
    "retweet_count": 6,
    "bookmark_count": 2,
    "url_link_clicks": 21,
}


def _paid(day_one: date, day_two: date) -> dict[str, dict[str, str | int]]:
    return {
        str(day_one): {"impressions": 5230, "clicks": 117, "spend": "48.91", "conversions": "3"},
        str(day_two): {"impressions": 6105, "clicks": 98, "spend": "41.07", "conversions": "1.5"},
    }


@pytest.fixture
def fresh_sources(sandbox: Any) -> Iterator[None]:
    registry.sources.cache_clear()
    yield
    registry.sources.cache_clear()


def _at(sandbox: Any, moment: datetime) -> None:
    """Cuecast's `now` and the sandbox's clock, together."""
    sandbox.state.clock = lambda: moment.timestamp()


def _engagements(figures: dict[str, int]) -> int:
    return sum(figures[n] for n in ("like_count", "reply_count", "retweet_count", "bookmark_count"))


@pytest.mark.skipif(not HAVE_MICROSOFT, reason="the Microsoft source or its emulator is missing")
def test_campaign_report_matches_the_sandbox_everywhere(
    actor: Any, owner: Any, sandbox: Any, channels: dict[str, Any], fresh_sources: None
) -> None:
    account = connect_sandbox_account(actor, sandbox)
    sync.sync_account(account.pk)
    campaign = Campaign.objects.get(platform="microsoft", external_id=CAMPAIGN)

    # A post cued to the campaign, a few minutes from now, published by the dispatcher.
    publish_at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=3)
    post = create_post(
        actor,
        PostDraft(
            text="The winter sale is on: 20 % off everything.",
            targets=[TargetSpec(channels["x"].pk)],
            schedule=ScheduleSpec(
                kind=ScheduleKind.CUE,
                campaign_id=campaign.pk,
                cue_event=CueEvent.START,
                cue_offset=publish_at - campaign.starts_at,
            ),
        ),
    )
    target = post.targets.get()
    assert target.due_at == publish_at
    _at(sandbox, publish_at)
    assert run_once(now=publish_at) == 1
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED, target.reason

    # Day one: the figures the sandbox reports an hour after publishing, collected.
    first_poll = publish_at + timedelta(hours=1, minutes=1)
    _at(sandbox, first_poll)
    sandbox.control.metrics("x", target.external_id, FIRST)
    plan.ensure_polls(first_poll)
    assert polling.poll_due(first_poll) >= 1
    # Day two: the figures have grown; collected again a day later.
    second_poll = first_poll + timedelta(days=1)
    _at(sandbox, second_poll)
    sandbox.control.metrics("x", target.external_id, SECOND)
    assert polling.poll_due(second_poll) >= 1

    day_one, day_two = first_poll.astimezone(BERLIN).date(), second_poll.astimezone(BERLIN).date()
    paid = _paid(day_one, day_two)
    sandbox.control.metrics("msads", CAMPAIGN, {"days": paid, "replace": True})
    assert sync.sync_account(account.pk, now=second_poll).error in (None, "")

    expected = _expected(day_one, day_two, paid)
    period = PeriodRequest(PeriodKey.CUSTOM, day_one, day_two)
    report = reports.campaign_report(actor, campaign.pk, period, today=day_two)
    assert _from_selectors(report) == expected
    assert (
        report.total.organic.impressions == SECOND["impression_count"]
    )  # sums = the network's total
    assert report.total.paid.spend == Decimal("89.98")

    query = {"period": "custom", "start": str(day_one), "end": str(day_two)}
    key = create_api_key(actor, name="e2e", role=Role.VIEWER)[1]
    body = (
        Client()
        .get(
            f"/api/v1/analytics/campaigns/{campaign.pk}",
            query,
            headers={"Authorization": f"Bearer {key}"},
        )
        .json()
    )
    assert _from_api(body) == expected
    assert body["total"]["paid"]["spend"] == "89.98"

    web = Client()
    web.force_login(owner)
    export = f"/w/acme/campaigns/{campaign.pk}/report/export"
    rows = list(
        csv.reader(
            io.StringIO(
                web.get(f"{export}.csv", {**query, "table": "daily"}).content.decode("utf-8-sig")
            )
        )
    )
    assert _from_csv(rows) == expected
    book = load_workbook(io.BytesIO(web.get(f"{export}.xlsx", query).content))
    assert _from_xlsx(list(book.worksheets[0].iter_rows(values_only=True))) == expected


Row = tuple[
    str, int, int, int, int, int, Decimal
]  # day, organic imp/clicks/eng, paid imp/clicks, spend


def _expected(day_one: date, day_two: date, paid: dict[str, dict[str, Any]]) -> list[Row]:
    gained = {name: SECOND[name] - FIRST[name] for name in FIRST}
    rows = []
    for day, organic in ((day_one, FIRST), (day_two, gained)):
        served = paid[str(day)]
        rows.append(
            (
                str(day),
                organic["impression_count"],
                organic["url_link_clicks"],
                _engagements(organic),
                int(served["impressions"]),
                int(served["clicks"]),
                Decimal(str(served["spend"])),
            )
        )
    return rows


def _from_selectors(report: reports.CampaignReport) -> list[Row]:
    return [
        (
            str(d.day),
            d.figures.organic.impressions or 0,
            d.figures.organic.clicks or 0,
            d.figures.organic.engagements or 0,
            d.figures.paid.impressions,
            d.figures.paid.clicks,
            d.figures.paid.spend,
        )
        for d in report.days
    ]


def _from_api(body: dict[str, Any]) -> list[Row]:
    return [
        (
            d["day"],
            d["organic"]["impressions"],
            d["organic"]["clicks"],
            d["organic"]["engagements"],
            d["paid"]["impressions"],
            d["paid"]["clicks"],
            Decimal(d["paid"]["spend"]),
        )
        for d in body["days"]
    ]


def _from_csv(rows: list[list[str]]) -> list[Row]:
    assert rows[0][:7] == [
        "Day",
        "Organic impressions",
        "Organic clicks",
        "Engagements",
        "Paid impressions",
        "Paid clicks",
        "Spend (EUR)",
    ]
    return [
        (r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]), Decimal(r[6]))
        for r in rows[1:-1]
    ]


def _from_xlsx(rows: list[tuple[Any, ...]]) -> list[Row]:
    body = [r for r in rows[1:] if isinstance(r[0], datetime)]
    return [
        (
            r[0].date().isoformat(),
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            Decimal(str(r[6])).quantize(Decimal("0.01")),
        )
        for r in body
    ]
