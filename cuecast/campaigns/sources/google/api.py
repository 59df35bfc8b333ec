"""Google Ads REST plumbing: headers, `googleAds:search` with paging, and reading its JSON.

REST (developers.google.com/google-ads/api/rest/overview, …/rest/common/search): a query is
`POST {api}/{version}/customers/{id}/googleAds:search` with `{"query": GAQL, "pageToken"?}`; an
answer holds `results[]` and, while more remain, `nextPageToken` (pages are a fixed 10,000 rows;
`pageSize` is no longer accepted). Rows use proto3 JSON: lowerCamelCase names, int64 as strings
("amountMicros": "50000000"), doubles as numbers, enums as their names. Bodies are parsed with
`parse_float=Decimal`, so no money or conversion value ever passes through a float.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from cuecast.campaigns.sources.google import errors
from cuecast.config import Config
from cuecast.networks.errors import Permanent

MAX_PAGES = 200  # 2 million rows: far beyond any account; stops a token that never ends
OPEN_END_DATE = date(2037, 12, 30)  # v22 and earlier: "runs indefinitely"
SCOPE = "https://www.googleapis.com/auth/adwords"


def base_url(config: Config) -> str:
    return f"{config.google_ads_api_url.rstrip('/')}/{config.google_ads_api_version}"


def headers(
    config: Config, access_token: str, *, login_customer_id: str | None = None
) -> dict[str, str]:
    """Bearer token; `login-customer-id` when the customer is reached through a manager;
    `developer-token` only when one is configured: since the developer-token sunset
    (2026-09-09) access belongs to the Cloud project that owns the OAuth client, and the header
    is optional and ignored (developers.google.com/google-ads/api/docs/api-policy/developer-token)."""
    result = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    if config.google_ads_developer_token:
        result["developer-token"] = config.google_ads_developer_token
    if login_customer_id:
        result["login-customer-id"] = login_customer_id
    return result


def parse_json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        raise Permanent(
            "Google Ads answered with something Cuecast cannot read.", code="bad_body"
        ) from None


def json_object(response: httpx.Response) -> dict[str, Any]:
    body = parse_json(response)
    if not isinstance(body, dict):
        raise Permanent("Google Ads answered with something Cuecast cannot read.", code="bad_body")
    return body


async def send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    refreshable: bool,
    json_body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One call; the parsed JSON object or a mapped NetworkError."""
    try:
        response = await http.request(method, url, headers=headers, json=json_body)
    except httpx.TransportError as exc:
        raise errors.from_transport(exc) from None
    if response.status_code != 200:
        raise errors.from_response(response, refreshable=refreshable)
    return json_object(response)


async def search(
    http: httpx.AsyncClient,
    config: Config,
    customer_id: str,
    query: str,
    *,
    headers: dict[str, str],
    refreshable: bool,
) -> list[dict[str, Any]]:
    """Every row a GAQL query yields, following `nextPageToken` page by page."""
    url = f"{base_url(config)}/customers/{customer_id}/googleAds:search"
    rows: list[dict[str, Any]] = []
    token: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        body: dict[str, Any] = {"query": query}
        if token:
            body["pageToken"] = token
        page = await send(
            http, "POST", url, headers=headers, refreshable=refreshable, json_body=body
        )
        results = page.get("results")
        if isinstance(results, list):
            rows.extend(r for r in results if isinstance(r, dict))
        next_token = page.get("nextPageToken")
        if not isinstance(next_token, str) or not next_token or next_token in seen:
            return rows
        seen.add(next_token)
        token = next_token
    return rows


# --- reading rows ---------------------------------------------------------------------------


def field(row: dict[str, Any], path: str) -> Any:
    """`field(row, "campaignBudget.amountMicros")`; None when any step is missing."""
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def text(row: dict[str, Any], path: str) -> str:
    value = field(row, path)
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def integer(value: Any) -> int:
    """An int64 (a JSON string in proto3 JSON, or a number); 0 when absent."""
    if value is None or isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise Permanent(f"Google Ads sent “{value}” where a whole number belongs.", code="bad_body")


def micros(value: Any) -> Decimal | None:
    """Micros (an int64 string) → major units, exactly: "12345678" → Decimal("12.345678")."""
    if value is None:
        return None
    return Decimal(integer(value)).scaleb(-6)


def decimal(value: Any) -> Decimal:
    """A double (parsed as Decimal, or an int, or a string) → Decimal; 0 when absent."""
    if value is None or isinstance(value, bool):
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise Permanent(
            f"Google Ads sent “{value}” where a number belongs.", code="bad_body"
        ) from None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Permanent(
            f"Google Ads named a time zone Cuecast does not know: “{name}”.", code="bad_timezone"
        ) from None


def _parse(value: str) -> datetime | date | None:
    value = value.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        if len(value) != 19 or value[10] != " ":
            raise ValueError(value)
        return datetime.fromisoformat(value)  # "yyyy-MM-dd HH:mm:ss", naive: zone added later
    except ValueError:
        raise Permanent(
            f"Google Ads sent a date Cuecast cannot read: “{value}”.", code="bad_date"
        ) from None


def start_at(value: str, tz: ZoneInfo) -> datetime | None:
    """A campaign start in the customer's zone: a date means 00:00 that day."""
    parsed = _parse(value) if value else None
    if parsed is None:
        return None
    if isinstance(parsed, datetime):
        return parsed.replace(tzinfo=tz)
    return datetime.combine(parsed, time(0), tz)


def end_at(value: str, tz: ZoneInfo) -> datetime | None:
    """A campaign end in the customer's zone, as the first moment it no longer serves.

    A date ("2026-12-31", v22 and earlier) is the last day: the end is 00:00 the next day; the
    open-ended 2037-12-30 means none. A date-time ending 23:59:59 is Google's "daily granularity"
    end (v23+: "Set the time component to 23:59:59 for daily granularity"): also 00:00 the next
    day, so both generations give the same instant for the same flight."""
    parsed = _parse(value) if value else None
    if parsed is None:
        return None
    if isinstance(parsed, datetime):
        if parsed.time() == time(23, 59, 59):
            return datetime.combine(parsed.date() + timedelta(days=1), time(0), tz)
        return parsed.replace(tzinfo=tz)
    if parsed >= OPEN_END_DATE:
        return None
    return datetime.combine(parsed + timedelta(days=1), time(0), tz)
