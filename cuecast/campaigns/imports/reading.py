"""Reading a spreadsheet export: its encoding, its delimiter, its rows with spreadsheet numbers.

Encodings: UTF-8 with or without a byte-order mark, UTF-16 LE/BE with a BOM (Google Ads Editor's
"Export spreadsheet (CSV)" writes UTF-16LE, tab-separated), UTF-16 without a BOM when the NUL
pattern gives it away, and Windows-1252 as a last resort. Delimiters: comma, tab or semicolon,
sniffed by `csv.Sniffer` on the first lines, else the most frequent of the three in the header.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from cuecast.posts.services import FieldError, ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
DELIMITERS = ",\t;"
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon"}


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: dict[str, str]  # normalised header → stripped value


@dataclass(frozen=True)
class Table:
    encoding: str
    delimiter: str
    headers: list[str]  # as written in the file
    keys: list[str]  # normalised: lower case, no spaces, underscores or dashes
    rows: list[Row]


def refuse(message: str) -> ValidationFailed:
    return ValidationFailed([FieldError("file", message)])


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was in."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le"), "UTF-16 LE"
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be"), "UTF-16 BE"
    sample = data[:4096]
    if len(sample) >= 4:
        odd_nuls = sample[1::2].count(0) / max(len(sample) // 2, 1)
        even_nuls = sample[0::2].count(0) / max(len(sample) // 2, 1)
        if odd_nuls > 0.4 and even_nuls < 0.1:
            return data.decode("utf-16-le"), "UTF-16 LE"
        if even_nuls > 0.4 and odd_nuls < 0.1:
            return data.decode("utf-16-be"), "UTF-16 BE"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "Windows-1252"


def sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        return max(DELIMITERS, key=header.count)


_NOT_KEY = re.compile(r"[\s_\-]+")


def key(header: str) -> str:
    """ "Campaign Daily Budget" → "campaigndailybudget" (Editor ignores case and spaces)."""
    return _NOT_KEY.sub("", header.strip().lower())


def read(data: bytes) -> Table:
    if not data.strip():
        raise refuse(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise refuse(_("The file is larger than 10 MB; export fewer campaigns at a time."))
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError:
        raise refuse(_("Cuecast cannot read the file's text encoding; save it as UTF-8.")) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter = sniff_delimiter(text)
    records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    while records and not any(cell.strip() for cell in records[0]):
        records.pop(0)
    if not records:
        raise refuse(_("The file is empty."))
    headers = [h.strip().lstrip("\ufeff") for h in records[0]]
    keys = [key(h) for h in headers]
    rows = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells: dict[str, str] = {}
        for column, value in zip(keys, record, strict=False):
            if column and "#original" not in column and column not in cells:
                cells[column] = value.strip()
        rows.append(Row(index, cells))
    return Table(encoding, delimiter, headers, keys, rows)
