"""The figures every report is made of, and the SQL aggregates that fill them.

Organic figures are sums of `PostMetricDay` (what posts gained per day); paid figures are sums of
`PaidMetricDaily` (what a campaign's ads did per day). Both are summed in the database, grouped by
whatever the report needs, so a report over 100,000 posts reads a few hundred grouped rows.

Definitions (docs/analytics.md repeats them for users):
- engagements = likes + comments + reposts + saves (a click is counted on its own, not in here);
- engagement rate = engagements ÷ impressions, in percent;
- cost per engagement = paid spend ÷ (organic engagements + paid clicks): what the campaign paid
  for each time someone engaged with it, on the ads or on the posts cued to it.
A metric no network in the report reports stays None ("—"), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum
from django.db.models.aggregates import Aggregate

from cuecast.campaigns.selectors import exact

ORGANIC_FIELDS = ("impressions", "clicks", "likes", "comments", "reposts", "saves")
ENGAGEMENT_FIELDS = ("likes", "comments", "reposts", "saves")
PAID_FIELDS = ("impressions", "clicks", "spend", "conversions")

RATE_PLACES = Decimal("0.01")  # engagement rate in percent: 4.25
CPE_PLACES = Decimal("0.0001")  # cost per engagement: 0.0342 EUR
CHANGE_PLACES = Decimal("0.1")  # change in percent: +12.5


def _int(value: Any) -> int | None:
    """SQL sums come back as int, Decimal (PostgreSQL numeric) or None (nothing reported)."""
    return None if value is None else int(value)


@dataclass(frozen=True)
class Organic:
    """What published posts gained: sums of the networks' counters. None = not reported."""

    impressions: int | None = None
    clicks: int | None = None
    likes: int | None = None
    comments: int | None = None
    reposts: int | None = None
    saves: int | None = None

    @classmethod
    def from_sums(cls, row: Mapping[str, Any], reported: Iterable[str] | None = None) -> Organic:
        """From an aggregate row. With `reported`, those metrics read 0 where the row has none
        (a day without activity) and the others stay None (no network reports them)."""
        if reported is None:
            return cls(**{name: _int(row.get(name)) for name in ORGANIC_FIELDS})
        known = set(reported)
        return cls(
            **{
                name: (_int(row.get(name)) or 0) if name in known else None
                for name in ORGANIC_FIELDS
            }
        )

    @property
    def engagements(self) -> int | None:
        parts = [getattr(self, name) for name in ENGAGEMENT_FIELDS]
        known = [p for p in parts if p is not None]
        return sum(known) if known else None

    @property
    def engagement_rate(self) -> Decimal | None:
        """Engagements per 100 impressions."""
        return rate(self.engagements, self.impressions)

    def filled(self, reported: Iterable[str]) -> Organic:
        """The same figures with 0 instead of None for the `reported` metrics."""
        return Organic.from_sums({name: getattr(self, name) for name in ORGANIC_FIELDS}, reported)

    def reported(self) -> set[str]:
        return {name for name in ORGANIC_FIELDS if getattr(self, name) is not None}

    def __add__(self, other: Organic) -> Organic:
        return Organic(
            **{name: _add(getattr(self, name), getattr(other, name)) for name in ORGANIC_FIELDS}
        )


def _add(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else a + b


class OrganicSums:
    """Adds up grouped rows field by field: a report asks the database once for sums per day and
    network (and campaign), and derives the per-day, per-network and per-campaign figures from
    those few hundred rows here. None stays None until a number comes."""

    def __init__(self) -> None:
        self.values: dict[str, int | None] = dict.fromkeys(ORGANIC_FIELDS)

    def add(self, row: Mapping[str, Any]) -> None:
        for name in ORGANIC_FIELDS:
            value = row.get(name)
            if value is not None:
                current = self.values[name]
                self.values[name] = int(value) if current is None else current + int(value)

    def organic(self, reported: Iterable[str] | None = None) -> Organic:
        return Organic.from_sums(self.values, reported)


def sum_rows(rows: Iterable[Mapping[str, Any]], key: str) -> dict[Any, OrganicSums]:
    """Grouped rows summed again by one of their keys (say the day, over every network)."""
    found: dict[Any, OrganicSums] = {}
    for row in rows:
        found.setdefault(row[key], OrganicSums()).add(row)
    return found


def total_organic(items: Iterable[Organic]) -> Organic:
    result = Organic()
    for item in items:
        result = result + item
    return result


@dataclass(frozen=True)
class Paid:
    """What a campaign's ads did, as the ad platform reported it."""

    impressions: int = 0
    clicks: int = 0
    spend: Decimal = Decimal("0.00")
    conversions: Decimal = Decimal(0)

    @classmethod
    def from_sums(cls, row: Mapping[str, Any]) -> Paid:
        return cls(
            impressions=_int(row.get("impressions")) or 0,
            clicks=_int(row.get("clicks")) or 0,
            spend=money(row.get("spend")),
            conversions=exact(Decimal(row.get("conversions") or 0)),
        )

    def __add__(self, other: Paid) -> Paid:
        return Paid(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        ).rounded()

    def rounded(self) -> Paid:
        return Paid(self.impressions, self.clicks, money(self.spend), exact(self.conversions))


def total_paid(items: Iterable[Paid]) -> Paid:
    result = Paid()
    for item in items:
        result = result + item
    return result


def money(value: Any) -> Decimal:
    """Spend exactly as stored, without the column's padding, at least to the cent: 21.370000 →
    21.37, and micros survive (0.123456), so sums match the platform's figures exactly."""
    return exact(Decimal(value or 0), 2)


def rate(part: int | None, whole: int | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def cost_per_engagement(organic: Organic, paid: Paid) -> Decimal | None:
    """Spend ÷ (organic engagements + paid clicks); None when nobody engaged."""
    engaged = (organic.engagements or 0) + paid.clicks
    if not engaged:
        return None
    # Four places at most (0.0342 EUR), two at least (1.20, not 1.2000).
    return exact((paid.spend / engaged).quantize(CPE_PLACES, rounding=ROUND_HALF_UP), 2)


@dataclass(frozen=True)
class Figures:
    """Organic and paid side by side: a day, a period, a campaign."""

    organic: Organic
    paid: Paid

    @property
    def cost_per_engagement(self) -> Decimal | None:
        return cost_per_engagement(self.organic, self.paid)


def organic_sums() -> dict[str, Aggregate]:
    return {name: Sum(name) for name in ORGANIC_FIELDS}


def paid_sums() -> dict[str, Aggregate]:
    return {name: Sum(name) for name in PAID_FIELDS}


Number = int | Decimal


@dataclass(frozen=True)
class Change:
    """One metric in this period against the period before."""

    metric: str  # a key of cuecast.analytics.labels.METRICS
    current: Number | None
    previous: Number | None

    @property
    def delta(self) -> Number | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def percent(self) -> Decimal | None:
        """The change in percent of the previous value; None when there was nothing before."""
        delta = self.delta
        if delta is None or not self.previous:
            return None
        return (Decimal(delta) * 100 / Decimal(self.previous)).quantize(
            CHANGE_PLACES, rounding=ROUND_HALF_UP
        )


def organic_changes(current: Organic, previous: Organic) -> list[Change]:
    return [
        Change("impressions", current.impressions, previous.impressions),
        Change("clicks", current.clicks, previous.clicks),
        Change("engagements", current.engagements, previous.engagements),
        Change("engagement_rate", current.engagement_rate, previous.engagement_rate),
    ]


def figures_changes(current: Figures, previous: Figures) -> list[Change]:
    return [
        Change("organic_impressions", current.organic.impressions, previous.organic.impressions),
        Change("organic_clicks", current.organic.clicks, previous.organic.clicks),
        Change("engagements", current.organic.engagements, previous.organic.engagements),
        Change("paid_impressions", current.paid.impressions, previous.paid.impressions),
        Change("paid_clicks", current.paid.clicks, previous.paid.clicks),
        Change("spend", current.paid.spend, previous.paid.spend),
        Change("cost_per_engagement", current.cost_per_engagement, previous.cost_per_engagement),
    ]
