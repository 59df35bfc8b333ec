"""A channel on a sandbox network, a clock shared by Cuecast and the sandbox, and published
targets whose figures the test moves over time (for the metric collector's tests)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync

from cuecast import http
from cuecast.accounts.demo import sandbox_account
from cuecast.analytics import polling
from cuecast.analytics.models import METRIC_FIELDS, PostMetricDay
from cuecast.channels.services import save_connected_account
from cuecast.compliance.models import ApiCall
from cuecast.networks import registry
from cuecast.networks.base import Account, MediaItem, Part, PublishRequest
from cuecast.posts.models import Post, Target, TargetState

# How far before the real clock a chosen start may lie. The sandbox mints tokens on the
# world's clock, Cuecast counts their expiry from the real one (2 hours for X, refreshed 5
# minutes ahead): within this lag Cuecast still refreshes before the sandbox refuses a token.
START_MAY_LAG = timedelta(minutes=30)


def start_instant(chosen: str, real_now: datetime) -> datetime:
    """The instant the worlds start at: `chosen` (ISO 8601 with an offset, from the
    CUECAST_TEST_START variable, docs/testing.md), or the real now to the second."""
    if not chosen.strip():
        return real_now.replace(microsecond=0)
    instant = datetime.fromisoformat(chosen.strip())
    if instant.tzinfo is None:
        raise ValueError(f"CUECAST_TEST_START needs a UTC offset or Z, got {chosen!r}")
    if instant < real_now - START_MAY_LAG:
        # Cuecast would then keep tokens the sandbox has already let expire: extra calls.
        raise ValueError(
            f"CUECAST_TEST_START {chosen!r} lies in the past; choose an instant after now "
            "(e.g. the next midnight minus 5 minutes, docs/testing.md)"
        )
    return instant.astimezone(UTC)


# Where every world's clock starts: the real now unless a run chose an instant (to the second,
# so that tokens minted by the sandbox and the expiry Cuecast stores for them agree).
START = start_instant(os.environ.get("CUECAST_TEST_START", ""), datetime.now(UTC))


class MetricsWorld:
    def __init__(self, actor: Any, sandbox: Any, network: str, *, now: datetime = START) -> None:
        self.actor, self.sandbox, self.network = actor, sandbox, network
        self.now = now
        sandbox.state.clock = lambda: self.now.timestamp()
        if network in ("instagram", "threads"):
            sandbox.control.config(network, image_processing_seconds=0)
        self.channel = save_connected_account(actor, network, sandbox_account(sandbox.url, network))

    def account(self) -> Account:
        self.channel.refresh_from_db()
        c = self.channel
        return Account(c.external_id, c.handle, c.base_url, dict(c.credentials), dict(c.settings))

    def connection_call(self, fn: Any) -> Any:
        account = self.account()

        async def call() -> Any:
            async with http.async_client() as client:
                return await fn(registry.get(self.network).connect(account, client))

        return async_to_sync(call)()

    def publish(self, text: str = "Figures, please") -> Target:
        """A post published on the sandbox network now, recorded as a published target."""
        media: tuple[MediaItem, ...] = ()
        if self.network == "instagram":
            url = f"{self.sandbox.url}/instagram/_files/pixel.jpg"
            media = (MediaItem(path="", content_type="image/jpeg", size_bytes=600, url=url),)
        request = PublishRequest(parts=(Part(text, media),), idempotency_key=str(uuid.uuid4()))
        result = self.connection_call(lambda conn: conn.publish(request))
        post = Post.objects.create(workspace=self.actor.workspace, text=text)
        return Target.objects.create(
            post=post,
            channel=self.channel,
            state=TargetState.PUBLISHED,
            external_id=result.external_id,
            permalink=result.permalink,
            published_at=self.now,
        )

    def set_figures(self, target: Target, figures: dict[str, int]) -> None:
        self.sandbox.control.metrics(self.network, target.external_id, figures)

    def poll(self, at: datetime) -> int:
        self.now = at
        return polling.poll_due(at)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def metric_calls(target: Target) -> int:
    return ApiCall.objects.filter(target_id=target.pk, purpose="metrics").count()


def day_sums(target: Target) -> dict[str, int | None]:
    """Each figure summed over the target's days (None where no day has it)."""
    sums: dict[str, int | None] = dict.fromkeys(METRIC_FIELDS)
    for row in PostMetricDay.objects.filter(target=target):
        for name in METRIC_FIELDS:
            value = getattr(row, name)
            if value is not None:
                sums[name] = (sums[name] or 0) + value
    return sums
