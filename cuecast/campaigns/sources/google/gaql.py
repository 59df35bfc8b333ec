"""The Google Ads Query Language (GAQL) statements Cuecast sends, one function each.

The campaign date fields changed in v23 (developers.google.com/google-ads/api/diff-tool/v23/
versus-v22/diffs/resources/campaign): v22 and earlier have `campaign.start_date` /
`campaign.end_date` ("YYYY-MM-DD"; an open end is 2037-12-30); v23 removed them for
`campaign.start_date_time` / `campaign.end_date_time` ("yyyy-MM-dd HH:mm:ss"; an open end is
unset). A query naming a field its version lacks is refused (queryError), so the SELECT follows
the configured version; the parser (api.py) reads whichever a row holds, the newer first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

DATE_TIME_SINCE = 23  # first API version with campaign.start_date_time / end_date_time
_VERSION = re.compile(r"^v(\d+)(?:_\d+)?$")
_CUSTOMER_ID = re.compile(r"^\d{1,20}$")


def version_number(version: str) -> int:
    """22 for "v22". Raises ValueError for anything that is not a Google Ads API version."""
    match = _VERSION.match(version.strip())
    if not match:
        raise ValueError(f"“{version}” is not a Google Ads API version such as v22.")
    return int(match.group(1))


def uses_date_time(version: str) -> bool:
    return version_number(version) >= DATE_TIME_SINCE


def customer_id(value: str) -> str:
    """A customer id as the API wants it: digits only ("123-456-7890" → "1234567890")."""
    digits = value.replace("-", "").strip()
    if not _CUSTOMER_ID.match(digits):
        raise ValueError(f"“{value}” is not a Google Ads customer id.")
    return digits


def customer_query() -> str:
    """The customer itself: name, currency and time zone, and whether it is a manager."""
    return (
        "SELECT customer.id, customer.descriptive_name, customer.currency_code, "
        "customer.time_zone, customer.manager, customer.status "
        "FROM customer"
    )


def client_query() -> str:
    """Every advertiser (non-manager) account below a manager, at any depth. `customer_client`
    lists direct and indirect clients and the manager itself (level 0);
    developers.google.com/google-ads/api/docs/account-management/get-account-hierarchy."""
    return (
        "SELECT customer_client.id, customer_client.descriptive_name, "
        "customer_client.currency_code, customer_client.time_zone, customer_client.manager, "
        "customer_client.status, customer_client.level "
        "FROM customer_client "
        "WHERE customer_client.manager = FALSE AND customer_client.status = 'ENABLED'"
    )


def campaign_fields(version: str) -> tuple[str, ...]:
    dates = (
        ("campaign.start_date_time", "campaign.end_date_time")
        if uses_date_time(version)
        else ("campaign.start_date", "campaign.end_date")
    )
    return (
        "campaign.id",
        "campaign.name",
        "campaign.status",
        "campaign.primary_status",
        "campaign.primary_status_reasons",
        "campaign.serving_status",
        "campaign.advertising_channel_type",
        *dates,
        "campaign_budget.amount_micros",
        "campaign_budget.total_amount_micros",
        "campaign_budget.period",
    )


def campaigns_query(version: str) -> str:
    """Every campaign of every channel type, removed ones included (a removal is a cue)."""
    # GAQL, not SQL, and built from constants only.
    return f"SELECT {', '.join(campaign_fields(version))} FROM campaign"  # noqa: S608


def _campaign_id(value: str) -> str:
    if not value.isdigit():
        raise ValueError(f"“{value}” is not a Google Ads campaign id.")
    return value


def metrics_query(campaign_ids: Iterable[str], start: date, end: date) -> str:
    """Daily metrics per campaign; `segments.date` is the customer's day (its time zone), and
    `metrics.cost_micros` is in the customer's currency (customer_query)."""
    ids = ", ".join(_campaign_id(str(i)) for i in campaign_ids)  # digits only
    return (  # GAQL built from constants, date objects and digit-only ids
        "SELECT campaign.id, segments.date, metrics.impressions, "  # noqa: S608
        "metrics.clicks, metrics.cost_micros, metrics.conversions "
        "FROM campaign "
        f"WHERE segments.date BETWEEN '{start.isoformat()}' AND '{end.isoformat()}' "
        f"AND campaign.id IN ({ids})"
    )
