"""Insights of the emulated Marketing API: parameters (level, time_range / date_preset,
time_increment, fields, filtering), rows summed from the daily store, and async report runs.

developers.facebook.com/docs/marketing-api/insights, /insights/best-practices,
documentation/ads-commerce/marketing-api/insights/error-codes.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.responses import JSONResponse

from sandbox.common.network import Call
from sandbox.facebook.ads_state import AdAccount, AdCampaign, AdsState, DailyRow, ReportRun
from sandbox.facebook.state import FacebookState
from sandbox.meta.graph import Params, invalid_param, params_of

INSIGHT_FIELDS = (
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "impressions",
    "clicks",
    "inline_link_clicks",
    "spend",
    "actions",
    "conversions",
    "cpc",
    "cpm",
    "ctr",
    "date_start",
    "date_stop",
)
LEVELS = ("account", "campaign")
PRESETS = (
    "today",
    "yesterday",
    "last_3d",
    "last_7d",
    "last_14d",
    "last_28d",
    "last_30d",
    "last_90d",
    "this_month",
    "last_month",
    "maximum",
)
TOO_MUCH_DATA = "Please reduce the amount of data you're asking for, then retry your request"


def _parse_day(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


def _range(params: Params, ads: AdsState, account: AdAccount, now: float) -> Any:
    today = datetime.fromtimestamp(now, account.zone).date()
    raw = params.get("time_range")
    if raw:
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        since = _parse_day(data.get("since")) if isinstance(data, dict) else None
        until = _parse_day(data.get("until")) if isinstance(data, dict) else None
        if since is None or until is None:
            return invalid_param(
                "Param time_range must be a JSON object with since and until (YYYY-MM-DD)"
            )
        if since > until:
            return invalid_param("Param time_range: since must not be after until")
        return since, until
    preset = params.get("date_preset") or "last_30d"
    if preset not in PRESETS:
        return invalid_param(f"Param date_preset must be one of {{{', '.join(PRESETS)}}}")
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset.startswith("last_") and preset.endswith("d"):
        days = int(preset[5:-1])
        return today - timedelta(days=days), today - timedelta(days=1)
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    seen = [d for (cid, d) in ads.metrics if owner(ads, cid) == account]
    return (min(seen), max(seen)) if seen else (today, today)


def _campaign_filter(params: Params) -> list[str] | JSONResponse | None:
    raw = params.get("filtering")
    if not raw:
        return None
    try:
        rules = json.loads(raw)
    except ValueError:
        return invalid_param("Param filtering must be a JSON array")
    if not isinstance(rules, list):
        return invalid_param("Param filtering must be a JSON array")
    chosen: list[str] | None = None
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("field") != "campaign.id":
            return invalid_param("Filtering field must be campaign.id in this sandbox")
        value = rule.get("value")
        operator = rule.get("operator")
        if operator == "IN" and isinstance(value, list):
            ids = [str(v) for v in value]
        elif operator == "EQUAL":
            ids = [str(value)]
        else:
            return invalid_param("Filtering operator must be IN (a list) or EQUAL")
        chosen = ids if chosen is None else [i for i in chosen if i in ids]
    return chosen


def parse_insights(
    call: Call, ads: AdsState, account: AdAccount, campaign: AdCampaign | None
) -> dict[str, Any] | JSONResponse:
    params = params_of(call)
    level = params.get("level") or ("campaign" if campaign else "account")
    if level not in LEVELS:
        if level in ("adset", "ad"):
            return invalid_param(f"level {level} is not emulated; use account or campaign")
        return invalid_param("Param level must be one of {ad, adset, campaign, account}")
    fields = params.fields() or ["impressions", "spend"]
    for index, name in enumerate(fields):
        if name not in INSIGHT_FIELDS:
            return invalid_param(
                f"fields[{index}] must be one of the following values: {', '.join(INSIGHT_FIELDS)}"
            )
    span = _range(params, ads, account, call.now)
    if isinstance(span, JSONResponse):
        return span
    raw_increment = params.get("time_increment") or "all_days"
    if raw_increment in ("all_days", "monthly"):
        increment: int | str = raw_increment
    else:
        try:
            increment = int(raw_increment)
        except ValueError:
            increment = 0
        if not 1 <= increment <= 90:
            return invalid_param("Param time_increment must be all_days, monthly or 1 to 90")
    chosen = _campaign_filter(params)
    if isinstance(chosen, JSONResponse):
        return chosen
    if campaign is not None:
        chosen = [campaign.id] if chosen is None or campaign.id in chosen else []
    return {
        "account": account.account_id,
        "level": level,
        "fields": fields,
        "since": span[0].isoformat(),
        "until": span[1].isoformat(),
        "increment": increment,
        "campaigns": chosen,
    }


def _buckets(since: date, until: date, increment: int | str) -> list[tuple[date, date]]:
    if increment == "all_days":
        return [(since, until)]
    out: list[tuple[date, date]] = []
    start = since
    while start <= until:
        if increment == "monthly":
            nxt = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
            end = min(nxt - timedelta(days=1), until)
        else:
            assert isinstance(increment, int)
            end = min(start + timedelta(days=increment - 1), until)
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


def insight_rows(ads: AdsState, query: dict[str, Any]) -> list[dict[str, Any]]:
    account = ads.accounts[query["account"]]
    since = date.fromisoformat(query["since"])
    until = date.fromisoformat(query["until"])
    chosen = query["campaigns"]
    campaigns = sorted(
        (
            c
            for c in ads.campaigns.values()
            if c.account_id == account.account_id and (chosen is None or c.id in chosen)
        ),
        key=lambda c: c.id,
    )
    groups: list[tuple[AdCampaign | None, list[AdCampaign]]] = [(None, campaigns)]
    if query["level"] == "campaign":
        groups = [(c, [c]) for c in campaigns]
    rows: list[dict[str, Any]] = []
    for start, end in _buckets(since, until, query["increment"]):
        for head, members in groups:
            total = DailyRow()
            found = False
            day = start
            while day <= end:
                for member in members:
                    row = ads.metrics.get((member.id, day))
                    if row is not None:
                        found = True
                        _add(total, row)
                day += timedelta(days=1)
            if found:
                rows.append(_insight_json(account, head, total, start, end, query["fields"]))
    return rows


def _add(total: DailyRow, row: DailyRow) -> None:
    total.impressions += row.impressions
    total.clicks += row.clicks
    total.spend += row.spend
    for kind, value in row.actions.items():
        total.actions[kind] = total.actions.get(kind, Decimal(0)) + value


def _ratio(numerator: Decimal, denominator: Decimal) -> str | None:
    if denominator == 0:
        return None
    return f"{(numerator / denominator):.6f}".rstrip("0").rstrip(".")


def _insight_json(
    account: AdAccount,
    campaign: AdCampaign | None,
    row: DailyRow,
    start: date,
    end: date,
    fields: list[str],
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name in fields:
        if name == "account_id":
            body["account_id"] = account.account_id
        elif name == "account_name":
            body["account_name"] = account.name
        elif name == "account_currency":
            body["account_currency"] = account.currency
        elif name == "campaign_id" and campaign is not None:
            body["campaign_id"] = campaign.id
        elif name == "campaign_name" and campaign is not None:
            body["campaign_name"] = campaign.name
        elif name == "impressions":
            body["impressions"] = str(row.impressions)
        elif name == "clicks":
            body["clicks"] = str(row.clicks)
        elif name == "inline_link_clicks":
            body["inline_link_clicks"] = _count(row.actions.get("link_click", Decimal(0)))
        elif name == "spend":
            body["spend"] = money(row.spend)
        elif name in ("actions", "conversions"):
            kinds = row.actions.items()
            if name == "conversions":
                kinds = {k: v for k, v in row.actions.items() if k != "link_click"}.items()
            entries = [
                {"action_type": kind, "value": _count(value)} for kind, value in kinds if value
            ]
            if entries:
                body[name] = entries
        elif name == "cpc":
            value = _ratio(row.spend, Decimal(row.clicks))
            if value is not None:
                body["cpc"] = value
        elif name == "cpm":
            value = _ratio(row.spend * 1000, Decimal(row.impressions))
            if value is not None:
                body["cpm"] = value
        elif name == "ctr":
            value = _ratio(Decimal(row.clicks) * 100, Decimal(row.impressions))
            if value is not None:
                body["ctr"] = value
    body["date_start"] = start.isoformat()
    body["date_stop"] = end.isoformat()
    return body


RUN_FIELDS = (
    "id",
    "account_id",
    "async_status",
    "async_percent_completion",
    "date_start",
    "date_stop",
    "time_ref",
    "time_completed",
    "is_running",
    "error_code",
    "error_subcode",
    "error_message",
    "error_user_title",
    "error_user_msg",
)


def _advance(fs: FacebookState, run: ReportRun) -> tuple[str, int]:
    run.polls += 1
    needed = max(fs.config.ads_report_polls, 0)
    if run.rows is None and not run.failed and run.polls > needed:
        if fs.config.ads_report_fail:
            run.failed = True
        else:
            run.rows = insight_rows(fs.ads, run.params)
    return run_state(fs, run)


def run_state(fs: FacebookState, run: ReportRun) -> tuple[str, int]:
    if run.failed:
        return "Job Failed", 0
    if run.rows is not None:
        return "Job Completed", 100
    if run.polls <= 1:
        return "Job Not Started", 0
    needed = max(fs.config.ads_report_polls, 1)
    return "Job Running", min(99, int(100 * (run.polls - 1) / needed))


def run_json(fs: FacebookState, run: ReportRun, fields: list[str], now: float) -> dict[str, Any]:
    status, pct = _advance(fs, run)
    body: dict[str, Any] = {
        "id": run.id,
        "account_id": run.account_id,
        "async_status": status,
        "async_percent_completion": pct,
        "date_start": run.params["since"],
        "date_stop": run.params["until"],
        "time_ref": int(run.created_at),
        "is_running": status in ("Job Not Started", "Job Started", "Job Running"),
    }
    if status == "Job Completed":
        body["time_completed"] = int(now)
    if run.failed:
        body.update(
            {
                "error_code": -2,
                "error_subcode": 2490547,
                "error_message": "Generating the report failed. Try again later.",
                "error_user_title": "Report Failed",
                "error_user_msg": "Generating the report failed. Try again later.",
            }
        )
    if fields:
        body = {k: v for k, v in body.items() if k in fields or k == "id"}
    return body


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _count(value: Decimal) -> str:
    return str(value.normalize()) if value != value.to_integral_value() else str(int(value))


def owner(ads: AdsState, campaign_id: str) -> AdAccount | None:
    campaign = ads.campaigns.get(campaign_id)
    return ads.accounts.get(campaign.account_id) if campaign else None
