"""LinkedIn Marketing API (versioned ``/rest``): ad account users, ad accounts, campaign search
and ``adAnalytics`` (analytics finder), plus their control-API helpers.

learn.microsoft.com/linkedin/marketing/integrations/ads/account-structure/create-and-manage-
accounts, …/create-and-manage-campaigns, …/ads-reporting/ads-reporting; ad_apis.md section 4.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from starlette.responses import JSONResponse, Response

from sandbox.common.network import Call
from sandbox.linkedin import errors
from sandbox.linkedin.ads_state import (
    CAMPAIGN_STATUSES,
    DEMO_ACCOUNT,
    AnalyticsRow,
    LinkedInAds,
    SponsoredAccount,
    SponsoredCampaign,
)
from sandbox.linkedin.api import version_tag
from sandbox.linkedin.restli import RestliError, parse, raw_query
from sandbox.linkedin.state import LinkedInState

ACCOUNT_URN = "urn:li:sponsoredAccount:"
CAMPAIGN_URN = "urn:li:sponsoredCampaign:"
GRANULARITIES = ("DAILY", "MONTHLY", "YEARLY", "ALL")
PIVOTS = ("CAMPAIGN", "ACCOUNT")
METRICS = (
    "impressions",
    "clicks",
    "costInLocalCurrency",
    "costInUsd",
    "externalWebsiteConversions",
    "landingPageClicks",
    "oneClickLeads",
    "conversionValueInLocalCurrency",
)
FIELDS = (*METRICS, "dateRange", "pivotValues")
USD_PER = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}


def _li(call: Call) -> LinkedInState:
    return call.sandbox.net("linkedin", LinkedInState)


def _member_urn(call: Call) -> str:
    assert call.principal is not None and call.principal.user_id is not None
    return call.principal.user_id


def _query(call: Call) -> dict[str, str]:
    return raw_query(call.request.url.query)


def _plain(query: dict[str, str], key: str) -> str | None:
    raw = query.get(key)
    return None if raw is None else unquote(raw.replace("+", " "))


def _restli(query: dict[str, str], key: str) -> Any:
    raw = query.get(key)
    if raw is None:
        return None
    try:
        return parse(raw)
    except RestliError as exc:
        raise ValueError(f"Invalid value for param '{key}': {exc}") from exc


def _denied(call: Call, resource: str, method: str = "GET") -> JSONResponse:
    return errors.access_denied(f"{resource}.{method}.{version_tag(call)}")


def _page(query: dict[str, str], items: list[dict[str, Any]]) -> Response:
    """Cursor paging: ``pageSize`` (default 100, most 1000), ``pageToken`` →
    ``metadata.nextPageToken``."""
    try:
        size = int(_plain(query, "pageSize") or "100")
    except ValueError:
        return errors.bad_request("Invalid value for param pageSize")
    size = min(max(size, 1), 1000)
    token = _plain(query, "pageToken")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
        except (ValueError, UnicodeDecodeError):
            return errors.bad_request("Invalid value for param pageToken")
    chunk = items[start : start + size]
    metadata: dict[str, Any] = {}
    if start + size < len(items):
        metadata["nextPageToken"] = (
            base64.urlsafe_b64encode(str(start + size).encode()).decode().rstrip("=")
        )
    return JSONResponse({"elements": chunk, "metadata": metadata})


def account_json(account: SponsoredAccount) -> dict[str, Any]:
    return {
        "id": int(account.id),
        "name": account.name,
        "currency": account.currency,
        "status": account.status,
        "type": "BUSINESS",
        "reference": account.reference,
        "test": False,
        "servingStatuses": ["RUNNABLE"] if account.status == "ACTIVE" else ["STOPPED"],
        "notifiedOnCampaignOptimization": False,
        "notifiedOnCreativeApproval": False,
        "notifiedOnCreativeRejection": False,
        "notifiedOnEndOfCampaign": False,
        "notifiedOnNewFeaturesEnabled": False,
    }


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def serving(campaign: SponsoredCampaign, now_ms: int) -> list[str]:
    if campaign.status != "ACTIVE":
        return ["STOPPED"]
    if campaign.end_ms is not None and now_ms >= campaign.end_ms:
        return ["CAMPAIGN_END_DATE_HIT"]
    return ["RUNNABLE"]


def campaign_json(ads: LinkedInAds, campaign: SponsoredCampaign, now_ms: int) -> dict[str, Any]:
    currency = ads.accounts[campaign.account_id].currency
    schedule: dict[str, int] = {"start": campaign.start_ms}
    if campaign.end_ms is not None:
        schedule["end"] = campaign.end_ms
    body: dict[str, Any] = {
        "id": int(campaign.id),
        "name": campaign.name,
        "account": ads.accounts[campaign.account_id].urn,
        "campaignGroup": f"urn:li:sponsoredCampaignGroup:{campaign.account_id}01",
        "type": campaign.type,
        "costType": "CPM",
        "objectiveType": campaign.objective,
        "format": "STANDARD_UPDATE",
        "locale": {"country": "DE", "language": "de"},
        "status": campaign.status,
        "servingStatuses": serving(campaign, now_ms),
        "runSchedule": schedule,
        "unitCost": {"amount": "8.00", "currencyCode": currency},
        "changeAuditStamps": {
            "created": {"time": campaign.created_ms},
            "lastModified": {"time": campaign.modified_ms},
        },
        "test": False,
    }
    if campaign.daily_budget is not None:
        body["dailyBudget"] = {"amount": _money(campaign.daily_budget), "currencyCode": currency}
    if campaign.total_budget is not None:
        body["totalBudget"] = {"amount": _money(campaign.total_budget), "currencyCode": currency}
    return body


def _visible_account(call: Call, account_id: str) -> SponsoredAccount | None:
    account = _li(call).ads.accounts.get(account_id)
    if account is None or _member_urn(call) not in account.roles:
        return None
    return account


def _status_values(search: Any, allowed: tuple[str, ...]) -> list[str] | None:
    """``(status:(values:List(A,B)))`` → [A, B]; None without a status criterion."""
    if search is None:
        return None
    if not isinstance(search, dict):
        raise ValueError("Invalid value for param 'search': expected (field:(values:List(...)))")
    status = search.get("status")
    if status is None:
        return None
    values = status.get("values") if isinstance(status, dict) else None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("Invalid value for param 'search': status needs (values:List(...))")
    for value in values:
        if value not in allowed:
            raise ValueError(f"Invalid value {value} for search.status; use {', '.join(allowed)}")
    return list(values)


# --- endpoints ------------------------------------------------------------------------------
async def ad_account_users(call: Call) -> Response:
    """``GET /rest/adAccountUsers?q=authenticatedUser``: the member's roles on ad accounts."""
    query = _query(call)
    if _plain(query, "q") != "authenticatedUser":
        return errors.bad_request("Invalid query parameters passed to request")
    with call.sandbox.lock:
        member = _member_urn(call)
        rows = [
            {
                "account": a.urn,
                "user": member,
                "role": a.roles[member],
                "changeAuditStamps": {"created": {"time": 0}, "lastModified": {"time": 0}},
            }
            for a in _li(call).ads.member_accounts(member)
        ]
    total = len(rows)
    return JSONResponse(
        {"paging": {"start": 0, "count": total, "links": [], "total": total}, "elements": rows}
    )


async def search_accounts(call: Call) -> Response:
    """``GET /rest/adAccounts?q=search&search=(status:(values:List(ACTIVE)))``."""
    query = _query(call)
    if _plain(query, "q") != "search":
        return errors.bad_request("Invalid query parameters passed to request")
    try:
        wanted = _status_values(_restli(query, "search"), ("ACTIVE", "CANCELED", "DRAFT"))
    except ValueError as exc:
        return errors.bad_request(str(exc))
    with call.sandbox.lock:
        accounts = _li(call).ads.member_accounts(_member_urn(call))
        items = [account_json(a) for a in accounts if wanted is None or a.status in wanted]
    return _page(query, items)


async def get_account(call: Call) -> Response:
    account_id = call.request.path_params["id"]
    with call.sandbox.lock:
        account = _visible_account(call, account_id)
        if account is None:
            return _denied(call, "adAccounts")
        return JSONResponse(account_json(account))


async def search_campaigns(call: Call) -> Response:
    """``GET /rest/adAccounts/{id}/adCampaigns?q=search&search=(status:(values:List(...)))``."""
    query = _query(call)
    if _plain(query, "q") != "search":
        return errors.bad_request("Invalid query parameters passed to request")
    try:
        wanted = _status_values(_restli(query, "search"), CAMPAIGN_STATUSES)
    except ValueError as exc:
        return errors.bad_request(str(exc))
    now_ms = int(call.now * 1000)
    with call.sandbox.lock:
        account = _visible_account(call, call.request.path_params["id"])
        if account is None:
            return _denied(call, "adCampaigns")
        ads = _li(call).ads
        chosen = sorted(
            (c for c in ads.campaigns.values() if c.account_id == account.id),
            key=lambda c: int(c.id),
            reverse=True,
        )
        if wanted is None:  # LinkedIn leaves removed campaigns out unless asked for
            chosen = [c for c in chosen if c.status not in ("REMOVED", "PENDING_DELETION")]
        else:
            chosen = [c for c in chosen if c.status in wanted]
        items = [campaign_json(ads, c, now_ms) for c in chosen]
    return _page(query, items)


async def get_campaign(call: Call) -> Response:
    with call.sandbox.lock:
        account = _visible_account(call, call.request.path_params["id"])
        ads = _li(call).ads
        campaign = ads.campaigns.get(call.request.path_params["campaign"])
        if account is None or campaign is None or campaign.account_id != account.id:
            return errors.not_found("Campaign not found")
        return JSONResponse(campaign_json(ads, campaign, int(call.now * 1000)))


# --- adAnalytics ----------------------------------------------------------------------------
def _day(value: Any, key: str) -> date:
    if not isinstance(value, dict):
        raise ValueError(f"dateRange.{key} must be (year:..,month:..,day:..)")
    try:
        return date(int(value["year"]), int(value["month"]), int(value["day"]))
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"Invalid dateRange.{key}") from exc


def _urns(value: Any, prefix: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"Invalid value for param '{key}': expected List(...)")
    for urn in value:
        if not urn.startswith(prefix) or not urn[len(prefix) :].isdigit():
            raise ValueError(f"Invalid value for param '{key}': {urn} is not a {prefix}… URN")
    return [urn[len(prefix) :] for urn in value]


def _buckets(start: date, end: date, granularity: str) -> list[tuple[date, date]]:
    if granularity == "ALL":
        return [(start, end)]
    out: list[tuple[date, date]] = []
    day = start
    while day <= end:
        if granularity == "DAILY":
            last = day
        elif granularity == "MONTHLY":
            last = (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        else:
            last = date(day.year, 12, 31)
        last = min(last, end)
        out.append((day, last))
        day = last + timedelta(days=1)
    return out


def _ymd(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def _element(
    fields: list[str], row: AnalyticsRow, pivot: str, span: tuple[date, date], currency: str
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "impressions": row.impressions,
        "clicks": row.clicks,
        "costInLocalCurrency": _money(row.cost),
        "costInUsd": _money(row.cost * USD_PER.get(currency, Decimal("1"))),
        "externalWebsiteConversions": row.conversions,
        "landingPageClicks": row.landing_page_clicks,
        "oneClickLeads": row.leads,
        "conversionValueInLocalCurrency": "0",
        "dateRange": {"start": _ymd(span[0]), "end": _ymd(span[1])},
        "pivotValues": [pivot],
    }
    return {name: values[name] for name in fields}


def _analytics_query(call: Call, query: dict[str, str]) -> dict[str, Any]:
    if _plain(query, "q") != "analytics":
        raise ValueError("Only the analytics finder (q=analytics) is emulated")
    pivot = _plain(query, "pivot")
    if pivot not in PIVOTS:
        raise ValueError(f"Invalid value for param 'pivot'; emulated: {', '.join(PIVOTS)}")
    granularity = _plain(query, "timeGranularity")
    if granularity not in GRANULARITIES:
        raise ValueError("Invalid value for param 'timeGranularity'")
    span = _restli(query, "dateRange")
    if not isinstance(span, dict) or "start" not in span:
        raise ValueError("param 'dateRange' with a start is required")
    start = _day(span["start"], "start")
    end = (
        _day(span["end"], "end") if "end" in span else datetime.fromtimestamp(call.now, UTC).date()
    )
    if end < start:
        raise ValueError("dateRange.end must not be before dateRange.start")
    accounts = _urns(_restli(query, "accounts"), ACCOUNT_URN, "accounts")
    campaigns = _urns(_restli(query, "campaigns"), CAMPAIGN_URN, "campaigns")
    if not accounts and not campaigns:
        raise ValueError("At least one facet (accounts, campaigns) is required")
    fields = [f for f in (_plain(query, "fields") or "impressions,clicks").split(",") if f]
    limit = _li(call).config.analytics_max_fields
    if len(fields) > limit:
        raise ValueError(f"Too many fields requested: {len(fields)}; the maximum is {limit}")
    for name in fields:
        if name not in FIELDS:
            raise ValueError(f"Invalid field '{name}' in param 'fields'")
    return {
        "pivot": pivot,
        "granularity": granularity,
        "start": start,
        "end": end,
        "accounts": accounts,
        "campaigns": campaigns,
        "fields": fields,
    }


async def ad_analytics(call: Call) -> Response:
    """``GET /rest/adAnalytics?q=analytics&pivot=…&timeGranularity=…&dateRange=(…)&…``: no
    paging; silently cut at ``analytics_max_elements``; days are UTC days."""
    query = _query(call)
    try:
        spec = _analytics_query(call, query)
    except ValueError as exc:
        return errors.bad_request(str(exc))
    with call.sandbox.lock:
        li = _li(call)
        ads = li.ads
        member = _member_urn(call)
        chosen = [
            c
            for c in sorted(ads.campaigns.values(), key=lambda c: int(c.id))
            if member in ads.accounts[c.account_id].roles  # no access: simply no rows
            and (not spec["accounts"] or c.account_id in spec["accounts"])
            and (not spec["campaigns"] or c.id in spec["campaigns"])
        ]
        groups: dict[str, list[SponsoredCampaign]] = {}
        for campaign in chosen:
            key = (
                campaign.urn
                if spec["pivot"] == "CAMPAIGN"
                else ads.accounts[campaign.account_id].urn
            )
            groups.setdefault(key, []).append(campaign)
        elements: list[dict[str, Any]] = []
        for first, last in _buckets(spec["start"], spec["end"], spec["granularity"]):
            for pivot, members in groups.items():
                total = AnalyticsRow()
                found = False
                day = first
                while day <= last:
                    for member_campaign in members:
                        row = ads.metrics.get((member_campaign.id, day))
                        if row is not None:
                            found = True
                            _add(total, row)
                    day += timedelta(days=1)
                if found:
                    currency = ads.accounts[members[0].account_id].currency
                    elements.append(_element(spec["fields"], total, pivot, (first, last), currency))
        elements = elements[: li.config.analytics_max_elements]
    return JSONResponse({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})


def _add(total: AnalyticsRow, row: AnalyticsRow) -> None:
    total.impressions += row.impressions
    total.clicks += row.clicks
    total.cost += row.cost
    total.conversions += row.conversions
    total.landing_page_clicks += row.landing_page_clicks
    total.leads += row.leads


# --- control API ----------------------------------------------------------------------------
ROW_KEYS = {
    "impressions": "impressions",
    "clicks": "clicks",
    "costInLocalCurrency": "cost",
    "externalWebsiteConversions": "conversions",
    "landingPageClicks": "landing_page_clicks",
    "oneClickLeads": "leads",
}
CAMPAIGN_KEYS = frozenset(
    ("id", "add", "account", "name", "status", "runSchedule", "dailyBudget", "totalBudget")
)


def member_ad_accounts(ads: LinkedInAds, member_urn: str) -> list[dict[str, Any]]:
    return [
        {
            "id": a.id,
            "urn": a.urn,
            "name": a.name,
            "currency": a.currency,
            "role": a.roles[member_urn],
        }
        for a in ads.member_accounts(member_urn)
    ]


def campaign_id(raw: Any) -> str:
    return str(raw).removeprefix(CAMPAIGN_URN)


def _decimal(value: Any, key: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{key} must be a decimal number") from exc
    if not result.is_finite() or result < 0:
        raise ValueError(f"{key} must be a non-negative decimal number")
    return result


def _budget(value: Any, key: str) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, dict) or "amount" not in value:
        raise ValueError(f'{key} must be {{"amount": "50.00"}} or null')
    return _decimal(value["amount"], f"{key}.amount")


def _ms(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"runSchedule.{key} must be epoch milliseconds or null")
    return value


def change_campaigns(ads: LinkedInAds, items: Any, now: float) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError("ad_campaigns must be a list of objects")
    now_ms = int(now * 1000)
    changed: list[SponsoredCampaign] = []
    for item in items:
        unknown = set(item) - CAMPAIGN_KEYS
        if unknown:
            raise ValueError(f"unknown ad campaign key {sorted(unknown)[0]!r}")
        campaign = ads.campaigns.get(campaign_id(item.get("id", "")))
        if campaign is None:
            if "id" in item and not item.get("add"):
                raise ValueError(f'unknown ad campaign {item["id"]!r} (add it with "add": true)')
            account = str(item.get("account", DEMO_ACCOUNT)).removeprefix(ACCOUNT_URN)
            if account not in ads.accounts:
                raise ValueError(f"unknown ad account {item.get('account')!r}")
            new_id = campaign_id(item["id"]) if "id" in item else ads.new_id()
            campaign = SponsoredCampaign(
                new_id, account, "Sandbox campaign", "DRAFT", now_ms, None, None, None,
                now_ms, now_ms,
            )  # fmt: skip
            ads.campaigns[campaign.id] = campaign
        if "name" in item:
            campaign.name = str(item["name"])
        if "status" in item:
            if item["status"] not in CAMPAIGN_STATUSES:
                raise ValueError(f"status must be one of {', '.join(CAMPAIGN_STATUSES)}")
            campaign.status = str(item["status"])
        if "runSchedule" in item:
            schedule = item["runSchedule"]
            if not isinstance(schedule, dict):
                raise ValueError("runSchedule must be {start, end}")
            if "start" in schedule:
                start = _ms(schedule["start"], "start")
                if start is None:
                    raise ValueError("runSchedule.start cannot be null")
                campaign.start_ms = start
            if "end" in schedule:
                campaign.end_ms = _ms(schedule["end"], "end")
        if "dailyBudget" in item:
            campaign.daily_budget = _budget(item["dailyBudget"], "dailyBudget")
        if "totalBudget" in item:
            campaign.total_budget = _budget(item["totalBudget"], "totalBudget")
        campaign.modified_ms = now_ms
        changed.append(campaign)
    return [campaign_json(ads, c, now_ms) for c in changed]


def set_daily_metrics(ads: LinkedInAds, raw_id: str, metrics: dict[str, Any]) -> Any:
    """``{"YYYY-MM-DD" (UTC day): {impressions, clicks, costInLocalCurrency,
    externalWebsiteConversions, landingPageClicks, oneClickLeads} | null}``."""
    campaign = ads.campaigns[campaign_id(raw_id)]
    for raw_day, value in metrics.items():
        try:
            day = date.fromisoformat(raw_day)
        except ValueError as exc:
            raise ValueError(f"metrics keys must be days (YYYY-MM-DD), not {raw_day!r}") from exc
        if value is None:
            ads.metrics.pop((campaign.id, day), None)
            continue
        if not isinstance(value, dict):
            raise ValueError(f"metrics[{raw_day!r}] must be an object or null")
        unknown = set(value) - set(ROW_KEYS)
        if unknown:
            raise ValueError(f"unknown metric {sorted(unknown)[0]!r}; use {list(ROW_KEYS)}")
        row = AnalyticsRow()
        for key, attr in ROW_KEYS.items():
            if key in value:
                if attr == "cost":
                    row.cost = _decimal(value[key], key)
                else:
                    setattr(row, attr, int(value[key]))
        ads.metrics[(campaign.id, day)] = row
    days = {
        day.isoformat(): {
            "impressions": row.impressions,
            "clicks": row.clicks,
            "costInLocalCurrency": _money(row.cost),
            "externalWebsiteConversions": row.conversions,
            "landingPageClicks": row.landing_page_clicks,
            "oneClickLeads": row.leads,
        }
        for (cid, day), row in sorted(ads.metrics.items(), key=lambda kv: kv[0][1])
        if cid == campaign.id
    }
    return {"id": campaign.urn, "days": days}
