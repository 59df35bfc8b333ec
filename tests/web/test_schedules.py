"""The composer's "Repeat" and "Add to queue", the post page's move form and series buttons, the
channels page's posting times; in English and German."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cuecast.accounts.models import Role
from cuecast.accounts.services import actor_for_user, add_member
from cuecast.posts import queue
from cuecast.posts.models import (
    Post,
    QueueSlot,
    ScheduleKind,
    Series,
    SeriesState,
    Target,
    TargetState,
)
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
from cuecast.publishing import dispatcher

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def _errors_of(content: bytes, field_id: str) -> str:
    match = re.search(
        rf'<ul class="field-errors" id="{re.escape(field_id)}-errors">(.*?)</ul>',
        content.decode(),
        re.S,
    )
    return match.group(1) if match else ""


def _next_monday() -> datetime:
    today = datetime.now(BERLIN).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, time(9, 0))


def _compose(client: Client, **data: Any) -> Any:
    payload = {"when": "local", "timezone": "Europe/Berlin", "text": "Weekly tip", **data}
    return client.post(reverse("web:compose", args=["acme"]), payload)


def _actor(owner: Any, workspace: Any) -> Any:
    return actor_for_user(owner, workspace)


# --- composer ------------------------------------------------------------------------------------


def test_composer_offers_repeat_and_queue(signed_in: Client, x_channel: Any) -> None:
    html = signed_in.get(reverse("web:compose", args=["acme"])).content.decode()
    assert 'name="repeat"' in html and 'name="repeat_weekdays"' in html
    assert 'value="queue"' in html and "Add to queue: each channel&#x27;s next free slot" in html
    assert "Monday" in html and "Sunday" in html


def test_repeat_creates_a_series_and_shows_its_first_post(signed_in: Client, x_channel: Any):
    start = _next_monday()
    response = _compose(
        signed_in,
        channels=[x_channel.pk],
        local_at=start.strftime("%Y-%m-%dT%H:%M"),
        repeat="on",
        repeat_frequency="weekly",
        repeat_interval="1",
        repeat_weekdays=["0", "2"],
        repeat_count="4",
    )
    assert response.status_code == 302, _errors_of(response.content, "id_repeat")
    series = Series.objects.get()
    first = Post.objects.filter(series=series).earliest("occurrence_at")
    assert response["Location"] == reverse("web:post", args=["acme", first.pk])
    assert first.occurrence_at == start.replace(tzinfo=BERLIN)
    assert (series.weekdays, series.count, series.timezone) == ([0, 2], 4, "Europe/Berlin")
    page = signed_in.get(response["Location"]).content.decode()
    assert "This post repeats" in page
    assert "Part of a repeating series" in page
    assert "Every week on Monday, Wednesday at 09:00 (Europe/Berlin)" in page


def test_repeat_problems_show_next_to_their_fields(signed_in: Client, x_channel: Any) -> None:
    start = _next_monday()
    response = _compose(
        signed_in,
        channels=[x_channel.pk],
        local_at=start.strftime("%Y-%m-%dT%H:%M"),
        repeat="on",
        repeat_frequency="weekly",
        repeat_until=(start + timedelta(days=30)).strftime("%Y-%m-%d"),
        repeat_count="3",
    )
    assert response.status_code == 200
    assert "Choose at least one weekday" in _errors_of(response.content, "id_repeat_weekdays")
    assert "not both" in _errors_of(response.content, "id_repeat_until")
    not_dated = _compose(signed_in, channels=[x_channel.pk], when="draft", repeat="on")
    assert "choose “At a date and time”" in _errors_of(not_dated.content, "id_repeat")
    assert Series.objects.count() == 0 and Post.objects.count() == 0


def test_add_to_queue_takes_the_next_free_slot(
    signed_in: Client, owner: Any, workspace: Any, x_channel: Any
) -> None:
    queue.set_slots(_actor(owner, workspace), x_channel, [(1, time(9, 0))])
    expected = queue.next_free_slot(x_channel, "Europe/Berlin", timezone.now())
    response = _compose(signed_in, channels=[x_channel.pk], when="queue")
    assert response.status_code == 302
    target = Target.objects.get()
    assert target.due_at == expected and target.state == TargetState.SCHEDULED
    QueueSlot.objects.all().delete()
    refused = _compose(signed_in, channels=[x_channel.pk], when="queue", text="Another")
    assert "ACME on X has no queue slots yet" in refused.content.decode()
    assert Post.objects.count() == 1


# --- post page -------------------------------------------------------------------------------------


def _scheduled(owner: Any, workspace: Any, channels: list[Any], hours: int = 2) -> Post:
    due = timezone.now() + timedelta(hours=hours)
    return create_post(
        _actor(owner, workspace),
        PostDraft(
            "Move me", [TargetSpec(c.pk) for c in channels], ScheduleSpec(ScheduleKind.AT, at=due)
        ),
    )


def test_the_post_page_moves_a_post(signed_in: Client, owner, workspace, x_channel) -> None:
    post = _scheduled(owner, workspace, [x_channel])
    page = signed_in.get(reverse("web:post", args=["acme", post.pk])).content.decode()
    assert "Move this post" in page and 'name="local_at"' in page
    response = signed_in.post(
        reverse("web:post_reschedule", args=["acme", post.pk]),
        {"when": "local", "local_at": "2027-06-01T09:00", "timezone": "Europe/Berlin"},
        follow=True,
    )
    target = post.targets.get()
    assert target.due_at == datetime(2027, 6, 1, 7, 0, tzinfo=ZoneInfo("UTC"))
    html = response.content.decode()
    assert "Moved: the post&#x27;s channel goes out at its new time." in html
    assert "Moved by olivia" in html  # the history names who moved it


def test_the_post_page_says_which_channel_was_already_on_its_way(
    signed_in: Client, owner, workspace, x_channel, masto_channel
) -> None:
    post = _scheduled(owner, workspace, [x_channel, masto_channel])
    due = post.targets.first().due_at  # type: ignore[union-attr]
    x_target = post.targets.get(channel=x_channel)
    assert dispatcher.claim("w1", due, 1) == [x_target.pk]
    response = signed_in.post(
        reverse("web:post_reschedule", args=["acme", post.pk]),
        {"when": "local", "local_at": "2027-06-01T09:00", "timezone": "Europe/Berlin"},
        follow=True,
    )
    assert "Already being published on X; the other channel was moved." in response.content.decode()
    assert Target.objects.get(pk=x_target.pk).state == TargetState.PUBLISHING


def test_a_move_into_the_past_is_explained(signed_in: Client, owner, workspace, x_channel) -> None:
    post = _scheduled(owner, workspace, [x_channel])
    before = post.targets.get().due_at
    response = signed_in.post(
        reverse("web:post_reschedule", args=["acme", post.pk]),
        {"when": "local", "local_at": "2020-06-01T09:00", "timezone": "Europe/Berlin"},
        follow=True,
    )
    assert "has already passed" in response.content.decode()
    assert post.targets.get().due_at == before


def test_a_viewer_cannot_move_and_a_stranger_gets_404(
    client: Client, owner, workspace, x_channel, stranger
) -> None:
    from cuecast.accounts.models import User

    post = _scheduled(owner, workspace, [x_channel])
    before = post.targets.get().due_at
    viewer = User.objects.create_user("vera", password="a good long password")
    add_member(_actor(owner, workspace), user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    url = reverse("web:post_reschedule", args=["acme", post.pk])
    move = {"when": "local", "local_at": "2027-06-01T09:00", "timezone": "Europe/Berlin"}
    page = client.get(reverse("web:post", args=["acme", post.pk])).content.decode()
    assert "Move this post" not in page
    assert "does not allow moving" in client.post(url, move, follow=True).content.decode()
    client.force_login(stranger)
    assert client.post(url, move).status_code == 404
    assert post.targets.get().due_at == before


def _daily_series(client: Client, channel: Any, text: str) -> Post:
    _compose(
        client,
        channels=[channel.pk],
        text=text,
        local_at=_next_monday().strftime("%Y-%m-%dT%H:%M"),
        repeat="on",
        repeat_frequency="daily",
    )
    series = Series.objects.get(text=text)
    assert Post.objects.filter(series=series).count() > 1
    return Post.objects.filter(series=series).earliest("occurrence_at")


def test_ending_a_series_from_its_post(signed_in: Client, x_channel) -> None:
    first = _daily_series(signed_in, x_channel, "Daily tip")
    response = signed_in.post(reverse("web:series_end", args=["acme", first.pk]))
    # None of its posts had gone out, so this one is gone too: back to the calendar.
    assert response["Location"] == reverse("web:calendar", args=["acme"])
    assert "The series has ended" in signed_in.get(response["Location"]).content.decode()
    assert Series.objects.get().state == SeriesState.ENDED
    assert not Post.objects.filter(series__text="Daily tip").exists()


def test_cancelling_a_series_from_its_post(signed_in: Client, x_channel) -> None:
    first = _daily_series(signed_in, x_channel, "Daily offer")
    response = signed_in.post(reverse("web:series_cancel", args=["acme", first.pk]), follow=True)
    html = response.content.decode()
    assert "The series is cancelled, with" in html and "The series was cancelled." in html
    assert set(Target.objects.values_list("state", flat=True)) == {TargetState.CANCELLED}
    ordinary = Post.objects.create(workspace=first.workspace, text="Not in a series")
    assert (
        signed_in.post(reverse("web:series_cancel", args=["acme", ordinary.pk])).status_code == 404
    )


# --- channels page ---------------------------------------------------------------------------------


def test_posting_times_on_the_channels_page(signed_in: Client, x_channel: Any) -> None:
    url = reverse("web:channel_slots", args=["acme", x_channel.pk])
    signed_in.post(url, {"weekday": "1", "at_time": "09:00"})
    response = signed_in.post(url, {"weekday": "3", "at_time": "17:30"}, follow=True)
    html = response.content.decode()
    assert "Posting times of ACME on X saved." in html
    assert "Tuesday 09:00" in html and "Thursday 17:30" in html and "Next free:" in html
    slot = QueueSlot.objects.get(weekday=1)
    signed_in.post(url, {"remove": str(slot.pk)})
    assert [(s.weekday, s.at_time) for s in QueueSlot.objects.all()] == [(3, time(17, 30))]
    bad = signed_in.post(url, {"weekday": "9", "at_time": "25:00"}, follow=True)
    assert "Choose a weekday and a time" in bad.content.decode()


def test_an_editor_cannot_change_posting_times(
    client: Client, owner, workspace, x_channel, stranger
) -> None:
    from cuecast.accounts.models import User

    editor = User.objects.create_user("eddie", password="a good long password")
    add_member(_actor(owner, workspace), user=editor, role=Role.EDITOR)
    client.force_login(editor)
    url = reverse("web:channel_slots", args=["acme", x_channel.pk])
    response = client.post(url, {"weekday": "1", "at_time": "09:00"}, follow=True)
    assert "does not allow changing a channel" in response.content.decode()
    client.force_login(stranger)
    assert client.post(url, {"weekday": "1", "at_time": "09:00"}).status_code == 404
    assert not QueueSlot.objects.exists()


# --- German ------------------------------------------------------------------------------------------


def test_the_new_parts_render_in_german(signed_in: Client, owner, workspace, x_channel) -> None:
    owner.language = "de"
    owner.save()
    compose = signed_in.get(reverse("web:compose", args=["acme"])).content.decode()
    assert "Diesen Beitrag wiederholen" in compose
    assert "In die Warteschlange: nächster freier Sendeplatz jedes Kanals" in compose
    assert "Montag" in compose and "An diesen Wochentagen" in compose
    post = _scheduled(owner, workspace, [x_channel])
    page = signed_in.get(reverse("web:post", args=["acme", post.pk])).content.decode()
    assert "Diesen Beitrag verschieben" in page and "Verschieben" in page
    channels = signed_in.get(reverse("web:channels", args=["acme"])).content.decode()
    assert "Sendezeiten (Warteschlange)" in channels and "Sendezeit hinzufügen" in channels
    moved = signed_in.post(
        reverse("web:post_reschedule", args=["acme", post.pk]),
        {"when": "local", "local_at": "2027-06-01T09:00", "timezone": "Europe/Berlin"},
        follow=True,
    )
    assert "Verschoben: Der Kanal des Beitrags sendet zur neuen Zeit." in moved.content.decode()
