"""Connecting an account against the sandbox's Mastodon instance, like a browser would."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cuecast.http import UnsafeUrl, async_client
from cuecast.networks.errors import Permanent
from cuecast.networks.mastodon import MastodonNetwork
from cuecast.networks.mastodon.oauth import MastodonOAuth, normalize_server_url

from .conftest import MOCK_BASE, MemoryClients, consent

pytestmark = pytest.mark.anyio

REDIRECT = "http://127.0.0.1:8000/channels/callback/mastodon"


async def test_full_flow_with_pkce(sb: Any, clients: MemoryClients) -> None:
    flow = MastodonNetwork().oauth()
    server = f"{sb.url}/mastodon/"
    start = await flow.start(redirect_uri=REDIRECT, server_url=server, clients=clients)

    query = parse_qs(urlsplit(start.url).query)
    assert start.url.startswith(f"{sb.url}/mastodon/oauth/authorize?")
    assert query["response_type"] == ["code"] and query["state"] == [start.state]
    assert query["code_challenge_method"] == ["S256"]  # the sandbox advertises 4.3 metadata
    assert query["scope"] == ["read:statuses write:statuses write:media profile"]
    assert start.session_data["code_verifier"]
    assert start.session_data["server_url"] == f"{sb.url}/mastodon"

    answer = consent(start.url, user="demo")
    assert answer["state"] == start.state
    connected = await flow.finish(
        code=answer["code"], redirect_uri=REDIRECT, session_data=start.session_data
    )
    host = urlsplit(sb.url).netloc
    assert connected.handle == f"@demo@{host}"
    assert connected.external_id == "110000000000000001"
    assert connected.display_name == "Cuecast Demo"
    assert connected.base_url == f"{sb.url}/mastodon"
    assert set(connected.credentials) == {"access_token"}
    assert connected.token_expires_at is None
    assert connected.settings["max_characters"] == 500
    assert connected.settings["characters_reserved_per_url"] == 23
    assert connected.settings["max_media_attachments"] == 4
    assert "image/png" in connected.settings["supported_mime_types"]


async def test_instance_limits_come_from_the_server(sb: Any, clients: MemoryClients) -> None:
    sb.control.config("mastodon", max_characters=5000)
    flow = MastodonNetwork().oauth()
    start = await flow.start(
        redirect_uri=REDIRECT, server_url=f"{sb.url}/mastodon", clients=clients
    )
    code = consent(start.url)["code"]
    connected = await flow.finish(code=code, redirect_uri=REDIRECT, session_data=start.session_data)
    assert connected.settings["max_characters"] == 5000
    assert MastodonNetwork().text_limit(connected.settings).max_length == 5000


async def test_app_registration_is_reused(sb: Any, clients: MemoryClients) -> None:
    flow = MastodonNetwork().oauth()
    first = await flow.start(
        redirect_uri=REDIRECT, server_url=f"{sb.url}/mastodon", clients=clients
    )
    second = await flow.start(
        redirect_uri=REDIRECT, server_url=f"{sb.url}/mastodon", clients=clients
    )
    assert clients.saves == 1
    assert first.session_data["client_id"] == second.session_data["client_id"]
    assert first.state != second.state
    apps = [r for r in sb.control.requests("mastodon") if r["endpoint"] == "POST /api/v1/apps"]
    assert len(apps) == 1
    # and the reused registration still signs in
    code = consent(second.url, user="other")["code"]
    connected = await flow.finish(
        code=code, redirect_uri=REDIRECT, session_data=second.session_data
    )
    assert connected.handle.startswith("@other@")


async def test_bad_code_is_a_plain_permanent_error(sb: Any, clients: MemoryClients) -> None:
    flow = MastodonNetwork().oauth()
    start = await flow.start(
        redirect_uri=REDIRECT, server_url=f"{sb.url}/mastodon", clients=clients
    )
    with pytest.raises(Permanent) as caught:
        await flow.finish(code="nope", redirect_uri=REDIRECT, session_data=start.session_data)
    assert "connect the account again" in caught.value.message


async def test_wrong_verifier_is_refused(sb: Any, clients: MemoryClients) -> None:
    flow = MastodonNetwork().oauth()
    start = await flow.start(
        redirect_uri=REDIRECT, server_url=f"{sb.url}/mastodon", clients=clients
    )
    code = consent(start.url)["code"]
    session = dict(start.session_data, code_verifier="x" * 64)
    with pytest.raises(Permanent):
        await flow.finish(code=code, redirect_uri=REDIRECT, session_data=session)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5",
        "https://127.0.0.1:9999",
        "http://169.254.169.254/latest",
        "https://[::1]/",
        "ftp://mastodon.social",
        "http://localhost",
    ],
)
async def test_private_servers_are_refused(sb: Any, clients: MemoryClients, url: str) -> None:
    with pytest.raises(UnsafeUrl) as caught:
        await (
            MastodonNetwork().oauth().start(redirect_uri=REDIRECT, server_url=url, clients=clients)
        )
    assert isinstance(caught.value, Permanent)  # also part of the network error tree
    assert clients.saves == 0


def test_normalize_server_url() -> None:
    assert normalize_server_url("Mastodon.Social/") == "https://mastodon.social"
    assert normalize_server_url("https://example.com:8443/sub/") == "https://example.com:8443/sub"


async def test_pre_4_3_server_gets_no_pkce_and_legacy_scopes(
    mock_server: str, clients: MemoryClients
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/.well-known/oauth-authorization-server":
            return httpx.Response(404, json={"error": "Not Found"})
        if request.url.path == "/api/v1/apps":
            return httpx.Response(200, json={"id": "1", "client_id": "cid", "client_secret": "cs"})
        return httpx.Response(500)

    transport = httpx.MockTransport(handler)
    flow = MastodonOAuth(lambda: async_client(transport=transport))
    start = await flow.start(redirect_uri=REDIRECT, server_url=MOCK_BASE, clients=clients)
    query = parse_qs(urlsplit(start.url).query)
    assert "code_challenge" not in query and "code_verifier" not in start.session_data
    assert query["scope"] == ["read:statuses write:statuses write:media read:accounts"]
    registered = parse_qs(seen[1].content.decode())
    assert registered["client_name"] == ["Cuecast"] and registered["redirect_uris"] == [REDIRECT]
    assert json.dumps(list(clients.saved.values()))  # what the store keeps is plain JSON
