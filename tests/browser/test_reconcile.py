"""Settling what Cuecast could not confirm, in a real browser.

One post goes out on the sandbox's Mastodon but the answer never arrives (`timeout_after_accept`),
and every look-up fails (503 on the account's timeline) until reconciliation gives up: it needs a
person's check. Another is set up in that state directly. The person opens "Needs your check",
sees the evidence, says the first was published (pasting its link) and asks for the second to be
published again, which the worker then sends with a fresh idempotency key, exactly once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from django.utils import timezone

from tests.checks_support import needs_check_target
from tests.conftest import clear_config_caches

pytestmark = pytest.mark.browser

T = TypeVar("T")


def off_thread(work: Callable[[], T]) -> T:
    """Run dispatcher work beside Playwright's event loop (see tests/browser/conftest.py)."""
    from django.db import connection

    def run() -> T:
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=120)


@pytest.fixture
def short_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The worker gives up on a call after 1 s, so the sandbox's held answer times out quickly."""
    monkeypatch.setenv("CUECAST_WORKER_CALL_TIMEOUT_SECONDS", "1")
    clear_config_caches()
    yield
    monkeypatch.delenv("CUECAST_WORKER_CALL_TIMEOUT_SECONDS")
    clear_config_caches()


def lost_answer_target(workspace: Any, channel: Any, sandbox: Any) -> Any:
    """A post that went out on the network while Cuecast never heard back, and could not find out."""
    from cuecast.posts.models import Post, Target, TargetState
    from cuecast.publishing.dispatcher import reconcile_once, run_once

    due = timezone.now() - timedelta(minutes=1)
    post = Post.objects.create(workspace=workspace, text="Spring sale: the answer got lost")
    target = Target.objects.create(
        post=post, channel=channel, state=TargetState.SCHEDULED, due_at=due, next_attempt_at=due
    )
    sandbox.control.fault(
        "mastodon", "timeout_after_accept", endpoint="POST /api/v1/statuses", seconds=3
    )
    assert off_thread(lambda: run_once(now=timezone.now())) == 1
    target.refresh_from_db()
    assert target.state == TargetState.UNCONFIRMED, target.reason
    sandbox.control.fault(
        "mastodon", "error_5xx", endpoint="GET /api/v1/accounts/{id}/statuses", count=100
    )
    clock: datetime = timezone.now()
    for _round in range(20):  # every look-up fails until reconciliation gives up
        clock += timedelta(hours=1)
        off_thread(lambda at=clock: reconcile_once(now=at))
        target.refresh_from_db()
        if target.next_attempt_at is None:
            break
    sandbox.control.clear_faults()
    assert (target.state, target.next_attempt_at) == (TargetState.UNCONFIRMED, None)
    return target


def test_settle_what_cuecast_could_not_confirm(
    browser_page: Any, public_url: str, sandbox: Any, actor: Any, workspace: Any, short_calls: None
) -> None:
    from playwright.sync_api import expect

    from cuecast.accounts.demo import sandbox_account
    from cuecast.channels.services import save_connected_account
    from cuecast.posts.models import TargetState
    from cuecast.publishing.dispatcher import run_once

    channel = save_connected_account(actor, "mastodon", sandbox_account(sandbox.url, "mastodon"))
    went_out = lost_answer_target(workspace, channel, sandbox)
    [received] = sandbox.control.received("mastodon")
    lost = needs_check_target(workspace, channel, "Autumn teaser: never arrived")
    old_key = str(lost.idempotency_key)
    page = browser_page

    page.goto(f"{public_url}/login/")
    page.fill("#id_username", "olivia")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")
    badge = page.locator("nav.sections >> text=Needs your check")
    expect(badge).to_contain_text("2")
    badge.click()
    expect(page).to_have_url(re.compile(r"/w/acme/checks/$"))

    # The evidence: the attempts with their HTTP status, what was looked up, where to look.
    panel = page.locator(f"#check-{went_out.pk}")
    expect(panel.locator("table.evidence")).to_contain_text("503")
    expect(panel.locator("ul.lookups")).to_contain_text("idempotency key")
    expect(panel.locator("a.profile-link")).to_have_attribute(
        "href", re.compile(r"/mastodon/@demo$")
    )

    # "It was published", with the link the person found on the channel.
    link = f"{sandbox.url}/mastodon/@demo/{received['id']}"
    panel.locator(f"#permalink-{went_out.pk}").fill(link)
    panel.locator("button[name=confirm]").click()
    expect(page.locator(".message.success")).to_contain_text("Recorded as published")
    expect(page.locator(f"#check-{went_out.pk}")).to_have_count(0)
    went_out.refresh_from_db()
    assert went_out.state == TargetState.PUBLISHED
    assert (went_out.permalink, went_out.external_id) == (link, received["id"])

    # "Publish again": the other one goes out now, as a new post, with a fresh key.
    page.locator(f"#check-{lost.pk} button[name=publish_again]").click()
    expect(page.locator(".message.success")).to_contain_text("It goes out again now")
    expect(page.locator("article.check-item")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Nothing needs your check")
    assert off_thread(lambda: run_once(now=timezone.now())) == 1
    lost.refresh_from_db()
    assert lost.state == TargetState.PUBLISHED, lost.reason
    again = [r for r in sandbox.control.received("mastodon") if r["text"] == lost.post.text]
    [sent] = again  # the connector adds the part's number to the target's key
    assert sent["idempotency_key"].startswith(str(lost.idempotency_key))
    assert not sent["idempotency_key"].startswith(old_key)
    assert len(sandbox.control.received("mastodon")) == 2  # nothing went out twice

    # The post page keeps the history of who settled what.
    page.goto(f"{public_url}/w/acme/posts/{went_out.post_id}/")
    expect(page.locator("table.history")).to_contain_text("Confirmed published")
