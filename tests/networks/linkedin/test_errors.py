"""Every row of the LinkedIn error mapping, driven by recorded bodies in fixtures/ over MockTransport.

Bodies come from platform_apis.md §2.6 (observed LinkedIn answers), LinkedIn's error-handling page
and the sandbox; each fixture is {status, content_type, headers, body | text}.
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
from cuecast.networks.linkedin import LinkedInConnection, LinkedInNetwork
from cuecast.networks.linkedin import errors as lierrors

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent / "fixtures"
CFG = dataclasses.replace(
    config.load(),
    linkedin_api_url="https://api.linkedin.test",
    linkedin_oauth_url="https://www.linkedin.test/oauth/v2",
    linkedin_web_url="https://www.linkedin.test",
    linkedin_client_id="cid",
    linkedin_client_secret="csecret",
)
ORG = "urn:li:organization:42"


def load(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return spec


def respond(name: str) -> httpx.Response:
    spec = load(name)
    headers = {"content-type": spec["content_type"], **spec["headers"]}
    if "body" in spec:
        return httpx.Response(spec["status"], headers=headers, content=json.dumps(spec["body"]))
    return httpx.Response(spec["status"], headers=headers, text=spec["text"])


def connection(
    handler: Any, *, refresh: bool = True
) -> tuple[LinkedInConnection, httpx.AsyncClient]:
    client = http.async_client(transport=httpx.MockTransport(handler))
    credentials: dict[str, Any] = {"access_token": "AT-secret", "expires_at": None}
    if refresh:
        credentials["refresh_token"] = "RT-secret"
    account = Account(external_id=ORG, handle="demo", base_url="", credentials=credentials)
    return LinkedInNetwork(CFG).connect(account, client), client


REQUEST = PublishRequest(parts=(Part("hello"),), idempotency_key="k")

# (fixture, refresh token stored, expected class, expected code)
PUBLISH_ROWS = [
    ("invalid_token_401", True, tree.AuthExpired, "INVALID_ACCESS_TOKEN"),
    ("invalid_token_401", False, tree.Disconnected, "INVALID_ACCESS_TOKEN"),
    ("expired_token_401", True, tree.AuthExpired, "EXPIRED_ACCESS_TOKEN"),
    ("expired_token_401", False, tree.Disconnected, "EXPIRED_ACCESS_TOKEN"),
    ("empty_token_401", True, tree.AuthExpired, "unauthorized"),
    ("revoked_token_401", True, tree.Disconnected, "REVOKED_ACCESS_TOKEN"),
    ("access_denied_403", True, tree.Disconnected, "ACCESS_DENIED"),
    ("duplicate_post_422", True, tree.Duplicate, "DUPLICATE_POST"),
    ("validation_422", True, tree.Permanent, "MAX_LENGTH_EXCEEDED"),
    ("version_inactive_426", True, tree.Permanent, "NONEXISTENT_VERSION"),
    ("version_missing_400", True, tree.Permanent, "VERSION_MISSING"),
    ("bad_request_400", True, tree.Permanent, "http_400"),
    ("throttled_429", True, tree.QuotaExhausted, "TOO_MANY_REQUESTS"),
    ("service_unavailable_503", True, tree.OutcomeUnknown, "http_503"),
    ("gateway_html_502", True, tree.OutcomeUnknown, "http_502"),
]


@pytest.mark.parametrize(("fixture", "refresh", "kind", "code"), PUBLISH_ROWS)
async def test_publish_error_mapping(
    fixture: str, refresh: bool, kind: type[tree.NetworkError], code: str
) -> None:
    conn, client = connection(lambda request: respond(fixture), refresh=refresh)
    async with client:
        with pytest.raises(tree.NetworkError) as raised:
            await conn.publish(REQUEST)
    assert type(raised.value) is kind or (kind is tree.Duplicate and isinstance(raised.value, kind))
    assert raised.value.code == code
    assert raised.value.status == load(fixture)["status"]
    assert "AT-secret" not in raised.value.message and raised.value.message.endswith(".")


async def test_duplicate_names_the_existing_post_and_records_it() -> None:
    conn, client = connection(lambda request: respond("duplicate_post_422"))
    recorded: list[dict[str, Any]] = []

    async def sink(progress: dict[str, Any]) -> None:
        recorded.append(progress)

    conn.progress_sink = sink
    async with client:
        with pytest.raises(lierrors.DuplicatePost) as raised:
            await conn.publish(REQUEST)
    assert raised.value.existing_urn == "urn:li:share:7141090563813445632"
    assert recorded == [{"duplicate_of": "urn:li:share:7141090563813445632"}]


async def test_429_holds_until_midnight_utc() -> None:
    conn, client = connection(lambda request: respond("throttled_429"))
    async with client:
        with pytest.raises(tree.QuotaExhausted) as raised:
            await conn.publish(REQUEST)
    retry_at = raised.value.retry_at
    assert retry_at is not None and retry_at > datetime.now(UTC)
    assert (retry_at.hour, retry_at.minute, retry_at.second) == (0, 0, 0)
    assert retry_at.utcoffset() is not None and not retry_at.utcoffset()


# Reads: 5xx is Transient (nothing created); 403 refuses the read only (Permanent).
READ_ROWS = [
    ("service_unavailable_503", tree.Transient),
    ("access_denied_403", tree.Permanent),
    ("not_found_404", tree.Permanent),
    ("throttled_429", tree.QuotaExhausted),
]


@pytest.mark.parametrize(("fixture", "kind"), READ_ROWS)
async def test_read_error_mapping(fixture: str, kind: type[tree.NetworkError]) -> None:
    conn, client = connection(lambda request: respond(fixture))
    async with client:
        with pytest.raises(tree.NetworkError) as raised:
            await conn.fetch_metrics("urn:li:share:1")
    assert type(raised.value) is kind


async def test_delete_of_a_missing_post_is_done() -> None:
    conn, client = connection(lambda request: respond("not_found_404"))
    async with client:
        await conn.delete("urn:li:share:1")


async def test_delete_refused_disconnects() -> None:
    conn, client = connection(lambda request: respond("access_denied_403"))
    async with client:
        with pytest.raises(tree.Disconnected):
            await conn.delete("urn:li:share:1")


# The token endpoint: (fixture, while refreshing, expected class)
TOKEN_ROWS = [
    ("token_invalid_grant_400", True, tree.Disconnected),
    ("token_bad_code_400", True, tree.Disconnected),
    ("token_invalid_client_401", True, tree.Permanent),
    ("service_unavailable_503", True, tree.Transient),
]


@pytest.mark.parametrize(("fixture", "refreshing", "kind"), TOKEN_ROWS)
async def test_token_error_mapping(
    fixture: str, refreshing: bool, kind: type[tree.NetworkError]
) -> None:
    conn, client = connection(lambda request: respond(fixture))
    async with client:
        with pytest.raises(tree.NetworkError) as raised:
            await conn.refresh_credentials()
    assert type(raised.value) is kind
    assert "RT-secret" not in raised.value.message and "csecret" not in raised.value.message


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [("token_bad_code_400", tree.Permanent), ("token_invalid_client_401", tree.Permanent)],
)
async def test_code_exchange_errors(fixture: str, kind: type[tree.NetworkError]) -> None:
    network = LinkedInNetwork(CFG, transport=httpx.MockTransport(lambda request: respond(fixture)))
    with pytest.raises(tree.NetworkError) as raised:
        await network.oauth().finish_all(
            code="c", redirect_uri="https://x.test/cb", session_data={}
        )
    assert type(raised.value) is kind


async def test_transport_errors() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    for handler, kind in ((timeout, tree.OutcomeUnknown), (refused, tree.Transient)):
        conn, client = connection(handler)
        async with client:
            with pytest.raises(kind):
                await conn.publish(REQUEST)
    conn, client = connection(timeout)
    async with client:
        with pytest.raises(tree.Transient):
            await conn.fetch_metrics("urn:li:share:1")


async def test_every_rest_call_sends_the_version_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, headers={"x-restli-id": "urn:li:share:7"})

    conn, client = connection(handler)
    async with client:
        result = await conn.publish(PublishRequest(parts=(Part("a (b) #c"),), idempotency_key="k"))
    assert result.external_id == "urn:li:share:7"
    assert result.permalink == "https://www.linkedin.test/feed/update/urn:li:share:7/"
    [request] = seen
    assert request.headers["linkedin-version"] == lierrors_version()
    assert request.headers["x-restli-protocol-version"] == "2.0.0"
    body = json.loads(request.content)
    assert body["commentary"] == "a \\(b\\) \\#c"
    assert body["author"] == ORG and body["visibility"] == "PUBLIC"
    assert body["distribution"] == {
        "feedDistribution": "MAIN_FEED",
        "targetEntities": [],
        "thirdPartyDistributionChannels": [],
    }
    assert body["lifecycleState"] == "PUBLISHED" and body["isReshareDisabledByAuthor"] is False


async def test_created_without_an_id_is_unknown() -> None:
    conn, client = connection(lambda request: httpx.Response(201))
    async with client:
        with pytest.raises(tree.OutcomeUnknown):
            await conn.publish(REQUEST)


def lierrors_version() -> str:
    from cuecast.networks.linkedin.api import API_VERSION

    assert len(API_VERSION) == 6 and API_VERSION.isdigit()
    return API_VERSION
