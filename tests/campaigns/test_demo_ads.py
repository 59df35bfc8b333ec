"""The demo workspace gets the Microsoft Advertising sandbox ad account, and still works without."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from cuecast.accounts.demo import ensure_demo_workspace
from cuecast.campaigns import sync
from cuecast.campaigns.models import AdAccount, Campaign
from cuecast.campaigns.sources import registry

HAVE_MICROSOFT = importlib.util.find_spec("cuecast.campaigns.sources.microsoft") is not None


@pytest.mark.skipif(not HAVE_MICROSOFT, reason="the Microsoft source has not landed")
def test_demo_connects_the_sandbox_ad_account_once_and_it_syncs(sandbox: Any, db: None) -> None:
    registry.sources.cache_clear()
    workspace = ensure_demo_workspace(sandbox.url)
    ensure_demo_workspace(sandbox.url)
    [account] = AdAccount.objects.filter(workspace=workspace)
    assert (account.platform, account.external_id, account.connected) == (
        "microsoft",
        "180000001",
        True,
    )
    report = sync.sync_account(account.pk)
    assert report.error == ""
    assert Campaign.objects.filter(ad_account=account).count() >= 5
    registry.sources.cache_clear()


def test_demo_works_without_ad_sources(
    sandbox: Any, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unknown(key: str) -> Any:
        raise registry.UnknownSource(key)

    monkeypatch.setattr(registry, "get", unknown)
    workspace = ensure_demo_workspace(sandbox.url)
    assert not AdAccount.objects.filter(workspace=workspace).exists()
