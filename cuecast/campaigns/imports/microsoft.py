"""Microsoft Advertising bulk file (Bulk API download / Microsoft Advertising Editor export).

Format version 6.0: the first column is `Type`; every row is one record named by it. Columns are
found by name, never by position (new columns appear at any time). Campaign records give the id,
name, status, time zone and budget; the bulk Campaign record has no dates, so a campaign's flight
is its ad groups' (`Ad Group` rows, `Parent Id` = campaign id): the earliest start date and the
latest end date, with no end when any ad group has none. A `Start Date`/`End Date` on the
campaign row itself (newer files) wins. Dates are whole days in the campaign's time zone; an end
date includes its whole day.
Sources: learn.microsoft.com/en-us/advertising/bulk-service/bulk-file-schema?view=bingads-13,
.../bulk-service/campaign?view=bingads-13, .../bulk-service/ad-group?view=bingads-13,
.../guides/time-zones?view=bingads-13; reference/ad_apis.md §5.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cuecast.campaigns.imports.formats import Parsed, ParsedCampaign, RejectedRow
from cuecast.campaigns.imports.reading import Row, Table, key
from cuecast.campaigns.imports.values import CellError, day_end, day_start, parse_date, parse_money
from cuecast.campaigns.sources.base import BudgetPeriod, RemoteCampaign, RemoteStatus

FORMAT = "microsoft_bulk"
NAME = "Microsoft Advertising bulk file"

# Campaign Status on download (bulk-service/campaign): status, budget used up.
STATUSES: dict[str, tuple[RemoteStatus, bool]] = {
    "active": (RemoteStatus.ACTIVE, False),
    "paused": (RemoteStatus.PAUSED, False),
    "budgetpaused": (RemoteStatus.PAUSED, True),
    "budgetandmanualpaused": (RemoteStatus.PAUSED, True),
    "suspended": (RemoteStatus.PAUSED, False),
    "deleted": (RemoteStatus.REMOVED, False),
}

BUDGET_TYPES = {
    "dailybudgetstandard": BudgetPeriod.DAILY,
    "dailybudgetaccelerated": BudgetPeriod.DAILY,
    "lifetimebudgetstandard": BudgetPeriod.LIFETIME,
}


def looks_like(table: Table) -> bool:
    return bool(table.keys) and table.keys[0] == "type" and "parentid" in table.keys


def _zones() -> dict[str, str]:
    """Microsoft TimeZone values → IANA, from the Microsoft source when it is installed."""
    try:
        from cuecast.campaigns.sources.microsoft.timezones import MICROSOFT_TO_IANA
    except ImportError:  # the source package has not landed: the common zones
        return {
            "AmsterdamBerlinBernRomeStockholmVienna": "Europe/Berlin",
            "BrusselsCopenhagenMadridParis": "Europe/Paris",
            "GreenwichMeanTimeDublinEdinburghLisbonLondon": "Europe/London",
            "EasternTimeUSCanada": "America/New_York",
            "CentralTimeUSCanada": "America/Chicago",
            "MountainTimeUSCanada": "America/Denver",
            "PacificTimeUSCanadaTijuana": "America/Los_Angeles",
        }
    return dict(MICROSOFT_TO_IANA)


def _zone_key(value: str) -> str:
    return value.replace("_", "").replace(" ", "").lower()


@dataclass
class _Flight:
    start: date | None = None
    end: date | None = None
    open_ended: bool = False
    groups: int = 0


def parse(table: Table, *, default_tz: str, now: datetime) -> Parsed:
    parsed = Parsed(FORMAT, NAME, "microsoft")
    zones = {_zone_key(k): v for k, v in _zones().items()}
    flights: dict[str, _Flight] = {}
    campaign_rows: list[Row] = []
    for row in table.rows:
        kind = key(row.cells.get("type", ""))
        if kind == "campaign":
            campaign_rows.append(row)
        elif kind == "adgroup":
            _ad_group(row, flights, parsed)
        else:  # Format Version, Account, ads, keywords, …
            parsed.ignored_rows += 1
    seen: set[str] = set()
    for row in campaign_rows:
        try:
            remote = _campaign(row, flights, zones, default_tz=default_tz, now=now)
        except CellError as exc:
            parsed.rejected.append(RejectedRow(row.number, str(exc)))
            continue
        if remote.external_id in seen:
            parsed.rejected.append(
                RejectedRow(
                    row.number,
                    f"Campaign id {remote.external_id} appears twice in the file; keep one row.",
                )
            )
            continue
        seen.add(remote.external_id)
        parsed.campaigns.append(ParsedCampaign(row.number, remote))
    return parsed


def _ad_group(row: Row, flights: dict[str, _Flight], parsed: Parsed) -> None:
    if row.cells.get("status", "").lower() == "deleted":
        parsed.ignored_rows += 1
        return
    parent = row.cells.get("parentid", "")
    try:
        start = parse_date("Start Date", row.cells.get("startdate", ""))
        end = parse_date("End Date", row.cells.get("enddate", ""))
    except CellError as exc:
        parsed.rejected.append(RejectedRow(row.number, f"Ad group: {exc}"))
        return
    if start and end and end < start:
        parsed.rejected.append(
            RejectedRow(row.number, "Ad group: the End Date is before the Start Date.")
        )
        return
    flight = flights.setdefault(parent, _Flight())
    flight.groups += 1
    if start is not None and (flight.start is None or start < flight.start):
        flight.start = start
    if end is None:
        flight.open_ended = True
    elif flight.end is None or end > flight.end:
        flight.end = end
    parsed.ignored_rows += 1


def _campaign(
    row: Row, flights: dict[str, _Flight], zones: dict[str, str], *, default_tz: str, now: datetime
) -> RemoteCampaign:
    cells = row.cells
    external_id = cells.get("id", "")
    if not external_id:
        raise CellError("The campaign has no Id; export the file again with ids.")
    if not external_id.isdigit():
        raise CellError(f"The campaign Id “{external_id}” must be a number.")
    name = cells.get("campaign", "") or cells.get("name", "")
    if not name:
        raise CellError(f"Campaign {external_id} has no name (the “Campaign” column is empty).")
    raw_status = cells.get("status", "")
    if raw_status.lower() not in STATUSES:
        raise CellError(
            f"Campaign “{name}” has the status “{raw_status}”; Cuecast knows Active, Paused, "
            "BudgetPaused, BudgetAndManualPaused, Suspended and Deleted."
        )
    status, exhausted = STATUSES[raw_status.lower()]
    raw_zone = cells.get("timezone", "")
    tz = zones.get(_zone_key(raw_zone)) if raw_zone else default_tz
    if tz is None:
        raise CellError(f"Campaign “{name}” has a time zone Cuecast does not know: “{raw_zone}”.")
    budget = parse_money("Budget", cells.get("budget", ""))
    period = BUDGET_TYPES.get(cells.get("budgettype", "").lower())
    flight = flights.get(external_id, _Flight())
    start = parse_date("Start Date", cells.get("startdate", "")) or flight.start
    end = parse_date("End Date", cells.get("enddate", "")) if cells.get("enddate") else None
    if end is None and not flight.open_ended:
        end = flight.end
    if start and end and end < start:
        raise CellError(f"Campaign “{name}” ends ({end}) before it starts ({start}).")
    starts_at = day_start(start, tz) if start else None
    ends_at = day_end(end, tz) if end else None
    if status == RemoteStatus.ACTIVE and ends_at is not None and ends_at <= now:
        status = RemoteStatus.ENDED
    return RemoteCampaign(
        external_id=external_id,
        name=name,
        status=status,
        status_raw=raw_status,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=tz,
        budget_amount=budget,
        budget_period=period if budget is not None else None,
        currency="",
        budget_exhausted=exhausted,
    )
