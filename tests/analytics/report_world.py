"""A workspace with a campaign, posts on three networks and their figures over a few days:
the world the report tests read (also the API's tests). Figures are chosen so every sum is easy
to check by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cuecast.campaigns.models import Campaign
from cuecast.channels.models import Channel
from cuecast.posts.models import Target

from . import factories as make

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 11, 23)
D08, D10, D11, D12 = date(2026, 11, 8), date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 12)


@dataclass
class ReportWorld:
    campaign: Campaign
    x: Channel
    linkedin: Channel
    mastodon: Channel
    on_x: Target
    on_linkedin: Target
    on_mastodon: Target
    off_campaign: Target


def build_world(workspace: Any) -> ReportWorld:
    """Winter sale (EUR) with posts on X, LinkedIn and Mastodon, one X post off the campaign,
    and paid days 8 and 10 to 12 November 2026."""
    campaign = make.campaign(workspace)
    x = make.channel(workspace, "x", "ACME on X")
    linkedin = make.channel(workspace, "linkedin", "ACME on LinkedIn")
    mastodon = make.channel(workspace, "mastodon", "ACME on Mastodon")
    on_x = make.published(x, datetime(2026, 11, 10, 9, 30, tzinfo=BERLIN))
    on_linkedin = make.published(linkedin, datetime(2026, 11, 11, 14, 0, tzinfo=BERLIN))
    on_mastodon = make.published(mastodon, datetime(2026, 11, 10, 12, 0, tzinfo=BERLIN))
    off = make.published(x, datetime(2026, 11, 12, 8, 0, tzinfo=BERLIN))
    for on_campaign in (on_x, on_linkedin, on_mastodon):
        make.cue(on_campaign, campaign)
    make.day(
        on_x, D10, campaign, impressions=1000, clicks=20, likes=30, comments=5, reposts=4, saves=1
    )
    make.day(
        on_x, D11, campaign, impressions=500, clicks=5, likes=10, comments=1, reposts=0, saves=0
    )
    make.day(
        on_linkedin, D11, campaign, impressions=2000, clicks=40, likes=50, comments=10, reposts=5
    )
    make.day(on_mastodon, D10, campaign, likes=7, comments=2, reposts=3)
    make.day(off, D12, None, impressions=300, clicks=1, likes=3, comments=0, reposts=0, saves=0)
    make.paid(campaign, D08, 2000, 40, "10.00")
    make.paid(campaign, D10, 5000, 100, "21.37", "2")
    make.paid(campaign, D11, 4000, 80, "18.20", "1.5")
    make.paid(campaign, D12, 3000, 60, "12.10")
    return ReportWorld(campaign, x, linkedin, mastodon, on_x, on_linkedin, on_mastodon, off)
