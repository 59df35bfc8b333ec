"""The dispatcher against the sandbox over real HTTP: every outcome of the target state machine.

These tests run on SQLite and again on PostgreSQL (make test-postgres).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cuecast.channels.models import ChannelStatus
from cuecast.posts.models import HoldCause, ScheduleKind, Target, TargetState
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
from cuecast.publishing import dispatcher
from cuecast.publishing.models import AttemptKind, AttemptOutcome, PublishAttempt


def schedule(actor, channels, text: str, networks=("x", "mastodon"), seconds: int = 30):
    due = timezone.now() + timedelta(seconds=seconds)
    post = create_post(
        actor,
        PostDraft(
            text,
            [TargetSpec(channels[n].pk) for n in networks],
            ScheduleSpec(ScheduleKind.AT, at=due),
        ),
    )
    return post, due


def received_texts(sandbox, network: str) -> list[str]:
    return [
        item.get("text") or item.get("status") or "" for item in sandbox.control.received(network)
    ]


def test_nothing_is_published_before_its_time(actor, channels, sandbox) -> None:
    _, due = schedule(actor, channels, "Not yet")
    assert dispatcher.run_once(due - timedelta(seconds=1)) == 0
    assert sandbox.control.received("x") == []


def test_published_on_both_networks_exactly_once(actor, channels, sandbox) -> None:
    post, due = schedule(actor, channels, "Launch day: meet Cuecast")
    assert dispatcher.run_until_idle(due + timedelta(seconds=1)) == 2
    assert dispatcher.run_until_idle(due + timedelta(seconds=60)) == 0
    for target in post.targets.select_related("channel"):
        assert target.state == TargetState.PUBLISHED, target.reason
        assert target.external_id and target.permalink.startswith("http")
        attempt = target.attempts.get()
        assert attempt.outcome == AttemptOutcome.PUBLISHED and attempt.finished_at
    assert len(sandbox.control.received("x")) == 1
    assert len(sandbox.control.received("mastodon")) == 1


@pytest.mark.parametrize("network", ["x", "mastodon"])
def test_timeout_after_accept_is_reconciled_not_resent(
    actor, channels, sandbox, settings, network
) -> None:
    from cuecast import config

    sandbox.control.fault(network, "timeout_after_accept", seconds=3)
    post, due = schedule(actor, channels, f"Timeout on {network}", networks=(network,))
    _with_short_read_timeout(settings)
    dispatcher.run_once(due + timedelta(seconds=1))
    target = post.targets.get()
    assert target.state == TargetState.UNCONFIRMED
    assert len(sandbox.control.received(network)) == 1
    dispatcher.run_until_idle(due + timedelta(minutes=5))
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED, target.reason
    assert len(sandbox.control.received(network)) == 1
    kinds = list(target.attempts.values_list("kind", "outcome"))
    assert (AttemptKind.PUBLISH, AttemptOutcome.UNKNOWN) in kinds
    assert (AttemptKind.RECONCILE, AttemptOutcome.FOUND) in kinds
    config.load.cache_clear()


def _with_short_read_timeout(settings) -> None:
    """Make the worker's calls give up after 1 s so the sandbox's held answer times out quickly."""
    import os

    from cuecast import config

    os.environ["CUECAST_WORKER_CALL_TIMEOUT_SECONDS"] = "1"
    config.load.cache_clear()


@pytest.fixture(autouse=True)
def _restore_timeout():
    import os

    from cuecast import config

    yield
    os.environ.pop("CUECAST_WORKER_CALL_TIMEOUT_SECONDS", None)
    config.load.cache_clear()


def test_server_error_before_accepting_is_retried_once_proven_absent(
    actor, channels, sandbox
) -> None:
    sandbox.control.fault("x", "error_5xx", status=503)
    post, due = schedule(actor, channels, "Retry me", networks=("x",))
    dispatcher.run_until_idle(due + timedelta(seconds=1))
    dispatcher.run_until_idle(due + timedelta(minutes=10))
    target = post.targets.get()
    assert target.state == TargetState.PUBLISHED, target.reason
    assert len(sandbox.control.received("x")) == 1


def test_rate_limited_waits_for_the_reset_the_network_names(actor, channels, sandbox) -> None:
    post, due = schedule(actor, channels, "Slow down", networks=("mastodon",))
    # The sandbox's rate windows follow its clock: run it on the test's clock from here on.
    saved_clock = sandbox.state.clock
    sandbox.state.clock = lambda: (due + timedelta(seconds=1)).timestamp()
    sandbox.control.fault("mastodon", "rate_limit_burst")
    dispatcher.run_once(due + timedelta(seconds=1))
    target = post.targets.get()
    assert target.state == TargetState.SCHEDULED
    assert target.next_attempt_at > due + timedelta(seconds=1)
    assert "Waiting" in target.reason
    requests_before = len(sandbox.control.requests("mastodon"))
    dispatcher.run_once(due + timedelta(seconds=2))  # before the reset: no call at all
    assert len(sandbox.control.requests("mastodon")) == requests_before
    # Move the sandbox's clock past the reset it announced, as real time would.
    later = target.next_attempt_at + timedelta(seconds=1)
    sandbox.state.clock = lambda: later.timestamp()
    try:
        dispatcher.run_until_idle(later)
    finally:
        sandbox.state.clock = saved_clock
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED


def test_expired_token_is_refreshed_without_the_user(actor, channels, sandbox) -> None:
    channel = channels["x"]
    old_refresh = channel.credentials["refresh_token"]
    sandbox.control.fault("x", "expire_token", user="cuecast_demo")
    post, due = schedule(actor, channels, "Fresh token", networks=("x",))
    dispatcher.run_until_idle(due + timedelta(seconds=1))
    target = post.targets.get()
    assert target.state == TargetState.PUBLISHED, target.reason
    channel.refresh_from_db()
    assert channel.credentials["refresh_token"] != old_refresh  # rotated and stored


def test_revoked_token_disconnects_and_holds_until_reconnected(actor, channels, sandbox) -> None:
    from cuecast.accounts.demo import sandbox_accounts
    from cuecast.channels.services import save_connected_account

    sandbox.control.fault("x", "revoke_token", user="cuecast_demo")
    first, due = schedule(actor, channels, "Revoked one", networks=("x",))
    second, _ = schedule(actor, channels, "Revoked two", networks=("x",), seconds=3600)
    dispatcher.run_until_idle(due + timedelta(seconds=1))
    channel = channels["x"]
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISCONNECTED and channel.status_reason
    for post in (first, second):
        target = post.targets.get()
        assert target.state == TargetState.HELD and target.hold == HoldCause.CHANNEL
        assert "connect" in target.reason.lower()
    save_connected_account(actor, "x", sandbox_accounts(sandbox.url)["x"])
    assert set(Target.objects.values_list("state", flat=True)) == {TargetState.SCHEDULED}
    dispatcher.run_until_idle(due + timedelta(seconds=5))
    assert first.targets.get().state == TargetState.PUBLISHED


def test_access_tier_without_the_endpoint_holds_with_the_reason(actor, channels, sandbox) -> None:
    sandbox.control.fault("x", "tier", tier="unenrolled", count=5)
    post, due = schedule(actor, channels, "No access", networks=("x",))
    dispatcher.run_until_idle(due + timedelta(seconds=1))
    target = post.targets.get()
    assert target.state == TargetState.HELD and target.hold == HoldCause.ACCESS_TIER
    assert "access" in target.reason.lower()
    assert sandbox.control.received("x") == []


def test_worker_death_after_recording_the_attempt_is_reconciled(
    actor, channels, sandbox, settings
) -> None:
    from cuecast import config

    post, due = schedule(actor, channels, "Crash between attempt and call")
    now = due + timedelta(seconds=1)
    ids = dispatcher.claim("dead-worker", now, 10)
    dispatcher.record_attempts(ids, "dead-worker", now, AttemptKind.PUBLISH)
    # …and the worker dies here, before any call. Its leases run out:
    later = now + timedelta(seconds=config.load().worker_lease_seconds + 1)
    assert dispatcher.recover_expired_leases(later) == 2
    assert set(post.targets.values_list("state", flat=True)) == {TargetState.UNCONFIRMED}
    dispatcher.run_until_idle(later)
    dispatcher.run_until_idle(later + timedelta(seconds=1))
    assert set(post.targets.values_list("state", flat=True)) == {TargetState.PUBLISHED}
    assert (
        len(sandbox.control.received("x")) == 1 and len(sandbox.control.received("mastodon")) == 1
    )
    assert PublishAttempt.objects.filter(outcome=AttemptOutcome.NOT_FOUND).count() == 2


def test_two_claims_never_share_a_target(actor, channels, sandbox) -> None:
    _, due = schedule(actor, channels, "Claimed once")
    now = due + timedelta(seconds=1)
    first = dispatcher.claim("w1", now, 10)
    second = dispatcher.claim("w2", now, 10)
    assert len(first) == 2 and second == []
