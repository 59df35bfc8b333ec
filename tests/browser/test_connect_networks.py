"""In a real browser: connect a Facebook Page, an Instagram account and a LinkedIn page through
the sandbox's consent pages (choosing among the accounts each consent grants), then publish one
post with an image to all three."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import BERLIN, SHOTS, publish_due

pytestmark = pytest.mark.browser


def connect(page: Any, public_url: str, network: str, keep: str | None) -> None:
    """Press Connect, consent as the sandbox's first user, keep only `keep` if Cuecast asks."""
    from playwright.sync_api import expect

    page.goto(f"{public_url}/w/acme/channels/")
    page.click(f"#connect-{network}")
    page.locator("input[name=user]").first.check()
    page.click("#authorize")
    expect(page).to_have_url(re.compile(rf"^{re.escape(public_url)}/w/acme/channels/(choose/)?$"))
    if page.url.endswith("/choose/"):
        assert keep is not None
        boxes = page.locator("input[name=account]")
        for i in range(boxes.count()):
            label = boxes.nth(i).locator("xpath=..").inner_text()
            boxes.nth(i).set_checked(keep in label)
        page.screenshot(path=str(SHOTS / f"cuecast-choose-{network}.png"), full_page=True)
        page.click("#connect-chosen")
    expect(page.locator(".message.success")).to_contain_text("Connected")


def test_connect_facebook_instagram_linkedin_and_publish(
    browser_page: Any, public_url: str, sandbox: Any, owner: Any, workspace: Any, tmp_path: Any
) -> None:
    from playwright.sync_api import expect

    from cuecast.channels.models import Channel
    from cuecast.posts.models import Target, TargetState

    for network in ("linkedin", "instagram"):
        sandbox.control.config(network, image_processing_seconds=0)
    page = browser_page
    page.goto(f"{public_url}/login/")
    page.fill("#id_username", "olivia")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/w/acme/calendar/$"))

    connect(page, public_url, "facebook", keep="Cuecast Demo Page")
    connect(page, public_url, "instagram", keep="cuecast_demo_ig")
    connect(page, public_url, "linkedin", keep="Cuecast Demo GmbH")
    channels = {c.network: c for c in Channel.objects.all()}
    assert sorted(channels) == ["facebook", "instagram", "linkedin"], [
        c.display_name for c in channels.values()
    ]
    page.goto(f"{public_url}/w/acme/channels/")
    page.screenshot(path=str(SHOTS / "cuecast-channels.png"), full_page=True)

    # One post with an image (Instagram has no text-only posts) to all three.
    image = tmp_path / "spring.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, format="JPEG")
    image.write_bytes(buffer.getvalue())
    page.click("nav.sections >> text=Compose")
    page.fill("#id_text", "Spring sale: everything in orange is 20% off (today only)!")
    for channel in channels.values():
        page.check(f"input[name=channels][value='{channel.pk}']")
    page.set_input_files("#id_image", str(image))
    page.fill("#id_alt_text", "An orange rectangle")
    due_local = (datetime.now(BERLIN) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    page.fill("#id_local_at", due_local.strftime("%Y-%m-%dT%H:%M"))
    page.click("button:has-text('Save post')")
    expect(page).to_have_url(re.compile(r"/w/acme/posts/\d+/$"))

    due = due_local + timedelta(seconds=5)
    saved_clock = sandbox.state.clock
    sandbox.state.clock = lambda: due.timestamp()
    try:
        assert publish_due(due) == 3
    finally:
        sandbox.state.clock = saved_clock
    for target in Target.objects.select_related("channel"):
        assert target.state == TargetState.PUBLISHED, (target.channel.network, target.reason)
        assert len(sandbox.control.received(target.channel.network)) == 1

    page.reload()
    expect(page.locator(".target .state")).to_have_text(["Published"] * 3)
    links = page.get_by_role("link", name="View the published post")
    expect(links).to_have_count(3)
    page.screenshot(path=str(SHOTS / "cuecast-post-three.png"), full_page=True)
