"""Meta Marketing API on the Facebook emulator over real HTTP: ad accounts, campaigns with cursor
paging, ad sets, sync insights per day, async report runs, BUC headers, errors, control API."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx
from sandbox_test_helpers import query_of

from sandbox.testing import RunningSandbox

APP_ID = "900000000000001"
SECRET = "cuecast-meta-sandbox-secret"
CALLBACK = "http://127.0.0.1:9/fb-callback"
ACT = "act_1029384756000001"
OTHER_ACT = "act_1029384756000002"
WINTER = "120210000000000101"
SPRING = "120210000000000102"
AUTUMN = "120210000000000103"
BRAND = "120210000000000104"


def graph(sb: RunningSandbox, path: str, version: str = "v25.0") -> str:
    return f"{sb.url}/facebook/{version}/{path.lstrip('/')}"


def user_token(sb: RunningSandbox, user: str = "cuecast_demo", **extra: Any) -> str:
    return str(sb.control.tokens("facebook", user, **extra)["user_access_token"])


def get(
    sb: RunningSandbox, http: httpx.Client, path: str, token: str, **params: str
) -> httpx.Response:
    return http.get(graph(sb, path), params=params, headers={"Authorization": f"Bearer {token}"})


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert "error" in body, body
    error: dict[str, Any] = body["error"]
    return error


def buc(response: httpx.Response) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response.headers["x-business-use-case-usage"])
    return data


def test_login_offers_and_grants_ads_read(sb: RunningSandbox, http: httpx.Client) -> None:
    params = {
        "client_id": APP_ID,
        "redirect_uri": CALLBACK,
        "state": "s",
        "scope": "ads_read,business_management",
        "response_type": "code",
    }
    page = http.get(f"{sb.url}/facebook/v25.0/dialog/oauth", params=params)
    assert page.status_code == 200
    assert "ads_read" in page.text and "Cuecast Demo Ads" in page.text
    consent = http.post(
        f"{sb.url}/facebook/v25.0/dialog/oauth",
        data={**params, "user": "cuecast_demo", "decision": "authorize"},
    )
    code = query_of(consent.headers["location"])["code"]
    exchanged = http.get(
        graph(sb, "oauth/access_token"),
        params={
            "client_id": APP_ID,
            "client_secret": SECRET,
            "redirect_uri": CALLBACK,
            "code": code,
        },
    )
    token = exchanged.json()["access_token"]
    accounts = get(
        sb,
        http,
        "me/adaccounts",
        token,
        fields="id,account_id,name,currency,timezone_name,account_status",
    )
    assert accounts.status_code == 200, accounts.text
    assert accounts.json()["data"] == [
        {
            "id": ACT,
            "account_id": "1029384756000001",
            "name": "Cuecast Demo Ads",
            "currency": "EUR",
            "timezone_name": "Europe/Berlin",
            "account_status": 1,
        }
    ]
    assert buc(accounts)["1029384756000001"][0]["type"] == "ads_management"


def test_mint_reports_ad_accounts_and_scope_is_needed(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    minted = sb.control.tokens("facebook", "cuecast_demo")
    assert "ads_read" in minted["scope"].split(",")
    assert minted["ad_accounts"] == [
        {
            "id": ACT,
            "account_id": "1029384756000001",
            "name": "Cuecast Demo Ads",
            "currency": "EUR",
            "timezone_name": "Europe/Berlin",
        }
    ]
    narrow = user_token(sb, scope="pages_show_list")
    denied = get(sb, http, f"{ACT}/campaigns", narrow)
    assert denied.status_code == 400 and error_of(denied)["code"] == 200
    foreign = get(sb, http, f"{OTHER_ACT}/campaigns", user_token(sb))
    assert error_of(foreign)["code"] == 100 and error_of(foreign)["error_subcode"] == 33
    page_token = str(minted["page_access_token"])
    assert error_of(get(sb, http, f"{ACT}/campaigns", page_token))["code"] == 100


def test_account_node_and_campaigns_with_paging(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    node = get(sb, http, ACT, token, fields="id,name,currency,timezone_name")
    assert node.json()["timezone_name"] == "Europe/Berlin"
    fields = (
        "id,name,status,effective_status,start_time,stop_time,daily_budget,lifetime_budget,"
        "objective"
    )
    first = get(sb, http, f"{ACT}/campaigns", token, fields=fields, limit="2")
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["data"]) == 2 and set(body["paging"]["cursors"]) == {"before", "after"}
    assert body["paging"]["next"].startswith(graph(sb, f"{ACT}/campaigns"))
    second = http.get(body["paging"]["next"], headers={"Authorization": f"Bearer {token}"})
    rest = second.json()
    assert "next" not in rest["paging"]
    campaigns = {c["id"]: c for c in body["data"] + rest["data"]}
    assert set(campaigns) == {WINTER, SPRING, AUTUMN, BRAND}
    winter = campaigns[WINTER]
    assert winter["daily_budget"] == "5000" and "lifetime_budget" not in winter
    assert winter["start_time"].endswith(("+0100", "+0200")) and "T00:00:00" in winter["start_time"]
    assert "daily_budget" not in campaigns[SPRING] and "lifetime_budget" not in campaigns[SPRING]
    assert "stop_time" not in campaigns[BRAND] and campaigns[BRAND]["status"] == "PAUSED"
    paused = get(
        sb, http, f"{ACT}/campaigns", token, fields="id", effective_status='["PAUSED"]'
    ).json()
    assert [c["id"] for c in paused["data"]] == [BRAND]
    bad = get(sb, http, f"{ACT}/campaigns", token, effective_status='["RUNNING"]')
    assert error_of(bad)["code"] == 100
    unknown = get(sb, http, f"{ACT}/campaigns", token, fields="id,colour")
    assert "nonexisting field (colour)" in error_of(unknown)["message"]
    single = get(sb, http, WINTER, token, fields="id,name,effective_status")
    assert single.json() == {
        "id": WINTER,
        "name": "Winter Sale (CBO)",
        "effective_status": "ACTIVE",
    }


def test_budgets_on_ad_sets(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    fields = "id,campaign_id,daily_budget,lifetime_budget,start_time,end_time,effective_status"
    sets = get(sb, http, f"{SPRING}/adsets", token, fields=fields).json()["data"]
    assert {s["lifetime_budget"] for s in sets} == {"100000", "50000"}
    assert all(s["daily_budget"] == "0" and s["campaign_id"] == SPRING for s in sets)
    everything = get(sb, http, f"{ACT}/adsets", token, fields="id").json()["data"]
    assert len(everything) == 3
    sb.control.config("facebook", ad_campaigns=[{"id": SPRING, "status": "PAUSED"}])
    again = get(sb, http, f"{SPRING}/adsets", token, fields="effective_status").json()["data"]
    assert {s["effective_status"] for s in again} == {"CAMPAIGN_PAUSED"}


def test_daily_insights_strings_actions_and_ranges(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    sb.control.metrics(
        "facebook",
        WINTER,
        {
            "2026-03-28": {
                "impressions": 1200,
                "clicks": 35,
                "spend": "21.40",
                "actions": {"offsite_conversion.fb_pixel_purchase": 2, "lead": 1},
            },
            "2026-03-29": {"impressions": 900, "clicks": 20, "spend": "12.10"},
        },
    )
    response = get(
        sb,
        http,
        f"{ACT}/insights",
        token,
        level="campaign",
        time_range=json.dumps({"since": "2026-03-27", "until": "2026-03-30"}),
        time_increment="1",
        fields="campaign_id,impressions,clicks,spend,actions,date_start,date_stop",
        filtering=json.dumps([{"field": "campaign.id", "operator": "IN", "value": [WINTER]}]),
    )
    assert response.status_code == 200, response.text
    assert buc(response)["1029384756000001"][0]["type"] == "ads_insights"
    assert response.json()["data"] == [
        {
            "campaign_id": WINTER,
            "impressions": "1200",
            "clicks": "35",
            "spend": "21.40",
            "actions": [
                {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "2"},
                {"action_type": "lead", "value": "1"},
            ],
            "date_start": "2026-03-28",
            "date_stop": "2026-03-28",
        },
        {
            "campaign_id": WINTER,
            "impressions": "900",
            "clicks": "20",
            "spend": "12.10",
            "date_start": "2026-03-29",
            "date_stop": "2026-03-29",
        },
    ]
    total = get(
        sb,
        http,
        f"{WINTER}/insights",
        token,
        time_range=json.dumps({"since": "2026-03-28", "until": "2026-03-29"}),
        fields="spend,impressions",
    ).json()["data"]
    assert total == [
        {
            "spend": "33.50",
            "impressions": "2100",
            "date_start": "2026-03-28",
            "date_stop": "2026-03-29",
        }
    ]
    seeded = get(
        sb,
        http,
        f"{ACT}/insights",
        token,
        level="campaign",
        time_increment="1",
        date_preset="last_7d",
        fields="campaign_id,spend",
        limit="500",
    ).json()["data"]
    assert seeded and all(isinstance(r["spend"], str) for r in seeded)
    assert {r["campaign_id"] for r in seeded} >= {WINTER}
    bad = get(sb, http, f"{ACT}/insights", token, time_range='{"since":"2026-13-01"}')
    assert error_of(bad)["code"] == 100
    bad_field = get(sb, http, f"{ACT}/insights", token, fields="spend,reach_estimate")
    assert error_of(bad_field)["code"] == 100


def test_too_much_data_then_async_report_run(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    sb.control.config("facebook", insights_max_rows=3)
    params = {
        "level": "campaign",
        "time_increment": "1",
        "date_preset": "last_30d",
        "fields": "campaign_id,impressions,spend,date_start",
    }
    big = get(sb, http, f"{ACT}/insights", token, **params)
    error = error_of(big)
    assert (error["code"], error["error_subcode"]) == (100, 1487534)
    created = http.post(graph(sb, f"{ACT}/insights"), data={**params, "access_token": token})
    assert created.status_code == 200, created.text
    run = created.json()["report_run_id"]
    early = get(sb, http, f"{run}/insights", token)
    assert error_of(early)["code"] == 100
    states = []
    for _ in range(5):
        body = get(sb, http, run, token, fields="async_status,async_percent_completion").json()
        states.append((body["async_status"], body["async_percent_completion"]))
        if body["async_status"] == "Job Completed":
            break
    assert states == [("Job Not Started", 0), ("Job Running", 50), ("Job Completed", 100)]
    first = get(sb, http, f"{run}/insights", token, limit="2").json()
    rows = list(first["data"])
    next_url = first["paging"].get("next")
    while next_url:
        page = http.get(next_url, headers={"Authorization": f"Bearer {token}"}).json()
        rows += page["data"]
        next_url = page["paging"].get("next")
    assert len(rows) > 3 and all(r["spend"].count(".") == 1 for r in rows)


def test_failed_report_run(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    sb.control.config("facebook", ads_report_fail=True, ads_report_polls=0)
    run = http.post(graph(sb, f"{ACT}/insights"), data={"access_token": token}).json()[
        "report_run_id"
    ]
    body = get(sb, http, run, token).json()
    assert body["async_status"] == "Job Failed"
    assert (body["error_code"], body["error_subcode"]) == (-2, 2490547)


def test_throttle_codes_and_faults(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    sb.control.fault(
        "facebook", "rate_limit_burst", endpoint="GET /{version}/act_{account}/insights"
    )
    limited = get(sb, http, f"{ACT}/insights", token)
    assert error_of(limited)["code"] == 80000
    assert buc(limited)["1029384756000001"][0]["estimated_time_to_regain_access"] > 0
    sb.control.reset()
    token = user_token(sb)
    sb.control.config("facebook", ads_throttle_code=613)
    sb.control.fault(
        "facebook", "rate_limit_burst", endpoint="GET /{version}/act_{account}/campaigns"
    )
    limited = get(sb, http, f"{ACT}/campaigns", token)
    assert (error_of(limited)["code"], error_of(limited)["error_subcode"]) == (613, 1487742)
    sb.control.reset()
    token = user_token(sb)
    sb.control.config("facebook", ads_throttle_code=17, ads_call_budget=2)
    assert get(sb, http, f"{ACT}/campaigns", token).status_code == 200
    assert get(sb, http, f"{ACT}/campaigns", token).status_code == 200
    third = get(sb, http, f"{ACT}/campaigns", token)
    assert (error_of(third)["code"], error_of(third)["error_subcode"]) == (17, 2446079)
    sb.control.fault("facebook", "error_5xx", status=503, endpoint="GET /{version}/act_{account}")
    assert get(sb, http, ACT, token).status_code == 503
    sb.control.fault("facebook", "expire_token", endpoint="GET /{version}/act_{account}")
    expired = get(sb, http, ACT, token)
    assert (error_of(expired)["code"], error_of(expired)["error_subcode"]) == (190, 463)


def test_control_changes_campaigns(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    result = sb.control.config(
        "facebook",
        ad_campaigns=[
            {"id": WINTER, "start_time": "2026-12-01T09:00:00", "stop_time": None},
            {"id": BRAND, "status": "ACTIVE", "daily_budget": "2500"},
            {"name": "Added", "start_time": "2026-12-24T00:00:00+01:00", "lifetime_budget": 99900},
        ],
    )
    changed = result["ad_campaigns"]
    assert changed[0]["start_time"] == "2026-12-01T09:00:00+0100" and "stop_time" not in changed[0]
    added = changed[2]["id"]
    listed = get(
        sb, http, f"{ACT}/campaigns", token, fields="id,status,daily_budget,lifetime_budget"
    )
    by_id = {c["id"]: c for c in listed.json()["data"]}
    assert by_id[BRAND]["status"] == "ACTIVE" and by_id[BRAND]["daily_budget"] == "2500"
    assert by_id[added]["lifetime_budget"] == "99900"
    sb.control.config("facebook", ad_campaigns=[{"id": added, "status": "DELETED"}])
    listed = get(sb, http, f"{ACT}/campaigns", token, fields="id").json()["data"]
    assert added not in {c["id"] for c in listed}
    bad = httpx.post(f"{sb.url}/_sandbox/facebook/config", json={"ad_campaigns": [{"id": "nope"}]})
    assert bad.status_code == 400 and "add" in bad.json()["error"]


def test_organic_endpoints_untouched(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("facebook", "cuecast_demo")
    page = minted["page_access_token"]
    created = http.post(
        graph(sb, "100000000000101/feed"), data={"message": "hi", "access_token": page}
    )
    post_id = created.json()["id"]
    insights = get(sb, http, f"{post_id}/insights", page, metric="post_clicks")
    assert insights.status_code == 200 and "x-business-use-case-usage" in insights.headers
    assert "ads_insights" not in insights.headers["x-business-use-case-usage"]
    narrow = str(
        sb.control.tokens("facebook", "cuecast_demo", scope="pages_show_list")["page_access_token"]
    )
    assert (
        error_of(get(sb, http, f"{post_id}/insights", narrow, metric="post_clicks"))["code"] == 10
    )


def test_days_follow_the_account_zone(sb: RunningSandbox, http: httpx.Client) -> None:
    token = user_token(sb)
    # 23:30 UTC on 2026-06-30 is already 1 July in Berlin: "today" is 2026-07-01 there
    sb.state.clock = lambda: 1782862200.0
    try:
        yesterday = date(2026, 6, 30)
        sb.control.metrics(
            "facebook", WINTER, {yesterday.isoformat(): {"impressions": 5, "spend": "1.00"}}
        )
        rows = get(sb, http, f"{WINTER}/insights", token, date_preset="yesterday").json()["data"]
        assert rows and rows[0]["date_start"] == (date(2026, 7, 1) - timedelta(days=1)).isoformat()
    finally:
        import time

        sb.state.clock = time.time
