"""Report pieces that sit on other pages: a post's figures on the post page, and the address of
plotly.js (served from the plotly wheel)."""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.urls import reverse

from cuecast.analytics import charts, post_report, tables
from cuecast.posts.models import Post
from cuecast.web.finders import STATIC_PATH
from cuecast.web.views.analytics import blocks

register = template.Library()


@register.simple_tag
def plotly_js_url() -> str:
    return static(STATIC_PATH)


@register.inclusion_tag("analytics/_post_report.html", takes_context=True)
def post_report_section(context: dict[str, Any], post: Post) -> dict[str, Any]:
    """The post's figures per channel: a curve per metric and the readings beside it."""
    member = context["member"]
    report = post_report.post_report(member.actor, post.pk)
    slug = member.workspace.slug
    found = tables.post_tables(report) if report.targets else []
    export = reverse("web:post_report_export", args=[slug, post.pk, "csv"])
    return {
        "workspace": member.workspace,
        "blocks": blocks(found, charts.post_charts(report), export),
        "xlsx_url": reverse("web:post_report_export", args=[slug, post.pk, "xlsx"]),
    }
