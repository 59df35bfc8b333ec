"""`/api/v1/ad-accounts`, the campaign cue/timeline/paid-metrics reads and `/api/v1/imports`.

Ad accounts are connected in the web UI (OAuth); here they are listed and synced on demand. Money
is exact: amounts are JSON strings ("12.34") holding the Decimal the platform reported.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor
from cuecast.api import selectors
from cuecast.api.auth import request_actor
from cuecast.api.errors import NotFound, responses
from cuecast.api.idempotency import OPENAPI_PARAMETER, idempotent_operation
from cuecast.campaigns import imports
from cuecast.campaigns import selectors as campaign_selectors
from cuecast.campaigns.cues import platform_name
from cuecast.campaigns.imports.reading import MAX_BYTES
from cuecast.campaigns.models import AdAccount, CampaignEvent
from cuecast.campaigns.sync import request_sync
from cuecast.posts.services import FieldError, ValidationFailed

accounts_router = Router(tags=["ad accounts"])
campaign_router = Router(tags=["campaigns"])
imports_router = Router(tags=["imports"])

IDEMPOTENCY_DOC: dict[str, Any] = {"parameters": [dict(OPENAPI_PARAMETER)]}


# --- schemas ------------------------------------------------------------------------------------


class AdAccountOut(Schema):
    id: int
    platform: str = Field(description="microsoft, google, meta or linkedin_ads")
    platform_name: str
    external_id: str
    name: str
    connected: bool
    status_reason: str | None
    last_synced_at: datetime | None
    next_sync_at: datetime | None = Field(description="When the next automatic sync is due.")
    sync_error: str | None = Field(description="Why the last sync failed, in a sentence.")
    campaigns: int


class CueEventOut(Schema):
    id: int
    kind: str = Field(
        description="created, started, ended, paused, resumed, dates_changed, "
        "budget_exhausted or removed"
    )
    at: datetime
    cause: str
    data: dict[str, Any]


class PaidDayOut(Schema):
    day: date
    impressions: int
    clicks: int
    spend: Decimal = Field(description='Exact, in `currency`, as a string: "12.34".')
    conversions: Decimal
    currency: str


class PaidTotalsOut(Schema):
    impressions: int
    clicks: int
    spend: Decimal
    conversions: Decimal
    currency: str


class TimelineTargetOut(Schema):
    target_id: int
    post_id: int
    text: str
    channel_id: int
    channel_name: str
    network: str
    state: str
    due_at: datetime | None
    cued: bool = Field(description="Scheduled relative to this campaign: moves with it.")
    cue: str
    hold: str
    reason: str
    published_at: datetime | None
    permalink: str


class TimelineOut(Schema):
    campaign_id: int
    name: str
    platform: str
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    status: str
    status_raw: str = Field(description="The platform's own word for the status.")
    ad_account_id: int | None
    cues: list[CueEventOut]
    targets: list[TimelineTargetOut]
    metrics: list[PaidDayOut]
    totals: PaidTotalsOut | None


class PaidMetricsQuery(Schema):
    start: date | None = Field(None, description="First day (inclusive), e.g. 2026-11-01.")
    end: date | None = Field(None, description="Last day (inclusive).")


class PlannedCampaignOut(Schema):
    row: int
    external_id: str
    name: str
    action: str = Field(description="create, change, unchanged or synced (left to its account)")
    changes: list[str]
    campaign_id: int | None


class RejectedRowOut(Schema):
    row: int = Field(description="As a spreadsheet numbers it: the header is row 1.")
    reason: str


class ImportPreviewOut(Schema):
    filename: str
    format: str
    format_name: str
    platform: str
    encoding: str
    delimiter: str
    ok: bool = Field(description="True when importing would succeed.")
    campaigns: list[PlannedCampaignOut]
    rejected: list[RejectedRowOut]
    ignored_rows: int


class ImportOut(Schema):
    preview: ImportPreviewOut
    created: list[int]
    updated: list[int]
    unchanged: list[int]
    cues: list[CueEventOut]
    moved_targets: list[int]
    held_targets: list[int]
    released_targets: list[int]


# --- conversions --------------------------------------------------------------------------------


def _account_out(account: AdAccount) -> AdAccountOut:
    return AdAccountOut(
        id=account.pk,
        platform=account.platform,
        platform_name=platform_name(account.platform),
        external_id=account.external_id,
        name=account.name,
        connected=account.connected,
        status_reason=account.status_reason or None,
        last_synced_at=account.last_synced_at,
        next_sync_at=account.next_sync_at,
        sync_error=account.sync_error or None,
        campaigns=account.campaigns.count(),
    )


def _cue_out(event: CampaignEvent) -> CueEventOut:
    return CueEventOut(
        id=event.pk, kind=event.kind, at=event.at, cause=event.cause, data=event.data
    )


def _day_out(day: campaign_selectors.PaidDay) -> PaidDayOut:
    return PaidDayOut(
        day=day.day,
        impressions=day.impressions,
        clicks=day.clicks,
        spend=day.spend,
        conversions=day.conversions,
        currency=day.currency,
    )


def _preview_out(preview: imports.ImportPreview) -> ImportPreviewOut:
    return ImportPreviewOut(
        filename=preview.filename,
        format=preview.format,
        format_name=preview.format_name,
        platform=preview.platform,
        encoding=preview.encoding,
        delimiter=preview.delimiter,
        ok=preview.ok,
        campaigns=[PlannedCampaignOut(**vars(c)) for c in preview.campaigns],
        rejected=[RejectedRowOut(row=r.row, reason=r.reason) for r in preview.rejected],
        ignored_rows=preview.ignored_rows,
    )


def _ad_account(actor: Actor, pk: int) -> AdAccount:
    actor.require(Action.VIEW)
    if not 1 <= pk <= selectors.MAX_ID:
        raise NotFound(f"There is no ad account {pk} in this workspace.")
    found = AdAccount.objects.filter(workspace=actor.workspace, pk=pk).first()
    if found is None:
        raise NotFound(f"There is no ad account {pk} in this workspace.")
    return found


# --- ad accounts --------------------------------------------------------------------------------


@accounts_router.get("", response={200: list[AdAccountOut], **responses(401, 403)})
def list_ad_accounts(request: HttpRequest) -> list[AdAccountOut]:
    """The workspace's connected ad accounts (connect them in the web UI), with sync status."""
    actor = request_actor(request)
    actor.require(Action.VIEW)
    return [_account_out(a) for a in campaign_selectors.ad_accounts(actor.workspace.pk)]


@accounts_router.get("/{account_id}", response={200: AdAccountOut, **responses(401, 403, 404, 422)})
def get_ad_account(request: HttpRequest, account_id: int) -> AdAccountOut:
    """One ad account of the workspace."""
    return _account_out(_ad_account(request_actor(request), account_id))


@accounts_router.post(
    "/{account_id}/sync",
    summary="Sync Ad Account",
    response={202: AdAccountOut, **responses(401, 403, 404, 422)},
    openapi_extra=IDEMPOTENCY_DOC,
)
@idempotent_operation()
def sync_ad_account(request: HttpRequest, account_id: int) -> Status[AdAccountOut]:
    """Sync now: the account becomes due at once and the next worker round reads it (watch
    `last_synced_at` and `sync_error`)."""
    actor = request_actor(request)
    account = _ad_account(actor, account_id)
    if not account.connected:
        message = f"“{account.name}” is disconnected; connect it again in Cuecast before syncing."
        raise ValidationFailed([FieldError("account_id", message)])
    return Status(202, _account_out(request_sync(actor, account)))


# --- campaign reads -----------------------------------------------------------------------------


@campaign_router.get(
    "/{campaign_id}/cues", response={200: list[CueEventOut], **responses(401, 403, 404, 422)}
)
def campaign_cues(request: HttpRequest, campaign_id: int) -> list[CueEventOut]:
    """What happened to the campaign (its cues), oldest first, each with its cause."""
    campaign = selectors.campaign(request_actor(request), campaign_id)
    return [_cue_out(e) for e in campaign_selectors.cues(campaign)]


@campaign_router.get(
    "/{campaign_id}/timeline", response={200: TimelineOut, **responses(401, 403, 404, 422)}
)
def campaign_timeline(request: HttpRequest, campaign_id: int) -> TimelineOut:
    """The flight: start, end, cues, every post cued to it or due within it on every channel,
    and the daily paid metrics with totals."""
    campaign = selectors.campaign(request_actor(request), campaign_id)
    timeline = campaign_selectors.campaign_timeline(campaign)
    return TimelineOut(
        campaign_id=campaign.pk,
        name=campaign.name,
        platform=timeline.platform,
        starts_at=timeline.starts_at,
        ends_at=timeline.ends_at,
        timezone=timeline.timezone,
        status=timeline.status,
        status_raw=timeline.status_raw,
        ad_account_id=campaign.ad_account_id,
        cues=[_cue_out(e) for e in timeline.cues],
        targets=[TimelineTargetOut(**vars(t)) for t in timeline.targets],
        metrics=[_day_out(d) for d in timeline.metrics],
        totals=PaidTotalsOut(**vars(timeline.totals)) if timeline.totals else None,
    )


@campaign_router.get(
    "/{campaign_id}/paid-metrics",
    response={200: list[PaidDayOut], **responses(401, 403, 404, 422)},
)
def campaign_paid_metrics(
    request: HttpRequest, campaign_id: int, query: Query[PaidMetricsQuery]
) -> list[PaidDayOut]:
    """Impressions, clicks, spend and conversions per day, as the ad platform reported them."""
    campaign = selectors.campaign(request_actor(request), campaign_id)
    if query.start and query.end and query.end < query.start:
        raise ValidationFailed([FieldError("end", "The end must not be before the start.")])
    return [_day_out(d) for d in campaign_selectors.paid_metrics(campaign, query.start, query.end)]


# --- imports ------------------------------------------------------------------------------------


def _read_upload(upload: UploadedFile) -> bytes:
    if (upload.size or 0) > MAX_BYTES:
        raise ValidationFailed([FieldError("file", "The file is larger than 10 MB.")])
    return bytes(upload.read())


@imports_router.post(
    "/preview",
    summary="Preview Import",
    response={200: ImportPreviewOut, **responses(401, 403, 422)},
    openapi_extra=IDEMPOTENCY_DOC,
)
@idempotent_operation()
def preview_import(request: HttpRequest, file: File[UploadedFile]) -> ImportPreviewOut:
    """What importing this Microsoft Advertising bulk file or Google Ads Editor export would do
    (multipart field `file`). Nothing is written; every rejected row is listed with its reason."""
    actor = request_actor(request)
    return _preview_out(imports.preview(actor, _read_upload(file), file.name or "upload.csv"))


@imports_router.post(
    "",
    summary="Import Campaigns",
    response={201: ImportOut, **responses(401, 403, 422)},
    openapi_extra=IDEMPOTENCY_DOC,
)
@idempotent_operation()
def import_campaigns(request: HttpRequest, file: File[UploadedFile]) -> Status[ImportOut]:
    """Import every campaign of the file, all or nothing: one bad row and nothing is imported
    (422, one error per row: field "row 7"). Importing the same file again changes nothing."""
    actor = request_actor(request)
    result = imports.apply(actor, _read_upload(file), file.name or "upload.csv")
    report = result.report
    return Status(
        201,
        ImportOut(
            preview=_preview_out(result.preview),
            created=[c.pk for c in report.created],
            updated=[c.pk for c in report.updated],
            unchanged=[c.pk for c in report.unchanged],
            cues=[_cue_out(e) for e in report.events],
            moved_targets=[e.target_id for e in report.moved],
            held_targets=[e.target_id for e in report.held],
            released_targets=[e.target_id for e in report.released],
        ),
    )
