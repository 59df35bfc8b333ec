"""Holds and releases in one place (cuecast.publishing.holds): every cause writes the target's
history, a release follows the workspace's late policy, and a target two causes hold is let go
only when both have cleared. Runs on SQLite and again on PostgreSQL (the race at the end needs
PostgreSQL's row locks)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from cuecast.accounts.models import LatePolicy
from cuecast.campaigns import cues
from cuecast.campaigns.models import Campaign, CampaignStatus
from cuecast.channels.models import Channel, ChannelStatus, NetworkSwitch
from cuecast.channels.services import mark_disconnected, release_held_targets
from cuecast.channels.switches import switch_network
from cuecast.posts.models import HoldCause, ScheduleKind, Target, TargetState
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
from cuecast.publishing import dispatcher, holds

HOUR = timedelta(hours=1)


@pytest.fixture
def channel(workspace: Any) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="mastodon",
        base_url="https://social.example",
        external_id="2002",
        handle="@acme@social.example",
        display_name="ACME on Mastodon",
        credentials={"access_token": "t"},
    )


def scheduled(actor: Any, channel: Channel, *, in_: timedelta = HOUR, text: str = "Hi") -> Target:
    due = timezone.now() + in_
    post = create_post(
        actor, PostDraft(text, [TargetSpec(channel.pk)], ScheduleSpec(ScheduleKind.AT, at=due))
    )
    return post.targets.get()


def cued(actor: Any, channel: Channel, campaign: Campaign) -> Target:
    spec = ScheduleSpec(ScheduleKind.CUE, campaign_id=campaign.pk, cue_event="start")
    post = create_post(actor, PostDraft("Sale starts", [TargetSpec(channel.pk)], spec))
    return post.targets.get()


@pytest.fixture
def campaign(workspace: Any) -> Campaign:
    starts = timezone.now() + timedelta(days=2)
    return Campaign.objects.create(
        workspace=workspace, name="Winter sale", starts_at=starts, ends_at=starts + 5 * HOUR * 24
    )


def set_status(campaign: Campaign, status: CampaignStatus) -> None:
    campaign.status = status
    campaign.save(update_fields=["status", "updated_at"])


def history(target: Target) -> list[str]:
    return list(target.events.values_list("kind", flat=True))


def fresh(target: Target) -> Target:
    target.refresh_from_db()
    return target


# --- each cause, held and released with its history ------------------------------------------


def test_a_disconnected_channel_holds_and_reconnecting_releases_at_its_own_time(
    actor: Any, channel: Channel
) -> None:
    target = scheduled(actor, channel)
    assert mark_disconnected(channel, "access revoked") == 1
    fresh(target)
    assert (target.state, target.hold) == (TargetState.HELD, HoldCause.CHANNEL)
    assert "ACME on Mastodon is disconnected (access revoked)" in target.reason
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.CONNECTED)
    assert release_held_targets(channel) == 1
    fresh(target)
    assert (target.state, target.hold, target.reason) == (TargetState.SCHEDULED, "", "")
    assert target.next_attempt_at == target.due_at  # its time has not come: it keeps it
    assert history(target) == ["held", "released"]
    assert target.events.first().cause == "ACME on Mastodon was disconnected (access revoked)"  # type: ignore[union-attr]


def test_only_scheduled_targets_are_held_and_only_the_cause_that_held_them_releases(
    actor: Any, channel: Channel
) -> None:
    target = scheduled(actor, channel)
    draft = create_post(actor, PostDraft("Draft", [TargetSpec(channel.pk)])).targets.get()
    events = holds.hold(Target.objects.all(), HoldCause.QUOTA, "Held: cap", timezone.now())
    assert [e.target_id for e in events] == [target.pk]
    assert fresh(draft).state == TargetState.DRAFT
    assert holds.release(Target.objects.all(), HoldCause.CHANNEL, timezone.now()) == []
    assert fresh(target).hold == HoldCause.QUOTA


# --- the late policy ---------------------------------------------------------------------------


def held_since_due(actor: Any, channel: Channel) -> Target:
    target = scheduled(actor, channel, in_=timedelta(minutes=5))
    mark_disconnected(channel, "revoked")
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.CONNECTED)
    return fresh(target)


def test_released_within_the_limit_goes_out_now_and_says_it_is_late(
    actor: Any, channel: Channel
) -> None:
    target = held_since_due(actor, channel)
    assert target.due_at is not None
    now = target.due_at + timedelta(minutes=40)
    [event] = holds.release(Target.objects.all(), HoldCause.CHANNEL, now, history="Reconnected")
    fresh(target)
    assert (target.state, target.next_attempt_at) == (TargetState.SCHEDULED, now)
    assert target.reason.startswith("Published late: held for 40 min past its time (")
    assert "ACME on Mastodon was disconnected" in target.reason
    assert event.kind == "released" and event.cause.startswith("Reconnected; Published late")


def test_released_past_the_limit_is_skipped_with_how_late_and_why(
    actor: Any, channel: Channel
) -> None:
    target = held_since_due(actor, channel)
    assert target.due_at is not None
    now = target.due_at + timedelta(hours=3, minutes=5)
    [event] = holds.release(Target.objects.all(), HoldCause.CHANNEL, now)
    fresh(target)
    assert (target.state, target.next_attempt_at) == (TargetState.CANCELLED, None)
    assert target.reason.startswith("Skipped: its time (")
    assert "passed 3 h 5 min ago while ACME on Mastodon was disconnected" in target.reason
    assert "This workspace publishes held posts at most 1 h late." in target.reason
    assert event.kind == "skipped"


def test_a_longer_limit_publishes_what_the_default_would_skip(
    actor: Any, channel: Channel, workspace: Any
) -> None:
    workspace.late_limit_hours = 6
    workspace.save()
    target = held_since_due(actor, channel)
    assert target.due_at is not None
    holds.release(Target.objects.all(), HoldCause.CHANNEL, target.due_at + 5 * HOUR)
    assert fresh(target).state == TargetState.SCHEDULED


def test_skip_policy_skips_anything_past_its_time_but_not_a_release_on_the_minute(
    actor: Any, channel: Channel, workspace: Any
) -> None:
    workspace.late_policy = LatePolicy.SKIP
    workspace.save()
    on_time, late = held_since_due(actor, channel), scheduled(actor, channel, in_=HOUR)
    assert on_time.due_at is not None and late.due_at is not None
    Target.objects.filter(pk=late.pk).update(
        state=TargetState.HELD, hold=HoldCause.CHANNEL, due_at=on_time.due_at - HOUR
    )
    holds.release(Target.objects.all(), HoldCause.CHANNEL, on_time.due_at + timedelta(seconds=30))
    assert (fresh(on_time).state, on_time.reason) == (TargetState.SCHEDULED, "")
    assert fresh(late).state == TargetState.CANCELLED
    assert "This workspace skips held posts whose time has passed." in late.reason


def test_a_cap_that_reopens_is_released_by_the_worker_under_the_late_policy(
    actor: Any, channel: Channel
) -> None:
    soon = scheduled(actor, channel, in_=timedelta(minutes=5))
    hours_ago = scheduled(actor, channel, in_=timedelta(minutes=6), text="Other")
    assert soon.due_at is not None
    reopens = soon.due_at + timedelta(minutes=30)
    Target.objects.update(state=TargetState.HELD, hold=HoldCause.QUOTA, next_attempt_at=reopens)
    Target.objects.filter(pk=hours_ago.pk).update(due_at=soon.due_at - 3 * HOUR)
    assert dispatcher.release_due_holds(reopens - timedelta(seconds=1)) == 0
    assert dispatcher.release_due_holds(reopens) == 2
    assert (fresh(soon).state, soon.next_attempt_at) == (TargetState.SCHEDULED, reopens)
    assert soon.reason.startswith("Published late: held for 30 min")
    assert fresh(hours_ago).state == TargetState.CANCELLED
    assert "the posting cap of Mastodon was used up" in hours_ago.reason
    assert history(soon) == ["released"] and history(hours_ago) == ["skipped"]


# --- two causes at once ------------------------------------------------------------------------


def test_a_target_held_by_its_campaign_and_its_channel_goes_only_when_both_clear(
    actor: Any, channel: Channel, campaign: Campaign
) -> None:
    target = cued(actor, channel, campaign)
    now = timezone.now()
    set_status(campaign, CampaignStatus.PAUSED)
    cues.hold_targets(campaign, reason="Held: paused", cause="Campaign paused", now=now)
    mark_disconnected(channel, "access revoked")  # held already: keeps its cause
    assert fresh(target).hold == HoldCause.CAMPAIGN

    set_status(campaign, CampaignStatus.ACTIVE)
    [event] = cues.release_targets(campaign, cause="Campaign running again", now=now)
    fresh(target)
    assert (target.state, target.hold) == (TargetState.HELD, HoldCause.CHANNEL)
    assert target.reason.startswith("Held: ACME on Mastodon is disconnected (access revoked)")
    assert event.kind == "held" and "still held: Held: ACME on Mastodon" in event.cause

    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.CONNECTED)
    assert release_held_targets(channel) == 1
    assert fresh(target).state == TargetState.SCHEDULED
    assert history(target) == ["held", "held", "released"]


def test_reconnecting_while_the_campaign_is_paused_leaves_it_held_for_the_campaign(
    actor: Any, channel: Channel, campaign: Campaign
) -> None:
    target = cued(actor, channel, campaign)
    mark_disconnected(channel, "access revoked")
    set_status(campaign, CampaignStatus.PAUSED)  # paused while held: the campaign's hold skips it
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.CONNECTED)
    assert release_held_targets(channel) == 0
    fresh(target)
    assert (target.state, target.hold) == (TargetState.HELD, HoldCause.CAMPAIGN)
    assert (
        target.reason
        == "Held: campaign “Winter sale” is paused. It goes out when the campaign runs again."
    )
    set_status(campaign, CampaignStatus.ACTIVE)
    cues.release_targets(campaign, cause="Running again", now=timezone.now())
    assert fresh(target).state == TargetState.SCHEDULED


def test_a_network_switched_off_outranks_the_channel_on_release(
    actor: Any, channel: Channel
) -> None:
    target = scheduled(actor, channel)
    mark_disconnected(channel, "revoked")
    switch_network("mastodon", enabled=False, reason="API terms under review")
    Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.CONNECTED)
    release_held_targets(channel)
    fresh(target)
    assert (target.state, target.hold) == (TargetState.HELD, HoldCause.NETWORK)
    assert "API terms under review" in target.reason
    result = switch_network("mastodon", enabled=True)
    assert (result.released, fresh(target).state) == (1, TargetState.SCHEDULED)


# --- a network switched off ---------------------------------------------------------------------


def test_switching_a_network_off_holds_new_and_existing_posts_and_on_releases_them(
    actor: Any, channel: Channel, workspace: Any
) -> None:
    before = scheduled(actor, channel)
    result = switch_network("mastodon", enabled=False, reason="Mastodon API outage")
    assert result.held == 1
    fresh(before)
    assert (before.state, before.hold) == (TargetState.HELD, HoldCause.NETWORK)
    assert before.reason.startswith("Held: Mastodon is switched off by the administrator")
    assert "Mastodon API outage" in before.reason
    after = scheduled(actor, channel, text="Written while off")
    assert (after.state, after.hold) == (TargetState.HELD, HoldCause.NETWORK)
    audit = workspace.audit_events.filter(action="network.switched_off").get()
    assert audit.data == {"network": "mastodon", "reason": "Mastodon API outage"}

    result = switch_network("mastodon", enabled=True)
    assert (result.released, result.skipped) == (2, 0)
    assert fresh(before).state == fresh(after).state == TargetState.SCHEDULED
    assert history(before) == ["held", "released"]


def test_switching_off_needs_a_reason_and_a_known_network() -> None:
    from cuecast.channels.switches import SwitchRefused

    with pytest.raises(SwitchRefused, match="Say why"):
        switch_network("x", enabled=False, reason="  ")
    with pytest.raises(SwitchRefused, match="does not know a network called “myspace”"):
        switch_network("myspace", enabled=False, reason="gone")


def test_the_worker_holds_a_post_that_came_back_from_a_call_while_its_network_was_off(
    actor: Any, channel: Channel
) -> None:
    target = scheduled(actor, channel)
    Target.objects.filter(pk=target.pk).update(state=TargetState.PUBLISHING)  # on its way
    switch_network("mastodon", enabled=False, reason="outage")
    assert fresh(target).state == TargetState.PUBLISHING  # a call under way finishes
    Target.objects.filter(pk=target.pk).update(state=TargetState.SCHEDULED)  # "retry later"
    assert dispatcher.release_due_holds(timezone.now()) == 1
    assert (fresh(target).state, target.hold) == (TargetState.HELD, HoldCause.NETWORK)
    assert dispatcher.run_once(target.due_at + HOUR) == 0  # type: ignore[operator]


def test_each_workspace_releases_under_its_own_policy(
    actor: Any, channel: Channel, db: None
) -> None:
    from cuecast.accounts.models import User
    from cuecast.accounts.services import actor_for_user, create_workspace

    bob = User.objects.create_user("bob", password="another good password")
    strict = create_workspace(slug="strict", name="Strict", owner=bob)
    strict.late_policy = LatePolicy.SKIP
    strict.save()
    strict_channel = Channel.objects.create(
        workspace=strict, network="mastodon", external_id="3", handle="s", display_name="S"
    )
    ours = scheduled(actor, channel, in_=timedelta(minutes=5))
    theirs = scheduled(actor_for_user(bob, strict), strict_channel, in_=timedelta(minutes=5))
    switch_network("mastodon", enabled=False, reason="outage")
    assert ours.due_at is not None
    switch_network("mastodon", enabled=True, now=ours.due_at + timedelta(minutes=20))
    assert fresh(ours).state == TargetState.SCHEDULED
    assert fresh(theirs).state == TargetState.CANCELLED


# --- cue moves into the past follow the policy too ----------------------------------------------


def test_a_cue_move_into_the_past_follows_the_late_policy(
    actor: Any, channel: Channel, campaign: Campaign, workspace: Any
) -> None:
    target = cued(actor, channel, campaign)
    now = campaign.starts_at + timedelta(minutes=30)
    campaign.starts_at -= timedelta(minutes=45)  # now 1 h 15 min in the past
    campaign.save()
    cues.move_targets(campaign, "Campaign moved", now)
    assert fresh(target).state == TargetState.CANCELLED
    assert target.reason.startswith("Skipped: campaign “Winter sale” moved")
    assert history(target) == ["moved", "skipped"]


# --- the race: a post created while its network is switched off (PostgreSQL) --------------------


@pytest.mark.postgres
def test_a_post_created_while_the_network_is_switched_off_is_held(
    monkeypatch: pytest.MonkeyPatch, transactional_db: None, actor: Any, channel: Channel
) -> None:
    """The creator reads the switch (share lock) and pauses before committing; the switch waits
    for it, then holds the new target. Without the lock the new target would stay scheduled."""
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (scripts/with_postgres.py)")
    import cuecast.posts.services as post_services

    read_switch, release_creator = threading.Event(), threading.Event()
    real_audit = post_services.audit
    errors: list[BaseException] = []

    def paused_audit(*args: Any, **kwargs: Any) -> None:
        read_switch.set()  # the target row is written: the creator holds the share lock
        release_creator.wait(30)
        real_audit(*args, **kwargs)

    monkeypatch.setattr(post_services, "audit", paused_audit)

    def create() -> None:
        try:
            scheduled(actor, channel, text="Created during the switch")
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    def switch_off() -> None:
        try:
            switch_network("mastodon", enabled=False, reason="outage")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    creator = threading.Thread(target=create)
    creator.start()
    assert read_switch.wait(30)
    switcher = threading.Thread(target=switch_off)
    switcher.start()
    switcher.join(1)
    assert switcher.is_alive()  # it waits for the creator's lock on the switch row
    release_creator.set()
    creator.join(30)
    switcher.join(30)
    assert not errors, errors
    target = Target.objects.get()
    assert (target.state, target.hold) == (TargetState.HELD, HoldCause.NETWORK)
    assert not NetworkSwitch.objects.get(network="mastodon").enabled


@pytest.mark.postgres
def test_a_post_created_just_after_the_switch_sees_it(
    transactional_db: None, actor: Any, channel: Channel
) -> None:
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (scripts/with_postgres.py)")
    with transaction.atomic():
        switch_network("mastodon", enabled=False, reason="outage")
        created: list[Target] = []
        # Another connection creates a post while the switch's transaction is still open.
        thread = threading.Thread(target=lambda: created.append(_create_elsewhere(actor, channel)))
        thread.start()
        thread.join(1)
        assert thread.is_alive()  # it waits for the switch to commit
    thread.join(30)
    assert (created[0].state, created[0].hold) == (TargetState.HELD, HoldCause.NETWORK)


def _create_elsewhere(actor: Any, channel: Channel) -> Target:
    try:
        return scheduled(actor, channel, text="Right after the switch")
    finally:
        connections.close_all()


def test_describe_duration_is_short_and_exact() -> None:
    assert holds.describe_duration(timedelta(minutes=40)) == "40 min"
    assert holds.describe_duration(timedelta(hours=3, minutes=5)) == "3 h 5 min"
    assert holds.describe_duration(timedelta(days=2, hours=4, minutes=59)) == "2 d 4 h"
    assert holds.describe_duration(timedelta(hours=1)) == "1 h"
    assert holds.lateness(
        _ws(LatePolicy.PUBLISH_LATE, 1),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 1, 0, 1, tzinfo=UTC),
    ).skip


def _ws(policy: str, hours: int) -> Any:
    from cuecast.accounts.models import Workspace

    return Workspace(late_policy=policy, late_limit_hours=hours)
