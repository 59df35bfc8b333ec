"""Every row of the Facebook error mapping, driven by recorded bodies in fixtures/ over
httpx.MockTransport.

Bodies follow the Graph error envelope (developers.facebook.com/docs/graph-api/guides/
error-handling) with messages as Graph words them (platform_apis.md §3.6, koala issues, the
sandbox); each fixture is {status, content_type, headers, body | text}.
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
from cuecast.networks.base import Account, Part, PublishRequest
from cuecast.networks.facebook import FacebookConnection, FacebookNetwork, login, ratelimit
from cuecast.networks.facebook import errors as fberrors

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
CFG = dataclasses.replace(
    config.load(),
    facebook_graph_url="https://graph.facebook.test",
    facebook_dialog_url="https://www.facebook.test",
    facebook_web_url="https://www.facebook.test",
    facebook_graph_version="v21.0",
    facebook_app_id="app-id",
    facebook_app_secret="app-secret",
)
SECRETS = ("PAGE-secret", "USER-secret", "app-secret")


def load(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return spec


def respond(name: str) -> httpx.Response:
    spec = load(name)
    headers = {"content-type": spec["content_type"], **spec["headers"]}
    if "body" in spec:
        return httpx.Response(spec["status"], headers=headers, content=json.dumps(spec["body"]))
    return httpx.Response(spec["status"], headers=headers, text=spec["text"])


def connection(handler: Any) -> tuple[FacebookConnection, httpx.AsyncClient]:
    client = http.async_client(transport=httpx.MockTransport(handler))
    account = Account(
        external_id="100000000000101",
        handle="Demo Page",
        base_url="",
        credentials={"page_access_token": "PAGE-secret", "user_access_token": "USER-secret"},
    )
    return FacebookNetwork(CFG).connect(account, client), client


REQUEST = PublishRequest(parts=(Part("hello"),), idempotency_key="k")

# fixture, expected error for a create (POST /{page}/feed), expected for a read, expected code
API_ROWS = [
    ("token_expired_190_463", tree.Disconnected, tree.Disconnected, "190.463"),
    ("token_password_changed_190_460", tree.Disconnected, tree.Disconnected, "190.460"),
    ("token_app_removed_190_458", tree.Disconnected, tree.Disconnected, "190.458"),
    ("token_logged_out_190_467", tree.Disconnected, tree.Disconnected, "190.467"),
    ("token_unparseable_190", tree.Disconnected, tree.Disconnected, "190"),
    ("token_checkpoint_190_459", tree.Disconnected, tree.Disconnected, "190.459"),
    ("app_limit_4", tree.RateLimited, tree.RateLimited, "4"),
    ("user_limit_17", tree.RateLimited, tree.RateLimited, "17"),
    ("page_limit_32_buc", tree.RateLimited, tree.RateLimited, "32"),
    ("throttled_613", tree.RateLimited, tree.RateLimited, "613"),
    ("pages_buc_80001", tree.RateLimited, tree.RateLimited, "80001"),
    ("duplicate_506", tree.Duplicate, tree.Duplicate, "506"),
    ("duplicate_368_already_posted", tree.Duplicate, tree.Duplicate, "duplicate-368"),
    ("blocked_368", tree.Permanent, tree.Permanent, "368"),
    ("permission_200", tree.Disconnected, tree.Permanent, "200"),
    ("permission_10", tree.Disconnected, tree.Permanent, "10"),
    ("invalid_parameter_100", tree.Permanent, tree.Permanent, "100"),
    ("not_found_100_33", tree.Permanent, tree.Permanent, "not_found"),
    ("link_error_1609005", tree.Permanent, tree.Permanent, "1609005"),
    ("unknown_1_500", tree.OutcomeUnknown, tree.Transient, "1"),
    ("service_2_503", tree.OutcomeUnknown, tree.Transient, "2"),
    ("bad_gateway_502_html", tree.OutcomeUnknown, tree.Transient, "http_502"),
]


def assert_plain(exc: tree.NetworkError) -> None:
    message = exc.message
    assert message.endswith(".") and "{" not in message
    assert not any(secret in message for secret in SECRETS)


@pytest.mark.parametrize(("fixture", "on_create", "on_read", "code"), API_ROWS)
async def test_api_error_mapping(
    fixture: str, on_create: type[Exception], on_read: type[Exception], code: str
) -> None:
    conn, client = connection(lambda request: respond(fixture))
    async with client:
        with pytest.raises(tree.NetworkError) as created:
            await conn.publish(REQUEST)
        with pytest.raises(tree.NetworkError) as read:
            await conn.fetch_metrics("100000000000101_1")
    assert type(created.value) is on_create
    assert type(read.value) is on_read
    assert created.value.code == code
    assert created.value.status == load(fixture)["status"]
    for exc in (created.value, read.value):
        assert_plain(exc)


async def test_disconnected_message_asks_to_reconnect() -> None:
    conn, client = connection(lambda request: respond("token_expired_190_463"))
    async with client:
        with pytest.raises(tree.Disconnected) as caught:
            await conn.publish(REQUEST)
    assert "connect the facebook page again" in caught.value.message.lower()


async def test_retry_at_comes_from_the_buc_estimate() -> None:
    conn, client = connection(lambda request: respond("page_limit_32_buc"))
    before = datetime.now(UTC)
    async with client:
        with pytest.raises(tree.RateLimited) as caught:
            await conn.publish(REQUEST)
    retry_at = caught.value.retry_at
    assert retry_at is not None
    margin = ratelimit.REGAIN_MARGIN
    assert before + timedelta(minutes=30) + margin <= retry_at
    assert retry_at <= datetime.now(UTC) + timedelta(minutes=30) + margin


async def test_retry_at_defaults_without_an_estimate() -> None:
    conn, client = connection(lambda request: respond("app_limit_4"))
    before = datetime.now(UTC)
    async with client:
        with pytest.raises(tree.RateLimited) as caught:
            await conn.publish(REQUEST)
    retry_at = caught.value.retry_at
    assert retry_at is not None and retry_at >= before + fberrors.DEFAULT_WAIT


async def test_unpublished_photo_upload_is_not_a_create() -> None:
    """Uploading an unpublished photo creates no post: a 5xx there is Transient."""
    conn, client = connection(lambda request: respond("service_2_503"))
    async with client:
        with pytest.raises(tree.Transient):
            await conn._upload(_media(), published=False)


def _media() -> Any:
    from cuecast.networks.base import MediaItem

    path = FIXTURES / "pixel.png"
    return MediaItem(path=str(path), content_type="image/png", size_bytes=path.stat().st_size)


@pytest.mark.parametrize(
    ("exc", "create", "expected"),
    [
        (httpx.ConnectError("refused"), True, tree.Transient),
        (httpx.ReadTimeout("slow"), True, tree.OutcomeUnknown),
        (httpx.ReadTimeout("slow"), False, tree.Transient),
        (httpx.RemoteProtocolError("cut"), True, tree.OutcomeUnknown),
    ],
)
def test_transport_mapping(exc: httpx.TransportError, create: bool, expected: type) -> None:
    assert type(fberrors.from_transport(exc, create=create)) is expected


def test_every_text_rule_has_a_fixture() -> None:
    covered = {row[3] for row in API_ROWS} | {row[2] for row in LOGIN_ROWS}
    assert {r.name for r in (*fberrors.TEXT_RULES, *fberrors.LOGIN_TEXT_RULES)} <= covered


# fixture, expected error while connecting, expected code
LOGIN_ROWS = [
    ("login_invalid_code_100", tree.Permanent, "100"),
    ("login_code_used_100_36009", tree.Permanent, "100"),
    ("login_bad_secret_1", tree.Permanent, "invalid-client"),
    ("login_bad_app_101", tree.Permanent, "invalid-client"),
    ("login_service_2", tree.Transient, "2"),
    ("app_limit_4", tree.RateLimited, "4"),
]


@pytest.mark.parametrize(("fixture", "expected", "code"), LOGIN_ROWS)
async def test_login_error_mapping(fixture: str, expected: type[Exception], code: str) -> None:
    async with http.async_client(
        transport=httpx.MockTransport(lambda request: respond(fixture))
    ) as client:
        with pytest.raises(tree.NetworkError) as caught:
            await login.exchange_code(client, CFG, code="c", redirect_uri="https://app.test/cb")
    assert type(caught.value) is expected
    assert caught.value.code == code
    assert_plain(caught.value)
    if code == "invalid-client":
        assert "CUECAST_FACEBOOK_APP_SECRET" in caught.value.message
