"""The channels page and connecting a channel through the network's real OAuth redirects."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from cuecast.channels.models import Channel, ChannelStatus

pytestmark = pytest.mark.django_db


def test_channels_page_shows_health(signed_in: Client, x_channel: Any, masto_channel: Any) -> None:
    masto_channel.status = ChannelStatus.DISCONNECTED
    masto_channel.status_reason = "The server revoked Cuecast's access."
    masto_channel.save()
    html = signed_in.get(reverse("web:channels", args=["acme"])).content.decode()
    assert "ACME on X" in html and "@acme@social.example" in html
    assert "Connected" in html
    assert "Disconnected" in html and "The server revoked Cuecast&#x27;s access." in html
    assert "Connect X" in html and "Connect Mastodon" in html
    assert 'name="server_url"' in html  # Mastodon asks which server


def test_mastodon_needs_a_server_address(signed_in: Client) -> None:
    url = reverse("web:connect", args=["acme", "mastodon"])
    response = signed_in.post(url, {"server_url": ""})
    assert response.status_code == 400
    assert b"Enter the address of your server" in response.content
    local = signed_in.post(url, {"server_url": "https://10.0.0.1"})
    assert local.status_code == 400
    assert b"private or local address" in local.content


def test_unknown_network_is_404(signed_in: Client) -> None:
    assert signed_in.post(reverse("web:connect", args=["acme", "myspace"])).status_code == 404


def test_callback_with_an_unknown_state_connects_nothing(signed_in: Client) -> None:
    response = signed_in.get(
        reverse("web:oauth_callback", args=["mastodon"]),
        {"code": "abc", "state": "forged"},
        follow=True,
    )
    assert b"unknown or has expired" in response.content
    assert Channel.objects.count() == 0


def test_disconnect_holds_and_says_so(signed_in: Client, x_channel: Any) -> None:
    response = signed_in.post(reverse("web:disconnect", args=["acme", x_channel.pk]), follow=True)
    x_channel.refresh_from_db()
    assert x_channel.status == ChannelStatus.DISCONNECTED
    assert b"Disconnected ACME on X." in response.content


def _consent(authorize_url: str) -> str:
    """Press "Authorize" on the sandbox's consent page; returns where it sends the browser."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text
        action = unescape(re.search(r'<form method="post" action="([^"]+)"', page.text).group(1))
        fields = {
            unescape(name): unescape(value)
            for name, value in re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text
            )
        }
        user = re.search(r'name="user" value="([^"]+)"', page.text).group(1)
        split = urlsplit(authorize_url)
        answer = browser.post(
            f"{split.scheme}://{split.netloc}{action}",
            data={**fields, "user": unescape(user), "decision": "authorize"},
        )
        assert answer.status_code in (302, 303), answer.text
        return answer.headers["location"]


@pytest.mark.parametrize("network", ["mastodon", "x"])
def test_connect_round_trip_through_the_sandbox(
    signed_in: Client, sandbox: Any, network: str
) -> None:
    data = {"server_url": f"{sandbox.url}/mastodon"} if network == "mastodon" else {}
    start = signed_in.post(reverse("web:connect", args=["acme", network]), data)
    assert start.status_code == 302, start.content.decode()
    authorize_url = start["Location"]
    assert authorize_url.startswith(sandbox.url)

    back = urlsplit(_consent(authorize_url))
    assert back.path == reverse("web:oauth_callback", args=[network])
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    done = signed_in.get(back.path, query, follow=True)
    assert done.redirect_chain[-1][0] == reverse("web:channels", args=["acme"])
    assert b"Connected " in done.content
    channel = Channel.objects.get(network=network)
    assert channel.workspace.slug == "acme" and channel.is_connected

    # The state is used once: replaying the callback connects nothing and says why.
    replay = signed_in.get(back.path, query, follow=True)
    assert b"unknown or has expired" in replay.content


def test_refused_consent_comes_back_with_a_message(signed_in: Client, sandbox: Any) -> None:
    start = signed_in.post(
        reverse("web:connect", args=["acme", "mastodon"]), {"server_url": f"{sandbox.url}/mastodon"}
    )
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = signed_in.get(
        reverse("web:oauth_callback", args=["mastodon"]),
        {
            "error": "access_denied",
            "error_description": "The resource owner denied the request.",
            "state": state,
        },
        follow=True,
    )
    assert b"Mastodon was not connected: The resource owner denied the request." in response.content
    assert Channel.objects.count() == 0
