"""The usage headers as data (developers.facebook.com/docs/graph-api/overview/rate-limiting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cuecast.networks.facebook import ratelimit

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_app_usage() -> None:
    info = ratelimit.parse(
        {"X-App-Usage": '{"call_count":28,"total_time":25,"total_cputime":34}'}, NOW
    )
    assert info is not None
    [usage] = info.usages
    assert (usage.scope, usage.call_count, usage.total_cputime, usage.total_time) == (
        "app",
        28,
        34,
        25,
    )
    assert info.percent == 34 and info.retry_at() is None and not usage.exhausted


def test_business_use_case_usage() -> None:
    header = (
        '{"112130216863063":[{"type":"pages","call_count":100,"total_cputime":10,'
        '"total_time":12,"estimated_time_to_regain_access":12}],'
        '"17841400000000101":[{"type":"instagram","call_count":5,"total_cputime":1,'
        '"total_time":1,"estimated_time_to_regain_access":0}]}'
    )
    info = ratelimit.parse({"x-business-use-case-usage": header}, NOW)
    assert info is not None
    pages = next(u for u in info.usages if u.scope == "pages")
    assert pages.object_id == "112130216863063" and pages.exhausted
    assert info.retry_at() == NOW + timedelta(minutes=12) + ratelimit.REGAIN_MARGIN


def test_page_usage_and_garbage() -> None:
    info = ratelimit.parse(
        {"x-page-usage": '{"call_count":"7","total_cputime":1,"total_time":2}', "x-app-usage": "{"},
        NOW,
    )
    assert info is not None and [u.scope for u in info.usages] == ["page"]
    assert info.usages[0].call_count == 7
    assert ratelimit.parse({}, NOW) is None
