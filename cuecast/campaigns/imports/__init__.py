"""Imports without credentials: a Microsoft Advertising bulk file or a Google Ads Editor export.

`preview` reads the file (encoding and delimiter detected) and says what an import would do:
each campaign to be created, changed (with what changes) or left unchanged, and EVERY rejected
row with its spreadsheet row number and the reason. `apply` reads it again and, only when no row
is rejected, applies everything in one transaction through the same upsert as a sync
(`cuecast.campaigns.apply`): cues, moved/held/released posts and their history included.

Keys: an imported campaign is stored under (workspace, platform, external id from the file) —
`microsoft` + the bulk Campaign Id, `google` + the Editor's Campaign ID (or "name:<name>" when the
export has no id column). A later sync of the same account adopts the same rows. Campaigns a
connected account syncs are left alone by imports (shown as "synced"). Importing the same file
again changes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cuecast.accounts.permissions import Action
from cuecast.accounts.services import Actor, audit
from cuecast.campaigns.apply import SyncReport, apply_campaigns, desired_values, differences
from cuecast.campaigns.imports import google, microsoft
from cuecast.campaigns.imports.formats import Parsed, RejectedRow
from cuecast.campaigns.imports.reading import DELIMITER_NAMES, read, refuse
from cuecast.campaigns.models import Campaign, CampaignSource
from cuecast.posts.services import FieldError, ValidationFailed

__all__ = [
    "ImportPreview",
    "ImportReport",
    "PlannedCampaign",
    "RejectedRow",
    "apply",
    "preview",
]


@dataclass(frozen=True)
class PlannedCampaign:
    row: int
    external_id: str
    name: str
    action: str  # "create" | "change" | "unchanged" | "synced" (kept from its ad account)
    changes: list[str]  # "ends: 2027-11-01 17:00 UTC → 2027-11-05 17:00 UTC"
    campaign_id: int | None  # the existing campaign, when there is one


@dataclass
class ImportPreview:
    filename: str
    format: str  # "microsoft_bulk" | "google_editor"
    format_name: str  # "Microsoft Advertising bulk file"
    platform: str  # "microsoft" | "google"
    encoding: str  # "UTF-16 LE", "UTF-8 (BOM)", …
    delimiter: str  # "comma" | "tab" | "semicolon"
    campaigns: list[PlannedCampaign] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_rows: int = 0

    @property
    def ok(self) -> bool:
        """True when `apply` would import: no rejected row and at least one campaign."""
        return not self.rejected and bool(self.campaigns)

    def count(self, action: str) -> int:
        return sum(1 for c in self.campaigns if c.action == action)


@dataclass
class ImportReport:
    preview: ImportPreview
    report: SyncReport  # what the upsert did (created/updated/unchanged, cues, moved posts)


_LABELS = {
    "name": "name",
    "status": "status",
    "status_raw": "status on the platform",
    "starts_at": "starts",
    "ends_at": "ends",
    "timezone": "time zone",
    "budget_amount": "budget",
    "budget_period": "budget period",
    "currency": "currency",
    "budget_exhausted": "budget used up",
}


def _show(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return str(value)


def _parse(actor: Actor, data: bytes, now: datetime) -> tuple[Parsed, str, str]:
    table = read(data)
    for module in (microsoft, google):
        if module.looks_like(table):
            parsed = module.parse(table, default_tz=actor.workspace.timezone, now=now)
            return parsed, table.encoding, DELIMITER_NAMES.get(table.delimiter, table.delimiter)
    raise refuse(
        _(
            "Cuecast does not recognise this file. Import a Microsoft Advertising bulk file "
            "(its first column is “Type”) or a Google Ads Editor export (with a “Campaign” column)."
        )
    )


def _plan(actor: Actor, parsed: Parsed, now: datetime) -> list[PlannedCampaign]:
    existing = {
        c.external_id: c
        for c in Campaign.objects.filter(
            workspace=actor.workspace,
            platform=parsed.platform,
            external_id__in=[p.remote.external_id for p in parsed.campaigns],
        )
    }
    planned = []
    for item in parsed.campaigns:
        campaign = existing.get(item.remote.external_id)
        values = desired_values(item.remote, campaign, default_tz=actor.workspace.timezone, now=now)
        changes: list[str] = []
        if campaign is not None and campaign.source == CampaignSource.SYNC:
            action = "synced"
        elif campaign is None:
            action = "create"
        else:
            diff = differences(campaign, values)
            changes = [f"{_LABELS[k]}: {_show(a)} → {_show(b)}" for k, (a, b) in diff.items()]
            action = "change" if changes else "unchanged"
        planned.append(
            PlannedCampaign(
                row=item.row,
                external_id=item.remote.external_id,
                name=values["name"],
                action=action,
                changes=changes,
                campaign_id=campaign.pk if campaign is not None else None,
            )
        )
    return planned


def _clean_name(filename: str) -> str:
    return os.path.basename(filename.replace("\\", "/")).strip()[:100] or "file"


def preview(actor: Actor, data: bytes, filename: str) -> ImportPreview:
    """What importing `data` would do; writes nothing. Needs MANAGE_CAMPAIGNS.

    Raises ValidationFailed (field "file") when the file cannot be read at all: empty, over
    10 MB, or neither format. Row problems do not raise: they are listed in `rejected`.
    """
    actor.require(Action.MANAGE_CAMPAIGNS)
    now = timezone.now()
    parsed, encoding, delimiter = _parse(actor, data, now)
    return ImportPreview(
        filename=_clean_name(filename),
        format=parsed.format,
        format_name=parsed.format_name,
        platform=parsed.platform,
        encoding=encoding,
        delimiter=delimiter,
        campaigns=_plan(actor, parsed, now),
        rejected=sorted(parsed.rejected, key=lambda r: r.row),
        ignored_rows=parsed.ignored_rows,
    )


def apply(actor: Actor, data: bytes, filename: str) -> ImportReport:
    """Import the file: all or nothing, in one transaction. Needs MANAGE_CAMPAIGNS.

    Validates again (the file is read afresh); any rejected row → ValidationFailed with one
    FieldError per row (field "row 7", the reason) and nothing written. A file with no campaign
    is refused too. Campaigns synced from a connected ad account are skipped.
    """
    actor.require(Action.MANAGE_CAMPAIGNS)
    now = timezone.now()
    parsed, encoding, delimiter = _parse(actor, data, now)
    if parsed.rejected:
        rows = sorted(parsed.rejected, key=lambda r: r.row)
        raise ValidationFailed([FieldError(f"row {r.row}", r.reason) for r in rows])
    if not parsed.campaigns:
        raise refuse(_("The file has no campaign rows; nothing to import."))
    name = _clean_name(filename)
    with transaction.atomic():
        planned = _plan(actor, parsed, now)
        synced = {p.external_id for p in planned if p.action == "synced"}
        remote = [p.remote for p in parsed.campaigns if p.remote.external_id not in synced]
        report = apply_campaigns(
            workspace=actor.workspace,
            platform=parsed.platform,
            remote=remote,
            account=None,
            source=CampaignSource.IMPORT,
            cause=f"imported from {name}",
            now=now,
        )
        audit(
            actor,
            "campaigns.imported",
            actor.workspace,
            filename=name,
            format=parsed.format,
            created=len(report.created),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
        )
    result = ImportPreview(
        filename=name,
        format=parsed.format,
        format_name=parsed.format_name,
        platform=parsed.platform,
        encoding=encoding,
        delimiter=delimiter,
        campaigns=planned,
        ignored_rows=parsed.ignored_rows,
    )
    return ImportReport(preview=result, report=report)
