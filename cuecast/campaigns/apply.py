"""Upsert campaigns from a platform's (or a file's) view of them, and turn each change into cues.

`apply_campaigns` is the one write path behind `sync.apply_remote` (a connected ad account) and
`imports.apply` (a file): campaigns are keyed by (workspace, platform, external id), everything runs
in ONE transaction, and applying the same data twice changes nothing and writes no event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from cuecast.accounts.models import Workspace
from cuecast.campaigns import cues
from cuecast.campaigns.models import (
    AdAccount,
    Campaign,
    CampaignEvent,
    CampaignSource,
    CampaignStatus,
    CueKind,
)
from cuecast.campaigns.sources.base import RemoteCampaign, RemoteStatus
from cuecast.posts import scheduling
from cuecast.posts.models import TargetEvent

STATUS = {
    RemoteStatus.PENDING: CampaignStatus.DRAFT,
    RemoteStatus.ACTIVE: CampaignStatus.ACTIVE,
    RemoteStatus.PAUSED: CampaignStatus.PAUSED,
    RemoteStatus.ENDED: CampaignStatus.ENDED,
    RemoteStatus.REMOVED: CampaignStatus.ENDED,  # with a "removed" cue; status_raw keeps the word
}

# Fields a platform owns; a difference in any of them makes the campaign "updated".
SYNCED_FIELDS = (
    "name",
    "status",
    "status_raw",
    "starts_at",
    "ends_at",
    "timezone",
    "budget_amount",
    "budget_period",
    "currency",
    "budget_exhausted",
)


@dataclass
class SyncReport:
    """What one sync or import did. Lists are empty when nothing changed."""

    created: list[Campaign] = field(default_factory=list)
    updated: list[Campaign] = field(default_factory=list)
    unchanged: list[Campaign] = field(default_factory=list)
    events: list[CampaignEvent] = field(default_factory=list)  # the cues written
    moved: list[TargetEvent] = field(default_factory=list)
    held: list[TargetEvent] = field(default_factory=list)
    released: list[TargetEvent] = field(default_factory=list)  # includes "skipped" (too late)
    metric_rows: int = 0  # PaidMetricDaily rows written (sync only)
    error: str = ""  # the sentence stored in AdAccount.sync_error when the sync failed

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.events or self.moved or self.held)

    def merge(self, other: SyncReport) -> None:
        for name in ("created", "updated", "unchanged", "events", "moved", "held", "released"):
            getattr(self, name).extend(getattr(other, name))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def desired_values(
    remote: RemoteCampaign, existing: Campaign | None, *, default_tz: str, now: datetime
) -> dict[str, Any]:
    """The campaign's fields as the platform says they are now."""
    try:
        scheduling.zone(remote.timezone)
        tz = remote.timezone
    except scheduling.ScheduleError:
        tz = existing.timezone if existing is not None else default_tz
    starts_at = remote.starts_at
    if starts_at is None:  # no start on the platform: keep what we had, else "from now"
        starts_at = existing.starts_at if existing is not None else now
    return {
        "name": remote.name.strip()[:200] or remote.external_id,
        "status": STATUS[remote.status],
        "status_raw": remote.status_raw[:64],
        "starts_at": starts_at,
        "ends_at": remote.ends_at,
        "timezone": tz,
        "budget_amount": remote.budget_amount,
        "budget_period": remote.budget_period.value if remote.budget_period else "",
        "currency": remote.currency[:3].upper(),
        "budget_exhausted": remote.budget_exhausted,
    }


def differences(existing: Campaign | None, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """field → (before, after) for the fields that would change."""
    if existing is None:
        return {name: (None, value) for name, value in values.items()}
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in values.items():
        before = getattr(existing, name)
        if before != value:  # Decimal("12.5") == Decimal("12.500000"); aware datetimes by instant
            changes[name] = (before, value)
    return changes


def is_removed(campaign: Campaign) -> bool:
    """Removed on the platform: its latest created/removed/resumed cue is "removed"."""
    last = (
        campaign.events.filter(kind__in=[CueKind.CREATED, CueKind.REMOVED, CueKind.RESUMED])
        .order_by("-at", "-id")
        .values_list("kind", flat=True)
        .first()
    )
    return last == CueKind.REMOVED


def _state(status: str, removed: bool) -> str:
    return "removed" if removed else status


def stopped(campaign: Campaign, removed: bool, now: datetime) -> str:
    """Why the campaign's posts must wait ("paused", "removed", "ended early"), or ""."""
    if removed:
        return "removed"
    if campaign.status == CampaignStatus.PAUSED:
        return "paused"
    if campaign.status == CampaignStatus.ENDED and (
        campaign.ends_at is None or campaign.ends_at > now
    ):
        return "ended early"
    return ""


@dataclass
class Context:
    workspace: Workspace
    platform: str
    account: AdAccount | None
    source: CampaignSource
    cause: str  # "synced from Microsoft Advertising", "imported from bulk.csv"
    now: datetime
    report: SyncReport


def _event(
    ctx: Context, campaign: Campaign, kind: CueKind, at: datetime, **data: Any
) -> CampaignEvent:
    event = CampaignEvent.objects.create(
        campaign=campaign, kind=kind, at=at, cause=ctx.cause[:200], data=data
    )
    ctx.report.events.append(event)
    return event


def _dates_sentence(campaign: Campaign, changes: dict[str, tuple[Any, Any]]) -> str:
    parts = []
    tz = campaign.timezone
    if "starts_at" in changes:
        parts.append(f"starts {cues.short_day(campaign.starts_at, tz)}")
    if "ends_at" in changes:
        parts.append(
            f"ends {cues.short_day(campaign.ends_at, tz, is_end=True)}"
            if campaign.ends_at is not None
            else "has no end date"
        )
    return f"Campaign “{campaign.name}” now {' and '.join(parts)}"


def _lifecycle_events(
    ctx: Context,
    campaign: Campaign,
    *,
    created: bool,
    before_state: str,
    before_exhausted: bool,
    removed: bool,
) -> None:
    now, state = ctx.now, _state(campaign.status, removed)
    if not created and state != before_state:
        if state == "removed":
            _event(ctx, campaign, CueKind.REMOVED, now, status_raw=campaign.status_raw)
        elif state == CampaignStatus.PAUSED and before_state != "removed":
            _event(ctx, campaign, CueKind.PAUSED, now, status_raw=campaign.status_raw)
        elif before_state in {CampaignStatus.PAUSED, "removed"} and state in {
            CampaignStatus.ACTIVE,
            CampaignStatus.DRAFT,
            CampaignStatus.ENDED,
            CampaignStatus.PAUSED,
        }:
            _event(
                ctx,
                campaign,
                CueKind.RESUMED,
                now,
                status_raw=campaign.status_raw,
                was=before_state,
            )
    elif created and removed:
        _event(ctx, campaign, CueKind.REMOVED, now, status_raw=campaign.status_raw)
    if campaign.budget_exhausted and not before_exhausted:
        _event(ctx, campaign, CueKind.BUDGET_EXHAUSTED, now, status_raw=campaign.status_raw)
    # Started / ended: once per start and end time, when the platform or the clock says so.
    ran = state in {CampaignStatus.ACTIVE, CampaignStatus.ENDED}
    start_key = _iso(campaign.starts_at)
    if (
        ran
        and campaign.starts_at <= now
        and not campaign.events.filter(kind=CueKind.STARTED, data__starts_at=start_key).exists()
    ):
        at = campaign.starts_at if created or before_state == CampaignStatus.ACTIVE else now
        _event(ctx, campaign, CueKind.STARTED, min(at, now), starts_at=start_key)
    past_end = campaign.ends_at is not None and campaign.ends_at <= now
    end_key = _iso(campaign.ends_at)
    if (
        state != "removed"
        and (campaign.status == CampaignStatus.ENDED or past_end)
        and not campaign.events.filter(kind=CueKind.ENDED, data__ends_at=end_key).exists()
    ):
        at = campaign.ends_at if past_end and campaign.ends_at is not None else now
        _event(ctx, campaign, CueKind.ENDED, at, ends_at=end_key, early=not past_end)


def _apply_one(ctx: Context, remote: RemoteCampaign, existing: Campaign | None) -> Campaign:
    values = desired_values(remote, existing, default_tz=ctx.workspace.timezone, now=ctx.now)
    changes = differences(existing, values)
    ownership: dict[str, Any] = {"source": ctx.source}
    if ctx.account is not None:
        ownership["ad_account"] = ctx.account
    created = existing is None
    if existing is None:
        campaign = Campaign.objects.create(
            workspace=ctx.workspace,
            platform=ctx.platform,
            external_id=remote.external_id,
            **ownership,
            **values,
        )
        before_state, before_exhausted = "", False
        _event(
            ctx,
            campaign,
            CueKind.CREATED,
            ctx.now,
            status=campaign.status,
            starts_at=_iso(campaign.starts_at),
            ends_at=_iso(campaign.ends_at),
        )
        ctx.report.created.append(campaign)
    else:
        campaign = existing
        before_state = _state(campaign.status, is_removed(campaign))
        before_exhausted = campaign.budget_exhausted
        owner_changed = campaign.source != ctx.source or (
            ctx.account is not None and campaign.ad_account_id != ctx.account.pk
        )
        if changes or owner_changed:
            for name, (_before, after) in changes.items():
                setattr(campaign, name, after)
            for name, value in ownership.items():
                setattr(campaign, name, value)
            campaign.save()
            ctx.report.updated.append(campaign)
        else:
            ctx.report.unchanged.append(campaign)
    removed = remote.status == RemoteStatus.REMOVED
    _after_change(ctx, campaign, changes if not created else {}, created=created)
    _lifecycle_events(
        ctx,
        campaign,
        created=created,
        before_state=before_state,
        before_exhausted=before_exhausted,
        removed=removed,
    )
    _enforce_holds(ctx, campaign, removed=removed)
    return campaign


def _after_change(
    ctx: Context, campaign: Campaign, changes: dict[str, tuple[Any, Any]], *, created: bool
) -> None:
    """Dates moved: a dates_changed cue, and every cued target recomputed with its history."""
    moved_dates = {k: v for k, v in changes.items() if k in {"starts_at", "ends_at"}}
    if created or not moved_dates:
        return
    _event(
        ctx,
        campaign,
        CueKind.DATES_CHANGED,
        ctx.now,
        before={k: _iso(v[0]) for k, v in moved_dates.items()},
        after={k: _iso(v[1]) for k, v in moved_dates.items()},
    )
    sentence = f"{_dates_sentence(campaign, moved_dates)} ({ctx.cause})"
    ctx.report.moved.extend(cues.move_targets(campaign, sentence, ctx.now))


def _enforce_holds(ctx: Context, campaign: Campaign, *, removed: bool) -> None:
    """The campaign's running state decides its cued targets' hold (idempotent by construction)."""
    why = stopped(campaign, removed, ctx.now)
    name = cues.platform_name(ctx.platform)
    if why:
        reason = (
            f"Held: campaign “{campaign.name}” is {why} on {name}. "
            "It goes out when the campaign runs again."
        )
        cause = f"Campaign “{campaign.name}” {_verb(why)} ({ctx.cause})"
        ctx.report.held.extend(cues.hold_targets(campaign, reason=reason, cause=cause, now=ctx.now))
    else:
        cause = f"Campaign “{campaign.name}” is running again ({ctx.cause})"
        ctx.report.released.extend(cues.release_targets(campaign, cause=cause, now=ctx.now))


def _verb(why: str) -> str:
    return {"paused": "was paused", "removed": "was removed", "ended early": "ended early"}[why]


def apply_campaigns(
    *,
    workspace: Workspace,
    platform: str,
    remote: list[RemoteCampaign],
    account: AdAccount | None,
    source: CampaignSource,
    cause: str,
    now: datetime | None = None,
    remove_missing: bool = False,
) -> SyncReport:
    """Upsert `remote` in one transaction; see the module docstring and docs/campaigns.md."""
    now = now if now is not None else timezone.now()
    report = SyncReport()
    ctx = Context(workspace, platform, account, source, cause, now, report)
    with transaction.atomic():
        ids = [r.external_id for r in remote]
        existing = {
            c.external_id: c
            for c in Campaign.objects.select_for_update().filter(
                workspace=workspace, platform=platform, external_id__in=ids
            )
        }
        for item in remote:
            _apply_one(ctx, item, existing.get(item.external_id))
        if remove_missing and account is not None:
            gone = (
                Campaign.objects.select_for_update()
                .filter(workspace=workspace, ad_account=account)
                .exclude(external_id__in=ids)
            )
            for campaign in gone:
                _mark_missing(ctx, campaign)
    return report


def _mark_missing(ctx: Context, campaign: Campaign) -> None:
    """A campaign the platform no longer lists was deleted there."""
    if is_removed(campaign):
        ctx.report.unchanged.append(campaign)
        _enforce_holds(ctx, campaign, removed=True)
        return
    if campaign.status != CampaignStatus.ENDED:
        campaign.status = CampaignStatus.ENDED
        campaign.save(update_fields=["status", "updated_at"])
    ctx.report.updated.append(campaign)
    _event(ctx, campaign, CueKind.REMOVED, ctx.now, status_raw="(no longer listed)")
    _enforce_holds(ctx, campaign, removed=True)
