"""Rate budgets (cuecast.publishing.budgets): windows, caps, tiers, live headers, concurrency.

Budgets are exercised through `admit` and `observe` directly, with the networks' real data; a few
tests swap in one small limit to show a window's semantics. Observations come from hand-written
answers and from real calls against the sandbox.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, connections

from cuecast import config, http
from cuecast.accounts.services import create_workspace
from cuecast.channels.models import Channel
from cuecast.networks import registry
from cuecast.networks.base import (
    LimitKind,
    LimitScope,
    LimitUnit,
    Part,
    PublishRequest,
    RateLimit,
    WindowKind,
)
from cuecast.publishing import budgets
from cuecast.publishing.budget_windows import ANSWER_WAIT
from cuecast.publishing.budgets import BudgetRequest
from cuecast.publishing.models import RateBudget

T0 = datetime(2026, 11, 23, 10, 0, 30, tzinfo=UTC)


@pytest.fixture
def channel(workspace: Any) -> Channel:
    return make_channel(workspace, "x", "1001")


def make_channel(workspace: Any, network: str, external_id: str) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        external_id=external_id,
        handle=f"@{network}{external_id}",
        display_name=f"{network} {external_id}",
    )


def requests(
    channel: Channel, count: int, *, start: int = 1, tier: str = "", purpose: str = "publish"
) -> list[BudgetRequest]:
    return [
        BudgetRequest(key, channel.network, channel.pk, tier=tier, purpose=purpose)
        for key in range(start, start + count)
    ]


def only_limit(monkeypatch: pytest.MonkeyPatch, network: str, *rules: RateLimit) -> None:
    """Give a network just these limits for the test (the real data stays untouched)."""
    net = registry.get(network)
    monkeypatch.setattr(net, "descriptor", dataclasses.replace(net.descriptor, rate_limits=rules))


def limit(**changes: Any) -> RateLimit:
    base = RateLimit(
        name="test",
        scope=LimitScope.ACCOUNT,
        unit=LimitUnit.PARTS,
        limit=3,
        window=timedelta(minutes=5),
        kind=LimitKind.RATE,
        window_kind=WindowKind.ALIGNED,
        source="test",
    )
    return dataclasses.replace(base, **changes)


def answer(
    network: str,
    channel: Channel | None,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    status: int = 200,
    at: datetime = T0,
    purpose: str = "publish",
) -> http.CallScope:
    """A call scope holding one answered call, as `http.call_scope` records it."""
    scope = http.CallScope(network, purpose, channel_id=channel.pk if channel else None)
    scope.calls.append(http.CallRecord(method, "api.example", path, at, status, headers))
    return scope


def x_headers(
    reset: datetime,
    *,
    limit: int = 100,
    remaining: int = 99,
    day_limit: int = 17,
    day_left: int = 16,
) -> dict[str, str]:
    stamp = str(int(reset.timestamp()))
    day = str(int((T0 + timedelta(hours=24)).timestamp()))
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": stamp,
        "x-user-limit-24hour-limit": str(day_limit),
        "x-user-limit-24hour-remaining": str(day_left),
        "x-user-limit-24hour-reset": day,
        "x-app-limit-24hour-limit": str(day_limit),
        "x-app-limit-24hour-remaining": str(day_left),
        "x-app-limit-24hour-reset": day,
    }


# --- which limits apply ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tier", "user_day", "app_day"),
    [("free", 17, 17), ("basic", 100, 1_667), ("pro", 10_000, 10_000), ("", 10_000, 10_000)],
)
def test_the_channels_tier_chooses_xs_limits(tier: str, user_day: int, app_day: int) -> None:
    rules = {r.name: r for r in budgets.rules_for("x", tier, "publish")}
    assert rules["tweets_24h_user"].limit == user_day
    assert rules["tweets_24h_app"].limit == app_day
    assert rules["tweets_15min"].limit == 100
    assert "lookup_15min" not in rules  # a metrics read, not publishing


def test_every_network_has_limits_with_sources() -> None:
    for key in registry.networks():
        rules = registry.get(key).descriptor.rate_limits
        assert rules, key
        assert all(r.source and r.limit > 0 and r.window > timedelta(0) for r in rules), key


def test_reads_and_writes_count_against_different_budgets() -> None:
    reads = {r.name: r for r in budgets.rules_for("x", "basic", "reconcile")}
    assert set(reads) == {"timeline_15min", "post_reads_month"}
    assert reads["post_reads_month"].units(1) == 100  # a timeline page is 100 post reads
    metrics = {r.name: r for r in budgets.rules_for("x", "basic", "metrics")}
    assert metrics["post_reads_month"].units(1) == 1


# --- fixed windows --------------------------------------------------------------------------
def test_aligned_window_grants_its_limit_then_waits_for_the_clock(
    monkeypatch: pytest.MonkeyPatch, channel: Channel
) -> None:
    only_limit(monkeypatch, "x", limit(limit=3, window=timedelta(minutes=5)))
    first = budgets.admit(requests(channel, 5), T0)
    assert first.granted == [1, 2, 3]
    window_end = datetime(2026, 11, 23, 10, 5, tzinfo=UTC)
    assert first.waiting == {4: window_end, 5: window_end}
    assert first.held == {}
    assert budgets.admit(requests(channel, 1, start=4), window_end - timedelta(seconds=1)).waiting
    assert budgets.admit(requests(channel, 2, start=4), window_end).granted == [4, 5]


def test_a_thread_costs_one_per_part(monkeypatch: pytest.MonkeyPatch, channel: Channel) -> None:
    only_limit(monkeypatch, "x", limit(limit=5))
    thread = BudgetRequest(1, "x", channel.pk, parts=4)
    single = BudgetRequest(2, "x", channel.pk)
    another_thread = BudgetRequest(3, "x", channel.pk, parts=2)
    admission = budgets.admit([thread, single, another_thread], T0)
    assert admission.granted == [1, 2]
    assert list(admission.waiting) == [3]


def test_budgets_are_per_account_and_app_budgets_shared(
    monkeypatch: pytest.MonkeyPatch, owner: Any, channel: Channel
) -> None:
    other = create_workspace(slug="other", name="Other agency client", owner=owner)
    other_workspace_channel = make_channel(other, "x", "2002")
    only_limit(
        monkeypatch,
        "x",
        limit(name="per_account", limit=2),
        limit(name="per_app", scope=LimitScope.APP, limit=3),
    )
    admission = budgets.admit(
        [*requests(channel, 2), *requests(other_workspace_channel, 2, start=3)], T0
    )
    # Each account has room for 2, but the app's 3 are shared by both workspaces.
    assert admission.granted == [1, 2, 3]
    assert list(admission.waiting) == [4]


# --- first-call windows and the network's own reset ---------------------------------------------
def test_first_call_window_opens_with_the_reservation(
    monkeypatch: pytest.MonkeyPatch, channel: Channel
) -> None:
    only_limit(
        monkeypatch,
        "x",
        limit(window_kind=WindowKind.FIRST_CALL, window=timedelta(minutes=15), limit=2),
    )
    assert budgets.admit(requests(channel, 1), T0).granted == [1]
    later = T0 + timedelta(minutes=10)
    admission = budgets.admit(requests(channel, 2, start=2), later)
    assert admission.granted == [2]
    # Until X names its reset, the window is assumed to end a minute after 15 minutes from T0.
    assert admission.waiting == {3: T0 + timedelta(minutes=16)}


def test_a_reported_limit_is_probed_then_the_networks_figures_win(channel: Channel) -> None:
    first = budgets.admit(requests(channel, 3), T0)
    assert first.granted == [1]  # one probe goes alone
    # ...the others try again once its answer is in, and not before a worker's look-ahead would
    # claim them too early: a round trip's allowance plus the look-ahead.
    answered = T0 + ANSWER_WAIT + timedelta(seconds=config.load().worker_lookahead_seconds)
    assert first.waiting == {2: answered, 3: answered}
    reset = T0 + timedelta(minutes=12)
    budgets.observe(
        [answer("x", channel, "POST", "/2/tweets", x_headers(reset, limit=5, remaining=4))], T0
    )
    second = budgets.admit(requests(channel, 6, start=2), T0)
    assert second.granted == [2, 3, 4, 5]  # X said 5 per window, 1 used
    # X's reset is whole seconds; Cuecast waits one more.
    assert second.waiting == {6: reset + timedelta(seconds=1), 7: reset + timedelta(seconds=1)}
    row = RateBudget.objects.get(key=f"x:tweets_15min:channel:{channel.pk}")
    assert (row.live_limit, row.used, row.window_reported) == (5, 5, True)


def test_a_probe_whose_answer_never_came_is_sent_again(channel: Channel) -> None:
    assert budgets.admit(requests(channel, 2), T0).granted == [1]
    assert budgets.admit(requests(channel, 1, start=2), T0 + timedelta(seconds=30)).waiting
    retry = budgets.admit(requests(channel, 2, start=2), T0 + budgets.PROBE_TIMEOUT)
    assert retry.granted == [2] and list(retry.waiting) == [3]


def test_an_answer_without_figures_ends_the_probe_and_the_documented_figure_applies(
    workspace: Any,
) -> None:
    mastodon = make_channel(workspace, "mastodon", "42")
    assert budgets.admit(requests(mastodon, 2), T0).granted == [1]
    budgets.observe([answer("mastodon", mastodon, "POST", "/api/v1/statuses", {})], T0)
    admission = budgets.admit(requests(mastodon, 400, start=2), T0)
    assert len(admission.granted) == 299  # 300 per 5 minutes, one spent on the probe
    assert set(admission.waiting.values()) == {datetime(2026, 11, 23, 10, 5, tzinfo=UTC)}


def test_remaining_zero_closes_the_budget_until_the_reset(channel: Channel) -> None:
    reset = T0 + timedelta(minutes=7)
    budgets.observe(
        [answer("x", channel, "POST", "/2/tweets", x_headers(reset, limit=100, remaining=0))], T0
    )
    admission = budgets.admit(requests(channel, 1), T0 + timedelta(minutes=1))
    assert admission.waiting == {1: reset + timedelta(seconds=1)}
    assert budgets.admit(requests(channel, 1), reset + timedelta(seconds=1)).granted == [1]


def test_a_429_closes_the_budget_it_names(channel: Channel) -> None:
    reset = T0 + timedelta(minutes=3)
    refused = answer(
        "x", channel, "POST", "/2/tweets", x_headers(reset, limit=100, remaining=40), status=429
    )
    budgets.observe([refused], T0)
    assert budgets.admit(requests(channel, 1), T0).waiting == {1: reset + timedelta(seconds=1)}


def test_a_used_up_day_holds_with_the_reason_and_the_reopening(channel: Channel) -> None:
    assert budgets.admit(requests(channel, 1, tier="free"), T0).granted == [1]
    budgets.observe(
        [answer("x", channel, "POST", "/2/tweets", x_headers(T0 + timedelta(minutes=15)))], T0
    )
    admission = budgets.admit(requests(channel, 20, start=2, tier="free"), T0)
    assert len(admission.granted) == 16  # 17 a day, one used
    day_end = T0.replace(microsecond=0) + timedelta(hours=24, seconds=1)
    reopens, reason = admission.held[18]
    assert reopens == day_end
    assert reason == (
        "X allows 17 posts a day on the Free tier; this account has used them; it reopens on "
        f"{day_end:%Y-%m-%d} at {day_end:%H:%M} UTC."
    )
    assert admission.waiting == {}


def test_the_apps_day_used_up_holds_every_account_with_the_apps_reason(
    owner: Any, channel: Channel
) -> None:
    headers = {
        **x_headers(T0 + timedelta(minutes=15)),
        "x-app-limit-24hour-limit": "1667",
        "x-app-limit-24hour-remaining": "0",
    }
    budgets.observe([answer("x", channel, "POST", "/2/tweets", headers)], T0)
    elsewhere = make_channel(create_workspace(slug="b", name="B", owner=owner), "x", "9")
    _, reason = budgets.admit(requests(elsewhere, 1, tier="basic"), T0).held[1]
    assert reason.startswith(
        "X allows 1,667 posts a day on the Basic tier for Cuecast's app, shared by every "
        "connected account; they are used up; it reopens on "
    )


def test_an_answer_from_the_refused_window_does_not_lift_the_refusal(channel: Channel) -> None:
    reset = T0 + timedelta(minutes=5)
    refused = answer("x", channel, "POST", "/2/tweets", x_headers(reset, remaining=0), status=429)
    earlier = answer("x", channel, "POST", "/2/tweets", x_headers(reset, remaining=4))
    budgets.observe([refused, earlier], T0)  # answers observed out of order, in one batch
    budgets.observe([earlier], T0)  # and a late one in the next
    assert budgets.admit(requests(channel, 1), T0).waiting == {1: reset + timedelta(seconds=1)}


def test_an_answer_from_a_later_window_lifts_the_refusal(channel: Channel) -> None:
    budgets.observe([answer("x", channel, "POST", "/2/tweets", {}, status=429)], T0)
    assert budgets.admit(requests(channel, 1), T0).waiting
    later = T0 + timedelta(minutes=20)
    budgets.observe([answer("x", channel, "POST", "/2/tweets", x_headers(later, remaining=50))], T0)
    assert budgets.admit(requests(channel, 1), T0).granted == [1]


def test_an_unexplained_429_pauses_the_accounts_rate_budgets(workspace: Any) -> None:
    mastodon = make_channel(workspace, "mastodon", "43")
    budgets.observe([answer("mastodon", mastodon, "POST", "/api/v1/statuses", {}, status=429)], T0)
    admission = budgets.admit(requests(mastodon, 1), T0)
    assert admission.waiting == {1: T0 + budgets.UNKNOWN_RESET_WAIT}


def test_a_linkedin_429_without_retry_after_pauses_the_member_briefly(workspace: Any) -> None:
    linkedin = make_channel(workspace, "linkedin", "urn:li:person:7")
    budgets.observe([answer("linkedin", linkedin, "POST", "/rest/posts", {}, status=429)], T0)
    reopens, reason = budgets.admit(requests(linkedin, 1), T0).held[1]
    # A burst's throttle, not the day's cap: the budget's own count of the day is far from used.
    assert reopens == T0 + budgets.UNKNOWN_RESET_WAIT
    # LinkedIn publishes no figure: the reason says it refused, without quoting one.
    assert (
        reason
        == "LinkedIn has stopped taking posts from this account for now; it reopens at 10:01 UTC."
    )
    assert budgets.admit(requests(linkedin, 1, start=2), reopens).granted == [2]


def test_a_linkedin_429_with_retry_after_pauses_the_member_that_long(workspace: Any) -> None:
    linkedin = make_channel(workspace, "linkedin", "urn:li:person:7")
    refused = answer(
        "linkedin", linkedin, "POST", "/rest/posts", {"retry-after": "600"}, status=429
    )
    budgets.observe([refused], T0)
    reopens, _reason = budgets.admit(requests(linkedin, 1), T0).held[1]
    assert reopens == T0 + timedelta(seconds=600)


def test_linkedin_holds_until_midnight_utc_once_the_days_count_is_used(workspace: Any) -> None:
    linkedin = make_channel(workspace, "linkedin", "urn:li:person:7")
    admission = budgets.admit(requests(linkedin, 151), T0)
    assert len(admission.granted) == 150
    reopens, reason = admission.held[151]
    assert reopens == datetime(2026, 11, 24, tzinfo=UTC)
    assert "150 posts a day" in reason


# --- rolling windows --------------------------------------------------------------------------
def test_rolling_day_counts_each_hour_until_it_has_fully_left_the_window(
    monkeypatch: pytest.MonkeyPatch, workspace: Any
) -> None:
    instagram = make_channel(workspace, "instagram", "17841")
    only_limit(
        monkeypatch,
        "instagram",
        limit(
            limit=3,
            window=timedelta(hours=24),
            kind=LimitKind.CAP,
            window_kind=WindowKind.ROLLING,
            unit=LimitUnit.POSTS,
        ),
    )
    at_1030 = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    assert budgets.admit(requests(instagram, 1), at_1030).granted == [1]
    assert budgets.admit(requests(instagram, 2, start=2), at_1030 + timedelta(minutes=40)).granted
    reopens, reason = budgets.admit(
        requests(instagram, 1, start=4), at_1030 + timedelta(hours=2)
    ).held[4]
    # The 10:30 post sits in the 10:00-11:00 hour: counted until that hour is 24 hours gone.
    assert reopens == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert "Instagram allows 3 posts in any 24 hours; this account has used them" in reason
    assert budgets.admit(requests(instagram, 1, start=4), reopens - timedelta(minutes=15)).held
    assert budgets.admit(requests(instagram, 1, start=4), reopens).granted == [4]


def test_instagram_and_threads_caps_are_rolling_days(workspace: Any) -> None:
    threads = make_channel(workspace, "threads", "555")
    thread = BudgetRequest(1, "threads", threads.pk, parts=3)
    assert budgets.admit([thread], T0).granted == [1]
    posts = RateBudget.objects.get(key=f"threads:posts_24h:channel:{threads.pk}")
    replies = RateBudget.objects.get(key=f"threads:replies_24h:channel:{threads.pk}")
    assert sum(posts.buckets.values()) == 1 and sum(replies.buckets.values()) == 2


# --- usage percentages (Meta) --------------------------------------------------------------------
def test_high_usage_waits_then_tests_again_with_one_call(workspace: Any) -> None:
    page = make_channel(workspace, "facebook", "1000")
    buc = '{"1000":[{"type":"pages","call_count":95,"total_cputime":20,"total_time":30}]}'
    budgets.observe(
        [answer("facebook", page, "POST", "/v25.0/1000/feed", {"x-business-use-case-usage": buc})],
        T0,
    )
    retest = T0 + timedelta(hours=2)  # a 24-hour window, tested again after a twelfth of it
    assert budgets.admit(requests(page, 2), T0).waiting == {1: retest, 2: retest}
    again = budgets.admit(requests(page, 2), retest)
    assert again.granted == [1] and list(again.waiting) == [2]
    calm = '{"1000":[{"type":"pages","call_count":40,"total_cputime":20,"total_time":30}]}'
    budgets.observe(
        [answer("facebook", page, "GET", "/v25.0/1000_1", {"x-business-use-case-usage": calm})],
        retest,
    )
    assert budgets.admit(requests(page, 2, start=3), retest).granted == [3, 4]


def test_a_throttled_page_waits_for_metas_estimate(workspace: Any) -> None:
    page = make_channel(workspace, "facebook", "1001")
    buc = (
        '{"1001":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,'
        '"estimated_time_to_regain_access":10}]}'
    )
    budgets.observe(
        [
            answer(
                "facebook",
                page,
                "POST",
                "/v25.0/1001/feed",
                {"x-business-use-case-usage": buc},
                status=400,
            )
        ],
        T0,
    )
    regained = T0 + timedelta(minutes=11)
    assert budgets.admit(requests(page, 1), T0).waiting == {1: regained}
    # When access returns, one call goes to read the usage again; the rest wait for its answer.
    again = budgets.admit(requests(page, 2, start=2), regained)
    assert again.granted == [2] and list(again.waiting) == [3]


# --- usage for the metrics endpoint --------------------------------------------------------------
def test_usage_lists_each_budget_with_its_count_and_window(
    monkeypatch: pytest.MonkeyPatch, channel: Channel
) -> None:
    only_limit(monkeypatch, "x", limit(limit=3))
    budgets.admit(requests(channel, 2), T0)
    (row,) = budgets.usage(T0)
    assert (row.network, row.scope, row.name, row.limit, row.used) == ("x", "account", "test", 3, 2)
    assert row.channel_id == channel.pk
    assert row.window_end == datetime(2026, 11, 23, 10, 5, tzinfo=UTC)
    assert budgets.usage(row.window_end)[0].used == 0


def test_a_batch_locks_each_budget_once(
    monkeypatch: pytest.MonkeyPatch, workspace: Any, django_assert_max_num_queries: Any
) -> None:
    only_limit(
        monkeypatch, "x", limit(limit=1000), limit(name="app", scope=LimitScope.APP, limit=10_000)
    )
    channels = [make_channel(workspace, "x", str(3000 + i)) for i in range(50)]
    batch = [BudgetRequest(i, "x", c.pk) for i, c in enumerate(channels * 10)]
    budgets.admit(batch, T0)  # creates the rows
    with django_assert_max_num_queries(8):
        admission = budgets.admit(batch, T0 + timedelta(seconds=1))
    assert len(admission.granted) == 500


# --- real answers from the sandbox --------------------------------------------------------------
def test_xs_sandbox_headers_feed_the_budgets(sandbox: Any, workspace: Any) -> None:
    from cuecast.networks.x import XNetwork
    from tests.networks.x.conftest import DEMO_USER, account_from_tokens, x_config

    sandbox.control.config("x", limits={"POST /2/tweets": 3})
    channel = make_channel(workspace, "x", "1849302716458209280")
    network = XNetwork(x_config(sandbox.url))
    tokens = sandbox.control.tokens("x", DEMO_USER)

    async def publish() -> http.CallScope:
        async with http.async_client() as client:
            conn = network.connect(account_from_tokens(tokens), client)
            with http.call_scope("x", "publish", channel_id=channel.pk) as scope:
                await conn.publish(
                    PublishRequest(parts=(Part("Budgeted hello"),), idempotency_key="t1")
                )
        return scope

    now = datetime.now(UTC)
    assert budgets.admit(requests(channel, 3), now).granted == [1]
    scope = async_to_sync(publish)()
    budgets.observe([scope], now)
    admission = budgets.admit(requests(channel, 3, start=2), now)
    assert admission.granted == [2, 3]  # the sandbox allows 3 per 15 minutes, 1 used
    (waiting_until,) = admission.waiting.values()
    header_reset = int(scope.calls[-1].limit_headers["x-rate-limit-reset"])
    assert waiting_until == datetime.fromtimestamp(header_reset + 1, UTC)


def test_mastodons_sandbox_headers_feed_the_budgets(sandbox: Any, workspace: Any) -> None:
    from tests.networks.mastodon.conftest import connection as mastodon_connection

    sandbox.control.config("mastodon", rate_limit=4)
    channel = make_channel(workspace, "mastodon", "110000000000000001")
    token = sandbox.control.tokens("mastodon", "demo")["access_token"]

    async def publish() -> http.CallScope:
        conn = mastodon_connection(f"{sandbox.url}/mastodon", token)
        try:
            with http.call_scope("mastodon", "publish", channel_id=channel.pk) as scope:
                await conn.publish(
                    PublishRequest(parts=(Part("Budgeted toot"),), idempotency_key="t2")
                )
        finally:
            await conn.http.aclose()
        return scope

    now = datetime.now(UTC)
    scope = async_to_sync(publish)()
    budgets.observe([scope], now)
    row = RateBudget.objects.get(key=f"mastodon:requests_5min:channel:{channel.pk}")
    assert (row.live_limit, row.window_reported) == (4, True)
    assert row.used == len(scope.calls)  # every call the publish made counts at the server
    assert row.window_end is not None and row.window_end.timestamp() % 300 == 0  # aligned
    assert len(budgets.admit(requests(channel, 5), now).granted) == 4 - len(scope.calls)


# --- many workers at once (PostgreSQL) ------------------------------------------------------------
@pytest.mark.postgres
def test_concurrent_admissions_never_over_admit(
    monkeypatch: pytest.MonkeyPatch, transactional_db: None, workspace: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.fail("this test runs on PostgreSQL (scripts/with_postgres.py)")
    channel = make_channel(workspace, "x", "4004")
    only_limit(
        monkeypatch, "x", limit(limit=57), limit(name="app", scope=LimitScope.APP, limit=10_000)
    )
    granted: list[int] = []
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            start.wait()
            for batch in range(10):
                first = offset * 1000 + batch * 10
                admission = budgets.admit(requests(channel, 10, start=first), T0)
                granted.extend(admission.granted)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(granted) == 57  # 400 asked at once by four workers; exactly the limit granted
    row = RateBudget.objects.get(key=f"x:test:channel:{channel.pk}")
    assert row.used == 57
