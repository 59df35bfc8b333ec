"""Rest.li 2.0 query encoding for LinkedIn's versioned API (learn.microsoft.com/linkedin/shared/
api-guide/concepts/protocol-version and …/marketing/integrations/ads-reporting/ads-reporting).

Structured query values are written as `List(a,b)` and records as `(key:value,key:value)`; the
characters Rest.li uses for structure — `(`, `)`, `,`, `:` — stay literal, while every reserved
character inside a value (a URN's colons, spaces, …) is percent-encoded, e.g.
`campaigns=List(urn%3Ali%3AsponsoredCampaign%3A123)`. Because a general URL encoder would also
encode the structural parentheses and commas, Cuecast builds these query strings itself and
hands httpx a finished URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from urllib.parse import quote

Value = str | int | date | list["Value"] | tuple["Value", ...] | Mapping[str, "Value"]


def scalar(value: str | int) -> str:
    """One leaf value with every reserved character (including `:` `,` `(` `)`) percent-encoded."""
    return quote(str(value), safe="")


def encode(value: Value) -> str:
    """A Rest.li 2.0 value: lists as List(…), records as (k:v,…), dates as (year:…,month:…,day:…)."""
    if isinstance(value, date):
        return f"(year:{value.year},month:{value.month},day:{value.day})"
    if isinstance(value, list | tuple):
        return "List(" + ",".join(encode(v) for v in value) + ")"
    if isinstance(value, Mapping):
        return "(" + ",".join(f"{scalar(k)}:{encode(v)}" for k, v in value.items()) + ")"
    return scalar(value)


def date_range(start: date, end: date) -> str:
    return encode({"start": start, "end": end})


def query(params: Iterable[tuple[str, Value]]) -> str:
    """`k=v&…` with each value Rest.li-encoded (plain strings are simply percent-encoded)."""
    return "&".join(f"{scalar(k)}={encode(v)}" for k, v in params)
