"""Reports as tables: the one shape the screen, the CSV and the XLSX are all written from.

A `Table` holds typed values (ints, Decimals, dates) and, per column, what kind of value it is.
The screen shows each value with `display` (the reader's number format), the CSV writes `plain`
(the same value, machine-readable: no grouping, a full stop for decimals, ISO dates) and the XLSX
stores the value itself with a number format showing the same places. Same rows, same columns,
same rounding, same time zone, whichever way a report leaves Cuecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext as _

from cuecast.analytics import labels
from cuecast.analytics.best_time import (
    HISTORY_DAYS,
    Heatmap,
    Measure,
    hour_label,
    weekday_name,
)
from cuecast.analytics.figures import Change, Figures, Organic
from cuecast.analytics.models import METRIC_FIELDS, FinalReason
from cuecast.analytics.periods import Period
from cuecast.analytics.post_report import PostReport, TargetMetrics
from cuecast.analytics.reports import (
    CampaignReport,
    ChannelReport,
    NetworkRow,
    Overview,
    Scope,
)

Value = str | int | Decimal | date | datetime | None


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"  # a day of the workspace's calendar
    DATETIME = "datetime"  # an instant, shown in the table's zone
    COUNT = "count"
    MONEY = "money"  # two places, more when the platform reported more (micros)
    PERCENT = "percent"  # 4.25 (an engagement rate, in percent)
    CHANGE = "change"  # +12.5 (a change in percent), always signed
    DECIMAL = "decimal"  # 3.5 (engagements per post)
    ROW = "row"  # the row's own kind (a comparison table mixes counts and money)


NUMERIC = frozenset({Kind.COUNT, Kind.MONEY, Kind.PERCENT, Kind.CHANGE, Kind.DECIMAL})


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC or self.kind == Kind.ROW


@dataclass(frozen=True)
class Table:
    key: str  # stable: "daily", "networks", … (export file names, ?table=)
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    totals: tuple[Value, ...] | None = None
    note: str = ""
    zone: str = "UTC"  # DATETIME values are shown in this zone
    row_kinds: tuple[Kind, ...] = ()  # for Kind.ROW columns, one per row

    def kind(self, row: int | None, column: int) -> Kind:
        kind = self.columns[column].kind
        if kind == Kind.ROW:
            return self.row_kinds[row] if row is not None and self.row_kinds else Kind.TEXT
        return kind

    def cells(self) -> list[list[tuple[Value, Kind]]]:
        """Each row's values with their kinds (what the writers iterate over)."""
        return [
            [(value, self.kind(r, c)) for c, value in enumerate(row)]
            for r, row in enumerate(self.rows)
        ]

    def total_cells(self) -> list[tuple[Value, Kind]]:
        if self.totals is None:
            return []
        return [(value, self.kind(None, c)) for c, value in enumerate(self.totals)]


def places(value: Decimal, minimum: int) -> int:
    exponent = value.as_tuple().exponent
    return max(minimum, -exponent) if isinstance(exponent, int) else minimum


def local(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


def plain(value: Value, kind: Kind, zone: str = "UTC") -> str:
    """The value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local(value, zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if kind == Kind.CHANGE and isinstance(value, Decimal):
        return f"{value:+f}" if value else f"{value:f}"
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def display(value: Value, kind: Kind, zone: str = "UTC") -> str:
    """The value as the screen shows it, in the reader's language and number format."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return formats.date_format(local(value, zone), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "D, j M Y")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return str(value)
    text = _number(value)
    if kind == Kind.CHANGE and value > 0:
        return f"+{text}"
    return text


def _number(value: int | Decimal) -> str:
    if isinstance(value, Decimal):
        return formats.number_format(
            value, decimal_pos=places(value, 0), use_l10n=True, force_grouping=True
        )
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def xlsx_format(value: Value, kind: Kind) -> str:
    """An Excel number format showing the same places as the screen."""
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, date):
        return "yyyy-mm-dd"
    if isinstance(value, Decimal):
        decimals = places(value, 0)
        body = "#,##0" + ("." + "0" * decimals if decimals else "")
        return f"+{body};-{body};{body}" if kind == Kind.CHANGE else body
    if isinstance(value, int):
        return "#,##0"
    return "General"


# -- each report's tables ---------------------------------------------------------------------


def _col(key: str, kind: Kind, label: str | None = None) -> Column:
    return Column(key, label if label is not None else labels.metric(key), kind)


def _money_label(key: str, currency: str) -> str:
    name = labels.metric(key)
    return f"{name} ({currency})" if currency else name


def period_label(period: Period) -> str:
    start = formats.date_format(period.start, "j M Y")
    end = formats.date_format(period.end, "j M Y")
    return start if period.start == period.end else f"{start} \u2013 {end}"


def _days_note(scope: Scope) -> str:
    return _("Days in %(zone)s.") % {"zone": scope.timezone}


def network_table(
    rows: Sequence[NetworkRow], total: Organic, title: str, posts_label: str
) -> Table:
    columns = (
        _col("network", Kind.TEXT, _("Network")),
        _col("posts", Kind.COUNT, posts_label),
        _col("impressions", Kind.COUNT),
        _col("clicks", Kind.COUNT),
        _col("engagements", Kind.COUNT),
        _col("engagement_rate", Kind.PERCENT),
    )

    def line(name: str, posts: int, o: Organic) -> tuple[Value, ...]:
        return (name, posts, o.impressions, o.clicks, o.engagements, o.engagement_rate)

    return Table(
        key="networks",
        title=title,
        columns=columns,
        rows=tuple(line(labels.network(r.network), r.posts, r.organic) for r in rows),
        totals=line(_("Total"), sum(r.posts for r in rows), total) if rows else None,
    )


def comparison_table(changes: Sequence[Change], scope: Scope, currency: str = "") -> Table | None:
    if not changes or scope.previous is None:
        return None
    columns = (
        _col("metric", Kind.TEXT, _("Metric")),
        _col("current", Kind.ROW, period_label(scope.period)),
        _col("previous", Kind.ROW, period_label(scope.previous)),
        _col("change", Kind.ROW, _("Change")),
        _col("change_percent", Kind.CHANGE, _("Change (%)")),
    )
    money_metrics = {"spend", "cost_per_engagement"}
    return Table(
        key="comparison",
        title=_("This period against the one before"),
        columns=columns,
        rows=tuple(
            (
                _money_label(c.metric, currency)
                if c.metric in money_metrics
                else labels.metric(c.metric),
                c.current,
                c.previous,
                c.delta,
                c.percent,
            )
            for c in changes
        ),
        row_kinds=tuple(
            Kind.MONEY
            if c.metric in money_metrics
            else Kind.PERCENT
            if c.metric == "engagement_rate"
            else Kind.COUNT
            for c in changes
        ),
    )


def _figures_line(first: Value, f: Figures) -> tuple[Value, ...]:
    o, p = f.organic, f.paid
    return (
        first,
        o.impressions,
        o.clicks,
        o.engagements,
        p.impressions,
        p.clicks,
        p.spend,
        f.cost_per_engagement,
    )


def campaign_tables(report: CampaignReport) -> list[Table]:
    currency = report.currency
    daily = Table(
        key="daily",
        title=_("Organic and paid per day"),
        columns=(
            _col("day", Kind.DATE, _("Day")),
            _col("organic_impressions", Kind.COUNT),
            _col("organic_clicks", Kind.COUNT),
            _col("engagements", Kind.COUNT),
            _col("paid_impressions", Kind.COUNT),
            _col("paid_clicks", Kind.COUNT),
            _col("spend", Kind.MONEY, _money_label("spend", currency)),
            _col("cost_per_engagement", Kind.MONEY, _money_label("cost_per_engagement", currency)),
        ),
        rows=tuple(_figures_line(d.day, d.figures) for d in report.days),
        totals=_figures_line(_("Total"), report.total),
        note=" ".join(
            (
                _days_note(report.scope),
                _("Paid days are the ad platform's reporting days."),
                _("Engagements are likes, comments, reposts and saves."),
                _("Cost per engagement is the spend divided by engagements plus paid clicks."),
            )
        ),
    )
    networks = network_table(
        report.by_network,
        report.total.organic,
        _("Organic per network"),
        _("Posts on the campaign"),
    )
    tables = [daily, networks]
    compared = comparison_table(report.changes, report.scope, currency)
    return tables + ([compared] if compared else [])


def overview_tables(report: Overview) -> list[Table]:
    def line(first: Value, posts: int, o: Organic) -> tuple[Value, ...]:
        return (first, posts, o.impressions, o.clicks, o.engagements, o.engagement_rate)

    daily = Table(
        key="daily",
        title=_("Organic per day"),
        columns=(
            _col("day", Kind.DATE, _("Day")),
            _col("posts", Kind.COUNT),
            _col("impressions", Kind.COUNT),
            _col("clicks", Kind.COUNT),
            _col("engagements", Kind.COUNT),
            _col("engagement_rate", Kind.PERCENT),
        ),
        rows=tuple(line(d.day, d.posts, d.organic) for d in report.days),
        totals=line(_("Total"), report.posts, report.total),
        note=" ".join(
            (_days_note(report.scope), _("Engagements are likes, comments, reposts and saves."))
        ),
    )
    campaigns = Table(
        key="campaigns",
        title=_("Campaigns"),
        columns=(
            _col("campaign", Kind.TEXT, _("Campaign")),
            _col("currency", Kind.TEXT, _("Currency")),
            _col("organic_impressions", Kind.COUNT),
            _col("engagements", Kind.COUNT),
            _col("paid_impressions", Kind.COUNT),
            _col("paid_clicks", Kind.COUNT),
            _col("spend", Kind.MONEY),
            _col("cost_per_engagement", Kind.MONEY),
        ),
        rows=tuple(
            (
                c.name,
                c.currency,
                c.figures.organic.impressions,
                c.figures.organic.engagements,
                c.figures.paid.impressions,
                c.figures.paid.clicks,
                c.figures.paid.spend,
                c.figures.cost_per_engagement,
            )
            for c in report.by_campaign
        ),
        note=_("Campaigns with figures in the period; each in its own currency."),
    )
    networks = network_table(
        report.by_network, report.total, _("Per network"), labels.metric("posts")
    )
    tables = [daily, networks, campaigns]
    compared = comparison_table(report.changes, report.scope)
    return tables + ([compared] if compared else [])


CHANNEL_METRICS = ("impressions", "clicks", "likes", "comments", "reposts", "saves")


def channel_tables(report: ChannelReport) -> list[Table]:
    def line(first: Value, posts: int, o: Organic, followers: int | None) -> tuple[Value, ...]:
        return (first, posts, *(getattr(o, m) for m in CHANNEL_METRICS), o.engagements, followers)

    daily = Table(
        key="daily",
        title=_("Per day"),
        columns=(
            _col("day", Kind.DATE, _("Day")),
            _col("posts", Kind.COUNT),
            *(_col(m, Kind.COUNT) for m in CHANNEL_METRICS),
            _col("engagements", Kind.COUNT),
            _col("followers", Kind.COUNT),
        ),
        rows=tuple(line(d.day, d.posts, d.organic, d.followers) for d in report.days),
        totals=line(_("Total"), report.posts, report.total, report.followers),
        note=" ".join(
            (
                _days_note(report.scope),
                _("The total of followers is the latest count."),
            )
        ),
    )
    compared = comparison_table(report.changes, report.scope)
    return [daily] + ([compared] if compared else [])


def _status(target: TargetMetrics) -> str:
    if not target.final_reason:
        return _("Still collecting")
    return str(FinalReason(target.final_reason).label)


def post_tables(report: PostReport) -> list[Table]:
    metrics = tuple(m for m in METRIC_FIELDS if any(m in t.metrics for t in report.targets))
    zone = report.timezone
    summary = Table(
        key="targets",
        title=_("Latest figures per channel"),
        columns=(
            _col("channel", Kind.TEXT, _("Channel")),
            _col("network", Kind.TEXT, _("Network")),
            _col("published_at", Kind.DATETIME, _("Published (%(zone)s)") % {"zone": zone}),
            *(_col(m, Kind.COUNT) for m in metrics),
            _col("status", Kind.TEXT, _("Collection")),
            _col("final_at", Kind.DATETIME, _("Final as of (%(zone)s)") % {"zone": zone}),
        ),
        rows=tuple(
            (
                t.channel_name,
                labels.network(t.network),
                t.published_at,
                *((t.latest.values.get(m) if t.latest else None) for m in metrics),
                _status(t),
                t.final_at,
            )
            for t in report.targets
        ),
        zone=zone,
    )
    return [summary, *(_readings_table(t, zone) for t in report.targets)]


def _readings_table(target: TargetMetrics, zone: str) -> Table:
    return Table(
        key=f"readings-{target.target_id}",
        title=_("%(channel)s: figures as collected") % {"channel": target.channel_name},
        columns=(
            _col("taken_at", Kind.DATETIME, _("Time (%(zone)s)") % {"zone": zone}),
            *(_col(m, Kind.COUNT) for m in target.metrics),
        ),
        rows=tuple(
            (r.taken_at, *(r.values.get(m) for m in target.metrics)) for r in target.readings
        ),
        zone=zone,
        note=_("Each figure is the total so far, as the network reported it at that time."),
    )


def best_time_table(heatmap: Heatmap) -> Table:
    measure = (
        _col("engagement_rate", Kind.PERCENT)
        if heatmap.measure == Measure.RATE
        else _col("per_post", Kind.DECIMAL, _("Engagements per post"))
    )
    return Table(
        key="slots",
        title=_("%(network)s: by weekday and hour") % {"network": labels.network(heatmap.network)},
        columns=(
            _col("weekday", Kind.TEXT, _("Weekday")),
            _col("hour", Kind.TEXT, _("Hour (%(zone)s)") % {"zone": heatmap.timezone}),
            _col("posts", Kind.COUNT, _("Posts")),
            _col("impressions", Kind.COUNT),
            _col("engagements", Kind.COUNT),
            measure,
        ),
        rows=tuple(
            (
                weekday_name(s.weekday),
                hour_label(s.hour),
                s.posts,
                s.impressions,
                s.engagements,
                s.value(heatmap.measure),
            )
            for s in heatmap.slots
        ),
        note=_("Posts published in the last %(days)d days, by the time they went out.")
        % {"days": HISTORY_DAYS},
        zone=heatmap.timezone,
    )


def find(tables: Sequence[Table], key: str | None) -> Table | None:
    """The table a `?table=` names, or the first one."""
    if not tables:
        return None
    if not key:
        return tables[0]
    return next((t for t in tables if t.key == key), None)
