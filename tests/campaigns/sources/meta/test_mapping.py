"""Meta budgets (minor units per Meta's currency offsets), times and statuses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cuecast.campaigns.sources.base import BudgetPeriod, RemoteStatus
from cuecast.campaigns.sources.meta import campaigns as mapping
from cuecast.campaigns.sources.meta.money import decimal_string, minor_to_major, offset

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("2000", "USD", Decimal("20.00")),
        ("2050", "eur", Decimal("20.50")),
        (150000, "EUR", Decimal("1500.00")),
        ("1", "USD", Decimal("0.01")),
        ("2000", "JPY", Decimal("2000")),
        ("5000", "KRW", Decimal("5000")),
        ("150000", "HUF", Decimal("150000")),  # two decimals in ISO 4217, offset 1 at Meta
        ("99", "TWD", Decimal("99")),
        ("2000", "XYZ", Decimal("20.00")),  # unknown: Meta's default offset 100
        ("0", "USD", None),
        ("", "USD", None),
        (None, "USD", None),
        ("abc", "USD", None),
        ("12.5", "USD", None),
        ("-100", "USD", None),
        (True, "USD", None),
    ],
)
def test_minor_to_major(value: object, currency: str, expected: Decimal | None) -> None:
    result = minor_to_major(value, currency)
    assert result == expected
    if expected is not None:
        assert str(result) == str(expected)  # exact, with the currency's places


def test_offsets() -> None:
    assert offset("USD") == 100 and offset("JPY") == 1 and offset(" isk ") == 1


def test_decimal_strings_are_exact() -> None:
    assert decimal_string("21.40") == Decimal("21.40")
    assert decimal_string("0.1") + decimal_string("0.2") == Decimal("0.3")
    assert decimal_string(None) == 0 and decimal_string("x") == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01T00:00:00-0800", datetime(2026, 11, 1, 8, 0, tzinfo=UTC)),
        ("2026-11-01T09:00:00+0100", datetime(2026, 11, 1, 8, 0, tzinfo=UTC)),
        ("2026-11-01T08:00:00+0000", datetime(2026, 11, 1, 8, 0, tzinfo=UTC)),
        ("2026-11-01T08:00:00Z", datetime(2026, 11, 1, 8, 0, tzinfo=UTC)),
        ("2026-11-01T08:00:00", None),
        ("", None),
        (None, None),
        ("soon", None),
    ],
)
def test_parse_time(text: object, expected: datetime | None) -> None:
    assert mapping.parse_time(text) == expected


PAST = "2026-11-01T00:00:00+0000"
FUTURE = "2026-12-24T00:00:00+0000"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            {"effective_status": "ACTIVE", "status": "ACTIVE", "start_time": PAST},
            RemoteStatus.ACTIVE,
        ),
        ({"effective_status": "PAUSED", "status": "PAUSED"}, RemoteStatus.PAUSED),
        ({"effective_status": "CAMPAIGN_PAUSED", "status": "ACTIVE"}, RemoteStatus.PAUSED),
        ({"effective_status": "ADSET_PAUSED", "status": "ACTIVE"}, RemoteStatus.PAUSED),
        ({"effective_status": "DELETED", "status": "DELETED"}, RemoteStatus.REMOVED),
        ({"effective_status": "ARCHIVED", "status": "ARCHIVED"}, RemoteStatus.REMOVED),
        ({"effective_status": "IN_PROCESS", "status": "ACTIVE"}, RemoteStatus.ACTIVE),
        ({"effective_status": "IN_PROCESS", "status": "PAUSED"}, RemoteStatus.PAUSED),
        ({"effective_status": "WITH_ISSUES", "status": "ACTIVE"}, RemoteStatus.ACTIVE),
        ({"effective_status": "PENDING_REVIEW", "status": "ACTIVE"}, RemoteStatus.PENDING),
        ({"effective_status": "DISAPPROVED", "status": "ACTIVE"}, RemoteStatus.PAUSED),
        ({"effective_status": "SOMETHING_NEW", "status": "PAUSED"}, RemoteStatus.PAUSED),
        # ENDED once stop_time has passed, whatever delivery said
        ({"effective_status": "ACTIVE", "stop_time": PAST}, RemoteStatus.ENDED),
        ({"effective_status": "PAUSED", "stop_time": PAST}, RemoteStatus.ENDED),
        ({"effective_status": "ARCHIVED", "stop_time": PAST}, RemoteStatus.REMOVED),
        # scheduled: active but not started yet
        ({"effective_status": "ACTIVE", "start_time": FUTURE}, RemoteStatus.PENDING),
    ],
)
def test_status(item: dict[str, Any], expected: RemoteStatus) -> None:
    starts = mapping.parse_time(item.get("start_time"))
    ends = mapping.parse_time(item.get("stop_time"))
    assert mapping.status_of(item, starts, ends, NOW) is expected


def test_campaign_budget_wins_over_adsets() -> None:
    campaign = mapping.remote_campaign(
        {
            "id": "1",
            "name": "CBO",
            "effective_status": "ACTIVE",
            "start_time": PAST,
            "daily_budget": "5000",
        },
        currency="EUR",
        timezone="Europe/Berlin",
        now=NOW,
    )
    assert (campaign.budget_amount, campaign.budget_period) == (
        Decimal("50.00"),
        BudgetPeriod.DAILY,
    )
    assert campaign.currency == "EUR" and campaign.timezone == "Europe/Berlin"
    assert campaign.status_raw == "ACTIVE" and campaign.ends_at is None


def test_adsets_all_lifetime_are_summed_and_give_dates() -> None:
    adsets = [
        {
            "effective_status": "ACTIVE",
            "lifetime_budget": "100000",
            "start_time": PAST,
            "end_time": "2026-12-01T00:00:00+0000",
        },
        {
            "effective_status": "PAUSED",
            "lifetime_budget": "50050",
            "start_time": "2026-10-30T00:00:00+0000",
            "end_time": "2026-12-05T00:00:00+0000",
        },
        {"effective_status": "DELETED", "daily_budget": "999"},  # gone: ignored
    ]
    summary = mapping.summarise_adsets(adsets, "EUR")
    assert summary.budget_amount == Decimal("1500.50")
    assert summary.budget_period is BudgetPeriod.LIFETIME
    assert summary.starts_at == datetime(2026, 10, 30, tzinfo=UTC)
    assert summary.ends_at == datetime(2026, 12, 5, tzinfo=UTC)


def test_adsets_mixed_kinds_have_no_single_budget() -> None:
    summary = mapping.summarise_adsets(
        [
            {"effective_status": "ACTIVE", "daily_budget": "1000"},
            {"effective_status": "ACTIVE", "lifetime_budget": "1000"},
        ],
        "USD",
    )
    assert summary.budget_amount is None and summary.budget_period is None
    assert summary.ends_at is None  # not every ad set has an end


def test_adsets_daily_in_jpy() -> None:
    summary = mapping.summarise_adsets(
        [
            {"effective_status": "ACTIVE", "daily_budget": "3000"},
            {"effective_status": "ACTIVE", "daily_budget": "2500"},
        ],
        "JPY",
    )
    assert (summary.budget_amount, summary.budget_period) == (Decimal(5500), BudgetPeriod.DAILY)
