"""Reporting service (REST v13): Submit → Poll → GET the download URL → a ZIP with one CSV.

Request shape: reporting-service/submitgeneratereport, campaignperformancereportrequest, reporttime;
download and format: guides/request-download-report and guides/reports (UTF-8 with BOM, every field
quoted, optional header rows and copyright footer, ``--`` for values that are not available).
"""

from __future__ import annotations

import csv
import io
import secrets
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.network import Call
from sandbox.msads import errors
from sandbox.msads.api import caller, header_scope, json_body, ms_state
from sandbox.msads.state import (
    DEFAULT_REPORT_TIME_ZONE,
    TIME_ZONES,
    AdAccount,
    Campaign,
    DailyRow,
    MsadsState,
    Report,
    local_today,
    zone_label,
)

REPORT_TYPES = ("CampaignPerformanceReportRequest",)
AGGREGATIONS = ("Summary", "Daily", "Weekly", "Monthly", "Yearly")
ATTRIBUTES = (
    "TimePeriod",
    "AccountId",
    "AccountName",
    "AccountNumber",
    "AccountStatus",
    "CampaignId",
    "CampaignName",
    "CampaignStatus",
    "CampaignType",
    "CurrencyCode",
)
PERFORMANCE = (
    "Impressions",
    "Clicks",
    "Spend",
    "Conversions",
    "Revenue",
    "Ctr",
    "AverageCpc",
    "ConversionRate",
    "CostPerConversion",
    "AllConversions",
)
NA = "--"


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if value != value.to_integral_value() else str(int(value))


def _pct(num: Decimal, den: Decimal) -> str:
    return NA if den == 0 else f"{(num * 100 / den).quantize(Decimal('0.01'))}%"


def _ratio(num: Decimal, den: Decimal) -> str:
    return NA if den == 0 else _money(num / den)


def _parse_day(raw: Any) -> date | None:
    if not isinstance(raw, dict):
        return None
    try:
        return date(int(raw["Year"]), int(raw["Month"]), int(raw["Day"]))
    except (KeyError, TypeError, ValueError):
        return None


def _predefined(name: str, today: date) -> tuple[date, date] | None:
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    table: dict[str, tuple[date, date]] = {
        "Today": (today, today),
        "Yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "LastSevenDays": (today - timedelta(days=7), today - timedelta(days=1)),
        "Last14Days": (today - timedelta(days=14), today - timedelta(days=1)),
        "Last30Days": (today - timedelta(days=30), today - timedelta(days=1)),
        "ThisMonth": (first_of_month, today),
        "LastMonth": (last_month_end.replace(day=1), last_month_end),
        "ThisYear": (today.replace(month=1, day=1), today),
    }
    return table.get(name)


def _bucket(day: date, aggregation: str) -> str:
    if aggregation == "Weekly":  # the week's Sunday
        return (day - timedelta(days=(day.weekday() + 1) % 7)).isoformat()
    if aggregation == "Monthly":
        return day.replace(day=1).isoformat()
    if aggregation == "Yearly":
        return str(day.year)
    return day.isoformat()


def _validate(
    ms: MsadsState, customer_id: str, request: Any, now: float
) -> dict[str, Any] | Response:
    """The normalised request, or the fault the service would answer."""
    if not isinstance(request, dict):
        return errors.ad_api_fault(201, "ReportRequest is required.")
    if request.get("Type") not in REPORT_TYPES:
        return errors.ad_api_fault(201, f"ReportRequest Type {request.get('Type')!r}")
    if (request.get("Format") or "Csv") != "Csv":
        return errors.ad_api_fault(201, "The sandbox produces Csv reports only.")
    columns = [str(c) for c in request.get("Columns") or []]
    unknown = [c for c in columns if c not in ATTRIBUTES + PERFORMANCE]
    if not columns or unknown:
        return errors.ad_api_fault(201, f"Columns: {unknown[0] if unknown else 'none'}")
    if not any(c in PERFORMANCE for c in columns) or not any(c in ATTRIBUTES for c in columns):
        return errors.ad_api_fault(201, "At least one attribute and one performance column.")
    aggregation = str(request.get("Aggregation") or "Summary")
    if aggregation not in AGGREGATIONS:
        return errors.ad_api_fault(201, f"Aggregation {aggregation!r}")
    if "TimePeriod" not in columns:
        aggregation = "Summary"  # documented: without TimePeriod the report is a summary
    scope = request.get("Scope") or {}
    account_ids = [str(a) for a in scope.get("AccountIds") or []]
    campaign_filter = {
        str(c.get("CampaignId")) for c in scope.get("Campaigns") or [] if isinstance(c, dict)
    }
    if not account_ids:
        account_ids = sorted(
            {ms.campaigns[c].account_id for c in campaign_filter if c in ms.campaigns}
        )
    if not account_ids:
        return errors.ad_api_fault(201, "Scope: AccountIds")
    for account_id in account_ids:
        account = ms.accounts.get(account_id)
        if account is None or account.customer_id != customer_id:
            return errors.ad_api_fault(106)
    time_spec = request.get("Time") or {}
    report_tz = str(time_spec.get("ReportTimeZone") or DEFAULT_REPORT_TIME_ZONE)
    if report_tz not in TIME_ZONES:
        return errors.ad_api_fault(201, f"ReportTimeZone {report_tz!r} is not emulated.")
    start = _parse_day(time_spec.get("CustomDateRangeStart"))
    end = _parse_day(time_spec.get("CustomDateRangeEnd"))
    predefined = time_spec.get("PredefinedTime")
    if predefined and (start or end):
        return errors.ad_api_fault(201, "Use either PredefinedTime or a custom date range.")
    if predefined:
        span = _predefined(str(predefined), local_today(report_tz, now))
        if span is None:
            return errors.ad_api_fault(201, f"PredefinedTime {predefined!r} is not emulated.")
        start, end = span
    if start is None or end is None:
        return errors.ad_api_fault(113)
    if end < start:
        return errors.ad_api_fault(113, "CustomDateRangeEnd is before CustomDateRangeStart.")
    return {
        "name": str(request.get("ReportName") or ""),
        "columns": columns,
        "aggregation": aggregation,
        "account_ids": account_ids,
        "campaigns": campaign_filter,
        "start": start,
        "end": end,
        "report_tz": report_tz,
        "exclude_headers": bool(request.get("ExcludeColumnHeaders")),
        "exclude_report_header": bool(request.get("ExcludeReportHeader")),
        "exclude_footer": bool(request.get("ExcludeReportFooter")),
        "complete_only": bool(request.get("ReturnOnlyCompleteData")),
    }


def _cell(column: str, bucket: str, account: AdAccount, campaign: Campaign, row: DailyRow) -> str:
    imp, clicks = Decimal(row.impressions), Decimal(row.clicks)
    values: dict[str, str] = {
        "TimePeriod": bucket,
        "AccountId": account.id,
        "AccountName": account.name,
        "AccountNumber": account.number,
        "AccountStatus": "Active",
        "CampaignId": campaign.id,
        "CampaignName": campaign.name,
        "CampaignStatus": campaign.status,
        "CampaignType": campaign.campaign_type,
        "CurrencyCode": account.currency,
        "Impressions": str(row.impressions),
        "Clicks": str(row.clicks),
        "Spend": _money(row.spend),
        "Conversions": _number(row.conversions),
        "AllConversions": _number(row.conversions),
        "Revenue": NA if row.revenue is None else _money(row.revenue),
        "Ctr": _pct(clicks, imp),
        "AverageCpc": _ratio(row.spend, clicks),
        "ConversionRate": _pct(row.conversions, clicks),
        "CostPerConversion": _ratio(row.spend, row.conversions),
    }
    return values[column]


def _add(total: DailyRow, row: DailyRow) -> None:
    total.impressions += row.impressions
    total.clicks += row.clicks
    total.spend += row.spend
    total.conversions += row.conversions
    if row.revenue is not None:
        total.revenue = (total.revenue or Decimal(0)) + row.revenue


def build_rows(ms: MsadsState, spec: dict[str, Any]) -> list[list[str]]:
    grouped: dict[tuple[str, str], DailyRow] = {}
    for (campaign_id, day), row in sorted(ms.metrics.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        campaign = ms.campaigns.get(campaign_id)
        if campaign is None or campaign.account_id not in spec["account_ids"]:
            continue
        if spec["campaigns"] and campaign_id not in spec["campaigns"]:
            continue
        if not spec["start"] <= day <= spec["end"]:
            continue
        bucket = "" if spec["aggregation"] == "Summary" else _bucket(day, spec["aggregation"])
        total = grouped.setdefault((bucket, campaign_id), DailyRow(0, 0, Decimal(0), Decimal(0)))
        _add(total, row)
    rows = []
    for (bucket, campaign_id), total in grouped.items():
        campaign = ms.campaigns[campaign_id]
        account = ms.accounts[campaign.account_id]
        rows.append([_cell(c, bucket, account, campaign, total) for c in spec["columns"]])
    return rows


def _us_date(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _us_time(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{_us_date(moment.date())} {hour}:{moment.minute:02d}:{moment.second:02d} {half}"


def render_csv(ms: MsadsState, spec: dict[str, Any], rows: list[list[str]], now: float) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    first_account = ms.accounts[spec["account_ids"][0]]
    if not spec["exclude_report_header"]:
        completed = datetime.fromtimestamp(now, UTC) - timedelta(hours=3)
        yesterday = local_today(first_account.time_zone, now) - timedelta(days=1)
        for line in (
            f"Report Name: {spec['name']}",
            f"Report Time: {_us_date(spec['start'])},{_us_date(spec['end'])}",
            f"Time Zone: {zone_label(first_account.time_zone)}",
            f"Last Completed Available Day: {_us_time(completed)} (GMT)",
            f"Last Completed Available Hour: {_us_time(completed)} (GMT)",
            f"Report Aggregation: {spec['aggregation']}",
            "Report Filter: ",
            f"Potential Incomplete Data: {'true' if spec['end'] >= yesterday else 'false'}",
            f"Rows: {len(rows)}",
        ):
            writer.writerow([line])
        out.write("\r\n")
    if not spec["exclude_headers"]:
        writer.writerow(spec["columns"])
    writer.writerows(rows)
    if not spec["exclude_footer"]:
        out.write("\r\n")
        year = datetime.fromtimestamp(now, UTC).year
        writer.writerow([f"©{year} Microsoft Corporation. All rights reserved. "])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def zip_report(report: Report) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{report.id}.csv", report.csv_bytes or b"")
    return buffer.getvalue()


async def submit(call: Call) -> Response:
    with call.sandbox.lock:
        scope = header_scope(call)
    if isinstance(scope, Response):
        return scope
    body = await json_body(call)
    if isinstance(body, Response):
        return body
    with call.sandbox.lock:
        ms = ms_state(call)
        user = caller(call)
        now = call.now
        spec = _validate(ms, user.customer_id, body.get("ReportRequest"), now)
        if isinstance(spec, Response):
            return spec
        pending = [
            r for r in ms.reports.values() if r.customer_id == user.customer_id and r.polls_left > 0
        ]
        if len(pending) >= ms.config.max_concurrent_reports:
            return errors.ad_api_fault(207)
        rows = build_rows(ms, spec)
        report_id = f"{ms.new_id()}_{secrets.token_hex(8)}"
        ms.reports[report_id] = Report(
            id=report_id,
            user_id=user.id,
            customer_id=user.customer_id,
            request=body["ReportRequest"],
            submitted_at=now,
            polls_left=max(ms.config.report_pending_polls, 0),
            csv_bytes=render_csv(ms, spec, rows, now) if rows else None,
            row_count=len(rows),
        )
    return JSONResponse({"ReportRequestId": report_id})


async def poll(call: Call) -> Response:
    with call.sandbox.lock:
        scope = header_scope(call)
    if isinstance(scope, Response):
        return scope
    body = await json_body(call)
    if isinstance(body, Response):
        return body
    with call.sandbox.lock:
        ms = ms_state(call)
        user = caller(call)
        now = call.now
        report = ms.reports.get(str(body.get("ReportRequestId") or ""))
        if (
            report is None
            or report.user_id != user.id  # Submit and Poll must use the same credentials
            or now > report.submitted_at + ms.config.report_request_lifetime
        ):
            return errors.ad_api_fault(2100)
        if report.polls_left > 0:
            report.polls_left -= 1
            return JSONResponse(
                {"ReportRequestStatus": {"ReportDownloadUrl": None, "Status": "Pending"}}
            )
        url = None
        if report.csv_bytes is not None:
            report.download_token = secrets.token_urlsafe(24)
            report.download_expires_at = now + ms.config.download_url_lifetime
            base = str(call.request.base_url).rstrip("/")
            url = f"{base}/msads/reporting/download/{report.download_token}"
    return JSONResponse({"ReportRequestStatus": {"ReportDownloadUrl": url, "Status": "Success"}})


EXPIRED_BLOB = (
    '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
    "<Message>Server failed to authenticate the request. Signed expiry time has passed."
    "</Message></Error>"
)


async def download(call: Call) -> Response:
    token = call.request.path_params["token"]
    with call.sandbox.lock:
        ms = ms_state(call)
        report = next((r for r in ms.reports.values() if r.download_token == token), None)
        if report is None or call.now > report.download_expires_at:
            return Response(EXPIRED_BLOB, status_code=403, media_type="application/xml")
        data = zip_report(report)
    return Response(
        data,
        media_type="application/x-zip-compressed",
        headers={"Content-Disposition": f'attachment; filename="{report.id}.zip"'},
    )
