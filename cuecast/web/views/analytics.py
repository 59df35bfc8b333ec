"""Report pages and their exports: the workspace overview, a campaign, a channel, best time to
post; and a post's report as CSV/XLSX (its figures show on the post page).

Every page renders the tables built by `cuecast.analytics.tables` and the charts built by
`cuecast.analytics.charts` from one selector call; its "Download CSV/XLSX" links carry the same
query, so a download holds exactly what the page shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cuecast.analytics import best_time, charts, exports, labels, post_report, reports, tables
from cuecast.analytics.charts import Chart
from cuecast.analytics.periods import PeriodKey, PeriodRequest, ReportError, parse_day
from cuecast.analytics.tables import Table
from cuecast.web.access import Member, get_member

FORMATS = {"csv", "xlsx"}
PERIOD_CHOICES = (
    (PeriodKey.LAST_7, gettext_lazy("Last 7 days")),
    (PeriodKey.LAST_28, gettext_lazy("Last 28 days")),
    (PeriodKey.LAST_90, gettext_lazy("Last 90 days")),
    (PeriodKey.CUSTOM, gettext_lazy("Custom")),
)


@dataclass(frozen=True)
class Asked:
    """A report's query parameters: `period`, `start`, `end`, `network`, `compare`."""

    period: PeriodRequest
    network: str
    compare: bool

    def query(self) -> str:
        params = {"period": self.period.key, "network": self.network}
        if self.period.key == PeriodKey.CUSTOM:
            params |= {"start": str(self.period.start or ""), "end": str(self.period.end or "")}
        if self.compare:
            params["compare"] = "1"
        return urlencode({k: v for k, v in params.items() if v})


def _asked(request: HttpRequest, default: str = PeriodKey.LAST_28) -> Asked:
    get = request.GET
    return Asked(
        period=PeriodRequest(
            key=get.get("period") or default,
            start=parse_day(get.get("start"), "start"),
            end=parse_day(get.get("end"), "end"),
        ),
        network=get.get("network", ""),
        compare=get.get("compare", "") in {"1", "on", "true"},
    )


# -- rendering ------------------------------------------------------------------------------------


def _cell(value: tables.Value, kind: tables.Kind, zone: str) -> dict[str, Any]:
    return {
        "text": tables.display(value, kind, zone),
        "value": tables.plain(value, kind, zone),
        "numeric": kind in tables.NUMERIC,
        "iso": value.isoformat() if isinstance(value, date) else "",
    }


def table_context(table: Table, csv_url: str = "") -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "columns": table.columns,
        "rows": [[_cell(v, k, table.zone) for v, k in row] for row in table.cells()],
        "totals": [_cell(v, k, table.zone) for v, k in table.total_cells()] or None,
        "csv_url": csv_url,
    }


def blocks(found: Sequence[Table], drawn: Sequence[Chart], export_url: str) -> list[dict[str, Any]]:
    """Each table with the charts that draw it, in the tables' order."""
    joiner = "&" if "?" in export_url else "?"
    return [
        {
            "table": table_context(t, f"{export_url}{joiner}{urlencode({'table': t.key})}"),
            "charts": [c for c in drawn if c.table == t.key],
        }
        for t in found
    ]


def _figure(label: str, value: tables.Value, kind: tables.Kind) -> dict[str, str]:
    return {"label": label, "text": tables.display(value, kind)}


def _money(key: str, currency: str) -> str:
    name = labels.metric(key)
    return f"{name} ({currency})" if currency else name


def _overview_figures(report: reports.Overview) -> list[dict[str, str]]:
    total = report.total
    return [
        _figure(labels.metric("posts"), report.posts, tables.Kind.COUNT),
        _figure(labels.metric("impressions"), total.impressions, tables.Kind.COUNT),
        _figure(labels.metric("engagements"), total.engagements, tables.Kind.COUNT),
        _figure(labels.metric("engagement_rate"), total.engagement_rate, tables.Kind.PERCENT),
    ]


def _campaign_figures(report: reports.CampaignReport) -> list[dict[str, str]]:
    total = report.total
    return [
        _figure(labels.metric("organic_impressions"), total.organic.impressions, tables.Kind.COUNT),
        _figure(labels.metric("engagements"), total.organic.engagements, tables.Kind.COUNT),
        _figure(labels.metric("paid_clicks"), total.paid.clicks, tables.Kind.COUNT),
        _figure(_money("spend", report.currency), total.paid.spend, tables.Kind.MONEY),
        _figure(
            _money("cost_per_engagement", report.currency),
            total.cost_per_engagement,
            tables.Kind.MONEY,
        ),
    ]


def _channel_figures(report: reports.ChannelReport) -> list[dict[str, str]]:
    return [
        _figure(labels.metric("posts"), report.posts, tables.Kind.COUNT),
        _figure(labels.metric("impressions"), report.total.impressions, tables.Kind.COUNT),
        _figure(labels.metric("engagements"), report.total.engagements, tables.Kind.COUNT),
        _figure(labels.metric("followers"), report.followers, tables.Kind.COUNT),
    ]


def _page(
    request: HttpRequest, member: Member, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    base = {"member": member, "workspace": member.workspace, "section": "analytics"}
    return render(request, f"analytics/{template}", {**base, **context}, status=status)


def _controls(
    asked: Asked, scope: reports.Scope | None, *, whole: bool = False, networks: bool = True
) -> dict[str, Any]:
    choices = [(k.value, str(label)) for k, label in PERIOD_CHOICES]
    if whole:
        choices.insert(0, (PeriodKey.WHOLE.value, _("Whole campaign")))
    names = labels.network_names()
    return {
        "asked": asked,
        "period_choices": choices,
        "period": scope.period if scope else None,
        "network_choices": [(k, names.get(k, k)) for k in scope.networks]
        if (scope and networks)
        else [],
        "period_label": tables.period_label(scope.period) if scope else "",
    }


def _export(found: Sequence[Table], fmt: str, name: str, table_key: str | None) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    if fmt == "xlsx":
        response = HttpResponse(exports.to_xlsx(found), content_type=exports.XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    table = tables.find(found, table_key)
    if table is None:
        raise Http404
    response = HttpResponse(exports.to_csv(table), content_type=exports.CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}-{table.key}.csv"'
    return response


def _bad_request(exc: ReportError) -> HttpResponse:
    return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")


def _report_or_default(
    request: HttpRequest, build: Callable[[Asked], Any], default: str = PeriodKey.LAST_28
) -> tuple[Asked, Any, int]:
    """The report asked for; if the request is off (a start after the end), the default period
    with the reason shown, and status 400 so scripts notice."""
    try:
        asked = _asked(request, default)
        return asked, build(asked), 200
    except ReportError as exc:
        messages.error(request, exc.message)
        asked = Asked(PeriodRequest(default), "", False)
        return asked, build(asked), 400


def _file_name(member: Member, *parts: object) -> str:
    return "-".join(["cuecast", member.workspace.slug, *(str(p) for p in parts)])


# -- the workspace overview -----------------------------------------------------------------------


@login_required
@require_GET
def overview(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)

    def build(asked: Asked) -> reports.Overview:
        return reports.overview(
            member.actor, asked.period, network=asked.network, compare=asked.compare
        )

    asked, report, status = _report_or_default(request, build)
    export = reverse("web:analytics_export", args=[slug, "csv"]) + "?" + asked.query()
    context = {
        **_controls(asked, report.scope),
        "report": report,
        "page": "overview",
        "figures": _overview_figures(report),
        "blocks": blocks(tables.overview_tables(report), charts.overview_charts(report), export),
        "xlsx_url": reverse("web:analytics_export", args=[slug, "xlsx"]) + "?" + asked.query(),
    }
    return _page(request, member, "overview.html", context, status)


@login_required
@require_GET
def overview_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    member = get_member(request, slug)
    try:
        asked = _asked(request)
        report = reports.overview(
            member.actor, asked.period, network=asked.network, compare=asked.compare
        )
    except ReportError as exc:
        return _bad_request(exc)
    period = report.scope.period
    name = _file_name(member, "overview", period.start, period.end)
    return _export(tables.overview_tables(report), fmt, name, request.GET.get("table"))


# -- a campaign -----------------------------------------------------------------------------------


def _campaign(member: Member, campaign_id: int, asked: Asked) -> reports.CampaignReport:
    try:
        return reports.campaign_report(
            member.actor, campaign_id, asked.period, network=asked.network, compare=asked.compare
        )
    except reports.ReportNotFound:
        raise Http404 from None


@login_required
@require_GET
def campaign_report(request: HttpRequest, slug: str, campaign_id: int) -> HttpResponse:
    member = get_member(request, slug)
    asked, report, status = _report_or_default(
        request, lambda a: _campaign(member, campaign_id, a), PeriodKey.WHOLE
    )
    args = [slug, campaign_id]
    export = reverse("web:campaign_report_export", args=[*args, "csv"]) + "?" + asked.query()
    context = {
        **_controls(asked, report.scope, whole=True),
        "report": report,
        "figures": _campaign_figures(report),
        "blocks": blocks(tables.campaign_tables(report), charts.campaign_charts(report), export),
        "xlsx_url": reverse("web:campaign_report_export", args=[*args, "xlsx"])
        + "?"
        + asked.query(),
    }
    return _page(request, member, "campaign.html", context, status)


@login_required
@require_GET
def campaign_export(request: HttpRequest, slug: str, campaign_id: int, fmt: str) -> HttpResponse:
    member = get_member(request, slug)
    try:
        report = _campaign(member, campaign_id, _asked(request, PeriodKey.WHOLE))
    except ReportError as exc:
        return _bad_request(exc)
    period = report.scope.period
    name = _file_name(member, "campaign", campaign_id, period.start, period.end)
    return _export(tables.campaign_tables(report), fmt, name, request.GET.get("table"))


# -- a channel ------------------------------------------------------------------------------------


def _channel(member: Member, channel_id: int, asked: Asked) -> reports.ChannelReport:
    try:
        return reports.channel_report(member.actor, channel_id, asked.period, compare=asked.compare)
    except reports.ReportNotFound:
        raise Http404 from None


@login_required
@require_GET
def channel_report(request: HttpRequest, slug: str, channel_id: int) -> HttpResponse:
    member = get_member(request, slug)
    asked, report, status = _report_or_default(request, lambda a: _channel(member, channel_id, a))
    args = [slug, channel_id]
    export = reverse("web:channel_report_export", args=[*args, "csv"]) + "?" + asked.query()
    context = {
        **_controls(asked, report.scope, networks=False),
        "report": report,
        "network_name": labels.network(report.network),
        "figures": _channel_figures(report),
        "blocks": blocks(tables.channel_tables(report), charts.channel_charts(report), export),
        "xlsx_url": reverse("web:channel_report_export", args=[*args, "xlsx"])
        + "?"
        + asked.query(),
    }
    return _page(request, member, "channel.html", context, status)


@login_required
@require_GET
def channel_export(request: HttpRequest, slug: str, channel_id: int, fmt: str) -> HttpResponse:
    member = get_member(request, slug)
    try:
        report = _channel(member, channel_id, _asked(request))
    except ReportError as exc:
        return _bad_request(exc)
    period = report.scope.period
    name = _file_name(member, "channel", channel_id, period.start, period.end)
    return _export(tables.channel_tables(report), fmt, name, request.GET.get("table"))


# -- a post (its figures show on the post page) ---------------------------------------------------


@login_required
@require_GET
def post_export(request: HttpRequest, slug: str, post_id: int, fmt: str) -> HttpResponse:
    member = get_member(request, slug)
    try:
        report = post_report.post_report(member.actor, post_id)
    except reports.ReportNotFound:
        raise Http404 from None
    name = _file_name(member, "post", post_id)
    return _export(tables.post_tables(report), fmt, name, request.GET.get("table"))


# -- best time to post ----------------------------------------------------------------------------


def _best_network(member: Member, asked_network: str) -> str:
    """The network asked for, else the workspace's first (in the registry's order)."""
    if asked_network:
        return asked_network
    networks = reports.workspace_networks(member.workspace)
    return networks[0] if networks else next(iter(labels.network_names()))


@login_required
@require_GET
def best_time_view(request: HttpRequest, slug: str) -> HttpResponse:
    member = get_member(request, slug)
    network = _best_network(member, request.GET.get("network", ""))
    status = 200
    try:
        heatmap = best_time.heatmap(member.actor, network)
    except ReportError as exc:
        messages.error(request, exc.message)
        heatmap, status = best_time.heatmap(member.actor, _best_network(member, "")), 400
    table = tables.best_time_table(heatmap)
    export = (
        reverse("web:best_time_export", args=[slug, "csv"])
        + "?"
        + urlencode({"network": heatmap.network})
    )
    names = labels.network_names()
    workspace_networks = reports.workspace_networks(member.workspace)
    context = {
        "page": "best_time",
        "heatmap": heatmap,
        "network_name": names.get(heatmap.network, heatmap.network),
        "network_choices": [(k, names.get(k, k)) for k in workspace_networks],
        "suggestion": best_time.suggestion_for(heatmap),
        "min_posts": best_time.MIN_POSTS,
        "min_slot_posts": best_time.MIN_SLOT_POSTS,
        "history_days": best_time.HISTORY_DAYS,
        "blocks": blocks([table], [charts.best_time_chart(heatmap)], export),
        "xlsx_url": reverse("web:best_time_export", args=[slug, "xlsx"])
        + "?"
        + urlencode({"network": heatmap.network}),
    }
    return _page(request, member, "best_time.html", context, status)


@login_required
@require_GET
def best_time_hints(request: HttpRequest, slug: str) -> HttpResponse:
    """The composer's suggestions, as a fragment it loads after the page: summing a year of
    figures must never hold up writing a post."""
    member = get_member(request, slug)
    context = {"workspace": member.workspace, "hints": best_time.suggestions(member.workspace)}
    return render(request, "analytics/_best_time_hint.html", context)


@login_required
@require_GET
def best_time_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    member = get_member(request, slug)
    network = _best_network(member, request.GET.get("network", ""))
    try:
        heatmap = best_time.heatmap(member.actor, network)
    except ReportError as exc:
        return _bad_request(exc)
    return _export(
        [tables.best_time_table(heatmap)], fmt, _file_name(member, "best-time", network), None
    )
