"""Connecting LinkedIn against the sandbox over real HTTP: one consent, the member and its pages;
refresh tokens for approved partners only, with their fixed 365-day window."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cuecast.networks import errors as tree
from cuecast.networks.base import Account
from cuecast.networks.linkedin import LinkedInNetwork
from cuecast.networks.linkedin.descriptor import SCOPES

from .conftest import BASIC_CLIENT, MEMBER, MEMBER_URN, ORG_URN, account_from_tokens

pytestmark = pytest.mark.anyio
CALLBACK = "http://127.0.0.1:8000/channels/linkedin/callback"


class FormReader(HTMLParser):
    """Reads the consent page's form like a browser: action and hidden fields."""

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


def consent(sandbox: Any, url: str, user: str = MEMBER) -> dict[str, str]:
    """Open the authorize URL, sign in as `user`, press "Allow"; return the callback's query."""
    with httpx.Client(timeout=10, follow_redirects=False) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        form = FormReader()
        form.feed(page.text)
        answer = browser.post(
            f"{sandbox.url}{form.action}",
            data={**form.fields, "user": user, "decision": "authorize"},
        )
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def test_start_builds_the_authorize_url(network: LinkedInNetwork) -> None:
    start = await network.oauth().start(redirect_uri=CALLBACK, server_url="", clients=None)
    parts = urlsplit(start.url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"{network.config.linkedin_oauth_url}/authorization"
    )
    assert query == {
        "response_type": "code",
        "client_id": "cuecast-sandbox",
        "redirect_uri": CALLBACK,
        "state": start.state,
        "scope": " ".join(SCOPES),
    }
    assert len(start.state) >= 32


async def test_start_without_an_app_says_what_to_set(licfg: Any) -> None:
    network = LinkedInNetwork(dataclasses.replace(licfg, linkedin_client_id=""))
    with pytest.raises(tree.Permanent, match="CUECAST_LINKEDIN_CLIENT_ID"):
        await network.oauth().start(redirect_uri=CALLBACK, server_url="", clients=None)


async def test_one_consent_connects_the_member_and_each_page(
    sandbox: Any, network: LinkedInNetwork
) -> None:
    start = await network.oauth().start(redirect_uri=CALLBACK, server_url="", clients=None)
    answer = consent(sandbox, start.url)
    assert answer["state"] == start.state
    accounts = await network.oauth().finish_all(
        code=answer["code"], redirect_uri=CALLBACK, session_data=start.session_data
    )
    assert [a.external_id for a in accounts] == [
        MEMBER_URN,
        ORG_URN,
        "urn:li:organization:104857602",
    ]
    member, page, labs = accounts
    assert member.display_name == "Dana Demo"
    assert (page.display_name, page.handle) == ("Cuecast Demo GmbH", "cuecast-demo")
    assert labs.display_name == "Cuecast Labs"
    assert page.settings["author_kind"] == "organization"
    assert page.settings["member_urn"] == MEMBER_URN
    creds = member.credentials
    assert creds == page.credentials  # one token for all
    assert creds["access_token"] and creds["refresh_token"]
    now = datetime.now(UTC)
    assert member.token_expires_at is not None
    assert abs(member.token_expires_at - (now + timedelta(days=60))) < timedelta(minutes=1)
    refresh_ends = datetime.fromisoformat(creds["refresh_expires_at"])
    assert abs(refresh_ends - (now + timedelta(days=365))) < timedelta(minutes=1)


async def test_the_basic_client_gets_no_refresh_token(sandbox: Any, licfg: Any) -> None:
    network = LinkedInNetwork(
        dataclasses.replace(
            licfg,
            linkedin_client_id=BASIC_CLIENT,
            linkedin_client_secret="cuecast-sandbox-basic-secret",
        )
    )
    start = await network.oauth().start(redirect_uri=CALLBACK, server_url="", clients=None)
    answer = consent(sandbox, start.url, user="other")
    accounts = await network.oauth().finish_all(
        code=answer["code"], redirect_uri=CALLBACK, session_data={}
    )
    assert [a.display_name for a in accounts] == ["Olli Other", "Other Example AG"]
    assert "refresh_token" not in accounts[0].credentials
    async with httpx.AsyncClient() as client:
        conn = network.connect(
            Account(accounts[0].external_id, "", "", dict(accounts[0].credentials)), client
        )
        assert await conn.refresh_credentials() is None


async def test_a_used_code_is_refused(sandbox: Any, network: LinkedInNetwork) -> None:
    start = await network.oauth().start(redirect_uri=CALLBACK, server_url="", clients=None)
    answer = consent(sandbox, start.url)
    await network.oauth().finish(code=answer["code"], redirect_uri=CALLBACK, session_data={})
    with pytest.raises(tree.Permanent, match="Connect the LinkedIn account again"):
        await network.oauth().finish(code=answer["code"], redirect_uri=CALLBACK, session_data={})


async def test_member_only_grant_has_no_pages(sandbox: Any, network: LinkedInNetwork) -> None:
    """Without rw_organization_admin LinkedIn refuses the page list: the member alone connects."""
    flow = network.oauth()
    start = await flow.start(redirect_uri=CALLBACK, server_url="", clients=None)
    url = start.url.replace("+".join(SCOPES), "openid+profile+w_member_social")
    assert url != start.url
    answer = consent(sandbox, url)
    accounts = await flow.finish_all(code=answer["code"], redirect_uri=CALLBACK, session_data={})
    assert [a.external_id for a in accounts] == [MEMBER_URN]


async def test_refresh_keeps_the_fixed_window(
    sandbox: Any, network: LinkedInNetwork, client: httpx.AsyncClient
) -> None:
    tokens = sandbox.control.tokens("linkedin", MEMBER)
    account = account_from_tokens(tokens, ORG_URN)
    conn = network.connect(account, client)
    before = dict(account.credentials)
    fresh = await conn.refresh_credentials()
    assert fresh is not None and conn.account.credentials is fresh
    assert fresh["access_token"] != before["access_token"]
    assert fresh["refresh_token"] == before["refresh_token"]
    window = datetime.fromisoformat(fresh["refresh_expires_at"])
    assert abs(window - datetime.fromisoformat(before["refresh_expires_at"])) < timedelta(seconds=5)
    # The new token works.
    result = await conn.find_published(_request("nothing like this"))
    assert result is None


async def test_expired_refresh_window_disconnects(
    sandbox: Any, network: LinkedInNetwork, client: httpx.AsyncClient
) -> None:
    tokens = sandbox.control.tokens("linkedin", MEMBER)
    account = account_from_tokens(tokens, ORG_URN)
    account.credentials["refresh_expires_at"] = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    with pytest.raises(tree.Disconnected, match="Connect the LinkedIn account again"):
        await network.connect(account, client).refresh_credentials()


async def test_refused_refresh_token_disconnects(
    sandbox: Any, network: LinkedInNetwork, client: httpx.AsyncClient
) -> None:
    tokens = sandbox.control.tokens("linkedin", MEMBER)
    account = account_from_tokens(tokens, ORG_URN)
    account.credentials["refresh_token"] = "not-a-refresh-token"
    with pytest.raises(tree.Disconnected):
        await network.connect(account, client).refresh_credentials()


def _request(text: str) -> Any:
    from cuecast.networks.base import Part, PublishRequest

    return PublishRequest(parts=(Part(text),), idempotency_key="k")
