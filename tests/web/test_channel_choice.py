"""One consent, several accounts (pages): the user picks which to connect. And channel health."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cuecast.channels.models import Channel
from cuecast.networks.x.oauth import XOAuthFlow
from tests.web.test_channels import _consent

pytestmark = pytest.mark.django_db


def test_several_accounts_from_one_consent_are_offered_to_choose(
    signed_in: Client, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_finish = XOAuthFlow.finish

    async def two_accounts(self: XOAuthFlow, **kwargs: Any) -> list[Any]:
        account = await real_finish(self, **kwargs)
        page = dataclasses.replace(
            account, external_id="page-2", handle="acme_page", display_name="ACME Page"
        )
        return [account, page]

    monkeypatch.setattr(XOAuthFlow, "finish_all", two_accounts)
    start = signed_in.post(reverse("web:connect", args=["acme", "x"]), {})
    back = urlsplit(_consent(start["Location"]))
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    picker = signed_in.get(back.path, query, follow=True)
    assert picker.redirect_chain[-1][0] == reverse("web:choose_accounts", args=["acme"])
    assert b"ACME Page" in picker.content and b"cuecast_demo" in picker.content
    assert not Channel.objects.exists()  # nothing is connected before the choice
    session_blob = str(signed_in.session["oauth-choice"])
    assert "access_token" not in session_blob  # tokens wait encrypted

    done = signed_in.post(
        reverse("web:choose_accounts", args=["acme"]), {"account": ["1"]}, follow=True
    )
    assert b"Connected 1 X account." in done.content
    assert list(Channel.objects.values_list("display_name", flat=True)) == ["ACME Page"]
    again = signed_in.get(reverse("web:choose_accounts", args=["acme"]), follow=True)
    assert b"nothing to choose from" in again.content


def test_channel_health_warns_before_a_token_that_cannot_renew_expires(
    signed_in: Client, x_channel: Any
) -> None:
    x_channel.credentials = {"access_token": "t"}  # no refresh token: it will not renew
    x_channel.token_expires_at = timezone.now() + timedelta(days=3, hours=1)
    x_channel.save()
    page = signed_in.get(reverse("web:channels", args=["acme"]))
    assert b"Expires in 3 days: connect it again before then." in page.content
    x_channel.credentials = {"access_token": "t", "refresh_token": "r"}
    x_channel.save()
    page = signed_in.get(reverse("web:channels", args=["acme"]))
    assert b"Access renews automatically" in page.content
