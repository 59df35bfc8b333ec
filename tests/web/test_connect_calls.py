"""Every call a connect flow makes lands in the API call ledger, for the workspace that connects:
the ledger's rows are exactly the requests the emulator answered for Cuecast (the consent page,
which the person's browser opens, is not Cuecast's call)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from cuecast.channels.models import Channel
from cuecast.compliance.models import ApiCall
from tests.web.test_channels import _consent

Call = tuple[str, str, int]


def _answered_to_cuecast(sandbox: Any, network: str, since: int) -> list[Call]:
    return sorted(
        (r["method"], r["path"], r["status"])
        for r in sandbox.control.requests(network)[since:]
        if not r["path"].endswith("/authorize")  # the browser's consent page
    )


def _ledger(network: str) -> list[Call]:
    return sorted(ApiCall.objects.filter(network=network).values_list("method", "path", "status"))


def _callback(signed_in: Client, authorize_url: str) -> Any:
    back = urlsplit(_consent(authorize_url))
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    return signed_in.get(back.path, query, follow=True)


@pytest.mark.parametrize(("network", "sandbox_name"), [("x", "x"), ("mastodon", "mastodon")])
def test_an_oauth_connect_counts_every_call(
    signed_in: Client, sandbox: Any, workspace: Any, network: str, sandbox_name: str
) -> None:
    before = len(sandbox.control.requests(sandbox_name))
    data = {"server_url": f"{sandbox.url}/mastodon"} if network == "mastodon" else {}
    start = signed_in.post(reverse("web:connect", args=["acme", network]), data)
    assert start.status_code == 302
    started = _ledger(network)  # Mastodon registers Cuecast on the server before the consent
    done = _callback(signed_in, start["Location"])
    assert b"Connected " in done.content

    calls = _ledger(network)
    assert calls == _answered_to_cuecast(sandbox, sandbox_name, before)
    assert any(path.endswith("/token") for _, path, _ in calls)
    channel = Channel.objects.get(network=network)
    rows = ApiCall.objects.filter(network=network)
    assert {(r.purpose, r.workspace_id) for r in rows} == {("connect", workspace.pk)}
    # The callback's calls name the channel they connected; the start's came before it existed.
    assert rows.filter(channel=channel).count() == len(calls) - len(started)


def test_an_app_password_login_counts_every_call(
    signed_in: Client, sandbox: Any, workspace: Any
) -> None:
    from tests.networks.bluesky.conftest import DEMO_HANDLE, app_password

    before = len(sandbox.control.requests("bluesky"))
    response = signed_in.post(
        reverse("web:connect", args=["acme", "bluesky"]),
        {
            "server_url": f"{sandbox.url}/bluesky",
            "identifier": DEMO_HANDLE,
            "password": app_password(),
        },
        follow=True,
    )
    assert b"Connected " in response.content, response.content
    calls = _ledger("bluesky")
    assert calls and calls == _answered_to_cuecast(sandbox, "bluesky", before)
    channel = Channel.objects.get(network="bluesky")
    assert set(ApiCall.objects.values_list("purpose", "workspace", "channel")) == {
        ("connect", workspace.pk, channel.pk)
    }


def test_connecting_an_ad_platform_counts_every_call(
    signed_in: Client, sandbox: Any, workspace: Any
) -> None:
    from cuecast.campaigns.sources import registry

    registry.sources.cache_clear()
    before = len(sandbox.control.requests("msads"))
    start = signed_in.post(reverse("web:ad_connect", args=["acme", "microsoft"]))
    assert start.status_code == 302
    picker = _callback(signed_in, start["Location"])
    assert b"Cuecast Demo DE" in picker.content  # the accounts the consent reaches, to choose from
    calls = _ledger("microsoft")
    assert len(calls) >= 2 and calls == _answered_to_cuecast(sandbox, "msads", before)
    assert set(ApiCall.objects.values_list("purpose", "workspace")) == {("connect", workspace.pk)}
    registry.sources.cache_clear()
