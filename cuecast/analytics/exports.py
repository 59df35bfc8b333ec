"""CSV and XLSX exports of reports, written from the same `Table`s the screen shows.

CSV holds one table (the screen's "Download CSV" beside each table): UTF-8 with a byte-order mark
so spreadsheet programs pick the encoding, comma-separated, values as `tables.plain` writes them.
XLSX holds every table of the report, one sheet each, with real numbers and dates and a number
format showing the same places as the screen.

Text a spreadsheet would run as a formula (a campaign named "=HYPERLINK(…)") is written as text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from cuecast.analytics.tables import Kind, Table, Value, local, plain, xlsx_format

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _csv_value(value: Value, kind: Kind, zone: str) -> str:
    text = plain(value, kind, zone)
    return _safe_text(text) if isinstance(value, str) else text


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_safe_text(c.label) for c in table.columns])
    for row in table.cells():
        writer.writerow([_csv_value(v, k, table.zone) for v, k in row])
    if table.totals is not None:
        writer.writerow([_csv_value(v, k, table.zone) for v, k in table.total_cells()])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name, each name once."""
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:26].strip()} ({n})"
        n += 1
    used.add(name.lower())
    return name


def _write_cell(sheet: object, row: int, column: int, value: Value, kind: Kind, zone: str) -> None:
    cell = sheet.cell(row=row, column=column)  # type: ignore[attr-defined]
    if isinstance(value, datetime):
        cell.value = local(value, zone).replace(tzinfo=None)  # Excel has no time zones
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # never a formula, whatever the text starts with
    else:
        cell.value = value
    if value is not None and not isinstance(value, str):
        cell.number_format = xlsx_format(value, kind)


def _write_table(sheet: object, table: Table) -> None:
    bold = Font(bold=True)
    for c, column in enumerate(table.columns, start=1):
        _write_cell(sheet, 1, c, column.label, Kind.TEXT, table.zone)
        sheet.cell(row=1, column=c).font = bold  # type: ignore[attr-defined]
    rows = table.cells() + ([table.total_cells()] if table.totals is not None else [])
    for r, row in enumerate(rows, start=2):
        for c, (value, kind) in enumerate(row, start=1):
            _write_cell(sheet, r, c, value, kind, table.zone)
            if table.totals is not None and r == len(rows) + 1:
                sheet.cell(row=r, column=c).font = bold  # type: ignore[attr-defined]
    if table.note:
        _write_cell(sheet, len(rows) + 3, 1, table.note, Kind.TEXT, table.zone)
    sheet.freeze_panes = "A2"  # type: ignore[attr-defined]
    for c, column in enumerate(table.columns, start=1):
        width = max(
            [len(column.label), *(len(plain(row[c - 1][0], row[c - 1][1])) for row in rows)]
        )
        sheet.column_dimensions[get_column_letter(c)].width = min(60, width + 2)  # type: ignore[attr-defined]


def to_xlsx(tables: Sequence[Table]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        _write_table(book.create_sheet(_sheet_title(table.title, used)), table)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
