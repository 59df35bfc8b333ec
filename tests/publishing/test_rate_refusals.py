"""After a refusal the budgets wait as long as the network says, not longer, and a cap counts what
the network counts (issue #4): Meta's estimate or Retry-After instead of a two-hour pause, and
Instagram's 24-hour cap without the publishes Instagram refused."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from cuecast import http
from cuecast.channels.models import Channel
from cuecast.publishing import budgets
from cuecast.publishing.models import RateBudget
from tests.publishing.test_budgets import T0, answer, make_channel, requests

PAGE = "17841400000000001"


def buc_usage(percent: int, regain_minutes: int | None = None) -> dict[str, str]:
    entry: dict[str, Any] = {
        "type": "pages",
        "call_count": percent,
        "total_cputime": 1,
        "total_time": 1,
    }
    if regain_minutes is not None:
        entry["estimated_time_to_regain_access"] = regain_minutes
    return {"x-business-use-case-usage": json.dumps({PAGE: [entry]})}


def page_budget(channel: Channel) -> RateBudget:
    return RateBudget.objects.get(key=f"facebook:page_usage:channel:{channel.pk}")


def test_a_meta_throttle_waits_for_the_estimate_then_one_call_tests_the_usage(
    workspace: Any,
) -> None:
    page = make_channel(workspace, "facebook", PAGE)
    throttled = answer("facebook", page, "POST", f"/{PAGE}/feed", buc_usage(100, 1), status=400)
    budgets.observe([throttled], T0)
    # Meta said one minute; Cuecast adds one (the estimate is whole minutes).
    regained = T0 + timedelta(minutes=2)
    assert budgets.admit(requests(page, 1), T0).waiting == {1: regained}

    at_regain = budgets.admit(requests(page, 3, start=2), regained)
    assert at_regain.granted == [2]  # one call tests the usage...
    # ...and the others wait for its answer, seconds, not a twelfth of the 24-hour window.
    assert max(at_regain.waiting.values()) < regained + timedelta(minutes=1)

    budgets.observe([answer("facebook", page, "POST", f"/{PAGE}/feed", buc_usage(12))], regained)
    assert budgets.admit(requests(page, 2, start=3), regained).granted == [3, 4]


def test_a_meta_answer_that_says_nothing_keeps_the_documented_pause(workspace: Any) -> None:
    page = make_channel(workspace, "facebook", PAGE)
    budgets.observe([answer("facebook", page, "POST", f"/{PAGE}/feed", buc_usage(95))], T0)
    # High, not throttled, and no time named: the documented pause, a twelfth of 24 hours.
    pause = timedelta(hours=2)
    assert budgets.admit(requests(page, 1), T0).waiting == {1: T0 + pause}
    assert budgets.admit(requests(page, 1, start=2), T0 + pause).granted == [2]  # the test call
    budgets.observe([answer("facebook", page, "POST", f"/{PAGE}/feed", {})], T0 + pause)
    # Its answer carried no usage: the reading stays high, tested again after the pause.
    later = budgets.admit(requests(page, 1, start=3), T0 + pause)
    assert later.waiting == {3: T0 + 2 * pause}


def test_a_meta_429_with_retry_after_and_no_usage_report_waits_that_long(workspace: Any) -> None:
    page = make_channel(workspace, "facebook", PAGE)
    refused = answer("facebook", page, "POST", f"/{PAGE}/feed", {"retry-after": "60"}, status=429)
    budgets.observe([refused], T0)
    assert budgets.admit(requests(page, 1), T0).waiting == {1: T0 + timedelta(seconds=60)}
    assert budgets.admit(requests(page, 1, start=2), T0 + timedelta(seconds=60)).granted == [2]


# --- Instagram's 50 posts in any 24 hours counts what media_publish published ---------------------
def instagram_publish(channel: Channel, *steps: tuple[str, str, int]) -> http.CallScope:
    scope = http.CallScope("instagram", "publish", channel_id=channel.pk)
    for method, path, status in steps:
        scope.calls.append(http.CallRecord(method, "graph.facebook.com", path, T0, status, {}))
    return scope


def instagram_used(channel: Channel) -> int:
    row = RateBudget.objects.get(key=f"instagram:posts_24h:channel:{channel.pk}")
    return sum(row.buckets.values())


QUOTA = ("GET", "/v23.0/17841/content_publishing_limit", 200)
CONTAINER = ("POST", "/v23.0/17841/media", 200)


def test_instagram_publishes_refused_before_media_publish_give_their_reservation_back(
    workspace: Any,
) -> None:
    instagram = make_channel(workspace, "instagram", "17841")
    assert len(budgets.admit(requests(instagram, 4), T0).granted) == 4
    assert instagram_used(instagram) == 4
    budgets.observe(
        [
            instagram_publish(instagram, QUOTA, ("POST", "/v23.0/17841/media", 400)),
            instagram_publish(
                instagram, QUOTA, CONTAINER, ("POST", "/v23.0/17841/media_publish", 400)
            ),
            instagram_publish(
                instagram, QUOTA, CONTAINER, ("POST", "/v23.0/17841/media_publish", 200)
            ),
            # No answer: Instagram may have published it, so it still counts.
            instagram_publish(
                instagram, QUOTA, CONTAINER, ("POST", "/v23.0/17841/media_publish", 0)
            ),
        ],
        T0,
    )
    assert instagram_used(instagram) == 2
    # The cap's room is back: 48 more fit in the 24 hours, not 46.
    assert len(budgets.admit(requests(instagram, 60, start=5), T0).granted) == 48


def test_a_publish_that_made_no_call_at_all_gives_its_reservation_back(workspace: Any) -> None:
    instagram = make_channel(workspace, "instagram", "17841")
    budgets.admit(requests(instagram, 1), T0)
    scope = instagram_publish(instagram)
    budgets.observe([scope], T0)
    # Nothing to date it by: the reservation stays (conservative) until its sub-window leaves.
    assert instagram_used(instagram) == 1
