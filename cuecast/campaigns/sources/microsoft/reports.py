"""Daily campaign performance through the asynchronous Reporting service.

learn.microsoft.com/en-us/advertising/guides/request-download-report?view=bingads-13,
…/reporting-service/submitgeneratereport, …/pollgeneratereport, …/campaignperformancereportrequest,
…/reporttime (all ?view=bingads-13):
1. `POST /Reporting/v13/GenerateReport/Submit` with a `CampaignPerformanceReportRequest`
   (`"Type"` names the derived request): Daily aggregation, `TimePeriod` among the columns (without
   it the aggregation silently falls back to Summary), a custom date range, scoped to the account
   (and the campaigns asked for) → `ReportRequestId`.
2. `POST /Reporting/v13/GenerateReport/Poll` until `Status` is `Success` (or `Error`); polled with
   backoff for a bounded time, after which the sync fails as Transient and tries again later.
   `Success` with a null `ReportDownloadUrl` means the report has no rows.
3. `GET ReportDownloadUrl` (no Cuecast headers; valid a few minutes): a ZIP holding one CSV.

The CSV is parsed defensively with the stdlib `zipfile` + `csv`: UTF-8 with or without a BOM, every
field quoted or not, optional report header rows ("Report Name: …", "Rows: 2", …) before the column
header, optional footer ("©2026 Microsoft Corporation…", a "Total" row), `--` for "not available",
thousands separators (FormatVersion 1.0). Rows are days in the account's time zone
(`TimePeriod` yyyy-mm-dd, also M/D/YYYY); duplicate (campaign, day) rows are summed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from cuecast.campaigns.sources.base import DailyMetric
from cuecast.campaigns.sources.microsoft import errors
from cuecast.networks.errors import Permanent, Transient

COLUMNS = (
    "TimePeriod",
    "AccountId",
    "CampaignId",
    "CampaignName",
    "CurrencyCode",
    "Impressions",
    "Clicks",
    "Spend",
    "Conversions",
)
MAX_SCOPED_CAMPAIGNS = 100  # beyond this, scope by account and filter the rows
CENT = Decimal("0.01")
NOT_AVAILABLE = frozenset({"--", "", "-"})
FOOTER_PREFIXES = ("©", "(c)", "total", "microsoft corporation")


@dataclass(frozen=True)
class PollPlan:
    """How long to wait between polls and in all; Microsoft suggests polling every few seconds
    to minutes. Tests shorten it."""

    first_delay: float = 2.0
    max_delay: float = 30.0
    factor: float = 2.0
    max_wait: float = 600.0

    def delays(self) -> Iterable[float]:
        delay, waited = self.first_delay, 0.0
        while waited < self.max_wait:
            step = min(delay, self.max_delay, self.max_wait - waited)
            yield step
            waited += step
            delay *= self.factor


def _day(value: date) -> dict[str, int]:
    return {"Year": value.year, "Month": value.month, "Day": value.day}


def submit_body(
    account_id: str,
    campaign_ids: list[str],
    start: date,
    end: date,
    report_time_zone: str | None = None,
) -> dict[str, Any]:
    campaigns: list[dict[str, str]] | None = None
    if campaign_ids and len(campaign_ids) <= MAX_SCOPED_CAMPAIGNS:
        campaigns = [{"AccountId": account_id, "CampaignId": cid} for cid in campaign_ids]
    time_spec: dict[str, Any] = {
        "CustomDateRangeStart": _day(start),
        "CustomDateRangeEnd": _day(end),
        "PredefinedTime": None,
    }
    if report_time_zone:
        time_spec["ReportTimeZone"] = report_time_zone
    return {
        "ReportRequest": {
            "Type": "CampaignPerformanceReportRequest",
            "ReportName": "cuecast-daily-campaigns",
            "Format": "Csv",
            "FormatVersion": "2.0",
            "ExcludeColumnHeaders": False,
            "ExcludeReportHeader": True,
            "ExcludeReportFooter": True,
            "ReturnOnlyCompleteData": False,
            "Aggregation": "Daily",
            "Columns": list(COLUMNS),
            "Scope": {"AccountIds": [account_id], "Campaigns": campaigns},
            "Filter": None,
            "Time": time_spec,
        }
    }


def poll_result(body: dict[str, Any]) -> tuple[str, str | None]:
    """(Status, ReportDownloadUrl) from a Poll answer."""
    status = body.get("ReportRequestStatus")
    if not isinstance(status, dict):
        raise errors.unreadable("a report status")
    state = str(status.get("Status") or "")
    url = status.get("ReportDownloadUrl")
    return state, url if isinstance(url, str) and url else None


def unzip(content: bytes) -> str:
    """The CSV inside the downloaded ZIP (a bare CSV is accepted too), decoded."""
    if content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
                if not names:
                    raise errors.unreadable("an empty report file")
                preferred = [n for n in names if n.lower().endswith((".csv", ".tsv"))]
                raw = archive.read((preferred or names)[0])
        except zipfile.BadZipFile:
            raise errors.unreadable("a report file") from None
    else:
        raw = content
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise errors.unreadable("a report file")


def _number(value: str) -> Decimal | None:
    cleaned = value.strip().replace("\u00a0", "").replace(" ", "")
    if cleaned in NOT_AVAILABLE:
        return None
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    cleaned = cleaned.replace(",", "")  # thousands separators (FormatVersion 1.0)
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise Permanent(
            f"Microsoft Advertising's report has a value Cuecast cannot read: “{value[:40]}”.",
            code="bad_report_value",
        ) from None


def _parse_day(value: str) -> date | None:
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        month, day, year = (int(part) for part in text.split("/"))
        return date(year, month, day)
    except ValueError:
        return None


def _cell(cells: list[str], header: dict[str, int], column: str) -> str:
    index = header.get(column)
    return cells[index] if index is not None and index < len(cells) else ""


def _value(cells: list[str], header: dict[str, int], column: str) -> Decimal:
    found = _number(_cell(cells, header, column))
    return found if found is not None else Decimal(0)


def _is_footer(row: list[str]) -> bool:
    first = row[0].strip().lower() if row else ""
    return first.startswith(FOOTER_PREFIXES)


def parse_csv(
    text: str, *, default_currency: str, campaign_ids: Iterable[str] | None = None
) -> list[DailyMetric]:
    """Rows of a Daily campaign performance report → DailyMetric, summed per campaign and day."""
    delimiter = "\t" if text.count("\t") > text.count(",") else ","
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    wanted = set(campaign_ids) if campaign_ids else None
    header: dict[str, int] | None = None
    totals: dict[tuple[str, date], list[Any]] = {}
    for row in rows:
        cells = [cell.strip().lstrip("\ufeff") for cell in row]
        if not any(cells):
            continue
        if header is None:
            if "TimePeriod" in cells and "CampaignId" in cells:
                header = {name: i for i, name in enumerate(cells)}
            continue  # report header rows ("Report Name: …") come before the column header
        if _is_footer(cells) or len(cells) < len(header):
            continue
        day = _parse_day(cells[header["TimePeriod"]])
        campaign_id = cells[header["CampaignId"]]
        if day is None or not campaign_id:
            continue
        if wanted is not None and campaign_id not in wanted:
            continue

        currency = _cell(cells, header, "CurrencyCode")
        currency = currency if currency not in NOT_AVAILABLE else ""
        key = (campaign_id, day)
        entry = totals.setdefault(key, [0, 0, Decimal(0), Decimal(0), currency or default_currency])
        entry[0] += int(_value(cells, header, "Impressions"))
        entry[1] += int(_value(cells, header, "Clicks"))
        entry[2] += _value(cells, header, "Spend")
        entry[3] += _value(cells, header, "Conversions")
    if header is None and text.strip():
        raise errors.unreadable("a report without a column header")
    return [
        DailyMetric(
            campaign_external_id=campaign_id,
            day=day,
            impressions=entry[0],
            clicks=entry[1],
            spend=Decimal(entry[2]).quantize(CENT, rounding=ROUND_HALF_UP),
            conversions=Decimal(entry[3]).quantize(CENT, rounding=ROUND_HALF_UP),
            currency=str(entry[4]),
        )
        for (campaign_id, day), entry in sorted(totals.items())
    ]


def too_slow() -> Transient:
    return Transient(
        "Microsoft Advertising took too long to prepare the performance report; Cuecast will try "
        "again later.",
        code="report_pending",
    )


def failed() -> Transient:
    return Transient(
        "Microsoft Advertising could not prepare the performance report; Cuecast will try again "
        "later.",
        code="report_error",
    )
