"""apply_remote: campaigns upserted from the platform's view, changes become cues, cued posts
move, are held and released, each with its cause in their history; the same data twice is a no-op."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from cuecast.campaigns.models import Campaign, CampaignEvent, CampaignSource, CampaignStatus
from cuecast.campaigns.sources.base import RemoteStatus
from cuecast.campaigns.sync import apply_remote
from cuecast.posts.models import HoldCause, Target, TargetEvent, TargetState

from .conftest import BERLIN, cued_post, remote

CAUSE = "synced from Microsoft Advertising"
NOW = datetime(2027, 9, 1, 12, 0, tzinfo=UTC)  # before the flight


def kinds(campaign: Campaign) -> list[str]:
    return list(campaign.events.order_by("at", "id").values_list("kind", flat=True))


def test_first_sync_creates_the_campaign_with_a_created_cue(ad_account: Any) -> None:
    report = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW)
    [campaign] = report.created
    assert campaign.source == CampaignSource.SYNC and campaign.ad_account == ad_account
    assert (campaign.platform, campaign.external_id) == ("microsoft", "111")
    assert campaign.budget_amount == Decimal("50.00") and campaign.currency == "EUR"
    assert campaign.status == CampaignStatus.ACTIVE and campaign.timezone == BERLIN
    assert kinds(campaign) == ["created"]
    assert campaign.events.get().cause == CAUSE


def test_the_same_data_twice_changes_nothing_and_writes_no_event(
    ad_account: Any, actor: Any, channel: Any
) -> None:
    [campaign] = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW).created
    cued_post(actor, campaign, channel, event="end", offset=-timedelta(days=2), at=time(10))
    again = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW)
    assert again.unchanged == [campaign] and not again.changed
    assert not (again.events or again.moved or again.held or again.released)
    assert CampaignEvent.objects.count() == 1 and TargetEvent.objects.count() == 0


def test_moving_the_end_moves_two_days_before_the_end_at_10_berlin_across_dst(
    ad_account: Any, actor: Any, channel: Any
) -> None:
    [campaign] = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW).created
    end_cued = cued_post(
        actor, campaign, channel, event="end", offset=-timedelta(days=2), at=time(10)
    )
    start_cued = cued_post(actor, campaign, channel, event="start")
    # 30 Oct 2027 10:00 is still summer time in Berlin (UTC+2).
    assert end_cued.due_at == datetime(2027, 10, 30, 8, 0, tzinfo=UTC)

    new_end = datetime.fromisoformat("2027-11-05T18:00:00+01:00")
    report = apply_remote(ad_account, [remote(ends_at=new_end)], cause=CAUSE, now=NOW)

    end_cued.refresh_from_db()
    start_cued.refresh_from_db()
    # 3 Nov 2027 10:00 is winter time (UTC+1): still 10:00 on the wall clock.
    assert end_cued.due_at == datetime(2027, 11, 3, 9, 0, tzinfo=UTC)
    assert end_cued.next_attempt_at == end_cued.due_at
    assert end_cued.state == TargetState.SCHEDULED
    assert start_cued.due_at == datetime(2027, 10, 1, 7, 0, tzinfo=UTC)  # did not move
    [cue] = [e for e in report.events]
    assert cue.kind == "dates_changed"
    assert cue.data == {
        "before": {"ends_at": "2027-11-01T17:00:00+00:00"},
        "after": {"ends_at": "2027-11-05T18:00:00+01:00"},
    }
    [moved] = report.moved
    assert moved.target_id == end_cued.pk and moved.kind == "moved"
    assert moved.from_due == datetime(2027, 10, 30, 8, 0, tzinfo=UTC)
    assert moved.to_due == end_cued.due_at
    assert (
        moved.cause
        == "Campaign “Winter sale” now ends 5 Nov 2027, 18:00 (synced from Microsoft Advertising)"
    )
    # Applying it again does nothing more.
    again = apply_remote(ad_account, [remote(ends_at=new_end)], cause=CAUSE, now=NOW)
    assert not again.changed and TargetEvent.objects.count() == 1


def test_a_date_only_end_is_named_as_that_day(ad_account: Any, actor: Any, channel: Any) -> None:
    [campaign] = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW).created
    cued_post(actor, campaign, channel, event="end", offset=-timedelta(days=2), at=time(10))
    midnight = datetime.fromisoformat("2027-12-13T00:00:00+01:00")  # end of 12 Dec
    report = apply_remote(ad_account, [remote(ends_at=midnight)], cause=CAUSE, now=NOW)
    assert report.moved[0].cause.startswith("Campaign “Winter sale” now ends 12 Dec 2027 (")


def test_pausing_holds_and_resuming_releases_with_history(
    ad_account: Any, actor: Any, channel: Any
) -> None:
    [campaign] = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW).created
    target = cued_post(actor, campaign, channel, event="start")

    paused = apply_remote(
        ad_account, [remote(status=RemoteStatus.PAUSED, status_raw="Paused")], cause=CAUSE, now=NOW
    )
    target.refresh_from_db()
    assert target.state == TargetState.HELD and target.hold == HoldCause.CAMPAIGN
    assert "Winter sale" in target.reason and "paused" in target.reason
    assert [e.kind for e in paused.events] == ["paused"]
    assert [e.target_id for e in paused.held] == [target.pk]
    # Paused twice: nothing new.
    again = apply_remote(
        ad_account, [remote(status=RemoteStatus.PAUSED, status_raw="Paused")], cause=CAUSE, now=NOW
    )
    assert not again.changed

    resumed = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW)
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED and target.hold == HoldCause.NONE
    assert target.next_attempt_at == target.due_at and target.reason == ""
    assert [e.kind for e in resumed.events] == ["resumed"]
    history = list(target.events.values_list("kind", "cause"))
    assert history == [
        ("held", "Campaign “Winter sale” was paused (synced from Microsoft Advertising)"),
        ("released", "Campaign “Winter sale” is running again (synced from Microsoft Advertising)"),
    ]


def test_released_after_its_time_goes_out_now_within_an_hour_else_is_skipped(
    ad_account: Any, actor: Any, channel: Any
) -> None:
    [campaign] = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW).created
    target = cued_post(actor, campaign, channel, event="start")
    other = cued_post(actor, campaign, channel, event="end")
    apply_remote(ad_account, [remote(status=RemoteStatus.PAUSED)], cause=CAUSE, now=NOW)
    start = datetime(2027, 10, 1, 7, 0, tzinfo=UTC)

    half_hour_late = start + timedelta(minutes=30)
    apply_remote(ad_account, [remote()], cause=CAUSE, now=half_hour_late)
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED and target.next_attempt_at == half_hour_late

    apply_remote(ad_account, [remote(status=RemoteStatus.PAUSED)], cause=CAUSE, now=half_hour_late)
    other.refresh_from_db()
    assert other.state == TargetState.HELD
    two_days_after_end = datetime(2027, 11, 3, 12, 0, tzinfo=UTC)
    apply_remote(ad_account, [remote()], cause=CAUSE, now=two_days_after_end)
    other.refresh_from_db()
    assert other.state == TargetState.CANCELLED
    assert other.reason.startswith("Skipped:") and "Winter sale" in other.reason
    assert other.events.last().kind == "skipped"  # type: ignore[union-attr]


def test_started_and_ended_cues_come_when_the_clock_passes_them(ad_account: Any) -> None:
    [campaign] = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW).created
    during = datetime(2027, 10, 2, tzinfo=UTC)
    report = apply_remote(ad_account, [remote()], cause=CAUSE, now=during)
    assert [e.kind for e in report.events] == ["started"]
    assert report.events[0].at == campaign.starts_at
    assert not apply_remote(ad_account, [remote()], cause=CAUSE, now=during).events
    after = datetime(2027, 11, 2, tzinfo=UTC)
    ended = apply_remote(
        ad_account,
        [remote(status=RemoteStatus.ENDED, status_raw="Completed")],
        cause=CAUSE,
        now=after,
    )
    assert [e.kind for e in ended.events] == ["ended"]
    assert ended.events[0].data["early"] is False
    assert kinds(campaign) == ["created", "started", "ended"]


def test_ended_early_holds_and_budget_exhausted_is_a_cue(
    ad_account: Any, actor: Any, channel: Any
) -> None:
    [campaign] = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW).created
    target = cued_post(actor, campaign, channel, event="end", offset=-timedelta(days=1))
    during = datetime(2027, 10, 5, tzinfo=UTC)
    report = apply_remote(
        ad_account,
        [remote(status=RemoteStatus.ENDED, budget_exhausted=True, status_raw="BudgetPaused")],
        cause=CAUSE,
        now=during,
    )
    assert {e.kind for e in report.events} == {"started", "budget_exhausted", "ended"}
    target.refresh_from_db()
    assert target.state == TargetState.HELD and "ended early" in target.reason


def test_removed_or_no_longer_listed_holds_targets(
    ad_account: Any, actor: Any, channel: Any
) -> None:
    [campaign] = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW).created
    target = cued_post(actor, campaign, channel, event="start")
    report = apply_remote(ad_account, [], cause=CAUSE, now=NOW)
    assert [e.kind for e in report.events] == ["removed"]
    target.refresh_from_db()
    assert target.state == TargetState.HELD and "removed" in target.reason
    assert not apply_remote(ad_account, [], cause=CAUSE, now=NOW).changed
    back = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW)
    assert [e.kind for e in back.events] == ["resumed"]
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED


def test_a_campaign_in_another_workspace_with_the_same_id_is_separate(
    ad_account: Any, other_workspace_account: Any
) -> None:
    apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW)
    report = apply_remote(other_workspace_account, [remote()], cause=CAUSE, now=NOW)
    assert len(report.created) == 1
    assert Campaign.objects.filter(external_id="111").count() == 2


def test_a_published_target_never_moves(ad_account: Any, actor: Any, channel: Any) -> None:
    [campaign] = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW).created
    target = cued_post(actor, campaign, channel, event="start")
    Target.objects.filter(pk=target.pk).update(state=TargetState.PUBLISHED)
    report = apply_remote(
        ad_account,
        [remote(starts_at=datetime(2027, 10, 3, 7, tzinfo=UTC), status=RemoteStatus.PAUSED)],
        cause=CAUSE,
        now=NOW,
    )
    assert not report.moved and not report.held
    target.refresh_from_db()
    assert target.due_at == datetime(2027, 10, 1, 7, 0, tzinfo=UTC)


def test_no_start_on_the_platform_keeps_the_one_we_have(ad_account: Any) -> None:
    [campaign] = apply_remote(ad_account, [remote()], cause=CAUSE, now=NOW).created
    report = apply_remote(ad_account, [replace(remote(), starts_at=None)], cause=CAUSE, now=NOW)
    assert report.unchanged == [campaign]
