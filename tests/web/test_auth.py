"""Signing in and out, the workspace switcher, the language switch."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client: Client, workspace: Any) -> None:
    response = client.get(reverse("web:calendar", args=[workspace.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_sign_in_lands_on_the_only_workspace(client: Client, owner: Any, workspace: Any) -> None:
    page = client.get(reverse("web:login"))
    assert page.status_code == 200
    assert b'name="password"' in page.content

    response = client.post(
        reverse("web:login"),
        {"username": "olivia", "password": "correct horse battery"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("web:calendar", args=["acme"])
    assert b"ACME" in response.content


def test_wrong_password_is_refused_with_a_message(client: Client, owner: Any) -> None:
    response = client.post(reverse("web:login"), {"username": "olivia", "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post(signed_in: Client) -> None:
    assert signed_in.get(reverse("web:logout")).status_code == 405
    response = signed_in.post(reverse("web:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in signed_in.session


def test_workspace_switcher_lists_only_my_workspaces(
    signed_in: Client, owner: Any, stranger: Any
) -> None:
    from cuecast.accounts.services import create_workspace

    create_workspace(slug="second", name="Second Brand", owner=owner)
    page = signed_in.get(reverse("web:calendar", args=["acme"]))
    assert b"Second Brand" in page.content
    assert b"Other Co" not in page.content

    moved = signed_in.get(reverse("web:switch_workspace"), {"to": "second", "section": "channels"})
    assert moved["Location"] == reverse("web:channels", args=["second"])
    refused = signed_in.get(reverse("web:switch_workspace"), {"to": "other"})
    assert refused["Location"] == reverse("web:home")


def test_language_switch_persists_on_the_user_and_renders_german(
    signed_in: Client, owner: Any
) -> None:
    calendar = reverse("web:calendar", args=["acme"])
    response = signed_in.post(reverse("web:set_language"), {"language": "de", "next": calendar})
    assert response["Location"] == calendar
    owner.refresh_from_db()
    assert owner.language == "de"

    page = signed_in.get(calendar)
    assert page["Content-Language"] == "de"
    assert '<html lang="de">' in page.content.decode()
    assert "Kalender" in page.content.decode()
    assert "Abmelden" in page.content.decode()


def test_language_follows_the_user_to_a_new_browser(owner: Any, workspace: Any) -> None:
    owner.language = "de"
    owner.save()
    browser = Client()  # no cookie, English Accept-Language
    browser.force_login(owner)
    page = browser.get(reverse("web:compose", args=["acme"]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Beitrag schreiben" in page.content.decode()


def test_language_switch_refuses_foreign_redirects(signed_in: Client) -> None:
    response = signed_in.post(
        reverse("web:set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("web:home")
