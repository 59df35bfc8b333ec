"""What the screen shows is what the CSV and the XLSX hold: the same columns, rows, totals,
rounding and time zone. Each table is read back from the page, the CSV and the XLSX and
compared cell by cell."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from cuecast.analytics.models import FinalReason

from . import factories as make
from .report_world import ReportWorld

WEEK = "period=custom&start=2026-11-09&end=2026-11-13&compare=1"


class Tables(HTMLParser):
    """The report tables of a page: {data-table: {"header": [...], "rows": [[...]], "totals": [...]}}.
    A cell is its visible text; a date cell is its <time datetime>."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, Any]] = {}
        self._table: dict[str, Any] | None = None
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and "report-table" in (found.get("class") or ""):
            self._table = {"header": [], "rows": [], "totals": []}
            self.tables[str(found["data-table"])] = self._table
        elif self._table is None:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "time" and self._cell is not None:
            self._cell.append(f"@{found['datetime']}")

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not (self._cell and self._cell[-1].startswith("@")):
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._table is None:
            return
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = "".join(self._cell).strip()
            self._row.append(text[1:] if text.startswith("@") else text)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._section == "thead":
                self._table["header"] = self._row
            elif self._section == "tfoot":
                self._table["totals"] = self._row
            elif len(self._row) > 1:  # not the "nothing yet" row
                self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def screen_tables(html: str) -> dict[str, dict[str, Any]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def plain_number(text: str, thousands: str, decimal: str) -> str:
    """A number as the screen shows it, written the way the CSV writes it."""
    if text == "—":
        return ""
    return text.replace(thousands, "").replace(decimal, ".")


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # spreadsheet programs read the BOM as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_sheets(data: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(data))
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def xlsx_plain(value: Any) -> str:
    """An XLSX cell the way the CSV writes the value."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if value.time() != datetime.min.time()
            else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(Decimal(str(value)))
    return str(value)


def same_number(a: str, b: str) -> bool:
    """Equal as text, or as numbers (XLSX stores 21.30 as the float 21.3)."""
    if a == b:
        return True
    try:
        return Decimal(a) == Decimal(b)
    except ArithmeticError:
        return False


def assert_same(
    screen: dict[str, Any],
    csv_data: list[list[str]],
    sheet: list[list[Any]],
    *,
    thousands: str = ",",
    decimal: str = ".",
) -> None:
    body = screen["rows"] + ([screen["totals"]] if screen["totals"] else [])
    shown = [
        [plain_number(c, thousands, decimal) if _numeric(c, thousands, decimal) else c for c in row]
        for row in body
    ]
    assert csv_data[0] == screen["header"]
    assert csv_data[1:] == shown
    assert [str(c) for c in sheet[0]] == screen["header"]
    from_xlsx = [[xlsx_plain(c) for c in row] for row in sheet[1 : 1 + len(body)]]
    assert len(from_xlsx) == len(shown)
    for xlsx_row, csv_row in zip(from_xlsx, csv_data[1:], strict=True):
        assert len(xlsx_row) == len(csv_row)
        assert all(same_number(x, c) for x, c in zip(xlsx_row, csv_row, strict=True)), (
            xlsx_row,
            csv_row,
        )


def _numeric(text: str, thousands: str, decimal: str) -> bool:
    if text == "—":
        return True
    candidate = text.replace(thousands, "").replace(decimal, ".").lstrip("+-")
    return candidate.replace(".", "", 1).isdigit()


def _download(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_campaign_report_screen_csv_and_xlsx_are_the_same(
    signed_in: Client, world: ReportWorld
) -> None:
    base = f"/w/acme/campaigns/{world.campaign.pk}/report/"
    page = signed_in.get(f"{base}?{WEEK}")
    assert page.status_code == 200
    shown = screen_tables(page.content.decode())
    assert set(shown) == {"daily", "networks", "comparison"}
    daily = shown["daily"]
    assert daily["rows"][1] == [
        "2026-11-10",
        "1,000",
        "20",
        "52",
        "5,000",
        "100",
        "21.37",
        "0.1406",
    ]
    assert daily["totals"] == ["Total", "3,500", "65", "128", "12,000", "240", "51.67", "0.1404"]
    sheets = xlsx_sheets(_download(signed_in, f"{base}export.xlsx?{WEEK}"))
    assert list(sheets) == [
        "Organic and paid per day",
        "Organic per network",
        "This period against the one bef",  # Excel's 31 characters
    ]
    for key, sheet in zip(shown, sheets.values(), strict=True):
        data = csv_rows(_download(signed_in, f"{base}export.csv?{WEEK}&table={key}"))
        assert_same(shown[key], data, sheet)


def test_german_screen_has_german_numbers_and_the_csv_stays_machine_readable(
    signed_in: Client, owner: Any, world: ReportWorld
) -> None:
    owner.language = "de"
    owner.save()
    base = f"/w/acme/campaigns/{world.campaign.pk}/report/"
    shown = screen_tables(signed_in.get(f"{base}?{WEEK}").content.decode())
    assert shown["daily"]["totals"][1:7] == ["3.500", "65", "128", "12.000", "240", "51,67"]
    data = csv_rows(_download(signed_in, f"{base}export.csv?{WEEK}&table=daily"))
    assert data[0][0] == "Tag"
    assert data[-1][1:7] == ["3500", "65", "128", "12000", "240", "51.67"]
    sheets = xlsx_sheets(_download(signed_in, f"{base}export.xlsx?{WEEK}"))
    assert_same(
        shown["daily"], data, sheets["Organisch und bezahlt pro Tag"], thousands=".", decimal=","
    )


def test_overview_and_channel_exports_match_their_screens(
    signed_in: Client, world: ReportWorld
) -> None:
    for base in ("/w/acme/analytics/", f"/w/acme/channels/{world.x.pk}/report/"):
        shown = screen_tables(signed_in.get(f"{base}?{WEEK}").content.decode())
        sheets = xlsx_sheets(_download(signed_in, f"{base}export.xlsx?{WEEK}"))
        assert len(sheets) == len(shown)
        for (key, table), sheet in zip(shown.items(), sheets.values(), strict=True):
            data = csv_rows(_download(signed_in, f"{base}export.csv?{WEEK}&table={key}"))
            assert_same(table, data, sheet)


def test_post_export_times_are_in_the_workspace_zone(signed_in: Client, world: ReportWorld) -> None:
    first = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    make.snapshot(world.on_x, first, impressions=400, likes=10)
    make.snapshot(world.on_x, first + timedelta(hours=20), impressions=1500, likes=40)
    make.final_poll(world.on_x, FinalReason.HORIZON, first + timedelta(days=30))
    page = signed_in.get(f"/w/acme/posts/{world.on_x.post_id}/")
    shown = screen_tables(page.content.decode())
    key = f"readings-{world.on_x.pk}"
    assert shown[key]["header"] == ["Time (Europe/Berlin)", "Impressions", "Likes"]
    base = f"/w/acme/posts/{world.on_x.post_id}/report/"
    data = csv_rows(_download(signed_in, f"{base}export.csv?table={key}"))
    assert [row[0] for row in data[1:]] == ["2026-11-10 11:00", "2026-11-11 07:00"]  # UTC+1
    sheets = xlsx_sheets(_download(signed_in, f"{base}export.xlsx"))
    assert sheets["ACME on X  figures as collected"][1][0] == datetime(2026, 11, 10, 11, 0)
    summary = csv_rows(_download(signed_in, f"{base}export.csv?table=targets"))
    assert summary[1][-2:] == ["The network's metrics window has closed", "2026-12-10 11:00"]
    assert "Final as of (Europe/Berlin)" in summary[0]


def test_text_that_looks_like_a_formula_stays_text(signed_in: Client, world: ReportWorld) -> None:
    world.campaign.name = '=HYPERLINK("http://evil.example","Click")'
    world.campaign.save()
    base = "/w/acme/analytics/"
    data = csv_rows(_download(signed_in, f"{base}export.csv?{WEEK}&table=campaigns"))
    assert data[1][0] == "'" + world.campaign.name
    book = load_workbook(io.BytesIO(_download(signed_in, f"{base}export.xlsx?{WEEK}")))
    cell = book["Campaigns"]["A2"]
    assert cell.data_type == "s" and cell.value == world.campaign.name


@pytest.mark.parametrize(
    "url",
    [
        "/w/acme/analytics/export.pdf",
        "/w/acme/analytics/export.csv?table=nope",
    ],
)
def test_unknown_formats_and_tables_are_not_found(
    signed_in: Client, world: ReportWorld, url: str
) -> None:
    assert signed_in.get(url).status_code == 404


def test_a_bad_period_is_explained(signed_in: Client, world: ReportWorld) -> None:
    url = "/w/acme/analytics/export.csv?period=custom&start=2026-11-13&end=2026-11-09"
    response = signed_in.get(url)
    assert response.status_code == 400
    assert response.content.decode() == "The last day must not be before the first day."
    page = signed_in.get("/w/acme/analytics/?period=custom&start=2026-11-13&end=2026-11-09")
    assert page.status_code == 400
    assert "The last day must not be before the first day." in page.content.decode()


def test_another_workspace_cannot_export(client: Client, stranger: Any, world: ReportWorld) -> None:
    client.force_login(stranger)
    assert client.get(f"/w/acme/campaigns/{world.campaign.pk}/report/export.csv").status_code == 404
    assert (
        client.get(f"/w/other/campaigns/{world.campaign.pk}/report/export.csv").status_code == 404
    )
