"""Control API: faults of every kind, received and request logs, reset, config, tokens."""

from __future__ import annotations

import time

import httpx
import pytest
from sandbox_test_helpers import bearer

from sandbox.testing import RunningSandbox, running_sandbox


def x_post(
    sb: RunningSandbox, http: httpx.Client, token: str, text: str, timeout: float = 10
) -> httpx.Response:
    return http.post(
        f"{sb.url}/x/2/tweets", json={"text": text}, headers=bearer(token), timeout=timeout
    )


def x_token(sb: RunningSandbox, user: str = "cuecast_demo") -> dict[str, str]:
    return sb.control.tokens("x", user)


def test_error_5xx_creates_nothing(sb: RunningSandbox, http: httpx.Client) -> None:
    token = x_token(sb)["access_token"]
    sb.control.fault("x", "error_5xx", endpoint="POST /2/tweets", status=503, count=2)
    assert x_post(sb, http, token, "a").status_code == 503
    assert x_post(sb, http, token, "a").status_code == 503
    assert x_post(sb, http, token, "a").status_code == 201
    assert [p["text"] for p in sb.control.received("x")] == ["a"]


def test_fault_is_limited_to_its_endpoint_and_user(sb: RunningSandbox, http: httpx.Client) -> None:
    demo = x_token(sb)["access_token"]
    other = x_token(sb, "cuecast_other")["access_token"]
    sb.control.fault("x", "error_5xx", endpoint="POST /2/tweets", user="cuecast_other")
    assert http.get(f"{sb.url}/x/2/users/me", headers=bearer(other)).status_code == 200
    assert x_post(sb, http, demo, "demo").status_code == 201
    assert x_post(sb, http, other, "other").status_code == 503
    assert sb.control.faults() == []


def test_timeout_after_accept_creates_then_stalls(sb: RunningSandbox, http: httpx.Client) -> None:
    token = x_token(sb)["access_token"]
    sb.control.fault("x", "timeout_after_accept", seconds=2)
    with pytest.raises(httpx.ReadTimeout):
        x_post(sb, http, token, "maybe sent", timeout=0.3)
    received = sb.control.received("x", "cuecast_demo")
    assert [p["text"] for p in received] == ["maybe sent"]
    # the client's retry is refused as a duplicate: nothing is created twice
    assert x_post(sb, http, token, "maybe sent").status_code == 403


def test_timeout_after_accept_on_mastodon_with_idempotency(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    token = sb.control.tokens("mastodon", "demo")["access_token"]
    sb.control.fault(
        "mastodon", "timeout_after_accept", endpoint="POST /api/v1/statuses", seconds=2
    )
    headers = {**bearer(token), "Idempotency-Key": "k-1"}
    with pytest.raises(httpx.ReadTimeout):
        http.post(
            f"{sb.url}/mastodon/api/v1/statuses",
            data={"status": "hi"},
            headers=headers,
            timeout=0.3,
        )
    retry = http.post(f"{sb.url}/mastodon/api/v1/statuses", data={"status": "hi"}, headers=headers)
    assert retry.status_code == 200
    received = sb.control.received("mastodon", "demo")
    assert len(received) == 1 and received[0]["id"] == retry.json()["id"]


def test_slow_delays_but_answers(sb: RunningSandbox, http: httpx.Client) -> None:
    token = x_token(sb)["access_token"]
    sb.control.fault("x", "slow", endpoint="GET /2/users/me", seconds=0.3)
    started = time.monotonic()
    assert http.get(f"{sb.url}/x/2/users/me", headers=bearer(token)).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_rate_limit_burst(sb: RunningSandbox, http: httpx.Client) -> None:
    token = x_token(sb)["access_token"]
    sb.control.fault("x", "rate_limit_burst", endpoint="POST /2/tweets")
    got = x_post(sb, http, token, "a")
    assert got.status_code == 429 and got.headers["x-rate-limit-remaining"] == "0"
    mastodon = sb.control.tokens("mastodon", "demo")["access_token"]
    sb.control.fault("mastodon", "rate_limit_burst")
    got = http.get(
        f"{sb.url}/mastodon/api/v1/accounts/verify_credentials", headers=bearer(mastodon)
    )
    assert got.status_code == 429 and got.headers["x-ratelimit-remaining"] == "0"


def test_expire_token_then_refresh_works(sb: RunningSandbox, http: httpx.Client) -> None:
    tokens = x_token(sb)
    sb.control.fault("x", "expire_token", user="cuecast_demo")
    assert x_post(sb, http, tokens["access_token"], "a").status_code == 401
    fresh = http.post(
        f"{sb.url}/x/2/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "cuecast-sandbox",
        },
    )
    assert fresh.status_code == 200
    assert x_post(sb, http, fresh.json()["access_token"], "a").status_code == 201


def test_revoke_token_breaks_refresh_too(sb: RunningSandbox, http: httpx.Client) -> None:
    tokens = x_token(sb)
    sb.control.fault("x", "revoke_token")
    assert x_post(sb, http, tokens["access_token"], "a").status_code == 401
    refresh = http.post(
        f"{sb.url}/x/2/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "cuecast-sandbox",
        },
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    mastodon = sb.control.tokens("mastodon", "demo")["access_token"]
    sb.control.fault("mastodon", "revoke_token")
    got = http.get(
        f"{sb.url}/mastodon/api/v1/accounts/verify_credentials", headers=bearer(mastodon)
    )
    assert got.status_code == 401


@pytest.mark.parametrize(
    ("tier", "status", "check"),
    [
        (
            "unenrolled",
            403,
            lambda b: b["reason"] == "client-not-enrolled" and b["title"] == "Client Forbidden",
        ),
        ("v1_subset", 403, lambda b: b["errors"][0]["code"] == 453),
        ("usage_capped", 429, lambda b: "usage-capped" in b["type"]),
    ],
)
def test_tier_faults(
    sb: RunningSandbox, http: httpx.Client, tier: str, status: int, check: object
) -> None:
    token = x_token(sb)["access_token"]
    sb.control.fault("x", "tier", tier=tier, endpoint="POST /2/tweets")
    got = x_post(sb, http, token, "a")
    assert got.status_code == status
    assert callable(check) and check(got.json())
    assert x_post(sb, http, token, "a").status_code == 201


def test_bad_fault_requests_are_400(sb: RunningSandbox, http: httpx.Client) -> None:
    for spec in (
        {"network": "x", "kind": "nope"},
        {"network": "myspace", "kind": "slow"},
        {"network": "x", "kind": "tier", "tier": "gold"},
        {"network": "mastodon", "kind": "tier", "tier": "unenrolled"},
    ):
        assert http.post(f"{sb.url}/_sandbox/faults", json=spec).status_code == 400


def test_clear_faults(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.fault("x", "error_5xx", count=5)
    assert len(sb.control.faults()) == 1
    assert sb.control.clear_faults() == {"cleared": 1}
    token = x_token(sb)["access_token"]
    assert x_post(sb, http, token, "a").status_code == 201


def test_requests_log_redacts_authorization(sb: RunningSandbox, http: httpx.Client) -> None:
    token = x_token(sb)["access_token"]
    x_post(sb, http, token, "logged")
    records = sb.control.requests("x")
    assert records[-1]["method"] == "POST" and records[-1]["path"] == "/x/2/tweets"
    assert records[-1]["status"] == 201 and records[-1]["user"] == "cuecast_demo"
    assert records[-1]["headers"]["authorization"] == "Bearer [redacted]"
    assert token not in str(records)


def test_reset_restores_seed(sb: RunningSandbox, http: httpx.Client) -> None:
    token = x_token(sb)["access_token"]
    x_post(sb, http, token, "before reset")
    sb.control.config("mastodon", max_characters=10)
    sb.control.reset()
    assert sb.control.received() == []
    assert http.get(f"{sb.url}/x/2/users/me", headers=bearer(token)).status_code == 401
    instance = http.get(f"{sb.url}/mastodon/api/v2/instance").json()
    assert instance["configuration"]["statuses"]["max_characters"] == 500


def test_control_errors_and_index(sb: RunningSandbox, http: httpx.Client) -> None:
    assert http.post(f"{sb.url}/_sandbox/x/tokens", json={"user": "nobody"}).status_code == 404
    assert http.post(f"{sb.url}/_sandbox/nope/tokens", json={}).status_code == 404
    assert (
        http.post(f"{sb.url}/_sandbox/x/metrics", json={"id": "1", "metrics": {}}).status_code
        == 404
    )
    assert http.post(f"{sb.url}/_sandbox/x/config", json={"bogus": 1}).status_code == 400
    index = http.get(f"{sb.url}/_sandbox/").json()["networks"]
    assert index["x"]["base_url"] == f"{sb.url}/x"
    assert {u["username"] for u in index["mastodon"]["users"]} == {"demo", "other"}


def test_state_is_readable_from_the_test_thread(sb: RunningSandbox, http: httpx.Client) -> None:
    token = x_token(sb)["access_token"]
    x_post(sb, http, token, "direct")
    with sb.state.lock:
        assert [p.text for p in sb.state.logs.posts("x")] == ["direct"]


def test_running_sandbox_starts_fast_and_stops() -> None:
    started = time.monotonic()
    with running_sandbox() as other:
        assert time.monotonic() - started < 1
        assert httpx.get(f"{other.url}/").json()["networks"]["x"] == f"{other.url}/x"
        url = other.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/", timeout=1)
