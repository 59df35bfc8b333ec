"""Meta Marketing API on the Facebook emulator's Graph: ad accounts, campaigns, ad sets,
insights (sync and async report runs), Business Use Case usage headers and throttling.

developers.facebook.com/docs/marketing-api (reference/ad-account, ad-campaign-group,
ad-campaign, insights, insights/best-practices, overview/rate-limiting,
documentation/ads-commerce/marketing-api/insights/error-codes) and ad_apis.md section 3.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.responses import JSONResponse, Response

from sandbox.common.network import Call
from sandbox.facebook.ads_insights import (
    RUN_FIELDS,
    TOO_MUCH_DATA,
    insight_rows,
    owner,
    parse_insights,
    run_json,
    run_state,
)
from sandbox.facebook.ads_state import (
    ADSET_EFFECTIVE,
    CAMPAIGN_EFFECTIVE,
    AdAccount,
    AdCampaign,
    AdSet,
    AdsState,
    ReportRun,
)
from sandbox.facebook.state import FacebookState, TokenInfo
from sandbox.meta.graph import (
    Params,
    graph_error,
    invalid_param,
    params_of,
    unsupported,
    usage_json,
)
from sandbox.meta.graph import UsageConfig as _UsageConfig

Handler = Callable[[Call], Awaitable[Response]]
ADS_SCOPES = ("ads_read", "ads_management")
ACCOUNT_FIELDS = (
    "id",
    "account_id",
    "name",
    "currency",
    "timezone_name",
    "timezone_offset_hours_utc",
    "account_status",
    "amount_spent",
)
CAMPAIGN_FIELDS = (
    "id",
    "account_id",
    "name",
    "status",
    "configured_status",
    "effective_status",
    "objective",
    "start_time",
    "stop_time",
    "daily_budget",
    "lifetime_budget",
    "budget_remaining",
    "buying_type",
    "special_ad_categories",
    "created_time",
    "updated_time",
)
ADSET_FIELDS = (
    "id",
    "account_id",
    "campaign_id",
    "name",
    "status",
    "configured_status",
    "effective_status",
    "start_time",
    "end_time",
    "daily_budget",
    "lifetime_budget",
    "budget_remaining",
)
THROTTLES: dict[int, tuple[str, int | None]] = {
    4: ("(#4) Application request limit reached", 1504022),
    17: ("(#17) User request limit reached", 2446079),
    613: ("(#613) Calls to this api have exceeded the rate limit.", 1487742),
    80000: (
        "There have been too many calls from this ad-account. Wait a bit and try again. For more "
        "info, please refer to https://developers.facebook.com/docs/graph-api/overview/"
        "rate-limiting#ads-insights.",
        None,
    ),
    80004: (
        "There have been too many calls to this ad-account. Wait a bit and try again. For more "
        "info, please refer to https://developers.facebook.com/docs/graph-api/overview/"
        "rate-limiting#ads-management.",
        None,
    ),
}
ADS_TEMPLATES = frozenset(
    (
        "/{version}/{id}/adaccounts",
        "/{version}/act_{account}",
        "/{version}/act_{account}/campaigns",
        "/{version}/act_{account}/adsets",
        "/{version}/act_{account}/insights",
        "/{version}/{id}/adsets",
    )
)


def _fs(call: Call) -> FacebookState:
    return call.sandbox.net("facebook", FacebookState)


def _info(call: Call) -> TokenInfo | None:
    if call.principal is None:
        return None
    return _fs(call).token_info.get(call.principal.token.value)


def no_permission() -> JSONResponse:
    return graph_error(
        "(#200) Ad account owner has NOT grant ads_management or ads_read permission", 200
    )


def _scoped(call: Call) -> bool:
    return call.principal is not None and any(s in call.principal.token.scopes for s in ADS_SCOPES)


def _visible(call: Call, account: AdAccount | None) -> bool:
    info = _info(call)
    return (
        account is not None
        and info is not None
        and info.kind == "user"
        and info.owner_id in account.users
    )


# --- formatting -----------------------------------------------------------------------------
def graph_time(ts: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%dT%H:%M:%S%z")


def _unknown_field(name: str, node: str) -> JSONResponse:
    return invalid_param(f"Tried accessing nonexisting field ({name}) on node type ({node})")


def _check_fields(fields: list[str], allowed: tuple[str, ...], node: str) -> JSONResponse | None:
    for name in fields:
        if name not in allowed:
            return _unknown_field(name, node)
    return None


def account_json(ads: AdsState, account: AdAccount, fields: list[str], now: float) -> Any:
    body: dict[str, Any] = {}
    for name in fields or ["account_id", "id"]:
        if name == "id":
            body["id"] = account.id
        elif name == "account_id":
            body["account_id"] = account.account_id
        elif name == "name":
            body["name"] = account.name
        elif name == "currency":
            body["currency"] = account.currency
        elif name == "timezone_name":
            body["timezone_name"] = account.timezone_name
        elif name == "timezone_offset_hours_utc":
            offset = datetime.fromtimestamp(now, account.zone).utcoffset() or timedelta()
            body["timezone_offset_hours_utc"] = offset.total_seconds() / 3600
        elif name == "account_status":
            body["account_status"] = account.account_status
        elif name == "amount_spent":  # minor units, like budgets
            total = sum(
                (r.spend for (cid, _), r in ads.metrics.items() if owner(ads, cid) == account),
                Decimal(0),
            )
            body["amount_spent"] = str(int(total * 100))
    body.setdefault("id", account.id)
    return body


def _spent_cents(ads: AdsState, campaign_id: str, since: date | None = None) -> int:
    total = sum(
        (
            r.spend
            for (cid, day), r in ads.metrics.items()
            if cid == campaign_id and (since is None or day >= since)
        ),
        Decimal(0),
    )
    return int(total * 100)


def campaign_json(
    ads: AdsState, campaign: AdCampaign, fields: list[str], now: float
) -> dict[str, Any]:
    zone = ads.accounts[campaign.account_id].zone
    body: dict[str, Any] = {}
    for name in fields or ["id"]:
        if name == "id":
            body["id"] = campaign.id
        elif name == "account_id":
            body["account_id"] = campaign.account_id
        elif name == "name":
            body["name"] = campaign.name
        elif name in ("status", "configured_status"):
            body[name] = campaign.status
        elif name == "effective_status":
            body["effective_status"] = campaign.effective_status
        elif name == "objective":
            body["objective"] = campaign.objective
        elif name == "start_time":
            body["start_time"] = graph_time(campaign.start_time, zone)
        elif name == "stop_time" and campaign.stop_time is not None:
            body["stop_time"] = graph_time(campaign.stop_time, zone)
        elif name == "daily_budget" and campaign.daily_budget is not None:
            body["daily_budget"] = str(campaign.daily_budget)
        elif name == "lifetime_budget" and campaign.lifetime_budget is not None:
            body["lifetime_budget"] = str(campaign.lifetime_budget)
        elif name == "budget_remaining":
            body["budget_remaining"] = str(_remaining(ads, campaign, now))
        elif name == "buying_type":
            body["buying_type"] = "AUCTION"
        elif name == "special_ad_categories":
            body["special_ad_categories"] = []
        elif name == "created_time":
            body["created_time"] = graph_time(campaign.created_time, zone)
        elif name == "updated_time":
            body["updated_time"] = graph_time(campaign.updated_time, zone)
    body.setdefault("id", campaign.id)
    return body


def _remaining(ads: AdsState, campaign: AdCampaign, now: float) -> int:
    if campaign.lifetime_budget is not None:
        return max(campaign.lifetime_budget - _spent_cents(ads, campaign.id), 0)
    if campaign.daily_budget is not None:
        today = datetime.fromtimestamp(now, ads.accounts[campaign.account_id].zone).date()
        return max(campaign.daily_budget - _spent_cents(ads, campaign.id, today), 0)
    return 0


def adset_effective(ads: AdsState, adset: AdSet) -> str:
    campaign = ads.campaigns.get(adset.campaign_id)
    if campaign is not None and campaign.status in ("DELETED", "ARCHIVED"):
        return campaign.status
    if campaign is not None and campaign.status == "PAUSED" and adset.status == "ACTIVE":
        return "CAMPAIGN_PAUSED"
    return adset.status


def adset_json(ads: AdsState, adset: AdSet, fields: list[str]) -> dict[str, Any]:
    zone = ads.accounts[adset.account_id].zone
    body: dict[str, Any] = {}
    for name in fields or ["id"]:
        if name == "id":
            body["id"] = adset.id
        elif name in ("account_id", "campaign_id", "name"):
            body[name] = getattr(adset, name)
        elif name in ("status", "configured_status"):
            body[name] = adset.status
        elif name == "effective_status":
            body["effective_status"] = adset_effective(ads, adset)
        elif name == "start_time":
            body["start_time"] = graph_time(adset.start_time, zone)
        elif name == "end_time" and adset.end_time is not None:
            body["end_time"] = graph_time(adset.end_time, zone)
        elif name in ("daily_budget", "lifetime_budget"):
            value = getattr(adset, name)
            body[name] = str(value or 0)  # ad sets answer "0" for the budget they do not use
        elif name == "budget_remaining":
            spent = _spent_cents(ads, adset.campaign_id)
            body["budget_remaining"] = str(max((adset.lifetime_budget or 0) - spent, 0))
    body.setdefault("id", adset.id)
    return body


# --- paging ---------------------------------------------------------------------------------
def _cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _uncursor(value: str) -> str:
    try:
        return base64.urlsafe_b64decode((value + "=" * (-len(value) % 4)).encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return ""


def _limit(params: Params, default: int = 25, most: int = 5000) -> int | JSONResponse:
    raw = params.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return invalid_param("Param limit must be an integer")
    return min(max(value, 1), most)


def paged(call: Call, items: list[tuple[str, dict[str, Any]]], default: int = 25) -> Response:
    """``{"data", "paging": {"cursors": {before, after}, "next"}}`` over (key, json) pairs."""
    params = params_of(call)
    limit = _limit(params, default)
    if isinstance(limit, JSONResponse):
        return limit
    keys = [k for k, _ in items]
    start = 0
    after = params.get("after")
    before = params.get("before")
    if after:
        key = _uncursor(after)
        start = keys.index(key) + 1 if key in keys else len(items)
    elif before:
        key = _uncursor(before)
        end = keys.index(key) if key in keys else 0
        start = max(end - limit, 0)
    chunk = items[start : start + limit]
    body: dict[str, Any] = {"data": [j for _, j in chunk]}
    if chunk:
        paging: dict[str, Any] = {
            "cursors": {"before": _cursor(chunk[0][0]), "after": _cursor(chunk[-1][0])}
        }
        if start + limit < len(items):
            query = {k: v for k, v in call.request.query_params.items() if k != "before"}
            query["after"] = _cursor(chunk[-1][0])
            query["limit"] = str(limit)
            base = str(call.request.url).split("?")[0]
            paging["next"] = f"{base}?{urlencode(query)}"
        if start > 0:
            query = {k: v for k, v in call.request.query_params.items() if k != "after"}
            query["before"] = _cursor(chunk[0][0])
            base = str(call.request.url).split("?")[0]
            paging["previous"] = f"{base}?{urlencode(query)}"
        body["paging"] = paging
    return JSONResponse(body)


def _status_filter(params: Params, allowed: tuple[str, ...]) -> list[str] | JSONResponse:
    wanted = params.list_param("effective_status")
    for index, value in enumerate(wanted):
        if value not in allowed:
            return invalid_param(
                f"Param effective_status[{index}] must be one of {{{', '.join(allowed)}}}"
            )
    return wanted


# --- account-level endpoints ----------------------------------------------------------------
def _account_call(call: Call) -> tuple[AdAccount | None, JSONResponse | None]:
    raw = "act_" + str(call.request.path_params.get("account", ""))
    if not _scoped(call):
        return None, no_permission()
    account = _fs(call).ads.account(raw)
    if account is None or not _visible(call, account):
        return None, unsupported(call.request.method, raw)
    return account, None


async def adaccounts(call: Call) -> Response:
    """``GET /me/adaccounts`` (a user token with ads_read or ads_management)."""
    info = _info(call)
    object_id = call.request.path_params["id"]
    if info is None or info.kind != "user" or object_id not in ("me", info.owner_id):
        return unsupported("GET", object_id)
    if not _scoped(call):
        return no_permission()
    fields = params_of(call).fields()
    bad = _check_fields(fields, ACCOUNT_FIELDS, "AdAccount")
    if bad is not None:
        return bad
    with call.sandbox.lock:
        ads = _fs(call).ads
        items = [
            (a.id, account_json(ads, a, fields, call.now)) for a in ads.user_accounts(info.owner_id)
        ]
    return paged(call, items)


async def get_account(call: Call) -> Response:
    fields = params_of(call).fields()
    with call.sandbox.lock:
        account, problem = _account_call(call)
        if problem is not None or account is None:
            return problem or unsupported("GET", "")
        bad = _check_fields(fields, ACCOUNT_FIELDS, "AdAccount")
        if bad is not None:
            return bad
        return JSONResponse(account_json(_fs(call).ads, account, fields, call.now))


def _list_campaigns(call: Call, ads: AdsState, account: AdAccount) -> Response:
    params = params_of(call)
    fields = params.fields()
    bad = _check_fields(fields, CAMPAIGN_FIELDS, "Campaign")
    if bad is not None:
        return bad
    wanted = _status_filter(params, CAMPAIGN_EFFECTIVE)
    if isinstance(wanted, JSONResponse):
        return wanted
    campaigns = sorted(
        (c for c in ads.campaigns.values() if c.account_id == account.account_id),
        key=lambda c: c.id,
        reverse=True,
    )
    if wanted:
        campaigns = [c for c in campaigns if c.effective_status in wanted]
    else:  # by default Meta leaves out deleted and archived objects
        campaigns = [c for c in campaigns if c.effective_status not in ("DELETED", "ARCHIVED")]
    return paged(call, [(c.id, campaign_json(ads, c, fields, call.now)) for c in campaigns])


async def campaigns(call: Call) -> Response:
    with call.sandbox.lock:
        account, problem = _account_call(call)
        if problem is not None or account is None:
            return problem or unsupported("GET", "")
        return _list_campaigns(call, _fs(call).ads, account)


def _list_adsets(call: Call, ads: AdsState, sets: list[AdSet]) -> Response:
    params = params_of(call)
    fields = params.fields()
    bad = _check_fields(fields, ADSET_FIELDS, "AdSet")
    if bad is not None:
        return bad
    wanted = _status_filter(params, ADSET_EFFECTIVE)
    if isinstance(wanted, JSONResponse):
        return wanted
    chosen = sorted(sets, key=lambda s: s.id, reverse=True)
    if wanted:
        chosen = [s for s in chosen if adset_effective(ads, s) in wanted]
    else:
        chosen = [s for s in chosen if adset_effective(ads, s) not in ("DELETED", "ARCHIVED")]
    return paged(call, [(s.id, adset_json(ads, s, fields)) for s in chosen])


async def account_adsets(call: Call) -> Response:
    with call.sandbox.lock:
        account, problem = _account_call(call)
        if problem is not None or account is None:
            return problem or unsupported("GET", "")
        ads = _fs(call).ads
        sets = [s for s in ads.adsets.values() if s.account_id == account.account_id]
        return _list_adsets(call, ads, sets)


async def campaign_adsets(call: Call) -> Response:
    object_id = call.request.path_params["id"]
    with call.sandbox.lock:
        ads = _fs(call).ads
        campaign = ads.campaigns.get(object_id)
        if campaign is None or not _visible(call, ads.accounts.get(campaign.account_id)):
            return unsupported("GET", object_id)
        if not _scoped(call):
            return no_permission()
        sets = [s for s in ads.adsets.values() if s.campaign_id == campaign.id]
        return _list_adsets(call, ads, sets)


def _rows_response(call: Call, rows: list[dict[str, Any]]) -> Response:
    items = [(str(i), row) for i, row in enumerate(rows)]
    return paged(call, items)


async def account_insights(call: Call) -> Response:
    """Sync ``GET /act_{id}/insights``."""
    with call.sandbox.lock:
        fs = _fs(call)
        account, problem = _account_call(call)
        if problem is not None or account is None:
            return problem or unsupported("GET", "")
        query = parse_insights(call, fs.ads, account, None)
        if isinstance(query, JSONResponse):
            return query
        rows = insight_rows(fs.ads, query)
        if len(rows) > fs.config.insights_max_rows:
            return graph_error(TOO_MUCH_DATA, 100, subcode=1487534)
    return _rows_response(call, rows)


async def create_report_run(call: Call) -> Response:
    """Async ``POST /act_{id}/insights`` → ``{"report_run_id"}``."""
    with call.sandbox.lock:
        fs = _fs(call)
        account, problem = _account_call(call)
        if problem is not None or account is None:
            return problem or unsupported("POST", "")
        query = parse_insights(call, fs.ads, account, None)
        if isinstance(query, JSONResponse):
            return query
        run = ReportRun(
            id=fs.ads.ids.next(), account_id=account.account_id, params=query, created_at=call.now
        )
        fs.ads.runs[run.id] = run
    return JSONResponse({"report_run_id": run.id})


# --- generic nodes: dispatch to ad objects or fall back to the Pages handlers ----------------
def _ad_object(call: Call) -> tuple[AdsState, str] | None:
    object_id = str(call.request.path_params.get("id", ""))
    ads = _fs(call).ads
    return (ads, object_id) if ads.is_ad_object(object_id) else None


def is_ads_call(call: Call) -> bool:
    if call.endpoint.template in ADS_TEMPLATES:
        return True
    with call.sandbox.lock:
        return _ad_object(call) is not None


def get_object_or(fallback: Handler) -> Handler:
    async def get_object(call: Call) -> Response:
        with call.sandbox.lock:
            found = _ad_object(call)
            if found is not None:
                ads, object_id = found
                fs = _fs(call)
                if not _visible(call, ads.account_of(object_id)):
                    return unsupported("GET", object_id)
                if not _scoped(call):
                    return no_permission()
                fields = params_of(call).fields()
                if object_id in ads.runs:
                    bad = _check_fields(fields, RUN_FIELDS, "AdReportRun")
                    return bad or JSONResponse(run_json(fs, ads.runs[object_id], fields, call.now))
                if object_id in ads.campaigns:
                    bad = _check_fields(fields, CAMPAIGN_FIELDS, "Campaign")
                    return bad or JSONResponse(
                        campaign_json(ads, ads.campaigns[object_id], fields, call.now)
                    )
                bad = _check_fields(fields, ADSET_FIELDS, "AdSet")
                return bad or JSONResponse(adset_json(ads, ads.adsets[object_id], fields))
        return await fallback(call)

    return get_object


def insights_or(fallback: Handler, scope: str) -> Handler:
    """``/{run}/insights`` and ``/{campaign}/insights``; other ids go to the Pages handler, which
    needs ``scope``."""

    async def insights(call: Call) -> Response:
        with call.sandbox.lock:
            found = _ad_object(call)
            if found is not None:
                return _object_insights(call, *found)
        if call.principal is None or scope not in call.principal.token.scopes:
            return graph_error("(#10) Application does not have permission for this action", 10)
        return await fallback(call)

    return insights


def _object_insights(call: Call, ads: AdsState, object_id: str) -> Response:
    fs = _fs(call)
    account = ads.account_of(object_id)
    if account is None or not _visible(call, account):
        return unsupported("GET", object_id)
    if not _scoped(call):
        return no_permission()
    run = ads.runs.get(object_id)
    if run is not None:
        if run.rows is None:
            status, _ = run_state(fs, run)
            return invalid_param(
                f"Report run {run.id} is not complete (async_status: {status}); poll it first"
            )
        return _rows_response(call, run.rows)
    campaign = ads.campaigns.get(object_id)
    if campaign is None:
        return invalid_param("Insights of ad sets are not emulated; ask the campaign")
    query = parse_insights(call, ads, account, campaign)
    if isinstance(query, JSONResponse):
        return query
    rows = insight_rows(ads, query)
    if len(rows) > fs.config.insights_max_rows:
        return graph_error(TOO_MUCH_DATA, 100, subcode=1487534)
    return _rows_response(call, rows)


# --- usage headers and throttling -----------------------------------------------------------
def _call_accounts(call: Call) -> tuple[list[AdAccount], str]:
    ads = _fs(call).ads
    template = call.endpoint.template
    kind = "ads_insights" if template.endswith("/insights") else "ads_management"
    raw = call.request.path_params.get("account")
    if raw is not None:
        found = ads.account(str(raw))
        return ([found] if found else []), kind
    object_id = str(call.request.path_params.get("id", ""))
    if template.endswith("/adaccounts"):
        info = _info(call)
        return (ads.user_accounts(info.owner_id) if info else []), kind
    if object_id in ads.runs:
        kind = "ads_insights"
    found = ads.account_of(object_id)
    return ([found] if found else []), kind


def rate_limit(call: Call, burst: bool) -> bool:
    """Business Use Case usage per ad account and type; the Graph app limits do not apply."""
    fs = _fs(call)
    cfg = _UsageConfig(
        call_budget=fs.config.ads_call_budget, window_seconds=fs.config.usage_window_seconds
    )
    accounts, kind = _call_accounts(call)
    now = call.now
    header: dict[str, list[dict[str, Any]]] = {}
    throttled = False
    for account in accounts:
        key = ("ads", account.account_id, kind)
        pct, hit = fs.usage.hit(key, now, cfg, burst)
        throttled = throttled or hit
        regain = fs.usage.regain_minutes(key, now, cfg)
        entry: dict[str, Any] = {
            "type": kind,
            **usage_json(pct, cfg),
            "estimated_time_to_regain_access": regain,
            "ads_api_access_tier": "development_access",
        }
        header[account.account_id] = [entry]
        call.headers["x-ad-account-usage"] = json.dumps(
            {
                "acc_id_util_pct": pct,
                "reset_time_duration": 60 * regain,
                "ads_api_access_tier": "development_access",
            },
            separators=(",", ":"),
        )
    if not accounts and burst:
        throttled = True
    call.headers["x-business-use-case-usage"] = json.dumps(header, separators=(",", ":"))
    code = fs.config.ads_throttle_code or (80000 if kind == "ads_insights" else 80004)
    call.request.state.ads_throttle = code
    return throttled


def throttled(call: Call) -> Response:
    code = int(getattr(call.request.state, "ads_throttle", 80004))
    message, subcode = THROTTLES.get(code, (f"(#{code}) Request limit reached", None))
    return graph_error(
        message,
        code,
        subcode=subcode,
        status=_fs(call).config.throttle_status,
        transient=True,
    )
