"""Every row of the X error mapping, driven by recorded bodies in fixtures/ over httpx.MockTransport.

Bodies come from platform_apis.md §1.6 (observed X answers), the OpenAPI problem types and the
sandbox; each fixture is {status, content_type, headers, body | text}.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cuecast import config, http
from cuecast.networks import errors as tree
from cuecast.networks.base import Account, Part, PublishRequest
from cuecast.networks.x import XConnection, XNetwork
from cuecast.networks.x import errors as xerrors

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
CFG = dataclasses.replace(
    config.load(),
    x_api_url="https://api.x.test",
    x_web_url="https://x.test",
    x_client_id="cid",
    x_client_secret="csecret",
)


def load(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return spec


def respond(name: str) -> httpx.Response:
    spec = load(name)
    headers = {"content-type": spec["content_type"], **spec["headers"]}
    if "body" in spec:
        return httpx.Response(spec["status"], headers=headers, content=json.dumps(spec["body"]))
    return httpx.Response(spec["status"], headers=headers, text=spec["text"])


def connection(handler: Any) -> tuple[XConnection, httpx.AsyncClient]:
    client = http.async_client(transport=httpx.MockTransport(handler))
    account = Account(
        external_id="42",
        handle="demo",
        base_url="",
        credentials={"access_token": "AT-secret", "refresh_token": "RT-secret", "expires_at": None},
    )
    return XNetwork(CFG).connect(account, client), client


REQUEST = PublishRequest(parts=(Part("hello"),), idempotency_key="k")

# fixture, expected error for a create (POST /2/tweets), expected for a read, expected code
API_ROWS = [
    ("unauthorized_401", tree.AuthExpired, tree.AuthExpired, "unauthorized"),
    (
        "client_not_enrolled_403",
        tree.AccessTierMissing,
        tree.AccessTierMissing,
        "client-not-enrolled",
    ),
    ("v1_subset_453_403", tree.AccessTierMissing, tree.AccessTierMissing, "453"),
    ("duplicate_content_403", tree.Duplicate, tree.Duplicate, "duplicate-content"),
    ("duplicate_legacy_187_403", tree.Duplicate, tree.Duplicate, "duplicate"),
    ("reply_target_gone_403", tree.Permanent, tree.Permanent, "reply-target-gone"),
    (
        "unsupported_authentication_403",
        tree.Disconnected,
        tree.Disconnected,
        "unsupported-authentication",
    ),
    ("forbidden_other_403", tree.Permanent, tree.Permanent, "forbidden"),
    ("rate_limited_429", tree.RateLimited, tree.RateLimited, "rate-limited"),
    ("rate_limited_legacy_88_429", tree.RateLimited, tree.RateLimited, "rate-limited"),
    ("daily_limit_429", tree.QuotaExhausted, tree.QuotaExhausted, "daily-limit"),
    ("usage_capped_429", tree.QuotaExhausted, tree.QuotaExhausted, "usage-capped"),
    ("invalid_request_400", tree.Permanent, tree.Permanent, "invalid_request"),
    ("not_found_404", tree.Permanent, tree.Permanent, "not_found"),
    ("service_unavailable_503", tree.OutcomeUnknown, tree.Transient, "http_503"),
    ("internal_error_500_html", tree.OutcomeUnknown, tree.Transient, "http_500"),
]


@pytest.mark.parametrize(("fixture", "on_create", "on_read", "code"), API_ROWS)
async def test_api_error_mapping(
    fixture: str, on_create: type[Exception], on_read: type[Exception], code: str
) -> None:
    conn, client = connection(lambda request: respond(fixture))
    async with client:
        with pytest.raises(tree.NetworkError) as created:
            await conn.publish(REQUEST)
        with pytest.raises(tree.NetworkError) as read:
            await conn.fetch_metrics("1") if not fixture.startswith(
                "invalid"
            ) else await conn.delete("1")
    assert type(created.value) is on_create
    assert type(read.value) is on_read
    assert created.value.code == code
    assert created.value.status == load(fixture)["status"]
    for exc in (created.value, read.value):
        message = exc.message
        assert message.endswith(".") and "{" not in message
        assert not any(v in message for v in ("RT-secret", "AT-secret", "csecret"))


def test_every_text_rule_has_a_fixture() -> None:
    covered = {row[3] for row in API_ROWS} | {"refresh-token-invalid"}
    assert {rule.name for rule in xerrors.TEXT_RULES} <= covered


def test_tier_message_is_plain() -> None:
    err = xerrors.from_response(respond("client_not_enrolled_403"))
    assert err.message == (
        "Your X developer app's access level does not include posting. Upgrade the app's access "
        "on X, then release the held posts."
    )


def test_invalid_request_shows_x_detail() -> None:
    err = xerrors.from_response(respond("invalid_request_400"))
    assert err.message == "X refused the request: Your Post text is too long."


def test_retry_at_from_headers() -> None:
    plain = xerrors.from_response(respond("rate_limited_429"))
    assert isinstance(plain, tree.RateLimited)
    assert plain.retry_at == datetime.fromtimestamp(1800000900, UTC)
    daily = xerrors.from_response(respond("daily_limit_429"))
    assert isinstance(daily, tree.QuotaExhausted)
    # the exhausted 24-hour user window decides; the app window (not exhausted) does not
    assert daily.retry_at == datetime.fromtimestamp(1800050000, UTC)
    capped = xerrors.from_response(respond("usage_capped_429"))
    assert isinstance(capped, tree.QuotaExhausted) and capped.retry_at is None


TOKEN_ROWS = [
    ("token_invalid_grant_400", tree.Disconnected, "invalid_grant"),
    ("token_refresh_invalid_request_400", tree.Disconnected, "refresh-token-invalid"),
    ("token_unauthorized_client_401", tree.Permanent, "unauthorized_client"),
    ("token_bad_code_400", tree.Permanent, "invalid_request"),
    ("service_unavailable_503", tree.Transient, "http_503"),
    ("rate_limited_429", tree.RateLimited, "rate-limited"),
]


@pytest.mark.parametrize(("fixture", "expected", "code"), TOKEN_ROWS)
async def test_token_error_mapping(fixture: str, expected: type[Exception], code: str) -> None:
    conn, client = connection(lambda request: respond(fixture))
    async with client:
        with pytest.raises(tree.NetworkError) as caught:
            await conn.refresh_credentials()
    assert type(caught.value) is expected
    assert caught.value.code == code
    assert not any(v in caught.value.message for v in ("RT-secret", "AT-secret", "csecret"))
    assert conn.account.credentials["refresh_token"] == "RT-secret"  # unchanged on failure


def raising(exc: Exception) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("exc", "on_create", "on_read"),
    [
        (httpx.ConnectError("refused"), tree.Transient, tree.Transient),
        (httpx.ConnectTimeout("slow"), tree.Transient, tree.Transient),
        (httpx.PoolTimeout("busy"), tree.Transient, tree.Transient),
        (httpx.ReadTimeout("no answer"), tree.OutcomeUnknown, tree.Transient),
        (httpx.WriteTimeout("half sent"), tree.OutcomeUnknown, tree.Transient),
        (httpx.RemoteProtocolError("closed"), tree.OutcomeUnknown, tree.Transient),
        (httpx.ReadError("reset"), tree.OutcomeUnknown, tree.Transient),
    ],
)
async def test_transport_errors(
    exc: Exception, on_create: type[Exception], on_read: type[Exception]
) -> None:
    conn, client = connection(raising(exc))
    async with client:
        with pytest.raises(tree.NetworkError) as created:
            await conn.publish(REQUEST)
        with pytest.raises(tree.NetworkError) as read:
            await conn.fetch_metrics("1")
    assert type(created.value) is on_create
    assert type(read.value) is on_read
