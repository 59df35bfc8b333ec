"""Cell values as exports write them: dates, money, with a sentence when one cannot be read."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from cuecast.posts import scheduling


class CellError(ValueError):
    """The message is a sentence for the rejected-rows list."""


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d")


def parse_date(label: str, value: str) -> date | None:
    """ISO (2026-12-01), Microsoft's M/D/YYYY, German DD.MM.YYYY, or YYYYMMDD; "" and "[]" are
    no date. Microsoft and Editor may add a time ("12/1/2026 00:00:00"); it is ignored."""
    value = value.strip()
    if value in {"", "[]", "--"}:
        return None
    head = value.split(" ")[0].split("T")[0]
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(head, pattern).replace(tzinfo=UTC).date()
        except ValueError:
            continue
    raise CellError(f"{label} “{value}” is not a date; write it like 2026-12-01.")


def day_start(day: date, tz: str) -> datetime:
    """00:00 of that day in the zone, as an aware UTC instant (where a zone skips midnight for
    daylight saving time, the first moment of the day)."""
    midnight = datetime.combine(day, datetime.min.time())
    try:
        return scheduling.localize(midnight, tz)
    except scheduling.ScheduleError:
        return midnight.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def day_end(day: date, tz: str) -> datetime:
    """The end of that day: the next day's 00:00 (an end date includes its whole day)."""
    return day_start(day + timedelta(days=1), tz)


_MONEY_JUNK = re.compile(r"[^\d.,\-]")


def parse_money(label: str, value: str) -> Decimal | None:
    """ "50", "50.00", "1,234.56", "1.234,56", "50,5" → Decimal; "" → None."""
    raw = value.strip()
    if raw in {"", "--", "[]"}:
        return None
    cleaned = _MONEY_JUNK.sub("", raw)
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        head, _, tail = cleaned.rpartition(",")
        cleaned = f"{head.replace(',', '')}.{tail}" if len(tail) != 3 else cleaned.replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"{label} “{value}” is not an amount; write it like 50.00.") from None
    if amount < 0 or not amount.is_finite():
        raise CellError(f"{label} “{value}” must be zero or more.")
    return amount
