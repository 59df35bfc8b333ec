"""What Cuecast knows about the Meta Marketing API as data (docs/ad-platforms/meta.md)."""

from __future__ import annotations

from cuecast.campaigns.sources.base import SourceDescriptor
from cuecast.networks.base import AuthKind

KEY = "meta"

# ads_read: read ad accounts, campaigns, ad sets and Insights of accounts the person has a role
# on (developers.facebook.com/docs/marketing-api/overview/authorization). Cuecast never changes
# a campaign, so ads_management is not asked for. business_management is not needed to list
# /me/adaccounts (see the docs page: unconfirmed for accounts reachable only through a Business).
SCOPES: tuple[str, ...] = ("ads_read",)

# Conversions are not one Insights field: they are picked from `actions` by action_type. The
# default counts Meta's de-duplicated ("omni") purchase and lead types only, never both a
# pixel-specific and an aggregate type (that would count one purchase twice). An account can
# override the list in its settings ("conversion_action_types").
DEFAULT_CONVERSION_ACTIONS: tuple[str, ...] = ("purchase", "lead")

DESCRIPTOR = SourceDescriptor(
    key=KEY,
    name="Meta Ads",
    auth=AuthKind.OAUTH2,
    scopes=SCOPES,
    docs_page="docs/ad-platforms/meta.md",
)
