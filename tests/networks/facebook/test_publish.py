"""The Facebook connector against the sandbox emulator over real HTTP: connect, publish (text,
link, one photo, several photos), reconcile, delete, metrics, and the failures the emulator can be
told to produce."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest

from cuecast.networks import errors as tree
from cuecast.networks.base import MediaItem, Part, PublishRequest
from cuecast.networks.facebook import FacebookConnection, FacebookNetwork
from cuecast.networks.facebook.descriptor import MAX_MESSAGE

pytestmark = pytest.mark.anyio

PIXEL = Path(__file__).parent / "fixtures" / "pixel.png"
REDIRECT = "https://cuecast.test/channels/callback/facebook"


def pixel(alt: str = "") -> MediaItem:
    return MediaItem(
        path=str(PIXEL),
        content_type="image/png",
        size_bytes=PIXEL.stat().st_size,
        alt_text=alt,
        width=2,
        height=2,
    )


def request(text: str, media: tuple[MediaItem, ...] = (), **kwargs: Any) -> PublishRequest:
    return PublishRequest(parts=(Part(text, media),), idempotency_key="k-1", **kwargs)


class _Form(HTMLParser):
    """The consent page's form, read like a browser would submit it."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("hidden", "text") or (kind in ("radio", "checkbox") and "checked" in a):
                self.fields.append((a["name"], a.get("value", "")))


# --- connect --------------------------------------------------------------------------------
async def test_connect_returns_every_page(network: FacebookNetwork, sandbox: Any) -> None:
    flow = network.oauth()
    start = await flow.start(redirect_uri=REDIRECT, server_url="", clients=None)
    parts = urlsplit(start.url)
    assert parts.path == "/facebook/v21.0/dialog/oauth"
    query = parse_qs(parts.query)
    assert query["client_id"] == [network.config.facebook_app_id]
    assert query["state"] == [start.state]
    assert set(query["scope"][0].split(",")) >= {"pages_show_list", "pages_manage_posts"}

    async with httpx.AsyncClient() as browser:
        page = await browser.get(start.url)
        assert page.status_code == 200
        form = _Form()
        form.feed(page.text)
        fields = [f for f in form.fields if f[0] != "user"] + [("user", "cuecast_demo")]
        answer = await browser.post(
            urljoin(start.url, form.action),
            content=urlencode([*fields, ("decision", "authorize")]),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code in (302, 303)
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["state"] == [start.state]

    accounts = await flow.finish_all(
        code=back["code"][0], redirect_uri=REDIRECT, session_data=start.session_data
    )
    names = {a.display_name for a in accounts}
    assert names == {"Cuecast Demo Page", "Cuecast Second Page"}
    demo = next(a for a in accounts if a.display_name == "Cuecast Demo Page")
    assert demo.credentials["page_access_token"] and demo.token_expires_at is None
    assert demo.settings["instagram_business_account"] == "17841400000000101"
    assert all(re.fullmatch(r"\d+", a.external_id) for a in accounts)


async def test_connect_with_a_used_code_is_refused(network: FacebookNetwork) -> None:
    with pytest.raises(tree.Permanent) as caught:
        await network.oauth().finish_all(code="nope", redirect_uri=REDIRECT, session_data={})
    assert "connect the facebook page again" in caught.value.message.lower()


# --- publish --------------------------------------------------------------------------------
async def test_publish_text(conn: FacebookConnection, sandbox: Any) -> None:
    result = await conn.publish(request("Hello from Cuecast"))
    assert result.external_id.startswith(conn.page_id + "_")
    assert result.part_ids == (result.external_id,)
    assert result.permalink.startswith("http")
    [item] = sandbox.control.received("facebook")
    assert item["text"] == "Hello from Cuecast" and item["id"] == result.external_id
    assert conn.rate_limit is not None


async def test_publish_link(conn: FacebookConnection, sandbox: Any) -> None:
    await conn.publish(request("Read this: https://example.com/launch."))
    [item] = sandbox.control.received("facebook")
    assert item["extra"]["link"] == "https://example.com/launch"


async def test_publish_one_photo(conn: FacebookConnection, sandbox: Any) -> None:
    result = await conn.publish(request("A photo", (pixel("Two by two"),)))
    [item] = sandbox.control.received("facebook")
    assert item["text"] == "A photo" and len(item["media_ids"]) == 1
    assert item["id"] == result.external_id


async def test_publish_several_photos(conn: FacebookConnection, sandbox: Any) -> None:
    result = await conn.publish(request("Two photos", (pixel(), pixel())))
    [item] = sandbox.control.received("facebook")
    assert item["text"] == "Two photos" and len(item["media_ids"]) == 2
    assert item["id"] == result.external_id


async def test_threads_are_refused(conn: FacebookConnection, sandbox: Any) -> None:
    thread = PublishRequest(parts=(Part("one"), Part("two")), idempotency_key="t")
    with pytest.raises(tree.Permanent):
        await conn.publish(thread)
    assert sandbox.control.received("facebook") == []


async def test_same_text_twice_is_a_duplicate(conn: FacebookConnection, sandbox: Any) -> None:
    await conn.publish(request("Same words"))
    with pytest.raises(tree.Duplicate):
        await conn.publish(request("Same words"))
    assert len(sandbox.control.received("facebook")) == 1


# --- reconcile, delete, metrics ---------------------------------------------------------------
async def test_reconcile_finds_the_post(conn: FacebookConnection) -> None:
    started = datetime.now(UTC)
    result = await conn.publish(request("Find   me\nlater"))
    found = await conn.find_published(request("Find me later", attempt_started_at=started))
    assert found is not None and found.external_id == result.external_id
    assert found.permalink.startswith("http")
    assert await conn.find_published(request("Never posted", attempt_started_at=started)) is None


async def test_timeout_after_accept_is_reconciled(conn: FacebookConnection, sandbox: Any) -> None:
    sandbox.control.fault("facebook", "timeout_after_accept", seconds=3)
    started = datetime.now(UTC)
    with pytest.raises(tree.OutcomeUnknown):
        await conn.publish(request("Slow answer"))
    found = await conn.find_published(request("Slow answer", attempt_started_at=started))
    assert found is not None
    assert len(sandbox.control.received("facebook")) == 1


async def test_delete(conn: FacebookConnection) -> None:
    started = datetime.now(UTC) - timedelta(minutes=1)
    result = await conn.publish(request("Short-lived"))
    await conn.delete(result.external_id)
    assert await conn.find_published(request("Short-lived", attempt_started_at=started)) is None
    await conn.delete(result.external_id)  # already gone: still done


async def test_metrics(conn: FacebookConnection, sandbox: Any) -> None:
    result = await conn.publish(request("Measure me"))
    sandbox.control.metrics(
        "facebook",
        result.external_id,
        {
            "post_media_view": 120,
            "post_total_media_view_unique": 80,
            "post_clicks": 7,
            "post_reactions_by_type_total": {"like": 3, "love": 1},
            "shares": 2,
            "comments": 4,
            "reactions": 4,
        },
    )
    metrics = await conn.fetch_metrics(result.external_id)
    assert metrics["post_media_view"] == 120
    assert metrics["post_total_media_view_unique"] == 80
    assert metrics["post_clicks"] == 7
    assert metrics["post_reactions_by_type_total.like"] == 3
    assert (metrics["shares"], metrics["comments"], metrics["reactions"]) == (2, 4, 4)


# --- failures -------------------------------------------------------------------------------
async def test_revoked_token_disconnects(conn: FacebookConnection, sandbox: Any) -> None:
    # Page tokens belong to the Page in the emulator: a fault aimed at the Facebook user does not
    # reach them (reported), so aim at the Page.
    sandbox.control.fault("facebook", "revoke_token", user=conn.page_id)
    with pytest.raises(tree.Disconnected) as caught:
        await conn.publish(request("After revoking"))
    assert "connect" in caught.value.message.lower()
    assert await conn.refresh_credentials() is None


async def test_rate_limit_burst(conn: FacebookConnection, sandbox: Any) -> None:
    sandbox.control.fault("facebook", "rate_limit_burst")
    with pytest.raises(tree.RateLimited) as caught:
        await conn.publish(request("Too fast"))
    assert caught.value.retry_at is not None and caught.value.retry_at > datetime.now(UTC)
    assert sandbox.control.received("facebook") == []


async def test_server_error_on_create_is_unknown(conn: FacebookConnection, sandbox: Any) -> None:
    sandbox.control.fault("facebook", "error_5xx", status=503)
    with pytest.raises(tree.OutcomeUnknown):
        await conn.publish(request("Server trouble"))


# --- counting -------------------------------------------------------------------------------
def test_counting_at_the_limit_and_one_over(network: FacebookNetwork) -> None:
    assert network.count_text("a" * MAX_MESSAGE).fits
    over = network.count_text("a" * (MAX_MESSAGE + 1))
    assert not over.fits and over.over_by == 1
    assert network.count_text("héllo 👋").count == 7
