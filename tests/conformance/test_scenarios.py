"""The conformance scenarios (framework.py), for every network that has an adapter.

They run the real connector against its sandbox emulator over HTTP, through the dispatcher where
the scenario is about the engine's behaviour (holds, waits, reconciliation).
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.files.base import ContentFile
from django.utils import timezone

from cuecast import http
from cuecast.channels.models import ChannelStatus
from cuecast.channels.services import save_connected_account
from cuecast.networks import registry
from cuecast.networks.base import Account, Part, PublishRequest, PublishResult
from cuecast.posts.models import HoldCause, Media, PostMedia, ScheduleKind, TargetState
from cuecast.posts.services import PostDraft, ScheduleSpec, TargetSpec, create_post
from cuecast.publishing import dispatcher
from tests.conformance.framework import Adapter, adapters


def _serves_media(adapter: Adapter, scenario: str) -> bool:
    return scenario == "image" or adapter.needs_media


CASES = [
    pytest.param(
        adapter,
        scenario,
        id=f"{adapter.network}-{scenario}",
        # Image posts are served by a live server (networks fetch media by URL), which needs
        # committed data.
        marks=[pytest.mark.django_db(transaction=True)] if _serves_media(adapter, scenario) else [],
    )
    for adapter in adapters()
    for scenario in sorted(adapter.scenarios)
]

# A 2x2 PNG: small enough for every network's limits, a real image for every decoder.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)
# A 1x1 baseline JPEG, for networks that accept JPEG only (Instagram).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////"
    "////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQAB"
    "PxA="
)


def image_media(w: Any) -> Media:
    """A tiny image of the type the adapter's network accepts, stored as Cuecast media."""
    jpeg = w.adapter.image_type == "image/jpeg"
    data, name = (JPEG, "pixel.jpg") if jpeg else (PNG, "pixel.png")
    media = Media(
        workspace=w.actor.workspace,
        content_type=w.adapter.image_type,
        size_bytes=len(data),
        width=1 if jpeg else 2,
        height=1 if jpeg else 2,
        alt_text="One pixel" if jpeg else "Two by two pixels",
    )
    media.file.save(name, ContentFile(data), save=True)
    return media


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch):
    from cuecast import config

    saved = http.DEFAULT_TIMEOUT
    http.DEFAULT_TIMEOUT = http.httpx.Timeout(connect=2.0, read=1.5, write=2.0, pool=2.0)
    # The worker's calls time out after config's worker_call_timeout_seconds.
    monkeypatch.setenv("CUECAST_WORKER_CALL_TIMEOUT_SECONDS", "1.5")
    config.load.cache_clear()
    yield
    http.DEFAULT_TIMEOUT = saved
    monkeypatch.delenv("CUECAST_WORKER_CALL_TIMEOUT_SECONDS")
    config.load.cache_clear()


class World:
    """One network's channel in a workspace, with a controllable clock shared by Cuecast and the
    sandbox."""

    def __init__(self, adapter: Adapter, actor: Any, sandbox: Any) -> None:
        self.adapter, self.actor, self.sandbox = adapter, actor, sandbox
        self.channel = save_connected_account(
            actor, adapter.network, adapter.connected_account(sandbox)
        )
        self.now = timezone.now()
        sandbox.state.clock = lambda: self.now.timestamp()
        self.serial = 0

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def schedule(self, text: str | None = None, media: list[Media] | None = None) -> Any:
        self.serial += 1
        if media is None and self.adapter.needs_media:
            media = [image_media(self)]
        post = create_post(
            self.actor,
            PostDraft(
                text or f"Conformance post {self.serial} for {self.adapter.network}",
                [TargetSpec(self.channel.pk)],
                ScheduleSpec(ScheduleKind.AT, at=timezone.now() + timedelta(seconds=30)),
                media_ids=[m.pk for m in media or []],
            ),
        )
        target = post.targets.get()
        self.now = max(self.now, target.due_at + timedelta(seconds=1))
        return target

    def run(self) -> None:
        dispatcher.run_until_idle(self.now)

    def received(self) -> list[dict[str, Any]]:
        return self.sandbox.control.received(self.adapter.network)

    def connection_call(self, fn: Any) -> Any:
        self.channel.refresh_from_db()
        account = Account(
            external_id=self.channel.external_id,
            handle=self.channel.handle,
            base_url=self.channel.base_url,
            credentials=dict(self.channel.credentials),
            settings=dict(self.channel.settings),
        )

        async def call() -> Any:
            async with http.async_client() as client:
                return await fn(registry.get(self.adapter.network).connect(account, client))

        return async_to_sync(call)()


def published(target: Any) -> Any:
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED, f"{target.state}: {target.reason}"
    assert target.external_id and target.permalink.startswith("http")
    return target


def scenario_text(w: World) -> None:
    target = w.schedule()
    w.run()
    published(target)
    assert [w.adapter.text_of(item) for item in w.received()] == [target.effective_text]


def scenario_image(w: World) -> None:
    target = w.schedule(media=[image_media(w)])
    assert PostMedia.objects.filter(post=target.post).count() == 1
    w.run()
    published(target)
    [item] = w.received()
    assert w.adapter.media_count_of(item) == 1


def scenario_thread(w: World) -> None:
    parts = (
        Part(f"Thread part one, {w.adapter.network}"),
        Part(f"Thread part two, {w.adapter.network}"),
    )
    request = PublishRequest(parts=parts, idempotency_key="thread-conformance-1")
    result: PublishResult = w.connection_call(lambda conn: conn.publish(request))
    assert len(result.part_ids) == 2 and result.external_id == result.part_ids[0]
    assert [w.adapter.text_of(item) for item in w.received()] == [p.text for p in parts]


def scenario_duplicate(w: World) -> None:
    text = f"The very same words on {w.adapter.network}"
    first = w.schedule(text)
    w.run()
    published(first)
    w.advance(minutes=10)
    second = w.schedule(text)
    w.run()
    w.advance(minutes=10)
    w.run()
    second.refresh_from_db()
    if w.adapter.rejects_duplicates:
        assert second.state == TargetState.FAILED, second.reason
        assert "duplicate" in second.reason.lower()
        assert len(w.received()) == 1
    else:
        published(second)
        assert len(w.received()) == 2


def scenario_expired_token(w: World) -> None:
    w.sandbox.control.fault(w.adapter.network, "expire_token", user=w.adapter.sandbox_user)
    target = w.schedule()
    w.run()
    published(target)
    assert len(w.received()) == 1


def scenario_revoked_token(w: World) -> None:
    w.sandbox.control.fault(w.adapter.network, "revoke_token", user=w.adapter.sandbox_user)
    target = w.schedule()
    later = w.schedule()
    w.run()
    w.channel.refresh_from_db()
    assert w.channel.status == ChannelStatus.DISCONNECTED and w.channel.status_reason
    for held in (target, later):
        held.refresh_from_db()
        assert held.state == TargetState.HELD and held.hold == HoldCause.CHANNEL
        assert "connect" in held.reason.lower()
    assert w.received() == []


def scenario_rate_limited(w: World) -> None:
    w.sandbox.control.fault(w.adapter.network, "rate_limit_burst")
    target = w.schedule()
    dispatcher.run_once(w.now)
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED and target.next_attempt_at > w.now
    calls = len(w.sandbox.control.requests(w.adapter.network))
    dispatcher.run_once(w.now + timedelta(seconds=1))  # before the time the network named
    assert len(w.sandbox.control.requests(w.adapter.network)) == calls, "called again while limited"
    w.now = target.next_attempt_at + timedelta(seconds=1)
    w.run()
    published(target)


def scenario_tier_missing(w: World) -> None:
    w.sandbox.control.fault(w.adapter.network, "tier", tier="unenrolled", count=10)
    target = w.schedule()
    w.run()
    target.refresh_from_db()
    assert target.state == TargetState.HELD and target.hold == HoldCause.ACCESS_TIER, target.reason
    assert w.received() == []


def scenario_daily_cap(w: World) -> None:
    assert w.adapter.exhaust_daily_cap is not None
    w.adapter.exhaust_daily_cap(w.sandbox)
    target = w.schedule()
    w.run()
    target.refresh_from_db()
    assert target.state == TargetState.HELD and target.hold == HoldCause.QUOTA, target.reason
    assert target.next_attempt_at and target.next_attempt_at > w.now
    assert w.received() == []
    w.now = target.next_attempt_at + timedelta(minutes=1)  # the cap reopens
    # Held up to a day: the workspace's late policy must allow that much (docs/decisions/0008).
    w.channel.workspace.late_limit_hours = 48
    w.channel.workspace.save(update_fields=["late_limit_hours"])
    w.run()
    published(target)


def scenario_timeout_reconciled(w: World) -> None:
    where = {"endpoint": w.adapter.create_endpoint} if w.adapter.create_endpoint else {}
    w.sandbox.control.fault(w.adapter.network, "timeout_after_accept", seconds=3, **where)
    target = w.schedule()
    dispatcher.run_once(w.now)
    target.refresh_from_db()
    assert target.state == TargetState.UNCONFIRMED
    w.advance(minutes=2)
    w.run()
    published(target)
    assert len(w.received()) == 1


def scenario_delete(w: World) -> None:
    target = w.schedule()
    w.run()
    published(target)
    w.connection_call(lambda conn: conn.delete(target.external_id))
    request = PublishRequest(
        parts=(Part(target.effective_text),),
        idempotency_key=str(target.idempotency_key),
        attempt_started_at=w.now - timedelta(minutes=5),
    )
    assert w.connection_call(lambda conn: conn.find_published(request)) is None


def scenario_lookup(w: World) -> None:
    target = w.schedule()
    w.run()
    published(target)
    request = PublishRequest(
        parts=(Part(target.effective_text),),
        idempotency_key=str(target.idempotency_key),
        attempt_started_at=w.now - timedelta(minutes=5),
        progress=dict(target.progress),
    )
    found = w.connection_call(lambda conn: conn.find_published(request))
    assert found is not None and found.external_id == target.external_id


def scenario_metrics(w: World) -> None:
    target = w.schedule()
    w.run()
    published(target)
    raw = w.connection_call(lambda conn: conn.fetch_metrics(target.external_id))
    spec = registry.get(w.adapter.network).descriptor.metrics
    assert raw and all(isinstance(v, int) for v in raw.values()), raw
    assert [name for name in raw if not spec.knows(name)] == [], "undocumented metric names"


def scenario_account_metrics(w: World) -> None:
    from cuecast.analytics.normalize import channel_figures

    raw = w.connection_call(lambda conn: conn.fetch_account_metrics())
    spec = registry.get(w.adapter.network).descriptor.metrics
    assert isinstance(channel_figures(spec, raw)["followers"], int), raw


@pytest.fixture
def public_media(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve Cuecast (and so its media) for real, at the public URL networks fetch media from."""
    from cuecast import config

    live_server = request.getfixturevalue("live_server")
    monkeypatch.setenv("CUECAST_PUBLIC_URL", live_server.url)
    config.load.cache_clear()
    request.addfinalizer(config.load.cache_clear)


@pytest.mark.parametrize(("adapter", "scenario"), CASES)
def test_scenario(
    adapter: Adapter, scenario: str, actor: Any, sandbox: Any, request: pytest.FixtureRequest
) -> None:
    if _serves_media(adapter, scenario):
        request.getfixturevalue("public_media")
    globals()[f"scenario_{scenario}"](World(adapter, actor, sandbox))
