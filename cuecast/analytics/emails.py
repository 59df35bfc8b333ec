"""The weekly report by e-mail: subscriptions, when they are due, and the message itself.

A subscription's row carries its own `next_send_at` (the due-row pattern the publisher uses):
`send_due_reports(now)` takes each due row by moving `next_send_at` to the following week with
a conditional update, and only the worker whose update matched sends. Two workers never send the
same week twice, and a worker that was down for three weeks sends one report, not three.

The message shows last week (the seven whole days before the send day, in the workspace's zone)
against the week before: the same tables as the report pages (built by `cuecast.analytics.tables`
from the same selectors), as HTML, with the charts as PNG images inline (`cid:`) — drawn with
matplotlib, since mail programs run no JavaScript — and a plain-text part for the rest.
"""

from __future__ import annotations

import io
import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.mime.image import MIMEImage
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cuecast import config
from cuecast.accounts.models import Role
from cuecast.accounts.services import Actor
from cuecast.analytics import reports, tables
from cuecast.analytics.models import ReportSubscription
from cuecast.analytics.periods import Period, PeriodKey, PeriodRequest, today_in
from cuecast.analytics.tables import Table

log = logging.getLogger(__name__)

BATCH = 50
RETRY_AFTER = timedelta(hours=1)  # a failed send is tried again, at most until the next week


def next_send_at(weekday: int, hour: int, zone: str, after: datetime) -> datetime:
    """The first `weekday` (ISO) at `hour`:00 in `zone` strictly after `after` (UTC). An hour the
    clocks skip (spring forward) falls on the hour after it."""
    tz = ZoneInfo(zone)
    day = after.astimezone(tz).date()
    for offset in range(8):
        candidate = day + timedelta(days=offset)
        if candidate.isoweekday() != weekday:
            continue
        at = datetime.combine(candidate, time(hour), tz).astimezone(UTC)
        if at > after:
            return at
    raise AssertionError("a weekday comes round within eight days")  # pragma: no cover


def last_week(zone: str, now: datetime) -> Period:
    """The seven whole days before today in the zone."""
    end = today_in(zone, now) - timedelta(days=1)
    return Period(PeriodKey.CUSTOM, end - timedelta(days=6), end)


# -- sending -------------------------------------------------------------------------------------


def send_due_reports(now: datetime | None = None) -> int:
    """Send every report that is due; returns how many went out. Safe to run in many workers."""
    now = now or timezone.now()
    due = (
        ReportSubscription.objects.filter(active=True, next_send_at__lte=now)
        .select_related("workspace", "campaign")
        .order_by("next_send_at", "id")[:BATCH]
    )
    sent = 0
    for subscription in list(due):
        following = _claim(subscription, now)
        if following is None:
            continue  # another worker took it
        try:
            send_report(subscription, now)
        except (smtplib.SMTPException, OSError) as exc:
            _failed(subscription, following, now, exc)
            continue
        ReportSubscription.objects.filter(pk=subscription.pk).update(
            last_sent_at=now, last_error=""
        )
        sent += 1
    return sent


def _claim(subscription: ReportSubscription, now: datetime) -> datetime | None:
    following = next_send_at(
        subscription.weekday, subscription.hour, subscription.workspace.timezone, now
    )
    taken = ReportSubscription.objects.filter(
        pk=subscription.pk, active=True, next_send_at=subscription.next_send_at
    ).update(next_send_at=following)
    return following if taken else None


def _failed(
    subscription: ReportSubscription, following: datetime, now: datetime, exc: Exception
) -> None:
    # The address or server is logged by the mail library's message at most; never credentials.
    log.warning("weekly report %s was not sent: %s", subscription.pk, type(exc).__name__)
    reason = _("The e-mail server did not take the report (%(error)s); Cuecast tries again.") % {
        "error": type(exc).__name__
    }
    ReportSubscription.objects.filter(pk=subscription.pk, next_send_at=following).update(
        next_send_at=min(now + RETRY_AFTER, following), last_error=reason[:500]
    )


@dataclass(frozen=True)
class Image:
    cid: str
    title: str
    png: bytes


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    images: tuple[Image, ...]


class _RelatedMessage(EmailMultiAlternatives):
    """multipart/related: the images belong to the HTML (shown inside it), not beside it."""

    mixed_subtype = "related"


def send_report(subscription: ReportSubscription, now: datetime) -> None:
    rendered = render_report(subscription, now)
    message = _RelatedMessage(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(subscription.recipients),
    )
    message.attach_alternative(rendered.html, "text/html")
    for image in rendered.images:
        part = MIMEImage(image.png, "png")
        part.add_header("Content-ID", f"<{image.cid}>")
        part.add_header("Content-Disposition", "inline", filename=f"{image.cid.split('@')[0]}.png")
        message.attach(part)
    message.send()


def render_report(subscription: ReportSubscription, now: datetime) -> Rendered:
    """The message in the subscription's language, for the week before `now`."""
    with translation.override(subscription.language):
        return _render(subscription, now)


@dataclass(frozen=True)
class _Content:
    title: str
    tables: list[Table]
    images: list[Image]
    link: str  # the report's page


def _content(subscription: ReportSubscription, asked: PeriodRequest, today: date) -> _Content:
    """The campaign's report or the workspace's summary, read as a viewer of the workspace."""
    from cuecast.analytics import email_charts  # matplotlib is loaded only when mail is made

    workspace = subscription.workspace
    actor = Actor(workspace=workspace, role=Role.VIEWER)
    base = config.load().public_url
    if subscription.campaign_id is not None:
        report = reports.campaign_report(
            actor, subscription.campaign_id, asked, compare=True, today=today
        )
        return _Content(
            _("Weekly report: %(name)s") % {"name": report.name},
            tables.campaign_tables(report),
            email_charts.campaign_images(report),
            base + reverse("web:campaign_report", args=[workspace.slug, report.campaign_id]),
        )
    overview = reports.overview(actor, asked, compare=True, today=today)
    return _Content(
        _("Weekly report: %(name)s") % {"name": workspace.name},
        tables.overview_tables(overview),
        email_charts.overview_images(overview),
        base + reverse("web:analytics", args=[workspace.slug]),
    )


def _render(subscription: ReportSubscription, now: datetime) -> Rendered:
    zone = subscription.workspace.timezone
    week = last_week(zone, now)
    asked = PeriodRequest(PeriodKey.CUSTOM, week.start, week.end)
    content = _content(subscription, asked, today_in(zone, now))
    period = tables.period_label(week)
    context = {
        "title": content.title,
        "period": period,
        "zone": zone,
        "tables": [_html_table(t) for t in content.tables],
        "images": content.images,
        "link": f"{content.link}?period=custom&start={week.start}&end={week.end}&compare=1",
    }
    text_context = {**context, "text_tables": [_text_table(t) for t in content.tables]}
    return Rendered(
        subject=f"{content.title} · {period}",
        text=render_to_string("analytics/email/report.txt", text_context),
        html=render_to_string("analytics/email/report.html", context),
        images=tuple(content.images),
    )


def _html_table(table: Table) -> dict[str, object]:
    def cells(row: list[tuple[tables.Value, tables.Kind]]) -> list[dict[str, object]]:
        return [
            {"text": tables.display(v, k, table.zone), "numeric": k in tables.NUMERIC}
            for v, k in row
        ]

    return {
        "title": table.title,
        "note": table.note,
        "columns": [{"label": c.label, "numeric": c.numeric} for c in table.columns],
        "rows": [cells(row) for row in table.cells()],
        "totals": cells(table.total_cells()) if table.totals is not None else None,
    }


def _text_table(table: Table) -> str:
    """The table laid out in columns for the plain-text part."""
    lines = [[c.label for c in table.columns]]
    rows = table.cells() + ([table.total_cells()] if table.totals is not None else [])
    lines += [[tables.display(v, k, table.zone) for v, k in row] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(table.columns))]
    out = io.StringIO()
    out.write(table.title + "\n")
    for line in lines:
        out.write(
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
            + "\n"
        )
    return out.getvalue()
