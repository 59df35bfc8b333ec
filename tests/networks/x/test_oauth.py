"""The full OAuth 2.0 PKCE flow against the sandbox over real HTTP, and refresh-token rotation."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cuecast.networks import errors as tree
from cuecast.networks.x import XNetwork
from cuecast.networks.x.oauth import s256_challenge

from .conftest import DEMO_ID, DEMO_USER, account_from_tokens

pytestmark = pytest.mark.anyio
CALLBACK = "http://127.0.0.1:8000/channels/x/callback"


class FormReader(HTMLParser):
    """Reads the consent page's form like a browser: action, hidden fields, the checked account."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")
        if tag == "input" and a.get("type") == "radio" and "checked" in a:
            self.fields[a["name"]] = a.get("value", "")


def consent(sandbox: Any, url: str) -> dict[str, str]:
    """Open the authorize URL, press "Authorize app", return the callback's query."""
    with httpx.Client(timeout=10, follow_redirects=False) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        form = FormReader()
        form.feed(page.text)
        assert form.fields["user"] == DEMO_USER
        answer = browser.post(
            f"{sandbox.url}{form.action}", data={**form.fields, "decision": "authorize"}
        )
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def test_start_builds_the_authorize_url(network: XNetwork) -> None:
    start = await network.oauth().start(redirect_uri=CALLBACK, server_url="", clients=None)  # type: ignore[arg-type]
    parts = urlsplit(start.url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == network.config.x_authorize_url
    assert query["response_type"] == "code"
    assert query["client_id"] == "cuecast-sandbox"
    assert query["redirect_uri"] == CALLBACK
    assert query["scope"] == "tweet.read tweet.write users.read offline.access media.write"
    assert query["state"] == start.state and len(start.state) >= 32
    assert query["code_challenge_method"] == "S256"
    verifier = start.session_data["code_verifier"]
    assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", verifier)
    digest = hashlib.sha256(verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert query["code_challenge"] == s256_challenge(verifier)
    again = await network.oauth().start(redirect_uri=CALLBACK, server_url="", clients=None)  # type: ignore[arg-type]
    assert again.state != start.state and again.session_data != start.session_data


async def test_full_pkce_flow(sandbox: Any, network: XNetwork) -> None:
    flow = network.oauth()
    start = await flow.start(redirect_uri=CALLBACK, server_url="", clients=None)  # type: ignore[arg-type]
    callback = consent(sandbox, start.url)
    assert callback["state"] == start.state
    account = await flow.finish(
        code=callback["code"], redirect_uri=CALLBACK, session_data=start.session_data
    )
    assert account.external_id == DEMO_ID
    assert account.handle == DEMO_USER
    assert account.display_name == "Cuecast Demo"
    assert account.base_url == ""
    assert set(account.credentials) == {"access_token", "refresh_token", "expires_at"}
    assert account.credentials["refresh_token"]  # offline.access was requested
    assert account.token_expires_at is not None
    assert account.credentials["expires_at"] == account.token_expires_at.isoformat()
    assert account.token_expires_at.utcoffset() is not None
    # The code cannot be used twice.
    with pytest.raises(tree.Permanent):
        await flow.finish(
            code=callback["code"], redirect_uri=CALLBACK, session_data=start.session_data
        )
    token_calls = [r for r in sandbox.control.requests("x") if r["path"] == "/x/2/oauth2/token"]
    assert token_calls and all(
        r["headers"].get("authorization", "").startswith("Basic") for r in token_calls
    )


async def test_wrong_verifier_is_refused(sandbox: Any, network: XNetwork) -> None:
    flow = network.oauth()
    start = await flow.start(redirect_uri=CALLBACK, server_url="", clients=None)  # type: ignore[arg-type]
    callback = consent(sandbox, start.url)
    with pytest.raises(tree.Permanent):
        await flow.finish(
            code=callback["code"], redirect_uri=CALLBACK, session_data={"code_verifier": "x" * 50}
        )
    with pytest.raises(tree.Permanent):
        await flow.finish(code=callback["code"], redirect_uri=CALLBACK, session_data={})


async def test_refresh_rotates(sandbox: Any, network: XNetwork, client: httpx.AsyncClient) -> None:
    tokens = sandbox.control.tokens("x", DEMO_USER)
    conn = network.connect(account_from_tokens(tokens), client)
    first = await conn.refresh_credentials()
    assert first is not None and conn.account.credentials is first
    assert first["refresh_token"] != tokens["refresh_token"]
    assert first["access_token"] != tokens["access_token"]
    assert first["expires_at"]
    second = await conn.refresh_credentials()
    assert second is not None and second["refresh_token"] != first["refresh_token"]
    # The new access token works
    assert await conn.fetch_metrics((await _post(conn)).external_id) is not None
    # An old (spent) refresh token means the account must be connected again.
    stale = network.connect(account_from_tokens(tokens), client)
    with pytest.raises(tree.Disconnected):
        await stale.refresh_credentials()


async def test_no_refresh_token_means_not_refreshable(
    sandbox: Any, network: XNetwork, client: httpx.AsyncClient
) -> None:
    tokens = sandbox.control.tokens("x", DEMO_USER, scope="tweet.read tweet.write users.read")
    assert "refresh_token" not in tokens
    conn = network.connect(account_from_tokens(tokens), client)
    assert await conn.refresh_credentials() is None


async def _post(conn: Any) -> Any:
    from cuecast.networks.base import Part, PublishRequest

    return await conn.publish(
        PublishRequest(parts=(Part("refreshed and posting"),), idempotency_key="r")
    )
