"""Every call a campaign sync makes lands in the API call ledger: the ledger's rows are exactly
the requests the Microsoft Advertising emulator answered, failed syncs included."""

from __future__ import annotations

from typing import Any

import pytest

from cuecast.accounts.demo import ensure_demo_workspace
from cuecast.campaigns import sync
from cuecast.campaigns.models import AdAccount
from cuecast.campaigns.sources import registry
from cuecast.compliance.models import ApiCall


@pytest.fixture
def ad_account(sandbox: Any, db: None) -> AdAccount:
    """The demo workspace's sandbox Microsoft Advertising account (no calls made yet)."""
    registry.sources.cache_clear()
    workspace = ensure_demo_workspace(sandbox.url)
    account: AdAccount = AdAccount.objects.get(workspace=workspace, platform="microsoft")
    assert not ApiCall.objects.exists()
    return account


def _answered(sandbox: Any, since: int) -> list[tuple[str, str, int]]:
    return sorted(
        (r["method"], r["path"], r["status"]) for r in sandbox.control.requests("msads")[since:]
    )


def _ledger() -> list[tuple[str, str, int]]:
    return sorted(ApiCall.objects.values_list("method", "path", "status"))


def test_a_sync_writes_each_of_its_calls_to_the_ledger(sandbox: Any, ad_account: AdAccount) -> None:
    before = len(sandbox.control.requests("msads"))
    report = sync.sync_account(ad_account.pk)
    assert report.error == ""
    answered = _answered(sandbox, before)
    assert len(answered) >= 2  # campaigns, then the daily report
    assert _ledger() == answered
    rows = ApiCall.objects.all()
    assert {(r.network, r.purpose, r.workspace_id) for r in rows} == {
        ("microsoft", "sync", ad_account.workspace_id)
    }
    assert all(r.channel_id is None and r.target_id is None for r in rows)


def test_a_failed_sync_still_counts_its_calls(sandbox: Any, ad_account: AdAccount) -> None:
    sandbox.control.fault("msads", "error_5xx", count=50)
    before = len(sandbox.control.requests("msads"))
    report = sync.sync_account(ad_account.pk)
    assert report.error
    answered = _answered(sandbox, before)
    assert answered and all(status >= 500 for _, _, status in answered)
    assert _ledger() == answered
