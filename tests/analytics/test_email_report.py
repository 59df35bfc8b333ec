"""The weekly report by e-mail: subscriptions due on a weekday and hour of the workspace's zone,
sent once per week however many workers run, with the report's tables as HTML and its charts as
inline PNG images; a failed send is tried again and its reason shown."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client

from cuecast.accounts.models import Role
from cuecast.accounts.services import Actor, add_member
from cuecast.analytics import emails, reports, tables
from cuecast.analytics.models import ReportSubscription
from cuecast.analytics.periods import PeriodKey, PeriodRequest
from cuecast.analytics.subscriptions import SubscriptionSpec, create_subscription
from cuecast.posts.errors import ValidationFailed

from .report_world import BERLIN, ReportWorld

# Thursday 12 November 2026, noon in Berlin; the first Monday 08:00 after it is 16 November.
CREATED = datetime(2026, 11, 12, 12, 0, tzinfo=BERLIN)
DUE = datetime(2026, 11, 16, 8, 0, tzinfo=BERLIN)


def _subscribe(actor: Actor, **changes: Any) -> ReportSubscription:
    spec = SubscriptionSpec(recipients="ana@example.com, ben@example.com", weekday=1, hour=8)
    return create_subscription(actor, SubscriptionSpec(**{**vars(spec), **changes}), now=CREATED)


def _html_and_images(message: Any) -> tuple[str, dict[str, bytes]]:
    root: Message = message.message()
    html, images = "", {}
    for part in root.walk():
        if part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode()
        elif part.get_content_maintype() == "image":
            images[part["Content-ID"].strip("<>")] = part.get_payload(decode=True)
    assert root.get_content_type() == "multipart/related"
    return html, images


def test_the_first_send_is_the_next_weekday_and_hour_in_the_workspace_zone(actor: Actor) -> None:
    subscription = _subscribe(actor)
    assert subscription.next_send_at == DUE
    assert subscription.recipients == ["ana@example.com", "ben@example.com"]


def test_the_summary_goes_out_once_a_week_with_tables_and_charts(
    actor: Actor, world: ReportWorld
) -> None:
    _subscribe(actor)
    assert emails.send_due_reports(DUE - timedelta(minutes=1)) == 0
    assert emails.send_due_reports(DUE) == 1
    assert emails.send_due_reports(DUE + timedelta(minutes=5)) == 0  # not twice the same week
    [message] = mail.outbox
    assert message.to == ["ana@example.com", "ben@example.com"]
    assert message.subject == "Weekly report: ACME · 9 Nov 2026 \u2013 15 Nov 2026"
    html, images = _html_and_images(message)
    assert set(images) == {"daily@cuecast"} and images["daily@cuecast"].startswith(b"\x89PNG")
    assert 'src="cid:daily@cuecast"' in html
    # The e-mail's tables are the report's tables: the same totals as the page.
    week = PeriodRequest(
        PeriodKey.CUSTOM, DUE.date() - timedelta(days=7), DUE.date() - timedelta(days=1)
    )
    overview = reports.overview(actor, week, compare=True, today=DUE.date())
    daily = tables.overview_tables(overview)[0]
    assert daily.totals is not None
    for value, kind in daily.total_cells():
        assert f">{tables.display(value, kind)}<" in html
    assert ">3,800<" in html and "This period against the one before" in html
    assert (
        "http://127.0.0.1" in html
        and "/w/acme/analytics/?period=custom&amp;start=2026-11-09" in html
    )
    row = ReportSubscription.objects.get()
    assert row.next_send_at == DUE + timedelta(weeks=1)
    assert row.last_sent_at == DUE and row.last_error == ""
    assert "Organic per day" in message.body  # the plain-text part has the tables too


def test_a_campaign_report_in_german(actor: Actor, world: ReportWorld) -> None:
    _subscribe(actor, campaign_id=world.campaign.pk, language="de")
    assert emails.send_due_reports(DUE) == 1
    [message] = mail.outbox
    html, images = _html_and_images(message)
    assert set(images) == {"impressions@cuecast", "engagement@cuecast"}
    assert message.subject.startswith("Wochenbericht: Winter sale")
    assert ">51,67<" in html  # spend 21.37 + 18.20 + 12.10, German number format


def test_two_workers_never_send_the_same_week(actor: Actor, world: ReportWorld) -> None:
    subscription = _subscribe(actor)
    seen_by_first = ReportSubscription.objects.select_related("workspace").get(pk=subscription.pk)
    seen_by_second = ReportSubscription.objects.select_related("workspace").get(pk=subscription.pk)
    assert emails._claim(seen_by_first, DUE) == DUE + timedelta(weeks=1)
    assert emails._claim(seen_by_second, DUE) is None  # it read the old next_send_at


def test_a_worker_down_for_weeks_sends_one_report(actor: Actor, world: ReportWorld) -> None:
    _subscribe(actor)
    late = DUE + timedelta(weeks=3, hours=2)
    assert emails.send_due_reports(late) == 1
    assert emails.send_due_reports(late) == 0
    assert ReportSubscription.objects.get().next_send_at == DUE + timedelta(weeks=4)


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_failed_send_is_tried_again_with_the_reason_shown(
    actor: Actor, world: ReportWorld, settings: Any
) -> None:
    _subscribe(actor)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    assert emails.send_due_reports(DUE) == 0
    row = ReportSubscription.objects.get()
    assert row.next_send_at == DUE + emails.RETRY_AFTER
    assert row.last_error.startswith(
        "The e-mail server did not take the report (SMTPServerDisconnected)"
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert emails.send_due_reports(DUE + emails.RETRY_AFTER) == 1
    row.refresh_from_db()
    assert row.next_send_at == DUE + timedelta(weeks=1) and row.last_error == ""


def test_an_hour_the_clocks_skip_falls_on_the_hour_after() -> None:
    """Sunday 28 March 2027, 02:00 does not exist in Berlin: 03:00 summer time."""
    after = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
    assert emails.next_send_at(7, 2, "Europe/Berlin", after) == datetime(
        2027, 3, 28, 1, 0, tzinfo=UTC
    )
    assert emails.next_send_at(7, 9, "Europe/Berlin", after) == datetime(
        2027, 3, 28, 7, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"recipients": "ana@example.com, not-an-address"},
            "recipients",
            "“not-an-address” is not an e-mail address.",
        ),
        ({"recipients": "  "}, "recipients", "Enter at least one e-mail address."),
        ({"hour": 24}, "hour", "Choose an hour from 0 to 23."),
        ({"campaign_id": 999999}, "campaign", "There is no such campaign in this workspace."),
    ],
)
def test_subscriptions_are_checked(
    actor: Actor, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _subscribe(actor, **changes)
    assert [(e.field, e.message) for e in caught.value.errors] == [(field, message)]


def test_the_settings_page_adds_and_removes_a_report(signed_in: Client, world: ReportWorld) -> None:
    page = signed_in.get("/w/acme/analytics/email/")
    assert page.status_code == 200 and 'id="subscription-form"' in page.content.decode()
    response = signed_in.post(
        "/w/acme/analytics/email/",
        {
            "recipients": "ana@example.com",
            "campaign": str(world.campaign.pk),
            "weekday": "2",
            "hour": "9",
            "language": "en",
        },
    )
    assert response.status_code == 302
    row = ReportSubscription.objects.get()
    assert (row.campaign_id, row.weekday, row.hour) == (world.campaign.pk, 2, 9)
    assert row.next_send_at is not None and row.next_send_at.astimezone(BERLIN).hour == 9
    html = signed_in.get("/w/acme/analytics/email/").content.decode()
    assert "Tuesday at 09:00" in html and "ana@example.com" in html
    bad = signed_in.post(
        "/w/acme/analytics/email/",
        {"recipients": "nope", "weekday": "1", "hour": "8", "language": "en"},
    )
    assert bad.status_code == 400 and "“nope” is not an e-mail address." in bad.content.decode()
    assert signed_in.post(f"/w/acme/analytics/email/{row.pk}/delete/").status_code == 302
    assert not ReportSubscription.objects.exists()


def test_only_owners_and_admins_manage_reports(
    client: Client, actor: Actor, world: ReportWorld
) -> None:
    from cuecast.accounts.models import User

    vera = User.objects.create_user("vera", password="a viewer's password")
    add_member(actor, user=vera, role=Role.EDITOR)
    subscription = _subscribe(actor)
    client.force_login(vera)
    html = client.get("/w/acme/analytics/email/").content.decode()
    assert "Owners and admins of the workspace can add weekly reports." in html
    client.post(
        "/w/acme/analytics/email/",
        {"recipients": "x@example.com", "weekday": "1", "hour": "8", "language": "en"},
    )
    client.post(f"/w/acme/analytics/email/{subscription.pk}/delete/")
    assert list(ReportSubscription.objects.values_list("recipients", flat=True)) == [
        ["ana@example.com", "ben@example.com"]
    ]
