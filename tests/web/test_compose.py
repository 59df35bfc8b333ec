"""The composer: errors next to their field, nothing half-created; the live count endpoint."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from cuecast.posts.models import Post, Target, TargetState

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def _future_local(days: int = 3) -> str:
    return (datetime.now(BERLIN) + timedelta(days=days)).strftime("%Y-%m-%dT09:00")


def _errors_of(content: bytes, field_id: str) -> str:
    """The text of the error list rendered next to one field."""
    match = re.search(
        rf'<ul class="field-errors" id="{re.escape(field_id)}-errors">(.*?)</ul>',
        content.decode(),
        re.S,
    )
    return match.group(1) if match else ""


def _post(client: Client, **data: Any) -> Any:
    payload = {"when": "local", "timezone": "Europe/Berlin", "text": "", **data}
    return client.post(reverse("web:compose", args=["acme"]), payload)


def test_composer_lists_channels_with_counts(signed_in: Client, x_channel: Any) -> None:
    page = signed_in.get(reverse("web:compose", args=["acme"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "ACME on X" in html
    assert f'data-count-for="{x_channel.pk}"' in html
    assert 'value="Europe/Berlin" selected' in html  # the workspace's zone is the default
    assert "compose.js" in html


def test_no_channel_and_no_text_explains_both(signed_in: Client, x_channel: Any) -> None:
    response = _post(signed_in, local_at=_future_local())
    assert response.status_code == 200
    assert "Choose at least one channel" in _errors_of(response.content, "id_channels")
    assert Post.objects.count() == 0


def test_every_problem_shows_at_once_and_nothing_is_written(
    signed_in: Client, x_channel: Any
) -> None:
    from cuecast.accounts.models import AuditEvent

    audits = AuditEvent.objects.count()
    response = _post(signed_in, text="z" * 300, channels=[x_channel.pk], local_at="")
    assert "Choose the date and time" in _errors_of(response.content, "id_local_at")
    assert "Too long for ACME on X" in _errors_of(response.content, "id_text")
    assert Post.objects.count() == 0 and Target.objects.count() == 0
    assert AuditEvent.objects.count() == audits


def test_too_long_for_x_is_shown_next_to_the_text(
    signed_in: Client, x_channel: Any, masto_channel: Any
) -> None:
    response = _post(
        signed_in,
        text="a" * 281,
        channels=[x_channel.pk, masto_channel.pk],
        local_at=_future_local(),
    )
    errors = _errors_of(response.content, "id_text")
    assert "Too long for ACME on X" in errors
    assert "281 characters, the limit is 280 (1 over)" in errors
    assert "Mastodon" not in errors  # 281 fits Mastodon's 500
    assert Post.objects.count() == 0 and Target.objects.count() == 0


def test_too_long_variant_is_shown_next_to_the_variant(signed_in: Client, x_channel: Any) -> None:
    response = _post(
        signed_in,
        text="Short and sweet.",
        channels=[x_channel.pk],
        **{f"variant_{x_channel.pk}": "b" * 300},
        local_at=_future_local(),
    )
    assert "Too long for ACME on X" in _errors_of(response.content, f"id_variant_{x_channel.pk}")
    assert _errors_of(response.content, "id_text") == ""
    assert Post.objects.count() == 0


@pytest.mark.parametrize(
    ("local_at", "expected"),
    [
        ("", "Choose the date and time to publish."),
        ("2020-01-01T09:00", "has already passed"),
        ("2026-03-29T02:30", "does not exist in Europe/Berlin"),
        ("next tuesday", "is not a date and time"),
    ],
)
def test_schedule_errors_sit_next_to_the_date(
    signed_in: Client, x_channel: Any, local_at: str, expected: str
) -> None:
    response = _post(signed_in, text="Hello", channels=[x_channel.pk], local_at=local_at)
    assert expected in _errors_of(response.content, "id_local_at")
    assert Post.objects.count() == 0


def test_scheduling_at_a_local_time_creates_the_post(
    signed_in: Client, x_channel: Any, masto_channel: Any
) -> None:
    local_at = _future_local()
    response = _post(
        signed_in,
        text="Launch day!",
        channels=[x_channel.pk, masto_channel.pk],
        **{f"variant_{masto_channel.pk}": "Launch day, fediverse!"},
        local_at=local_at,
    )
    post = Post.objects.get()
    assert response["Location"] == reverse("web:post", args=["acme", post.pk])
    expected = datetime.fromisoformat(local_at).replace(tzinfo=BERLIN).astimezone(UTC)
    targets = {t.channel_id: t for t in post.targets.all()}
    assert {t.state for t in targets.values()} == {TargetState.SCHEDULED}
    assert {t.due_at for t in targets.values()} == {expected}
    assert targets[masto_channel.pk].text == "Launch day, fediverse!"
    assert targets[x_channel.pk].text == ""


def test_scheduling_relative_to_a_campaign(
    signed_in: Client, x_channel: Any, workspace: Any
) -> None:
    from cuecast.campaigns.models import Campaign

    ends = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    campaign = Campaign.objects.create(
        workspace=workspace,
        name="Spring sale",
        starts_at=datetime.now(UTC) + timedelta(days=5),
        ends_at=ends,
        timezone="Europe/Berlin",
    )
    response = _post(
        signed_in,
        text="Last chance!",
        channels=[x_channel.pk],
        when="cue",
        campaign=campaign.pk,
        cue_event="end",
        cue_direction="before",
        cue_days=2,
        cue_hours=0,
        cue_time="09:00",
    )
    assert response.status_code == 302
    target = Target.objects.get()
    local = target.due_at.astimezone(BERLIN)
    assert (local.date(), local.hour, local.minute) == (
        (ends.astimezone(BERLIN) - timedelta(days=2)).date(),
        9,
        0,
    )


def test_cue_without_a_campaign_says_so(signed_in: Client, x_channel: Any) -> None:
    response = _post(signed_in, text="Hi", channels=[x_channel.pk], when="cue")
    assert "Choose the campaign" in _errors_of(response.content, "id_campaign")


def test_saving_as_a_draft(signed_in: Client, x_channel: Any) -> None:
    response = _post(signed_in, text="Later", channels=[x_channel.pk], when="draft")
    assert response.status_code == 302
    assert Target.objects.get().state == TargetState.DRAFT


def test_a_viewer_cannot_compose(
    client: Client, workspace: Any, x_channel: Any, actor: Any
) -> None:
    from cuecast.accounts.models import Role, User
    from cuecast.accounts.services import add_member

    viewer = User.objects.create_user("victor", password="a decent password")
    add_member(actor, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    response = _post(client, text="Hi", channels=[x_channel.pk], local_at=_future_local())
    assert b"Your role does not allow writing posts" in response.content
    assert Post.objects.count() == 0


# -- the live count ----------------------------------------------------------------------------


def test_count_uses_each_networks_rule(
    signed_in: Client, x_channel: Any, masto_channel: Any
) -> None:
    text = "See https://example.com/a/very/long/path/that/is/longer/than/twenty-three"
    response = signed_in.post(reverse("web:compose_count", args=["acme"]), {"text": text})
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["channels"]}
    assert rows[x_channel.pk]["count"] == len("See ") + 23  # X counts every URL as 23
    assert rows[x_channel.pk]["limit"] == 280
    assert rows[masto_channel.pk]["count"] == len("See ") + 23
    assert rows[masto_channel.pk]["limit"] == 500
    assert all(row["fits"] for row in rows.values())


def test_count_takes_variants_as_json(
    signed_in: Client, x_channel: Any, masto_channel: Any
) -> None:
    response = signed_in.post(
        reverse("web:compose_count", args=["acme"]),
        json.dumps({"text": "short", "variants": {str(x_channel.pk): "x" * 290}}),
        content_type="application/json",
    )
    rows = {row["id"]: row for row in response.json()["channels"]}
    assert rows[x_channel.pk] == {
        "id": x_channel.pk,
        "network": "x",
        "count": 290,
        "limit": 280,
        "fits": False,
        "over_by": 10,
        "uses_variant": True,
    }
    assert rows[masto_channel.pk]["count"] == 5


def test_count_matches_validation(signed_in: Client, x_channel: Any) -> None:
    """What the live count calls fitting, saving accepts; one over, saving refuses."""
    text = "ü" * 280
    count = signed_in.post(reverse("web:compose_count", args=["acme"]), {"text": text}).json()
    assert count["channels"][0]["fits"] is True
    assert _post(signed_in, text=text, channels=[x_channel.pk], when="draft").status_code == 302


def test_count_refuses_get_and_bad_json(signed_in: Client, x_channel: Any) -> None:
    url = reverse("web:compose_count", args=["acme"])
    assert signed_in.get(url).status_code == 405
    bad = signed_in.post(url, "{nope", content_type="application/json")
    assert bad.status_code == 400
