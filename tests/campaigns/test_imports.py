"""Imports: format, encoding and delimiter detected; a preview; all or nothing with row numbers;
the same file twice changes nothing."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cuecast.accounts.models import AuditEvent, Role
from cuecast.accounts.permissions import PermissionDenied
from cuecast.accounts.services import Actor
from cuecast.campaigns import imports
from cuecast.campaigns.imports.reading import decode, read
from cuecast.campaigns.imports.values import parse_money
from cuecast.campaigns.models import Campaign, CampaignEvent, CampaignSource, CampaignStatus
from cuecast.posts.services import ValidationFailed

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_microsoft_bulk_preview_lists_every_campaign_with_its_flight(actor: Any) -> None:
    preview = imports.preview(actor, fixture("ms_bulk.csv"), "ms_bulk.csv")
    assert (preview.format, preview.platform) == ("microsoft_bulk", "microsoft")
    assert (preview.encoding, preview.delimiter) == ("UTF-8 (BOM)", "comma")
    assert preview.ok and not preview.rejected
    assert [(c.row, c.name, c.action) for c in preview.campaigns] == [
        (4, "Winter sale", "create"),
        (8, "Spring launch", "create"),
        (10, "Autumn clearance", "create"),
    ]
    assert Campaign.objects.count() == 0  # a preview writes nothing


def test_microsoft_bulk_import_then_again_changes_nothing(actor: Any) -> None:
    data = fixture("ms_bulk.csv")
    result = imports.apply(actor, data, "ms_bulk.csv")
    assert len(result.report.created) == 3
    winter = Campaign.objects.get(external_id="800000001")
    assert winter.source == CampaignSource.IMPORT and winter.platform == "microsoft"
    assert winter.timezone == "Europe/Berlin"
    # Earliest ad-group start, latest end (the whole of 31 Dec), Berlin days.
    assert winter.starts_at == datetime(2027, 11, 30, 23, 0, tzinfo=UTC)
    assert winter.ends_at == datetime(2027, 12, 31, 23, 0, tzinfo=UTC)
    assert winter.budget_amount == Decimal("50.00") and winter.budget_period == "daily"
    spring = Campaign.objects.get(external_id="800000002")
    assert spring.status == CampaignStatus.PAUSED and spring.ends_at is None
    assert spring.timezone == "America/New_York" and spring.budget_period == "lifetime"
    autumn = Campaign.objects.get(external_id="800000003")
    assert autumn.status == CampaignStatus.ENDED  # its end date has passed
    assert AuditEvent.objects.filter(action="campaigns.imported").count() == 1
    events = CampaignEvent.objects.count()
    assert CampaignEvent.objects.filter(cause="imported from ms_bulk.csv").count() == events

    again = imports.preview(actor, data, "ms_bulk.csv")
    assert {c.action for c in again.campaigns} == {"unchanged"}
    second = imports.apply(actor, data, "ms_bulk.csv")
    assert not second.report.changed and len(second.report.unchanged) == 3
    assert CampaignEvent.objects.count() == events


def test_one_bad_row_imports_nothing_and_names_each_row_and_reason(actor: Any) -> None:
    data = fixture("ms_bulk_bad_rows.csv")
    preview = imports.preview(actor, data, "bad.csv")
    assert not preview.ok
    assert [(r.row, r.reason) for r in preview.rejected] == [
        (5, "Ad group: End Date “next week” is not a date; write it like 2026-12-01."),
        (
            8,
            "Campaign “Spring launch” has the status “Sleeping”; Cuecast knows Active, Paused, "
            "BudgetPaused, BudgetAndManualPaused, Suspended and Deleted.",
        ),
    ]
    with pytest.raises(ValidationFailed) as caught:
        imports.apply(actor, data, "bad.csv")
    assert [e.field for e in caught.value.errors] == ["row 5", "row 8"]
    assert Campaign.objects.count() == 0 and CampaignEvent.objects.count() == 0


def test_google_editor_utf16_tab_export(actor: Any) -> None:
    data = fixture("google_editor_utf16.csv")
    preview = imports.preview(actor, data, "Editor export.csv")
    assert (preview.format, preview.encoding, preview.delimiter) == (
        "google_editor",
        "UTF-16 LE",
        "tab",
    )
    assert [(c.row, c.external_id, c.name) for c in preview.campaigns] == [
        (2, "1234567890", "Black Friday"),
        (5, "1234567891", "Brand – Österreich"),  # noqa: RUF001 (as the export spells it)
        (6, "1234567892", "Holiday video"),
    ]
    assert preview.ignored_rows == 2
    imports.apply(actor, data, "Editor export.csv")
    friday = Campaign.objects.get(platform="google", external_id="1234567890")
    assert friday.timezone == actor.workspace.timezone == "Europe/Berlin"
    assert friday.starts_at == datetime(2027, 11, 19, 23, 0, tzinfo=UTC)
    assert friday.ends_at == datetime(2027, 11, 30, 23, 0, tzinfo=UTC)
    brand = Campaign.objects.get(external_id="1234567891")
    assert brand.status == CampaignStatus.PAUSED and brand.ends_at is None
    video = Campaign.objects.get(external_id="1234567892")
    assert video.budget_period == "lifetime" and video.budget_amount == Decimal("900")
    assert not imports.apply(actor, data, "Editor export.csv").report.changed


def test_editing_the_file_changes_the_campaign_and_moves_nothing_else(actor: Any) -> None:
    data = fixture("google_editor_utf16.csv")
    imports.apply(actor, data, "a.csv")
    changed = data.decode("utf-16").replace("2027-11-30", "2027-12-02").encode("utf-16")
    preview = imports.preview(actor, changed, "b.csv")
    [change] = [c for c in preview.campaigns if c.action == "change"]
    assert change.name == "Black Friday"
    assert change.changes == ["ends: 2027-11-30 23:00 UTC → 2027-12-02 23:00 UTC"]
    report = imports.apply(actor, changed, "b.csv").report
    assert [e.kind for e in report.events] == ["dates_changed"]


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (lambda t: t.encode("utf-8"), "UTF-8"),
        (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "UTF-8 (BOM)"),
        (lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), "UTF-16 LE"),
        (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "UTF-16 BE"),
    ],
)
@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), ("\t", "tab"), (";", "semicolon")])
def test_encodings_and_delimiters(
    actor: Any, encoded: Any, encoding: str, delimiter: str, name: str
) -> None:
    rows = [
        ["Campaign", "Campaign Status", "Budget", "Start Date", "End Date"],
        ["Sale; “Ü”", "Enabled", "50,00" if delimiter == ";" else "50.00", "2027-05-01", ""],
    ]
    text = "\n".join(delimiter.join(f'"{c}"' if delimiter in c else c for c in r) for r in rows)
    table = read(encoded(text))
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    preview = imports.preview(actor, encoded(text), "x.csv")
    assert preview.delimiter == name and preview.ok
    assert preview.campaigns[0].name == "Sale; “Ü”"
    assert preview.campaigns[0].external_id == "name:Sale; “Ü”"


def test_utf16_without_a_bom_is_recognised() -> None:
    assert decode("Campaign\tBudget\n".encode("utf-16-le"))[1] == "UTF-16 LE"


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("50", "50"),
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("50,5", "50.5"),
        ("€ 12.00", "12.00"),
    ],
)
def test_money(cell: str, amount: str) -> None:
    assert parse_money("Budget", cell) == Decimal(amount)


def test_unknown_files_are_refused_with_a_sentence(actor: Any) -> None:
    for data in (b"", b"hello,world\n1,2\n"):
        with pytest.raises(ValidationFailed) as caught:
            imports.preview(actor, data, "x.csv")
        assert caught.value.errors[0].field == "file"


def test_a_viewer_may_not_import(actor: Any) -> None:
    viewer = Actor(workspace=actor.workspace, role=Role.VIEWER, user=actor.user)
    with pytest.raises(PermissionDenied):
        imports.apply(viewer, fixture("ms_bulk.csv"), "ms_bulk.csv")


def test_campaigns_synced_from_an_account_are_left_alone(actor: Any, ad_account: Any) -> None:
    from cuecast.campaigns.sync import apply_remote

    from .conftest import remote

    apply_remote(
        ad_account, [remote(external_id="800000001")], cause="synced", now=datetime.now(UTC)
    )
    preview = imports.preview(actor, fixture("ms_bulk.csv"), "ms_bulk.csv")
    assert preview.campaigns[0].action == "synced"
    imports.apply(actor, fixture("ms_bulk.csv"), "ms_bulk.csv")
    synced = Campaign.objects.get(external_id="800000001")
    assert synced.source == CampaignSource.SYNC and synced.name == "Winter sale"
    assert synced.starts_at == datetime(2027, 10, 1, 7, tzinfo=UTC)
