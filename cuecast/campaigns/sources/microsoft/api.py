"""HTTP plumbing shared by the connect flow and the connection: hosts, headers, JSON with Decimals.

REST v13 (learn.microsoft.com/en-us/advertising/guides/migrate-to-rest?view=bingads-13): every
operation is `POST {host}/{Service}/v13/{Entity}/{Verb}` with a PascalCase JSON body; the headers
are `Authorization: Bearer <token>`, `DeveloperToken`, and — for account-scoped calls —
`CustomerId` and `CustomerAccountId` (…/guides/get-started?view=bingads-13#request-headers).
Numbers are parsed as Decimal (money never passes through float).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from cuecast.campaigns.sources.microsoft import errors
from cuecast.config import Config

CUSTOMER_PATH = "/CustomerManagement/v13"
CAMPAIGN_PATH = "/CampaignManagement/v13"
REPORTING_PATH = "/Reporting/v13"


def customer_url(config: Config) -> str:
    """The Customer Management host (`clientcenter.api.bingads.microsoft.com`)."""
    return config.microsoft_ads_customer_url.rstrip("/")


def headers(
    config: Config, access_token: str, customer_id: str = "", account_id: str = ""
) -> dict[str, str]:
    out = {
        "Authorization": f"Bearer {access_token}",
        "DeveloperToken": config.microsoft_ads_developer_token,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    if customer_id:
        out["CustomerId"] = customer_id
    if account_id:
        out["CustomerAccountId"] = account_id
    return out


def parse_json(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        raise errors.unreadable() from None
    if not isinstance(body, dict):
        raise errors.unreadable()
    return body


async def post(
    http: httpx.AsyncClient, url: str, body: dict[str, Any], request_headers: dict[str, str]
) -> dict[str, Any]:
    """POST a REST operation; the parsed body, or a mapped NetworkError."""
    try:
        response = await http.post(url, content=json.dumps(body), headers=request_headers)
    except httpx.TransportError as exc:
        raise errors.from_transport(exc) from None
    if not 200 <= response.status_code < 300:
        raise errors.from_response(response)
    return parse_json(response)


def text(value: Any) -> str:
    """An id or name as a string (the REST models send longs as strings; tolerate numbers)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value)
    return str(value)
