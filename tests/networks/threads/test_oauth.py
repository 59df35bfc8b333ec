"""The Threads connect flow against the sandbox over real HTTP, and the long-lived token refresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cuecast.networks import errors as tree
from cuecast.networks.threads import ThreadsNetwork
from cuecast.networks.threads.descriptor import SCOPES

from .conftest import DEMO_USER, account_from_tokens

pytestmark = pytest.mark.anyio
CALLBACK = "http://127.0.0.1:8000/channels/threads/callback"


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


def consent(sandbox: Any, url: str, user: str = DEMO_USER) -> dict[str, str]:
    with httpx.Client(timeout=10, follow_redirects=False) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        form = FormReader()
        form.feed(page.text)
        form.fields["user"] = user
        answer = browser.post(
            f"{sandbox.url}{form.action}", data={**form.fields, "decision": "authorize"}
        )
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def test_start_builds_the_authorize_url(network: ThreadsNetwork) -> None:
    start = await network.oauth().start(redirect_uri=CALLBACK, server_url="", clients=None)
    query = parse_qs(urlsplit(start.url).query)
    assert start.url.startswith(network.config.threads_authorize_url + "?")
    assert query["scope"] == [",".join(SCOPES)]
    assert query["response_type"] == ["code"]
    assert query["state"] == [start.state]
    assert query["client_id"] == [network.config.threads_app_id]


async def test_connect_gives_a_long_lived_token_and_the_profile(
    sandbox: Any, network: ThreadsNetwork
) -> None:
    flow = network.oauth()
    start = await flow.start(redirect_uri=CALLBACK, server_url="", clients=None)
    answer = consent(sandbox, start.url)
    assert answer["state"] == start.state
    account = await flow.finish(
        code=answer["code"] + "#_", redirect_uri=CALLBACK, session_data=start.session_data
    )
    assert account.handle == DEMO_USER and account.external_id
    assert account.display_name == "Cuecast Demo"
    assert account.token_expires_at is not None
    assert account.token_expires_at > datetime.now(UTC) + timedelta(days=59)
    assert set(account.credentials) == {"access_token", "expires_at", "issued_at"}


async def test_a_used_code_is_refused_plainly(sandbox: Any, network: ThreadsNetwork) -> None:
    flow = network.oauth()
    start = await flow.start(redirect_uri=CALLBACK, server_url="", clients=None)
    code = consent(sandbox, start.url)["code"]
    await flow.finish(code=code, redirect_uri=CALLBACK, session_data={})
    with pytest.raises(tree.Permanent) as caught:
        await flow.finish(code=code, redirect_uri=CALLBACK, session_data={})
    assert "connect" in caught.value.message.lower()


async def test_a_wrong_app_secret_is_an_administrator_problem(
    sandbox: Any, network: ThreadsNetwork
) -> None:
    import dataclasses

    flow = network.oauth()
    start = await flow.start(redirect_uri=CALLBACK, server_url="", clients=None)
    code = consent(sandbox, start.url)["code"]
    bad = ThreadsNetwork(dataclasses.replace(network.config, threads_app_secret="wrong")).oauth()
    with pytest.raises(tree.Permanent) as caught:
        await bad.finish(code=code, redirect_uri=CALLBACK, session_data={})
    assert caught.value.code == "invalid_client"


async def test_refresh_renews_a_token_older_than_a_day(
    sandbox: Any, network: ThreadsNetwork
) -> None:
    tokens = sandbox.control.tokens("threads", DEMO_USER, age=2 * 86400)
    account = account_from_tokens(tokens, age=timedelta(days=2))
    async with httpx.AsyncClient() as client:
        conn = network.connect(account, client)
        fresh = await conn.refresh_credentials()
        assert fresh is not None and fresh["access_token"] != tokens["access_token"]
        assert conn.account.credentials == fresh
        assert datetime.fromisoformat(fresh["expires_at"]) > datetime.now(UTC) + timedelta(days=59)


async def test_refresh_skips_a_token_younger_than_a_day(
    sandbox: Any, network: ThreadsNetwork
) -> None:
    tokens = sandbox.control.tokens("threads", DEMO_USER)
    async with httpx.AsyncClient() as client:
        conn = network.connect(account_from_tokens(tokens), client)
        assert await conn.refresh_credentials() is None
    assert not any("refresh" in str(r) for r in sandbox.control.requests("threads"))


async def test_an_expired_token_disconnects(sandbox: Any, network: ThreadsNetwork) -> None:
    """An expired long-lived token cannot be refreshed (docs): the user must connect again."""
    tokens = sandbox.control.tokens("threads", DEMO_USER, expires_in=60, age=3 * 86400)
    account = account_from_tokens(tokens, age=timedelta(days=3))
    account.credentials["expires_at"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    sandbox.state.clock = lambda: datetime.now(UTC).timestamp() + 120
    async with httpx.AsyncClient() as client:
        conn = network.connect(account, client)
        assert await conn.refresh_credentials() is None
        with pytest.raises(tree.Disconnected):
            await conn.fetch_metrics("1")
