"""`/metrics` through Django's test client: the database gauges follow the rows, the process
counters and the lateness histogram observe, scrapes are refused unless local or with the token;
and a worker's own endpoint (`cuecast worker --metrics-port`) over real HTTP."""

from __future__ import annotations

import os
import socket
import sys
import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from cuecast import config
from cuecast.channels.models import Channel
from cuecast.cli import build_parser, main
from cuecast.compliance.models import ApiCall
from cuecast.posts.models import HoldCause, Post, Target, TargetState
from cuecast.publishing import metrics

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: Client, **headers: Any) -> Samples:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith(
        "text/plain; version=0.0.4"
    )  # Prometheus 2 and 3 read it
    return parse(response.content.decode())


def value(samples: Samples, metric: str, /, **labels: str) -> float:
    return samples.get((metric, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_token() -> Iterator[str]:
    """CUECAST_METRICS_TOKEN set for one test (the configuration is read once, so re-read it)."""
    os.environ["CUECAST_METRICS_TOKEN"] = "scrape-me-7f3a"
    config.load.cache_clear()
    yield "scrape-me-7f3a"
    del os.environ["CUECAST_METRICS_TOKEN"]
    config.load.cache_clear()


@pytest.fixture
def x(workspace: Any) -> Channel:
    return Channel.objects.create(
        workspace=workspace, network="x", external_id="1001", handle="acme", display_name="ACME"
    )


@pytest.fixture
def mastodon(workspace: Any) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="mastodon",
        base_url="https://social.example",
        external_id="2002",
        handle="@acme@social.example",
        display_name="ACME on Mastodon",
    )


def target(channel: Channel, state: TargetState, **fields: Any) -> Target:
    post = Post.objects.create(workspace=channel.workspace, text=f"A post {state}")
    return Target.objects.create(post=post, channel=channel, state=state, **fields)


def test_gauges_follow_the_rows(client: Client, x: Channel, mastodon: Channel) -> None:
    now = timezone.now()
    for seconds in (5, 90):
        target(x, TargetState.SCHEDULED, next_attempt_at=now - timedelta(seconds=seconds))
    target(mastodon, TargetState.SCHEDULED, next_attempt_at=now - timedelta(seconds=1))
    target(x, TargetState.SCHEDULED, next_attempt_at=now + timedelta(minutes=30))
    target(x, TargetState.SCHEDULED, next_attempt_at=now + timedelta(days=60))
    target(x, TargetState.PUBLISHING, lease_expires_at=now - timedelta(minutes=1))
    target(x, TargetState.PUBLISHING, lease_expires_at=now + timedelta(minutes=1))
    target(x, TargetState.HELD, hold=HoldCause.QUOTA)
    target(mastodon, TargetState.HELD, hold=HoldCause.CHANNEL)
    target(x, TargetState.UNCONFIRMED, next_attempt_at=now + timedelta(minutes=5))
    target(x, TargetState.UNCONFIRMED, next_attempt_at=None)  # Cuecast gave up checking
    target(x, TargetState.FAILED)
    old_failure = target(mastodon, TargetState.FAILED)
    Target.objects.filter(pk=old_failure.pk).update(updated_at=now - timedelta(days=3))
    target(x, TargetState.PUBLISHED)
    target(x, TargetState.DRAFT)

    samples = scrape(client)

    assert value(samples, "cuecast_targets_due", network="x") == 2
    assert value(samples, "cuecast_targets_due", network="mastodon") == 1
    assert value(samples, "cuecast_targets_due_next_hour", network="x") == 1
    assert 90 <= value(samples, "cuecast_targets_due_oldest_seconds") < 3600
    assert value(samples, "cuecast_targets_open", state="scheduled") == 5
    assert value(samples, "cuecast_targets_open", state="publishing") == 2
    assert value(samples, "cuecast_targets", network="x", state="publishing") == 2
    assert value(samples, "cuecast_targets_lease_expired") == 1
    assert value(samples, "cuecast_targets_held", network="x", cause="quota") == 1
    assert value(samples, "cuecast_targets_held", network="mastodon", cause="channel") == 1
    assert value(samples, "cuecast_targets", network="x", state="unconfirmed") == 2
    assert value(samples, "cuecast_targets_needing_check", network="x") == 1
    assert value(samples, "cuecast_targets_failed_recently", network="x") == 1
    assert value(samples, "cuecast_targets_failed_recently", network="mastodon") == 0
    assert value(samples, "cuecast_metrics_database_up") == 1
    # Final states and drafts are not counted as open work.
    assert not any(
        dict(labels).get("state") in {"published", "draft", "failed"}
        for name, labels in samples
        if name.startswith("cuecast_targets")
    )


def test_gauges_are_zero_on_an_empty_database(client: Client, db: None) -> None:
    samples = scrape(client)
    assert value(samples, "cuecast_targets_open", state="scheduled") == 0
    assert value(samples, "cuecast_targets_due_oldest_seconds") == 0
    assert value(samples, "cuecast_metrics_database_up") == 1


def _call(network: str, purpose: str, status: int, minutes_ago: float) -> ApiCall:
    return ApiCall(
        at=timezone.now() - timedelta(minutes=minutes_ago),
        network=network,
        purpose=purpose,
        method="POST",
        host="api.example",
        path="/2/tweets",
        status=status,
    )


def test_api_calls_of_the_last_hour_by_network_purpose_and_status(client: Client, db: None) -> None:
    ApiCall.objects.bulk_create(
        [
            *(_call("x", "publish", 201, 5) for _ in range(3)),
            _call("x", "publish", 429, 10),
            _call("x", "metrics", 0, 20),
            _call("mastodon", "connect", 200, 59),
            _call("x", "publish", 201, 61),  # older than an hour
        ]
    )
    samples = scrape(client)
    calls = "cuecast_api_calls_last_hour"
    assert value(samples, calls, network="x", purpose="publish", status="2xx") == 3
    assert value(samples, calls, network="x", purpose="publish", status="429") == 1
    assert value(samples, calls, network="x", purpose="metrics", status="none") == 1
    assert value(samples, calls, network="mastodon", purpose="connect", status="2xx") == 1


@pytest.mark.parametrize(
    ("status", "expected"), [(0, "none"), (200, "2xx"), (404, "4xx"), (429, "429"), (503, "5xx")]
)
def test_status_classes(status: int, expected: str) -> None:
    assert metrics.status_class(status) == expected


def test_process_counters_and_the_lateness_histogram_observe(client: Client, db: None) -> None:
    before = scrape(client)
    metrics.record_claimed(3, "publish")
    metrics.record_claimed(0, "publish")
    metrics.record_outcome("bluesky", "published", lateness_seconds=0.3)
    metrics.record_outcome("bluesky", "published", lateness_seconds=4.0)
    metrics.record_outcome("bluesky", "scheduled")  # a retry: no lateness to observe
    metrics.record_budget_wait("bluesky", 2)
    metrics.record_batch(0.8, 40)
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("cuecast_targets_claimed_total", kind="publish") == 3
    assert grew("cuecast_target_outcomes_total", network="bluesky", state="published") == 2
    assert grew("cuecast_target_outcomes_total", network="bluesky", state="scheduled") == 1
    lateness = "cuecast_publish_lateness_seconds_bucket"
    assert grew(lateness, network="bluesky", le="0.25") == 0
    assert grew(lateness, network="bluesky", le="0.5") == 1
    assert grew(lateness, network="bluesky", le="1.0") == 1
    assert grew(lateness, network="bluesky", le="5.0") == 2
    assert grew("cuecast_publish_lateness_seconds_count", network="bluesky") == 2
    assert grew("cuecast_rate_budget_waits_total", network="bluesky") == 2
    assert grew("cuecast_batch_seconds_count") == 1
    assert grew("cuecast_batch_size_sum") == 40


def test_rate_budgets_are_served_once_their_module_exists(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ends = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    budgets = types.ModuleType("cuecast.publishing.budgets")
    budgets.usage = lambda now: [  # type: ignore[attr-defined]
        SimpleNamespace(
            network="instagram",
            scope="account:17",
            name="publish_24h",
            limit=100,
            used=37,
            window_end=ends,
        )
    ]
    monkeypatch.setitem(sys.modules, "cuecast.publishing.budgets", budgets)
    samples = scrape(client)
    labels = {"network": "instagram", "scope": "account:17", "name": "publish_24h"}
    assert value(samples, "cuecast_rate_budget_limit", **labels) == 100
    assert value(samples, "cuecast_rate_budget_used", **labels) == 37
    assert (
        value(samples, "cuecast_rate_budget_window_end_timestamp_seconds", **labels)
        == ends.timestamp()
    )


def test_without_a_budgets_module_the_scrape_still_answers(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cuecast.publishing.budgets", None)  # import fails
    samples = scrape(client)
    assert not any(name == "cuecast_rate_budget_used" for name, _ in samples)
    assert value(samples, "cuecast_metrics_database_up") == 1


def test_a_broken_budgets_module_costs_only_its_own_gauges(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    budgets = types.ModuleType("cuecast.publishing.budgets")

    def usage(now: datetime) -> list[Any]:
        raise RuntimeError("a bug in the budgets")

    budgets.usage = usage  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cuecast.publishing.budgets", budgets)
    samples = scrape(client)
    assert value(samples, "cuecast_metrics_database_up") == 1
    assert ("cuecast_targets_open", frozenset({("state", "scheduled")})) in samples


def test_a_database_failure_still_serves_the_process_metrics(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(now: datetime) -> Any:
        raise DatabaseError("the database went away")

    monkeypatch.setattr(metrics, "_target_metrics", broken)
    metrics.record_claimed(1, "reconcile")
    samples = scrape(client)
    assert value(samples, "cuecast_metrics_database_up") == 0
    assert value(samples, "cuecast_targets_claimed_total", kind="reconcile") >= 1


# --- who may scrape ---------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_without_a_token_loopback_clients_may_scrape(
    client: Client, db: None, address: str
) -> None:
    assert client.get("/metrics", REMOTE_ADDR=address).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"REMOTE_ADDR": "203.0.113.7"},
        {"REMOTE_ADDR": "10.0.0.8"},
        # A proxy on this machine makes every visitor look local: forwarded requests are refused.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": "for=203.0.113.7"},
    ],
)
def test_without_a_token_other_clients_are_refused(
    client: Client, db: None, headers: dict[str, str]
) -> None:
    response = client.get("/metrics", **headers)
    assert response.status_code == 403
    assert b"CUECAST_METRICS_TOKEN" in response.content
    assert b"cuecast_" not in response.content


def test_with_a_token_only_the_bearer_of_it_may_scrape(
    client: Client, db: None, metrics_token: str
) -> None:
    for headers in (
        {},  # even from loopback: the token is the rule once it is set
        {"HTTP_AUTHORIZATION": "Bearer wrong"},
        {"HTTP_AUTHORIZATION": f"Basic {metrics_token}"},
    ):
        response = client.get("/metrics", **headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"cuecast_" not in response.content
    allowed = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=f"Bearer {metrics_token}"
    )
    assert allowed.status_code == 200
    assert b"cuecast_targets_open" in allowed.content


def test_only_get(client: Client, db: None) -> None:
    assert client.post("/metrics").status_code == 405


# --- a worker's own endpoint ------------------------------------------------------------------


@pytest.fixture
def worker_endpoint() -> Iterator[str]:
    server = metrics.serve(0, "127.0.0.1")  # port 0: a free one
    try:
        yield f"http://127.0.0.1:{server.server_port}/metrics"
    finally:
        server.shutdown()
        server.server_close()


def test_a_worker_serves_its_own_counters_but_not_the_fleet_gauges(
    worker_endpoint: str, db: None
) -> None:
    metrics.record_claimed(2, "publish")
    response = httpx.get(worker_endpoint, timeout=10)
    assert response.status_code == 200
    samples = parse(response.text)
    assert value(samples, "cuecast_targets_claimed_total", kind="publish") >= 2
    # The database gauges come from the web endpoint once, not from every worker again.
    assert "cuecast_targets_open" not in response.text


def test_a_worker_endpoint_wants_the_token_too(metrics_token: str) -> None:
    server = metrics.serve(0, "127.0.0.1")
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    try:
        refused = httpx.get(url, timeout=10)
        assert refused.status_code == 401 and "CUECAST_METRICS_TOKEN" in refused.text
        allowed = httpx.get(url, headers={"Authorization": f"Bearer {metrics_token}"}, timeout=10)
        assert allowed.status_code == 200 and "cuecast_targets_claimed_total" in allowed.text
    finally:
        server.shutdown()
        server.server_close()


def test_the_worker_command_takes_a_metrics_port() -> None:
    args = build_parser().parse_args(["worker", "--metrics-port", "9464"])
    assert args.metrics_port == 9464
    assert build_parser().parse_args(["worker"]).metrics_port is None


def test_a_busy_metrics_port_stops_the_worker_with_a_sentence() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as stopped:
            main(["worker", "--once", "--metrics-port", str(port)])
    assert str(stopped.value).startswith(f"The worker cannot serve its metrics on port {port}:")
