"""What the parsers return: campaigns with the row they came from, and rejected rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from cuecast.campaigns.sources.base import RemoteCampaign


@dataclass(frozen=True)
class RejectedRow:
    row: int  # spreadsheet row number (the header is row 1)
    reason: str  # a sentence: what is wrong and how to fix it


@dataclass(frozen=True)
class ParsedCampaign:
    row: int
    remote: RemoteCampaign


@dataclass
class Parsed:
    format: str  # "microsoft_bulk" | "google_editor"
    format_name: str
    platform: str  # the registry key campaigns are stored under
    campaigns: list[ParsedCampaign] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_rows: int = 0  # rows of other kinds (ad groups, keywords, ads)
