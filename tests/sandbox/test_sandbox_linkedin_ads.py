"""LinkedIn Marketing API on the LinkedIn emulator over real HTTP: ad account users, account
search, campaign search with Rest.li encoding and cursor paging, adAnalytics, errors, control."""

from __future__ import annotations

from typing import Any

import httpx
from sandbox_test_helpers import query_of

from sandbox.testing import RunningSandbox

CALLBACK = "http://127.0.0.1:9/linkedin-callback"
VERSION = "202601"
ACCOUNT = "508800001"
ACCOUNT_URN = "urn%3Ali%3AsponsoredAccount%3A508800001"
WEBINAR = "700000001"
LAUNCH = "700000002"
HIRING = "700000003"
THOUGHT = "700000004"


def headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }


def token(sb: RunningSandbox, user: str = "demo", **extra: Any) -> str:
    return str(sb.control.tokens("linkedin", user, **extra)["access_token"])


def get(sb: RunningSandbox, http: httpx.Client, path_and_query: str, tok: str) -> httpx.Response:
    """The query goes on the wire exactly as written (Rest.li: no re-encoding)."""
    return http.get(f"{sb.url}/linkedin{path_and_query}", headers=headers(tok))


def test_consent_offers_ad_scopes_and_mint_lists_accounts(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    params = {
        "response_type": "code",
        "client_id": "cuecast-sandbox",
        "redirect_uri": CALLBACK,
        "scope": "r_ads r_ads_reporting",
        "state": "s",
    }
    page = http.get(f"{sb.url}/linkedin/oauth/v2/authorization", params=params)
    assert page.status_code == 200 and "r_ads r_ads_reporting" in page.text
    allowed = http.post(
        f"{sb.url}/linkedin/oauth/v2/authorization",
        data={**params, "user": "demo", "decision": "authorize"},
    )
    code = query_of(allowed.headers["location"])["code"]
    exchanged = http.post(
        f"{sb.url}/linkedin/oauth/v2/accessToken",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": "cuecast-sandbox",
            "client_secret": "cuecast-sandbox-secret",
        },
    )
    assert set(exchanged.json()["scope"].split(",")) == {"r_ads", "r_ads_reporting"}
    users = get(
        sb, http, "/rest/adAccountUsers?q=authenticatedUser", exchanged.json()["access_token"]
    )
    assert users.status_code == 200, users.text
    assert users.json()["elements"][0]["account"] == "urn:li:sponsoredAccount:508800001"
    assert users.json()["elements"][0]["role"] == "ACCOUNT_MANAGER"
    minted = sb.control.tokens("linkedin", "demo")
    assert {"r_ads", "r_ads_reporting"} <= set(minted["scope"].split(","))
    assert minted["ad_accounts"] == [
        {
            "id": ACCOUNT,
            "urn": "urn:li:sponsoredAccount:508800001",
            "name": "Cuecast Demo Sponsored",
            "currency": "EUR",
            "role": "ACCOUNT_MANAGER",
        }
    ]


def test_accounts_search_and_get(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    found = get(sb, http, "/rest/adAccounts?q=search&search=(status:(values:List(ACTIVE)))", tok)
    assert found.status_code == 200, found.text
    assert [a["id"] for a in found.json()["elements"]] == [int(ACCOUNT)]
    account = get(sb, http, f"/rest/adAccounts/{ACCOUNT}", tok).json()
    assert account["currency"] == "EUR" and account["status"] == "ACTIVE"
    assert get(sb, http, "/rest/adAccounts/508800002", tok).status_code == 403
    narrow = token(sb, scope="openid profile")
    assert get(sb, http, f"/rest/adAccounts/{ACCOUNT}", narrow).status_code == 403


def test_campaign_search_restli_status_and_paging(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    base = f"/rest/adAccounts/{ACCOUNT}/adCampaigns?q=search"
    everything = get(sb, http, base, tok).json()["elements"]
    by_id = {str(c["id"]): c for c in everything}
    assert set(by_id) == {WEBINAR, LAUNCH, HIRING, THOUGHT}
    webinar = by_id[WEBINAR]
    assert webinar["dailyBudget"] == {"amount": "50.00", "currencyCode": "EUR"}
    assert set(webinar["runSchedule"]) == {"start", "end"}
    assert webinar["runSchedule"]["start"] % 86400000 == 0  # UTC midnight, epoch ms
    assert by_id[LAUNCH]["totalBudget"] == {"amount": "3000.00", "currencyCode": "EUR"}
    assert "end" not in by_id[THOUGHT]["runSchedule"]
    active = get(
        sb, http, base + "&search=(status:(values:List(ACTIVE,PAUSED)))&pageSize=2", tok
    ).json()
    assert len(active["elements"]) == 2 and "nextPageToken" in active["metadata"]
    rest = get(
        sb,
        http,
        base
        + "&search=(status:(values:List(ACTIVE,PAUSED)))&pageSize=2&pageToken="
        + active["metadata"]["nextPageToken"],
        tok,
    ).json()
    assert rest["metadata"] == {}
    statuses = {c["status"] for c in active["elements"] + rest["elements"]}
    assert statuses == {"ACTIVE", "PAUSED"}
    bad_enum = get(sb, http, base + "&search=(status:(values:List(RUNNING)))", tok)
    assert bad_enum.status_code == 400
    bad_syntax = get(sb, http, base + "&search=(status:(values:List(ACTIVE))", tok)
    assert bad_syntax.status_code == 400
    single = get(sb, http, f"/rest/adAccounts/{ACCOUNT}/adCampaigns/{WEBINAR}", tok)
    assert single.json()["name"] == "Webinar Signups"


def test_version_headers_enforced(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    bare = http.get(
        f"{sb.url}/linkedin/rest/adAccounts/{ACCOUNT}", headers={"Authorization": f"Bearer {tok}"}
    )
    assert bare.status_code == 400 and bare.json()["code"] == "VERSION_MISSING"
    old = http.get(
        f"{sb.url}/linkedin/rest/adAccounts/{ACCOUNT}",
        headers={**headers(tok), "LinkedIn-Version": "202301"},
    )
    assert old.status_code == 426


def analytics(campaigns: str, fields: str, granularity: str = "DAILY") -> str:
    return (
        "/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity="
        + granularity
        + "&dateRange=(start:(year:2026,month:3,day:27),end:(year:2026,month:3,day:30))"
        + f"&campaigns=List({campaigns})&fields={fields}"
    )


def test_ad_analytics_daily_rows(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.metrics(
        "linkedin",
        f"urn:li:sponsoredCampaign:{WEBINAR}",
        {
            "2026-03-28": {
                "impressions": 1200,
                "clicks": 35,
                "costInLocalCurrency": "21.40",
                "externalWebsiteConversions": 2,
            },
            "2026-03-29": {"impressions": 900, "clicks": 20, "costInLocalCurrency": "12.10"},
        },
    )
    fields = (
        "impressions,clicks,costInLocalCurrency,externalWebsiteConversions,dateRange,pivotValues"
    )
    response = get(sb, http, analytics(f"urn%3Ali%3AsponsoredCampaign%3A{WEBINAR}", fields), tok)
    assert response.status_code == 200, response.text
    assert response.json()["elements"] == [
        {
            "impressions": 1200,
            "clicks": 35,
            "costInLocalCurrency": "21.40",
            "externalWebsiteConversions": 2,
            "dateRange": {
                "start": {"year": 2026, "month": 3, "day": 28},
                "end": {"year": 2026, "month": 3, "day": 28},
            },
            "pivotValues": [f"urn:li:sponsoredCampaign:{WEBINAR}"],
        },
        {
            "impressions": 900,
            "clicks": 20,
            "costInLocalCurrency": "12.10",
            "externalWebsiteConversions": 0,
            "dateRange": {
                "start": {"year": 2026, "month": 3, "day": 29},
                "end": {"year": 2026, "month": 3, "day": 29},
            },
            "pivotValues": [f"urn:li:sponsoredCampaign:{WEBINAR}"],
        },
    ]
    whole = get(
        sb,
        http,
        analytics(f"urn%3Ali%3AsponsoredCampaign%3A{WEBINAR}", "costInLocalCurrency", "ALL"),
        tok,
    ).json()["elements"]
    assert whole == [{"costInLocalCurrency": "33.50"}]
    by_account = get(
        sb,
        http,
        "/rest/adAnalytics?q=analytics&pivot=ACCOUNT&timeGranularity=DAILY"
        "&dateRange=(start:(year:2026,month:1,day:1))"
        f"&accounts=List({ACCOUNT_URN})&fields=impressions,pivotValues",
        tok,
    ).json()["elements"]
    assert by_account and by_account[0]["pivotValues"] == ["urn:li:sponsoredAccount:508800001"]


def test_ad_analytics_errors_and_limits(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    urn = f"urn%3Ali%3AsponsoredCampaign%3A{WEBINAR}"
    unencoded = get(sb, http, analytics(f"urn:li:sponsoredCampaign:{WEBINAR}", "impressions"), tok)
    assert unencoded.status_code == 400
    too_many = ",".join(["impressions", "clicks"] * 10 + ["dateRange"])
    assert get(sb, http, analytics(urn, too_many), tok).status_code == 400
    assert get(sb, http, analytics(urn, "impressions,reach"), tok).status_code == 400
    no_facet = get(
        sb,
        http,
        "/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY"
        "&dateRange=(start:(year:2026,month:3,day:1))",
        tok,
    )
    assert no_facet.status_code == 400
    reporting_missing = token(sb, scope="r_ads")
    assert get(sb, http, analytics(urn, "impressions"), reporting_missing).status_code == 403
    other = token(sb, user="other")
    assert get(sb, http, analytics(urn, "impressions"), other).json()["elements"] == []
    sb.control.config("linkedin", analytics_max_elements=1)
    sb.control.metrics(
        "linkedin", WEBINAR, {"2026-03-28": {"impressions": 1}, "2026-03-29": {"impressions": 2}}
    )
    assert len(get(sb, http, analytics(urn, "impressions"), tok).json()["elements"]) == 1


def test_throttle_is_a_bare_429(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.fault("linkedin", "rate_limit_burst", endpoint="GET /rest/adAnalytics")
    urn = f"urn%3Ali%3AsponsoredCampaign%3A{WEBINAR}"
    limited = get(sb, http, analytics(urn, "impressions"), tok)
    assert limited.status_code == 429
    assert not any(h.lower().startswith(("retry-after", "x-ratelimit")) for h in limited.headers)
    sb.control.fault("linkedin", "error_5xx", status=502, endpoint="GET /rest/adAccounts/{id}")
    assert get(sb, http, f"/rest/adAccounts/{ACCOUNT}", tok).status_code == 502
    sb.control.fault("linkedin", "expire_token", endpoint="GET /rest/adAccountUsers")
    expired = get(sb, http, "/rest/adAccountUsers?q=authenticatedUser", tok)
    assert expired.status_code == 401 and expired.json()["code"] == "EXPIRED_ACCESS_TOKEN"


def test_control_changes_campaigns(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    result = sb.control.config(
        "linkedin",
        ad_campaigns=[
            {"id": WEBINAR, "runSchedule": {"start": 1798761600000, "end": None}},
            {"id": f"urn:li:sponsoredCampaign:{THOUGHT}", "status": "ACTIVE"},
            {
                "name": "Added",
                "status": "ACTIVE",
                "runSchedule": {"start": 1798761600000, "end": 1801440000000},
                "totalBudget": {"amount": "999.00"},
            },
        ],
    )
    added = str(result["ad_campaigns"][2]["id"])
    listed = get(
        sb,
        http,
        f"/rest/adAccounts/{ACCOUNT}/adCampaigns?q=search&search=(status:(values:List(ACTIVE)))",
        tok,
    ).json()["elements"]
    by_id = {str(c["id"]): c for c in listed}
    assert by_id[WEBINAR]["runSchedule"] == {"start": 1798761600000}
    assert THOUGHT in by_id
    assert by_id[added]["totalBudget"] == {"amount": "999.00", "currencyCode": "EUR"}
    bad = httpx.post(f"{sb.url}/_sandbox/linkedin/config", json={"ad_campaigns": [{"id": "1"}]})
    assert bad.status_code == 400
