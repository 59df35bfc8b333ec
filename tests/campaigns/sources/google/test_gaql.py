"""The GAQL Cuecast sends, as exact strings: a changed query is a visible, reviewed change."""

from __future__ import annotations

from datetime import date

import pytest

from cuecast.campaigns.sources.google import gaql


def test_campaigns_query_before_v23_uses_the_date_fields() -> None:
    assert gaql.campaigns_query("v22") == (
        "SELECT campaign.id, campaign.name, campaign.status, campaign.primary_status, "
        "campaign.primary_status_reasons, campaign.serving_status, "
        "campaign.advertising_channel_type, campaign.start_date, campaign.end_date, "
        "campaign_budget.amount_micros, campaign_budget.total_amount_micros, "
        "campaign_budget.period FROM campaign"
    )


@pytest.mark.parametrize("version", ["v23", "v25", "v26"])
def test_campaigns_query_from_v23_uses_the_date_time_fields(version: str) -> None:
    assert gaql.campaigns_query(version) == (
        "SELECT campaign.id, campaign.name, campaign.status, campaign.primary_status, "
        "campaign.primary_status_reasons, campaign.serving_status, "
        "campaign.advertising_channel_type, campaign.start_date_time, campaign.end_date_time, "
        "campaign_budget.amount_micros, campaign_budget.total_amount_micros, "
        "campaign_budget.period FROM campaign"
    )


def test_metrics_query() -> None:
    assert gaql.metrics_query(["111", "222"], date(2026, 11, 1), date(2026, 11, 22)) == (
        "SELECT campaign.id, segments.date, metrics.impressions, metrics.clicks, "
        "metrics.cost_micros, metrics.conversions FROM campaign "
        "WHERE segments.date BETWEEN '2026-11-01' AND '2026-11-22' "
        "AND campaign.id IN (111, 222)"
    )


def test_metrics_query_refuses_anything_but_digits() -> None:
    with pytest.raises(ValueError, match="campaign id"):
        gaql.metrics_query(["1) OR (1=1"], date(2026, 11, 1), date(2026, 11, 2))


def test_customer_queries() -> None:
    assert gaql.customer_query() == (
        "SELECT customer.id, customer.descriptive_name, customer.currency_code, "
        "customer.time_zone, customer.manager, customer.status FROM customer"
    )
    assert gaql.client_query().endswith(
        "FROM customer_client "
        "WHERE customer_client.manager = FALSE AND customer_client.status = 'ENABLED'"
    )


def test_versions_and_ids() -> None:
    assert gaql.version_number("v22") == 22
    assert not gaql.uses_date_time("v22")
    assert gaql.uses_date_time("v23")
    with pytest.raises(ValueError):
        gaql.version_number("22")
    assert gaql.customer_id("123-456-7890") == "1234567890"
    with pytest.raises(ValueError):
        gaql.customer_id("customers/1")
