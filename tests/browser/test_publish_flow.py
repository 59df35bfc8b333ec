"""The whole loop in a real browser: sign in, connect a sandbox Mastodon account through its consent
page, compose with the live count, schedule a minute ahead, publish on a controlled clock, and see
it published on the calendar. Screenshots of the composer and calendar go to /tmp for a look."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import BERLIN, SHOTS, publish_due

pytestmark = pytest.mark.browser


def test_connect_compose_schedule_publish(
    browser_page: Any, public_url: str, sandbox: Any, owner: Any, workspace: Any
) -> None:
    from playwright.sync_api import expect

    from cuecast.posts.models import Target, TargetState

    page = browser_page

    # Sign in: the only workspace opens on its calendar.
    page.goto(f"{public_url}/login/")
    page.fill("#id_username", "olivia")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/w/acme/calendar/$"))

    # Connect Mastodon through the sandbox's consent page and back.
    page.click("nav.sections >> text=Channels")
    page.fill("#id_mastodon_server_url", f"{sandbox.url}/mastodon")
    page.click("#connect-mastodon")
    expect(page).to_have_url(re.compile(re.escape(sandbox.url)))
    expect(page.locator("h1")).to_contain_text("Mastodon")
    page.click("#authorize")
    expect(page).to_have_url(f"{public_url}/w/acme/channels/")
    expect(page.locator(".message.success")).to_contain_text("Connected")
    expect(page.locator("table.channels")).to_contain_text("Mastodon")

    # Compose: the live count follows the text, counted by the server.
    page.click("nav.sections >> text=Compose")
    text = "Spring sale starts now! Details: https://example.com/spring/a/rather/long/path"
    page.fill("#id_text", text)
    output = page.locator("output.count").first
    expect(output.locator(".n")).to_have_text(str(len("Spring sale starts now! Details: ") + 23))
    expect(output.locator(".limit")).to_have_text("500")
    page.check("input[name=channels]")
    due_local = (datetime.now(BERLIN) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    page.fill("#id_local_at", due_local.strftime("%Y-%m-%dT%H:%M"))
    expect(page.locator("#id_timezone")).to_have_value("Europe/Berlin")
    page.screenshot(path=str(SHOTS / "cuecast-composer.png"), full_page=True)
    page.click("button:has-text('Save post')")
    expect(page).to_have_url(re.compile(r"/w/acme/posts/\d+/$"))
    expect(page.locator(".target .state")).to_have_text("Scheduled")

    # The clock reaches the due time: the dispatcher publishes to the sandbox.
    assert publish_due(due_local + timedelta(seconds=5)) == 1
    target = Target.objects.get()
    assert target.state == TargetState.PUBLISHED, target.reason
    received = sandbox.control.received("mastodon")
    assert [(r["text"], r["id"]) for r in received] == [(text, target.external_id)]  # exactly once

    # The calendar shows it published, in the workspace's zone.
    page.goto(f"{public_url}/w/acme/calendar/?view=week&date={due_local:%Y-%m-%d}")
    entry = page.locator("li.entry-published")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Published")
    expect(entry).to_contain_text(due_local.strftime("%H:%M"))
    page.screenshot(path=str(SHOTS / "cuecast-calendar.png"), full_page=True)

    # The post page links to the published post and lists the attempt.
    entry.locator("a").click()
    expect(page.locator(".target .state")).to_have_text("Published")
    expect(page.get_by_role("link", name="View the published post")).to_have_attribute(
        "href", target.permalink
    )
    expect(page.locator("table.attempts")).to_contain_text("Published")
    page.screenshot(path=str(SHOTS / "cuecast-post.png"), full_page=True)

    # Narrow screens: the month turns into a list of days.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{public_url}/w/acme/calendar/?view=month&date={due_local:%Y-%m-%d}")
    expect(page.locator("li.entry-published")).to_be_visible()
    page.screenshot(path=str(SHOTS / "cuecast-calendar-narrow.png"), full_page=True)

    # German, chosen in the header; a save with nothing filled in explains itself per field.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{public_url}/w/acme/compose/")
    page.select_option("#language", "de")
    page.click("form:has(#language) button")
    expect(page.locator("h1")).to_have_text("Beitrag schreiben")
    page.click("button:has-text('Beitrag speichern')")
    expect(page.locator("#id_local_at-errors")).to_contain_text("Wählen Sie Datum und Uhrzeit")
    expect(page.locator("#id_channels-errors")).to_be_visible()
    page.screenshot(path=str(SHOTS / "cuecast-composer-de.png"), full_page=True)
