"""The Google Ads API emulator over real HTTP: OAuth, accounts, GAQL search/searchStream, errors,
faults and the control API."""

# ruff: noqa: S608  (GAQL strings, not SQL)

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from sandbox.testing import RunningSandbox
from tests.sandbox.sandbox_test_helpers import bearer, query_of

ADWORDS = "https://www.googleapis.com/auth/adwords"
DEMO_CID = "5550001001"
MANAGER_CID = "5550009009"
CLIENT_CID = "5550003003"
REDIRECT = "http://127.0.0.1:9/callback"


def _berlin_today() -> date:
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


def _token(sb: RunningSandbox, user: str = "demo") -> str:
    token: str = sb.control.tokens("googleads", user)["access_token"]
    return token


def _search(
    http: httpx.Client,
    sb: RunningSandbox,
    query: str,
    *,
    version: str = "v23",
    cid: str = DEMO_CID,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    stream: bool = False,
    **body: Any,
) -> httpx.Response:
    method = "searchStream" if stream else "search"
    return http.post(
        f"{sb.url}/googleads/{version}/customers/{cid}/googleAds:{method}",
        headers={**bearer(token or _token(sb)), **(headers or {})},
        json={"query": query, **body},
    )


def _ads_error(response: httpx.Response) -> tuple[str, str]:
    data = response.json()
    envelope = data[0]["error"] if isinstance(data, list) else data["error"]
    failure = envelope["details"][0]
    assert failure["@type"].endswith("errors.GoogleAdsFailure")
    assert failure["requestId"]
    ((category, value),) = failure["errors"][0]["errorCode"].items()
    return category, value


# --- OAuth --------------------------------------------------------------------------------------
def _consent(
    http: httpx.Client, sb: RunningSandbox, user: str = "demo", **extra: str
) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "cuecast-sandbox",
        "redirect_uri": REDIRECT,
        "scope": ADWORDS,
        "state": "s1",
        **extra,
    }
    page = http.get(f"{sb.url}/googleads/oauth/authorize", params=params)
    assert page.status_code == 200
    assert "Dana Demo" in page.text and ADWORDS in page.text
    answer = http.post(
        f"{sb.url}/googleads/oauth/authorize",
        data={**params, "user": user, "decision": "authorize"},
    )
    assert answer.status_code == 302
    return query_of(answer.headers["location"])


def _exchange(http: httpx.Client, sb: RunningSandbox, code: str) -> httpx.Response:
    return http.post(
        f"{sb.url}/googleads/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "cuecast-sandbox",
            "client_secret": "cuecast-sandbox-secret",
        },
    )


def test_oauth_offline_consent_gives_refresh_token_and_refresh_keeps_it(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    back = _consent(http, sb, access_type="offline", prompt="consent")
    assert back["state"] == "s1"
    token = _exchange(http, sb, back["code"])
    assert token.status_code == 200
    body = token.json()
    assert body["expires_in"] == 3599
    assert body["token_type"] == "Bearer"
    assert body["scope"] == ADWORDS
    assert body["refresh_token"]
    # a code is single-use
    assert _exchange(http, sb, back["code"]).json()["error"] == "invalid_grant"

    refreshed = http.post(
        f"{sb.url}/googleads/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        auth=("cuecast-sandbox", "cuecast-sandbox-secret"),
    )
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json()
    listed = http.get(
        f"{sb.url}/googleads/v23/customers:listAccessibleCustomers",
        headers=bearer(refreshed.json()["access_token"]),
    )
    assert listed.json() == {"resourceNames": [f"customers/{DEMO_CID}"]}


def test_oauth_refresh_token_only_on_first_offline_consent_or_prompt_consent(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    online = _exchange(http, sb, _consent(http, sb)["code"]).json()
    assert "refresh_token" not in online
    first = _exchange(http, sb, _consent(http, sb, access_type="offline")["code"]).json()
    assert "refresh_token" in first
    again = _exchange(http, sb, _consent(http, sb, access_type="offline")["code"]).json()
    assert "refresh_token" not in again
    forced = _exchange(
        http, sb, _consent(http, sb, access_type="offline", prompt="consent")["code"]
    ).json()
    assert "refresh_token" in forced


def test_oauth_cancel_bad_client_and_bad_secret(sb: RunningSandbox, http: httpx.Client) -> None:
    params = {
        "response_type": "code",
        "client_id": "cuecast-sandbox",
        "redirect_uri": REDIRECT,
        "scope": ADWORDS,
        "state": "s2",
    }
    cancelled = http.post(
        f"{sb.url}/googleads/oauth/authorize", data={**params, "decision": "cancel"}
    )
    assert query_of(cancelled.headers["location"]) == {"error": "access_denied", "state": "s2"}
    bad = http.get(f"{sb.url}/googleads/oauth/authorize", params={**params, "client_id": "nope"})
    assert bad.status_code == 400 and "invalid_client" in bad.text
    code = _consent(http, sb)["code"]
    wrong = http.post(
        f"{sb.url}/googleads/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "cuecast-sandbox",
            "client_secret": "wrong",
        },
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


# --- accounts --------------------------------------------------------------------------------
def test_list_accessible_customers_and_developer_token_optional(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    url = f"{sb.url}/googleads/v22/customers:listAccessibleCustomers"
    demo = http.get(url, headers={**bearer(_token(sb)), "developer-token": "legacy-token"})
    assert demo.status_code == 200
    assert demo.json() == {"resourceNames": [f"customers/{DEMO_CID}"]}
    assert demo.headers["request-id"]
    agency = http.get(url, headers=bearer(_token(sb, "agency")))
    assert agency.json() == {"resourceNames": [f"customers/{MANAGER_CID}"]}
    missing = http.get(url)
    assert missing.status_code == 401
    assert missing.json()["error"]["status"] == "UNAUTHENTICATED"
    invalid = http.get(url, headers=bearer("not-a-token"))
    assert invalid.status_code == 401
    assert _ads_error(invalid) == ("authenticationError", "OAUTH_TOKEN_INVALID")


def test_manager_reaches_client_only_with_login_customer_id(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    token = _token(sb, "agency")
    query = "SELECT campaign.id, campaign.name FROM campaign"
    denied = _search(http, sb, query, cid=CLIENT_CID, token=token)
    assert denied.status_code == 403
    assert _ads_error(denied) == ("authorizationError", "USER_PERMISSION_DENIED")
    ok = _search(
        http, sb, query, cid=CLIENT_CID, token=token, headers={"login-customer-id": MANAGER_CID}
    )
    assert ok.status_code == 200
    assert [r["campaign"]["id"] for r in ok.json()["results"]] == ["22000000301"]
    bad_header = _search(
        http, sb, query, cid=CLIENT_CID, token=token, headers={"login-customer-id": "555-000-9009"}
    )
    assert _ads_error(bad_header) == ("headerError", "INVALID_LOGIN_CUSTOMER_ID")
    clients = _search(
        http,
        sb,
        "SELECT customer_client.id, customer_client.level, customer_client.manager, "
        "customer_client.time_zone FROM customer_client WHERE customer_client.manager = FALSE",
        cid=MANAGER_CID,
        token=token,
    )
    assert [r["customerClient"] for r in clients.json()["results"]] == [
        {
            "resourceName": f"customers/{MANAGER_CID}/customerClients/{CLIENT_CID}",
            "id": CLIENT_CID,
            "level": "1",
            "manager": False,
            "timeZone": "America/New_York",
        }
    ]
    metrics = _search(
        http, sb, "SELECT customer.id, metrics.clicks FROM customer", cid=MANAGER_CID, token=token
    )
    assert _ads_error(metrics) == ("queryError", "REQUESTED_METRICS_FOR_MANAGER")
    other = _search(http, sb, query, cid="5550002002")
    assert _ads_error(other) == ("authorizationError", "USER_PERMISSION_DENIED")


# --- GAQL ------------------------------------------------------------------------------------
CAMPAIGN_FIELDS = (
    "campaign.id, campaign.name, campaign.status, campaign.primary_status, "
    "campaign.serving_status, campaign.advertising_channel_type, "
    "campaign_budget.amount_micros, campaign_budget.total_amount_micros, campaign_budget.period"
)


def test_campaign_dates_follow_the_api_version(sb: RunningSandbox, http: httpx.Client) -> None:
    old = _search(
        http,
        sb,
        f"SELECT {CAMPAIGN_FIELDS}, campaign.start_date, campaign.end_date FROM campaign "
        "WHERE campaign.id = 22000000104",
        version="v22",
    )
    assert old.status_code == 200, old.text
    (row,) = old.json()["results"]
    start = (_berlin_today() - timedelta(days=120)).isoformat()
    assert row["campaign"]["startDate"] == start
    assert row["campaign"]["endDate"] == "2037-12-30"
    assert row["campaign"]["id"] == "22000000104"
    assert row["campaignBudget"]["amountMicros"] == "20000000"
    assert row["campaign"]["primaryStatus"] == "LIMITED"

    new = _search(
        http,
        sb,
        f"SELECT {CAMPAIGN_FIELDS}, campaign.start_date_time, campaign.end_date_time "
        "FROM campaign WHERE campaign.id IN (22000000104, 22000000102) ORDER BY campaign.id",
        version="v23",
    )
    pmax, evergreen = (r["campaign"] for r in new.json()["results"])
    assert evergreen["startDateTime"] == f"{start} 00:00:00"
    assert "endDateTime" not in evergreen  # runs indefinitely: unset
    assert pmax["startDateTime"].endswith(" 09:00:00")
    assert pmax["primaryStatus"] == "PENDING" and pmax["servingStatus"] == "PENDING"
    assert pmax["advertisingChannelType"] == "PERFORMANCE_MAX"
    assert new.json()["results"][0]["campaignBudget"] == {
        "resourceName": f"customers/{DEMO_CID}/campaignBudgets/33000000102",
        "totalAmountMicros": "1500000000",
        "period": "CUSTOM_PERIOD",
    }
    assert new.json()["fieldMask"].startswith("campaign.id,campaign.name,campaign.status")

    for version, field in (("v23", "campaign.start_date"), ("v22", "campaign.start_date_time")):
        refused = _search(http, sb, f"SELECT {field} FROM campaign", version=version)
        assert refused.status_code == 400
        assert _ads_error(refused) == ("queryError", "UNRECOGNIZED_FIELD")
        assert refused.json()["error"]["details"][0]["@type"].endswith(
            f"googleads.{version}.errors.GoogleAdsFailure"
        )


def test_status_filters(sb: RunningSandbox, http: httpx.Client) -> None:
    def ids(where: str) -> list[str]:
        response = _search(http, sb, f"SELECT campaign.id FROM campaign WHERE {where}")
        assert response.status_code == 200, response.text
        return [r["campaign"]["id"] for r in response.json().get("results", [])]

    assert "22000000106" not in ids("campaign.status != 'REMOVED'")
    assert ids("campaign.status = PAUSED") == ["22000000105"]
    assert ids("campaign.status IN ('PAUSED', 'REMOVED')") == ["22000000105", "22000000106"]
    assert ids("campaign.advertising_channel_type = 'SEARCH' AND campaign.status = 'ENABLED'") == [
        "22000000101",
        "22000000104",
    ]
    assert ids("campaign.name LIKE '%Display%'") == ["22000000103"]
    bad = _search(http, sb, "SELECT campaign.id FROM campaign WHERE campaign.status = 'RUNNING'")
    assert _ads_error(bad) == ("queryError", "BAD_ENUM_CONSTANT")


def test_daily_metrics_between_in_the_customer_zone(sb: RunningSandbox, http: httpx.Client) -> None:
    today = _berlin_today()
    start, end = today - timedelta(days=6), today - timedelta(days=2)
    response = _search(
        http,
        sb,
        "SELECT campaign.id, segments.date, metrics.impressions, metrics.clicks, "
        "metrics.cost_micros, metrics.conversions FROM campaign "
        f"WHERE segments.date BETWEEN '{start}' AND '{end}' AND campaign.id IN (22000000101)",
    )
    assert response.status_code == 200, response.text
    rows = response.json()["results"]
    assert [r["segments"]["date"] for r in rows] == [
        (start + timedelta(days=n)).isoformat() for n in range(5)
    ]
    for row in rows:
        metrics = row["metrics"]
        assert isinstance(metrics["impressions"], str) and metrics["impressions"].isdigit()
        assert int(metrics["costMicros"]) <= 50_000_000  # capped at the daily budget
        assert isinstance(metrics["conversions"], float)
    # the compact date form works too, and a paused campaign in the past still has history
    compact = _search(
        http,
        sb,
        "SELECT campaign.id, segments.date, metrics.clicks FROM campaign WHERE segments.date "
        f"BETWEEN '{start:%Y%m%d}' AND '{end:%Y%m%d}' AND campaign.id = 22000000105",
    )
    assert len(compact.json()["results"]) == 5
    inverted = _search(
        http,
        sb,
        "SELECT segments.date, metrics.clicks FROM campaign "
        f"WHERE segments.date BETWEEN '{end}' AND '{start}'",
    )
    assert _ads_error(inverted) == ("queryError", "DATE_RANGE_TOO_NARROW")
    unbounded = _search(http, sb, "SELECT campaign.id, segments.date FROM campaign")
    assert _ads_error(unbounded) == ("queryError", "EXPECTED_FILTERS_ON_DATE_RANGE")


def test_during_literals_and_aggregated_metrics(sb: RunningSandbox, http: httpx.Client) -> None:
    today = _berlin_today()
    daily = _search(
        http,
        sb,
        "SELECT campaign.id, segments.date, metrics.cost_micros FROM campaign "
        "WHERE segments.date DURING LAST_7_DAYS AND campaign.id = 22000000101",
    ).json()["results"]
    assert [r["segments"]["date"] for r in daily] == [
        (today - timedelta(days=n)).isoformat() for n in range(7, 0, -1)
    ]
    total = _search(
        http,
        sb,
        "SELECT campaign.id, metrics.cost_micros FROM campaign "
        "WHERE segments.date DURING LAST_7_DAYS AND campaign.id = 22000000101",
    ).json()["results"]
    assert total[0]["metrics"]["costMicros"] == str(
        sum(int(r["metrics"]["costMicros"]) for r in daily)
    )
    yesterday = _search(
        http,
        sb,
        "SELECT customer.id, customer.currency_code, segments.date, metrics.clicks "
        "FROM customer WHERE segments.date DURING YESTERDAY",
    ).json()["results"]
    assert len(yesterday) == 1
    assert yesterday[0]["customer"]["currencyCode"] == "EUR"
    assert yesterday[0]["segments"]["date"] == (today - timedelta(days=1)).isoformat()
    bad = _search(
        http, sb, "SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_2_WEEKS"
    )
    assert _ads_error(bad) == ("queryError", "INVALID_VALUE_WITH_DURING_OPERATOR")


def test_paging_with_next_page_token(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("googleads", page_size=2)
    query = "SELECT campaign.id FROM campaign ORDER BY campaign.id DESC"
    token = _token(sb)
    seen: list[str] = []
    page_token: str | None = None
    pages = 0
    while True:
        extra: dict[str, Any] = {"pageToken": page_token} if page_token else {}
        body = _search(http, sb, query, token=token, **extra).json()
        seen.extend(r["campaign"]["id"] for r in body["results"])
        pages += 1
        page_token = body.get("nextPageToken")
        if not page_token:
            break
    assert pages == 3
    assert seen == sorted(seen, reverse=True) and len(seen) == 6
    limited = _search(http, sb, f"{query} LIMIT 1", token=token).json()
    assert len(limited["results"]) == 1 and "nextPageToken" not in limited
    size = _search(http, sb, query, token=token, pageSize=100)
    assert _ads_error(size) == ("requestError", "PAGE_SIZE_NOT_SUPPORTED")
    bogus = _search(http, sb, query, token=token, pageToken="bogus")
    assert _ads_error(bogus) == ("requestError", "INVALID_PAGE_TOKEN")


def test_search_stream_batches(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("googleads", page_size=4)
    response = _search(http, sb, "SELECT campaign.id, campaign.status FROM campaign", stream=True)
    assert response.status_code == 200
    batches = response.json()
    assert isinstance(batches, list) and len(batches) == 2
    assert [len(b["results"]) for b in batches] == [4, 2]
    assert all(b["fieldMask"] == "campaign.id,campaign.status" for b in batches)
    assert batches[0]["requestId"] == batches[1]["requestId"]
    empty = _search(
        http, sb, "SELECT campaign.id FROM campaign WHERE campaign.id = 1", stream=True
    ).json()
    assert empty == [
        {
            "fieldMask": "campaign.id",
            "requestId": empty[0]["requestId"],
            "queryResourceConsumption": "1",
        }
    ]
    failed = _search(http, sb, "SELECT campaign.nope FROM campaign", stream=True)
    assert failed.status_code == 400 and isinstance(failed.json(), list)
    assert _ads_error(failed) == ("queryError", "UNRECOGNIZED_FIELD")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("campaign.id FROM campaign", "EXPECTED_SELECT"),
        ("SELECT campaign.id", "EXPECTED_FROM"),
        ("SELECT campaign.id FROM ad_group", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
        ("SELECT customer_client.id FROM campaign", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
        ("SELECT campaign.id FROM campaign ORDER campaign.id", "EXPECTED_BY"),
        ("SELECT campaign.id FROM campaign LIMIT many", "BAD_LIMIT_VALUE"),
        ("SELECT campaign.id FROM campaign WHERE campaign.name = 'open", "STRING_NOT_TERMINATED"),
        (
            "SELECT campaign.id FROM campaign WHERE segments.date BETWEEN '2026-01-01'",
            "EXPECTED_AND",
        ),
        (
            "SELECT campaign.id FROM campaign ORDER BY campaign.name",
            "EXPECTED_REFERENCED_FIELD_IN_SELECT_CLAUSE",
        ),
    ],
)
def test_query_errors(sb: RunningSandbox, http: httpx.Client, query: str, code: str) -> None:
    response = _search(http, sb, query)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert _ads_error(response) == ("queryError", code)


def test_versions(sb: RunningSandbox, http: httpx.Client) -> None:
    sunset = _search(http, sb, "SELECT campaign.id FROM campaign", version="v19")
    assert _ads_error(sunset) == ("requestError", "UNSUPPORTED_VERSION")
    assert _search(http, sb, "SELECT campaign.id FROM campaign", version="v99").status_code == 404


# --- faults ----------------------------------------------------------------------------------
def test_rate_limit_burst_is_resource_exhausted_with_retry_delay(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    sb.control.fault("googleads", "rate_limit_burst", seconds=12)
    response = _search(http, sb, "SELECT campaign.id FROM campaign")
    assert response.status_code == 429
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert _ads_error(response) == ("quotaError", "RESOURCE_EXHAUSTED")
    error = response.json()["error"]["details"][0]["errors"][0]
    assert error["details"]["quotaErrorDetails"]["retryDelay"] == "12s"
    assert _search(http, sb, "SELECT campaign.id FROM campaign").status_code == 200


def test_daily_operations_quota(sb: RunningSandbox, http: httpx.Client) -> None:
    sb.control.config("googleads", daily_operations=2)
    token = _token(sb)
    assert _search(http, sb, "SELECT campaign.id FROM campaign", token=token).status_code == 200
    assert _search(http, sb, "SELECT campaign.id FROM campaign", token=token).status_code == 200
    third = _search(http, sb, "SELECT campaign.id FROM campaign", token=token)
    assert third.status_code == 429
    delay = third.json()["error"]["details"][0]["errors"][0]["details"]["quotaErrorDetails"]
    assert delay["rateScope"] == "DEVELOPER"
    assert 80_000 < int(delay["retryDelay"].rstrip("s")) <= 86_400


def test_expire_and_revoke_token_faults(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("googleads", "demo")
    sb.control.fault("googleads", "expire_token", user="demo")
    expired = _search(http, sb, "SELECT campaign.id FROM campaign", token=minted["access_token"])
    assert expired.status_code == 401
    assert _ads_error(expired) == ("authenticationError", "OAUTH_TOKEN_EXPIRED")
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": minted["refresh_token"],
        "client_id": "cuecast-sandbox",
        "client_secret": "cuecast-sandbox-secret",
    }
    renewed = http.post(f"{sb.url}/googleads/oauth/token", data=refresh)
    assert renewed.status_code == 200
    fresh = renewed.json()["access_token"]
    assert _search(http, sb, "SELECT campaign.id FROM campaign", token=fresh).status_code == 200

    sb.control.fault("googleads", "revoke_token", user="demo")
    revoked = _search(http, sb, "SELECT campaign.id FROM campaign", token=fresh)
    assert _ads_error(revoked) == ("authenticationError", "OAUTH_TOKEN_REVOKED")
    dead = http.post(f"{sb.url}/googleads/oauth/token", data=refresh)
    assert dead.status_code == 400
    assert dead.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


def test_server_errors_and_slow(sb: RunningSandbox, http: httpx.Client) -> None:
    token = _token(sb)
    sb.control.fault("googleads", "error_5xx", status=500)
    internal = _search(http, sb, "SELECT campaign.id FROM campaign", token=token)
    assert internal.status_code == 500
    assert _ads_error(internal) == ("internalError", "INTERNAL_ERROR")
    sb.control.fault("googleads", "error_5xx", status=503)
    unavailable = _search(http, sb, "SELECT campaign.id FROM campaign", token=token)
    assert unavailable.status_code == 503
    assert unavailable.json()["error"]["status"] == "UNAVAILABLE"
    sb.control.fault(
        "googleads",
        "slow",
        seconds=0.3,
        endpoint="POST /{version}/customers/{cid}/googleAds:search",
    )
    started = time.monotonic()
    assert _search(http, sb, "SELECT campaign.id FROM campaign", token=token).status_code == 200
    assert time.monotonic() - started >= 0.3


# --- control API -----------------------------------------------------------------------------
def test_control_changes_campaigns_and_metrics(sb: RunningSandbox, http: httpx.Client) -> None:
    result = sb.control.config(
        "googleads",
        campaigns=[
            {"id": "22000000101", "end": "2027-01-31", "status": "PAUSED"},
            {
                "id": "22000000777",
                "name": "Added - Search",
                "start": "2027-02-01 08:30:00",
                "budget": {"amount": "12.50"},
            },
        ],
    )
    by_id = {c["id"]: c for c in result["campaigns"]}
    assert by_id["22000000101"]["end_date_time"] == "2027-01-31 23:59:59"
    assert by_id["22000000777"]["day_granularity"] is False
    rows = _search(
        http,
        sb,
        "SELECT campaign.id, campaign.status, campaign.end_date, campaign.start_date, "
        "campaign_budget.amount_micros FROM campaign WHERE campaign.id IN (22000000101, 22000000777)",
        version="v22",
    ).json()["results"]
    assert rows[0]["campaign"]["status"] == "PAUSED"
    assert rows[0]["campaign"]["endDate"] == "2027-01-31"
    assert rows[1]["campaign"]["startDate"] == "2027-02-01"
    assert rows[1]["campaignBudget"]["amountMicros"] == "12500000"

    day = (_berlin_today() - timedelta(days=3)).isoformat()
    hidden = (_berlin_today() - timedelta(days=4)).isoformat()
    set_rows = sb.control.metrics(
        "googleads",
        "22000000101",
        {
            day: {"impressions": 1000, "clicks": 40, "cost": "23.45", "conversions": "2.5"},
            hidden: None,
        },
    )
    assert set_rows["days"][day]["cost_micros"] == "23450000"
    assert hidden not in set_rows["days"]
    got = _search(
        http,
        sb,
        "SELECT campaign.id, segments.date, metrics.impressions, metrics.clicks, "
        "metrics.cost_micros, metrics.conversions FROM campaign "
        f"WHERE segments.date BETWEEN '{hidden}' AND '{day}' AND campaign.id = 22000000101",
    ).json()["results"]
    assert [r["segments"]["date"] for r in got] == [day]
    assert got[0]["metrics"] == {
        "impressions": "1000",
        "clicks": "40",
        "costMicros": "23450000",
        "conversions": 2.5,
    }


def test_control_tokens_and_describe(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("googleads", "agency")
    assert minted["customer_ids"] == [MANAGER_CID]
    assert minted["customers"][0]["clients"] == [CLIENT_CID]
    assert minted["expires_in"] == 3599 and minted["refresh_token"]
    listing = http.get(f"{sb.url}/_sandbox/").json()["networks"]["googleads"]
    assert listing["token_path"] == "/googleads/oauth/token"
    assert {c["id"] for c in listing["customers"]} >= {DEMO_CID, MANAGER_CID, CLIENT_CID}
    unknown = http.post(f"{sb.url}/_sandbox/googleads/tokens", json={"user": "nobody"})
    assert unknown.status_code == 404
