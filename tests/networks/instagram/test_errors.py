"""Every row of the Instagram error mapping, from recorded Graph bodies in fixtures/.

Bodies follow the Graph error envelope and Instagram's error-codes reference
(docs/networks/instagram.md); each fixture is {status, content_type, headers, body | text}.
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
from cuecast.networks.base import Account, MediaItem, Part, PublishRequest
from cuecast.networks.instagram import InstagramConnection, InstagramNetwork
from cuecast.networks.instagram import errors as igerrors
from cuecast.networks.instagram.errors import Call

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
CFG = dataclasses.replace(
    config.load(),
    instagram_graph_url="https://graph.ig.test",
    facebook_graph_url="https://graph.ig.test",
    facebook_graph_version="v21.0",
    facebook_app_id="app",
    facebook_app_secret="app-secret",
)
SECRETS = ("AT-secret", "app-secret")


def load(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return spec


def respond(name: str) -> httpx.Response:
    spec = load(name)
    headers = {"content-type": spec["content_type"], **spec["headers"]}
    if "body" in spec:
        return httpx.Response(spec["status"], headers=headers, content=json.dumps(spec["body"]))
    return httpx.Response(spec["status"], headers=headers, text=spec["text"])


# fixture, on container creation, on media_publish, on a read, code
ROWS: list[tuple[str, type[Exception], type[Exception], type[Exception], str]] = [
    ("token_expired_190_463", tree.AuthExpired, tree.AuthExpired, tree.AuthExpired, "190_463"),
    ("token_revoked_190_460", tree.Disconnected, tree.Disconnected, tree.Disconnected, "190_460"),
    (
        "token_app_removed_190_458",
        tree.Disconnected,
        tree.Disconnected,
        tree.Disconnected,
        "190_458",
    ),
    ("permission_10", tree.Disconnected, tree.Disconnected, tree.Disconnected, "permission_10"),
    ("permission_200", tree.Disconnected, tree.Disconnected, tree.Disconnected, "permission_200"),
    ("app_rate_4", tree.RateLimited, tree.RateLimited, tree.RateLimited, "graph_4"),
    ("user_rate_17", tree.RateLimited, tree.RateLimited, tree.RateLimited, "graph_17"),
    ("buc_rate_80002", tree.RateLimited, tree.RateLimited, tree.RateLimited, "graph_80002"),
    (
        "publish_limit_9_2207042",
        tree.QuotaExhausted,
        tree.QuotaExhausted,
        tree.QuotaExhausted,
        "publish_limit",
    ),
    ("spam_4_2207051", tree.Permanent, tree.Permanent, tree.Permanent, "spam_block"),
    ("restricted_25_2207050", tree.Permanent, tree.Permanent, tree.Permanent, "restricted_user"),
    (
        "image_too_large_36000_2207004",
        tree.Permanent,
        tree.Permanent,
        tree.Permanent,
        "image_too_large",
    ),
    ("image_format_36001_2207005", tree.Permanent, tree.Permanent, tree.Permanent, "image_format"),
    ("aspect_ratio_36003_2207009", tree.Permanent, tree.Permanent, tree.Permanent, "aspect_ratio"),
    ("caption_2207010", tree.Permanent, tree.Permanent, tree.Permanent, "caption"),
    ("video_format_352_2207026", tree.Permanent, tree.Permanent, tree.Permanent, "video_format"),
    ("fetch_failed_9004_2207052", tree.Permanent, tree.Permanent, tree.Permanent, "fetch_failed"),
    ("not_ready_9007_2207027", tree.Transient, tree.Transient, tree.Transient, "not_ready"),
    (
        "download_timeout_2207003",
        tree.Transient,
        tree.Transient,
        tree.Transient,
        "download_timeout",
    ),
    (
        "container_expired_2207020",
        tree.Transient,
        tree.Transient,
        tree.Transient,
        "container_expired",
    ),
    ("server_error_2207001", tree.Transient, tree.OutcomeUnknown, tree.Transient, "server_error"),
    ("unknown_error_1", tree.Transient, tree.OutcomeUnknown, tree.Transient, "server_1"),
    ("unexpected_error_2", tree.Transient, tree.OutcomeUnknown, tree.Transient, "server_2"),
    ("service_unavailable_503", tree.Transient, tree.OutcomeUnknown, tree.Transient, "server_503"),
    (
        "invalid_parameter_100",
        tree.Permanent,
        tree.Permanent,
        tree.Permanent,
        "invalid_parameter",
    ),
    ("not_found_100_33", tree.Permanent, tree.Permanent, tree.Permanent, "not_found"),
    (
        "not_enough_viewers_10",
        tree.Permanent,
        tree.Permanent,
        tree.Permanent,
        "not_enough_viewers",
    ),
    ("policy_368", tree.Permanent, tree.Permanent, tree.Permanent, "368"),
]


@pytest.mark.parametrize(("fixture", "on_create", "on_publish", "on_read", "code"), ROWS)
def test_error_mapping(
    fixture: str,
    on_create: type[Exception],
    on_publish: type[Exception],
    on_read: type[Exception],
    code: str,
) -> None:
    for call, expected in (
        (Call.CREATE, on_create),
        (Call.PUBLISH, on_publish),
        (Call.READ, on_read),
    ):
        err = igerrors.from_response(respond(fixture), call=call)
        assert type(err) is expected, (fixture, call)
        assert err.status == load(fixture)["status"]
        assert err.message.endswith(".") and "{" not in err.message
        assert not any(s in err.message for s in SECRETS)
        if type(err) is on_read and call is Call.READ:
            assert err.code == code


def test_every_subcode_and_text_rule_has_a_fixture() -> None:
    covered = {row[4] for row in ROWS}
    names = {row.name for row in igerrors.SUBCODES.values()}
    untested = {
        "media_not_found",
        "container_gone",
        "media_type",
        "carousel",
        "create_failed",
        "upload_failed",
        "thumb_offset",
    }
    assert names - untested <= covered
    assert {rule.name for rule in igerrors.TEXT_RULES} <= covered


def test_rate_limit_times() -> None:
    before = datetime.now(UTC)
    buc = igerrors.from_response(respond("buc_rate_80002"))
    assert isinstance(buc, tree.RateLimited) and buc.retry_at is not None
    # estimated_time_to_regain_access is 17 minutes; one more minute of margin
    assert timedelta(minutes=17) < buc.retry_at - before <= timedelta(minutes=18, seconds=5)
    app = igerrors.from_response(respond("app_rate_4"))
    assert isinstance(app, tree.RateLimited) and app.retry_at is not None
    assert app.retry_at - before >= timedelta(hours=1)


def test_user_message_is_shown_for_bad_parameters() -> None:
    err = igerrors.from_response(respond("invalid_parameter_100"))
    assert err.message == "Instagram refused the post: Add an image to the post."


# --- through the connection (httpx.MockTransport) ------------------------------------------------
JPEG = MediaItem(
    path="/nonexistent.jpg",
    content_type="image/jpeg",
    size_bytes=10,
    url="https://cuecast.example/media/a.jpg",
)
REQUEST = PublishRequest(parts=(Part("Hello", (JPEG,)),), idempotency_key="k")


def connection(handler: Any) -> tuple[InstagramConnection, httpx.AsyncClient]:
    client = http.async_client(transport=httpx.MockTransport(handler))
    account = Account(
        external_id="1784",
        handle="demo_ig",
        base_url="",
        credentials={"access_token": "AT-secret", "page_id": "1", "expires_at": None},
    )
    conn = InstagramNetwork(CFG).connect(account, client)

    async def no_sleep(_: float) -> None:
        return None

    conn._sleep = no_sleep
    return conn, client


def graph(fail_on: str, fixture: str) -> Any:
    """A Graph stand-in that answers `fixture` for the call named `fail_on`."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        name = {
            ("GET", "/v21.0/1784/content_publishing_limit"): "limit",
            ("POST", "/v21.0/1784/media"): "create",
            ("GET", "/v21.0/C1"): "status",
            ("POST", "/v21.0/1784/media_publish"): "publish",
        }.get((request.method, path), "other")
        assert request.headers["authorization"] == "Bearer AT-secret"
        if name == fail_on:
            return respond(fixture)
        body: dict[str, Any] = {
            "limit": {
                "data": [{"quota_usage": 0, "config": {"quota_total": 50, "quota_duration": 86400}}]
            },
            "create": {"id": "C1"},
            "status": {"status_code": "FINISHED", "id": "C1"},
            "publish": {"id": "M1"},
            "other": {"id": "M1", "permalink": "https://www.instagram.com/p/abc/"},
        }[name]
        return httpx.Response(200, json=body)

    return handler


@pytest.mark.parametrize(
    ("fail_on", "fixture", "expected"),
    [
        ("create", "unexpected_error_2", tree.Transient),
        ("create", "image_format_36001_2207005", tree.Permanent),
        ("publish", "unexpected_error_2", tree.OutcomeUnknown),
        ("publish", "service_unavailable_503", tree.OutcomeUnknown),
        ("publish", "publish_limit_9_2207042", tree.QuotaExhausted),
        ("publish", "not_ready_9007_2207027", tree.Transient),
        ("limit", "token_expired_190_463", tree.AuthExpired),
        ("status", "unexpected_error_2", tree.Transient),
    ],
)
async def test_publish_maps_each_step(
    fail_on: str, fixture: str, expected: type[Exception]
) -> None:
    conn, client = connection(graph(fail_on, fixture))
    async with client:
        with pytest.raises(tree.NetworkError) as caught:
            await conn.publish(REQUEST)
    assert type(caught.value) is expected


@pytest.mark.parametrize(
    ("exc", "on_publish", "on_create"),
    [
        (httpx.ConnectError("refused"), tree.Transient, tree.Transient),
        (httpx.ReadTimeout("no answer"), tree.OutcomeUnknown, tree.Transient),
        (httpx.RemoteProtocolError("closed"), tree.OutcomeUnknown, tree.Transient),
    ],
)
def test_transport_errors(exc: httpx.TransportError, on_publish: type, on_create: type) -> None:
    assert type(igerrors.from_transport(exc, call=Call.PUBLISH)) is on_publish
    assert type(igerrors.from_transport(exc, call=Call.CREATE)) is on_create
    assert type(igerrors.from_transport(exc)) is tree.Transient


async def test_happy_path_over_mock() -> None:
    conn, client = connection(graph("none", ""))
    async with client:
        result = await conn.publish(REQUEST)
    assert result.external_id == "M1" and result.permalink == "https://www.instagram.com/p/abc/"


async def test_text_only_is_refused_before_any_call() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no call expected")

    conn, client = connection(handler)
    async with client:
        with pytest.raises(tree.Permanent) as caught:
            await conn.publish(PublishRequest(parts=(Part("just words"),), idempotency_key="k"))
        with pytest.raises(tree.Permanent) as no_url:
            item = dataclasses.replace(JPEG, url="")
            await conn.publish(PublishRequest(parts=(Part("x", (item,)),), idempotency_key="k"))
        with pytest.raises(tree.Permanent) as deleted:
            await conn.delete("M1")
    assert caught.value.message == "Instagram needs at least one image or video."
    assert "CUECAST_PUBLIC_URL" in no_url.value.message
    assert deleted.value.message == (
        "Instagram does not let apps delete posts; delete it in the Instagram app."
    )


async def test_quota_reopening_time_is_searched_with_since() -> None:
    """Five posts counted; the oldest was 20 hours ago: the window reopens in about 4 hours."""
    now = datetime.now(UTC)
    posts = [now - timedelta(hours=h) for h in (20, 10, 5, 2, 1)]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/content_publishing_limit")
        since = request.url.params.get("since")
        seen.append(since or "")
        floor = datetime.fromtimestamp(int(since), UTC) if since else now - timedelta(days=1)
        used = sum(1 for p in posts if p >= floor)
        return httpx.Response(
            200,
            json={
                "data": [
                    {"quota_usage": used, "config": {"quota_total": 5, "quota_duration": 86400}}
                ]
            },
        )

    conn, client = connection(handler)
    async with client:
        with pytest.raises(tree.QuotaExhausted) as caught:
            await conn.publish(REQUEST)
    reopens = posts[0] + timedelta(days=1)
    assert caught.value.retry_at is not None
    assert reopens <= caught.value.retry_at <= reopens + timedelta(minutes=6)
    assert len(seen) <= 12  # one check, then a bounded binary search
