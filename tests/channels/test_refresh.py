"""The background renewal of idle channels' access (cuecast.channels.refresh), against the sandbox's
Threads and Instagram token endpoints over real HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from cuecast.accounts.demo import sandbox_account
from cuecast.accounts.services import actor_for_user, create_workspace
from cuecast.channels import refresh
from cuecast.channels.models import Channel, ChannelStatus
from cuecast.channels.services import save_connected_account
from cuecast.compliance.models import ApiCall
from cuecast.networks.base import ConnectedAccount
from cuecast.posts.models import HoldCause, ScheduleKind, TargetState
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post

DAY = timedelta(days=1)
THREADS_USER = "cuecast_demo"


def threads_account(sandbox: Any, *, expires_in: timedelta, age: timedelta) -> ConnectedAccount:
    """A Threads account whose long-lived token was issued `age` ago and ends in `expires_in`,
    in the sandbox and in Cuecast's record alike."""
    tokens = sandbox.control.tokens(
        "threads",
        THREADS_USER,
        expires_in=int(expires_in.total_seconds()),
        age=int(age.total_seconds()),
    )
    now = datetime.now(UTC)
    expires = now + expires_in
    return ConnectedAccount(
        external_id=str(tokens["user_id"]),
        handle=str(tokens["username"]),
        display_name="ACME on Threads",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "expires_at": expires.isoformat(),
            "issued_at": (now - age).isoformat(),
        },
        token_expires_at=expires,
    )


def connect_threads(actor: Any, sandbox: Any, *, expires_in: timedelta) -> Channel:
    account = threads_account(sandbox, expires_in=expires_in, age=60 * DAY - expires_in)
    return save_connected_account(actor, "threads", account)


def fresh(channel: Channel) -> Channel:
    channel.refresh_from_db()
    return channel


def refresh_calls(channel: Channel) -> list[ApiCall]:
    return list(ApiCall.objects.filter(channel_id=channel.pk, purpose="refresh"))


@pytest.fixture
def other_actor(owner: Any) -> Any:
    return actor_for_user(owner, create_workspace(slug="beta", name="Beta", owner=owner))


def test_a_token_about_to_expire_is_renewed_and_one_far_from_it_is_left_alone(
    actor: Any, other_actor: Any, sandbox: Any
) -> None:
    soon = connect_threads(actor, sandbox, expires_in=3 * DAY)
    later = connect_threads(other_actor, sandbox, expires_in=30 * DAY)
    old_token, later_token = soon.credentials["access_token"], later.credentials["access_token"]
    assert refresh.refresh_due() == 1
    soon, later = fresh(soon), fresh(later)
    assert soon.credentials["access_token"] != old_token
    assert soon.token_expires_at is not None
    assert soon.token_expires_at > timezone.now() + 59 * DAY  # a new 60-day token
    assert (soon.refresh_lease_owner, soon.refresh_lease_expires_at) == ("", None)
    assert later.credentials["access_token"] == later_token
    # The renewal is in the ledger, for the channel and its workspace; nothing for the other.
    [call] = refresh_calls(soon)
    assert (call.network, call.workspace_id, call.status) == ("threads", actor.workspace.pk, 200)
    assert call.path.endswith("/refresh_access_token")
    assert refresh_calls(later) == []
    # The renewed token works, and nothing is due any more.
    assert refresh.refresh_due() == 0


def test_an_instagram_token_is_renewed_through_its_connector(actor: Any, sandbox: Any) -> None:
    account = sandbox_account(sandbox.url, "instagram")
    channel = save_connected_account(actor, "instagram", account)
    assert refresh.refresh_due() == 0  # 60 days left: outside Instagram's 7-day lead
    Channel.objects.filter(pk=channel.pk).update(token_expires_at=timezone.now() + 2 * DAY)
    old_token = channel.credentials["access_token"]
    assert refresh.refresh_due() == 1
    channel = fresh(channel)
    assert channel.credentials["access_token"] != old_token
    assert (
        channel.token_expires_at is not None
        and channel.token_expires_at > timezone.now() + 50 * DAY
    )
    assert [c.status for c in refresh_calls(channel)] == [200]


def test_networks_that_renew_expired_tokens_are_left_to_publishing(
    channels: dict[str, Channel],
) -> None:
    """X's tokens last two hours and its refresh token renews them even after: the publishing
    path renews them when they are used (and X rotates refresh tokens: two renewers would race)."""
    Channel.objects.filter(pk=channels["x"].pk).update(token_expires_at=timezone.now())
    assert "x" not in refresh.renewing_networks()
    assert set(refresh.renewing_networks()) == {"instagram", "threads"}
    assert refresh.refresh_due() == 0


def test_a_revoked_token_disconnects_the_channel_and_holds_its_posts(
    actor: Any, sandbox: Any
) -> None:
    channel = connect_threads(actor, sandbox, expires_in=3 * DAY)
    due = timezone.now() + DAY
    post = create_post(
        actor,
        PostDraft("Sale", [TargetSpec(channel.pk)], ScheduleSpec(ScheduleKind.AT, at=due)),
    )
    sandbox.control.fault("threads", "revoke_token", user=THREADS_USER)
    assert refresh.refresh_due() == 1
    channel = fresh(channel)
    assert channel.status == ChannelStatus.DISCONNECTED
    assert channel.status_reason.startswith("Cuecast could not renew its access")
    assert "Connect the Threads account again" in channel.status_reason
    target = post.targets.get()
    assert (target.state, target.hold) == (TargetState.HELD, HoldCause.CHANNEL)
    assert list(target.events.values_list("kind", flat=True)) == ["held"]
    assert [c.status for c in refresh_calls(channel)] == [400]
    assert refresh.refresh_due() == 0  # a disconnected channel waits for its user


def test_a_token_that_ran_out_disconnects_without_a_call(actor: Any, sandbox: Any) -> None:
    channel = connect_threads(actor, sandbox, expires_in=3 * DAY)
    gone = timezone.now() - timedelta(minutes=1)
    credentials = {**channel.credentials, "expires_at": gone.isoformat()}
    Channel.objects.filter(pk=channel.pk).update(credentials=credentials, token_expires_at=gone)
    assert refresh.refresh_due() == 1
    channel = fresh(channel)
    assert channel.status == ChannelStatus.DISCONNECTED
    assert channel.status_reason == (
        "Its access ran out before Cuecast could renew it. Connect the Threads account again."
    )
    assert refresh_calls(channel) == []


def test_a_passing_failure_is_tried_again_later(actor: Any, sandbox: Any) -> None:
    channel = connect_threads(actor, sandbox, expires_in=3 * DAY)
    old_token = channel.credentials["access_token"]
    sandbox.control.fault(
        "threads", "error_5xx", endpoint="GET /refresh_access_token", status=503, count=3
    )
    now = timezone.now()
    assert refresh.refresh_due(now) == 1
    channel = fresh(channel)
    assert channel.status == ChannelStatus.CONNECTED
    assert channel.credentials["access_token"] == old_token
    assert channel.refresh_retry_at == now + refresh.RETRY_AFTER
    assert [c.status for c in refresh_calls(channel)] == [503]
    assert refresh.refresh_due(now + timedelta(minutes=30)) == 0  # not before its retry time
    sandbox.control.clear_faults()
    assert refresh.refresh_due(now + refresh.RETRY_AFTER) == 1
    channel = fresh(channel)
    assert channel.credentials["access_token"] != old_token
    assert channel.refresh_retry_at is None


def test_a_token_too_young_to_renew_is_tried_again_later(actor: Any, sandbox: Any) -> None:
    """Threads renews only tokens at least a day old: the connector says "not now" (None)."""
    account = threads_account(sandbox, expires_in=2 * DAY, age=timedelta(hours=2))
    channel = save_connected_account(actor, "threads", account)
    now = timezone.now()
    assert refresh.refresh_due(now) == 1
    channel = fresh(channel)
    assert channel.status == ChannelStatus.CONNECTED
    assert channel.refresh_retry_at == now + refresh.RETRY_AFTER
    assert refresh_calls(channel) == []


def test_a_claimed_channel_is_not_claimed_by_a_second_worker(actor: Any, sandbox: Any) -> None:
    channel = connect_threads(actor, sandbox, expires_in=3 * DAY)
    now = timezone.now()
    assert refresh.claim("worker-a", now, 10) == [channel.pk]
    assert refresh.claim("worker-b", now, 10) == []
    assert refresh.refresh_due(now, worker="worker-b") == 0
    assert fresh(channel).refresh_lease_owner == "worker-a"
    # A worker that died holding the lease: the channel is claimable once the lease ran out.
    after = fresh(channel).refresh_lease_expires_at
    assert after is not None
    assert refresh.claim("worker-b", after + timedelta(seconds=1), 10) == [channel.pk]


def test_a_switched_off_network_is_not_called(actor: Any, sandbox: Any) -> None:
    from cuecast.channels.switches import switch_network

    connect_threads(actor, sandbox, expires_in=3 * DAY)
    switch_network("threads", enabled=False, reason="Contract ended")
    assert refresh.refresh_due() == 0
    assert ApiCall.objects.filter(purpose="refresh").count() == 0


@pytest.mark.postgres
def test_workers_claiming_at_once_get_each_channel_once(
    transactional_db: None, actor: Any, sandbox: Any
) -> None:
    """SKIP LOCKED on PostgreSQL: four workers claim at the same instant, one gets the channel."""
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (scripts/with_postgres.py)")
    channel = connect_threads(actor, sandbox, expires_in=3 * DAY)
    now = timezone.now()
    start = threading.Barrier(4)
    claimed: list[list[int]] = []
    errors: list[BaseException] = []

    def claim(worker: str) -> None:
        try:
            start.wait(10)
            claimed.append(refresh.claim(worker, now, 10))
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=claim, args=(f"worker-{i}",)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert not errors, errors
    assert sorted(claimed) == [[], [], [], [channel.pk]]


def test_a_renewal_that_does_not_move_the_end_is_not_asked_again_every_round(
    actor: Any, sandbox: Any
) -> None:
    """If the network renews a token for less than the lead, asking again at once would only
    repeat that: the next try waits `RETRY_AFTER`."""
    channel = connect_threads(actor, sandbox, expires_in=3 * DAY)
    sandbox.control.config("threads", long_token_lifetime=2 * 86400)
    now = timezone.now()
    assert refresh.refresh_due(now) == 1
    channel = fresh(channel)
    assert channel.token_expires_at is not None
    assert channel.token_expires_at < now + 3 * DAY  # renewed, for two days
    assert channel.refresh_retry_at == now + refresh.RETRY_AFTER
    assert refresh.refresh_due(now + timedelta(minutes=5)) == 0
    assert len(refresh_calls(channel)) == 1
