"""The weekly e-mail's charts as PNG images, drawn with matplotlib's Agg renderer.

Mail programs run no JavaScript, so the Plotly charts of the report pages cannot travel; and
Plotly's own image export needs a browser on the server. These draw the same series from the
same report dataclasses. A `Figure` with its own Agg canvas (no pyplot) keeps no global state,
so two workers can draw at once.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cuecast.analytics import labels
from cuecast.analytics.charts import EXTRA_COLOURS, ORGANIC_COLOUR, PAID_COLOUR
from cuecast.analytics.emails import Image
from cuecast.analytics.reports import CampaignReport, Overview

Series = tuple[str, Sequence[int | None], str, str]  # label, values, colour, "line" | "bar"


def _png(title: str, days: Sequence[date], series: Sequence[Series]) -> bytes:
    figure = Figure(figsize=(7.2, 3.0), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    ticks = [formats.date_format(d, "j M") for d in days]
    positions = list(range(len(days)))
    bars = [s for s in series if s[3] == "bar"]
    width = 0.8 / max(1, len(bars))
    for n, (label, values, colour, _kind) in enumerate(bars):
        shift = (n - (len(bars) - 1) / 2) * width
        axes.bar(
            [p + shift for p in positions],
            [v or 0 for v in values],
            width,
            label=label,
            color=colour,
        )
    for label, values, colour, kind in series:
        if kind == "line":
            axes.plot(
                positions,
                [v if v is not None else float("nan") for v in values],
                marker="o",
                label=label,
                color=colour,
            )
    axes.set_title(title, loc="left", fontsize=11)
    axes.set_xticks(positions, ticks, fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color="#e5e7eb")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=8, frameon=False, loc="upper left")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def campaign_images(report: CampaignReport) -> list[Image]:
    days = [d.day for d in report.days]
    figures = [d.figures for d in report.days]
    impressions = _("Impressions: organic and paid")
    engagement = _("Engagements and clicks")
    return [
        Image(
            "impressions@cuecast",
            impressions,
            _png(
                impressions,
                days,
                [
                    (
                        labels.metric("organic_impressions"),
                        [f.organic.impressions for f in figures],
                        ORGANIC_COLOUR,
                        "line",
                    ),
                    (
                        labels.metric("paid_impressions"),
                        [f.paid.impressions for f in figures],
                        PAID_COLOUR,
                        "line",
                    ),
                ],
            ),
        ),
        Image(
            "engagement@cuecast",
            engagement,
            _png(
                engagement,
                days,
                [
                    (
                        labels.metric("engagements"),
                        [f.organic.engagements for f in figures],
                        ORGANIC_COLOUR,
                        "bar",
                    ),
                    (
                        labels.metric("organic_clicks"),
                        [f.organic.clicks for f in figures],
                        EXTRA_COLOURS[0],
                        "bar",
                    ),
                    (
                        labels.metric("paid_clicks"),
                        [f.paid.clicks for f in figures],
                        PAID_COLOUR,
                        "bar",
                    ),
                ],
            ),
        ),
    ]


def overview_images(report: Overview) -> list[Image]:
    days = [d.day for d in report.days]
    title = _("Organic per day")
    return [
        Image(
            "daily@cuecast",
            title,
            _png(
                title,
                days,
                [
                    (labels.metric("posts"), [d.posts for d in report.days], "#cbd5e1", "bar"),
                    (
                        labels.metric("impressions"),
                        [d.organic.impressions for d in report.days],
                        ORGANIC_COLOUR,
                        "line",
                    ),
                    (
                        labels.metric("engagements"),
                        [d.organic.engagements for d in report.days],
                        EXTRA_COLOURS[0],
                        "line",
                    ),
                ],
            ),
        )
    ]
