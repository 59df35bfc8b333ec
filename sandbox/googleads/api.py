"""Google Ads API REST endpoints: customers:listAccessibleCustomers, googleAds:search and
googleAds:searchStream.

developers.google.com/google-ads/api/rest/common/search and …/reference/rpc/v25/
GoogleAdsService/Search: ``POST /{version}/customers/{customer_id}/googleAds:search`` with
``{"query", "pageToken"?}`` answers ``{"results": [GoogleAdsRow…], "fieldMask",
"nextPageToken"?}`` in fixed pages of 10,000 rows (setting ``pageSize`` is a
PAGE_SIZE_NOT_SUPPORTED error since v17); ``:searchStream`` answers a JSON array of batches
``{"results", "fieldMask", "requestId"}``. Rows are proto3 JSON: lowerCamelCase names, int64 as
strings, doubles as numbers, enums as names. ``login-customer-id`` names the manager through which
a client customer is reached; ``developer-token`` is accepted and ignored (developer tokens were
sunset on 2026-09-09, …/docs/api-policy/developer-token).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.network import Call
from sandbox.googleads import errors, gaql
from sandbox.googleads.errors import AdsError, AdsFailure
from sandbox.googleads.state import Campaign, Customer, GoogleAdsState, GoogleUser, PageToken

SEARCH_KEYS = frozenset({"query", "pageToken", "pageSize", "validateOnly", "searchSettings"})
STREAM_KEYS = frozenset({"query", "summaryRowSetting", "searchSettings"})
COMPATIBLE_NAMED = frozenset({"campaign", "campaign_budget", "customer", "customer_client"})


def _gs(call: Call) -> GoogleAdsState:
    return call.sandbox.net("googleads", GoogleAdsState)


def version_number(call: Call) -> int:
    return int(str(call.request.path_params.get("version", "v0"))[1:].split("_")[0] or 0)


def _user(call: Call, gs: GoogleAdsState) -> GoogleUser:
    assert call.principal is not None and call.principal.user_id is not None
    return gs.users[call.principal.user_id]


def _fail(call: Call, failure: AdsFailure, stream: bool = False) -> Response:
    gs = _gs(call)
    return errors.response(
        failure.http,
        str(call.request.path_params.get("version", "v0")),
        gs.request_id(),
        failure.errors,
        stream=stream,
    )


async def list_accessible_customers(call: Call) -> Response:
    with call.sandbox.lock:
        gs = _gs(call)
        user = _user(call, gs)
        names = [gs.customers[c].resource_name for c in user.customers if c in gs.customers]
        request_id = gs.request_id()
    body: dict[str, Any] = {"resourceNames": names} if names else {}
    return JSONResponse(body, headers={"request-id": request_id})


def _customer(call: Call, gs: GoogleAdsState, user: GoogleUser) -> Customer:
    """The customer in the path, checked against the user's access and login-customer-id."""
    cid = str(call.request.path_params["cid"])
    if not cid.isdigit():
        raise errors.request_error("INVALID_CUSTOMER_ID", "Customer ID is invalid.")
    login = call.request.headers.get("login-customer-id")
    if login is not None:
        login = login.strip()
        if not login.isdigit():
            raise AdsFailure(
                400,
                AdsError(
                    "headerError",
                    "INVALID_LOGIN_CUSTOMER_ID",
                    "The login customer ID could not be validated.",
                    login,
                ),
            )
        if login not in user.customers or login not in gs.customers:
            raise errors.permission_denied()
        if cid != login and cid not in gs.descendants(login):
            raise errors.permission_denied()
    elif cid not in user.customers:
        raise errors.permission_denied()
    customer = gs.customers.get(cid)
    if customer is None:
        raise errors.permission_denied()
    if customer.status != "ENABLED":
        raise errors.permission_denied(
            "CUSTOMER_NOT_ENABLED",
            "The customer account can't be accessed because it is not yet enabled or has been "
            "deactivated.",
        )
    return customer


async def _body(call: Call, allowed: frozenset[str]) -> dict[str, Any]:
    raw = await call.request.body()
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise _Invalid("Invalid JSON payload received. Unexpected token.") from exc
    if not isinstance(data, dict):
        raise _Invalid("Invalid JSON payload received. Expected an object.")
    for key in data:
        if key not in allowed:
            raise _Invalid(
                f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.'
            )
    return data


class _Invalid(Exception):
    """A body the JSON transcoder rejects before Google Ads sees it (no GoogleAdsFailure)."""


# --- rows --------------------------------------------------------------------------------------
def _campaign_values(campaign: Campaign, local_now: datetime) -> dict[str, Any]:
    primary, reasons = campaign.derived_primary(local_now)
    budget = campaign.budget
    cid = campaign.customer_id
    return {
        "campaign.resource_name": campaign.resource_name(),
        "campaign.id": int(campaign.id),
        "campaign.name": campaign.name,
        "campaign.status": campaign.status,
        "campaign.serving_status": campaign.derived_serving(local_now),
        "campaign.primary_status": primary,
        "campaign.primary_status_reasons": reasons,
        "campaign.advertising_channel_type": campaign.channel,
        "campaign.campaign_budget": f"customers/{cid}/campaignBudgets/{budget.id}",
        "campaign.start_date": date.fromisoformat(campaign.start_date()),
        "campaign.end_date": date.fromisoformat(campaign.end_date()),
        "campaign.start_date_time": campaign.start_date_time(),
        "campaign.end_date_time": campaign.end_date_time(),
        "campaign_budget.resource_name": f"customers/{cid}/campaignBudgets/{budget.id}",
        "campaign_budget.id": int(budget.id),
        "campaign_budget.amount_micros": budget.amount_micros,
        "campaign_budget.total_amount_micros": budget.total_amount_micros,
        "campaign_budget.period": budget.period,
        "campaign_budget.delivery_method": budget.delivery_method,
        "campaign_budget.status": budget.status,
    }


def _customer_values(customer: Customer, prefix: str = "customer") -> dict[str, Any]:
    return {
        f"{prefix}.resource_name": customer.resource_name,
        f"{prefix}.id": int(customer.id),
        f"{prefix}.descriptive_name": customer.descriptive_name,
        f"{prefix}.currency_code": customer.currency_code,
        f"{prefix}.time_zone": customer.time_zone,
        f"{prefix}.manager": customer.manager,
        f"{prefix}.test_account": customer.test_account,
        f"{prefix}.status": customer.status,
    }


def _metrics(rows: list[Any]) -> dict[str, Any]:
    return {
        "metrics.impressions": sum(r.impressions for r in rows),
        "metrics.clicks": sum(r.clicks for r in rows),
        "metrics.cost_micros": sum(r.cost_micros for r in rows),
        "metrics.conversions": sum((r.conversions for r in rows), Decimal(0)),
    }


def _entities(
    gs: GoogleAdsState, query: gaql.Query, customer: Customer, local_now: datetime
) -> Iterator[tuple[dict[str, Any], list[Campaign]]]:
    """(attribute values, campaigns whose metrics the row sums) per entity of the FROM resource."""
    base = _customer_values(customer)
    if query.resource == "campaign":
        for campaign in sorted(gs.campaigns.values(), key=lambda c: int(c.id)):
            if campaign.customer_id == customer.id:
                yield {**base, **_campaign_values(campaign, local_now)}, [campaign]
    elif query.resource == "customer":
        owned = [c for c in gs.campaigns.values() if c.customer_id == customer.id]
        yield base, owned
    else:
        for client, level in gs.hierarchy(customer.id):
            values = {**base, **_customer_values(client, "customer_client")}
            values["customer_client.resource_name"] = (
                f"customers/{customer.id}/customerClients/{client.id}"
            )
            values["customer_client.client_customer"] = client.resource_name
            values["customer_client.level"] = level
            yield values, []


def run(
    gs: GoogleAdsState, query: gaql.Query, customer: Customer, now: float
) -> list[dict[str, Any]]:
    """Every row (raw values by field name) the query yields, filtered, ordered and limited."""
    local_now = gs.local_now(customer, now)
    today = local_now.date()
    wants_metrics = bool(query.metrics) or query.by_date
    if customer.manager and query.metrics:
        raise errors.query_error(
            "REQUESTED_METRICS_FOR_MANAGER",
            "Metrics cannot be requested for a manager account. To retrieve metrics, issue "
            "separate requests against each client account under the manager account.",
        )
    date_conds = [c for c in query.where if c.field == "segments.date"]
    metric_conds = [c for c in query.where if gaql.FIELDS[c.field].is_metric]
    attr_conds = [c for c in query.where if c not in date_conds and c not in metric_conds]
    out: list[dict[str, Any]] = []
    for values, campaigns in _entities(gs, query, customer, local_now):
        if not all(gaql.matches(c, values.get(c.field), today) for c in attr_conds):
            continue
        if not wants_metrics:
            out.append(values)
            continue
        days: dict[date, list[Any]] = {}
        for campaign in campaigns:
            for day, row in gs.daily_rows(campaign, today).items():
                if all(gaql.matches(c, day, today) for c in date_conds):
                    days.setdefault(day, []).append(row)
        if query.by_date:
            for day in sorted(days):
                out.append({**values, **_metrics(days[day]), "segments.date": day})
        else:
            out.append({**values, **_metrics([r for rows in days.values() for r in rows])})
    out = [r for r in out if all(gaql.matches(c, r.get(c.field), today) for c in metric_conds)]
    for name, descending in reversed(query.order_by):
        present = [r for r in out if r.get(name) is not None]
        missing = [r for r in out if r.get(name) is None]
        present.sort(key=lambda r: _sort_key(r[name]), reverse=descending)
        out = present + missing
    if query.limit is not None:
        out = out[: query.limit]
    return out


def _sort_key(value: Any) -> Any:
    return str(value) if isinstance(value, list) else value


def _render_value(spec: gaql.FieldSpec, value: Any) -> Any:
    if spec.type == "INT64":
        return str(value)
    if spec.type == "DOUBLE":
        return float(value)
    if spec.type == "DATE":
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


def render(query: gaql.Query, row: dict[str, Any]) -> dict[str, Any]:
    """One GoogleAdsRow in REST JSON: selected fields plus each selected resource's name."""
    resources = [query.resource]
    for selected in query.select:
        if gaql.FIELDS[selected].resource not in resources:
            resources.append(gaql.FIELDS[selected].resource)
    names: list[str] = []
    for resource in resources:  # the FROM resource first, each with its resource name
        rn = f"{resource}.resource_name"
        if rn in gaql.FIELDS and (rn in query.select or resource in COMPATIBLE_NAMED):
            names.append(rn)
        names.extend(n for n in query.select if gaql.FIELDS[n].resource == resource and n != rn)
    out: dict[str, Any] = {}
    for name in names:
        value = row.get(name)
        if value is None or value == []:
            continue  # unset optional and empty repeated fields are left out (proto3 JSON)
        spec = gaql.FIELDS[name]
        head, _, rest = name.partition(".")
        node = out.setdefault(gaql.camel(head), {})
        node[gaql.camel(rest)] = _render_value(spec, value)
    return out


# --- search ------------------------------------------------------------------------------------
def _prepare(call: Call, gs: GoogleAdsState, body: dict[str, Any]) -> tuple[gaql.Query, Customer]:
    customer = _customer(call, gs, _user(call, gs))
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise errors.request_error("REQUIRED_FIELD_MISSING", "Required field is missing")
    return gaql.parse(text, version_number(call)), customer


def _encode_token(offset: int) -> str:
    raw = json.dumps({"o": offset, "n": secrets.token_hex(6)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def search(call: Call) -> Response:
    try:
        body = await _body(call, SEARCH_KEYS)
    except _Invalid as exc:
        return _invalid_json(call, str(exc))
    with call.sandbox.lock:
        gs = _gs(call)
        try:
            if "pageSize" in body:
                raise errors.request_error(
                    "PAGE_SIZE_NOT_SUPPORTED",
                    "Setting the page size is not supported, and will be unavailable in a "
                    "future version.",
                )
            query, customer = _prepare(call, gs, body)
            offset = 0
            token_value = body.get("pageToken")
            if token_value:
                token = gs.page_tokens.get(str(token_value))
                if token is None or token.customer_id != customer.id or token.query != query.text:
                    raise errors.request_error(
                        "INVALID_PAGE_TOKEN",
                        "Next page token specified in user request is invalid.",
                    )
                if call.now - token.created_at > gs.config.page_token_lifetime:
                    raise errors.request_error(
                        "EXPIRED_PAGE_TOKEN",
                        "Next page token specified in user request has expired.",
                    )
                offset = token.offset
            rows = [] if body.get("validateOnly") else run(gs, query, customer, call.now)
        except AdsFailure as failure:
            return _fail(call, failure)
        size = gs.config.page_size
        page = rows[offset : offset + size]
        answer: dict[str, Any] = {}
        if page:
            answer["results"] = [render(query, r) for r in page]
        if offset + size < len(rows):
            next_token = _encode_token(offset + size)
            gs.page_tokens[next_token] = PageToken(customer.id, query.text, offset + size, call.now)
            answer["nextPageToken"] = next_token
        settings = body.get("searchSettings")
        if isinstance(settings, dict) and settings.get("returnTotalResultsCount"):
            answer["totalResultsCount"] = str(len(rows))
        answer["fieldMask"] = query.field_mask()
        answer["queryResourceConsumption"] = str(max(1, len(page)))
        request_id = gs.request_id()
    return JSONResponse(answer, headers={"request-id": request_id})


async def search_stream(call: Call) -> Response:
    try:
        body = await _body(call, STREAM_KEYS)
    except _Invalid as exc:
        return _invalid_json(call, str(exc), stream=True)
    with call.sandbox.lock:
        gs = _gs(call)
        try:
            query, customer = _prepare(call, gs, body)
            rows = run(gs, query, customer, call.now)
        except AdsFailure as failure:
            return _fail(call, failure, stream=True)
        request_id = gs.request_id()
        size = gs.config.page_size
        batches: list[dict[str, Any]] = []
        for start in range(0, max(len(rows), 1), size):
            chunk = rows[start : start + size]
            batch: dict[str, Any] = {}
            if chunk:
                batch["results"] = [render(query, r) for r in chunk]
            batch["fieldMask"] = query.field_mask()
            batch["requestId"] = request_id
            batch["queryResourceConsumption"] = str(max(1, len(chunk)))
            batches.append(batch)
    return JSONResponse(batches, headers={"request-id": request_id})


def _invalid_json(call: Call, message: str, stream: bool = False) -> Response:
    with call.sandbox.lock:
        request_id = _gs(call).request_id()
    return errors.response(
        400,
        str(call.request.path_params.get("version", "v0")),
        request_id,
        message=message,
        stream=stream,
    )
