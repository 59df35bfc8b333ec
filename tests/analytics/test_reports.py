"""The report selectors: sums per day, per network and in total, organic next to paid, periods
and their comparison, every query inside the asking workspace, days in the workspace's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cuecast.accounts.models import Role, User
from cuecast.accounts.services import Actor, create_workspace
from cuecast.analytics import post_report, reports
from cuecast.analytics.figures import Change, Organic, Paid, cost_per_engagement
from cuecast.analytics.models import ChannelMetricDay, FinalReason
from cuecast.analytics.periods import (
    Period,
    PeriodKey,
    PeriodRequest,
    ReportError,
    resolve,
)

from . import factories as make
from .report_world import BERLIN, D10, D11, D12, TODAY, ReportWorld

WEEK = PeriodRequest(PeriodKey.CUSTOM, date(2026, 11, 9), date(2026, 11, 13))


def _organic_days(report: reports.CampaignReport) -> list[tuple[Any, ...]]:
    return [
        (
            d.day,
            d.figures.organic.impressions,
            d.figures.organic.clicks,
            d.figures.organic.engagements,
        )
        for d in report.days
    ]


def _paid_days(report: reports.CampaignReport) -> list[tuple[Any, ...]]:
    return [
        (d.day, d.figures.paid.impressions, d.figures.paid.clicks, d.figures.paid.spend)
        for d in report.days
    ]


def test_campaign_report_sums_organic_and_paid_per_day(actor: Actor, world: ReportWorld) -> None:
    report = reports.campaign_report(actor, world.campaign.pk, WEEK, today=TODAY)

    assert _organic_days(report) == [
        (date(2026, 11, 9), 0, 0, 0),
        (D10, 1000, 20, 52),  # X 30+5+4+1, Mastodon 7+2+3; Mastodon has no impressions
        (D11, 2500, 45, 76),  # X 500 and LinkedIn 2000; LinkedIn has no saves
        (D12, 0, 0, 0),  # the X post of that day is not on the campaign
        (date(2026, 11, 13), 0, 0, 0),
    ]
    assert _paid_days(report) == [
        (date(2026, 11, 9), 0, 0, Decimal("0.00")),
        (D10, 5000, 100, Decimal("21.37")),
        (D11, 4000, 80, Decimal("18.20")),
        (D12, 3000, 60, Decimal("12.10")),
        (date(2026, 11, 13), 0, 0, Decimal("0.00")),
    ]
    costs = [d.figures.cost_per_engagement for d in report.days]
    assert costs == [None, Decimal("0.1406"), Decimal("0.1167"), Decimal("0.2017"), None]
    total = report.total
    assert (total.organic.impressions, total.organic.clicks, total.organic.engagements) == (
        3500,
        65,
        128,
    )
    assert (total.paid.impressions, total.paid.clicks, total.paid.spend) == (
        12000,
        240,
        Decimal("51.67"),
    )
    assert total.paid.conversions == Decimal("3.5")
    assert total.cost_per_engagement == Decimal("0.1404")  # 51.67 / (128 + 240)
    assert report.currency == "EUR"
    assert report.scope.timezone == "Europe/Berlin"


def test_campaign_report_per_network_and_filtered_to_one(actor: Actor, world: ReportWorld) -> None:
    report = reports.campaign_report(actor, world.campaign.pk, WEEK, today=TODAY)
    rows = {
        r.network: (r.posts, r.organic.impressions, r.organic.engagements)
        for r in report.by_network
    }
    assert rows == {"x": (1, 1500, 51), "linkedin": (1, 2000, 65), "mastodon": (1, None, 12)}
    assert [r.network for r in report.by_network] == ["x", "mastodon", "linkedin"]  # registry order

    only_x = reports.campaign_report(actor, world.campaign.pk, WEEK, network="x", today=TODAY)
    assert [d[1:] for d in _organic_days(only_x)] == [
        (0, 0, 0),
        (1000, 20, 40),
        (500, 5, 11),
        (0, 0, 0),
        (0, 0, 0),
    ]
    # Ad platforms do not split spend by social network: paid stays the campaign's.
    assert _paid_days(only_x) == _paid_days(report)
    assert only_x.total.cost_per_engagement == Decimal("0.1776")  # 51.67 / (51 + 240)
    assert only_x.scope.network == "x"
    assert set(only_x.scope.networks) == {"x", "linkedin", "mastodon"}


def test_a_metric_no_network_reports_stays_empty_not_zero(actor: Actor, world: ReportWorld) -> None:
    report = reports.campaign_report(
        actor, world.campaign.pk, WEEK, network="mastodon", today=TODAY
    )
    assert [d.figures.organic.impressions for d in report.days] == [None] * 5
    assert [d.figures.organic.engagements for d in report.days] == [0, 12, 0, 0, 0]
    assert report.total.organic.engagement_rate is None


def test_comparison_with_the_period_before(actor: Actor, world: ReportWorld) -> None:
    report = reports.campaign_report(actor, world.campaign.pk, WEEK, compare=True, today=TODAY)
    assert report.scope.previous == Period(PeriodKey.PREVIOUS, date(2026, 11, 4), date(2026, 11, 8))
    changes = {c.metric: c for c in report.changes}
    paid = changes["paid_impressions"]
    assert (paid.current, paid.previous, paid.delta, paid.percent) == (
        12000,
        2000,
        10000,
        Decimal("500.0"),
    )
    spend = changes["spend"]
    assert (spend.current, spend.previous, spend.delta, spend.percent) == (
        Decimal("51.67"),
        Decimal("10.00"),
        Decimal("41.67"),
        Decimal("416.7"),
    )
    organic = changes["organic_impressions"]
    assert (organic.current, organic.previous, organic.delta, organic.percent) == (
        3500,
        0,
        3500,
        None,
    )


def test_whole_campaign_runs_from_its_start_to_today_or_its_last_figures(
    actor: Actor, world: ReportWorld
) -> None:
    report = reports.campaign_report(
        actor, world.campaign.pk, PeriodRequest(PeriodKey.WHOLE), today=TODAY
    )
    assert (report.scope.period.start, report.scope.period.end) == (date(2026, 11, 1), TODAY)
    # Posts keep gaining after the flight: a figure on 3 December widens the run to it.
    make.day(world.on_x, date(2026, 12, 3), world.campaign, impressions=5, likes=1)
    later = reports.campaign_report(
        actor, world.campaign.pk, PeriodRequest(PeriodKey.WHOLE), today=date(2026, 12, 10)
    )
    assert (later.scope.period.start, later.scope.period.end) == (
        date(2026, 11, 1),
        date(2026, 12, 3),
    )
    assert later.total.organic.impressions == 3505


def test_reports_never_cross_workspaces(actor: Actor, world: ReportWorld) -> None:
    bob = User.objects.create_user("bob", password="another horse battery")
    globex = create_workspace(slug="globex", name="Globex", owner=bob)
    intruder = Actor(globex, Role.OWNER, user=bob)
    with pytest.raises(reports.ReportNotFound):
        reports.campaign_report(intruder, world.campaign.pk, WEEK, today=TODAY)
    with pytest.raises(reports.ReportNotFound):
        reports.channel_report(intruder, world.x.pk, WEEK, today=TODAY)
    with pytest.raises(reports.ReportNotFound):
        post_report.post_report(intruder, world.on_x.post_id)
    theirs = reports.overview(intruder, WEEK, today=TODAY)
    assert theirs.total == Organic() and theirs.posts == 0 and theirs.by_campaign == ()
    assert theirs.by_network == ()


def test_overview_per_day_per_network_and_per_campaign(actor: Actor, world: ReportWorld) -> None:
    report = reports.overview(actor, WEEK, compare=True, today=TODAY)
    days = [(d.day.day, d.posts, d.organic.impressions, d.organic.engagements) for d in report.days]
    assert days == [
        (9, 0, 0, 0),
        (10, 2, 1000, 52),
        (11, 1, 2500, 76),
        (12, 1, 300, 3),
        (13, 0, 0, 0),
    ]
    assert report.posts == 4
    assert (report.total.impressions, report.total.engagements) == (3800, 131)
    assert report.total.engagement_rate == Decimal("3.45")  # 131 / 3800
    [winter] = report.by_campaign
    assert winter.name == "Winter sale" and winter.currency == "EUR"
    assert (winter.figures.organic.impressions, winter.figures.paid.spend) == (
        3500,
        Decimal("51.67"),
    )
    assert {c.metric for c in report.changes} == {
        "impressions",
        "clicks",
        "engagements",
        "engagement_rate",
    }
    x_only = reports.overview(actor, WEEK, network="x", today=TODAY)
    assert [d.posts for d in x_only.days] == [0, 1, 0, 1, 0]
    assert x_only.total.impressions == 1800


def test_channel_report_with_followers(actor: Actor, world: ReportWorld) -> None:
    for day, followers in ((D10, 1200), (D12, 1250)):
        ChannelMetricDay.objects.create(
            channel=world.x,
            workspace=world.x.workspace,
            day=day,
            followers=followers,
            taken_at=datetime(2026, 11, day.day, 1, tzinfo=UTC),
        )
    report = reports.channel_report(actor, world.x.pk, WEEK, compare=True, today=TODAY)
    days = [
        (d.day.day, d.posts, d.organic.impressions, d.organic.likes, d.followers)
        for d in report.days
    ]
    assert days == [
        (9, 0, 0, 0, None),
        (10, 1, 1000, 30, 1200),
        (11, 0, 500, 10, None),
        (12, 1, 300, 3, 1250),
        (13, 0, 0, 0, None),
    ]
    assert (report.posts, report.total.impressions, report.followers) == (2, 1800, 1250)
    assert report.network == "x" and report.name == "ACME on X"


def test_post_report_curves_and_final_as_of(actor: Actor, world: ReportWorld) -> None:
    first = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    make.snapshot(world.on_x, first, impressions=400, likes=10, comments=1)
    make.snapshot(world.on_x, first + timedelta(days=1), impressions=1500, likes=40, comments=6)
    make.final_poll(world.on_x, FinalReason.HORIZON, first + timedelta(days=30))
    report = post_report.post_report(actor, world.on_x.post_id)
    [target] = report.targets
    assert target.metrics == ("impressions", "likes", "comments")
    assert [r.values["impressions"] for r in target.readings] == [400, 1500]
    assert target.latest is not None and target.latest.values["likes"] == 40
    assert (target.final_reason, target.final_at) == ("horizon", first + timedelta(days=30))
    assert report.timezone == "Europe/Berlin"


def test_days_are_the_workspace_zones_days(actor: Actor, world: ReportWorld) -> None:
    """03:00 UTC on 10 November is 04:00 on the 10th in Berlin, 22:00 on the 9th in New York."""
    make.published(world.x, datetime(2026, 11, 10, 3, 0, tzinfo=UTC))
    in_berlin = reports.overview(actor, WEEK, network="x", today=TODAY)
    assert [d.posts for d in in_berlin.days][:2] == [0, 2]
    workspace = actor.workspace
    workspace.timezone = "America/New_York"
    workspace.save()
    in_new_york = reports.overview(actor, WEEK, network="x", today=TODAY)
    assert [d.posts for d in in_new_york.days][:2] == [1, 1]
    assert in_new_york.scope.timezone == "America/New_York"


def test_periods_resolve_against_today() -> None:
    assert resolve(PeriodRequest(PeriodKey.LAST_7), TODAY) == Period(
        "7d", date(2026, 11, 17), TODAY
    )
    assert resolve(PeriodRequest(PeriodKey.LAST_28), TODAY).days == 28
    ninety = resolve(PeriodRequest(PeriodKey.LAST_90), TODAY)
    assert ninety.previous() == Period(
        PeriodKey.PREVIOUS, ninety.start - timedelta(days=90), ninety.start - timedelta(days=1)
    )
    assert (
        resolve(PeriodRequest(PeriodKey.WHOLE), TODAY, (date(2026, 1, 1), date(2026, 2, 1))).days
        == 32
    )


@pytest.mark.parametrize(
    ("asked", "field", "message"),
    [
        (PeriodRequest("forever"), "period", "Choose a period from the list."),
        (
            PeriodRequest(PeriodKey.CUSTOM, None, TODAY),
            "start",
            "Enter the first day of the period.",
        ),
        (
            PeriodRequest(PeriodKey.CUSTOM, TODAY, TODAY - timedelta(days=1)),
            "end",
            "The last day must not be before the first day.",
        ),
        (
            PeriodRequest(PeriodKey.CUSTOM, date(2020, 1, 1), TODAY),
            "end",
            "A period can be at most 731 days long.",
        ),
        (PeriodRequest(PeriodKey.WHOLE), "period", "Choose a period from the list."),
    ],
)
def test_periods_that_cannot_be_shown_say_why(
    asked: PeriodRequest, field: str, message: str
) -> None:
    with pytest.raises(ReportError) as caught:
        resolve(asked, TODAY)  # no campaign: "whole" is not on offer
    assert (caught.value.field, caught.value.message) == (field, message)


def test_an_unknown_network_filter_is_refused(actor: Actor, world: ReportWorld) -> None:
    with pytest.raises(ReportError) as caught:
        reports.overview(actor, WEEK, network="myspace", today=TODAY)
    assert caught.value.field == "network"


def test_definitions() -> None:
    organic = Organic(impressions=200, clicks=3, likes=5, comments=2, reposts=1, saves=None)
    assert organic.engagements == 8  # clicks are not engagements
    assert organic.engagement_rate == Decimal("4.00")
    assert cost_per_engagement(organic, Paid(1000, 12, Decimal("10.00"))) == Decimal("0.50")
    assert cost_per_engagement(Organic(), Paid()) is None
    assert Change("x", 50, 0).percent is None and Change("x", 50, 40).percent == Decimal("25.0")
    assert Change("x", None, 40).delta is None


def test_a_campaign_report_reads_grouped_rows_not_every_row(
    actor: Actor, world: ReportWorld, django_assert_max_num_queries: Any
) -> None:
    """The number of queries does not grow with the posts: sums come from the database."""
    for n in range(30):
        target = make.published(world.x, datetime(2026, 11, 10, 9, n, tzinfo=BERLIN))
        make.day(target, D10, world.campaign, impressions=10, likes=1)
    with django_assert_max_num_queries(12):
        report = reports.campaign_report(actor, world.campaign.pk, WEEK, compare=True, today=TODAY)
    assert report.days[1].figures.organic.impressions == 1000 + 300
