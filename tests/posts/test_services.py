"""Creating posts: validated as a whole, nothing half-created, schedules resolved to UTC."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from cuecast.accounts.models import AuditEvent, Role
from cuecast.accounts.services import Actor
from cuecast.campaigns.services import CampaignSpec, create_campaign, update_campaign
from cuecast.posts.models import Post, ScheduleKind, Target, TargetState
from cuecast.posts.services import (
    PostDraft,
    ScheduleSpec,
    TargetSpec,
    ValidationFailed,
    approve_post,
    cancel_post,
    create_post,
)


def soon(seconds: int = 60) -> ScheduleSpec:
    return ScheduleSpec(kind=ScheduleKind.AT, at=timezone.now() + timedelta(seconds=seconds))


def test_post_to_both_channels_is_scheduled(actor, channels) -> None:
    draft = PostDraft(
        text="Hello from Cuecast",
        targets=[
            TargetSpec(channels["x"].pk),
            TargetSpec(channels["mastodon"].pk, "Hallo Fediverse"),
        ],
        schedule=soon(),
    )
    post = create_post(actor, draft)
    targets = {t.channel.network: t for t in post.targets.all()}
    assert {t.state for t in targets.values()} == {TargetState.SCHEDULED}
    assert targets["mastodon"].effective_text == "Hallo Fediverse"
    assert targets["x"].effective_text == "Hello from Cuecast"
    assert targets["x"].next_attempt_at == targets["x"].due_at
    assert AuditEvent.objects.filter(action="post.created", object_id=str(post.pk)).exists()


def test_over_the_x_limit_names_channel_limit_and_count_and_creates_nothing(
    actor, channels
) -> None:
    draft = PostDraft(
        text="a" * 281,
        targets=[TargetSpec(channels["mastodon"].pk), TargetSpec(channels["x"].pk)],
        schedule=soon(),
    )
    with pytest.raises(ValidationFailed) as caught:
        create_post(actor, draft)
    [error] = caught.value.errors
    assert error.field == "targets[1].text"
    assert "X" in error.message and "281" in error.message and "280" in error.message
    assert channels["x"].display_name in error.message
    assert Post.objects.count() == 0 and Target.objects.count() == 0


def test_a_schedule_in_the_past_is_refused(actor, channels) -> None:
    draft = PostDraft(text="late", targets=[TargetSpec(channels["x"].pk)], schedule=soon(-3600))
    with pytest.raises(ValidationFailed, match="already passed"):
        create_post(actor, draft)
    assert Post.objects.count() == 0


def test_local_schedule_across_dst_is_stored_in_utc(actor, channels) -> None:
    draft = PostDraft(
        text="Autumn",
        targets=[TargetSpec(channels["x"].pk)],
        schedule=ScheduleSpec(
            kind=ScheduleKind.LOCAL, local_at="2027-10-31T09:00", tz="Europe/Berlin"
        ),
    )
    target = create_post(actor, draft).targets.get()
    assert target.due_at == datetime(2027, 10, 31, 8, 0, tzinfo=UTC)


def test_channel_of_another_workspace_is_not_found(actor, channels, owner) -> None:
    from cuecast.accounts.services import create_workspace

    other = create_workspace(slug="other", name="Other", owner=owner)
    draft = PostDraft(text="x", targets=[TargetSpec(channels["x"].pk)], schedule=soon())
    with pytest.raises(ValidationFailed, match="no channel"):
        create_post(Actor(other, Role.OWNER, user=owner), draft)


def test_viewer_cannot_compose(workspace, owner, channels) -> None:
    from cuecast.accounts.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        create_post(
            Actor(workspace, Role.VIEWER, user=owner),
            PostDraft("x", [TargetSpec(channels["x"].pk)]),
        )


def test_approval_flow(actor, channels, workspace, owner) -> None:
    workspace.requires_approval = True
    workspace.save()
    editor = Actor(workspace, Role.EDITOR, user=owner)
    post = create_post(editor, PostDraft("needs a look", [TargetSpec(channels["x"].pk)], soon()))
    target = post.targets.get()
    assert target.state == TargetState.DRAFT and "approval" in target.reason
    assert approve_post(Actor(workspace, Role.APPROVER, user=owner), post) == 1
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED and target.reason == ""


def test_cancel_leaves_a_claimed_target_alone(actor, channels) -> None:
    post = create_post(
        actor,
        PostDraft(
            "bye", [TargetSpec(channels["x"].pk), TargetSpec(channels["mastodon"].pk)], soon()
        ),
    )
    claimed = post.targets.first()
    Target.objects.filter(pk=claimed.pk).update(state=TargetState.PUBLISHING)
    assert cancel_post(actor, post) == 1
    claimed.refresh_from_db()
    assert claimed.state == TargetState.PUBLISHING
    assert post.targets.filter(state=TargetState.CANCELLED).count() == 1


def test_cued_post_moves_with_its_campaign(actor, channels) -> None:
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    campaign = create_campaign(
        actor, CampaignSpec("Spring sale", start, start + timedelta(days=30), "Europe/Berlin")
    )
    post = create_post(
        actor,
        PostDraft(
            "Two days left!",
            [TargetSpec(channels["mastodon"].pk)],
            ScheduleSpec(
                kind=ScheduleKind.CUE,
                campaign_id=campaign.pk,
                cue_event="end",
                cue_offset=-timedelta(days=2),
                cue_time=time(9, 0),
            ),
        ),
    )
    target = post.targets.get()
    assert target.due_at == datetime(
        2027, 3, 29, 7, 0, tzinfo=UTC
    )  # 31 Mar end → 29 Mar 09:00 CEST
    update_campaign(
        actor,
        campaign,
        CampaignSpec("Spring sale", start, start + timedelta(days=20), "Europe/Berlin"),
    )
    target.refresh_from_db()
    assert target.due_at == datetime(2027, 3, 19, 8, 0, tzinfo=UTC)  # 21 Mar end → 19 Mar 09:00 CET
    assert target.next_attempt_at == target.due_at


def test_validation_messages_speak_the_users_language(actor, channels) -> None:
    from django.utils import translation

    draft = PostDraft(text="a" * 281, targets=[TargetSpec(channels["x"].pk)], schedule=soon())
    with translation.override("de"), pytest.raises(ValidationFailed) as caught:
        create_post(actor, draft)
    assert caught.value.errors[0].message.startswith("Zu lang für ")
    assert "281 Zeichen, erlaubt sind 280 (1 zu viel)" in caught.value.errors[0].message


def test_network_options_are_checked_and_reach_the_network(actor, channels, sandbox) -> None:
    from cuecast.publishing import dispatcher

    bad = PostDraft(
        "Spoilers ahead",
        [
            TargetSpec(channels["x"].pk, options={"content_warning": "film"}),
            TargetSpec(
                channels["mastodon"].pk, options={"visibility": "secret", "language": "German"}
            ),
        ],
        soon(),
    )
    with pytest.raises(ValidationFailed) as caught:
        create_post(actor, bad)
    messages = {e.field: e.message for e in caught.value.errors}
    assert messages["targets[0].options.content_warning"] == "X has no setting “content_warning”."
    assert messages["targets[1].options.visibility"].startswith("Visibility must be one of: public")
    assert "two-letter code" in messages["targets[1].options.language"]
    assert Post.objects.count() == 0

    good = PostDraft(
        "Spoilers ahead",
        [
            TargetSpec(
                channels["mastodon"].pk,
                options={"content_warning": "film", "visibility": "unlisted", "language": "de"},
            )
        ],
        soon(30),
    )
    target = create_post(actor, good).targets.get()
    dispatcher.run_until_idle(target.due_at + timedelta(seconds=1))
    [received] = sandbox.control.received("mastodon")
    extra = received["extra"]
    assert (extra["spoiler_text"], extra["visibility"], extra["language"]) == (
        "film",
        "unlisted",
        "de",
    )


def test_each_networks_media_rules_are_named(actor, channels) -> None:
    from django.core.files.base import ContentFile

    from cuecast.posts.models import Media

    def media(kind: str, width: int, height: int, size: int = 100) -> Media:
        item = Media(
            workspace=actor.workspace,
            content_type=kind,
            size_bytes=size,
            width=width,
            height=height,
        )
        item.file.save("m.bin", ContentFile(b"x"), save=True)
        return item

    tiff = media("image/tiff", 10, 10)
    five = [media("image/png", 10, 10) for _ in range(5)]
    draft = PostDraft(
        "pics", [TargetSpec(channels["x"].pk)], soon(), media_ids=[tiff.pk, *(m.pk for m in five)]
    )
    with pytest.raises(ValidationFailed) as caught:
        create_post(actor, draft)
    text = " ".join(e.message for e in caught.value.errors)
    assert "X takes at most 4 images per post" in text
    assert "X does not take image/tiff images" in text


def test_instagram_aspect_ratio_is_named(actor, sandbox) -> None:
    from django.core.files.base import ContentFile

    from cuecast.accounts.demo import sandbox_account
    from cuecast.channels.services import save_connected_account
    from cuecast.posts.models import Media

    instagram = save_connected_account(
        actor, "instagram", sandbox_account(sandbox.url, "instagram")
    )
    banner = Media(
        workspace=actor.workspace, content_type="image/jpeg", size_bytes=100, width=300, height=100
    )
    banner.file.save("b.jpg", ContentFile(b"x"), save=True)
    draft = PostDraft("wide", [TargetSpec(instagram.pk)], soon(), media_ids=[banner.pk])
    with pytest.raises(ValidationFailed) as caught:
        create_post(actor, draft)
    [error] = caught.value.errors
    assert error.message.startswith("Instagram needs images between 0.8:1 and 1.91:1")
    assert "this one is 3.0:1" in error.message
