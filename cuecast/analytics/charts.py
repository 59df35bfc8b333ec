"""Charts: Plotly figures built on the server from the report dataclasses, as JSON.

The page hands each figure to plotly.js, which Cuecast serves itself from the plotly wheel
(`cuecast.web.finders`); nothing is fetched from a CDN. Every chart sits beside the table it
draws (`table` names it), so the figures are there to read, and the chart is there to see.
Days are the workspace's days; times are shown in the workspace's zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go  # type: ignore[import-untyped]
from django.utils import formats
from django.utils.translation import gettext as _

from cuecast.analytics import labels
from cuecast.analytics.best_time import Heatmap, Measure, hour_label, weekday_name
from cuecast.analytics.figures import Change
from cuecast.analytics.post_report import PostReport, TargetMetrics
from cuecast.analytics.reports import (
    CampaignReport,
    ChannelReport,
    NetworkRow,
    Overview,
)
from cuecast.analytics.tables import local

ORGANIC_COLOUR = "#2456c7"
PAID_COLOUR = "#c2410c"
EXTRA_COLOURS = ("#15803d", "#7c3aed", "#0e7490", "#a16207", "#be123c", "#4b5563")


@dataclass(frozen=True)
class Chart:
    key: str  # unique on the page
    title: str
    table: str  # the key of the table it draws
    spec: str  # the figure as JSON: {"data": [...], "layout": {...}}


def _separators() -> str:
    """Plotly's "decimal, thousands" pair in the reader's number format."""
    return str(formats.get_format("DECIMAL_SEPARATOR")) + str(
        formats.get_format("THOUSAND_SEPARATOR")
    )


def _layout(title: str, x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0, "font": {"size": 15}},
        "separators": _separators(),
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.25},
        "margin": {"l": 60, "r": 60, "t": 50, "b": 40},
        "height": 360,
        "hovermode": "x unified",
        **extra,
    }


# Inside <script type="application/json"> a "</script>" in a campaign's name must not end the
# script: JSON allows these characters escaped, and plotly.js reads them back the same.
SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def _chart(key: str, table: str, figure: go.Figure) -> Chart:
    title = figure.layout.title.text or ""
    spec = figure.to_json().translate(SCRIPT_SAFE)
    return Chart(key=key, title=str(title), table=table, spec=spec)


def _numbers(values: Sequence[int | Decimal | None]) -> list[float | int | None]:
    return [float(v) if isinstance(v, Decimal) else v for v in values]


def _days(days: Sequence[date]) -> list[str]:
    return [d.isoformat() for d in days]


def _day_axis(zone: str) -> str:
    return _("Day (%(zone)s)") % {"zone": zone}


# -- campaign ------------------------------------------------------------------------------------


def _campaign_impressions(report: CampaignReport) -> go.Figure:
    x = _days([d.day for d in report.days])
    figure = go.Figure(
        layout=_layout(
            _("Impressions: organic and paid"),
            _day_axis(report.scope.timezone),
            labels.metric("impressions"),
        )
    )
    figure.add_scatter(
        x=x,
        y=_numbers([d.figures.organic.impressions for d in report.days]),
        name=labels.metric("organic_impressions"),
        mode="lines+markers",
        line={"color": ORGANIC_COLOUR},
    )
    figure.add_scatter(
        x=x,
        y=_numbers([d.figures.paid.impressions for d in report.days]),
        name=labels.metric("paid_impressions"),
        mode="lines+markers",
        line={"color": PAID_COLOUR, "dash": "dot"},
    )
    return figure


def _campaign_engagement(report: CampaignReport) -> go.Figure:
    x = _days([d.day for d in report.days])
    spend = (
        _("Spend (%(currency)s)") % {"currency": report.currency}
        if report.currency
        else labels.metric("spend")
    )
    layout = _layout(
        _("Engagements, clicks and spend"),
        _day_axis(report.scope.timezone),
        _("Engagements and clicks"),
        yaxis2={
            "title": {"text": spend},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "tickmode": "auto",
        },
        barmode="group",
    )
    figure = go.Figure(layout=layout)
    figure.add_bar(
        x=x,
        y=_numbers([d.figures.organic.engagements for d in report.days]),
        name=labels.metric("engagements"),
        marker={"color": ORGANIC_COLOUR},
    )
    figure.add_bar(
        x=x,
        y=_numbers([d.figures.organic.clicks for d in report.days]),
        name=labels.metric("organic_clicks"),
        marker={"color": EXTRA_COLOURS[0]},
    )
    figure.add_bar(
        x=x,
        y=_numbers([d.figures.paid.clicks for d in report.days]),
        name=labels.metric("paid_clicks"),
        marker={"color": PAID_COLOUR},
    )
    figure.add_scatter(
        x=x,
        y=_numbers([d.figures.paid.spend for d in report.days]),
        name=spend,
        yaxis="y2",
        mode="lines+markers",
        line={"color": EXTRA_COLOURS[1]},
    )
    return figure


def _networks(rows: Sequence[NetworkRow], title: str) -> go.Figure:
    names = [labels.network(r.network) for r in rows]
    figure = go.Figure(
        layout=_layout(title, _("Network"), _("Count"), barmode="group", hovermode="closest")
    )
    figure.add_bar(
        x=names,
        y=_numbers([r.organic.impressions for r in rows]),
        name=labels.metric("impressions"),
        marker={"color": ORGANIC_COLOUR},
    )
    figure.add_bar(
        x=names,
        y=_numbers([r.organic.engagements for r in rows]),
        name=labels.metric("engagements"),
        marker={"color": EXTRA_COLOURS[0]},
    )
    return figure


def _comparison(changes: Sequence[Change]) -> go.Figure:
    shown = [c for c in changes if c.percent is not None]
    figure = go.Figure(
        layout=_layout(
            _("Change against the period before (%)"),
            _("Change (%)"),
            "",
            hovermode="closest",
            height=80 + 40 * max(1, len(shown)),
        )
    )
    figure.update_layout(yaxis={"autorange": "reversed", "rangemode": "normal"})
    figure.add_bar(
        x=_numbers([c.percent for c in shown]),
        y=[labels.metric(c.metric) for c in shown],
        orientation="h",
        marker={"color": [ORGANIC_COLOUR if (c.percent or 0) >= 0 else PAID_COLOUR for c in shown]},
        name=_("Change (%)"),
    )
    return figure


def campaign_charts(report: CampaignReport) -> list[Chart]:
    charts = [
        _chart("impressions", "daily", _campaign_impressions(report)),
        _chart("engagement", "daily", _campaign_engagement(report)),
        _chart("networks", "networks", _networks(report.by_network, _("Organic per network"))),
    ]
    if report.changes:
        charts.append(_chart("comparison", "comparison", _comparison(report.changes)))
    return charts


# -- workspace overview and channel --------------------------------------------------------------


def _organic_daily(
    title: str,
    zone: str,
    days: Sequence[date],
    impressions: Sequence[int | None],
    engagements: Sequence[int | None],
    posts: Sequence[int],
) -> go.Figure:
    x = _days(days)
    layout = _layout(
        title,
        _day_axis(zone),
        _("Impressions and engagements"),
        yaxis2={
            "title": {"text": labels.metric("posts")},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "tickmode": "auto",
        },
    )
    figure = go.Figure(layout=layout)
    figure.add_scatter(
        x=x,
        y=_numbers(impressions),
        name=labels.metric("impressions"),
        mode="lines+markers",
        line={"color": ORGANIC_COLOUR},
    )
    figure.add_scatter(
        x=x,
        y=_numbers(engagements),
        name=labels.metric("engagements"),
        mode="lines+markers",
        line={"color": EXTRA_COLOURS[0]},
    )
    figure.add_bar(
        x=x,
        y=list(posts),
        name=labels.metric("posts"),
        yaxis="y2",
        marker={"color": "#cbd5e1"},
        opacity=0.7,
    )
    return figure


def _campaigns(report: Overview) -> go.Figure:
    rows = report.by_campaign
    names = [r.name for r in rows]
    figure = go.Figure(
        layout=_layout(
            _("Campaigns: organic and paid"),
            _("Campaign"),
            _("Count"),
            barmode="group",
            hovermode="closest",
        )
    )
    figure.add_bar(
        x=names,
        y=_numbers([r.figures.organic.engagements for r in rows]),
        name=labels.metric("engagements"),
        marker={"color": ORGANIC_COLOUR},
    )
    figure.add_bar(
        x=names,
        y=_numbers([r.figures.paid.clicks for r in rows]),
        name=labels.metric("paid_clicks"),
        marker={"color": PAID_COLOUR},
    )
    return figure


def overview_charts(report: Overview) -> list[Chart]:
    days = report.days
    charts = [
        _chart(
            "daily",
            "daily",
            _organic_daily(
                _("Organic per day"),
                report.scope.timezone,
                [d.day for d in days],
                [d.organic.impressions for d in days],
                [d.organic.engagements for d in days],
                [d.posts for d in days],
            ),
        ),
        _chart("networks", "networks", _networks(report.by_network, _("Per network"))),
    ]
    if report.by_campaign:
        charts.append(_chart("campaigns", "campaigns", _campaigns(report)))
    if report.changes:
        charts.append(_chart("comparison", "comparison", _comparison(report.changes)))
    return charts


def channel_charts(report: ChannelReport) -> list[Chart]:
    days = report.days
    figure = _organic_daily(
        _("Per day"),
        report.scope.timezone,
        [d.day for d in days],
        [d.organic.impressions for d in days],
        [d.organic.engagements for d in days],
        [d.posts for d in days],
    )
    if any(d.followers is not None for d in days):
        figure.update_layout(
            yaxis3={"overlaying": "y", "side": "right", "visible": False, "rangemode": "normal"}
        )
        figure.add_scatter(
            x=_days([d.day for d in days]),
            y=_numbers([d.followers for d in days]),
            name=labels.metric("followers"),
            yaxis="y3",
            mode="lines",
            line={"color": EXTRA_COLOURS[1], "dash": "dash"},
        )
    charts = [_chart("daily", "daily", figure)]
    if report.changes:
        charts.append(_chart("comparison", "comparison", _comparison(report.changes)))
    return charts


# -- a post --------------------------------------------------------------------------------------


def _curves(target: TargetMetrics, zone: str) -> go.Figure:
    times = [_local_iso(r.taken_at, zone) for r in target.readings]
    title = _("%(channel)s: figures over time") % {"channel": target.channel_name}
    figure = go.Figure(
        layout=_layout(
            title, _("Time (%(zone)s)") % {"zone": zone}, _("Total so far"), hovermode="x unified"
        )
    )
    for n, name in enumerate(target.metrics):
        colour = (ORGANIC_COLOUR, *EXTRA_COLOURS)[n % (1 + len(EXTRA_COLOURS))]
        figure.add_scatter(
            x=times,
            y=_numbers([r.values.get(name) for r in target.readings]),
            name=labels.metric(name),
            mode="lines+markers",
            line={"color": colour, "shape": "hv"},
        )
    return figure


def _local_iso(at: datetime, zone: str) -> str:
    """Plotly reads naive times: give it the wall-clock time in the zone the axis names."""
    return local(at, zone).replace(tzinfo=None).isoformat(timespec="minutes")


def post_charts(report: PostReport) -> list[Chart]:
    return [
        _chart(f"target-{t.target_id}", f"readings-{t.target_id}", _curves(t, report.timezone))
        for t in report.targets
        if t.readings
    ]


# -- best time to post ---------------------------------------------------------------------------


def best_time_chart(heatmap: Heatmap) -> Chart:
    """Weekdays down, hours across; a slot's colour is its value, empty where nothing went out."""
    values: list[list[float | None]] = [[None] * 24 for _day in range(7)]
    posts: list[list[int]] = [[0] * 24 for _day in range(7)]
    for slot in heatmap.slots:
        value = slot.value(heatmap.measure)
        values[slot.weekday - 1][slot.hour] = float(value) if value is not None else None
        posts[slot.weekday - 1][slot.hour] = slot.posts
    measure = (
        labels.metric("engagement_rate")
        if heatmap.measure == Measure.RATE
        else _("Engagements per post")
    )
    title = _("%(network)s: %(measure)s by weekday and hour") % {
        "network": labels.network(heatmap.network),
        "measure": measure,
    }
    hours = [hour_label(h) for h in range(24)]
    figure = go.Figure(
        layout=_layout(
            title,
            _("Hour (%(zone)s)") % {"zone": heatmap.timezone},
            "",
            hovermode="closest",
            height=380,
        )
    )
    figure.update_layout(yaxis={"autorange": "reversed", "rangemode": "normal"})
    figure.add_heatmap(
        z=values,
        x=hours,
        y=[weekday_name(d) for d in range(1, 8)],
        customdata=posts,
        colorscale="Blues",
        zmin=0,  # the weakest slot still shows as a colour, not as the empty background
        hoverongaps=False,
        colorbar={"title": {"text": measure}},
        hovertemplate="%{y} %{x}: %{z}<br>" + _("Posts") + ": %{customdata}<extra></extra>",
    )
    return _chart("heatmap", "slots", figure)
