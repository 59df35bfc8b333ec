"""The report flow over MockTransport (submit → poll with backoff → zip download) and the CSV
parser's edge cases, from recorded files in fixtures/."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from cuecast.campaigns.sources.microsoft import reports
from cuecast.networks import errors as tree

from .helpers import ACCOUNT_ID, CUSTOMER_ID, FIXTURES, connection

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def csv_text(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8-sig")


def zipped(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.csv", (FIXTURES / name).read_bytes())
    return buffer.getvalue()


# --- CSV parsing -------------------------------------------------------------------------------


def test_header_footer_bom_quotes_separators_and_not_available() -> None:
    rows = reports.parse_csv(csv_text("report_with_header_footer.csv"), default_currency="USD")
    by_key = {(r.campaign_external_id, r.day): r for r in rows}
    assert len(rows) == 4  # the Total row and the copyright footer are not data
    first = by_key[("500001", date(2026, 11, 1))]
    assert (first.impressions, first.clicks) == (1200, 35)
    assert first.spend == Decimal("1021.40") and first.currency == "EUR"
    assert by_key[("500001", date(2026, 11, 2))].conversions == Decimal("0.00")  # "--"
    empty = by_key[("500002", date(2026, 11, 2))]
    assert (empty.impressions, empty.clicks, empty.spend) == (0, 0, Decimal("0.00"))
    third = by_key[("500001", date(2026, 11, 3))]
    assert third.spend == Decimal("0.34")  # to the cent, half up
    assert third.conversions == Decimal("1.50")
    assert all(isinstance(r.spend, Decimal) for r in rows)


def test_plain_csv_with_us_dates_and_default_currency_when_column_missing() -> None:
    text = csv_text("report_plain.csv").replace(',"CurrencyCode"', "").replace(',"USD"', "")
    rows = reports.parse_csv(text, default_currency="GBP")
    assert [(r.day, r.spend, r.currency) for r in rows] == [
        (date(2026, 11, 5), Decimal("0.10"), "GBP")
    ]


def test_tab_separated() -> None:
    rows = reports.parse_csv(csv_text("report_tsv.csv"), default_currency="USD")
    assert [(r.impressions, r.clicks, r.spend) for r in rows] == [(7, 2, Decimal("3.20"))]


def test_rows_of_other_campaigns_are_left_out_and_duplicates_summed() -> None:
    text = csv_text("report_plain.csv")
    line = text.strip().splitlines()[1]
    text = text + line + "\n" + line.replace("500001", "999") + "\n"
    rows = reports.parse_csv(text, default_currency="USD", campaign_ids=["500001"])
    assert [(r.campaign_external_id, r.impressions, r.spend) for r in rows] == [
        ("500001", 10, Decimal("0.20"))
    ]


def test_no_column_header_is_unreadable_but_empty_is_no_rows() -> None:
    with pytest.raises(tree.Permanent):
        reports.parse_csv('"Report Name: x"\n"Rows: 0"\n', default_currency="USD")
    assert reports.parse_csv("", default_currency="USD") == []


def test_unzip_takes_the_csv_and_accepts_utf16() -> None:
    assert "TimePeriod" in reports.unzip(zipped("report_plain.csv"))
    utf16 = (FIXTURES / "report_plain.csv").read_text().encode("utf-16")
    assert "TimePeriod" in reports.unzip(utf16)
    with pytest.raises(tree.Permanent):
        reports.unzip(b"PK\x03\x04 not a zip")


# --- the flow ----------------------------------------------------------------------------------


class Reporting:
    """A scripted Reporting service: Pending for `pending` polls, then `final`."""

    def __init__(self, pending: int = 2, final: str = "Success", url: str | None = "x") -> None:
        self.pending = pending
        self.final = final
        self.url = "https://download.microsoft.test/r/1.zip" if url == "x" else url
        self.seen: list[httpx.Request] = []
        self.polls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path
        if path.endswith("/GenerateReport/Submit"):
            return httpx.Response(200, json={"ReportRequestId": "30000000001"})
        if path.endswith("/GenerateReport/Poll"):
            self.polls += 1
            status = "Pending" if self.polls <= self.pending else self.final
            url = self.url if status == "Success" else None
            return httpx.Response(
                200,
                json={"ReportRequestStatus": {"Status": status, "ReportDownloadUrl": url}},
            )
        if request.url.host == "download.microsoft.test":
            return httpx.Response(200, content=zipped("report_with_header_footer.csv"))
        return httpx.Response(404)


async def test_submit_poll_download_parse() -> None:
    service = Reporting(pending=3)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    conn, client = connection(service, sleep=sleep)
    async with client:
        rows = await conn.daily_metrics(["500001"], date(2026, 11, 1), date(2026, 11, 3))
    assert sum(r.spend for r in rows) == Decimal("1033.84")
    assert {r.campaign_external_id for r in rows} == {"500001"}
    assert sleeps == [2.0, 4.0, 8.0]  # backoff between Pending polls
    submit = service.seen[0]
    body: dict[str, Any] = json.loads(submit.content)["ReportRequest"]
    assert body["Type"] == "CampaignPerformanceReportRequest"
    assert body["Aggregation"] == "Daily" and "TimePeriod" in body["Columns"]
    assert body["Time"]["CustomDateRangeStart"] == {"Year": 2026, "Month": 11, "Day": 1}
    assert body["Time"]["CustomDateRangeEnd"] == {"Year": 2026, "Month": 11, "Day": 3}
    assert body["Time"]["PredefinedTime"] is None
    assert body["Scope"]["AccountIds"] == [ACCOUNT_ID]
    assert body["Scope"]["Campaigns"] == [{"AccountId": ACCOUNT_ID, "CampaignId": "500001"}]
    for request in service.seen[:-1]:
        assert request.headers["Authorization"] == "Bearer AT-secret"
        assert request.headers["DeveloperToken"] == "devtoken"
        assert request.headers["CustomerId"] == CUSTOMER_ID
        assert request.headers["CustomerAccountId"] == ACCOUNT_ID
    download = service.seen[-1]
    assert "Authorization" not in download.headers and "DeveloperToken" not in download.headers


async def test_success_without_download_url_means_no_rows() -> None:
    conn, client = connection(Reporting(pending=0, url=None))
    async with client:
        assert await conn.daily_metrics([], date(2026, 11, 1), date(2026, 11, 1)) == []


async def test_pending_too_long_is_transient() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    plan = reports.PollPlan(first_delay=1, max_delay=4, max_wait=10)
    conn, client = connection(Reporting(pending=1000), sleep=sleep, poll_plan=plan)
    async with client:
        with pytest.raises(tree.Transient) as caught:
            await conn.daily_metrics(["1"], date(2026, 11, 1), date(2026, 11, 1))
    assert caught.value.code == "report_pending"
    assert sum(slept) == 10 and max(slept) == 4


async def test_report_error_status_is_transient() -> None:
    conn, client = connection(Reporting(pending=0, final="Error"))
    async with client:
        with pytest.raises(tree.Transient) as caught:
            await conn.daily_metrics(["1"], date(2026, 11, 1), date(2026, 11, 1))
    assert caught.value.code == "report_error"


def test_many_campaigns_scope_by_account() -> None:
    ids = [str(i) for i in range(reports.MAX_SCOPED_CAMPAIGNS + 1)]
    body = reports.submit_body("1", ids, date(2026, 1, 1), date(2026, 1, 2))
    assert body["ReportRequest"]["Scope"] == {"AccountIds": ["1"], "Campaigns": None}


def test_fixture_files_exist() -> None:
    assert Path(FIXTURES / "report_with_header_footer.csv").read_bytes().startswith(b"\xef\xbb\xbf")
