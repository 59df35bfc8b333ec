"""sync_account against a fake ad source registered for the test; sync_due, request_sync and
connect_ad_accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from django.db import connection

from cuecast.accounts.models import AuditEvent, Role
from cuecast.accounts.permissions import PermissionDenied
from cuecast.accounts.services import Actor
from cuecast.campaigns import sync
from cuecast.campaigns.models import AdAccount, Campaign, PaidMetricDaily
from cuecast.campaigns.services import connect_ad_accounts
from cuecast.campaigns.sources import registry
from cuecast.campaigns.sources.base import (
    AdConnection,
    AdSource,
    DailyMetric,
    RemoteCampaign,
    SourceDescriptor,
)
from cuecast.networks import errors
from cuecast.networks.base import Account, AuthKind, ConnectedAccount, OAuthFlow

from .conftest import remote

NOW = datetime(2027, 10, 5, 10, 0, tzinfo=UTC)


@dataclass
class Platform:
    """What the fake platform serves, and what it was asked."""

    campaigns: list[RemoteCampaign] = field(default_factory=lambda: [remote()])
    metrics: list[DailyMetric] = field(default_factory=list)
    fail_with: list[Exception] = field(default_factory=list)  # raised by list_campaigns, in turn
    refreshed: int = 0
    metric_calls: list[tuple[list[str], date, date]] = field(default_factory=list)
    seen_credentials: list[dict[str, Any]] = field(default_factory=list)


class FakeConnection(AdConnection):
    platform: Platform

    async def list_campaigns(self) -> list[RemoteCampaign]:
        self.platform.seen_credentials.append(dict(self.account.credentials))
        if self.platform.fail_with:
            raise self.platform.fail_with.pop(0)
        return list(self.platform.campaigns)

    async def daily_metrics(
        self, campaign_ids: list[str], start: date, end: date
    ) -> list[DailyMetric]:
        self.platform.metric_calls.append((campaign_ids, start, end))
        return list(self.platform.metrics)

    async def refresh_credentials(self) -> dict[str, Any] | None:
        self.platform.refreshed += 1
        n = self.platform.refreshed
        self.account.credentials = {
            "access_token": f"fresh-{n}",
            "refresh_token": f"rotated-{n}",
            "expires_at": (NOW + timedelta(hours=1)).isoformat(),
        }
        return self.account.credentials


class FakeSource(AdSource):
    descriptor = SourceDescriptor(
        key="microsoft",
        name="Fake Microsoft Advertising",
        auth=AuthKind.OAUTH2,
        scopes=(),
        docs_page="docs/ad-platforms/microsoft.md",
    )

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def oauth(self) -> OAuthFlow:
        raise NotImplementedError

    def connect(self, account: Account, http: httpx.AsyncClient) -> AdConnection:
        conn = FakeConnection(account, http)
        conn.platform = self.platform
        return conn


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Platform:
    served = Platform()
    source = FakeSource(served)

    def get(key: str) -> AdSource:
        if key != "microsoft":
            raise registry.UnknownSource(f"no {key}")
        return source

    monkeypatch.setattr(registry, "get", get)
    return served


def metric(day: int, spend: str, **extra: Any) -> DailyMetric:
    values: dict[str, Any] = {
        "campaign_external_id": "111",
        "day": date(2027, 10, day),
        "impressions": 1200,
        "clicks": 35,
        "spend": Decimal(spend),
        "conversions": Decimal("2"),
        "currency": "EUR",
    }
    values.update(extra)
    return DailyMetric(**values)


def test_sync_reads_campaigns_and_metrics_and_schedules_the_next(
    platform: Platform, ad_account: AdAccount
) -> None:
    platform.metrics = [metric(3, "21.40"), metric(4, "12.10", conversions=Decimal("0.5"))]
    report = sync.sync_account(ad_account.pk, now=NOW)
    assert not report.error and len(report.created) == 1 and report.metric_rows == 2
    [(ids, start, end)] = platform.metric_calls
    assert ids == ["111"] and (start, end) == (date(2027, 9, 29), date(2027, 10, 5))
    campaign = Campaign.objects.get(external_id="111")
    rows = {r.day: r for r in PaidMetricDaily.objects.filter(campaign=campaign)}
    assert rows[date(2027, 10, 3)].spend == Decimal("21.40")
    assert rows[date(2027, 10, 4)].conversions == Decimal("0.5")
    assert rows[date(2027, 10, 4)].currency == "EUR"
    ad_account.refresh_from_db()
    assert ad_account.last_synced_at == NOW and ad_account.sync_error == ""
    assert ad_account.next_sync_at == NOW + sync.SYNC_EVERY
    assert [e.cause for e in report.events] == ["synced from Microsoft Advertising"] * 2


def test_restated_days_overwrite_what_was_stored(platform: Platform, ad_account: AdAccount) -> None:
    platform.metrics = [metric(3, "21.40")]
    sync.sync_account(ad_account.pk, now=NOW)
    platform.metrics = [metric(3, "23.05", clicks=40)]
    sync.sync_account(ad_account.pk, now=NOW)
    [row] = PaidMetricDaily.objects.all()
    assert (row.spend, row.clicks) == (Decimal("23.05"), 40)


def test_tokens_near_expiry_are_refreshed_first_and_stored_at_once(
    platform: Platform, ad_account: AdAccount
) -> None:
    AdAccount.objects.filter(pk=ad_account.pk).update(token_expires_at=NOW + timedelta(minutes=1))
    platform.fail_with = [errors.Transient("The platform is having a moment.")]
    report = sync.sync_account(ad_account.pk, now=NOW)
    assert report.error  # the read failed after the refresh ...
    ad_account.refresh_from_db()
    # ... yet the rotated refresh token was kept.
    assert ad_account.credentials["refresh_token"] == "rotated-1"
    assert ad_account.token_expires_at == NOW + timedelta(hours=1)
    assert platform.seen_credentials[0]["access_token"] == "fresh-1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM campaigns_adaccount WHERE id = %s", [ad_account.pk])
        assert "rotated" not in cursor.fetchone()[0]  # encrypted at rest


def test_an_expired_token_is_refreshed_once_and_the_read_repeated(
    platform: Platform, ad_account: AdAccount
) -> None:
    platform.fail_with = [errors.AuthExpired("Token expired.")]
    report = sync.sync_account(ad_account.pk, now=NOW)
    assert not report.error and platform.refreshed == 1 and len(report.created) == 1


def test_disconnected_stops_syncing_with_a_sentence(
    platform: Platform, ad_account: AdAccount
) -> None:
    platform.fail_with = [errors.Disconnected("The user revoked access.")]
    report = sync.sync_account(ad_account.pk, now=NOW)
    ad_account.refresh_from_db()
    assert not ad_account.connected and ad_account.next_sync_at is None
    assert ad_account.sync_error == report.error
    assert report.error.startswith("Microsoft Advertising no longer accepts Cuecast's access")
    assert "Connect the account again" in ad_account.status_reason
    assert sync.sync_due(NOW + timedelta(days=1)) == 0


def test_rate_limits_wait_for_the_platform_and_other_errors_back_off(
    platform: Platform, ad_account: AdAccount
) -> None:
    retry = NOW + timedelta(minutes=3)
    platform.fail_with = [
        errors.RateLimited("Too many calls.", retry_at=retry),
        errors.Transient("Server error."),
        errors.Transient("Server error."),
    ]
    sync.sync_account(ad_account.pk, now=NOW)
    ad_account.refresh_from_db()
    assert ad_account.next_sync_at == retry and "slow down" in ad_account.sync_error
    sync.sync_account(ad_account.pk, now=NOW)
    ad_account.refresh_from_db()
    assert ad_account.next_sync_at == NOW + timedelta(minutes=10)  # third failure in a row
    assert ad_account.sync_error == "Syncing from Microsoft Advertising failed: Server error."
    sync.sync_account(ad_account.pk, now=NOW)
    ad_account.refresh_from_db()
    assert ad_account.next_sync_at == NOW + timedelta(minutes=20)
    report = sync.sync_account(ad_account.pk, now=NOW)  # succeeds: the backoff starts over
    ad_account.refresh_from_db()
    assert not report.error and ad_account.sync_error == ""
    assert "sync_failures" not in ad_account.settings


def test_sync_due_claims_only_due_connected_accounts(
    platform: Platform, ad_account: AdAccount, workspace: Any
) -> None:
    AdAccount.objects.filter(pk=ad_account.pk).update(next_sync_at=NOW - timedelta(minutes=1))
    AdAccount.objects.create(
        workspace=workspace,
        platform="microsoft",
        external_id="2",
        name="later",
        next_sync_at=NOW + timedelta(minutes=5),
    )
    AdAccount.objects.create(
        workspace=workspace,
        platform="microsoft",
        external_id="3",
        name="gone",
        next_sync_at=NOW - timedelta(minutes=5),
        connected=False,
    )
    assert sync.sync_due(NOW) == 1
    assert sync.sync_due(NOW) == 0
    ad_account.refresh_from_db()
    assert ad_account.last_synced_at == NOW


def test_a_claimed_account_is_leased(ad_account: AdAccount) -> None:
    AdAccount.objects.filter(pk=ad_account.pk).update(next_sync_at=NOW)
    assert sync.claim_due(NOW) == [ad_account.pk]
    assert sync.claim_due(NOW + timedelta(minutes=5)) == []
    assert sync.claim_due(NOW + sync.LEASE) == [ad_account.pk]  # its worker died


def test_request_sync_makes_the_account_due_now(actor: Any, ad_account: AdAccount) -> None:
    sync.request_sync(actor, ad_account)
    ad_account.refresh_from_db()
    assert ad_account.next_sync_at is not None
    assert ad_account.next_sync_at <= datetime.now(UTC)
    viewer = Actor(workspace=actor.workspace, role=Role.VIEWER, user=actor.user)
    with pytest.raises(PermissionDenied):
        sync.request_sync(viewer, ad_account)


def test_connect_ad_accounts_stores_and_reconnects_in_place(platform: Platform, actor: Any) -> None:
    granted = ConnectedAccount(
        external_id="149000001",
        handle="F123ABCD",
        display_name="ACME Ads",
        base_url="",
        credentials={"access_token": "a1", "refresh_token": "r1"},
        token_expires_at=NOW,
        settings={"customer_id": "251000001"},
    )
    [first] = connect_ad_accounts(actor, "microsoft", [granted])
    assert first.connected and first.next_sync_at is not None
    AdAccount.objects.filter(pk=first.pk).update(connected=False, sync_error="gone")
    again = ConnectedAccount(
        external_id="149000001",
        handle="F123ABCD",
        display_name="ACME Ads (renamed)",
        base_url="",
        credentials={"access_token": "a2"},
    )
    [second] = connect_ad_accounts(actor, "microsoft", [again])
    assert second.pk == first.pk and second.connected and second.sync_error == ""
    assert second.credentials == {"access_token": "a2", "refresh_token": "r1"}
    assert second.settings == {"customer_id": "251000001"}
    assert second.name == "ACME Ads (renamed)"
    actions = list(
        AuditEvent.objects.filter(action__startswith="ad_account")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["ad_account.connected", "ad_account.reconnected"]
    assert "a2" not in str(AuditEvent.objects.values_list("data", flat=True)[::1])


def test_connect_refuses_unknown_platforms_and_viewers(platform: Platform, actor: Any) -> None:
    from cuecast.posts.services import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        connect_ad_accounts(actor, "myspace", [])
    assert caught.value.errors[0].field == "platform"
    viewer = Actor(workspace=actor.workspace, role=Role.VIEWER, user=actor.user)
    with pytest.raises(PermissionDenied):
        connect_ad_accounts(viewer, "microsoft", [])
