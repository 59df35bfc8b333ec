"""Every row of the Threads error mapping, driven by recorded bodies in fixtures/ over
httpx.MockTransport.

Bodies follow the Graph error envelope (developers.facebook.com/docs/graph-api/guides/
error-handling) with the codes and wording the Threads docs and the sandbox use; each fixture is
{status, content_type, headers, body | text}.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cuecast import config, http
from cuecast.networks import errors as tree
from cuecast.networks.base import Account
from cuecast.networks.threads import ThreadsConnection, ThreadsNetwork
from cuecast.networks.threads import errors as terrors

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
CFG = dataclasses.replace(
    config.load(),
    threads_api_url="https://graph.threads.test",
    threads_authorize_url="https://threads.test/oauth/authorize",
    threads_app_id="123",
    threads_app_secret="app-secret",
    sandbox_enabled=False,
)
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return spec


def respond(name: str) -> httpx.Response:
    spec = load(name)
    headers = {"content-type": spec["content_type"], **spec["headers"]}
    if "body" in spec:
        return httpx.Response(spec["status"], headers=headers, content=json.dumps(spec["body"]))
    return httpx.Response(spec["status"], headers=headers, text=spec["text"])


def credentials(*, expired: bool = False, young: bool = False) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "access_token": "TH-secret-token",
        "expires_at": (now + timedelta(days=-1 if expired else 30)).isoformat(),
        "issued_at": (now - timedelta(hours=1 if young else 30 * 24)).isoformat(),
    }


def connection(handler: Any, creds: dict[str, Any] | None = None) -> ThreadsConnection:
    client = http.async_client(transport=httpx.MockTransport(handler))
    account = Account(
        external_id="25000000000000001",
        handle="cuecast_demo",
        base_url="",
        credentials=creds or credentials(),
    )
    return ThreadsNetwork(CFG).connect(account, client)


# fixture, expected for threads_publish (a create), expected for a read, expected code
API_ROWS = [
    ("token_expired_190_463", tree.AuthExpired, tree.AuthExpired, "190/463"),
    ("token_revoked_190_458", tree.Disconnected, tree.Disconnected, "190/458"),
    ("password_changed_190_460", tree.Disconnected, tree.Disconnected, "190/460"),
    ("token_invalid_190", tree.AuthExpired, tree.AuthExpired, "190"),
    ("no_token_104", tree.AuthExpired, tree.AuthExpired, "104"),
    ("user_throttled_17", tree.RateLimited, tree.RateLimited, "17"),
    ("app_throttled_4", tree.RateLimited, tree.RateLimited, "4"),
    ("throttled_613", tree.RateLimited, tree.RateLimited, "613"),
    ("unknown_1", tree.OutcomeUnknown, tree.Transient, "1"),
    ("service_2", tree.OutcomeUnknown, tree.Transient, "2"),
    ("server_500_html", tree.OutcomeUnknown, tree.Transient, "http_500"),
    ("permission_10", tree.Disconnected, tree.Disconnected, "10"),
    ("permission_200", tree.Disconnected, tree.Disconnected, "200"),
    ("policy_block_368", tree.RateLimited, tree.RateLimited, "368"),
    ("duplicate_506", tree.Duplicate, tree.Duplicate, "duplicate"),
    ("invalid_param_100", tree.Permanent, tree.Permanent, "invalid_parameter"),
    ("not_found_100_33", tree.Permanent, tree.Permanent, "not_found"),
    ("link_limit", tree.Permanent, tree.Permanent, "link-limit"),
    ("publishing_limit", tree.QuotaExhausted, tree.QuotaExhausted, "publishing-limit"),
    (
        "publishing_limit_9_2207042",
        tree.QuotaExhausted,
        tree.QuotaExhausted,
        "publishing-limit",
    ),
    ("not_ready_9007", tree.Transient, tree.Transient, "not_ready"),
    ("builder_gone_24", tree.OutcomeUnknown, tree.Transient, "builder_gone"),
    ("media_expired_2", tree.Transient, tree.Transient, "container_expired"),
]


@pytest.mark.parametrize(("fixture", "on_create", "on_read", "code"), API_ROWS)
def test_api_error_mapping(
    fixture: str, on_create: type[Exception], on_read: type[Exception], code: str
) -> None:
    for create, expected in ((True, on_create), (False, on_read)):
        error = terrors.from_response(respond(fixture), create=create, refreshable=True, now=NOW)
        assert type(error) is expected, (fixture, create, error)
        assert error.code == code
        assert "secret-token" not in error.message and error.message.endswith(".")


@pytest.mark.parametrize("fixture", ["token_expired_190_463", "token_invalid_190", "no_token_104"])
def test_an_expired_token_that_cannot_be_refreshed_disconnects(fixture: str) -> None:
    """Threads cannot refresh an expired long-lived token (docs, long-lived tokens)."""
    error = terrors.from_response(respond(fixture), refreshable=False, now=NOW)
    assert isinstance(error, tree.Disconnected)
    assert "connect" in error.message.lower()


def test_throttle_waits_for_the_time_the_headers_name() -> None:
    error = terrors.from_response(respond("user_throttled_17"), now=NOW)
    assert isinstance(error, tree.RateLimited) and not isinstance(error, tree.QuotaExhausted)
    assert error.retry_at == NOW + timedelta(minutes=13)  # regain 12 min, plus a minute


def test_throttle_without_a_named_time_waits_a_little() -> None:
    error = terrors.from_response(respond("throttled_613"), now=NOW)
    assert isinstance(error, tree.RateLimited)
    assert error.retry_at == NOW + timedelta(minutes=6)


def test_publishing_limit_names_a_reopening_time() -> None:
    error = terrors.from_response(respond("publishing_limit"), now=NOW)
    assert isinstance(error, tree.QuotaExhausted)
    assert error.retry_at is not None and error.retry_at > NOW


def test_permanent_errors_show_threads_own_explanation() -> None:
    error = terrors.from_response(respond("invalid_param_100"), now=NOW)
    assert error.message == "Threads refused the request: The parameter media_type is required."


TOKEN_ROWS = [
    ("token_bad_secret_1", tree.Permanent, "invalid_client"),
    ("token_bad_app_101", tree.Permanent, "invalid_client"),
    ("token_expired_190_463", tree.Disconnected, "190"),
    ("token_revoked_190_458", tree.Disconnected, "190"),
    ("token_code_used_100", tree.Permanent, "100"),
    ("token_refresh_too_young_100", tree.Permanent, "100"),
    ("token_flat_oauth", tree.Permanent, "400"),
    ("app_throttled_4", tree.RateLimited, "4"),
    ("server_500_html", tree.Transient, "http_500"),
]


@pytest.mark.parametrize(("fixture", "expected", "code"), TOKEN_ROWS)
def test_token_error_mapping(fixture: str, expected: type[Exception], code: str) -> None:
    error = terrors.from_token_response(respond(fixture))
    assert type(error) is expected, (fixture, error)
    assert error.code == code


@pytest.mark.parametrize(
    ("message", "fragment"),
    [
        ("FAILED_DOWNLOADING_VIDEO", "CUECAST_PUBLIC_URL"),
        ("INVALID_DURATION", "5 minutes"),
        ("UNKNOWN", "could not prepare"),
        ("", "could not prepare"),
    ],
)
def test_container_errors_are_sentences(message: str, fragment: str) -> None:
    error = terrors.container_failed(message)
    assert isinstance(error, tree.Permanent) and fragment in error.message


@pytest.mark.parametrize(
    ("exc", "create", "expected"),
    [
        (httpx.ConnectError("refused"), True, tree.Transient),
        (httpx.ReadTimeout("slow"), True, tree.OutcomeUnknown),
        (httpx.ReadTimeout("slow"), False, tree.Transient),
        (httpx.RemoteProtocolError("cut"), True, tree.OutcomeUnknown),
    ],
)
def test_transport_errors(exc: httpx.TransportError, create: bool, expected: type) -> None:
    assert type(terrors.from_transport(exc, create=create)) is expected


async def test_a_young_token_is_not_refreshable_so_expiry_disconnects() -> None:
    """Threads refreshes only tokens at least 24 hours old: an AuthExpired could not be fixed."""
    conn = connection(lambda request: respond("token_expired_190_463"), credentials(young=True))
    with pytest.raises(tree.Disconnected):
        await conn.fetch_metrics("1")
    assert await conn.refresh_credentials() is None


async def test_a_container_5xx_is_transient_and_a_publish_5xx_is_unknown() -> None:
    """A stray container is harmless (it expires unpublished); a publish may have happened."""
    from cuecast.networks.base import Part, PublishRequest

    def on_container(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/threads_publishing_limit"):
            return httpx.Response(200, json={"data": [{"quota_usage": 0, "config": {}}]})
        return respond("server_500_html")

    conn = connection(on_container)
    with pytest.raises(tree.Transient):
        await conn.publish(PublishRequest(parts=(Part("hi"),), idempotency_key="k"))

    def on_publish(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/threads_publishing_limit"):
            return httpx.Response(200, json={"data": [{"quota_usage": 0, "config": {}}]})
        if path.endswith("/threads_publish"):
            return respond("server_500_html")
        if request.method == "POST":
            return httpx.Response(200, json={"id": "c1"})
        return httpx.Response(200, json={"status": "FINISHED", "id": "c1"})

    conn = connection(on_publish)
    with pytest.raises(tree.OutcomeUnknown):
        await conn.publish(PublishRequest(parts=(Part("hi"),), idempotency_key="k"))
