"""The Microsoft Advertising emulator over real HTTP: OAuth, headers, campaigns, reports, faults."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from sandbox.testing import RunningSandbox
from tests.sandbox.sandbox_test_helpers import query_of

DEV = "cuecast-sandbox-developer-token"
CUSTOMER = "251000001"
DE = "180000001"
US = "180000002"
CM = "/msads/campaign/CampaignManagement/v13"
REP = "/msads/reporting/Reporting/v13/GenerateReport"
SCOPE = "https://ads.microsoft.com/msads.manage offline_access"
ALL_TYPES = "Search, Shopping, Audience, PerformanceMax"


def berlin_today() -> date:
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


def headers(token: str, account: str = DE, **extra: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "DeveloperToken": DEV,
        "CustomerId": CUSTOMER,
        "CustomerAccountId": account,
        **extra,
    }


def token(sb: RunningSandbox, user: str = "demo") -> str:
    value: str = sb.control.tokens("msads", user)["access_token"]
    return value


def post(
    http: httpx.Client, sb: RunningSandbox, path: str, tok: str, body: dict[str, Any], **kw: Any
) -> httpx.Response:
    return http.post(f"{sb.url}{path}", json=body, headers=headers(tok, **kw))


def error_code(response: httpx.Response) -> int:
    body = response.json()
    if body["Type"] == "ApiFaultDetail":
        code: int = body["OperationErrors"][0]["Code"]
        return code
    code = body["Errors"][0]["Code"]
    return code


def campaigns(http: httpx.Client, sb: RunningSandbox, tok: str, **body: Any) -> dict[str, Any]:
    response = post(http, sb, f"{CM}/Campaigns/QueryByAccountId", tok, {"AccountId": DE, **body})
    assert response.status_code == 200, response.text
    return {c["Id"]: c for c in response.json()["Campaigns"]}


# --- OAuth -------------------------------------------------------------------------------------
def test_oauth_code_flow_refresh_rotates_and_cancel(sb: RunningSandbox, http: httpx.Client) -> None:
    params = {
        "client_id": "cuecast-sandbox",
        "response_type": "code",
        "redirect_uri": "http://127.0.0.1/cb",
        "scope": SCOPE,
        "state": "s1",
    }
    page = http.get(f"{sb.url}/msads/oauth/authorize", params=params)
    assert page.status_code == 200 and 'value="demo"' in page.text
    decided = http.post(
        f"{sb.url}/msads/oauth/authorize", data={**params, "user": "demo", "decision": "authorize"}
    )
    assert decided.status_code == 302
    got = query_of(decided.headers["location"])
    assert got["state"] == "s1"
    form = {
        "client_id": "cuecast-sandbox",
        "client_secret": "cuecast-sandbox-secret",
        "grant_type": "authorization_code",
        "code": got["code"],
        "redirect_uri": "http://127.0.0.1/cb",
        "scope": SCOPE,
    }
    first = http.post(f"{sb.url}/msads/oauth/token", data=form)
    assert first.status_code == 200, first.text
    tokens = first.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == "https://ads.microsoft.com/msads.manage"
    again = http.post(f"{sb.url}/msads/oauth/token", data=form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    refresh_form = {
        "client_id": "cuecast-sandbox",
        "client_secret": "cuecast-sandbox-secret",
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "scope": SCOPE,
    }
    refreshed = http.post(f"{sb.url}/msads/oauth/token", data=refresh_form).json()
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    assert refreshed["access_token"] != tokens["access_token"]
    ok = post(
        http, sb, f"{CM}/Campaigns/QueryByAccountId", refreshed["access_token"], {"AccountId": DE}
    )
    assert ok.status_code == 200

    sb.control.config("msads", refresh_token_single_use=True)
    http.post(
        f"{sb.url}/msads/oauth/token",
        data={**refresh_form, "refresh_token": refreshed["refresh_token"]},
    )
    reused = http.post(
        f"{sb.url}/msads/oauth/token",
        data={**refresh_form, "refresh_token": refreshed["refresh_token"]},
    )
    assert reused.status_code == 400 and reused.json()["error_codes"] == [70000]

    bad_secret = http.post(
        f"{sb.url}/msads/oauth/token", data={**refresh_form, "client_secret": "nope"}
    )
    assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"

    cancelled = http.post(f"{sb.url}/msads/oauth/authorize", data={**params, "decision": "cancel"})
    assert cancelled.status_code == 302
    back = query_of(cancelled.headers["location"])
    assert back["error"] == "access_denied" and back["state"] == "s1"


# --- headers -----------------------------------------------------------------------------------
def test_every_header_is_required(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    url = f"{sb.url}{CM}/Campaigns/QueryByAccountId"
    body = {"AccountId": DE}
    full = headers(tok)
    assert http.post(url, json=body, headers=full).status_code == 200
    for missing in ("Authorization", "DeveloperToken", "CustomerId", "CustomerAccountId"):
        partial = {k: v for k, v in full.items() if k != missing}
        response = http.post(url, json=body, headers=partial)
        assert response.status_code == 400, missing
        assert response.json()["Type"] == "AdApiFaultDetail"
        assert error_code(response) == 116, missing
    wrong_dev = http.post(url, json=body, headers={**full, "DeveloperToken": "x"})
    assert wrong_dev.status_code == 401 and error_code(wrong_dev) == 105
    wrong_token = http.post(url, json=body, headers={**full, "Authorization": "Bearer nope"})
    assert wrong_token.status_code == 401 and error_code(wrong_token) == 105
    other_customer = http.post(url, json=body, headers={**full, "CustomerId": "251000002"})
    assert other_customer.status_code == 403 and error_code(other_customer) == 106
    other_account = http.post(
        url, json={"AccountId": "180000003"}, headers={**full, "CustomerAccountId": "180000003"}
    )
    assert error_code(other_account) == 106
    mismatch = http.post(url, json={"AccountId": US}, headers=full)
    assert error_code(mismatch) == 106


# --- campaigns ---------------------------------------------------------------------------------
def test_campaign_type_defaults_to_search_only(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    default = campaigns(http, sb, tok)
    assert {c["CampaignType"] for c in default.values()} == {"Search"}
    assert set(default) == {"510000001", "510000005"}
    everything = campaigns(http, sb, tok, CampaignType=ALL_TYPES)
    assert set(everything) == {"510000001", "510000002", "510000003", "510000004", "510000005"}
    spaced = campaigns(http, sb, tok, CampaignType="Shopping PerformanceMax")
    assert set(spaced) == {"510000002", "510000003"}
    search = everything["510000001"]
    assert search["Id"] == "510000001" and isinstance(search["Id"], str)
    assert search["Status"] == "Active" and search["DailyBudget"] == 50.0
    assert search["BudgetType"] == "DailyBudgetStandard"
    assert search["TimeZone"] == "AmsterdamBerlinBernRomeStockholmVienna"
    assert search["UseCampaignLevelDates"] is True
    assert search["StartDate"].endswith("T00:00:00") and search["EndDate"]
    assert everything["510000005"]["Status"] == "BudgetPaused"
    assert everything["510000003"]["EndDate"] is None
    bad = post(
        http, sb, f"{CM}/Campaigns/QueryByAccountId", tok, {"AccountId": DE, "CampaignType": "Tv"}
    )
    assert bad.status_code == 400 and error_code(bad) == 201


def test_ad_group_dates_for_campaigns_without_dates(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    shopping = campaigns(http, sb, tok, CampaignType="Shopping")["510000002"]
    assert shopping["StartDate"] is None and shopping["UseCampaignLevelDates"] is False
    response = post(http, sb, f"{CM}/AdGroups/QueryByCampaignId", tok, {"CampaignId": "510000002"})
    assert response.status_code == 200
    groups = response.json()["AdGroups"]
    assert len(groups) == 2
    for group in groups:
        assert set(group["StartDate"]) == {"Day", "Month", "Year"}
        assert set(group["EndDate"]) == {"Day", "Month", "Year"}
    missing = post(http, sb, f"{CM}/AdGroups/QueryByCampaignId", tok, {"CampaignId": "999"})
    assert missing.status_code == 400
    assert missing.json()["Type"] == "ApiFaultDetail" and error_code(missing) == 1100
    foreign = post(http, sb, f"{CM}/AdGroups/QueryByCampaignId", tok, {"CampaignId": "530000000"})
    assert error_code(foreign) == 1100


def test_control_changes_campaigns(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.config(
        "msads",
        campaigns={
            "510000001": {"StartDate": "2026-12-01", "EndDate": "2026-12-20", "Status": "Paused"},
            "510000003": {"Status": "BudgetPaused"},
            "510000099": {"Name": "Added", "CampaignType": "Audience", "StartDate": "2027-01-05"},
        },
        ad_groups={"610000021": {"EndDate": "2027-02-01"}},
    )
    got = campaigns(http, sb, tok, CampaignType=ALL_TYPES)
    assert got["510000001"]["StartDate"] == "2026-12-01T00:00:00"
    assert got["510000001"]["EndDate"] == "2026-12-20T00:00:00"
    assert got["510000001"]["Status"] == "Paused"
    assert got["510000003"]["Status"] == "BudgetPaused"
    assert got["510000099"]["Name"] == "Added" and got["510000099"]["CampaignType"] == "Audience"
    groups = post(http, sb, f"{CM}/AdGroups/QueryByCampaignId", tok, {"CampaignId": "510000002"})
    ends = [g["EndDate"] for g in groups.json()["AdGroups"] if g["Id"] == "610000021"]
    assert ends == [{"Day": 1, "Month": 2, "Year": 2027}]
    sb.control.config("msads", campaigns={"510000001": {"Status": "Deleted"}})
    assert "510000001" not in campaigns(http, sb, tok, CampaignType=ALL_TYPES)
    bad = sb.control._http.post("/msads/config", json={"campaigns": {"510000001": {"Bogus": 1}}})
    assert bad.status_code == 400


def test_customer_management_lists_accounts(sb: RunningSandbox, http: httpx.Client) -> None:
    minted = sb.control.tokens("msads", "demo")
    assert minted["customer_id"] == CUSTOMER and minted["account_ids"] == [DE, US]
    hdrs = {"Authorization": f"Bearer {minted['access_token']}", "DeveloperToken": DEV}
    base = f"{sb.url}/msads/clientcenter/CustomerManagement/v13"
    user = http.post(f"{base}/User/Query", json={"UserId": None}, headers=hdrs).json()
    assert user["CustomerRoles"][0]["CustomerId"] == CUSTOMER
    accounts = http.post(
        f"{base}/Accounts/Search",
        json={
            "Predicates": [{"Field": "UserId", "Operator": "Equals", "Value": user["User"]["Id"]}],
            "PageInfo": {"Index": 0, "Size": 100},
        },
        headers=hdrs,
    ).json()["Accounts"]
    assert [(a["Id"], a["CurrencyCode"], a["TimeZone"]) for a in accounts] == [
        (DE, "EUR", "AmsterdamBerlinBernRomeStockholmVienna"),
        (US, "USD", "EasternTimeUSCanada"),
    ]
    info = http.post(f"{base}/AccountsInfo/Query", json={"CustomerId": CUSTOMER}, headers=hdrs)
    assert [a["Number"] for a in info.json()["AccountsInfo"]] == ["F1A2B3C4", "F5D6E7F8"]


# --- reports -----------------------------------------------------------------------------------
def report_request(start: date, end: date, **extra: Any) -> dict[str, Any]:
    return {
        "ReportRequest": {
            "Type": "CampaignPerformanceReportRequest",
            "ReportName": "daily-campaigns",
            "Format": "Csv",
            "FormatVersion": "2.0",
            "ReturnOnlyCompleteData": False,
            "Aggregation": "Daily",
            "Columns": [
                "TimePeriod",
                "CampaignId",
                "Impressions",
                "Clicks",
                "Spend",
                "Conversions",
                "CurrencyCode",
                "CostPerConversion",
            ],
            "Scope": {"AccountIds": [DE], "Campaigns": None},
            "Time": {
                "CustomDateRangeStart": {
                    "Year": start.year,
                    "Month": start.month,
                    "Day": start.day,
                },
                "CustomDateRangeEnd": {"Year": end.year, "Month": end.month, "Day": end.day},
                "ReportTimeZone": "AmsterdamBerlinBernRomeStockholmVienna",
            },
            **extra,
        }
    }


def run_report(
    http: httpx.Client, sb: RunningSandbox, tok: str, body: dict[str, Any]
) -> str | None:
    submitted = post(http, sb, f"{REP}/Submit", tok, body)
    assert submitted.status_code == 200, submitted.text
    rid = submitted.json()["ReportRequestId"]
    for _ in range(10):
        status = post(http, sb, f"{REP}/Poll", tok, {"ReportRequestId": rid}).json()
        state = status["ReportRequestStatus"]
        if state["Status"] == "Success":
            url: str | None = state["ReportDownloadUrl"]
            return url
        assert state["Status"] == "Pending"
    raise AssertionError("report never finished")


def test_report_flow_end_to_end(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.config("msads", report_pending_polls=3)
    sb.control.metrics(
        "msads",
        "510000001",
        {
            "replace": True,
            "days": {
                "2026-11-01": {
                    "impressions": 1200,
                    "clicks": 35,
                    "spend": "21.40",
                    "conversions": "2",
                },
                "2026-11-02": {
                    "impressions": 900,
                    "clicks": 20,
                    "spend": "12.10",
                    "conversions": 0,
                },
            },
        },
    )
    body = report_request(date(2026, 11, 1), date(2026, 11, 2))
    body["ReportRequest"]["Scope"]["Campaigns"] = [{"AccountId": DE, "CampaignId": "510000001"}]
    submitted = post(http, sb, f"{REP}/Submit", tok, body).json()
    rid = submitted["ReportRequestId"]
    polls = [
        post(http, sb, f"{REP}/Poll", tok, {"ReportRequestId": rid}).json()["ReportRequestStatus"]
        for _ in range(4)
    ]
    assert [p["Status"] for p in polls] == ["Pending", "Pending", "Pending", "Success"]
    url = polls[-1]["ReportDownloadUrl"]
    assert url.startswith(sb.url)
    downloaded = http.get(url)  # no auth headers
    assert downloaded.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(downloaded.content))
    (name,) = archive.namelist()
    raw = archive.read(name)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == '"Report Name: daily-campaigns"'
    assert lines[1] == '"Report Time: 11/1/2026,11/2/2026"'
    assert lines[2] == '"Time Zone: (GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"'
    assert any(line.startswith('"Last Completed Available Day: ') for line in lines)
    assert '"Potential Incomplete Data: false"' in lines
    assert '"Rows: 2"' in lines
    assert lines[-1].startswith('"©') and "Microsoft Corporation. All rights reserved." in lines[-1]
    table = [r for r in csv.reader(io.StringIO(text)) if len(r) > 1]
    assert table[0][:5] == ["TimePeriod", "CampaignId", "Impressions", "Clicks", "Spend"]
    assert table[1] == ["2026-11-01", "510000001", "1200", "35", "21.40", "2", "EUR", "10.70"]
    assert table[2] == ["2026-11-02", "510000001", "900", "20", "12.10", "0", "EUR", "--"]
    assert '"Report Name' not in text.split("\r\n\r\n")[1]  # blank line ends the header
    assert all(field.startswith('"') for field in lines[-3].split(","))  # all quoted


def test_report_without_header_footer_and_empty_report(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    tok = token(sb)
    sb.control.config("msads", report_pending_polls=0)
    today = berlin_today()
    body = report_request(
        today - timedelta(days=5),
        today - timedelta(days=2),
        ExcludeReportHeader=True,
        ExcludeReportFooter=True,
        ExcludeColumnHeaders=False,
    )
    url = run_report(http, sb, tok, body)
    assert url is not None
    text = zipfile.ZipFile(io.BytesIO(http.get(url).content)).read(
        zipfile.ZipFile(io.BytesIO(http.get(url).content)).namelist()[0]
    )
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows[0][0] == "TimePeriod"
    assert all(len(r) == 8 for r in rows if r)
    assert {r[1] for r in rows[1:]} >= {"510000001", "510000002", "510000003"}
    empty = report_request(date(2020, 1, 1), date(2020, 1, 31))
    assert run_report(http, sb, tok, empty) is None


def test_download_url_expires(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.config("msads", report_pending_polls=0, download_url_lifetime=0)
    url = run_report(
        http, sb, tok, report_request(berlin_today() - timedelta(days=7), berlin_today())
    )
    assert url is not None
    expired = http.get(url)
    assert expired.status_code == 403 and b"AuthenticationFailed" in expired.content


def test_report_errors(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.config("msads", max_concurrent_reports=1, report_pending_polls=5)
    body = report_request(date(2026, 11, 1), date(2026, 11, 2))
    assert post(http, sb, f"{REP}/Submit", tok, body).status_code == 200
    busy = post(http, sb, f"{REP}/Submit", tok, body)
    assert busy.status_code == 400 and error_code(busy) == 207
    unknown = post(http, sb, f"{REP}/Poll", tok, {"ReportRequestId": "nope"})
    assert error_code(unknown) == 2100
    bad_scope = report_request(date(2026, 11, 1), date(2026, 11, 2))
    bad_scope["ReportRequest"]["Scope"]["AccountIds"] = ["180000003"]
    sb.control.config("msads", max_concurrent_reports=5)
    assert error_code(post(http, sb, f"{REP}/Submit", tok, bad_scope)) == 106


# --- faults ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("error_5xx", 503, 0),
        ("rate_limit_burst", 400, 117),
        ("expire_token", 401, 109),
        ("revoke_token", 401, 105),
    ],
)
def test_faults(sb: RunningSandbox, http: httpx.Client, kind: str, status: int, code: int) -> None:
    tok = token(sb)
    sb.control.fault(
        "msads", kind, endpoint="POST /campaign/CampaignManagement/v13/Campaigns/QueryByAccountId"
    )
    response = post(http, sb, f"{CM}/Campaigns/QueryByAccountId", tok, {"AccountId": DE})
    assert response.status_code == status
    assert response.json()["Type"] == "AdApiFaultDetail" and error_code(response) == code


def test_expired_token_refreshes_and_revoked_does_not(
    sb: RunningSandbox, http: httpx.Client
) -> None:
    minted = sb.control.tokens("msads", "demo")
    form = {
        "client_id": "cuecast-sandbox",
        "client_secret": "cuecast-sandbox-secret",
        "grant_type": "refresh_token",
        "refresh_token": minted["refresh_token"],
    }
    sb.control.fault("msads", "expire_token")
    expired = post(
        http, sb, f"{CM}/Campaigns/QueryByAccountId", minted["access_token"], {"AccountId": DE}
    )
    assert error_code(expired) == 109
    assert http.post(f"{sb.url}/msads/oauth/token", data=form).status_code == 200
    sb.control.fault("msads", "revoke_token")
    post(http, sb, f"{CM}/Campaigns/QueryByAccountId", minted["access_token"], {"AccountId": DE})
    refused = http.post(f"{sb.url}/msads/oauth/token", data=form)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_slow_fault_and_real_rate_limit(sb: RunningSandbox, http: httpx.Client) -> None:
    tok = token(sb)
    sb.control.fault("msads", "slow", seconds=0.3)
    response = post(http, sb, f"{CM}/Campaigns/QueryByAccountId", tok, {"AccountId": DE})
    assert response.status_code == 200 and response.elapsed.total_seconds() >= 0.3
    sb.control.config("msads", calls_per_minute=3)  # the slow call counted too
    codes = [
        post(http, sb, f"{CM}/Campaigns/QueryByAccountId", tok, {"AccountId": DE}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 400]


def test_seeded_metrics_are_decimal_and_in_account_days(sb: RunningSandbox) -> None:
    with sb.state.lock:
        from sandbox.msads.state import MsadsState

        ms = sb.state.net("msads", MsadsState)
        rows = {k: v for k, v in ms.metrics.items() if k[0] == "510000001"}
    assert len(rows) == 14  # 14 days from the start up to yesterday (Europe/Berlin)
    assert all(r.spend <= 50 and r.spend == r.spend.quantize(r.spend) for r in rows.values())
