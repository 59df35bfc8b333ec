"""Chaos mode: seeded random faults on write endpoints, counted per kind and network."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_test_helpers import bearer

from sandbox.testing import RunningSandbox


@pytest.fixture
def x_token(sb: RunningSandbox) -> str:
    return str(sb.control.tokens("x", "cuecast_demo")["access_token"])


@pytest.fixture
def chaos_off(sb: RunningSandbox) -> Iterator[None]:
    yield
    sb.control.chaos_off()


def post(sb: RunningSandbox, http: httpx.Client, token: str, text: str, timeout: float = 10) -> int:
    response = http.post(
        f"{sb.url}/x/2/tweets", json={"text": text}, headers=bearer(token), timeout=timeout
    )
    return response.status_code


def received_texts(sb: RunningSandbox, network: str = "x") -> list[str]:
    return [p["text"] for p in sb.control.received(network)]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"error_5xx": 0.6, "slow": 0.6}, "add up to more than 1"),
        ({"error_5xx": -0.1}, "between 0 and 1"),
        ({"seed": "seven"}, "seed must be a whole number"),
        ({"networks": ["myspace"]}, "is not one of"),
        ({"status": 404}, "between 500 and 599"),
        ({"surprise": 0.1}, "unknown chaos setting 'surprise'"),
        ({"endpoints": "POST /2/tweets"}, "endpoints must be a list"),
    ],
)
def test_settings_are_checked(
    sb: RunningSandbox, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        sb.control.chaos(**settings)
    assert refused.value.response.status_code == 400
    assert message in refused.value.response.json()["error"]
    assert sb.control.chaos_report()["enabled"] is False


def test_5xx_on_writes_creates_nothing_and_leaves_reads_alone(
    sb: RunningSandbox, http: httpx.Client, x_token: str, chaos_off: None
) -> None:
    sb.control.chaos(seed=1, error_5xx=1.0, status=502)
    assert post(sb, http, x_token, "never") == 502
    me = http.get(f"{sb.url}/x/2/users/me", headers=bearer(x_token))
    assert me.status_code == 200  # a read: not eligible
    assert received_texts(sb) == []
    report = sb.control.chaos_report()
    assert report["injected"]["error_5xx"] == {"x": 1}
    assert report["eligible"] == {"x": 1}
    assert report["totals"] == {
        "error_5xx": 1,
        "timeout_after_accept": 0,
        "rate_limit_burst": 0,
        "slow": 0,
    }
    faults = [r["fault"] for r in sb.control.requests("x")]
    assert faults == ["error_5xx", None]


def test_token_endpoints_are_not_eligible(
    sb: RunningSandbox, http: httpx.Client, chaos_off: None
) -> None:
    refresh = sb.control.tokens("x", "cuecast_demo")["refresh_token"]
    sb.control.chaos(seed=1, error_5xx=1.0)
    renewed = http.post(
        f"{sb.url}/x/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=("cuecast-sandbox", "cuecast-sandbox-secret"),
    )
    assert renewed.status_code == 200, renewed.text
    assert sb.control.chaos_report()["eligible"] == {}


def test_one_seed_gives_one_sequence(
    sb: RunningSandbox, http: httpx.Client, chaos_off: None
) -> None:
    def run() -> list[int]:
        sb.control.reset()
        token = str(sb.control.tokens("x", "cuecast_demo")["access_token"])
        sb.control.chaos(seed=42, error_5xx=0.5)
        return [post(sb, http, token, f"post {n}") for n in range(24)]

    first, second = run(), run()
    assert first == second
    assert set(first) == {201, 503}  # both outcomes really occur with this seed
    assert len(received_texts(sb)) == first.count(201)


def test_timeout_after_accept_creates_then_withholds_the_answer(
    sb: RunningSandbox, http: httpx.Client, x_token: str, chaos_off: None
) -> None:
    sb.control.chaos(seed=3, timeout_after_accept=1.0, timeout_seconds=5)
    with pytest.raises(httpx.ReadTimeout):
        post(sb, http, x_token, "sent, but who knows", timeout=0.5)
    assert received_texts(sb) == ["sent, but who knows"]
    assert sb.control.chaos_report()["injected"]["timeout_after_accept"] == {"x": 1}


def test_rate_limit_burst_uses_up_the_window_with_real_headers(
    sb: RunningSandbox,
    http: httpx.Client,
    x_token: str,
    chaos_off: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb.control.config("x", rate_window_seconds=60)
    sb.control.chaos(seed=5, rate_limit_burst=1.0)
    refused = http.post(f"{sb.url}/x/2/tweets", json={"text": "a"}, headers=bearer(x_token))
    assert refused.status_code == 429
    assert refused.headers["x-rate-limit-remaining"] == "0"
    reset = int(refused.headers["x-rate-limit-reset"])
    sb.control.chaos_off()
    assert post(sb, http, x_token, "still in the window") == 429  # the burst, not chaos
    now = sb.state.clock()
    assert reset <= now + 61
    monkeypatch.setattr(sb.state, "clock", lambda: now + 61)  # the shortened window has passed
    assert post(sb, http, x_token, "after the window") == 201
    assert received_texts(sb) == ["after the window"]


def test_slow_answers_late_but_normally(
    sb: RunningSandbox, http: httpx.Client, x_token: str, chaos_off: None
) -> None:
    sb.control.chaos(seed=9, slow=1.0, slow_seconds=0.2)
    assert post(sb, http, x_token, "eventually") == 201
    assert received_texts(sb) == ["eventually"]
    assert [r["fault"] for r in sb.control.requests("x")] == ["slow"]


def test_endpoints_and_networks_narrow_it_down(
    sb: RunningSandbox, http: httpx.Client, x_token: str, chaos_off: None
) -> None:
    masto = sb.control.tokens("mastodon", "demo")["access_token"]
    sb.control.chaos(seed=1, error_5xx=1.0, endpoints=["POST /api/v1/statuses"])
    toot = http.post(
        f"{sb.url}/mastodon/api/v1/statuses", json={"status": "hi"}, headers=bearer(masto)
    )
    assert toot.status_code == 503
    assert post(sb, http, x_token, "not in the list") == 201

    sb.control.chaos(seed=1, error_5xx=1.0, networks=["mastodon"])
    assert post(sb, http, x_token, "not that network") == 201
    report = sb.control.chaos_report()
    assert report["injected"]["error_5xx"] == {} and report["eligible"] == {}


def test_explicit_faults_go_first(
    sb: RunningSandbox, http: httpx.Client, x_token: str, chaos_off: None
) -> None:
    sb.control.fault("x", "error_5xx", endpoint="POST /2/tweets", status=500)
    sb.control.chaos(seed=1, error_5xx=1.0, status=503)
    assert post(sb, http, x_token, "a") == 500
    assert post(sb, http, x_token, "b") == 503
    assert sb.control.chaos_report()["totals"]["error_5xx"] == 1


def test_off_keeps_the_counts_and_reset_forgets_everything(
    sb: RunningSandbox, http: httpx.Client, x_token: str
) -> None:
    sb.control.chaos(seed=1, error_5xx=1.0)
    post(sb, http, x_token, "a")
    stopped = sb.control.chaos_off()
    assert stopped["enabled"] is False and stopped["totals"]["error_5xx"] == 1
    assert post(sb, http, x_token, "b") == 201
    assert sb.control.chaos_report()["totals"]["error_5xx"] == 1
    sb.control.chaos(seed=1, error_5xx=1.0)
    sb.control.reset()
    report = sb.control.chaos_report()
    assert report["enabled"] is False and report["totals"]["error_5xx"] == 0


def test_first_of_each_injects_every_kind_before_drawing(
    sb: RunningSandbox, http: httpx.Client, x_token: str, chaos_off: None
) -> None:
    sb.control.config("x", rate_window_seconds=1)
    sb.control.chaos(
        seed=11,
        first_of_each=True,
        error_5xx=0.001,
        timeout_after_accept=0.001,
        timeout_seconds=0,
        rate_limit_burst=0.001,
        slow=0.001,
        slow_seconds=0,
    )
    for n in range(4):
        post(sb, http, x_token, f"post {n}")
    totals = sb.control.chaos_report()["totals"]
    assert totals == {"error_5xx": 1, "timeout_after_accept": 1, "rate_limit_burst": 1, "slow": 1}
    with pytest.raises(httpx.HTTPStatusError):
        sb.control.chaos(first_of_each="yes")
