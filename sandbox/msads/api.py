"""Campaign Management and Customer Management (REST, JSON, v13).

Campaign Management: ``POST /CampaignManagement/v13/Campaigns/QueryByAccountId``,
``.../Campaigns/QueryByIds`` and ``.../AdGroups/QueryByCampaignId``. Customer Management (host
clientcenter.api.bingads.microsoft.com): ``/CustomerManagement/v13/User/Query``,
``.../AccountsInfo/Query``, ``.../Accounts/Search``, ``.../Account/Query``.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.common.network import Call
from sandbox.msads import errors
from sandbox.msads.state import (
    CAMPAIGN_TYPES,
    DEVELOPER_TOKEN,
    AdAccount,
    AdGroup,
    Campaign,
    MsadsState,
    User,
)


def ms_state(call: Call) -> MsadsState:
    return call.sandbox.net("msads", MsadsState)


def caller(call: Call) -> User:
    assert call.principal is not None and call.principal.user_id is not None
    return ms_state(call).users[call.principal.user_id]


def developer_token_problem(call: Call) -> Response | None:
    value = call.request.headers.get("developertoken")
    if value is None or not value.strip():
        return errors.ad_api_fault(116, "DeveloperToken")
    if value.strip() != DEVELOPER_TOKEN:
        return errors.ad_api_fault(105)
    return None


def header_scope(call: Call, need_account: bool = True) -> tuple[str, str | None] | Response:
    """Check ``CustomerId`` and ``CustomerAccountId`` against the caller's customer and accounts."""
    ms = ms_state(call)
    user = caller(call)
    customer_id = call.request.headers.get("customerid", "").strip()
    account_id = call.request.headers.get("customeraccountid", "").strip()
    missing = [
        name
        for name, value, needed in (
            ("CustomerId", customer_id, need_account),
            ("CustomerAccountId", account_id, need_account),
        )
        if needed and not value
    ]
    if missing:
        return errors.ad_api_fault(116, ", ".join(missing))
    if customer_id and customer_id != user.customer_id:
        return errors.ad_api_fault(106)
    if account_id:
        account = ms.accounts.get(account_id)
        if account is None or account.customer_id != user.customer_id:
            return errors.ad_api_fault(106)
    return user.customer_id, account_id or None


async def json_body(call: Call) -> dict[str, Any] | Response:
    raw = await call.request.body()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return errors.ad_api_fault(201, "The request body is not valid JSON.")
    if not isinstance(data, dict):
        return errors.ad_api_fault(201, "The request body must be a JSON object.")
    return data


def split_flags(raw: Any) -> list[str]:
    """Flags enums: the REST SDK joins with commas, SOAP with spaces; a JSON array is tolerated."""
    if raw is None:
        return []
    if isinstance(raw, list):
        raw = " ".join(str(x) for x in raw)
    return [p for p in re.split(r"[,\s]+", str(raw)) if p]


def _iso(day: date | None) -> str | None:
    return None if day is None else f"{day.isoformat()}T00:00:00"


def _date_obj(day: date | None) -> dict[str, int] | None:
    return None if day is None else {"Day": day.day, "Month": day.month, "Year": day.year}


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    return {
        "AudienceAdsBidAdjustment": None,
        "BiddingScheme": {"Type": "EnhancedCpc"},
        "BudgetType": campaign.budget_type,
        "DailyBudget": float(campaign.daily_budget),
        "ExperimentId": None,
        "FinalUrlSuffix": None,
        "ForwardCompatibilityMap": [],
        "Id": campaign.id,
        "MultimediaAdsBidAdjustment": None,
        "Name": campaign.name,
        "Status": campaign.status,
        "SubType": None,
        "TimeZone": campaign.time_zone,
        "TrackingUrlTemplate": None,
        "UrlCustomParameters": None,
        "CampaignType": campaign.campaign_type,
        "Settings": [],
        "BudgetId": None,
        "Languages": ["All"],
        "StartDate": _iso(campaign.start_date),
        "EndDate": _iso(campaign.end_date),
        "UseCampaignLevelDates": campaign.use_campaign_level_dates,
    }


def ad_group_json(group: AdGroup) -> dict[str, Any]:
    return {
        "AdRotation": None,
        "BiddingScheme": {"Type": "InheritFromParent"},
        "CpcBid": {"Amount": 0.5},
        "EndDate": _date_obj(group.end_date),
        "Id": group.id,
        "Language": None,
        "Name": group.name,
        "Network": "OwnedAndOperatedAndSyndicatedSearch",
        "StartDate": _date_obj(group.start_date),
        "Status": group.status,
        "AdGroupType": "SearchStandard",
    }


def _account_for_body(call: Call, body: dict[str, Any], header_account: str | None) -> Any:
    account_id = str(body.get("AccountId") or "").strip()
    if not account_id:
        return errors.ad_api_fault(201, "AccountId")
    ms = ms_state(call)
    account = ms.accounts.get(account_id)
    if account is None or account.customer_id != caller(call).customer_id:
        return errors.ad_api_fault(106)
    if header_account is not None and header_account != account_id:
        return errors.ad_api_fault(106, "CustomerAccountId must match AccountId.")
    return account


def _types(body: dict[str, Any]) -> list[str] | Response:
    wanted = split_flags(body.get("CampaignType")) or ["Search"]  # the documented default
    unknown = [t for t in wanted if t not in CAMPAIGN_TYPES]
    if unknown:
        return errors.ad_api_fault(201, f"CampaignType: {unknown[0]}")
    return wanted


async def _scoped(call: Call) -> tuple[dict[str, Any], str | None] | Response:
    with call.sandbox.lock:
        scope = header_scope(call)
    if isinstance(scope, Response):
        return scope
    body = await json_body(call)
    if isinstance(body, Response):
        return body
    return body, scope[1]


async def campaigns_by_account(call: Call) -> Response:
    scoped = await _scoped(call)
    if isinstance(scoped, Response):
        return scoped
    body, header_account = scoped
    with call.sandbox.lock:
        account = _account_for_body(call, body, header_account)
        if isinstance(account, Response):
            return account
        wanted = _types(body)
        if isinstance(wanted, Response):
            return wanted
        rows = [
            campaign_json(c)
            for c in ms_state(call).account_campaigns(account.id)
            if c.campaign_type in wanted and c.status != "Deleted"
        ]
    return JSONResponse({"Campaigns": rows})


async def campaigns_by_ids(call: Call) -> Response:
    scoped = await _scoped(call)
    if isinstance(scoped, Response):
        return scoped
    body, header_account = scoped
    with call.sandbox.lock:
        account = _account_for_body(call, body, header_account)
        if isinstance(account, Response):
            return account
        wanted = _types(body)
        if isinstance(wanted, Response):
            return wanted
        ids = [str(i) for i in body.get("CampaignIds") or []]
        if not ids:
            return errors.api_fault(201, "CampaignIds")
        rows: list[dict[str, Any] | None] = []
        partial: list[dict[str, Any]] = []
        ms = ms_state(call)
        for index, campaign_id in enumerate(ids):
            campaign = ms.campaigns.get(campaign_id)
            if (
                campaign is None
                or campaign.account_id != account.id
                or campaign.status == "Deleted"
                or campaign.campaign_type not in wanted
            ):
                rows.append(None)
                name, message = errors.MESSAGES[1100]
                partial.append(
                    {"Code": 1100, "ErrorCode": name, "Message": message, "Index": index}
                )
            else:
                rows.append(campaign_json(campaign))
    return JSONResponse({"Campaigns": rows, "PartialErrors": partial})


async def ad_groups_by_campaign(call: Call) -> Response:
    scoped = await _scoped(call)
    if isinstance(scoped, Response):
        return scoped
    body, header_account = scoped
    with call.sandbox.lock:
        ms = ms_state(call)
        campaign = ms.campaigns.get(str(body.get("CampaignId") or ""))
        if (
            campaign is None
            or campaign.status == "Deleted"
            or (header_account is not None and campaign.account_id != header_account)
            or ms.accounts[campaign.account_id].customer_id != caller(call).customer_id
        ):
            return errors.api_fault(1100)
        rows = [
            ad_group_json(g)
            for g in ms.ad_groups.values()
            if g.campaign_id == campaign.id and g.status != "Deleted"
        ]
    return JSONResponse({"AdGroups": rows})


# --- Customer Management -----------------------------------------------------------------------
def account_json(account: AdAccount) -> dict[str, Any]:
    return {
        "BillToCustomerId": account.customer_id,
        "CurrencyCode": account.currency,
        "AccountFinancialStatus": "ClearFinancialStatus",
        "Id": account.id,
        "Language": "English",
        "LastModifiedByUserId": None,
        "LastModifiedTime": None,
        "Name": account.name,
        "Number": account.number,
        "ParentCustomerId": account.customer_id,
        "PaymentMethodId": None,
        "PaymentMethodType": None,
        "PrimaryUserId": None,
        "AccountLifeCycleStatus": "Active",
        "TimeStamp": None,
        "TimeZone": account.time_zone,
        "PauseReason": None,
        "ForwardCompatibilityMap": [],
        "LinkedAgencies": [],
        "SalesHouseCustomerId": None,
        "TaxInformation": None,
        "BackUpPaymentInstrumentId": None,
        "BillingThresholdAmount": None,
        "BusinessAddress": None,
        "AutoTagType": "Inactive",
        "SoldToPaymentInstrumentId": None,
        "TaxCertificate": None,
        "AccountMode": "Expert",
    }


async def _customer_scoped(call: Call) -> dict[str, Any] | Response:
    with call.sandbox.lock:
        scope = header_scope(call, need_account=False)
    if isinstance(scope, Response):
        return scope
    return await json_body(call)


async def get_user(call: Call) -> Response:
    body = await _customer_scoped(call)
    if isinstance(body, Response):
        return body
    with call.sandbox.lock:
        user = caller(call)
        wanted = body.get("UserId")
        if wanted not in (None, "", user.id):
            return errors.ad_api_fault(106)
        ms = ms_state(call)
        accounts = [a.id for a in ms.customer_accounts(user.customer_id)]
        first, _, last = user.name.partition(" ")
        return JSONResponse(
            {
                "User": {
                    "ContactInfo": {"Email": user.email},
                    "CustomerId": user.customer_id,
                    "Id": user.id,
                    "JobTitle": None,
                    "LastModifiedByUserId": None,
                    "LastModifiedTime": None,
                    "Lcid": "EnglishUS",
                    "Name": {"FirstName": first, "LastName": last, "MiddleInitial": None},
                    "Password": None,
                    "SecretAnswer": None,
                    "SecretQuestion": "None",
                    "TimeStamp": None,
                    "UserLifeCycleStatus": "Active",
                    "UserName": user.email,
                    "ForwardCompatibilityMap": [],
                    "AuthenticationToken": None,
                },
                "CustomerRoles": [
                    {
                        "RoleId": 41,
                        "CustomerId": user.customer_id,
                        "AccountIds": accounts,
                        "LinkedAccountIds": [],
                        "CustomerLinkPermission": None,
                    }
                ],
            }
        )


async def accounts_info(call: Call) -> Response:
    body = await _customer_scoped(call)
    if isinstance(body, Response):
        return body
    with call.sandbox.lock:
        user = caller(call)
        customer_id = str(body.get("CustomerId") or user.customer_id)
        if customer_id != user.customer_id:
            return errors.ad_api_fault(106)
        rows = [
            {
                "Id": a.id,
                "Name": a.name,
                "Number": a.number,
                "AccountLifeCycleStatus": "Active",
                "PauseReason": None,
            }
            for a in ms_state(call).customer_accounts(customer_id)
        ]
    return JSONResponse({"AccountsInfo": rows})


async def search_accounts(call: Call) -> Response:
    body = await _customer_scoped(call)
    if isinstance(body, Response):
        return body
    with call.sandbox.lock:
        user = caller(call)
        accounts = ms_state(call).customer_accounts(user.customer_id)
        for predicate in body.get("Predicates") or []:
            field_name = str(predicate.get("Field", ""))
            value = str(predicate.get("Value", ""))
            if field_name in ("UserId", "CustomerId") and value not in (user.id, user.customer_id):
                accounts = []
            elif field_name == "AccountId":
                accounts = [a for a in accounts if a.id == value]
        page = body.get("PageInfo") or {}
        index, size = int(page.get("Index", 0) or 0), int(page.get("Size", 100) or 100)
        rows = [account_json(a) for a in accounts[index * size : (index + 1) * size]]
    return JSONResponse({"Accounts": rows})


async def get_account(call: Call) -> Response:
    body = await _customer_scoped(call)
    if isinstance(body, Response):
        return body
    with call.sandbox.lock:
        account = ms_state(call).accounts.get(str(body.get("AccountId") or ""))
        if account is None or account.customer_id != caller(call).customer_id:
            return errors.ad_api_fault(106)
        return JSONResponse({"Account": account_json(account)})
