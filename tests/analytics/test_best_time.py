"""Best time to post: engagement rate by weekday and hour of publishing (in the workspace's zone),
the sample size per slot, and a suggestion only when there is enough history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from cuecast.accounts.services import Actor
from cuecast.analytics import best_time
from cuecast.analytics.best_time import MIN_POSTS, MIN_SLOT_POSTS, Measure
from cuecast.channels.models import Channel

from . import factories as make
from .report_world import BERLIN

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 16, 8, 0, tzinfo=BERLIN)
TUESDAY_1000 = datetime(2026, 11, 17, 10, 0, tzinfo=BERLIN)


def _post(on: Channel, at: datetime, impressions: int | None, likes: int) -> None:
    target = make.published(on, at)
    make.day(target, at.date(), None, impressions=impressions, likes=likes, comments=0)


def _history(on: Channel, mondays: int, tuesdays: int) -> None:
    """Posts on Mondays at 08:00 (1 % engagement) and Tuesdays at 10:00 (5 %), one a week back."""
    for week in range(mondays):
        _post(on, MONDAY_0800 - timedelta(weeks=week), 1000, 10)
    for week in range(tuesdays):
        _post(on, TUESDAY_1000 - timedelta(weeks=week), 1000, 50)


@pytest.fixture
def linkedin(workspace: Any) -> Channel:
    return make.channel(workspace, "linkedin", "ACME on LinkedIn")


def test_slots_hold_the_rate_and_the_sample_in_the_workspace_zone(
    actor: Actor, linkedin: Channel
) -> None:
    _history(linkedin, mondays=3, tuesdays=2)
    heatmap = best_time.heatmap(actor, "linkedin", now=NOW)
    slots = {
        (s.weekday, s.hour): (s.posts, s.impressions, s.engagements, s.value(heatmap.measure))
        for s in heatmap.slots
    }
    assert slots == {
        (1, 8): (3, 3000, 30, Decimal("1.00")),
        (2, 10): (2, 2000, 100, Decimal("5.00")),
    }
    assert heatmap.measure == Measure.RATE and heatmap.posts == 5
    workspace = actor.workspace
    workspace.timezone = "America/New_York"
    workspace.save()
    in_new_york = best_time.heatmap(actor, "linkedin", now=NOW)
    assert {(s.weekday, s.hour) for s in in_new_york.slots} == {(1, 2), (2, 4)}  # 6 hours behind


def test_a_suggestion_needs_enough_posts(actor: Actor, linkedin: Channel) -> None:
    _history(linkedin, mondays=MIN_POSTS - MIN_SLOT_POSTS - 1, tuesdays=MIN_SLOT_POSTS)
    assert best_time.heatmap(actor, "linkedin", now=NOW).posts == MIN_POSTS - 1
    assert best_time.suggestions(actor.workspace, now=NOW) == []
    _post(linkedin, MONDAY_0800 - timedelta(weeks=40), 1000, 10)
    an_hour_later = NOW + timedelta(hours=1)  # the hour's answer is kept (see below)
    [suggestion] = best_time.suggestions(actor.workspace, now=an_hour_later)
    assert (suggestion.network, suggestion.slot.weekday, suggestion.slot.hour) == (
        "linkedin",
        2,
        10,
    )
    assert suggestion.sentence() == "Your LinkedIn posts do best on Tuesdays at 10:00 (5 posts)."


def test_a_slot_resting_on_too_few_posts_is_not_suggested(actor: Actor, linkedin: Channel) -> None:
    _history(linkedin, mondays=MIN_POSTS - 1, tuesdays=0)
    _post(linkedin, TUESDAY_1000, 1000, 500)  # one lucky post at 50 %
    [suggestion] = best_time.suggestions(actor.workspace, now=NOW)
    assert (suggestion.slot.weekday, suggestion.slot.hour, suggestion.slot.posts) == (
        1,
        8,
        MIN_POSTS - 1,
    )


def test_posts_older_than_a_year_do_not_count(actor: Actor, linkedin: Channel) -> None:
    _post(linkedin, NOW - timedelta(days=best_time.HISTORY_DAYS + 1), 1000, 10)
    _post(linkedin, NOW - timedelta(days=best_time.HISTORY_DAYS - 1), 1000, 10)
    assert best_time.heatmap(actor, "linkedin", now=NOW).posts == 1


def test_without_impressions_the_measure_is_engagements_per_post(
    actor: Actor, workspace: Any
) -> None:
    mastodon = make.channel(workspace, "mastodon", "ACME on Mastodon")
    _post(mastodon, TUESDAY_1000, None, 7)
    _post(mastodon, TUESDAY_1000 - timedelta(weeks=1), None, 4)
    heatmap = best_time.heatmap(actor, "mastodon", now=NOW)
    assert heatmap.measure == Measure.PER_POST
    [slot] = heatmap.slots
    assert slot.value(heatmap.measure) == Decimal("5.5")


def test_the_composer_suggests_only_with_enough_data(
    signed_in: Client, actor: Actor, linkedin: Channel
) -> None:
    composer = signed_in.get("/w/acme/compose/").content.decode()
    # The suggestion comes after the page (summing a year of figures never holds up writing).
    assert 'id="best-time-slot" data-url="/w/acme/analytics/best-time/hints"' in composer
    assert (
        'id="best-time-hint"'
        not in signed_in.get("/w/acme/analytics/best-time/hints").content.decode()
    )
    _history(linkedin, mondays=MIN_POSTS - MIN_SLOT_POSTS, tuesdays=MIN_SLOT_POSTS)
    # The composer looks at the last year from today: move the history next to today, by whole
    # weeks on Berlin's wall clock. Every post keeps its weekday and hour; a shift in UTC would
    # carry some across a daylight-saving change into the next hour's slot (then 4 posts, no hint).
    weeks = timedelta(weeks=(timezone.now() - NOW) // timedelta(weeks=1))
    for target in linkedin.targets.all():
        assert target.published_at is not None
        target.published_at = target.published_at.astimezone(BERLIN) + weeks  # wall-clock sum
        target.save()
    cache.clear()  # the hour's cached answer (no suggestion) would stand until the next hour
    hint = signed_in.get("/w/acme/analytics/best-time/hints").content.decode()
    assert 'id="best-time-hint"' in hint
    assert "Your LinkedIn posts do best on" in hint and "(5 posts)." in hint


def test_results_are_kept_for_an_hour(actor: Actor, linkedin: Channel) -> None:
    _history(linkedin, mondays=1, tuesdays=0)
    assert best_time.heatmap(actor, "linkedin", now=NOW).posts == 1
    _post(linkedin, TUESDAY_1000, 1000, 50)
    assert best_time.heatmap(actor, "linkedin", now=NOW + timedelta(minutes=5)).posts == 1
    assert best_time.heatmap(actor, "linkedin", now=NOW + timedelta(hours=1)).posts == 2


def test_the_best_time_page_shows_the_heatmap_and_its_table(
    signed_in: Client, linkedin: Channel
) -> None:
    _post(linkedin, TUESDAY_1000, 1000, 50)
    page = signed_in.get("/w/acme/analytics/best-time/?network=linkedin")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="chart-heatmap"' in html and '"type":"heatmap"' in html
    assert "Not enough LinkedIn posts yet for a suggestion." in html
    csv = signed_in.get("/w/acme/analytics/best-time/export.csv?network=linkedin").content.decode(
        "utf-8-sig"
    )
    assert (
        csv.splitlines()[0]
        == "Weekday,Hour (Europe/Berlin),Posts,Impressions,Engagements,Engagement rate (%)"
    )
    assert csv.splitlines()[1] == "Tuesday,10:00,1,1000,50,5.00"


def test_an_unknown_network_is_refused_on_the_page(signed_in: Client, linkedin: Channel) -> None:
    page = signed_in.get("/w/acme/analytics/best-time/?network=myspace")
    assert page.status_code == 400
    assert "Choose a network from the list." in page.content.decode()


def test_weekday_names_follow_iso() -> None:
    assert [best_time.weekday_name(d) for d in (1, 7)] == ["Monday", "Sunday"]
    assert date(2026, 11, 17).isoweekday() == 2  # TUESDAY_1000's day
