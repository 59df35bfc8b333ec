"""Campaign sync: read each connected ad account on a schedule (and on demand), apply what changed.

The pattern is the dispatcher's (design.md): the `AdAccount` row carries its own `next_sync_at`;
`sync_due` claims due rows in a leased batch (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and syncs
them one by one. A sync reads `list_campaigns()` → `apply_remote` (cues, moved/held/released
posts), then `daily_metrics()` for the last `METRICS_WINDOW_DAYS` days, because platforms restate
recent days; those rows overwrite what was stored (`PaidMetricDaily`, exact Decimals).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection, transaction
from django.utils import timezone

from cuecast import http
from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.campaigns import cues
from cuecast.campaigns.apply import SyncReport, apply_campaigns
from cuecast.campaigns.models import AdAccount, Campaign, CampaignSource, PaidMetricDaily
from cuecast.campaigns.sources import registry
from cuecast.campaigns.sources.base import AdConnection, DailyMetric, RemoteCampaign
from cuecast.compliance import ledger
from cuecast.compliance.models import CallPurpose
from cuecast.logging import log_context
from cuecast.networks import errors
from cuecast.networks.base import Account

__all__ = [
    "SyncReport",
    "apply_remote",
    "request_sync",
    "sync_account",
    "sync_due",
]

log = logging.getLogger("cuecast.campaigns.sync")

SYNC_EVERY = timedelta(minutes=30)
METRICS_WINDOW_DAYS = 7  # today and the 6 days before: platforms restate recent days
REFRESH_AHEAD = timedelta(minutes=5)
LEASE = timedelta(minutes=10)  # a claimed account is not claimed again before this
BATCH = 10
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
FAILURES_KEY = "sync_failures"  # consecutive failures, kept in AdAccount.settings


def apply_remote(
    account: AdAccount, remote: list[RemoteCampaign], *, cause: str, now: datetime | None = None
) -> SyncReport:
    """Upsert the account's campaigns as the platform lists them, in ONE transaction.

    Campaigns are keyed by (workspace, platform, external_id); a campaign the account no longer
    lists is marked removed. Each change becomes a `CampaignEvent` (created, started once `now`
    passes the start, ended, paused, resumed, dates_changed with before/after, budget_exhausted,
    removed). Moved dates recompute the cued posts (`reschedule_cued_targets`) with a "moved"
    `TargetEvent` each; a paused, removed or early-ended campaign holds its scheduled cued targets
    (`hold=campaign`); a running one releases them (over an hour late: skipped, see
    `cuecast.campaigns.cues`). `cause` ends up in every sentence, e.g. "synced from Microsoft
    Advertising". Applying the same data twice changes nothing and writes no event.
    """
    return apply_campaigns(
        workspace=account.workspace,
        platform=account.platform,
        remote=remote,
        account=account,
        source=CampaignSource.SYNC,
        cause=cause,
        now=now,
        remove_missing=True,
    )


@dataclass
class _Fetched:
    campaigns: list[RemoteCampaign]
    metrics: list[DailyMetric]


def _account_zone(account: AdAccount, campaigns: list[RemoteCampaign]) -> ZoneInfo:
    for key in ("timezone", "time_zone"):
        name = account.settings.get(key)
        if isinstance(name, str):
            try:
                return ZoneInfo(name)
            except (ValueError, KeyError):
                pass
    for campaign in campaigns:
        try:
            return ZoneInfo(campaign.timezone)
        except (ValueError, KeyError):
            continue
    return ZoneInfo("UTC")


def metrics_window(zone: ZoneInfo, now: datetime) -> tuple[date, date]:
    today = now.astimezone(zone).date()
    return today - timedelta(days=METRICS_WINDOW_DAYS - 1), today


def _store_credentials(account_id: int, credentials: dict[str, Any]) -> None:
    """Persist refreshed tokens at once: a rotated refresh token that is lost disconnects."""
    account = AdAccount.objects.get(pk=account_id)
    account.credentials = {**account.credentials, **credentials}
    expires = credentials.get("expires_at")
    if isinstance(expires, str):
        with contextlib.suppress(ValueError):
            account.token_expires_at = datetime.fromisoformat(expires)
    account.save(update_fields=["credentials", "token_expires_at"])


async def _fetch(account: AdAccount, now: datetime) -> _Fetched:
    source = registry.get(account.platform)
    async with http.async_client() as client:
        conn = source.connect(
            Account(
                external_id=account.external_id,
                handle=account.name,
                base_url="",
                credentials=dict(account.credentials),
                settings=dict(account.settings),
            ),
            client,
        )

        async def refresh() -> bool:
            credentials = await conn.refresh_credentials()
            if credentials is None:
                return False
            await sync_to_async(_store_credentials)(account.pk, credentials)
            return True

        if account.token_expires_at is not None and account.token_expires_at < now + REFRESH_AHEAD:
            await refresh()
        try:
            return await _read(account, conn, now)
        except errors.AuthExpired:
            if not await refresh():
                raise
            return await _read(account, conn, now)


async def _read(account: AdAccount, conn: AdConnection, now: datetime) -> _Fetched:
    campaigns = await conn.list_campaigns()
    start, end = metrics_window(_account_zone(account, campaigns), now)
    # Every campaign that may have run in the window (a start moved later may follow spend).
    ids = [
        c.external_id
        for c in campaigns
        if c.ends_at is None or c.ends_at.date() >= start - timedelta(days=1)
    ]
    metrics = await conn.daily_metrics(ids, start, end) if ids else []
    return _Fetched(campaigns, metrics)


def store_metrics(account: AdAccount, metrics: list[DailyMetric]) -> int:
    """Upsert one row per campaign and day; a re-fetched day overwrites the stored one."""
    by_id = dict(
        Campaign.objects.filter(
            workspace=account.workspace, platform=account.platform, ad_account=account
        ).values_list("external_id", "pk")
    )
    written = 0
    with transaction.atomic():
        for metric in metrics:
            campaign_id = by_id.get(metric.campaign_external_id)
            if campaign_id is None:
                continue
            PaidMetricDaily.objects.update_or_create(
                campaign_id=campaign_id,
                day=metric.day,
                defaults={
                    "impressions": metric.impressions,
                    "clicks": metric.clicks,
                    "spend": metric.spend,
                    "conversions": metric.conversions,
                    "currency": metric.currency[:3].upper(),
                },
            )
            written += 1
    return written


def _backoff(failures: int) -> timedelta:
    factor: int = 2 ** max(failures - 1, 0)
    return min(FIRST_BACKOFF * factor, MAX_BACKOFF)


def _fail(account: AdAccount, exc: BaseException, now: datetime) -> str:
    name = cues.platform_name(account.platform)
    failures = int(account.settings.get(FAILURES_KEY, 0)) + 1
    settings = {**account.settings, FAILURES_KEY: failures}
    fields: dict[str, Any] = {"settings": settings, "last_synced_at": account.last_synced_at}
    if isinstance(exc, errors.Disconnected | errors.AuthExpired):
        message = (
            f"{name} no longer accepts Cuecast's access to “{account.name}” ({exc.message}). "
            "Connect the account again to resume syncing."
        )
        fields.update(connected=False, status_reason=message[:500], next_sync_at=None)
    elif isinstance(exc, errors.RateLimited):
        message = f"{name} asked Cuecast to slow down ({exc.message}); syncing resumes later."
        retry = exc.retry_at if exc.retry_at is not None else now + _backoff(failures)
        fields["next_sync_at"] = max(retry, now + timedelta(minutes=1))
    elif isinstance(exc, errors.NetworkError):
        message = f"Syncing from {name} failed: {exc.message}"
        fields["next_sync_at"] = now + _backoff(failures)
    elif isinstance(exc, registry.UnknownSource):
        message = f"Cuecast cannot sync from {name} yet: its connector is not installed."
        fields["next_sync_at"] = now + MAX_BACKOFF
    else:
        log.error("ad account %s: sync failed", account.pk, exc_info=exc)
        message = f"Syncing from {name} failed unexpectedly; Cuecast will try again."
        fields["next_sync_at"] = now + _backoff(failures)
    message = message if message.endswith(".") else message + "."
    AdAccount.objects.filter(pk=account.pk).update(sync_error=message[:500], **fields)
    return message


def sync_account(account_id: int, *, now: datetime | None = None) -> SyncReport:
    """Read one ad account now: campaigns → `apply_remote`, then the recent days' paid metrics.

    Credentials are refreshed ahead of expiry (and once after AuthExpired) and stored at once.
    On success: `sync_error` cleared, `last_synced_at=now`, `next_sync_at=now+30 min`. On failure
    the report's `error` (also in `AdAccount.sync_error`) says what happened in a sentence:
    Disconnected (or an expired token that cannot be refreshed) → `connected=False`, no more
    automatic syncs; rate limits → the platform's retry time; others → exponential backoff
    (5 min doubling, at most 6 h). Never raises for platform errors.
    """
    now = now if now is not None else timezone.now()
    account = AdAccount.objects.select_related("workspace").get(pk=account_id)
    with log_context(ad_account_id=account.pk, network=account.platform):
        return _sync(account, now)


def _sync(account: AdAccount, now: datetime) -> SyncReport:
    try:
        # Every call the sync makes lands in the API call ledger, refreshes included.
        with ledger.recording(
            account.platform, CallPurpose.SYNC, workspace_id=account.workspace_id
        ):
            fetched = async_to_sync(_fetch)(account, now)
    except Exception as exc:
        return SyncReport(error=_fail(account, exc, now))
    account.refresh_from_db()  # credentials may have been rotated during the fetch
    cause = f"synced from {cues.platform_name(account.platform)}"
    report = apply_remote(account, fetched.campaigns, cause=cause, now=now)
    report.metric_rows = store_metrics(account, fetched.metrics)
    settings = {k: v for k, v in account.settings.items() if k != FAILURES_KEY}
    AdAccount.objects.filter(pk=account.pk).update(
        sync_error="",
        last_synced_at=now,
        next_sync_at=now + SYNC_EVERY,
        settings=settings,
    )
    return report


def claim_due(now: datetime, limit: int = BATCH) -> list[int]:
    """Lease up to `limit` due, connected accounts (SKIP LOCKED on PostgreSQL)."""
    with transaction.atomic():
        due = AdAccount.objects.filter(connected=True, next_sync_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("next_sync_at", "id").values_list("id", flat=True)[:limit])
        if ids:
            # The lease: nobody claims them again until it runs out (a crashed worker's accounts
            # come back by themselves); a finished sync sets the real next time.
            AdAccount.objects.filter(pk__in=ids).update(next_sync_at=now + LEASE)
    return ids


def sync_due(now: datetime | None = None) -> int:
    """Sync every account whose time has come. Returns how many were synced (worker loop)."""
    now = now if now is not None else timezone.now()
    ids = claim_due(now)
    for account_id in ids:
        try:
            sync_account(account_id, now=now)
        except Exception:  # one account's bug must not stop the others
            log.exception("ad account %s: sync crashed", account_id)
    return len(ids)


def request_sync(actor: Actor, account: AdAccount) -> AdAccount:
    """Sync on demand: the account becomes due now; the next worker round syncs it (needs
    MANAGE_CAMPAIGNS). A disconnected account is not synced; reconnect it instead."""
    actor.require(Action.MANAGE_CAMPAIGNS)
    account = AdAccount.objects.get(pk=account.pk, workspace=actor.workspace)
    account.next_sync_at = timezone.now()
    account.save(update_fields=["next_sync_at"])
    audit(actor, "ad_account.sync_requested", account, platform=account.platform)
    return account
