"""What Cuecast knows about LinkedIn Ads as data (docs/ad-platforms/linkedin.md)."""

from __future__ import annotations

from cuecast.campaigns.sources.base import SourceDescriptor
from cuecast.networks.base import AuthKind

KEY = "linkedin_ads"

# r_ads: ad accounts, the member's ad-account roles and campaigns; r_ads_reporting: adAnalytics
# (learn.microsoft.com/linkedin/marketing/integrations/ads/account-structure/
# create-and-manage-account-users and …/ads-reporting/ads-reporting). Read-only: no rw_ads.
SCOPES: tuple[str, ...] = ("r_ads", "r_ads_reporting")

DESCRIPTOR = SourceDescriptor(
    key=KEY,
    name="LinkedIn Ads",
    auth=AuthKind.OAUTH2,
    scopes=SCOPES,
    docs_page="docs/ad-platforms/linkedin.md",
)
