"""Every row of the Bluesky error mapping, driven by recorded bodies in fixtures/ over MockTransport.

Each fixture is {status, content_type, headers, body | text, source}: the XRPC envelope as the
reference PDS (or a proxy in front of it) sends it.
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
from cuecast.networks.bluesky import BlueskyConnection, BlueskyNetwork
from cuecast.networks.bluesky import errors as berrors

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
CFG = dataclasses.replace(
    config.load(), bluesky_default_pds="https://pds.bsky.test", bluesky_web_url="https://bsky.test"
)
SECRETS = ("AT-secret", "RT-secret", "app-pass-word")
URI = "at://did:plc:abc/app.bsky.feed.post/3kabcdefghij2"


def load(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return spec


def respond(name: str) -> httpx.Response:
    spec = load(name)
    headers = {"content-type": spec["content_type"], **spec["headers"]}
    if "body" in spec:
        return httpx.Response(spec["status"], headers=headers, content=json.dumps(spec["body"]))
    return httpx.Response(spec["status"], headers=headers, text=spec["text"])


def connection(handler: Any) -> tuple[BlueskyConnection, httpx.AsyncClient]:
    client = http.async_client(transport=httpx.MockTransport(handler))
    account = Account(
        external_id="did:plc:abc",
        handle="demo.bsky.test",
        base_url=CFG.bluesky_default_pds,
        credentials={"accessJwt": "AT-secret", "refreshJwt": "RT-secret", "did": "did:plc:abc"},
    )
    return BlueskyNetwork(CFG).connect(account, client), client


REQUEST = PublishRequest(parts=(Part("hello"),), idempotency_key="k")

# fixture, on createRecord, on a read (getPosts), code
API_ROWS = [
    ("expired_token_400", tree.AuthExpired, tree.AuthExpired, "ExpiredToken"),
    ("expired_token_appview_401", tree.AuthExpired, tree.AuthExpired, "ExpiredToken"),
    ("token_revoked_400", tree.AuthExpired, tree.AuthExpired, "ExpiredToken"),
    ("invalid_token_400", tree.AuthExpired, tree.AuthExpired, "InvalidToken"),
    ("auth_missing_401", tree.AuthExpired, tree.AuthExpired, "AuthMissing"),
    ("account_takedown_400", tree.Disconnected, tree.Disconnected, "AccountTakedown"),
    ("rate_limited_429", tree.RateLimited, tree.RateLimited, "rate-limited"),
    ("write_points_day_429", tree.QuotaExhausted, tree.QuotaExhausted, "daily-limit"),
    ("record_not_found_400", tree.Permanent, tree.Permanent, "record-not-found"),
    ("record_not_found_legacy_400", tree.Permanent, tree.Permanent, "record-not-found"),
    ("already_exists_400", tree.OutcomeUnknown, tree.OutcomeUnknown, "already-exists"),
    ("record_already_exists_409", tree.OutcomeUnknown, tree.OutcomeUnknown, "already-exists"),
    ("text_too_long_400", tree.Permanent, tree.Permanent, "text-too-long"),
    ("image_too_large_400", tree.Permanent, tree.Permanent, "image-too-large"),
    ("payload_too_large_413", tree.Permanent, tree.Permanent, "image-too-large"),
    ("invalid_swap_400", tree.Transient, tree.Transient, "InvalidSwap"),
    ("invalid_request_400", tree.Permanent, tree.Permanent, "InvalidRequest"),
    ("internal_error_500", tree.OutcomeUnknown, tree.Transient, "http_500"),
    ("bad_gateway_502_html", tree.OutcomeUnknown, tree.Transient, "http_502"),
    ("not_implemented_501", tree.Permanent, tree.Permanent, "MethodNotImplemented"),
    ("xrpc_not_supported_404", tree.Permanent, tree.Permanent, "XRPCNotSupported"),
]


def _plain(exc: tree.NetworkError) -> None:
    assert exc.message.endswith(".") and "{" not in exc.message
    assert not any(s in exc.message for s in SECRETS)


@pytest.mark.parametrize(("fixture", "on_create", "on_read", "code"), API_ROWS)
async def test_api_error_mapping(
    fixture: str, on_create: type[Exception], on_read: type[Exception], code: str
) -> None:
    conn, client = connection(lambda request: respond(fixture))
    async with client:
        with pytest.raises(tree.NetworkError) as created:
            await conn.publish(REQUEST)
        with pytest.raises(tree.NetworkError) as read:
            await conn.fetch_metrics(URI)
    assert type(created.value) is on_create
    assert type(read.value) is on_read
    assert created.value.code == code
    assert created.value.status == load(fixture)["status"]
    for exc in (created.value, read.value):
        _plain(exc)


def test_every_text_rule_has_a_fixture() -> None:
    covered = {row[3] for row in API_ROWS}
    assert {rule.name for rule in berrors.TEXT_RULES} <= covered


def test_invalid_request_shows_bluesky_message() -> None:
    err = berrors.from_response(respond("invalid_request_400"))
    assert err.message == "Bluesky refused the request: Input/record must be an object."


def test_retry_at_from_headers() -> None:
    plain = berrors.from_response(respond("rate_limited_429"))
    assert isinstance(plain, tree.RateLimited) and not isinstance(plain, tree.QuotaExhausted)
    assert plain.retry_at == datetime.fromtimestamp(1800000900, UTC)
    daily = berrors.from_response(respond("write_points_day_429"))
    assert isinstance(daily, tree.QuotaExhausted)
    assert daily.retry_at == datetime.fromtimestamp(1800050000, UTC)


def test_reset_as_delta_seconds_and_retry_after() -> None:
    now = datetime.now(UTC)
    delta = httpx.Response(429, headers={"ratelimit-reset": "60"}, json={"error": "x"})
    err = berrors.from_response(delta)
    assert isinstance(err, tree.RateLimited) and err.retry_at is not None
    assert 55 <= (err.retry_at - now).total_seconds() <= 65
    after = httpx.Response(429, headers={"retry-after": "30"}, text="slow down")
    err = berrors.from_response(after)
    assert isinstance(err, tree.RateLimited) and err.retry_at is not None


# fixture, on refreshSession, code
REFRESH_ROWS = [
    ("expired_token_400", tree.Disconnected, "ExpiredToken"),
    ("token_revoked_400", tree.Disconnected, "ExpiredToken"),
    ("invalid_token_400", tree.Disconnected, "InvalidToken"),
    ("auth_missing_401", tree.Disconnected, "AuthMissing"),
    ("account_takedown_400", tree.Disconnected, "AccountTakedown"),
    ("internal_error_500", tree.Transient, "http_500"),
    ("rate_limited_429", tree.RateLimited, "rate-limited"),
]


@pytest.mark.parametrize(("fixture", "expected", "code"), REFRESH_ROWS)
async def test_refresh_error_mapping(fixture: str, expected: type[Exception], code: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return respond(fixture)

    conn, client = connection(handler)
    async with client:
        with pytest.raises(tree.NetworkError) as caught:
            await conn.refresh_credentials()
    assert type(caught.value) is expected
    assert caught.value.code == code
    _plain(caught.value)
    assert seen[0].url.path == "/xrpc/com.atproto.server.refreshSession"
    assert seen[0].headers["authorization"] == "Bearer RT-secret"
    assert conn.account.credentials["refreshJwt"] == "RT-secret"  # unchanged on failure


# fixture, on createSession, code
LOGIN_ROWS = [
    ("login_invalid_401", tree.Permanent, "AuthenticationRequired"),
    ("login_auth_factor_401", tree.Permanent, "AuthFactorTokenRequired"),
    ("account_takedown_400", tree.Permanent, "AccountTakedown"),
    ("rate_limited_429", tree.RateLimited, "rate-limited"),
    ("internal_error_500", tree.Transient, "http_500"),
]


@pytest.mark.parametrize(("fixture", "expected", "code"), LOGIN_ROWS)
async def test_login_error_mapping(fixture: str, expected: type[Exception], code: str) -> None:
    network = BlueskyNetwork(CFG, transport=httpx.MockTransport(lambda request: respond(fixture)))
    with pytest.raises(tree.NetworkError) as caught:
        await network.app_password().login(
            server_url="", identifier="demo.bsky.test", password="app-pass-word"
        )
    assert type(caught.value) is expected
    assert caught.value.code == code
    _plain(caught.value)


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
        (httpx.RemoteProtocolError("dropped"), tree.OutcomeUnknown, tree.Transient),
    ],
)
async def test_transport_mapping(
    exc: Exception, on_create: type[Exception], on_read: type[Exception]
) -> None:
    conn, client = connection(raising(exc))
    async with client:
        with pytest.raises(tree.NetworkError) as created:
            await conn.publish(REQUEST)
        with pytest.raises(tree.NetworkError) as read:
            await conn.fetch_metrics(URI)
    assert type(created.value) is on_create
    assert type(read.value) is on_read


async def test_5xx_on_create_settled_by_reading_the_key_back() -> None:
    """The reference PDS answers 500 when the record key is taken: the read-back decides."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createRecord"):
            return respond("internal_error_500")
        rkey = request.url.params["rkey"]
        return httpx.Response(
            200, json={"uri": f"at://did:plc:abc/app.bsky.feed.post/{rkey}", "cid": "bafyx"}
        )

    conn, client = connection(handler)
    async with client:
        result = await conn.publish(REQUEST)
    assert result.external_id.startswith("at://did:plc:abc/app.bsky.feed.post/")
    assert result.permalink.startswith("https://bsky.test/profile/demo.bsky.test/post/")
