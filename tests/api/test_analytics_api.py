"""`/api/v1/analytics`: the report pages' figures as JSON, scoped to the key's workspace, with
the same numbers the selectors (and so the pages and exports) give."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache

from cuecast.accounts.models import Role
from cuecast.analytics.models import FinalReason
from tests.analytics import factories as make
from tests.analytics.report_world import ReportWorld, build_world

from .conftest import Api

WEEK = {"period": "custom", "start": "2026-11-09", "end": "2026-11-13"}


@pytest.fixture
def world(workspace: Any) -> Iterator[ReportWorld]:
    cache.clear()  # best-time results are kept for an hour
    yield build_world(workspace)
    cache.clear()


def test_campaign_report_per_day_with_exact_money(api: Api, world: ReportWorld) -> None:
    response = api.get(
        f"/api/v1/analytics/campaigns/{world.campaign.pk}", {**WEEK, "compare": "true"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timezone"] == "Europe/Berlin" and body["currency"] == "EUR"
    assert body["period"] == {
        "key": "custom",
        "start": "2026-11-09",
        "end": "2026-11-13",
        "days": 5,
    }
    assert body["previous"]["start"] == "2026-11-04"
    day = body["days"][1]
    assert day["day"] == "2026-11-10"
    assert (day["organic"]["impressions"], day["organic"]["engagements"]) == (1000, 52)
    assert day["paid"] == {"impressions": 5000, "clicks": 100, "spend": "21.37", "conversions": "2"}
    assert day["cost_per_engagement"] == "0.1406"
    assert body["total"]["paid"]["spend"] == "51.67"
    assert body["total"]["organic"]["impressions"] == 3500
    assert body["total"]["cost_per_engagement"] == "0.1404"
    networks = {n["network"]: n["organic"]["impressions"] for n in body["by_network"]}
    assert networks == {"x": 1500, "mastodon": None, "linkedin": 2000}
    spend = next(c for c in body["changes"] if c["metric"] == "spend")
    assert spend == {
        "metric": "spend",
        "current": "51.67",
        "previous": "10.00",
        "delta": "41.67",
        "percent": "416.7",
    }


def test_campaign_report_filtered_to_a_network(api: Api, world: ReportWorld) -> None:
    body = api.get(
        f"/api/v1/analytics/campaigns/{world.campaign.pk}", {**WEEK, "network": "linkedin"}
    ).json()
    assert [d["organic"]["impressions"] for d in body["days"]] == [0, 0, 2000, 0, 0]
    assert body["network"] == "linkedin"


def test_whole_campaign_is_the_default(api: Api, world: ReportWorld) -> None:
    body = api.get(f"/api/v1/analytics/campaigns/{world.campaign.pk}").json()
    assert body["period"]["key"] == "whole" and body["period"]["start"] == "2026-11-01"


def test_overview_channel_and_post(api: Api, world: ReportWorld) -> None:
    overview = api.get("/api/v1/analytics/overview", WEEK).json()
    assert [d["posts"] for d in overview["days"]] == [0, 2, 1, 1, 0]
    assert overview["by_campaign"][0]["paid"]["spend"] == "51.67"
    channel = api.get(f"/api/v1/analytics/channels/{world.x.pk}", WEEK).json()
    assert channel["channel_network"] == "x" and channel["total"]["impressions"] == 1800
    taken = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    make.snapshot(world.on_x, taken, impressions=400, likes=10)
    make.final_poll(world.on_x, FinalReason.DELETED, taken + timedelta(days=2))
    post = api.get(f"/api/v1/analytics/posts/{world.on_x.post_id}").json()
    [target] = post["targets"]
    assert target["readings"][0]["values"]["impressions"] == 400
    assert target["final_reason"] == "deleted"
    assert datetime.fromisoformat(target["final_at"]) == taken + timedelta(days=2)


def test_best_time_needs_a_known_network(api: Api, world: ReportWorld) -> None:
    body = api.get("/api/v1/analytics/best-time", {"network": "x"}).json()
    assert body["posts"] == 2 and body["suggestion"] is None and body["measure"] == "rate"
    refused = api.get("/api/v1/analytics/best-time", {"network": "myspace"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "network", "message": "Choose a network from the list."}
    ]


def test_a_bad_period_names_the_field(api: Api, world: ReportWorld) -> None:
    response = api.get(
        "/api/v1/analytics/overview",
        {"period": "custom", "start": "2026-11-13", "end": "2026-11-09"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "end", "message": "The last day must not be before the first day."}
    ]


def test_every_role_can_read_reports(api_as: Callable[[Role], Api], world: ReportWorld) -> None:
    viewer = api_as(Role.VIEWER)
    assert viewer.get(f"/api/v1/analytics/campaigns/{world.campaign.pk}").status_code == 200


def test_another_workspace_sees_nothing(other_api: Api, world: ReportWorld) -> None:
    for path in (
        f"/api/v1/analytics/campaigns/{world.campaign.pk}",
        f"/api/v1/analytics/channels/{world.x.pk}",
        f"/api/v1/analytics/posts/{world.on_x.post_id}",
    ):
        response = other_api.get(path)
        assert response.status_code == 404, path
    theirs = other_api.get("/api/v1/analytics/overview", WEEK).json()
    assert theirs["posts"] == 0 and theirs["by_campaign"] == [] and theirs["by_network"] == []


def test_the_reports_are_in_the_openapi_document(api: Api) -> None:
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/analytics/overview", "/api/v1/analytics/campaigns/{campaign_id}"} <= set(paths)
