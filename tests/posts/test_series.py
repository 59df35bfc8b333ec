"""Recurring series: occurrences materialised as ordinary posts, idempotently, in wall-clock time;
edits, ends and cancels change only what has not gone out."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection

from cuecast.accounts.models import Role
from cuecast.accounts.services import Actor
from cuecast.posts import series as series_service
from cuecast.posts.models import (
    Post,
    ScheduleKind,
    Series,
    SeriesFrequency,
    SeriesState,
    Target,
    TargetEvent,
    TargetState,
)
from cuecast.posts.recurrence import Rule
from cuecast.posts.rescheduling import reschedule_post
from cuecast.posts.services import ScheduleSpec, TargetSpec, ValidationFailed
from cuecast.publishing import dispatcher

pytestmark = pytest.mark.django_db

# A Friday in March 2027, nine days before Berlin's clocks go forward (Sunday 28 March 2027).
NOW = datetime(2027, 3, 19, 12, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def weekly(**changes: Any) -> Rule:
    values: dict[str, Any] = {
        "frequency": SeriesFrequency.WEEKLY,
        "starts_on": date(2027, 3, 22),
        "at_time": time(9, 0),
        "tz_name": "Europe/Berlin",
        "weekdays": (0, 2),
        **changes,
    }
    return Rule(**values)


def draft(channels: list[Any], rule: Rule | None = None, text: str = "Weekly tip") -> Any:
    return series_service.SeriesDraft(
        text=text, targets=[TargetSpec(c.pk) for c in channels], rule=rule or weekly()
    )


def occurrence_times(series: Series) -> list[datetime]:
    return list(
        Post.objects.filter(series=series)
        .order_by("occurrence_at")
        .values_list("occurrence_at", flat=True)
    )


def test_occurrences_are_ordinary_posts_in_wall_clock_time(actor, x_channel, masto_channel):
    series = series_service.create_series(actor, draft([x_channel, masto_channel]), now=NOW)
    # Two weeks ahead: Mon 22, Wed 24 (CET, 08:00 UTC); Mon 29, Wed 31 (CEST, 07:00 UTC).
    assert occurrence_times(series) == [
        utc("2027-03-22T08:00"),
        utc("2027-03-24T08:00"),
        utc("2027-03-29T07:00"),
        utc("2027-03-31T07:00"),
    ]
    first = Post.objects.filter(series=series).order_by("occurrence_at").first()
    assert first is not None and first.text == "Weekly tip"
    assert first.schedule.kind == ScheduleKind.LOCAL
    assert (first.schedule.local_at, first.schedule.timezone) == (
        "2027-03-22T09:00",
        "Europe/Berlin",
    )
    targets = list(first.targets.all())
    assert {t.channel_id for t in targets} == {x_channel.pk, masto_channel.pk}
    assert {t.state for t in targets} == {TargetState.SCHEDULED}
    assert all(t.due_at == t.next_attempt_at == utc("2027-03-22T08:00") for t in targets)


def test_materialising_again_creates_nothing_and_later_extends(actor, x_channel):
    series = series_service.create_series(actor, draft([x_channel]), now=NOW)
    assert series_service.materialize_due(NOW) == 0
    assert series_service.materialize_due(NOW + timedelta(hours=1)) == 0  # horizon unchanged
    assert series_service.materialize_due(NOW + timedelta(days=7)) == 2  # Mon 5, Wed 7 April
    assert occurrence_times(series)[-2:] == [utc("2027-04-05T07:00"), utc("2027-04-07T07:00")]
    assert Target.objects.filter(post__series=series).count() == 6


def test_a_second_worker_that_missed_the_progress_cannot_duplicate(actor, x_channel):
    series = series_service.create_series(actor, draft([x_channel]), now=NOW)
    before = occurrence_times(series)
    # As if another worker had read the series before the first one's commit.
    Series.objects.filter(pk=series.pk).update(materialized_until=None)
    assert series_service.materialize_due(NOW) == 0
    assert occurrence_times(series) == before


def test_an_occurrence_in_the_skipped_hour_goes_out_after_the_gap_with_a_note(actor, x_channel):
    rule = Rule(SeriesFrequency.DAILY, date(2027, 3, 27), time(2, 30), "Europe/Berlin", count=3)
    series = series_service.create_series(actor, draft([x_channel], rule), now=NOW)
    assert occurrence_times(series) == [
        utc("2027-03-27T01:30"),  # 02:30 CET
        utc("2027-03-28T01:30"),  # 02:30 does not exist: 03:30 CEST
        utc("2027-03-29T00:30"),  # 02:30 CEST
    ]
    gap = Target.objects.get(post__series=series, due_at=utc("2027-03-28T01:30"))
    event = TargetEvent.objects.get(target=gap)
    assert event.kind == "moved" and "02:30" in event.cause and "03:30" in event.cause
    assert gap.post.schedule.local_at == "2027-03-28T03:30"
    assert series.__class__.objects.get(pk=series.pk).state == SeriesState.ENDED  # all 3 exist


def test_the_next_occurrence_exists_however_far_ahead(actor, x_channel):
    rule = Rule(SeriesFrequency.MONTHLY, date(2027, 5, 31), time(9), "Europe/Berlin", month_day=31)
    series = series_service.create_series(actor, draft([x_channel], rule), now=NOW)
    assert occurrence_times(series) == [utc("2027-05-31T07:00")]
    assert series_service.materialize_due(NOW + timedelta(days=20)) == 0
    assert series_service.materialize_due(utc("2027-05-31T08:00")) == 1  # 30 June, the last day
    assert occurrence_times(series)[-1] == utc("2027-06-30T07:00")


def test_occurrences_more_than_an_hour_late_are_not_created(actor, x_channel):
    series = series_service.create_series(actor, draft([x_channel]), now=NOW)
    # The worker was down from 19 March to Wednesday 7 April, 08:00 UTC.
    created = series_service.materialize_due(utc("2027-04-07T08:00"))
    times = occurrence_times(series)
    assert utc("2027-04-05T07:00") not in times  # Monday: a day late, skipped
    assert utc("2027-04-07T07:00") in times  # Wednesday: one hour late, still goes out
    assert created == len(times) - 4


def test_editing_replaces_future_unsent_occurrences_only(actor, x_channel, masto_channel):
    series = series_service.create_series(actor, draft([x_channel, masto_channel]), now=NOW)
    first, second, third, _fourth = Post.objects.filter(series=series).order_by("occurrence_at")
    # The first is already being published; the third was moved on its own.
    claimed = dispatcher.claim("w1", utc("2027-03-22T08:00"), 10)
    assert set(claimed) == set(first.targets.values_list("pk", flat=True))
    moved_alone = reschedule_post(
        actor, third, ScheduleSpec(ScheduleKind.AT, at=utc("2027-03-29T10:00")), now=NOW
    )
    assert len(moved_alone.moved) == 2

    edit = draft([x_channel], weekly(at_time=time(10, 0)), text="New weekly tip")
    series_service.update_series(actor, series, edit, now=utc("2027-03-22T08:00:30"))

    assert Post.objects.filter(pk=first.pk, text="Weekly tip").exists()  # on its way: kept
    assert not Post.objects.filter(pk=second.pk).exists()  # replaced
    kept_alone = Post.objects.get(pk=third.pk)
    assert kept_alone.text == "Weekly tip" and kept_alone.edited_alone
    new = Post.objects.filter(series=series, text="New weekly tip").order_by("occurrence_at")
    # Monday 22 (on its way) and Monday 29 (changed alone) keep their post: one per day.
    assert [p.occurrence_at for p in new] == [
        utc("2027-03-24T09:00"),  # 10:00 CET
        utc("2027-03-31T08:00"),  # 10:00 CEST
        utc("2027-04-05T08:00"),
    ]
    assert {t.channel_id for p in new for t in p.targets.all()} == {x_channel.pk}


def test_ending_removes_the_occurrences_after_the_last_day(actor, x_channel):
    series = series_service.create_series(actor, draft([x_channel]), now=NOW)
    series_service.end_series(actor, series, last_day=date(2027, 3, 29), now=NOW)
    assert occurrence_times(series) == [
        utc("2027-03-22T08:00"),
        utc("2027-03-24T08:00"),
        utc("2027-03-29T07:00"),
    ]
    assert series_service.materialize_due(NOW + timedelta(days=30)) == 0
    series_service.end_series(actor, series, now=utc("2027-03-23T00:00"))
    assert occurrence_times(series) == [utc("2027-03-22T08:00")]
    assert Series.objects.get(pk=series.pk).state == SeriesState.ENDED


def test_ending_on_a_day_that_passed_is_refused(actor, x_channel):
    series = series_service.create_series(actor, draft([x_channel]), now=NOW)
    with pytest.raises(ValidationFailed) as caught:
        series_service.end_series(actor, series, last_day=date(2027, 3, 18), now=NOW)
    assert caught.value.errors[0].field == "last_day"


def test_cancelling_cancels_what_is_not_on_its_way(actor, x_channel):
    series = series_service.create_series(actor, draft([x_channel]), now=NOW)
    claimed = dispatcher.claim("w1", utc("2027-03-22T08:00"), 10)
    assert len(claimed) == 1
    assert series_service.cancel_series(actor, series, now=NOW) == 3
    states = dict(Target.objects.filter(post__series=series).values_list("pk", "state"))
    assert states.pop(claimed[0]) == TargetState.PUBLISHING
    assert set(states.values()) == {TargetState.CANCELLED}
    assert series_service.materialize_due(NOW + timedelta(days=30)) == 0


def test_occurrences_wait_for_approval_until_the_series_is_approved(workspace, owner, x_channel):
    workspace.requires_approval = True
    workspace.save()
    editor = Actor(workspace, Role.EDITOR, user=owner)
    series = series_service.create_series(editor, draft([x_channel]), now=NOW)
    targets = Target.objects.filter(post__series=series)
    assert {t.state for t in targets} == {TargetState.DRAFT}
    assert all("approval" in t.reason for t in targets)
    series_service.approve_series(Actor(workspace, Role.APPROVER, user=owner), series)
    assert {t.state for t in targets.all()} == {TargetState.SCHEDULED}
    series_service.materialize_due(NOW + timedelta(days=7))
    assert {t.state for t in targets.all()} == {TargetState.SCHEDULED}


def test_a_series_with_problems_names_each_field_and_creates_nothing(actor, x_channel):
    bad = series_service.SeriesDraft(
        text="x" * 300,
        targets=[TargetSpec(x_channel.pk), TargetSpec(987654)],
        rule=weekly(weekdays=(), starts_on=date(2027, 1, 4)),
    )
    with pytest.raises(ValidationFailed) as caught:
        series_service.create_series(actor, bad, now=NOW)
    fields = [e.field for e in caught.value.errors]
    assert fields == ["targets[0].text", "targets[1].channel_id", "repeat.weekdays"]
    late = draft([x_channel], weekly(starts_on=date(2027, 3, 1)))
    with pytest.raises(ValidationFailed, match="already passed") as caught:
        series_service.create_series(actor, late, now=NOW)
    assert caught.value.errors[0].field == "repeat.start"
    assert Series.objects.count() == 0 and Post.objects.count() == 0


def test_another_workspace_cannot_touch_the_series(actor, x_channel, db):
    from cuecast.accounts.models import User
    from cuecast.accounts.services import actor_for_user, create_workspace

    series = series_service.create_series(actor, draft([x_channel]), now=NOW)
    mallory = User.objects.create_user("mallory", password="another good password")
    other = actor_for_user(mallory, create_workspace(slug="other", name="Other", owner=mallory))
    assert other is not None
    with pytest.raises(Series.DoesNotExist):
        series_service.cancel_series(other, series, now=NOW)
    with pytest.raises(Series.DoesNotExist):
        series_service.end_series(other, series, now=NOW)
    with pytest.raises(Series.DoesNotExist):
        series_service.update_series(other, series, draft([x_channel]), now=NOW)
    assert Series.objects.get(pk=series.pk).state == SeriesState.ACTIVE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_several_workers_materialise_each_occurrence_once(actor, x_channel):
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (make test-postgres)")
    for index in range(5):
        series_service.create_series(actor, draft([x_channel], text=f"Tip {index}"), now=NOW)
    later = NOW + timedelta(days=14)
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(series_service.materialize_due(later))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == 5 * 4  # two more weeks of Mondays and Wednesdays, once each
    for series in Series.objects.all():
        times = occurrence_times(series)
        assert len(times) == len(set(times)) == 8
