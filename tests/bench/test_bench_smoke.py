"""The bench's Cuecast burst at tiny N, through the bench's own harness: the sandbox as its own
process with latency, 1,000-channel machinery at 20 channels, bulk-inserted targets due at one
instant, `cuecast worker` processes. Every target must be published exactly once. No timing is
asserted: speed belongs to `make bench`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from django.db import connection

from bench import workload
from bench.burst import run_burst
from bench.harness import Environment, start_sandbox
from cuecast import config
from cuecast.posts.models import Target, TargetState

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TARGETS = 200
CHANNELS = 20


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def bench_env(tmp_path) -> Iterator[Environment]:
    if connection.vendor != "postgresql":
        pytest.fail("the bench runs on PostgreSQL (make test-postgres)")
    sandbox = start_sandbox((tmp_path / "sandbox.log").open("ab"))
    env = Environment(tmp_path, database_url(), config.load().data_dir, sandbox)
    sandbox.control.latency(network="mastodon", median_ms=20, p99_ms=100, seed=7)
    try:
        yield env
    finally:
        for handle in env.logs:
            handle.close()
        sandbox.stop()


def test_a_tiny_burst_is_published_exactly_once(bench_env: Environment) -> None:
    channel_ids = workload.make_channels(bench_env.sandbox.control, bench_env.sandbox.url, CHANNELS)
    batch = workload.insert_targets(channel_ids, TARGETS)
    assert batch.count == TARGETS

    result = run_burst(
        bench_env,
        batch,
        start_workers=lambda: bench_env.start_cuecast_workers(2),
        announce=workload.make_due,
        lead_seconds=2.0,
        timeout=120.0,
    )

    assert result.settled, f"targets still open: {result.states}"
    assert Counter(Target.objects.values_list("state", flat=True)) == {
        TargetState.PUBLISHED: TARGETS
    }
    received = Counter(
        post["idempotency_key"] for post in bench_env.sandbox.control.received("mastodon")
    )
    keys = {f"{key}:0" for key in Target.objects.values_list("idempotency_key", flat=True)}
    assert set(received) == keys, "the sandbox received other posts than the burst's"
    assert set(received.values()) == {1}, "a target was posted more than once"
    # The harness's own figures agree with what the sandbox saw.
    assert result.figures.exactly_once
    assert result.figures.received == TARGETS
    # The posts went to every channel's own account, round-robin.
    per_user = Counter(post["user"] for post in bench_env.sandbox.control.received("mastodon"))
    assert len(per_user) == CHANNELS
    assert set(per_user.values()) == {TARGETS // CHANNELS}
