"""The calendar (week, month; the workspace's zone) and a post's page (attempts, permalink, cancel)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cuecast.posts.models import Post, Target, TargetState
from cuecast.publishing.models import AttemptOutcome, PublishAttempt

pytestmark = pytest.mark.django_db


def _day_section(html: str, label: str) -> str:
    match = re.search(
        rf'<section class="day[^"]*" aria-label="{label}">(.*?)</section>', html, re.S
    )
    assert match, f"no day {label}"
    return match.group(1)


@pytest.fixture
def late_target(workspace: Any, x_channel: Any) -> Target:
    """Due 22:30 UTC on 10 June 2026: already 11 June in Berlin."""
    post = Post.objects.create(workspace=workspace, text="Midsummer teaser")
    due = datetime(2026, 6, 10, 22, 30, tzinfo=UTC)
    return Target.objects.create(
        post=post, channel=x_channel, state=TargetState.SCHEDULED, due_at=due, next_attempt_at=due
    )


def test_week_shows_a_target_on_its_local_day(signed_in: Client, late_target: Target) -> None:
    page = signed_in.get(
        reverse("web:calendar", args=["acme"]), {"view": "week", "date": "2026-06-10"}
    )
    html = page.content.decode()
    thursday = _day_section(html, "Thursday, 11 June 2026")
    assert "Midsummer teaser" in thursday
    assert "00:30" in thursday
    assert 'class="state state-scheduled">Scheduled<' in thursday
    assert "Midsummer teaser" not in _day_section(html, "Wednesday, 10 June 2026")
    assert "Times in Europe/Berlin" in html
    assert "date=2026-06-01" in html and "date=2026-06-15" in html  # previous / next week


def test_month_shows_the_target_and_navigates(signed_in: Client, late_target: Target) -> None:
    url = reverse("web:calendar", args=["acme"])
    html = signed_in.get(url, {"view": "month", "date": "2026-06-20"}).content.decode()
    assert "June 2026" in html
    assert "Midsummer teaser" in _day_section(html, "Thursday, 11 June 2026")
    assert "view=month&amp;date=2026-05-01" in html and "view=month&amp;date=2026-07-01" in html
    july = signed_in.get(url, {"view": "month", "date": "2026-07-01"}).content.decode()
    assert "Midsummer teaser" not in july


def test_each_state_has_its_own_colour_and_label(
    signed_in: Client, workspace: Any, x_channel: Any, masto_channel: Any
) -> None:
    post = Post.objects.create(workspace=workspace, text="two fates")
    # A fixed day and the week that holds it: "two hours from now" lies in next week's
    # calendar on a Sunday evening.
    due = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    Target.objects.create(post=post, channel=x_channel, state=TargetState.PUBLISHED, due_at=due)
    Target.objects.create(
        post=post, channel=masto_channel, state=TargetState.FAILED, due_at=due, reason="Refused."
    )
    url = reverse("web:calendar", args=["acme"])
    html = signed_in.get(url, {"date": "2026-06-10"}).content.decode()
    assert 'class="entry entry-published"' in html and ">Published<" in html
    assert 'class="entry entry-failed"' in html and ">Failed<" in html


def test_calendar_ignores_a_broken_date(signed_in: Client) -> None:
    page = signed_in.get(reverse("web:calendar", args=["acme"]), {"date": "soon", "view": "nope"})
    assert page.status_code == 200


def test_post_page_shows_targets_attempts_and_permalink(
    signed_in: Client, late_target: Target, masto_channel: Any
) -> None:
    late_target.state = TargetState.PUBLISHED
    late_target.permalink = "https://x.example/acme/status/77"
    late_target.save()
    PublishAttempt.objects.create(
        target=late_target,
        started_at=datetime(2026, 6, 10, 22, 30, 1, tzinfo=UTC),
        outcome=AttemptOutcome.PUBLISHED,
        message="Posted.",
        http_status=201,
    )
    failed = Target.objects.create(
        post=late_target.post,
        channel=masto_channel,
        state=TargetState.FAILED,
        due_at=late_target.due_at,
        reason="The server refused the post: text is empty.",
    )
    PublishAttempt.objects.create(
        target=failed,
        started_at=datetime(2026, 6, 10, 22, 30, 2, tzinfo=UTC),
        outcome=AttemptOutcome.FAILED,
        message="Validation failed: Text can't be blank",
        http_status=422,
    )
    html = signed_in.get(reverse("web:post", args=["acme", late_target.post_id])).content.decode()
    assert "Midsummer teaser" in html
    assert 'href="https://x.example/acme/status/77"' in html
    assert "June 11, 2026, 12:30 a.m." in html  # the due time in Berlin, not UTC
    assert "The server refused the post: text is empty." in html
    assert "Validation failed: Text can&#x27;t be blank" in html and "HTTP 422" in html
    assert ">Published<" in html and ">Failed<" in html
    assert "Cancel post" not in html  # nothing left to cancel


def test_cancel_is_a_csrf_protected_post(
    signed_in: Client, late_target: Target, owner: Any
) -> None:
    url = reverse("web:post_cancel", args=["acme", late_target.post_id])
    page = signed_in.get(reverse("web:post", args=["acme", late_target.post_id]))
    assert b"Cancel post" in page.content
    assert signed_in.get(url).status_code == 405

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post(url).status_code == 403
    late_target.refresh_from_db()
    assert late_target.state == TargetState.SCHEDULED

    response = signed_in.post(url, follow=True)
    late_target.refresh_from_db()
    assert late_target.state == TargetState.CANCELLED
    assert b"Cancelled 1 target." in response.content
