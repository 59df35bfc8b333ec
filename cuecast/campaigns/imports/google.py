"""Google Ads Editor export ("Export spreadsheet (CSV)": often UTF-16LE and tab-separated).

Headers are English; case and spaces do not matter ("Campaign daily budget" = "campaign_daily_
budget"); `#Original` shadow columns are skipped. An export has one row per entity: a campaign
row has the campaign's name and no ad group, keyword or ad; the rest are ignored. Columns read:
`Campaign`, `Campaign ID` (when exported), `Campaign status` (Enabled, Paused, Removed),
`Budget` / `Campaign daily budget`, `Budget type`, `Start date`, `End date` (blank or `[]`: none).
Editor files carry no time zone: dates are taken as whole days in the workspace's zone.
Without a `Campaign ID` column a campaign is keyed by its name ("name:<campaign name>").
Sources: support.google.com/google-ads/editor/answer/57747 (CSV columns),
support.google.com/google-ads/editor/answer/56368 (export); reference/ad_apis.md §5.2.
"""

from __future__ import annotations

from datetime import datetime

from cuecast.campaigns.imports.formats import Parsed, ParsedCampaign, RejectedRow
from cuecast.campaigns.imports.reading import Row, Table
from cuecast.campaigns.imports.values import CellError, day_end, day_start, parse_date, parse_money
from cuecast.campaigns.sources.base import BudgetPeriod, RemoteCampaign, RemoteStatus

FORMAT = "google_editor"
NAME = "Google Ads Editor export"

STATUSES = {
    "enabled": RemoteStatus.ACTIVE,
    "active": RemoteStatus.ACTIVE,
    "paused": RemoteStatus.PAUSED,
    "removed": RemoteStatus.REMOVED,
}
# Columns whose value makes a row something other than a campaign.
CHILD_COLUMNS = ("adgroup", "keyword", "headline1", "headline", "finalurl", "audience", "asset")
CAMPAIGN_COLUMNS = ("campaignstatus", "campaigntype", "budget", "campaigndailybudget", "startdate")


def looks_like(table: Table) -> bool:
    keys = set(table.keys)
    return "campaign" in keys and "type" not in keys and bool(keys & set(CAMPAIGN_COLUMNS))


def _is_campaign_row(row: Row) -> bool:
    cells = row.cells
    if not cells.get("campaign"):
        return False
    if any(cells.get(column) for column in CHILD_COLUMNS):
        return False
    return any(cells.get(column) for column in CAMPAIGN_COLUMNS)


def parse(table: Table, *, default_tz: str, now: datetime) -> Parsed:
    parsed = Parsed(FORMAT, NAME, "google")
    seen: set[str] = set()
    for row in table.rows:
        if not _is_campaign_row(row):
            parsed.ignored_rows += 1
            continue
        try:
            remote = _campaign(row, default_tz=default_tz, now=now)
        except CellError as exc:
            parsed.rejected.append(RejectedRow(row.number, str(exc)))
            continue
        if remote.external_id in seen:
            parsed.rejected.append(
                RejectedRow(
                    row.number, f"Campaign “{remote.name}” appears twice in the file; keep one row."
                )
            )
            continue
        seen.add(remote.external_id)
        parsed.campaigns.append(ParsedCampaign(row.number, remote))
    return parsed


def _campaign(row: Row, *, default_tz: str, now: datetime) -> RemoteCampaign:
    cells = row.cells
    name = cells["campaign"]
    campaign_id = cells.get("campaignid", "").replace("-", "")
    if campaign_id and not campaign_id.isdigit():
        raise CellError(f"The Campaign ID “{campaign_id}” of “{name}” must be a number.")
    raw_status = cells.get("campaignstatus", "") or cells.get("status", "")
    if raw_status.lower() not in STATUSES:
        raise CellError(
            f"Campaign “{name}” has the status “{raw_status}”; use Enabled, Paused or Removed."
            if raw_status
            else f"Campaign “{name}” has no Campaign status; use Enabled, Paused or Removed."
        )
    status = STATUSES[raw_status.lower()]
    start = parse_date("Start date", cells.get("startdate", ""))
    end = parse_date("End date", cells.get("enddate", ""))
    if start and end and end < start:
        raise CellError(f"Campaign “{name}” ends ({end}) before it starts ({start}).")
    budget_cell = cells.get("campaigndailybudget", "") or cells.get("budget", "")
    budget = parse_money("Budget", budget_cell)
    budget_type = cells.get("budgettype", "").lower()
    period = BudgetPeriod.LIFETIME if "total" in budget_type else BudgetPeriod.DAILY
    starts_at = day_start(start, default_tz) if start else None
    ends_at = day_end(end, default_tz) if end else None
    if status == RemoteStatus.ACTIVE and ends_at is not None and ends_at <= now:
        status = RemoteStatus.ENDED
    return RemoteCampaign(
        external_id=campaign_id or f"name:{name}"[:128],
        name=name,
        status=status,
        status_raw=raw_status,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=default_tz,
        budget_amount=budget,
        budget_period=period if budget is not None else None,
        currency=cells.get("currency", "")[:3].upper(),
    )
