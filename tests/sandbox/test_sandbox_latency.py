"""Realistic latency: log-normal answer times per network, set through /_sandbox/latency."""

from __future__ import annotations

import math

import httpx
import pytest
from sandbox_test_helpers import bearer

from sandbox.common.latency import LatencyError, LatencyProfile, LatencyTable, parse_profile
from sandbox.testing import RunningSandbox

NETWORKS = ("x", "mastodon")


def latency(sb: RunningSandbox, http: httpx.Client, **body: object) -> httpx.Response:
    return http.post(f"{sb.url}/_sandbox/latency", json=body)


def profiles(sb: RunningSandbox, http: httpx.Client) -> dict[str, dict[str, object]]:
    answer = http.get(f"{sb.url}/_sandbox/latency")
    assert answer.status_code == 200
    return {p["network"]: p for p in answer.json()["latency"]}


def mastodon_post(
    sb: RunningSandbox, http: httpx.Client, token: str, text: str, timeout: float = 10
) -> httpx.Response:
    return http.post(
        f"{sb.url}/mastodon/api/v1/statuses",
        data={"status": text},
        headers={**bearer(token), "Idempotency-Key": text},
        timeout=timeout,
    )


def test_draws_follow_the_median_and_p99_asked_for() -> None:
    profile = LatencyProfile("mastodon", median_ms=120, p99_ms=600, seed=1)
    draws = sorted(profile.draw_seconds() * 1000 for _ in range(20_000))
    assert draws[len(draws) // 2] == pytest.approx(120, rel=0.05)
    assert draws[int(len(draws) * 0.99)] == pytest.approx(600, rel=0.1)
    assert profile.applied == 20_000


def test_the_same_seed_gives_the_same_delays() -> None:
    first = LatencyProfile("x", median_ms=50, p99_ms=400, seed=42)
    second = LatencyProfile("x", median_ms=50, p99_ms=400, seed=42)
    assert [first.draw_seconds() for _ in range(5)] == [second.draw_seconds() for _ in range(5)]


def test_a_network_profile_wins_over_the_star_and_zero_removes_it() -> None:
    table = LatencyTable()
    table.set(LatencyProfile("*", median_ms=100, p99_ms=100, seed=1))
    table.set(LatencyProfile("x", median_ms=300, p99_ms=300, seed=1))
    assert table.delay_for("x") == pytest.approx(0.3)
    assert table.delay_for("mastodon") == pytest.approx(0.1)
    table.set(LatencyProfile("x", median_ms=0, p99_ms=0))
    assert table.delay_for("x") == pytest.approx(0.1)
    table.clear()
    assert table.delay_for("x") == 0.0


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"network": "myspace", "median_ms": 10}, "network must be"),
        ({"network": "x"}, "median_ms must be a number"),
        ({"network": "x", "median_ms": "fast"}, "median_ms must be a number"),
        ({"network": "x", "median_ms": -5}, "median_ms must be zero or more"),
        ({"network": "x", "median_ms": math.inf}, "median_ms must be zero or more"),
        ({"network": "x", "median_ms": 100, "p99_ms": 50}, "p99_ms must be at least"),
        ({"network": "x", "median_ms": 100, "seed": "one"}, "seed must be a whole number"),
    ],
)
def test_bad_profiles_are_refused_with_the_field_named(
    body: dict[str, object], problem: str
) -> None:
    with pytest.raises(LatencyError, match=problem):
        parse_profile(body, NETWORKS)


def test_control_route_sets_lists_and_refuses(sb: RunningSandbox, http: httpx.Client) -> None:
    answer = latency(sb, http, network="mastodon", median_ms=120, p99_ms=600, seed=1)
    assert answer.status_code == 200
    assert profiles(sb, http)["mastodon"] == {
        "network": "mastodon",
        "median_ms": 120,
        "p99_ms": 600,
        "seed": 1,
        "applied": 0,
    }
    refused = latency(sb, http, network="mastodon", median_ms=100, p99_ms=10)
    assert refused.status_code == 400
    assert "p99_ms" in refused.json()["error"]
    assert http.post(f"{sb.url}/_sandbox/latency", content=b"[1]").status_code == 400


def test_only_the_named_network_is_delayed(sb: RunningSandbox, http: httpx.Client) -> None:
    latency(sb, http, network="mastodon", median_ms=5, p99_ms=20, seed=3)
    token = sb.control.tokens("mastodon", "demo")["access_token"]
    x_token = sb.control.tokens("x", "cuecast_demo")["access_token"]
    for text in ("one", "two", "three"):
        assert mastodon_post(sb, http, token, text).status_code == 200
    assert http.get(f"{sb.url}/x/2/users/me", headers=bearer(x_token)).status_code == 200
    assert profiles(sb, http)["mastodon"]["applied"] == 3  # the X call drew no delay


def test_the_post_exists_from_arrival_while_the_answer_waits(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    latency(sb, http, network="mastodon", median_ms=2000, p99_ms=2000)
    token = sb.control.tokens("mastodon", "demo")["access_token"]
    with pytest.raises(httpx.ReadTimeout):
        mastodon_post(sb, http, token, "on its way", timeout=0.3)
    assert [p["text"] for p in sb.control.received("mastodon")] == ["on its way"]


def test_reset_removes_every_profile(sb: RunningSandbox, http: httpx.Client) -> None:
    latency(sb, http, network="*", median_ms=50, p99_ms=100)
    sb.control.reset()
    assert profiles(sb, http) == {}
